"""Reliability of the GAN/VAE fit path: bad batches, range check, exact resume."""

import warnings

import keras
import numpy as np
import pytest

import kerasgen
from kerasgen.layers import Sampling
from kerasgen.models import build_discriminator, build_generator
from kerasgen.trainers import GAN, VAE

SIDE = 8
LATENT = 4


def make_generator():
    z = keras.Input((LATENT,))
    x = keras.layers.Dense(SIDE * SIDE, activation="tanh")(z)
    return keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(x))


def make_discriminator():
    x = keras.Input((SIDE, SIDE, 1))
    y = keras.layers.Dense(4, activation="relu")(keras.layers.Flatten()(x))
    return keras.Model(x, keras.layers.Dense(1)(y))


def make_gan(**kwargs):
    keras.utils.set_random_seed(0)
    gan = GAN(make_generator(), make_discriminator(), seed=0, **kwargs)
    gan.compile()
    return gan


def make_vae(**kwargs):
    keras.utils.set_random_seed(0)
    image = keras.Input((SIDE, SIDE, 1))
    h = keras.layers.Flatten()(image)
    z_mean = keras.layers.Dense(2)(h)
    z_log_var = keras.layers.Dense(2)(h)
    z = Sampling(seed=0)([z_mean, z_log_var])
    encoder = keras.Model(image, [z_mean, z_log_var, z])
    latent = keras.Input((2,))
    x = keras.layers.Dense(SIDE * SIDE, activation="sigmoid")(latent)
    decoder = keras.Model(latent, keras.layers.Reshape((SIDE, SIDE, 1))(x))
    vae = VAE(encoder, decoder, **kwargs)
    vae.compile()
    return vae


def weights_of(model):
    return [np.array(w) for w in model.weights]


def images(low=-1.0, high=1.0, n=8):
    return np.random.default_rng(0).uniform(low, high, (n, SIDE, SIDE, 1)).astype("float32")


# ------------------------------------------------------------------ NaN / inf


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_gan_nonfinite_pixel_raises_and_keeps_weights(bad):
    gan = make_gan()
    data = images()
    data[3, 2, 2, 0] = bad
    before = weights_of(gan)
    with pytest.raises(ValueError, match=r"NaN or inf.*training step 1.*on_nonfinite='skip'"):
        gan.fit(data, batch_size=8, epochs=1, verbose=0)
    for old, new in zip(before, weights_of(gan)):
        np.testing.assert_array_equal(old, new)
    assert int(gan.g_optimizer.iterations) == 0


