"""Noise-level-aware denoisers: residual U-Net, sigma input, channel dispatch."""

import keras
import numpy as np
import pytest
from skimage import data

from kerasgen.inference import restore
from kerasgen.models import build_unet
from kerasgen.restoration import estimate_noise_sigma


def _noisy(shape, sigma=0.1, seed=0):
    rng = np.random.default_rng(seed)
    clean = data.camera()[: shape[0], : shape[1]] / 255.0
    if len(shape) == 3:
        clean = np.stack([clean, clean[::-1], clean[:, ::-1]], axis=-1)
    return (clean + sigma * rng.standard_normal(clean.shape)).astype("float32")


@pytest.fixture(scope="module")
def gray_sigma_model():
    keras.utils.set_random_seed(0)
    return build_unet(depth=2, base_filters=4, noise_level_input=True, block="residual")


@pytest.fixture(scope="module")
def color_sigma_model():
    keras.utils.set_random_seed(1)
    return build_unet(
        (None, None, 3), depth=2, base_filters=4, noise_level_input=True
    )


# ---------------------------------------------------------------- builder


def test_residual_block_unet_shapes_and_bias_free():
    model = build_unet(
        (None, None, 3),
        depth=3,
        base_filters=8,
        block="residual",
        use_bias=False,
        noise_level_input=True,
    )
    assert [tuple(x.shape) for x in model.inputs] == [(None, None, None, 3), (None, 1)]
    assert not any("bias" in w.path for w in model.weights)
    out = model([np.zeros((2, 32, 48, 3), "float32"), np.full((2, 1), 0.1, "float32")])
    assert tuple(out.shape) == (2, 32, 48, 3)
    # Additive skips: no Concatenate except the noise-level map's.
    concats = [l.name for l in model.layers if isinstance(l, keras.layers.Concatenate)]
    assert concats == ["concat_noise_level"]


def test_residual_block_unet_config_round_trip():
    model = build_unet(depth=2, base_filters=4, block="residual", use_bias=False)
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((1, 16, 16, 1)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), clone.predict(x, verbose=0))


def test_bias_free_residual_unet_is_scale_equivariant_without_sigma():
    # Bias-free + ReLU networks are positively homogeneous: f(a x) = a f(x).
    model = build_unet(depth=2, base_filters=4, block="residual", use_bias=False)
    x = np.random.default_rng(0).random((1, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(
        model.predict(3 * x, verbose=0), 3 * model.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"block": "dense"}, r"block must be one of \('plain', 'residual'\). Received: block='dense'"),
        ({"use_bias": 1}, "use_bias must be a bool. Received: use_bias=1"),
    ],
)
def test_builder_rejects_bad_block_options(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build_unet(depth=2, base_filters=4, **kwargs)


# ---------------------------------------------------------------- sigma input


def test_given_sigma_changes_the_result_and_none_uses_the_estimate(gray_sigma_model):
    noisy = _noisy((40, 56), sigma=0.1)
    estimated = estimate_noise_sigma(noisy)
    np.testing.assert_array_equal(
        restore(noisy, gray_sigma_model), restore(noisy, gray_sigma_model, sigma=estimated)
    )
    low = restore(noisy, gray_sigma_model, sigma=0.01)
    high = restore(noisy, gray_sigma_model, sigma=0.3)
    assert np.abs(low - high).max() > 1e-4


def test_sigma_reaches_the_model_as_its_second_input(gray_sigma_model):
    noisy = _noisy((32, 32), sigma=0.05)
    expected = gray_sigma_model.predict(
        [noisy[None, ..., None], np.array([[0.2]], "float32")], verbose=0
    )[0, ..., 0]
    np.testing.assert_allclose(
        restore(noisy, gray_sigma_model, sigma=0.2), np.clip(expected, 0, 1), atol=1e-6
    )


@pytest.mark.parametrize(
    "sigma, match",
    [
        (-0.1, r"sigma must be a finite float >= 0 .* Received: sigma=-0.1"),
        (25, r"sigma must be in \[0, 1\] .*divide 8-bit grey levels by 255.* Received: sigma=25"),
        (float("nan"), "Received: sigma=nan"),
        ("0.1", "Received: sigma='0.1'"),
    ],
)
def test_bad_sigma_is_refused(gray_sigma_model, sigma, match):
    with pytest.raises(ValueError, match=match):
        restore(_noisy((16, 16)), gray_sigma_model, sigma=sigma)


def test_sigma_for_a_blind_model_is_refused():
    blind = build_unet(depth=1, base_filters=2)
    with pytest.raises(ValueError, match="sigma is only for models with a noise-level input"):
        restore(_noisy((16, 16)), blind, sigma=0.1)


# ---------------------------------------------------------------- channels


def test_gray_image_through_a_color_model_is_the_mean_of_equal_channels(color_sigma_model):
    gray = _noisy((24, 40), sigma=0.05)
    out = restore(gray, color_sigma_model, sigma=0.05)
    assert out.shape == gray.shape
    as_rgb = restore(np.repeat(gray[..., None], 3, axis=-1), color_sigma_model, sigma=0.05)
    np.testing.assert_allclose(out, as_rgb.mean(axis=-1), atol=1e-6)
    # Also (H, W, 1) stays (H, W, 1).
    assert restore(gray[..., None], color_sigma_model, sigma=0.05).shape == (24, 40, 1)


def test_color_image_through_a_gray_model_is_restored_per_channel(gray_sigma_model):
    rgb = _noisy((24, 40, 3), sigma=0.08)
    out = restore(rgb, gray_sigma_model)
    assert out.shape == rgb.shape
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], restore(rgb[..., c], gray_sigma_model))
    # channels-first input keeps its layout.
    first = restore(np.moveaxis(rgb, -1, 0), gray_sigma_model, channel_axis=0)
    np.testing.assert_array_equal(first, np.moveaxis(out, -1, 0))


