"""Tests for kerasgen.trainers.VAE on tiny sub-models and data."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen.layers import Sampling
from kerasgen.trainers import VAE

SIDE = 8
LATENT = 2


def make_encoder(sampling=True, seed=0):
    x = keras.Input((SIDE, SIDE, 1))
    h = keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(x))
    z_mean = keras.layers.Dense(LATENT)(h)
    z_log_var = keras.layers.Dense(LATENT)(h)
    if sampling:
        z = Sampling(seed=seed)([z_mean, z_log_var])
    else:  # deterministic z = z_mean, for exact loss checks
        z = keras.layers.Identity()(z_mean)
    return keras.Model(x, [z_mean, z_log_var, z], name="encoder")


def make_decoder():
    z = keras.Input((LATENT,))
    h = keras.layers.Dense(16, activation="relu")(z)
    h = keras.layers.Dense(SIDE * SIDE, activation="sigmoid")(h)
    return keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(h), name="decoder")


def make_vae(seed=0, sampling=True, **kwargs):
    keras.utils.set_random_seed(seed)
    return VAE(make_encoder(sampling=sampling, seed=seed), make_decoder(), **kwargs)


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return (rng.uniform(size=(16, SIDE, SIDE, 1)) > 0.5).astype("float32")


def _sampling_layer(vae):
    return next(layer for layer in vae.encoder.layers if isinstance(layer, Sampling))


# ------------------------------------------------------------ training


def test_fit_with_validation_trains_both_sub_models(images):
    vae = make_vae()
    vae.compile()
    assert isinstance(vae.optimizer, keras.optimizers.Adam)
    assert np.isclose(float(vae.optimizer.learning_rate), 1e-3)
    enc_before, dec_before = vae.encoder.get_weights(), vae.decoder.get_weights()
    history = vae.fit(images, validation_data=(images,), batch_size=8, epochs=2, verbose=0)

    assert set(history.history) == {
        "loss",
        "reconstruction_loss",
        "kl_loss",
        "val_loss",
        "val_reconstruction_loss",
        "val_kl_loss",
    }
    h = history.history
    assert all(np.isfinite(v).all() for v in h.values())
    np.testing.assert_allclose(
        h["loss"], np.add(h["reconstruction_loss"], h["kl_loss"]), rtol=1e-5
    )
    pairs = ((enc_before, vae.encoder.get_weights()), (dec_before, vae.decoder.get_weights()))
    for before, after in pairs:
        assert all(not np.allclose(b, a) for b, a in zip(before, after))


def test_labelled_batches_are_accepted(images):
    vae = make_vae()
    vae.compile()
    labels = np.arange(len(images))
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    history = vae.fit(dataset, validation_data=dataset, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["val_loss"][0])


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_losses_are_nats_per_image(images, likelihood):
    vae = make_vae(sampling=False, beta=0.5, likelihood=likelihood, gaussian_std=0.2)
    vae.compile()
    results = vae.evaluate(images, batch_size=8, verbose=0, return_dict=True)

    z_mean, z_log_var = vae.encode(images)
    p = vae.decode(z_mean).astype("float64")
    if likelihood == "bernoulli":
        rec = -np.sum(images * np.log(p) + (1 - images) * np.log(1 - p), axis=(1, 2, 3))
    else:
        rec = np.sum(
            0.5 * ((images - p) / 0.2) ** 2 + math.log(0.2) + 0.5 * math.log(2 * math.pi),
            axis=(1, 2, 3),
        )
    kl = -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)
    np.testing.assert_allclose(results["reconstruction_loss"], rec.mean(), rtol=1e-4)
    np.testing.assert_allclose(results["kl_loss"], kl.mean(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(results["loss"], rec.mean() + 0.5 * kl.mean(), rtol=1e-4)
    if likelihood == "bernoulli":
        # Summed over 64 pixels: about 64 * log(2) for an untrained decoder.
        assert 30 < results["reconstruction_loss"] < 60


def test_metrics_reset_between_epochs(images):
    vae = make_vae(sampling=False)
    vae.compile(keras.optimizers.SGD(0.0))  # frozen weights: same value each epoch
    history = vae.fit(images, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], history.history["loss"][1], rtol=1e-6)
    expected = vae.evaluate(images, batch_size=16, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)


# ------------------------------------------------------------ inference


def test_call_encode_decode_sample(images):
    vae = make_vae()
    out = vae(images[:3])
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    z_mean, z_log_var = vae.encode(images[:3])
    assert z_mean.shape == (3, LATENT) and z_log_var.shape == (3, LATENT)
    np.testing.assert_allclose(out, vae.decode(z_mean), atol=1e-6)

    a, b, c = vae.sample(4, seed=1), vae.sample(4, seed=1), vae.sample(4, seed=2)
    assert a.shape == (4, SIDE, SIDE, 1) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.min() >= 0.0 and a.max() <= 1.0
    np.testing.assert_allclose(vae.sample(4, seed=1, batch_size=3), a, atol=1e-6)
    batched = vae.encode(images, batch_size=5)
    np.testing.assert_allclose(batched[0], vae.encode(images)[0], atol=1e-6)


# ------------------------------------------------------------- saving


def test_save_load_round_trip_and_continued_training(images, tmp_path):
    vae = make_vae(seed=4)
    vae.compile()
    vae.fit(images[:8], batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.models.load_model(path)

    assert isinstance(loaded, VAE) and loaded.compiled
    assert loaded.likelihood == "bernoulli" and loaded.beta == 1.0
    np.testing.assert_array_equal(vae(images), loaded(images))
    assert int(loaded.optimizer.iterations) == int(vae.optimizer.iterations) == 1
    for a, b in zip(vae.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    # The Sampling layer's noise state is not part of the file: reseed both.
    state = _sampling_layer(vae).seed_generator.state.numpy()
    _sampling_layer(loaded).seed_generator.state.assign(state)
    vae.fit(images[8:], batch_size=8, epochs=1, verbose=0)
    loaded.fit(images[8:], batch_size=8, epochs=1, verbose=0)
    for a, b in zip(vae.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_config_round_trip():
    vae = make_vae(beta=2.0, likelihood="gaussian", gaussian_std=0.3)
    clone = VAE.from_config(vae.get_config())
    assert (clone.beta, clone.likelihood, clone.gaussian_std) == (2.0, "gaussian", 0.3)


# ---------------------------------------------------- mixed precision


def test_mixed_precision_wraps_optimizer_and_unscales(images):
    reference = make_vae(sampling=False)
    reference.compile(keras.optimizers.SGD(0.01))
    initial = reference.get_weights()
    reference.fit(images[:8], batch_size=8, epochs=1, verbose=0)
    ref_delta = [a - b for a, b in zip(reference.get_weights(), initial)]

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        vae = make_vae(sampling=False)
        vae.set_weights(initial)
        vae.compile(keras.optimizers.SGD(0.01))
        assert isinstance(vae.optimizer, keras.optimizers.LossScaleOptimizer)
        history = vae.fit(images[:8], batch_size=8, epochs=1, verbose=0)
        out = vae(images[:2])
    finally:
        keras.mixed_precision.set_global_policy("float32")

    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert int(vae.optimizer.step_counter) == 1  # finite step, not skipped
    delta = [a - b for a, b in zip(vae.get_weights(), initial)]
    for d, r in zip(delta, ref_delta):
        np.testing.assert_allclose(d, r, atol=5e-3 * float(np.abs(r).max()) + 1e-5)


# ------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"beta": -1.0}, ValueError, "beta must be >= 0"),
        ({"beta": None}, TypeError, "beta must be a float"),
        (
            {"likelihood": "poisson"},
            ValueError,
            r"likelihood must be one of \['bernoulli', 'gaussian'\]",
        ),
        ({"gaussian_std": 0.0}, ValueError, "gaussian_std must be > 0"),
    ],
)
def test_constructor_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        VAE(make_encoder(), make_decoder(), **kwargs)


def test_sub_model_validation():
    x = keras.Input((SIDE, SIDE, 1))
    two_outputs = keras.Model(x, [keras.layers.Flatten()(x), keras.layers.Flatten()(x)])
    with pytest.raises(ValueError, match=r"encoder must output \[z_mean, z_log_var, z\]"):
        VAE(two_outputs, make_decoder())
    z = keras.Input((LATENT,))
    wrong_images = keras.Model(z, keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(z)))
    with pytest.raises(ValueError, match="decoder must output images of the encoder's input shape"):
        VAE(make_encoder(), wrong_images)
    z3 = keras.Input((3,))
    wide_z = keras.Model(z3, keras.layers.Reshape((SIDE, SIDE, 1))(keras.layers.Dense(64)(z3)))
    with pytest.raises(ValueError, match="encoder's z output and the decoder's input"):
        VAE(make_encoder(), wide_z)
    with pytest.raises(TypeError, match="decoder must be a keras.Model"):
        VAE(make_encoder(), "decoder")


def test_compile_and_inference_validation():
    vae = make_vae()
    with pytest.raises(ValueError, match=r"Received unsupported: \['loss'\]"):
        vae.compile(loss="mse")
    with pytest.raises(TypeError, match="optimizer must be a keras.optimizers.Optimizer"):
        vae.compile(optimizer=42)
    with pytest.raises(ValueError, match="num_images must be >= 1"):
        vae.sample(0)
    with pytest.raises(TypeError, match="seed must be an int or None"):
        vae.sample(2, seed="1")
    with pytest.raises(ValueError, match=r"z must have shape \(n,\) \+ \(2,\)"):
        vae.decode(np.zeros((3, 5), "float32"))
    with pytest.raises(ValueError, match=r"images must have shape \(n,\) \+ \(8, 8, 1\)"):
        vae.encode(np.zeros((3, 4, 4, 1), "float32"))


# ------------------------------------- evaluation and inference input checks


def test_log_likelihood_and_encode_check_their_images(images):
    vae = make_vae()
    # uint8 MNIST used to give numbers that looked like results.
    for method in (vae.encode, lambda x: vae.log_likelihood(x, num_samples=2)):
        with pytest.raises(ValueError, match=r"images must be floats .* Received: images of dtype uint8"):
            method((images * 255).astype("uint8"))
    with_nan = images.copy()
    with_nan[1, 2, 3, 0] = np.nan
    with pytest.raises(ValueError, match=r"VAE\.log_likelihood: images must be finite\. Received: 1 NaN or inf value"):
        vae.log_likelihood(with_nan, num_samples=2)
    with pytest.raises(ValueError, match=r"VAE\.encode: images have values outside \[0, 1\].*Received: values in \[-1, 1\]"):
        vae.encode(images * 2 - 1)
    gaussian = make_vae(likelihood="gaussian")
    with pytest.raises(ValueError, match=r"VAE\.log_likelihood: images have values outside \[-1, 2\].*divide 8-bit data by 255"):
        gaussian.log_likelihood(images * 255, num_samples=2)
    # Noisy data slightly outside [0, 1] is fine for the Gaussian likelihood.
    assert gaussian.log_likelihood(images * 1.2 - 0.1, num_samples=2).shape == (16,)
    assert vae.log_likelihood(images.astype(bool), num_samples=2).shape == (16,)


def test_evaluate_and_validation_check_their_batches(images):
    vae = make_vae()
    vae.compile()
    message = r"VAE\.evaluate: a batch of evaluate \(or of fit's validation_data\) has values outside \[0, 1\]"
    with pytest.raises(ValueError, match=message):
        vae.evaluate(images * 255, batch_size=8, verbose=0)
    # fit refused such training data but not such validation data.
    with pytest.raises(ValueError, match=message):
        vae.fit(images, validation_data=(images * 255,), batch_size=8, epochs=1, verbose=0)
    with_nan = images.copy()
    with_nan[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"VAE\.evaluate: NaN or inf .*on_nonfinite='skip'"):
        vae.evaluate(with_nan, batch_size=8, verbose=0)

    skipping = make_vae(sampling=False, on_nonfinite="skip")  # deterministic z
    skipping.compile()
    clean = skipping.evaluate(images[8:], batch_size=8, verbose=0, return_dict=True)
    with pytest.warns(RuntimeWarning, match="left out of the metrics"):
        mixed = skipping.evaluate(with_nan, batch_size=8, verbose=0, return_dict=True)
    # The NaN batch is left out of the means.
    for key, value in clean.items():
        np.testing.assert_allclose(mixed[key], value, rtol=1e-5)


def test_fit_refuses_batches_of_another_shape(images):
    vae = make_vae()
    vae.compile()
    vae.fit(images, batch_size=8, epochs=1, verbose=0)
    # After a good fit (a notebook re-run): used to fail deep inside TF.
    for batch, received in (
        (np.repeat(images, 3, axis=-1), r"\(8, 8, 8, 3\)"),
        (np.zeros((16, 6, 6, 1), "float32"), r"\(8, 6, 6, 1\)"),
        (images[..., 0], r"\(8, 8, 8\); add a channel axis with x\[\.\.\., None\]"),
    ):
        with pytest.raises(ValueError, match=r"VAE\.fit: batches of images of shape \(None, 8, 8, 1\) expected\. Received: " + received):
            vae.fit(batch, batch_size=8, epochs=1, verbose=0)
