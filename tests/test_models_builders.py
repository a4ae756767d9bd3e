"""Tests for the DCGAN and VAE builders in kerasgen.models."""

import keras
import numpy as np
import pytest

from kerasgen.models import (
    build_decoder,
    build_discriminator,
    build_encoder,
    build_generator,
)

SHAPES = [(28, 28, 1), (32, 32, 3), (64, 64, 3), (16, 24, 1)]
F = 4  # tiny base_filters for speed


@pytest.fixture
def mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _latent(batch, latent_dim, seed=0):
    return (
        np.random.default_rng(seed).normal(size=(batch, latent_dim)).astype("float32")
    )


def _images(batch, shape, low=-1.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, 1.0, size=(batch, *shape)).astype("float32")


# ----------------------------------------------------------------- shapes
@pytest.mark.parametrize("shape", SHAPES)
def test_generator_and_discriminator_shapes(shape):
    g = build_generator(latent_dim=8, image_shape=shape, base_filters=F)
    d = build_discriminator(image_shape=shape, base_filters=F)
    assert g.output_shape == (None, *shape)
    assert d.output_shape == (None, 1)
    images = g(_latent(2, 8), training=False)
    assert tuple(images.shape) == (2, *shape)
    assert tuple(d(images, training=False).shape) == (2, 1)


@pytest.mark.parametrize("shape", SHAPES)
def test_encoder_and_decoder_shapes(shape):
    e = build_encoder(image_shape=shape, latent_dim=3, base_filters=F)
    dec = build_decoder(latent_dim=3, image_shape=shape, base_filters=F)
    outputs = e(_images(2, shape, low=0.0))
    assert len(outputs) == 3
    assert [tuple(t.shape) for t in outputs] == [(2, 3)] * 3
    assert dec.output_shape == (None, *shape)
    assert tuple(dec(outputs[2]).shape) == (2, *shape)


@pytest.mark.parametrize(
    "shape, grid",
    [
        ((28, 28, 1), (7, 7)),
        ((32, 32, 3), (4, 4)),
        ((64, 64, 3), (4, 4)),
        ((48, 32, 1), (6, 4)),
        ((56, 40, 1), (7, 5)),
        ((30, 30, 1), (15, 15)),
    ],
)
def test_generator_start_grid_follows_image_shape(shape, grid):
    g = build_generator(latent_dim=4, image_shape=shape, base_filters=F)
    assert g.get_layer("reshape").output.shape[1:3] == grid
    dec = build_decoder(latent_dim=4, image_shape=shape, base_filters=F)
    assert dec.get_layer("reshape").output.shape[1:3] == grid


def test_io_names():
    g = build_generator(latent_dim=4, image_shape=(8, 8, 1), base_filters=F)
    assert [t.name for t in g.inputs] == ["latent"]
    assert g.output_names == ["images"]
    d = build_discriminator(image_shape=(8, 8, 1), base_filters=F, num_classes=3)
    assert [t.name for t in d.inputs] == ["images", "labels"]
    assert d.output_names == ["logits"]
    e = build_encoder(image_shape=(8, 8, 1), base_filters=F)
    assert e.output_names == ["z_mean", "z_log_var", "z"]


# ----------------------------------------------------------------- ranges
def test_generator_output_in_tanh_range_and_float32():
    g = build_generator(latent_dim=8, image_shape=(16, 16, 3), base_filters=F)
    # Large latents push the pre-activation far out: tanh must still bound it.
    images = keras.ops.convert_to_numpy(g(100 * _latent(4, 8), training=False))
    assert images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.std() > 0


def test_discriminator_returns_unbounded_logits():
    d = build_discriminator(image_shape=(16, 16, 1), base_filters=F, dropout=0.0)
    x = _images(16, (16, 16, 1))
    logits = keras.ops.convert_to_numpy(d(x * 50, training=False))
    assert logits.shape == (16, 1) and logits.dtype == np.float32
    # No sigmoid: scaled inputs give logits outside [0, 1], of both signs.
    assert logits.min() < 0 and logits.max() > 0
    assert np.abs(logits).max() > 1


def test_decoder_output_is_probability():
    dec = build_decoder(latent_dim=2, image_shape=(8, 8, 1), base_filters=F)
    out = keras.ops.convert_to_numpy(dec(100 * _latent(4, 2)))
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0


# ----------------------------------------------------------------- conditional
@pytest.mark.parametrize("label_shape", [(4,), (4, 1)])
def test_conditional_generator_depends_on_label(label_shape):
    g = build_generator(
        latent_dim=8, image_shape=(8, 8, 1), base_filters=F, num_classes=5
    )
    assert [t.name for t in g.inputs] == ["latent", "labels"]
    z = _latent(4, 8)
    a = g([z, np.zeros(label_shape, "int32")], training=False)
    b = g([z, np.full(label_shape, 3, "int32")], training=False)
    assert tuple(a.shape) == (4, 8, 8, 1)
    assert not np.allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


