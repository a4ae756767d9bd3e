"""Reliability of the command line, the data loaders, folder restoration and the recipes (third audit)."""

import os
import re

import numpy as np
import pytest
from PIL import Image

from kerasgen.cli import main


def _save_gray(path, seed=0, size=32):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8)).save(path)


@pytest.fixture
def nested_folders(tmp_path):
    """data/ with two images and data/val/ with two more."""
    data = tmp_path / "data"
    (data / "val").mkdir(parents=True)
    for i in range(2):
        _save_gray(data / f"{i}.png", seed=i)
        _save_gray(data / "val" / f"{i}.png", seed=10 + i)
    return data


# -- 1. validation images inside the training folder ---------------------------------------


@pytest.mark.parametrize("validation", ["data/val", "data", "data/../data/val", "link", "."])
def test_train_unet_refuses_validation_data_nested_with_data(nested_folders, tmp_path, monkeypatch, capsys, validation):
    # --validation-data inside --data (or equal, or holding it) was also trained on: its PSNR chose best.keras.
    monkeypatch.chdir(tmp_path)
    os.symlink(nested_folders / "val", tmp_path / "link")
    argv = ["train", "unet", "--data", "data", "--validation-data", validation, "--out", str(tmp_path / "runs" / "u")]
    if validation == ".":  # data inside validation data; --out elsewhere
        argv[-1] = str(tmp_path.parent / f"{tmp_path.name}_run")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "validation_data must not be the data folder, be inside it or hold it" in err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_train_unet_recipe_refuses_nested_validation_folder(nested_folders, tmp_path):
    from kerasgen.recipes import train_unet

    with pytest.raises(ValueError, match=r"validation_data must not be the data folder.*validation_data='"):
        train_unet(nested_folders, tmp_path / "run", validation_data=nested_folders / "val", epochs=1)
    assert not (tmp_path / "run").exists()


# -- 2. folder restoration: --sigma for a model without a noise-level input -------------------


@pytest.fixture
def plain_model_file(tmp_path):
    from kerasgen.models.unet import build_unet

    path = tmp_path / "plain.keras"
    build_unet(image_shape=(None, None, 1), depth=1, base_filters=2).save(path)
    return path


