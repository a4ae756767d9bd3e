"""End-to-end journeys, third round: the day's changes combined as a demanding user runs them.

Each test crosses several modules (CLI, recipes, data, inference, export, restoration,
plug-and-play) and checks what the user ends up with against an independent computation.
"""

import csv
import json
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import kerasgen
from kerasgen import plug_and_play as pnp
from kerasgen import restoration as R
from kerasgen.cli import main
from kerasgen.export import export_for_serving
from kerasgen.models import build_unet

QUANTUM = 0.5 / 255 + 1e-6  # an 8-bit PNG rounds to the nearest grey level


def _write_training_folder(folder):
    """Three grey PNGs and, in a sub-folder, an RGBA PNG with a half-transparent left half."""
    rng = np.random.default_rng(0)
    (folder / "sub").mkdir(parents=True)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (40, 40), dtype=np.uint8)).save(folder / f"g{i}.png")
    rgba = rng.integers(0, 256, (40, 40, 4), dtype=np.uint8)
    rgba[:, :20, 3] = 128
    rgba[:, 20:, 3] = 255
    Image.fromarray(rgba, "RGBA").save(folder / "sub" / "rgba.png")
    return ["g0.png", "g1.png", "g2.png", "sub/rgba.png"]


def _train_argv(data, out, *extra):
    return [
        "train", "unet", "--data", str(data), "--out", str(out), "--epochs", "1", "--steps-per-epoch", "1",
        "--batch-size", "2", "--patch-size", "16", "--depth", "1", "--noise-level-input", "--precision", "float32",
        *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_cli_unet_train_rerun_overwrite_restore_folder_export_and_serve_without_kerasgen(
    tmp_path, capsys, run_python
):
    data, run = tmp_path / "data", tmp_path / "run"
    names = _write_training_folder(data)

    # A first run with the MSE loss (small loss values), then the rerun refused, files untouched.
    assert main(_train_argv(data, run, "--base-filters", "8", "--loss", "mse")) == 0
    before = {name: (run / name).read_bytes() for name in ("best.keras", "last.keras", "history.csv")}
    capsys.readouterr()
    assert main(_train_argv(data, run, "--base-filters", "8", "--loss", "mse")) == 2
    err = capsys.readouterr().err
    assert "holds a completed run" in err and "--overwrite" in err and "Traceback" not in err
    assert {name: (run / name).read_bytes() for name in before} == before

    # --overwrite with another network and the MAE loss (larger values than the old run's best MSE):
    # best.keras must be the new run's model, not kept because the old best loss was lower.
    assert main(_train_argv(data, run, "--base-filters", "4", "--overwrite")) == 0
    best = keras.models.load_model(run / "best.keras")
    last = keras.models.load_model(run / "last.keras")
    new_params = build_unet(depth=1, base_filters=4, noise_level_input=True).count_params()
    assert best.count_params() == last.count_params() == new_params
    rows = list(csv.DictReader((run / "history.csv").open()))
    assert len(rows) == 1
    assert json.loads((run / "best.keras.json").read_text())["best"] == pytest.approx(float(rows[0]["loss"]))
    assert len(list((run / "logs").rglob("events.out.tfevents*"))) == 1  # the old run's events are gone
    assert not (run / "backup").exists()

    # Restore the folder with the best model, blind and told sigma: each result is restore() on
    # read_image() (RGBA composited over white, restored channel by channel), saved at 8 bits.
    blind, told = tmp_path / "blind", tmp_path / "told"
    assert main(["restore", str(data), str(blind), "--method", "unet", "--model", str(run / "best.keras"),
                 "--recursive"]) == 0  # fmt: skip
    assert main(["restore", str(data), str(told), "--method", "unet", "--model", str(run / "best.keras"),
                 "--recursive", "--sigma", "10"]) == 0  # fmt: skip
    expected = {}
    for name in names:
        image = R.read_image(data / name)
        for folder, sigma in ((blind, None), (told, 10 / 255)):
            result = kerasgen.restore(image, best, sigma=sigma)
            np.testing.assert_allclose(R.read_image(folder / name), result, atol=QUANTUM)
            expected[folder, name] = result
    assert Image.open(blind / "sub" / "rgba.png").mode == "RGB"
    assert Image.open(blind / "g0.png").mode == "L"
    assert np.abs(expected[blind, "g0.png"] - expected[told, "g0.png"]).max() > 2 / 255  # --sigma was used

    # Export, refuse a second export of the same version, then serve without kerasgen.
    serving = tmp_path / "serving"
    assert main(["export", str(run / "best.keras"), "--out", str(serving), "--name", "den"]) == 0
    capsys.readouterr()
    assert main(["export", str(run / "best.keras"), "--out", str(serving), "--name", "den"]) == 2
    assert "exists already" in capsys.readouterr().err
    image = R.read_image(data / "g0.png")
    np.save(tmp_path / "image.npy", image)
    np.save(tmp_path / "expected.npy", expected[told, "g0.png"])
    code = """
        import sys
        sys.modules["kerasgen"] = None  # importing kerasgen now fails: the SavedModel must not need it
        import numpy as np
        import tensorflow as tf

        folder, image, expected = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3])
        served = tf.saved_model.load(folder)
        sigma = tf.constant([[10 / 255]], tf.float32)
        out = served.signatures["serving_default"](images=tf.constant(image[None, ..., None]), noise_sigma=sigma)
        np.testing.assert_allclose(out["restored"].numpy()[0, ..., 0], expected, atol=1e-5)
        as_uint8 = tf.constant(np.round(image * 255).astype(np.uint8)[None, ..., None])
        out8 = served.signatures["restore_uint8"](images=as_uint8, noise_sigma=sigma)["restored"].numpy()
        assert out8.dtype == np.uint8
        assert np.abs(out8[0, ..., 0] / 255.0 - np.clip(expected, 0, 1)).max() <= 0.5 / 255 + 1e-6
        try:
            served.signatures["serving_default"](images=tf.constant(image[None, ..., None] * 255), noise_sigma=sigma)
        except tf.errors.InvalidArgumentError as error:
            assert "images must be in [0, 1]" in str(error)
        else:
            raise AssertionError("0-255 images were accepted")
        assert not [name for name in sys.modules if name.startswith("kerasgen.")]
        print("served ok")
    """
    result = run_python(code, serving / "den" / "1", tmp_path / "image.npy", tmp_path / "expected.npy")
    assert "served ok" in result.stdout

    # The SavedModel restores the folder as the .keras file did.
    via_saved = tmp_path / "via_saved"
    assert main(["restore", str(data), str(via_saved), "--method", "unet", "--model", str(serving / "den" / "1"),
                 "--recursive", "--sigma", "10"]) == 0  # fmt: skip
    for name in names:
        np.testing.assert_array_equal(np.asarray(Image.open(via_saved / name)), np.asarray(Image.open(told / name)))


def test_folder_mode_refuses_model_options_before_writing_anything(tmp_path, capsys):
    data = tmp_path / "data"
    _write_training_folder(data)
    plain = tmp_path / "plain.keras"
    build_unet(depth=1, base_filters=4).save(plain)  # no noise-level input
    saved = export_for_serving(build_unet(depth=1, base_filters=4), tmp_path / "serving", name="u")
    cases = [
        (["--method", "unet", "--model", str(plain), "--sigma", "10"], "sigma is only for models with a noise-level"),
        (["--method", "unet", "--model", str(saved), "--tile", "32"], "need a Keras model (.keras file)"),
        (["--method", "unet", "--model", str(plain), "--workers", "2"], "--workers is for the classical methods"),
        (["--method", "wavelet", "--batch-size", "2"], "--batch-size is only used by --method unet"),
        (["--method", "wavelet", "--model", str(plain)], "--model is only used by --method unet"),
        (["--method", "unet", "--model", str(tmp_path / "missing.keras")], "model must be a .keras file"),
    ]
    for options, message in cases:
        out = tmp_path / "out"
        assert main(["restore", str(data), str(out), "--recursive", *options]) == 2, options
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (options, err)
        assert not out.exists(), options


@pytest.mark.slow
def test_conditional_gan_recipe_overwrite_reload_predict_and_serve(tmp_path):
    from kerasgen.recipes import train_gan

    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    labels = rng.integers(0, 3, 8).astype("int32")
    data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
    out = tmp_path / "gan"
    options = dict(latent_dim=4, base_filters=4, conditional=True, num_classes=3, num_samples=3,
                   precision="float32", verbose=0)  # fmt: skip

    train_gan(data, out, epochs=2, **options)
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["samples_epoch_001.png", "samples_epoch_002.png"]
    with pytest.raises(FileExistsError, match="overwrite=True"):
        train_gan(data, out, epochs=1, **options)
    gan, history = train_gan(data, out, epochs=1, overwrite=True, **options)
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["samples_epoch_001.png"]  # old grids gone
    assert len(list(csv.DictReader((out / "history.csv").open()))) == 1

    # Reloaded with plain Keras, it predicts what the trained model predicts, and refuses bad labels.
    reloaded = keras.models.load_model(out / "gan.keras")
    z = rng.normal(size=(3, 4)).astype("float32")
    good = np.array([0, 1, 2], "int32")
    predicted = reloaded.predict([z, good], verbose=0)
    np.testing.assert_array_equal(predicted, gan.predict([z, good], verbose=0))
    np.testing.assert_array_equal(reloaded.predict([z, good[:, None]], verbose=0), predicted)
    np.testing.assert_allclose(reloaded.predict([z, good], batch_size=2, verbose=0), predicted, atol=1e-6)
    for bad in (np.array([0, 1, 3]), np.array([0, -1, 2]), np.array([0.0, 1.5, 2.0])):
        with pytest.raises(ValueError, match=r"must be class ids \(integers in \[0, num_classes=3\)\)"):
            reloaded.predict([z, bad], verbose=0)
        with pytest.raises(ValueError, match="must be class ids"):
            reloaded.predict_on_batch([z, bad])
    with pytest.raises(ValueError, match="np.argmax"):
        reloaded.predict([z, np.eye(3)], verbose=0)  # one-hot
    with pytest.raises(ValueError, match=r"\[z, labels\]"):
        reloaded.predict(z, verbose=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        reloaded.predict([np.where(z > 1, np.nan, z), good], verbose=0)

    # Its SavedModel gives the same images and refuses the same labels.
    served = tf.saved_model.load(str(export_for_serving(reloaded, tmp_path / "serving", name="g")))
    assert set(served.signatures) == {"serving_default", "generate"}
    images_out = served.signatures["serving_default"](latent=tf.constant(z), labels=tf.constant(good))["images"]
    np.testing.assert_allclose(images_out.numpy(), predicted, atol=1e-6)
    generate = served.signatures["generate"]
    first = generate(labels=tf.constant(good), seed=tf.constant(5, tf.int64))["images"].numpy()
    np.testing.assert_array_equal(first, generate(labels=tf.constant(good), seed=tf.constant(5, tf.int64))["images"])
    assert first.shape == (3, 8, 8, 1)
    for bad in ([0, 1, 3], [0, -1, 2]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be class ids"):
            served.signatures["serving_default"](latent=tf.constant(z), labels=tf.constant(bad, tf.int32))


@pytest.mark.slow
def test_vae_recipe_reload_predict_guards_and_serving(tmp_path):
    from kerasgen.recipes import train_vae

    images = np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32")
    out = tmp_path / "vae"
    train_vae(tf.data.Dataset.from_tensor_slices(images).batch(4), out, epochs=1, latent_dim=2, base_filters=4,
              num_samples=4, precision="float32", verbose=0)  # fmt: skip
    vae = keras.models.load_model(out / "vae.keras")
    assert vae.predict(images, verbose=0).shape == images.shape
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        vae.predict(images * 255, verbose=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        vae.predict(np.where(images > 0.5, np.nan, images), verbose=0)
    with pytest.raises(ValueError, match=r"x\[\.\.\., None\]"):
        vae.predict(images[..., 0], verbose=0)

    served = tf.saved_model.load(str(export_for_serving(vae, tmp_path / "serving", name="v")))
    z = np.random.default_rng(1).normal(size=(3, 2)).astype("float32")
    decoded = served.signatures["serving_default"](latent=tf.constant(z))["images"].numpy()
    np.testing.assert_allclose(decoded, vae.decode(z), atol=1e-6)
    z_mean, _ = vae.encode(images)
    np.testing.assert_allclose(served.signatures["encode"](images=tf.constant(images))["z_mean"], z_mean, atol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"outside \[0, 1\]"):
        served.signatures["encode"](images=tf.constant(images * 255))


def _skimage_scores(clean, image):
    from skimage import metrics

    psnr = metrics.peak_signal_noise_ratio(clean, image, data_range=1.0)
    ssim = metrics.structural_similarity(
        clean, image, data_range=1.0, channel_axis=-1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    return psnr, ssim


@pytest.mark.slow
def test_compare_cli_non_ascii_colour_file_csv_matches_skimage_on_saved_results(tmp_path, capsys):
    from skimage import data

    path = tmp_path / "Café Łódź_写真.png"
    Image.fromarray(data.astronaut()[100:148, 180:228]).save(path)
    out = tmp_path / "results"
    argv = ["compare", "--image", str(path), "--methods", "nl_means,unet", "--sigma", "20", "--out", str(out)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")  # CJK title in DejaVu Sans
        assert main(argv) == 0
        assert sorted(p.name for p in out.iterdir()) == ["compare_Café_Łódź_写真_sigma20.csv",
                                                          "compare_Café_Łódź_写真_sigma20.png"]  # fmt: skip
        capsys.readouterr()
        assert main(argv) == 2  # the table and figure exist
        assert "--overwrite" in capsys.readouterr().err
        assert main([*argv, "--overwrite"]) == 0
    with (out / "compare_Café_Łódź_写真_sigma20.csv").open(encoding="utf-8") as file:
        rows = {row["method"]: row for row in csv.DictReader(file)}
    assert list(rows) == ["degraded", "nl_means", "unet"]

    # The experiment redone by hand: seeded noise, each method told the true sigma.
    clean = R.read_image(path)
    noisy = R.add_gaussian_noise(clean, 20 / 255, seed=0)
    results = {
        "degraded": noisy,
        "nl_means": R.repair_image(noisy, "nl_means", sigma=20 / 255),
        "unet": R.repair_image(noisy, "unet", sigma=20 / 255),
    }
    for method, result in results.items():
        psnr, ssim = _skimage_scores(clean, result)  # the table scores the unclipped float results
        assert float(rows[method]["psnr"]) == pytest.approx(psnr, abs=1e-4)
        assert float(rows[method]["ssim"]) == pytest.approx(ssim, abs=1e-6)
        if method == "degraded":
            continue
        R.save_image(tmp_path / f"{method}.png", result.clip(0, 1))  # README: saved 8-bit PNGs score within
        psnr, ssim = _skimage_scores(clean, R.read_image(tmp_path / f"{method}.png"))  # 0.03 dB / 0.004 SSIM
        assert abs(float(rows[method]["psnr"]) - psnr) <= 0.03
        assert abs(float(rows[method]["ssim"]) - ssim) <= 0.004
    assert float(rows["unet"]["psnr"]) > float(rows["nl_means"]["psnr"]) > float(rows["degraded"]["psnr"])


def test_compare_cli_upscaling_odd_sized_image_scores_whole_blocks(tmp_path):
    from skimage import data

    path = tmp_path / "odd.png"
    Image.fromarray(data.astronaut()[:50, :47]).save(path)  # 50 x 47: 2 rows and 2 columns fill no 3x3 block
    assert main(["compare", "--image", str(path), "--scale", "3", "--methods", "bicubic", "--out", str(tmp_path)]) == 0
    with (tmp_path / "compare_odd_x3.csv").open() as file:
        rows = {row["method"]: row for row in csv.DictReader(file)}

    clean = R.read_image(path)
    small = R.downsample(clean, 3)
    assert small.shape == (16, 15, 3)
    np.testing.assert_allclose(R.downsample(clean, 3, anti_aliasing=False), clean[1:48:3, 1:45:3], atol=1e-6)
    large = R.repair_image(small, "bicubic", scale=3)
    assert large.shape == (48, 45, 3)
    psnr, ssim = _skimage_scores(clean[:48, :45], large)
    assert float(rows["bicubic"]["psnr"]) == pytest.approx(psnr, abs=1e-4)
    assert float(rows["bicubic"]["ssim"]) == pytest.approx(ssim, abs=1e-6)


@pytest.fixture(scope="module")
def colour_crop():
    from skimage import data

    return (data.astronaut()[100:148, 180:228] / 255.0).astype("float32")


@pytest.mark.slow
@pytest.mark.parametrize("task", ["deblur", "inpaint", "super_resolve"])
def test_repair_image_pnp_each_task_channels_last_and_first(task, colour_crop):
    clean = colour_crop
    if task == "deblur":
        psf = R.gaussian_psf(5, 1.0)
        degraded = R.add_gaussian_noise(R.blur(clean, psf, mode="reflect"), 2 / 255, seed=0)
        options, direct = dict(psf=psf, sigma=2 / 255), lambda x, **kw: pnp.deblur(x, psf, sigma=2 / 255, **kw)
        reference, baseline = clean, degraded
    elif task == "inpaint":
        mask = R.random_mask(clean.shape[:2], 0.5, seed=0)
        degraded = np.where(mask[..., None], 0, clean)
        options, direct = dict(mask=mask), lambda x, **kw: pnp.inpaint(x, mask, **kw)
        reference, baseline = clean, R.repair_image(degraded, "biharmonic", mask=mask)
    else:
        degraded = R.downsample(clean, 2)
        options, direct = dict(scale=2), lambda x, **kw: pnp.super_resolve(x, 2, **kw)
        reference, baseline = clean, R.repair_image(degraded, "bicubic", scale=2)

    last = R.repair_image(degraded, "pnp", **options)
    np.testing.assert_array_equal(last, direct(degraded))
    first = R.repair_image(np.ascontiguousarray(np.moveaxis(degraded, -1, 0)), "pnp", channel_axis=0, **options)
    assert first.shape == (3, *last.shape[:2])
    np.testing.assert_allclose(np.moveaxis(first, 0, -1), last, atol=1e-6)
    assert last.shape == reference.shape and last.dtype == np.float32
    assert R.psnr(reference, last) > R.psnr(reference, baseline) + 0.5
    with pytest.raises(ValueError, match="channel_axis is only valid for 3-D images"):
        R.repair_image(degraded[..., 0], "pnp", channel_axis=0, **options)


@pytest.mark.slow
def test_pnp_deblur_told_the_constant_boundary_beats_a_wrong_boundary(colour_crop):
    clean = colour_crop.mean(axis=-1)
    psf = R.gaussian_psf(7, 1.4)
    blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="constant"), 2 / 255, seed=0)  # dark band at the border
    told = R.repair_image(blurred, "pnp", psf=psf, sigma=2 / 255, mode="constant")
    wrong = R.repair_image(blurred, "pnp", psf=psf, sigma=2 / 255, mode="reflect")
    assert R.psnr(clean, told) > R.psnr(clean, blurred) + 2
    assert R.psnr(clean, told) > R.psnr(clean, wrong) + 5
    np.testing.assert_array_equal(told, pnp.deblur(blurred, psf, sigma=2 / 255, mode="constant"))


def test_tiff_folder_restores_keep_bit_depth_and_apply_orientation_and_alpha(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    from skimage import data

    source, out = tmp_path / "scans", tmp_path / "restored"
    source.mkdir()
    grey16 = data.camera()[:24, :20].astype(np.uint16) * 257
    colour16 = data.astronaut()[:24, :20].astype(np.uint16) * 257
    colour8 = data.astronaut()[:24, :20]
    rgba = np.dstack([colour8, np.full((24, 20), 255, np.uint8)])
    rgba[:6, :, 3] = 0  # the top rows fully transparent
    tifffile.imwrite(source / "grey16.tif", grey16)
    tifffile.imwrite(source / "colour16.tif", colour16, compression="zlib")
    tifffile.imwrite(source / "rgba.tif", rgba, extrasamples=[2])  # unassociated alpha
    tifffile.imwrite(source / "rotated.tif", colour8, extratags=[(274, 3, 1, 6, False)])  # Orientation 6: 90 deg

    assert main(["restore", str(source), str(out), "--method", "wavelet", "--workers", "1"]) == 0
    shapes = {name: (tifffile.imread(out / name).dtype, tifffile.imread(out / name).shape) for name in
              ("grey16.tif", "colour16.tif", "rgba.tif", "rotated.tif")}  # fmt: skip
    assert shapes == {
        "grey16.tif": (np.uint16, (24, 20)),
        "colour16.tif": (np.uint16, (24, 20, 3)),
        "rgba.tif": (np.uint8, (24, 20, 3)),  # composited over white
        "rotated.tif": (np.uint8, (20, 24, 3)),  # turned upright
    }
    assert R.read_image(source / "rgba.tif")[:6].min() == 1.0
    for name in shapes:
        image = R.read_image(source / name)
        expected = R.denoise(image, "wavelet").clip(0, 1)
        step = 0.5 / 65535 if shapes[name][0] == np.uint16 else 0.5 / 255
        np.testing.assert_allclose(R.read_image(out / name), expected, atol=step + 1e-6)
    rotated = R.read_image(source / "rotated.tif")
    np.testing.assert_array_equal(rotated, np.rot90(colour8, -1) / np.float32(255))


def test_restore_checks_channel_axis_of_a_grey_image_as_repair_image_does():
    model = build_unet(depth=1, base_filters=4)
    grey = np.random.default_rng(0).random((16, 16)).astype("float32")
    with pytest.raises(ValueError, match="channel_axis is only valid for 3-D images"):
        R.repair_image(grey, "unet", model=model, channel_axis=0)
    with pytest.raises(TypeError, match="channel_axis must be an integer"):
        kerasgen.restore(grey, model, channel_axis="first")
    with pytest.raises(ValueError, match="channel_axis"):
        kerasgen.restore(grey, model, channel_axis=0)


@pytest.mark.parametrize("callbacks", [[1], keras.callbacks.TerminateOnNaN()], ids=["list_of_int", "one_callback"])
def test_train_unet_bad_callbacks_refused_before_overwrite_discards_the_previous_run(tmp_path, callbacks):
    # train_unet checked `callbacks` only inside fit: overwrite=True had already deleted the
    # previous run's history and TensorBoard events, then an AttributeError / "not iterable".
    from kerasgen.recipes import train_unet

    out = tmp_path / "run"
    (out / "logs" / "train").mkdir(parents=True)
    for name in ("best.keras", "last.keras", "history.csv", "logs/train/events.out.tfevents.0"):
        (out / name).write_text("previous run")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    images = np.random.default_rng(0).random((2, 16, 16)).astype("float32")
    with pytest.raises(TypeError, match=r"callbacks must be None or a list of keras.callbacks.Callback"):
        train_unet(images, out, epochs=1, steps_per_epoch=1, patch_size=16, batch_size=2, precision="float32",
                   model_kwargs=dict(depth=1, base_filters=4), callbacks=callbacks, overwrite=True, verbose=0)  # fmt: skip
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "history.csv").read_text() == "previous run"


def test_training_folder_reads_transparent_images_as_read_image_does(tmp_path):
    # load_dataset (the GAN / VAE recipes' folders) composites RGBA, grey + alpha and a palette's
    # transparent entry over white, as restoration.read_image (and so restore, compare) reads them.
    rng = np.random.default_rng(0)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rgba = rng.integers(0, 256, (8, 8, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a" / "rgba.png")
    Image.fromarray(rng.integers(0, 256, (8, 8, 2), dtype=np.uint8), "LA").save(tmp_path / "b" / "la.png")
    palette = Image.fromarray(rng.integers(0, 4, (8, 8), dtype=np.uint8), "P")
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30])
    palette.save(tmp_path / "b" / "palette.png", transparency=2)
    files = [tmp_path / "a" / "rgba.png", tmp_path / "b" / "la.png", tmp_path / "b" / "palette.png"]

    dataset = kerasgen.load_dataset(tmp_path, batch_size=8, channels=3, value_range=(0, 1), shuffle=False)
    images = next(iter(dataset)).numpy()
    assert images.shape == (3, 8, 8, 3)
    expected = [np.broadcast_to(R.read_image(f)[..., None], (8, 8, 3)) if R.read_image(f).ndim == 2
                else R.read_image(f) for f in files]  # fmt: skip
    for image in expected:  # the order of the files in the dataset is the folder's own
        assert min(np.abs(images - image).max(axis=(1, 2, 3))) <= 1 / 255
    assert (R.read_image(files[2]) == 1).any()  # the transparent palette entry is white