@pytest.mark.parametrize("norm", ["layer", "batch", None])
def test_conditional_discriminator_depends_on_label(norm):
    d = build_discriminator(
        image_shape=(8, 8, 3), base_filters=F, num_classes=4, norm=norm
    )
    x = _images(3, (8, 8, 3))
    a = d([x, np.array([0, 0, 0])], training=False)
    b = d([x, np.array([[2], [2], [2]])], training=False)
    assert tuple(a.shape) == (3, 1)
    assert not np.allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_discriminator_norm_layers():
    def layer_types(model):
        return {type(layer).__name__ for layer in model.layers}

    shape = (16, 16, 1)
    assert "LayerNormalization" in layer_types(build_discriminator(shape, F))
    assert "BatchNormalization" in layer_types(
        build_discriminator(shape, F, norm="batch")
    )
    plain = layer_types(build_discriminator(shape, F, norm=None, dropout=0.0))
    assert not plain & {"LayerNormalization", "BatchNormalization", "Dropout"}


# ----------------------------------------------------------------- sampling
def test_encoder_sampling_is_seeded():
    shape = (8, 8, 1)
    x = _images(2, shape, low=0.0)
    a = build_encoder(image_shape=shape, base_filters=F, seed=7)
    b = build_encoder(image_shape=shape, base_filters=F, seed=7)
    c = build_encoder(image_shape=shape, base_filters=F, seed=8)
    b.set_weights(a.get_weights())
    c.set_weights(a.get_weights())
    za = keras.ops.convert_to_numpy(a(x)[2])
    zb = keras.ops.convert_to_numpy(b(x)[2])
    zc = keras.ops.convert_to_numpy(c(x)[2])
    np.testing.assert_array_equal(za, zb)
    assert not np.allclose(za, zc)
    # z is a draw around z_mean, not z_mean itself.
    assert not np.allclose(za, keras.ops.convert_to_numpy(a(x)[0]))


# ----------------------------------------------------------------- precision
def test_mixed_float16_outputs_are_float32(mixed_precision):
    shape = (8, 8, 1)
    g = build_generator(latent_dim=4, image_shape=shape, base_filters=F, num_classes=3)
    d = build_discriminator(image_shape=shape, base_filters=F, num_classes=3)
    e = build_encoder(image_shape=shape, latent_dim=2, base_filters=F, seed=0)
    dec = build_decoder(latent_dim=2, image_shape=shape, base_filters=F)
    labels = keras.ops.convert_to_tensor(np.array([0, 2], "int32"))
    latent = keras.ops.convert_to_tensor(_latent(2, 4))
    images = g([latent, labels], training=False)
    assert images.dtype == "float32"
    assert d([images, labels], training=False).dtype == "float32"
    z_mean, z_log_var, z = e(_images(2, shape, low=0.0))
    assert (z_mean.dtype, z_log_var.dtype, z.dtype) == ("float32",) * 3
    assert dec(z).dtype == "float32"
    assert d.get_layer("down0_conv").compute_dtype == "float16"


def test_mixed_policy_is_restored():
    assert keras.config.dtype_policy().name == "float32"


# ----------------------------------------------------------------- save/load
def test_generator_save_load_round_trip(tmp_path):
    g = build_generator(
        latent_dim=4, image_shape=(8, 8, 1), base_filters=F, num_classes=3
    )
    inputs = [_latent(3, 4), np.array([0, 1, 2])]
    path = tmp_path / "g.keras"
    g.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(g(inputs, training=False)),
        keras.ops.convert_to_numpy(loaded(inputs, training=False)),
    )


def test_encoder_save_load_round_trip(tmp_path):
    e = build_encoder(image_shape=(8, 8, 1), latent_dim=2, base_filters=F, seed=3)
    x = _images(3, (8, 8, 1), low=0.0)
    path = tmp_path / "e.keras"
    e.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_layer("z").seed == 3
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(e(x)[0]), keras.ops.convert_to_numpy(loaded(x)[0])
    )


