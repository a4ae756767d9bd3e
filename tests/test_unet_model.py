"""Tests of the U-Net builder and the pixel (un)shuffle layers."""

import keras
import numpy as np
import pytest

from kerasgen.inference import size_multiple
from kerasgen.layers import PixelShuffle, PixelUnshuffle
from kerasgen.models import build_unet
from kerasgen.models.unet import NoiseLevelMap


def _images(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"depth": 1, "channels": 1},
        {"depth": 2, "channels": 3, "residual": False},
        {"depth": 3, "channels": 1, "pixel_unshuffle": 2},
        {"depth": 2, "channels": 3, "noise_level_input": True, "pixel_unshuffle": 2},
        {
            "depth": 2,
            "channels": 1,
            "downsampling": "max_pool",
            "upsampling": "bilinear",
        },
        {"depth": 2, "channels": 1, "convs_per_level": 1},
    ],
)
def test_unet_builds_and_keeps_image_shape(kwargs):
    kwargs = dict(kwargs)
    channels = kwargs.pop("channels")
    model = build_unet((None, None, channels), base_filters=4, **kwargs)
    images = _images((2, 32, 48, channels))
    inputs = images
    if kwargs.get("noise_level_input"):
        inputs = [images, np.array([[0.1], [0.2]], "float32")]
        assert [x.name for x in model.inputs] == ["images", "noise_sigma"]
    else:
        assert [x.name for x in model.inputs] == ["images"]
    outputs = model(inputs)
    assert tuple(outputs.shape) == images.shape
    assert outputs.dtype == "float32"
    assert model.layers[-1].name == "restored"
    expected = 2 ** kwargs["depth"] * kwargs.get("pixel_unshuffle", 1)
    assert size_multiple(model) == expected


def test_unet_known_image_shape_sets_input_shape():
    model = build_unet((32, 64, 3), depth=3, base_filters=4)
    assert model.input_shape == (None, 32, 64, 3)
    assert model.output_shape == (None, 32, 64, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"image_shape": (30, 32, 1), "depth": 3},
            r"height must be divisible by 2\*\*depth",
        ),
        (
            {"image_shape": (32, 36, 1), "depth": 2, "pixel_unshuffle": 2},
            r"width .* = 8",
        ),
        ({"depth": 0}, "depth must be a positive int"),
        ({"base_filters": 0}, "base_filters must be a positive int"),
        ({"convs_per_level": 0}, "convs_per_level"),
        ({"pixel_unshuffle": 1.5}, "pixel_unshuffle"),
        ({"image_shape": (None, None, 0)}, "channels a positive int"),
        ({"image_shape": (None, None, None)}, "channels a positive int"),
        ({"image_shape": (32, 32)}, "image_shape must be a tuple"),
        ({"downsampling": "stride"}, "downsampling must be one of"),
        ({"upsampling": "nearest"}, "upsampling must be one of"),
        ({"name": ""}, "name must be a non-empty str"),
    ],
)
def test_unet_invalid_arguments_raise(kwargs, match):
    # TypeError for a wrong type (pixel_unshuffle=1.5), ValueError for a bad value.
    with pytest.raises((TypeError, ValueError), match=match):
        build_unet(**{"base_filters": 4, **kwargs})


def test_unet_non_bool_flags_raise():
    with pytest.raises(TypeError, match="residual must be a bool"):
        build_unet(residual="yes")
    with pytest.raises(TypeError, match="noise_level_input must be a bool"):
        build_unet(noise_level_input=1)


def test_residual_unet_with_zero_head_is_identity():
    model = build_unet(depth=2, base_filters=4, pixel_unshuffle=2)
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    images = _images((1, 16, 24, 1))
    np.testing.assert_allclose(model(images), images, atol=1e-7)


def test_noise_level_changes_the_output():
    model = build_unet(depth=2, base_filters=4, noise_level_input=True)
    images = _images((1, 16, 16, 1))
    low = model([images, np.array([[0.0]], "float32")])
    high = model([images, np.array([[0.5]], "float32")])
    assert np.abs(np.asarray(low) - np.asarray(high)).max() > 1e-6