def test_restore_folder_refuses_sigma_for_a_model_without_noise_input_once(
    nested_folders, plain_model_file, tmp_path, capsys
):
    # Every file used to fail with the same error (exit 1), after the run had started.
    out = tmp_path / "out"
    argv = ["restore", str(nested_folders), str(out), "--method", "unet", "--model", str(plain_model_file),
            "--sigma", "10", "--recursive"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("sigma is only for models with a noise-level input") == 1
    assert "Traceback" not in err and "failed:" not in err
    assert not out.exists()


def test_restore_folder_api_refuses_sigma_before_any_file(nested_folders, plain_model_file, tmp_path):
    import keras

    from kerasgen.batch import restore_folder

    model = keras.saving.load_model(plain_model_file)
    for given in (model, plain_model_file):
        with pytest.raises(ValueError, match="sigma is only for models with a noise-level input"):
            restore_folder(nested_folders, tmp_path / "out", "unet", model=given, sigma=0.1, progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_restore_folder_ray_refuses_sigma_before_starting(nested_folders, plain_model_file, tmp_path):
    pytest.importorskip("ray")
    from kerasgen.pipelines.ray import restore_folder_ray

    with pytest.raises(ValueError, match="sigma is only for models with a noise-level input"):
        restore_folder_ray(nested_folders, tmp_path / "out", "unet", model=plain_model_file, sigma=0.1, num_cpus=1)
    assert not (tmp_path / "out").exists()


# -- 3. transparent training images mean the same pixels as read_image -----------------------


@pytest.fixture
def transparent_folder(tmp_path):
    """PNG / GIF files whose transparent pixels hide non-white colours, and one opaque PNG."""
    folder = tmp_path / "transparent"
    folder.mkdir()
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = (200, 30, 90)
    rgba[..., 3] = np.arange(8)[:, None] * 36  # from fully transparent to almost opaque
    Image.fromarray(rgba, "RGBA").save(folder / "a_rgba.png")
    la = np.zeros((8, 8, 2), np.uint8)
    la[..., 0] = 40
    la[4:, :, 1] = 128
    Image.fromarray(la, "LA").save(folder / "b_la.png")
    palette = Image.new("P", (8, 8))
    palette.putpalette([250, 0, 0, 0, 0, 250] + [0] * 762)
    palette.putdata([0] * 32 + [1] * 32)  # the red top half is transparent
    palette.save(folder / "c_palette.png", transparency=0)
    palette.save(folder / "d_palette.gif", transparency=0)
    keyed = rgba[..., :3].copy()
    keyed[:4] = (10, 20, 30)
    Image.fromarray(keyed).save(folder / "e_colour_key.png", transparency=(10, 20, 30))
    Image.fromarray(keyed).save(folder / "f_opaque.png")
    return folder


def _read_image_references(folder, channels):
    from kerasgen.data import load_clean_images
    from kerasgen.restoration import read_image

    return load_clean_images([read_image(folder / name) for name in sorted(os.listdir(folder))], channels=channels)


@pytest.mark.parametrize("channels", [1, 3])
def test_training_loaders_composite_transparent_images_over_white(transparent_folder, channels):
    from kerasgen.data import load_clean_images
    from kerasgen.data.restoration_pairs import _read_folder

    references = _read_image_references(transparent_folder, channels)
    assert references[0][0, 0].min() > 0.99  # the fully transparent row is white, not (200, 30, 90)
    floats = load_clean_images(transparent_folder, channels=channels)
    stored = _read_folder(os.fspath(transparent_folder), channels, as_uint8=True)  # make_restoration_dataset's
    for name, reference, image, image_u8 in zip(sorted(os.listdir(transparent_folder)), references, floats, stored):
        if name == "f_opaque.png" and channels == 1:  # TensorFlow's own RGB-to-grey rounding
            continue
        np.testing.assert_allclose(image, reference, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(image_u8 / 255, reference, atol=0.5 / 255 + 1e-5, err_msg=name)


def test_load_dataset_composites_transparent_images_over_white(transparent_folder):
    from kerasgen.data import load_dataset

    dataset = load_dataset(
        transparent_folder, "train", batch_size=6, channels=3, image_size=(8, 8), shuffle=False, value_range=(0, 1)
    )
    batch = next(iter(dataset)).numpy()
    for image, reference in zip(batch, _read_image_references(transparent_folder, 3)):
        np.testing.assert_allclose(image, reference, atol=0.5 / 255 + 1e-5)
    kept = next(iter(load_dataset(transparent_folder, "train", batch_size=6, channels=4, image_size=(8, 8),
                                  shuffle=False, value_range=(0, 1)))).numpy()  # fmt: skip
    np.testing.assert_allclose(kept[0, 0, 0], [200 / 255, 30 / 255, 90 / 255, 0], atol=1e-6)  # RGBA kept as is


# -- 4. re-running a recipe on a completed run ---------------------------------------------------


def _tiny_gan_data():
    import tensorflow as tf

    images = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(images).batch(4)


TINY = {"latent_dim": 4, "base_filters": 4, "num_samples": 4, "verbose": 0, "precision": "float32"}


@pytest.mark.slow
def test_train_gan_refuses_a_completed_run_and_overwrite_leaves_no_older_grid(tmp_path):
    # A shorter rerun used to leave the older run's samples_epoch_002/003.png beside its own.
    from kerasgen.recipes import train_gan

    out = tmp_path / "gan"
    data = _tiny_gan_data()
    train_gan(data, out, epochs=3, **TINY)
    (out / "samples" / "mine.png").write_bytes(b"user file")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises(FileExistsError, match=r"holds a completed run \(gan.keras\): pass overwrite=True"):
        train_gan(data, out, epochs=1, **TINY)
    with pytest.raises(ValueError):  # a bad argument with overwrite=True: nothing of the old run is lost
        train_gan(data, out, epochs=1, overwrite=True, **{**TINY, "loss": "nope"})
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert len(list((out / "samples").glob("samples_epoch_*.png"))) == 3
    train_gan(data, out, epochs=1, overwrite=True, **TINY)
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["mine.png", "samples_epoch_001.png"]
    assert len((out / "history.csv").read_text().splitlines()) == 2


@pytest.mark.slow
def test_train_vae_refuses_a_completed_run(tmp_path):
    import tensorflow as tf

    from kerasgen.recipes import train_vae

    images = np.random.default_rng(0).uniform(0, 1, (8, 8, 8, 1)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices(images).batch(4)
    tiny = {**TINY, "latent_dim": 2}
    out = tmp_path / "vae"
    train_vae(data, out, epochs=2, **tiny)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        train_vae(data, out, epochs=1, **tiny)
    train_vae(data, out, epochs=1, overwrite=True, **tiny)
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["samples_epoch_001.png"]


@pytest.mark.slow
def test_cli_train_gan_overwrite_still_replaces_a_completed_run(tmp_path, data_root, capsys):
    out = tmp_path / "run"
    argv = ["train", "gan", "--data-dir", str(data_root), "--split", "test[:16]", "--epochs", "2", "--batch-size", "8",
            "--latent-dim", "4", "--base-filters", "4", "--num-samples", "4", "--precision", "float32",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    argv[argv.index("--epochs") + 1] = "1"
    assert main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["samples_epoch_001.png"]


# -- audit: folder restoration ------------------------------------------------------------------


def test_restore_folder_without_images_is_an_error_with_a_recursive_hint(tmp_path, capsys):
    # An empty folder (or one whose images are all in sub-folders) used to "restore" 0 images with exit 0.
    from kerasgen.batch import restore_folder

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    assert main(["restore", str(empty), str(tmp_path / "o1"), "--method", "tv", "--sigma", "5"]) == 2
    assert "No image file" in capsys.readouterr().err
    nested = tmp_path / "nested"
    (nested / "sub").mkdir(parents=True)
    _save_gray(nested / "sub" / "x.png")
    assert main(["restore", str(nested), str(tmp_path / "o2"), "--method", "tv", "--sigma", "5"]) == 2
    assert "sub-folders hold 1 image(s): pass recursive=True (kerasgen restore: --recursive)" in capsys.readouterr().err
    with pytest.raises(ValueError, match="No image file"):
        restore_folder(empty, tmp_path / "o3", "tv", recursive=True, progress=False)
    assert not any((tmp_path / name).exists() for name in ("o1", "o2", "o3"))


@pytest.mark.parametrize(
    "options, match",
    [
        (["--method", "tv", "--sigma", "5", "--batch-size", "8"], "--batch-size is only used by --method unet"),
        (["--method", "tv", "--sigma", "5", "--ray-address", "auto"], "--ray-address is for --engine ray"),
        (["--method", "unet", "--workers", "2"], "--workers is for the classical methods with --engine local"),
        (["--method", "tv", "--engine", "ray", "--workers", "2"], "--workers is for the classical methods"),
        (["--method", "bicubic", "--scale", "2", "--sigma", "3"], "--sigma is not used by --method bicubic"),
        (["--method", "biharmonic"], "needs a mask per image, so it cannot restore a folder"),
        (
            ["--method", "unet", "--tile", "16", "--overlap", "40"],
            "tile must be None or an int larger than 2 \\* overlap",
        ),
        (["--method", "unet", "--tile", "16"], "larger than 2 \\* overlap \\(default 32\\)"),
    ],
)
def test_restore_folder_refuses_options_it_would_ignore_or_fail_on_per_file(
    nested_folders, tmp_path, capsys, options, match
):
    # These options were silently ignored (batch size, workers, Ray address) or failed every file with exit 1.
    out = tmp_path / "out"
    assert main(["restore", str(nested_folders), str(out), *options]) == 2
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    assert re.search(match, err), err
    assert not out.exists()


def test_restore_missing_input_with_folder_options_says_it_is_missing(tmp_path, capsys):
    # A missing INPUT with --recursive used to be reported as "(a file)".
    assert main(["restore", str(tmp_path / "nope"), str(tmp_path / "out"), "--method", "tv", "--recursive"]) == 2
    err = capsys.readouterr().err
    assert "No such image file" in err and "(a file)" not in err


@pytest.mark.slow
def test_restore_folder_refuses_tiles_for_a_saved_model(nested_folders, plain_model_file, tmp_path, capsys):
    # --tile was silently ignored with an exported SavedModel: images went whole through the signature.
    assert main(["export", str(plain_model_file), "--out", str(tmp_path / "served"), "--name", "u"]) == 0
    out = tmp_path / "out"
    argv = ["restore", str(nested_folders), str(out), "--method", "unet", "--model", str(tmp_path / "served" / "u" / "1"),
            "--tile", "24", "--overlap", "4"]  # fmt: skip
    capsys.readouterr()
    assert main(argv) == 2
    assert "tile and overlap need a Keras model" in capsys.readouterr().err
    assert not out.exists()


# -- audit: export, train, data --------------------------------------------------------------------


def test_export_refuses_a_model_inside_the_version_folder_it_replaces(plain_model_file, tmp_path, capsys):
    # `kerasgen export out/u/1/m.keras --out out --name u --overwrite` deleted its own input.
    version = tmp_path / "served" / "u" / "1"
    version.mkdir(parents=True)
    model = version / "m.keras"
    model.write_bytes(plain_model_file.read_bytes())
    for extra in (["--name", "u"], []):
        argv = ["export", str(model), "--out", str(tmp_path / "served"), "--version", "1", "--overwrite", *extra]
        if not extra:  # the default name of a U-Net is "unet"
            (tmp_path / "served" / "unet" / "1").mkdir(parents=True)
            model = model.rename(tmp_path / "served" / "unet" / "1" / "m.keras")
            argv[1] = str(model)
        assert main(argv) == 2
        assert "MODEL lies inside the version folder" in capsys.readouterr().err
        assert model.read_bytes() == plain_model_file.read_bytes()


def test_export_of_a_folder_says_it_is_a_folder(tmp_path, capsys):
    assert main(["export", str(tmp_path)]) == 2
    assert "(a folder)" in capsys.readouterr().err


def test_train_unet_undecodable_file_message_has_no_tensorflow_op_names(tmp_path, capsys):
    folder = tmp_path / "clean"
    folder.mkdir()
    (folder / "fake.png").write_bytes(b"not a png")
    assert main(["train", "unet", "--data", str(folder), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "Cannot decode image file" in err and "fake.png" in err
    assert "{{" not in err and "[Op:" not in err


def test_load_dataset_refuses_data_dir_with_a_folder(tmp_path, capsys):
    # --data-dir (data_dir=) was silently ignored for a folder --dataset.
    from kerasgen.data import load_dataset

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(4):
        _save_gray(folder / f"{i}.png", seed=i, size=16)
    with pytest.raises(ValueError, match="data_dir is only used with a dataset name"):
        load_dataset(folder, data_dir=tmp_path)
    assert (
        main(["train", "gan", "--dataset", str(folder), "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    )
    assert "data_dir is only used with a dataset name" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_data_dir_that_is_not_a_folder_is_named_as_such(tmp_path, monkeypatch, kind):
    from kerasgen.data import load_dataset

    root = tmp_path / "data"
    if kind == "file":
        root.write_text("not a folder")
    monkeypatch.setenv("KERASGEN_DATA_DIR", str(root))
    expected = "(no such folder)" if kind == "missing" else "(a file, not a folder)"
    with pytest.raises(FileNotFoundError, match=f"No local copy found under .*{re.escape(expected)}"):
        load_dataset("mnist", "test", download=False)


def test_train_messages_for_a_file_as_folder_and_mixed_sizes_name_the_cli_options(tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    _save_gray(folder / "a.png", size=16)
    _save_gray(folder / "b.png", size=32)
    assert main(["train", "unet", "--data", str(folder / "a.png"), "--out", str(tmp_path / "r1")]) == 2
    assert "(a file, not a folder)" in capsys.readouterr().err
    assert main(["train", "gan", "--dataset", str(folder), "--out", str(tmp_path / "r2")]) == 2
    assert "--image-size HEIGHT WIDTH --channels C" in capsys.readouterr().err


@pytest.mark.slow
def test_train_unet_refuses_a_completed_run_unless_overwrite(tmp_path):
    from kerasgen.models import build_unet
    from kerasgen.recipes import train_unet

    rng = np.random.default_rng(0)
    clean = np.kron(rng.random((4, 4, 4)), np.ones((8, 8))).astype("float32")
    kwargs = {"epochs": 1, "steps_per_epoch": 1, "patch_size": 8, "batch_size": 2, "jit_compile": False, "verbose": 0}
    train_unet(clean, tmp_path, model=build_unet(depth=1, base_filters=4), **kwargs)
    history = (tmp_path / "history.csv").read_text()
    with pytest.raises(FileExistsError, match=r"completed run \(best\.keras\).*overwrite=True"):
        train_unet(clean, tmp_path, model=build_unet(depth=1, base_filters=4), **kwargs)
    assert (tmp_path / "history.csv").read_text() == history  # nothing touched
    events = sorted((tmp_path / "logs" / "train").glob("events.out.tfevents.*"))
    assert len(events) == 1
    train_unet(clean, tmp_path, model=build_unet(depth=1, base_filters=4), overwrite=True, **kwargs)
    assert (tmp_path / "history.csv").read_text().count("\n") == 2  # header and this run's one epoch
    assert len(list((tmp_path / "logs" / "train").glob("events.out.tfevents.*"))) == 1
    assert not events[0].exists()  # the previous run's events are gone


@pytest.fixture
def noise_level_model_file(tmp_path):
    import keras

    from kerasgen.models import build_unet

    keras.utils.set_random_seed(0)
    path = tmp_path / "denoiser.keras"
    build_unet(depth=1, base_filters=4, noise_level_input=True).save(path)
    return path


@pytest.mark.parametrize(
    "method, options",
    [("unet", ["--sigma", "10"]), ("pnp", ["--psf-std", "1.0", "--sigma", "2.55"])],
)
def test_restore_one_file_with_model_equals_repair_image_with_that_model(tmp_path, noise_level_model_file, method,
                                                                         options):  # fmt: skip
    import keras

    from kerasgen.restoration import gaussian_psf, read_image, repair_image

    source, target = tmp_path / "in.png", tmp_path / "out.png"
    _save_gray(source)
    assert main(["restore", str(source), str(target), "--method", method, "--model", str(noise_level_model_file),
                 *options]) == 0  # fmt: skip
    model = keras.models.load_model(noise_level_model_file, compile=False)
    image = read_image(str(source))
    if method == "unet":
        expected = repair_image(image, "unet", model=model, sigma=10 / 255)
    else:
        expected = repair_image(image, "pnp", model=model, psf=gaussian_psf(7, 1.0), sigma=2.55 / 255)
    assert np.abs(read_image(str(target)) - np.clip(expected, 0, 1)).max() <= 0.5 / 255 + 1e-6


def test_restore_one_file_model_refusals(tmp_path, noise_level_model_file, capsys):
    source = tmp_path / "in.png"
    _save_gray(source)
    cases = [
        (["--method", "wavelet", "--model", str(noise_level_model_file)], "--model is only used by --method unet or pnp"),
        (["--method", "pnp", "--scale", "2", "--model", str(tmp_path)], "needs --model to be a .keras file"),
        (["--method", "unet", "--model", str(tmp_path / "missing.keras")], "model must be a .keras file"),
    ]
    for index, (options, message) in enumerate(cases):
        target = tmp_path / f"out{index}.png"
        assert main(["restore", str(source), str(target), *options]) == 2
        assert message in capsys.readouterr().err
        assert not target.exists()


@pytest.mark.parametrize("channels", [1, 3])
def test_transparent_pngs_decoded_in_the_graph_equal_read_image_compositing(tmp_path, channels):
    # RGBA and grey + alpha PNGs are composited inside tf.data; palette, colour-key and
    # EXIF-rotated files go through read_image. Both must give read_composited's pixels.
    from kerasgen.data import image_folder, pipelines

    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (10, 20, 4), np.uint8)
    pixels[0, 0, 3], pixels[0, 1, 3] = 0, 255
    files = {}
    Image.fromarray(pixels, "RGBA").save(files.setdefault("rgba", str(tmp_path / "rgba.png")))
    Image.fromarray(pixels[..., [0, 3]], "LA").save(files.setdefault("la", str(tmp_path / "la.png")))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: read_image turns it upright (20 x 10)
    Image.fromarray(pixels, "RGBA").save(files.setdefault("exif", str(tmp_path / "exif.png")), exif=exif)
    Image.fromarray(pixels[..., :3]).convert("P").save(files.setdefault("palette", str(tmp_path / "p.png")),
                                                       transparency=3)  # fmt: skip
    for name, path in files.items():
        assert image_folder.has_transparency(path), name
        expected = pipelines.read_composited(path, channels)
        dataset = pipelines._decode_files((path,), None, expected.shape[:2], channels)
        np.testing.assert_array_equal(next(iter(dataset)).numpy(), expected.astype(np.float32), err_msg=name)


def test_training_folder_warns_about_the_tiff_files_it_skips(tmp_path):
    from kerasgen.data.image_folder import scan_image_folder

    _save_gray(tmp_path / "a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "b.tif")
    with pytest.warns(UserWarning, match=r"1 TIFF file\(s\) under .* are skipped"):
        info = scan_image_folder(tmp_path)
    assert [os.path.basename(f) for f in info.files] == ["a.png"]


def test_training_folders_follow_linked_sub_folders_once(tmp_path):
    # os.walk skipped linked sub-folders: a class folder that is a link to
    # another disk gave no image, silently (or "no images found").
    from kerasgen.data import load_clean_images, load_dataset
    from kerasgen.data.image_folder import scan_image_folder

    elsewhere = tmp_path / "elsewhere" / "dogs"
    elsewhere.mkdir(parents=True)
    data = tmp_path / "data"
    (data / "cats").mkdir(parents=True)
    for i in range(2):
        _save_gray(data / "cats" / f"{i}.png", seed=i)
        _save_gray(elsewhere / f"{i}.png", seed=10 + i)
    os.symlink(elsewhere, data / "dogs")
    os.symlink(data, data / "cats" / "loop")  # a link back up the tree: read once
    info = scan_image_folder(data)
    assert info.class_names == ("cats", "dogs")
    assert [os.path.relpath(f, data) for f in info.files] == [
        "cats/0.png", "cats/1.png", "dogs/0.png", "dogs/1.png"
    ]
    assert info.labels == (0, 0, 1, 1)
    assert len(load_clean_images(data)) == 4
    assert load_dataset(str(data), batch_size=4, with_labels=True, shuffle=False).cardinality() == 1


def test_train_unet_refuses_validation_images_linked_into_the_data(nested_folders, tmp_path):
    from kerasgen.recipes import train_unet

    validation = tmp_path / "val"
    validation.mkdir()
    _save_gray(validation / "v.png", seed=20)
    os.symlink(validation, nested_folders / "linked")
    with pytest.raises(ValueError, match=r"validation_data must not share images with data.*1 shared.*v\.png"):
        train_unet(str(nested_folders), tmp_path / "run", validation_data=str(validation))
    assert not (tmp_path / "run").exists()
