"""Tests of kerasgen.inference.restore (padding, tiling, validation)."""

import keras
import numpy as np
import pytest

from kerasgen.inference import restore, size_multiple
from kerasgen.models import build_unet


@pytest.fixture(scope="module")
def gray_model():
    keras.utils.set_random_seed(0)
    return build_unet(depth=2, base_filters=4)


@pytest.fixture(scope="module")
def small_field_model():
    # Receptive field radius < overlap / 4 = 8: tiling must be exact.
    keras.utils.set_random_seed(1)
    return build_unet(depth=1, base_filters=4, convs_per_level=1, residual=False)


def _image(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


@pytest.mark.parametrize("shape", [(37, 53), (37, 53, 1), (1, 1), (64, 64)])
def test_restore_keeps_odd_shapes(gray_model, shape):
    restored = restore(_image(shape), gray_model)
    assert restored.shape == shape
    assert restored.dtype == np.float32
    assert restored.min() >= 0.0 and restored.max() <= 1.0


def test_restore_matches_model_on_multiple_sizes(gray_model):
    image = _image((32, 48))
    expected = np.clip(
        gray_model.predict(image[None, ..., None], verbose=0)[0, ..., 0], 0, 1
    )
    np.testing.assert_allclose(restore(image, gray_model), expected, atol=1e-6)


def test_restore_rgb_and_channel_axis():
    model = build_unet((None, None, 3), depth=2, base_filters=4)
    image = _image((21, 30, 3))
    restored = restore(image, model)
    assert restored.shape == (21, 30, 3)
    channels_first = restore(np.moveaxis(image, -1, 0), model, channel_axis=0)
    np.testing.assert_allclose(np.moveaxis(channels_first, 0, -1), restored, atol=1e-6)


def test_tiled_equals_untiled_when_receptive_field_fits(small_field_model):
    image = _image((150, 170))
    whole = restore(image, small_field_model)
    tiled = restore(image, small_field_model, tile=72, overlap=32, batch_size=3)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_tiled_close_to_untiled_for_a_deeper_model(gray_model):
    image = _image((100, 90))
    whole = restore(image, gray_model)
    tiled = restore(image, gray_model, tile=48, overlap=16)
    difference = np.abs(tiled - whole)
    assert difference.max() < 1e-2
    # Away from the seams (tile interiors), results are identical.
    np.testing.assert_allclose(tiled[:20, :20], whole[:20, :20], atol=1e-5)


def test_restore_noise_level_model_uses_sigma():
    model = build_unet(
        depth=2, base_filters=4, noise_level_input=True, pixel_unshuffle=2
    )
    image = _image((20, 28))
    low = restore(image, model, sigma=0.0)
    high = restore(image, model, sigma=0.5)
    assert low.shape == image.shape
    assert np.abs(low - high).max() > 1e-6
    estimated = restore(image, model)  # sigma estimated with skimage
    assert estimated.shape == image.shape
    tiled = restore(image, model, sigma=0.5, tile=24, overlap=4)
    assert tiled.shape == image.shape


def test_restore_in_bfloat16_is_close_to_float32_and_follows_weight_changes():
    model = build_unet(depth=2, base_filters=4, noise_level_input=True)
    image = _image((20, 28))
    exact = restore(image, model, sigma=0.1)
    fast = restore(image, model, sigma=0.1, precision="mixed_bfloat16")
    assert fast.dtype == np.float32 and not np.array_equal(fast, exact)
    np.testing.assert_allclose(fast, exact, atol=0.02)
    rgb = restore(np.stack([image] * 3, -1), model, sigma=0.1, precision="mixed_bfloat16")
    np.testing.assert_allclose(rgb[..., 1], fast, atol=1e-6)  # channel by channel, same copy
    model.set_weights([w * 0.5 for w in model.get_weights()])
    changed = restore(image, model, sigma=0.1, precision="mixed_bfloat16")
    np.testing.assert_allclose(changed, restore(image, model, sigma=0.1), atol=0.02)
    assert np.abs(changed - fast).max() > 0.05


def test_restore_fixed_size_model_runs_by_tiles():
    model = build_unet((32, 32, 1), depth=2, base_filters=4)
    image = _image((37, 53))
    assert restore(image, model, overlap=8).shape == (37, 53)
    with pytest.raises(ValueError, match="tiles must be 32 pixels"):
        restore(image, model, tile=48, overlap=8)


def test_size_multiple_prefers_model_attribute(gray_model):
    assert size_multiple(gray_model) == 4
    model = build_unet(depth=2, base_filters=4, downsampling="max_pool")
    assert size_multiple(model) == 4
    model.size_multiple = 16
    assert size_multiple(model) == 16


@pytest.mark.parametrize(
    "image, kwargs, match",
    [
        (np.full((8, 8), np.nan, "float32"), {}, "NaN"),
        (np.zeros((8, 8), "uint8"), {}, "float array"),
        (np.zeros((1, 8, 8, 1), "float32"), {}, r"shape \(H, W\) or \(H, W, C\)"),
        (np.zeros((0, 8), "float32"), {}, "no empty axis"),
        (
            np.zeros((8, 8), "float32"),
            {"tile": 64, "overlap": 32},
            "larger than 2 \\* overlap",
        ),
        (np.zeros((8, 8), "float32"), {"overlap": -1}, "overlap must be >= 0"),
        (np.zeros((8, 8), "float32"), {"batch_size": 0}, "batch_size"),
        (
            np.zeros((8, 8), "float32"),
            {"sigma": 0.1},
            "only for models with a noise-level input",
        ),
        (np.zeros((8, 8, 1), "float32"), {"channel_axis": 5}, "channel_axis"),
        (np.zeros((8, 8), "float32"), {"precision": "bfloat16"}, "precision must be one of"),
    ],
)
def test_restore_invalid_inputs_raise(gray_model, image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        restore(image, gray_model, **kwargs)


def test_restore_two_channel_image_into_rgb_model_raises():
    # Grey into RGB and RGB into grey are dispatched (test_denoisers_v2.py).
    model = build_unet((None, None, 3), depth=1, base_filters=2)
    with pytest.raises(ValueError, match=r"3 channel\(s\)"):
        restore(np.zeros((8, 8, 2), "float32"), model)


def test_restore_invalid_sigma_and_types_raise():
    model = build_unet(depth=1, base_filters=2, noise_level_input=True)
    with pytest.raises(ValueError, match="sigma must be a finite float >= 0"):
        restore(np.zeros((8, 8), "float32"), model, sigma=-0.1)
    with pytest.raises(TypeError, match="image must be a numpy array"):
        restore([[0.0]], model, sigma=0.1)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        restore(np.zeros((8, 8), "float32"), "unet")


def test_restore_refuses_an_estimated_sigma_that_is_not_valid(monkeypatch):
    # e.g. NaN from an estimator on a degenerate image: never fed to the model.
    import kerasgen.restoration.noise_level as noise_level

    monkeypatch.setattr(noise_level, "estimate", lambda *args, **kwargs: float("nan"))
    model = build_unet(depth=1, base_filters=2, noise_level_input=True)
    with pytest.raises(ValueError, match=r"estimated from the image \(sigma=None\).*finite.*Pass the noise level with sigma="):
        restore(np.zeros((16, 16), "float32"), model)


@pytest.mark.parametrize(
    "shape, kwargs, match",
    [
        ((3, 16, 16), {}, "For a channels-first array pass channel_axis=0"),
        ((16, 16, 4), {}, "Drop or composite the alpha channel"),
        ((4, 16, 16), {"channel_axis": 0}, "Drop or composite the alpha channel"),
        ((16, 16, 2), {}, "its channel axis has 2 channels"),
    ],
)
def test_restore_refuses_other_channel_counts_for_a_grey_model(gray_model, shape, kwargs, match):
    # Not restored channel by channel (the alpha channel "denoised", a
    # channels-first array run as 3-pixel-high images).
    with pytest.raises(ValueError, match=match):
        restore(_image(shape), gray_model, **kwargs)


def test_restore_fixed_size_model_lowers_the_default_overlap():
    model = build_unet((32, 32, 1), depth=1, base_filters=2)
    image = _image((33, 40))
    np.testing.assert_array_equal(restore(image, model), restore(image, model, overlap=15))
    with pytest.raises(ValueError, match="larger than 2 \\* overlap"):
        restore(image, model, overlap=16)  # given, so not lowered
    # The same default through repair_image and the folder restorer.
    from kerasgen.batch._learned import LearnedRestorer
    from kerasgen.restoration import repair_image

    expected = restore(image, model)
    np.testing.assert_array_equal(repair_image(image, "unet", model=model), expected)
    np.testing.assert_array_equal(LearnedRestorer(model).restore_batch([image])[0], expected)


def test_restore_pads_a_single_row_by_reflecting_along_its_width():
    # Per axis, as the exported serving graph pads (reflect_pad_to_multiple).
    from kerasgen.inference import _reflect_pad

    row = np.arange(5, dtype="float32").reshape(1, 5, 1)
    np.testing.assert_array_equal(_reflect_pad(row, (3, 3))[..., 0], [[0, 1, 2, 3, 4, 3, 2, 1]] * 4)
    np.testing.assert_array_equal(_reflect_pad(row.transpose(1, 0, 2), (3, 3))[:, :, 0].T, [[0, 1, 2, 3, 4, 3, 2, 1]] * 4)


@pytest.mark.parametrize("shape", [(32, 32), (3, 3), (64, 64, 3)])
def test_restore_black_image_with_estimated_sigma_is_finite_without_warnings(shape):
    # The estimate was NaN for small black images (an all-NaN result), with
    # skimage's misleading "color image" warning for tiny grey ones.
    import warnings

    model = build_unet((None, None, shape[-1] if len(shape) == 3 else 1), depth=1, base_filters=2,
                       noise_level_input=True)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = restore(np.zeros(shape, "float32"), model)
    assert restored.shape == shape and np.isfinite(restored).all()
