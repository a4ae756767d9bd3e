"""One contract for every builder in `kerasgen.models` (keras-hub's model test idea).

Each public ``build_*`` has at least one entry in ``SAMPLES`` (so a new builder
cannot skip the contract), and every entry passes the same checks: the config
rebuilds the same model (same config, same outputs with the same weights), a
saved and reloaded model gives equal outputs, ``predict`` equals a direct call,
and under ``mixed_bfloat16`` the model computes inside in bfloat16 but returns
float32 outputs close to the float32 model's with the same weights.
"""

import copy

import keras
import numpy as np
import pytest

from kerasgen import models
from kerasgen.precision import precision_scope

RNG = np.random.default_rng(0)
IMAGES = RNG.random((2, 8, 8, 1)).astype("float32")
LABELS = np.array([[0], [2]], "int32")

# name -> (builder call, sample inputs)
SAMPLES = {
    "build_generator": (
        lambda: models.build_generator(latent_dim=4, image_shape=(8, 8, 1), base_filters=4),
        RNG.normal(size=(2, 4)).astype("float32"),
    ),
    "build_generator conditional": (
        lambda: models.build_generator(latent_dim=4, image_shape=(8, 8, 1), base_filters=4, num_classes=3),
        [RNG.normal(size=(2, 4)).astype("float32"), LABELS],
    ),
    "build_discriminator": (
        lambda: models.build_discriminator(image_shape=(8, 8, 1), base_filters=4, dropout=0.0),
        IMAGES * 2 - 1,
    ),
    "build_discriminator conditional": (
        lambda: models.build_discriminator(image_shape=(8, 8, 1), base_filters=4, num_classes=3, dropout=0.0),
        [IMAGES * 2 - 1, LABELS],
    ),
    "build_encoder": (
        lambda: models.build_encoder(image_shape=(8, 8, 1), latent_dim=2, base_filters=4, seed=0),
        IMAGES,
    ),
    "build_decoder": (
        lambda: models.build_decoder(latent_dim=2, image_shape=(8, 8, 1), base_filters=4),
        RNG.normal(size=(2, 2)).astype("float32"),
    ),
    "build_unet": (lambda: models.build_unet(depth=2, base_filters=4), RNG.random((2, 16, 16, 1)).astype("float32")),
    "build_unet noise level": (
        lambda: models.build_unet(
            image_shape=(None, None, 3), depth=2, base_filters=4, noise_level_input=True, pixel_unshuffle=2
        ),
        [RNG.random((2, 32, 32, 3)).astype("float32"), np.array([[0.1], [0.2]], "float32")],
    ),
}


def _outputs(model, inputs):
    return [keras.ops.convert_to_numpy(x) for x in keras.tree.flatten(model(inputs, training=False))]


def test_every_builder_has_a_contract_sample():
    builders = {name for name in models.__all__ if name.startswith("build_")}
    assert builders == {key.split()[0] for key in SAMPLES}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_config_rebuilds_the_same_model(name):
    build, inputs = SAMPLES[name]
    model = build()
    config = model.get_config()
    clone = keras.Model.from_config(copy.deepcopy(config))  # Keras empties nested configs it reads
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    for got, want in zip(_outputs(clone, inputs), _outputs(model, inputs)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_saved_and_reloaded_model_gives_equal_outputs(name, tmp_path):
    build, inputs = SAMPLES[name]
    model = build()
    path = str(tmp_path / "model.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    for got, want in zip(_outputs(reloaded, inputs), _outputs(model, inputs)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_predict_equals_a_direct_call(name):
    build, inputs = SAMPLES[name]
    model = build()
    predicted = keras.tree.flatten(model.predict(inputs, verbose=0))
    direct = _outputs(model, inputs)
    if name == "build_encoder":  # z is a fresh random draw on every call: compare z_mean, z_log_var
        predicted, direct = predicted[:2], direct[:2]
    for got, want in zip(predicted, direct):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_mixed_bfloat16_computes_in_bfloat16_and_returns_float32(name):
    build, inputs = SAMPLES[name]
    reference = build()
    with precision_scope("mixed_bfloat16"):
        model = build()
    assert any(layer.compute_dtype == "bfloat16" for layer in model.layers)
    model.set_weights(reference.get_weights())
    for got, want in zip(_outputs(model, inputs), _outputs(reference, inputs)):
        assert got.dtype == np.float32
        # bfloat16 keeps 8 bits of mantissa; a few layers of rounding stay within a few percent.
        np.testing.assert_allclose(got, want, rtol=0.1, atol=0.1)