def test_other_channel_mismatches_are_refused(color_sigma_model):
    with pytest.raises(ValueError, match=r"expects images with 3 channel\(s\). Received: image.shape=\(8, 8, 2\)"):
        restore(np.zeros((8, 8, 2), "float32"), color_sigma_model, sigma=0.1)


def test_load_denoiser_rejects_other_channel_counts():
    from kerasgen.pretrained import load_denoiser

    with pytest.raises(ValueError, match=r"channels must be one of \[1, 3\]. Received: channels=2"):
        load_denoiser(2)


# ---------------------------------------------------------------- shipped


def test_shipped_gray_denoiser_takes_sigma_and_beats_the_noise():
    from kerasgen.pretrained import load_denoiser

    model = load_denoiser(1)
    assert [x.name for x in model.inputs] == ["images", "noise_sigma"]
    assert load_denoiser(1) is model  # cached
    clean = data.camera()[128:256, 128:256] / 255.0
    noisy = (clean + 25 / 255 * np.random.default_rng(0).standard_normal(clean.shape)).astype("float32")
    blind = restore(noisy)
    told = restore(noisy, sigma=25 / 255)
    from skimage.metrics import peak_signal_noise_ratio as psnr

    base = psnr(clean, noisy, data_range=1)
    assert psnr(clean, blind, data_range=1) > base + 8
    assert psnr(clean, told, data_range=1) > base + 8
    # More sigma -> smoother output (lower total variation).
    tv = lambda a: np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean()  # noqa: E731
    assert tv(restore(noisy, sigma=50 / 255)) < tv(told) < tv(restore(noisy, sigma=5 / 255))


def test_cli_restore_unet_with_sigma(tmp_path, capsys):
    from PIL import Image

    from kerasgen.cli import main

    clean = data.camera()[:96, :128]
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 20, clean.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(tmp_path / "noisy.png")
    out = tmp_path / "out.png"
    assert main(["restore", str(tmp_path / "noisy.png"), str(out), "--method", "unet", "--sigma", "20"]) == 0
    restored = np.asarray(Image.open(out), dtype=np.float64)
    assert np.abs(restored - clean).mean() < np.abs(noisy.astype(np.float64) - clean).mean() / 2


def test_shipped_color_denoiser_is_picked_for_rgb_and_beats_per_channel_gray():
    from skimage.metrics import peak_signal_noise_ratio as psnr

    from kerasgen.pretrained import load_denoiser
    from kerasgen.restoration import repair_image

    color = load_denoiser(3)
    assert color.inputs[0].shape[-1] == 3 and color.name != load_denoiser(1).name
    clean = data.astronaut()[100:228, 180:308] / 255.0
    noisy = (clean + 25 / 255 * np.random.default_rng(0).standard_normal(clean.shape)).astype("float32")
    default = restore(noisy, sigma=25 / 255)
    np.testing.assert_array_equal(default, restore(noisy, color, sigma=25 / 255))
    np.testing.assert_array_equal(repair_image(noisy, "unet", sigma=25 / 255), default)
    per_channel = restore(noisy, load_denoiser(1), sigma=25 / 255)
    # The colour model uses the correlation between channels.
    assert psnr(clean, default, data_range=1) > psnr(clean, per_channel, data_range=1) + 0.3
    assert psnr(clean, default, data_range=1) > psnr(clean, noisy, data_range=1) + 8


