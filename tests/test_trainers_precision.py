"""GAN/VAE: the training step's maths, each precision policy, exact resume in bfloat16."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen.layers import Sampling
from kerasgen.precision import precision_scope
from kerasgen.trainers import GAN, VAE

SIDE, LATENT = 8, 4
POLICIES = ["float32", "mixed_bfloat16", "mixed_float16"]


def generator(batch_norm=False):
    z = keras.Input((LATENT,))
    x = keras.layers.Dense(16, activation="relu")(z)
    if batch_norm:
        x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dense(SIDE * SIDE, activation="tanh", dtype="float32")(x)
    return keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(x))


def discriminator(batch_norm=False):
    x = keras.Input((SIDE, SIDE, 1))
    y = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(x))
    if batch_norm:
        y = keras.layers.BatchNormalization()(y)
    return keras.Model(x, keras.layers.Dense(1, dtype="float32")(y))


def encoder():
    x = keras.Input((SIDE, SIDE, 1))
    h = keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(x))
    z_mean = keras.layers.Dense(2, dtype="float32")(h)
    z_log_var = keras.layers.Dense(2, dtype="float32")(h)
    z = Sampling(seed=3, dtype="float32")([z_mean, z_log_var])
    return keras.Model(x, [z_mean, z_log_var, z])


def decoder():
    z = keras.Input((2,))
    h = keras.layers.Dense(16, activation="relu")(z)
    h = keras.layers.Dense(SIDE * SIDE, activation="sigmoid", dtype="float32")(h)
    return keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(h))


def make(kind, policy="float32", seed=0, **compile_kwargs):
    keras.utils.set_random_seed(seed)
    with precision_scope(policy):
        if kind == "gan":
            model = GAN(generator(), discriminator(), seed=seed)
        else:
            model = VAE(encoder(), decoder())
    model.compile(**compile_kwargs)
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (32, SIDE, SIDE, 1)).astype("float32")
    return {"gan": images, "vae": (images > 0).astype("float32")}


# ------------------------------------------------------- the step's maths


def test_generator_update_goes_through_the_updated_discriminator(data):
    """One step equals: fake = G(z); SGD on D; SGD on G through the new D, same z."""
    images = data["gan"][:8]
    gan = make("gan", d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5))
    g_ref, d_ref = generator(), discriminator()
    g_ref.set_weights(gan.generator.get_weights())
    d_ref.set_weights(gan.discriminator.get_weights())
    z = keras.random.normal((8, LATENT), seed=keras.random.SeedGenerator(0))

    fake = g_ref(z)
    with tf.GradientTape() as tape:
        d_loss = tf.reduce_mean(tf.nn.softplus(-d_ref(images)) + tf.nn.softplus(d_ref(fake)))
    for w, g in zip(d_ref.trainable_variables, tape.gradient(d_loss, d_ref.trainable_variables)):
        w.assign_sub(0.5 * g)
    with tf.GradientTape() as tape:
        g_loss = tf.reduce_mean(tf.nn.softplus(-d_ref(g_ref(z))))
    for w, g in zip(g_ref.trainable_variables, tape.gradient(g_loss, g_ref.trainable_variables)):
        w.assign_sub(0.5 * g)

    gan.fit(images, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for ours, ref in ((gan.generator, g_ref), (gan.discriminator, d_ref)):
        for a, b in zip(ours.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("loss", ["non_saturating", "wgan_gp"])
def test_joint_discriminator_pass_equals_two_passes(data, loss):
    runs = []
    for joint in (True, False):
        gan = make("gan", loss=loss, joint_discriminator=joint)
        assert gan.joint_discriminator is joint
        gan.fit(data["gan"], batch_size=8, epochs=1, shuffle=False, verbose=0)
        runs.append(gan.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_joint_discriminator_auto_avoids_batch_norm():
    keras.utils.set_random_seed(0)
    plain = GAN(generator(), discriminator())
    plain.compile()
    assert plain.joint_discriminator is True
    normed = GAN(generator(batch_norm=True), discriminator(batch_norm=True))
    normed.compile()
    assert normed.joint_discriminator is False
    with pytest.raises(ValueError, match="joint_discriminator must be 'auto', True or False"):
        normed.compile(joint_discriminator="yes")


def test_generator_regularization_is_optimised(data):
    keras.utils.set_random_seed(0)
    z = keras.Input((LATENT,))
    x = keras.layers.Dense(SIDE * SIDE, activation="tanh", kernel_regularizer=keras.regularizers.L2(10.0))(z)
    g = keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(x))
    gan = GAN(g, discriminator(), seed=0)
    gan.compile(keras.optimizers.SGD(0.01), keras.optimizers.SGD(0.01))
    before = float(np.sum(np.square(g.layers[1].kernel.numpy())))
    gan.fit(data["gan"], batch_size=8, epochs=2, verbose=0)
    assert float(np.sum(np.square(g.layers[1].kernel.numpy()))) < 0.9 * before


# ------------------------------------------------------- precision policies


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_fit_under_each_policy(data, kind, policy):
    model = make(kind, policy)
    subs = (model.generator, model.discriminator) if kind == "gan" else (model.encoder, model.decoder)
    compute = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}[policy]
    assert subs[0].layers[1].compute_dtype == compute
    assert all(w.dtype == "float32" for sub in subs for w in sub.trainable_weights)
    # Loss scaling for float16 only: bfloat16 has float32's exponent range.
    optimizers = [model.d_optimizer, model.g_optimizer] if kind == "gan" else [model.optimizer]
    for optimizer in optimizers:
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer) == (policy == "mixed_float16")
    history = model.fit(data[kind], batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(values).all() for values in history.history.values())
    out = model.generate(3, seed=0) if kind == "gan" else model.sample(3, seed=0)
    assert out.dtype == np.float32 and np.isfinite(out).all()


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_bfloat16_model_saves_reloads_and_continues_exactly(data, kind, tmp_path):
    dataset = tf.data.Dataset.from_tensor_slices(data[kind]).batch(8)
    uninterrupted = make(kind, "mixed_bfloat16")
    uninterrupted.fit(dataset, epochs=2, shuffle=False, verbose=0)

    first = make(kind, "mixed_bfloat16")
    first.fit(dataset, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / f"{kind}.keras")
    first.save(path)
    reloaded = keras.models.load_model(path)
    sub = reloaded.generator if kind == "gan" else reloaded.encoder
    assert sub.layers[1].compute_dtype == "bfloat16"
    reloaded.fit(dataset, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(uninterrupted.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------- VAE.log_likelihood


@pytest.fixture(scope="module")
def trained_vae():
    # Noisy copies of 4 binary prototypes: structure for the latent code to carry.
    rng = np.random.default_rng(1)
    prototypes = rng.uniform(size=(4, SIDE, SIDE, 1)) > 0.5
    flips = rng.uniform(size=(64, SIDE, SIDE, 1)) < 0.05
    images = (prototypes[np.arange(64) % 4] ^ flips).astype("float32")
    vae = make("vae", optimizer=keras.optimizers.Adam(1e-2))
    vae.fit(images, batch_size=16, epochs=20, verbose=0)
    return vae, images


def test_log_likelihood_is_above_the_elbo_and_grows_with_k(trained_vae):
    vae, images = trained_vae
    elbo = -np.mean([vae.evaluate(images, verbose=0, return_dict=True)["loss"] for _ in range(5)])
    means = {k: vae.log_likelihood(images, num_samples=k, seed=0).mean() for k in (1, 10, 100)}
    assert abs(means[1] - elbo) < 1.0  # K=1: an unbiased estimate of the ELBO
    assert means[1] < means[10] < means[100]
    assert means[100] > elbo + 0.2
    estimates = vae.log_likelihood(images[:5], num_samples=100, seed=0)
    assert estimates.shape == (5,) and estimates.dtype == np.float64
    np.testing.assert_allclose(estimates, vae.log_likelihood(images[:5], num_samples=100, seed=0))
    # A bound on log p(x) of binary images: never positive.
    assert (estimates < 0).all()


def test_log_likelihood_validation(trained_vae):
    vae, images = trained_vae
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        vae.log_likelihood(images, num_samples=0)
    with pytest.raises(TypeError, match="num_samples must be an int"):
        vae.log_likelihood(images, num_samples=2.5)
    with pytest.raises(ValueError, match="images must have shape"):
        vae.log_likelihood(images[..., 0], num_samples=2)