def test_noise_level_map_broadcasts_one_value_per_image():
    sigma = np.array([[0.1], [0.3]], "float32")
    noise_map = np.asarray(NoiseLevelMap()([np.zeros((2, 3, 5, 4), "float32"), sigma]))
    assert noise_map.shape == (2, 3, 5, 1)
    np.testing.assert_allclose(noise_map[0], 0.1)
    np.testing.assert_allclose(noise_map[1], 0.3)


def test_unet_save_load_round_trip_is_exact(tmp_path):
    model = build_unet(
        (None, None, 3),
        depth=2,
        base_filters=4,
        noise_level_input=True,
        pixel_unshuffle=2,
    )
    images = _images((2, 16, 24, 3))
    sigma = np.array([[0.05], [0.2]], "float32")
    expected = model.predict([images, sigma], verbose=0)
    path = tmp_path / "unet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict([images, sigma], verbose=0), expected)
    assert size_multiple(loaded) == 8


def test_unet_output_is_float32_under_mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build_unet(
            depth=2, base_filters=4, noise_level_input=True, pixel_unshuffle=2
        )
        outputs = model([_images((1, 16, 16, 1)), np.array([[0.1]], "float32")])
    finally:
        keras.config.set_dtype_policy(previous)
    assert outputs.dtype == "float32"


def test_pixel_shuffle_inverts_pixel_unshuffle():
    images = _images((2, 8, 12, 3))
    small = PixelUnshuffle(2)(images)
    assert tuple(small.shape) == (2, 4, 6, 12)
    np.testing.assert_array_equal(PixelShuffle(2)(small), images)
    assert PixelUnshuffle(2).compute_output_shape((None, None, 12, 3)) == (
        None,
        None,
        6,
        12,
    )


def test_pixel_shuffle_layers_config_round_trip():
    for cls in (PixelShuffle, PixelUnshuffle):
        layer = cls(3, name="p")
        clone = cls.from_config(layer.get_config())
        assert clone.block_size == 3 and clone.name == "p"


def test_pixel_shuffle_layers_validate():
    with pytest.raises(ValueError, match="block_size must be an int >= 1"):
        PixelUnshuffle(0)
    with pytest.raises(ValueError, match="divisible by block_size"):
        PixelShuffle(2)(np.zeros((1, 2, 2, 3), "float32"))


@pytest.mark.parametrize("block", ["plain", "residual"])
def test_a_size_that_is_not_a_multiple_is_refused_clearly(block):
    import tensorflow as tf

    model = build_unet(depth=2, base_filters=4, pixel_unshuffle=2, noise_level_input=True, block=block)
    sigma = np.array([[0.1]], "float32")
    assert model.predict([np.zeros((1, 16, 24, 1), "float32"), sigma], verbose=0).shape == (1, 16, 24, 1)
    # Without the check this failed deep inside with "ConcatOp : Dimension 1 in both shapes must be equal".
    message = r"multiples of 8 \(kerasgen.inference.restore pads other sizes\). Received: images of shape"
    # A shape known when traced (eager call, first predict on it): ValueError.
    with pytest.raises(ValueError, match=message + r" \(1, 16, 20, 1\)"):
        model([np.zeros((1, 16, 20, 1), "float32"), sigma])
    fresh = keras.models.clone_model(model)
    with pytest.raises(ValueError, match=message + r" \(1, 17, 24, 1\)"):
        fresh.predict([np.zeros((1, 17, 24, 1), "float32"), sigma], verbose=0)
    # A size only known when the graph runs (a function traced for any size).
    run = tf.function(
        lambda images, noise: model([images, noise]),
        input_signature=[tf.TensorSpec((None, None, None, 1)), tf.TensorSpec((None, 1))],
    )
    assert run(np.zeros((1, 16, 24, 1), "float32"), sigma).shape == (1, 16, 24, 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        run(np.zeros((1, 17, 24, 1), "float32"), sigma)
    # A model of known size needs no check (its input shape already refuses).
    fixed = build_unet((16, 16, 1), depth=2, base_filters=4)
    assert "size_check" not in [layer.name for layer in fixed.layers]


def test_size_multiple_check_round_trips_its_config():
    from kerasgen.layers import SizeMultipleCheck

    layer = SizeMultipleCheck(16, name="check")
    clone = SizeMultipleCheck.from_config(layer.get_config())
    assert (clone.multiple, clone.name, clone.dtype_policy.name) == (16, "check", "float32")
    with pytest.raises(ValueError, match="multiple"):
        SizeMultipleCheck(0)
