"""One contract for every custom layer kerasgen registers (keras-hub's LayerTestCase idea).

Each layer registered under ``kerasgen>`` must have an entry in ``SAMPLES`` (so a
new layer cannot skip the contract) and then passes the same checks: config
round trip, a layer rebuilt from its config computes the same output,
``compute_output_shape`` agrees with the output (eager and symbolic, with a free
batch size), a functional model holding it saves and reloads to equal outputs,
and it runs under the ``mixed_bfloat16`` policy. Registered functions
(metrics, losses) must survive Keras' serialisation round trip.
"""

import keras
import numpy as np
import pytest

import kerasgen  # noqa: F401  (registers every kerasgen object)
from kerasgen.layers import PixelShuffle, PixelUnshuffle, Sampling, SizeMultipleCheck
from kerasgen.models.unet import NoiseLevelMap

RNG = np.random.default_rng(0)


def _array(*shape):
    return RNG.random(shape).astype("float32")


# name -> (factory, list of sample inputs (one array or a list of arrays), expected output shape)
SAMPLES = {
    "Sampling": (lambda: Sampling(seed=3), [_array(2, 3), _array(2, 3) - 1.0], (2, 3)),
    "PixelUnshuffle": (lambda: PixelUnshuffle(block_size=2), _array(2, 4, 6, 3), (2, 2, 3, 12)),
    "PixelShuffle": (lambda: PixelShuffle(block_size=2), _array(2, 2, 3, 8), (2, 4, 6, 2)),
    "SizeMultipleCheck": (lambda: SizeMultipleCheck(4), _array(2, 8, 4, 1), (2, 8, 4, 1)),
    "NoiseLevelMap": (
        lambda: NoiseLevelMap(),
        [_array(2, 4, 6, 3), np.array([[0.1], [0.2]], "float32")],
        (2, 4, 6, 1),
    ),
}


def _registered_layers():
    names = []
    for key, obj in keras.saving.get_custom_objects().items():
        if key.startswith("kerasgen>") and isinstance(obj, type) and issubclass(obj, keras.layers.Layer):
            if not issubclass(obj, keras.Model):
                names.append(key.split(">", 1)[1])
    return sorted(names)


def _symbolic(inputs):
    if isinstance(inputs, list):
        return [keras.Input(x.shape[1:]) for x in inputs]
    return keras.Input(inputs.shape[1:])


def _as_shapes(inputs):
    return [x.shape for x in inputs] if isinstance(inputs, list) else inputs.shape


def test_every_registered_layer_has_a_contract_sample():
    assert _registered_layers() == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_config_round_trip_rebuilds_the_same_layer(name):
    factory, inputs, _ = SAMPLES[name]
    layer = factory()
    expected = keras.ops.convert_to_numpy(layer(inputs))
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    # Also through Keras' generic (de)serialisation, as `load_model` does.
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == config
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(clone(inputs)), expected)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_output_shape_matches_compute_output_shape(name):
    factory, inputs, shape = SAMPLES[name]
    layer = factory()
    out = layer(inputs)
    assert tuple(out.shape) == shape
    assert tuple(layer.compute_output_shape(_as_shapes(inputs))) == shape
    # Symbolic, with a free batch size: what a functional model sees.
    symbolic = factory()(_symbolic(inputs))
    assert tuple(symbolic.shape) == (None,) + shape[1:]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_saved_and_reloaded_model_gives_equal_outputs(name, tmp_path):
    factory, inputs, _ = SAMPLES[name]
    symbolic = _symbolic(inputs)
    model = keras.Model(symbolic, factory()(symbolic))
    expected = keras.ops.convert_to_numpy(model(inputs))
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(reloaded(inputs)), expected)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_runs_under_mixed_bfloat16(name):
    factory, inputs, shape = SAMPLES[name]
    reference = keras.ops.convert_to_numpy(factory()(inputs))
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        layer = factory()
        out = layer(inputs)
    finally:
        keras.config.set_dtype_policy(previous)
    assert tuple(out.shape) == shape
    assert keras.backend.standardize_dtype(out.dtype) == layer.compute_dtype
    # bfloat16 keeps 8 bits of mantissa: the output stays within its rounding.
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.cast(out, "float32")), reference, rtol=2**-7, atol=2**-7
    )


@pytest.mark.parametrize("name", ["psnr", "ssim", "psnr_loss", "bernoulli_nll"])
def test_registered_functions_survive_serialisation(name):
    function = keras.saving.get_custom_objects()[f"kerasgen>{name}"]
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(function))
    assert revived is function