def test_cli_compare_colour_image_with_unet(tmp_path, capsys):
    from kerasgen.cli import main

    assert main(["compare", "--image", "astronaut", "--methods", "unet,wavelet", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in printed.splitlines() if line.split()}
    assert float(rows["unet"][1]) > float(rows["wavelet"][1]) + 2 > float(rows["degraded"][1]) + 2


# ---------------------------------------------------------------- self-ensemble


def test_self_ensemble_is_the_mean_of_the_transformed_runs(gray_sigma_model):
    from kerasgen._symmetry import flip_rotate

    noisy = _noisy((40, 56))
    runs = [
        flip_rotate(
            restore(flip_rotate(noisy, k), gray_sigma_model, sigma=0.1), k, inverse=True
        )
        for k in range(8)
    ]
    # Single runs are clipped by restore; the ensemble clips the mean of unclipped runs,
    # so compare where no single run was clipped.
    inside = np.all([(r > 0) & (r < 1) for r in runs], axis=0)
    ensemble = restore(noisy, gray_sigma_model, sigma=0.1, self_ensemble=8)
    np.testing.assert_allclose(ensemble[inside], np.mean(runs, axis=0)[inside], atol=1e-5)
    four = restore(noisy, gray_sigma_model, sigma=0.1, self_ensemble=4)
    expected = np.mean([runs[k] for k in (0, 2, 5, 7)], axis=0)
    np.testing.assert_allclose(four[inside], expected[inside], atol=1e-5)
    assert not np.allclose(ensemble, runs[0], atol=1e-4)  # the transforms do change the runs


def test_self_ensemble_keeps_shape_and_channel_axis(color_sigma_model):
    noisy = np.moveaxis(_noisy((33, 47, 3)), -1, 0)
    out = restore(noisy, color_sigma_model, sigma=0.1, self_ensemble=2, channel_axis=0, tile=32, overlap=8)
    assert out.shape == (3, 33, 47) and out.dtype == np.float32


@pytest.mark.parametrize("value", [0, 3, True, 2.0 + 0.5, "8"])
def test_bad_self_ensemble_is_refused(gray_sigma_model, value):
    with pytest.raises(ValueError, match=r"self_ensemble must be one of \[1, 2, 4, 8\].*Received: self_ensemble="):
        restore(_noisy((32, 32)), gray_sigma_model, sigma=0.1, self_ensemble=value)


def test_shipped_denoiser_self_ensemble_improves_psnr():
    from skimage.metrics import peak_signal_noise_ratio as psnr

    clean = data.camera()[64:192, 64:224] / 255.0
    noisy = (clean + 15 / 255 * np.random.default_rng(3).standard_normal(clean.shape)).astype("float32")
    single = psnr(clean, restore(noisy, sigma=15 / 255), data_range=1)
    eight = psnr(clean, restore(noisy, sigma=15 / 255, self_ensemble=8), data_range=1)
    assert eight > single + 0.03


def test_repair_image_and_cli_pass_self_ensemble(gray_sigma_model, tmp_path):
    from kerasgen.cli import main
    from kerasgen.restoration import read_image, repair_image, save_image

    noisy = np.clip(_noisy((40, 48)), 0, 1)
    expected = restore(noisy, gray_sigma_model, sigma=0.1, self_ensemble=4)
    got = repair_image(noisy, "unet", model=gray_sigma_model, sigma=0.1, self_ensemble=4)
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="takes no extra keyword arguments but self_ensemble"):
        repair_image(noisy, "unet", model=gray_sigma_model, strength=2)

    save_image(tmp_path / "noisy.png", noisy)
    out1, out8 = tmp_path / "one.png", tmp_path / "eight.png"
    assert main(["restore", str(tmp_path / "noisy.png"), str(out1), "--method", "unet", "--sigma", "15"]) == 0
    assert main(["restore", str(tmp_path / "noisy.png"), str(out8), "--method", "unet", "--sigma", "15",
                 "--self-ensemble", "8"]) == 0  # fmt: skip
    eight = restore(read_image(tmp_path / "noisy.png"), sigma=15 / 255, self_ensemble=8)
    assert np.abs(read_image(out8) - eight).max() <= 0.5 / 255 + 1e-6
    assert not np.array_equal(read_image(out1), read_image(out8))