# ----------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "builder, kwargs, match",
    [
        (
            build_generator,
            {"latent_dim": 0},
            r"latent_dim must be a positive int\. Received: latent_dim=0",
        ),
        (build_generator, {"latent_dim": 2.5}, r"latent_dim must be a positive int"),
        (build_generator, {"latent_dim": True}, r"latent_dim must be a positive int"),
        (
            build_generator,
            {"base_filters": -1},
            r"base_filters must be a positive int\. Received: base_filters=-1",
        ),
        (
            build_generator,
            {"num_classes": 1},
            r"num_classes must be None or an int >= 2\. Received: num_classes=1",
        ),
        (
            build_generator,
            {"image_shape": (28, 28)},
            r"image_shape must be a tuple \(height, width, channels\).*Received: image_shape=\(28, 28\)",
        ),
        (
            build_generator,
            {"image_shape": (None, 28, 1)},
            r"image_shape must be a tuple",
        ),
        (build_generator, {"image_shape": (28, 28, 0)}, r"image_shape must be a tuple"),
        (
            build_generator,
            {"image_shape": (18, 9, 1)},
            r"even and at least 8.*Received: image_shape=\(18, 9, 1\)",
        ),
        (
            build_generator,
            {"image_shape": (6, 6, 1)},
            r"even and at least 8.*Received: image_shape=\(6, 6, 1\)",
        ),
        (build_generator, {"name": ""}, r"name must be a non-empty str"),
        (
            build_discriminator,
            {"dropout": 1.0},
            r"dropout must be a float in \[0, 1\)\. Received: dropout=1\.0",
        ),
        (
            build_discriminator,
            {"dropout": -0.1},
            r"dropout must be a float in \[0, 1\)",
        ),
        (
            build_discriminator,
            {"norm": "group"},
            r"norm must be one of .*Received: norm='group'",
        ),
        (
            build_discriminator,
            {"base_filters": 0},
            r"base_filters must be a positive int",
        ),
        (
            build_discriminator,
            {"num_classes": "10"},
            r"num_classes must be None or an int >= 2",
        ),
        (
            build_discriminator,
            {"image_shape": (27, 27, 1)},
            r"even and at least 8.*Received: image_shape=\(27, 27, 1\)",
        ),
        (build_encoder, {"latent_dim": 0}, r"latent_dim must be a positive int"),
        (
            build_encoder,
            {"seed": 1.5},
            r"seed must be an int or None\. Received: seed=1\.5",
        ),
        (build_encoder, {"image_shape": "28x28"}, r"image_shape must be a tuple"),
        (
            build_decoder,
            {"latent_dim": -2},
            r"latent_dim must be a positive int\. Received: latent_dim=-2",
        ),
        (
            build_decoder,
            {"base_filters": None},
            r"base_filters must be a positive int\. Received: base_filters=None",
        ),
        (
            build_decoder,
            {"image_shape": (8, 7, 1)},
            r"even and at least 8.*Received: image_shape=\(8, 7, 1\)",
        ),
    ],
)
def test_invalid_arguments_raise(builder, kwargs, match):
    # TypeError for a wrong type (2.5, True, None), ValueError for a bad value.
    with pytest.raises((TypeError, ValueError), match=match):
        builder(**kwargs)


@pytest.mark.parametrize("value, error", [("8", TypeError), (2.5, TypeError), (True, TypeError), (0, ValueError)])
def test_one_convention_for_wrong_types_and_bad_values(value, error):
    with pytest.raises(error, match=r"latent_dim must be a positive int\. Received: latent_dim="):
        build_generator(latent_dim=value)


def test_numpy_ints_are_accepted():
    g = build_generator(
        latent_dim=np.int64(4),
        image_shape=(np.int64(8), 8, 1),
        base_filters=np.int32(F),
    )
    assert g.output_shape == (None, 8, 8, 1)


# ------------------------------------------------------------ custom layers


def test_sampling_checks_its_inputs_and_seed():
    from kerasgen.layers import Sampling

    layer = Sampling(seed=np.int64(3))  # numpy ints, as the builders accept
    assert layer.seed == 3 and type(layer.seed) is int
    with pytest.raises(TypeError, match="seed must be an int or None"):
        Sampling(seed=True)
    # Mismatched shapes used to broadcast one eps per row silently.
    with pytest.raises(ValueError, match=r"z_mean and z_log_var of the same shape\. Received: z_mean of shape \(2, 1\), z_log_var of shape \(2, 3\)"):
        layer([np.zeros((2, 1), "float32"), np.zeros((2, 3), "float32")])
    with pytest.raises(ValueError, match="same shape"):
        layer.compute_output_shape([(2, 1), (2, 3)])
    assert layer.compute_output_shape([(None, 3), (2, None)]) == (2, 3)
    with pytest.raises(ValueError, match="same shape"):
        Sampling()([keras.Input((3,)), keras.Input((2,))])


def test_pixel_unshuffle_checks_divisibility_when_built():
    from kerasgen.layers import PixelUnshuffle

    with pytest.raises(ValueError, match=r"divisible by block_size = 2\. Received: input_shape=\(None, 5, 6, 3\)"):
        PixelUnshuffle(2)(keras.Input((5, 6, 3)))
    assert PixelUnshuffle(2)(keras.Input((None, None, 3))).shape == (None, None, None, 12)
    assert PixelUnshuffle(2)(keras.Input((4, 6, 3))).shape == (None, 2, 3, 12)