def test_gan_skip_mode_skips_bad_batch_and_stays_finite():
    gan = make_gan(on_nonfinite="skip")
    data = images(n=16)
    data[1, 0, 0, 0] = np.nan  # first batch bad, second good
    with pytest.warns(RuntimeWarning, match="skipped a training batch"):
        history = gan.fit(data, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert all(np.isfinite(w).all() for w in weights_of(gan))
    assert int(gan.g_optimizer.iterations) == 2  # one good batch per epoch
    assert np.isfinite(history.history["loss"]).all()


def test_vae_nonfinite_batch_raises_before_the_update():
    vae = make_vae()
    data = images(0.0, 1.0)
    data[0, 0, 0, 0] = np.nan
    before = weights_of(vae)
    with pytest.raises(ValueError, match="VAE.fit: NaN or inf"):
        vae.fit(data, batch_size=8, epochs=1, verbose=0)
    for old, new in zip(before, weights_of(vae)):
        np.testing.assert_array_equal(old, new)


def test_vae_skip_mode_keeps_weights_finite():
    vae = make_vae(on_nonfinite="skip")
    data = images(0.0, 1.0, n=16)
    data[9, 0, 0, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        vae.fit(data, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert all(np.isfinite(w).all() for w in weights_of(vae))
    assert int(vae.optimizer.iterations) == 1


@pytest.mark.slow
def test_both_trainers_log_loss_for_terminate_on_nan():
    gan_history = make_gan().fit(images(), batch_size=8, epochs=1, verbose=0)
    logs = {k: v[-1] for k, v in gan_history.history.items()}
    assert logs["loss"] == pytest.approx(logs["d_loss"] + logs["g_loss"])
    vae_history = make_vae().fit(images(0, 1), batch_size=8, epochs=1, verbose=0)
    assert "loss" in vae_history.history
    assert not any(k.startswith("_kerasgen") for k in gan_history.history)


def test_terminate_on_nan_sees_the_gan_loss():
    callback = keras.callbacks.TerminateOnNaN()
    gan = make_gan()
    callback.set_model(gan)
    callback.on_batch_end(0, {"d_loss": 1.0, "g_loss": np.nan, "loss": np.nan})
    assert gan.stop_training


def test_on_nonfinite_is_validated_and_saved(tmp_path):
    with pytest.raises(ValueError, match="on_nonfinite must be one of"):
        GAN(make_generator(), make_discriminator(), on_nonfinite="ignore")
    gan = make_gan(on_nonfinite="skip", data_range=(0, 1))
    gan.save(tmp_path / "gan.keras")
    loaded = keras.models.load_model(tmp_path / "gan.keras")
    assert loaded.on_nonfinite == "skip"
    assert tuple(loaded.data_range) == (0.0, 1.0)


# ------------------------------------------------------------------ range


def test_gan_fit_refuses_0_255_images():
    gan = make_gan()
    before = weights_of(gan)
    with pytest.raises(ValueError, match=r"image / 127.5 - 1"):
        gan.fit(images(0, 255), batch_size=8, epochs=1, verbose=0)
    for old, new in zip(before, weights_of(gan)):
        np.testing.assert_array_equal(old, new)


def test_vae_fit_refuses_0_255_images():
    vae = make_vae()
    with pytest.raises(ValueError, match=r"divide 8-bit data by 255"):
        vae.fit(images(0, 255), batch_size=8, epochs=1, verbose=0)


def test_range_check_can_be_turned_off():
    make_gan(data_range=None).fit(images(0, 3), batch_size=8, epochs=1, verbose=0)
    previous = kerasgen.set_range_check(False)
    try:
        make_vae().fit(images(0, 3), batch_size=8, epochs=1, verbose=0)
    finally:
        kerasgen.set_range_check(previous)


def test_slightly_out_of_range_data_is_accepted():
    # Noisy data goes a bit beyond the documented range (not with a
    # Bernoulli likelihood, which needs [0, 1]: see below).
    make_vae(likelihood="gaussian").fit(images(-0.3, 1.3), batch_size=8, epochs=1, verbose=0)
    make_gan().fit(images(-1.3, 1.3), batch_size=8, epochs=1, verbose=0)


@pytest.mark.parametrize("low, high", [(-1.0, 1.0), (-0.3, 1.0), (0.0, 1.3)])
def test_bernoulli_vae_refuses_values_outside_0_1(low, high):
    # In [-1, 1] (load_dataset's default range) the Bernoulli loss is
    # unbounded below: fit used to drive it to about -2400 nats.
    vae = make_vae()
    before = weights_of(vae)
    with pytest.raises(ValueError, match=r"outside \[0, 1\], which likelihood='bernoulli' needs.*\(x \+ 1\) / 2"):
        vae.fit(images(low, high), batch_size=8, epochs=1, verbose=0)
    for old, new in zip(before, weights_of(vae)):
        np.testing.assert_array_equal(old, new)
    # Binary or grey images in [0, 1] train.
    vae.fit(images(0.0, 1.0), batch_size=8, epochs=1, verbose=0)


# ------------------------------------------------------------------ resume


@pytest.mark.slow
def test_gan_resume_is_exact_with_default_dropout(tmp_path):
    data = images(n=16)

    def fresh():
        keras.utils.set_random_seed(1)
        generator = build_generator(latent_dim=8, image_shape=(SIDE, SIDE, 1), base_filters=4)
        discriminator = build_discriminator(image_shape=(SIDE, SIDE, 1), base_filters=4)
        assert any(isinstance(l, keras.layers.Dropout) for l in discriminator.layers)
        gan = GAN(generator, discriminator, seed=3)
        gan.compile()
        return gan

    straight = fresh()
    straight.fit(data, batch_size=8, epochs=2, shuffle=False, verbose=0)

    first = fresh()
    first.fit(data, batch_size=8, epochs=1, shuffle=False, verbose=0)
    first.save(tmp_path / "gan.keras")
    keras.utils.set_random_seed(12345)  # the global RNG must not matter
    resumed = keras.models.load_model(tmp_path / "gan.keras")
    resumed.fit(data, batch_size=8, epochs=1, shuffle=False, verbose=0)

    for a, b in zip(weights_of(straight), weights_of(resumed)):
        np.testing.assert_array_equal(a, b)


def test_vae_resume_restores_sampling_state(tmp_path):
    data = images(0, 1, n=16)
    straight = make_vae()
    straight.fit(data, batch_size=8, epochs=2, shuffle=False, verbose=0)
    first = make_vae()
    first.fit(data, batch_size=8, epochs=1, shuffle=False, verbose=0)
    first.save(tmp_path / "vae.keras")
    resumed = keras.models.load_model(tmp_path / "vae.keras")
    resumed.fit(data, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(weights_of(straight), weights_of(resumed)):
        np.testing.assert_array_equal(a, b)
