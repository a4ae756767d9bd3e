"""Behavioural tests for bugs the older suite could not see (issue 11, item 12).

Each asserts what the code does (the distribution of draws, the spread of z,
a failure injected mid-save, the spread of sigmas), not how it is written.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen import losses
from kerasgen.data import make_restoration_dataset
from kerasgen.layers import Sampling
from kerasgen.models import build_unet
from kerasgen.recipes import train_unet
from kerasgen.trainers import GAN

SIDE = 8


def _uniform_checks(draws):
    draws = np.asarray(draws, np.float64)
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    assert abs(draws.mean() - 0.5) < 0.05
    assert abs(draws.std() - np.sqrt(1 / 12)) < 0.03
    # Each tenth of [0, 1] holds about a tenth of the draws.
    counts, _ = np.histogram(draws, bins=10, range=(0, 1))
    assert counts.min() > 0.05 * len(draws) and counts.max() < 0.15 * len(draws)


def test_wgan_gp_interpolation_weights_are_uniform(monkeypatch):
    seen = []
    real_penalty = losses.gradient_penalty

    def recording_penalty(critic_fn, real, fake, *, epsilon=None, seed=None):
        seen.append(np.asarray(epsilon))
        return real_penalty(critic_fn, real, fake, epsilon=epsilon, seed=seed)

    monkeypatch.setattr(losses, "gradient_penalty", recording_penalty)
    keras.utils.set_random_seed(0)
    z = keras.Input((4,))
    generator = keras.Model(
        z, keras.layers.Reshape((SIDE, SIDE, 1))(keras.layers.Dense(SIDE * SIDE, activation="tanh")(z))
    )
    x = keras.Input((SIDE, SIDE, 1))
    critic = keras.Model(x, keras.layers.Dense(1)(keras.layers.Flatten()(x)))
    gan = GAN(generator, critic, seed=0)
    gan.compile(loss="wgan_gp", run_eagerly=True)
    images = np.random.default_rng(0).uniform(-1, 1, (1024, SIDE, SIDE, 1)).astype("float32")
    gan.fit(images, batch_size=128, epochs=1, verbose=0)
    draws = np.concatenate(seen)
    assert draws.shape == (1024,)  # one weight per example
    _uniform_checks(draws)


def test_sampling_spread_is_exp_of_half_log_variance():
    n = 20000
    layer = Sampling(seed=0)
    z_mean = np.full((n, 2), 3.0, "float32")
    z_log_var = np.log(np.array([[4.0, 0.25]], "float32")).repeat(n, axis=0)  # std 2 and 0.5
    z = np.asarray(layer([z_mean, z_log_var]))
    np.testing.assert_allclose(z.mean(axis=0), [3.0, 3.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [2.0, 0.5], rtol=0.03)


def test_training_pipeline_draws_sigma_per_patch():
    clean = np.full((4, 32, 32), 0.5, "float32")
    dataset = make_restoration_dataset(
        clean, sigma_range=(0.0, 0.2), patch_size=16, batch_size=512, with_noise_level=True, seed=0
    )
    (noisy, sigma), target = next(iter(dataset))
    sigma = sigma.numpy().ravel()
    assert sigma.shape == (512,)
    assert len(np.unique(sigma)) > 500  # one draw per patch, not one per batch
    _uniform_checks(sigma / 0.2)
    # The noise of each patch has the patch's sigma.
    measured = (noisy.numpy() - target.numpy()).reshape(512, -1).std(axis=1)
    assert np.corrcoef(measured, sigma)[0, 1] > 0.98
    assert np.median(np.abs(measured - sigma)) < 0.01


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The tensorboard package is not installed")
def test_unet_recipe_checkpoint_survives_a_failure_mid_save(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    clean = np.kron(rng.random((4, 4, 4)), np.ones((8, 8))).astype("float32")
    kwargs = {
        "model": build_unet(depth=1, base_filters=4), "epochs": 1, "steps_per_epoch": 1, "patch_size": 8,
        "batch_size": 2, "jit_compile": False, "verbose": 0,
    }  # fmt: skip
    train_unet(clean, tmp_path, **kwargs)
    checkpoints = sorted(tmp_path.glob("*.keras"))  # best.keras, last.keras
    assert len(checkpoints) == 2
    before = {path: path.read_bytes() for path in checkpoints}

    def crash_mid_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as file:
            file.write(b"PK\x03\x04 half a zip")  # the start of a .keras file
        raise OSError("disk full (injected)")

    monkeypatch.setattr(keras.Model, "save", crash_mid_save)
    kwargs["model"] = build_unet(depth=1, base_filters=4)
    kwargs["overwrite"] = True  # a completed run is only replaced on request
    with pytest.raises(OSError, match="injected"):
        train_unet(clean, tmp_path, **kwargs)
    monkeypatch.undo()
    for path, content in before.items():
        assert path.read_bytes() == content, path.name
        keras.saving.load_model(path)  # still a whole model
    assert not [p.name for p in tmp_path.iterdir() if "partial" in p.name]


def test_gradient_penalty_default_draw_is_uniform_too():
    # The library function's own draw (epsilon=None): check it through the
    # penalty of a critic whose gradient norm is the interpolation weight.
    real = np.ones((4096, 1), "float32")
    fake = np.zeros((4096, 1), "float32")
    # critic(x) = x^2 / 2 -> gradient x = epsilon; penalty = (epsilon - 1)^2.
    penalty = losses.gradient_penalty(lambda x: 0.5 * tf.reduce_sum(x * x, axis=1), real, fake, seed=0)
    epsilon = 1.0 - np.sqrt(np.asarray(penalty))
    _uniform_checks(epsilon)
