"""Golden-value and validation tests for kerasgen.losses."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen import losses

LOG2 = math.log(2.0)


def _softplus(x):
    return np.logaddexp(0.0, x)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


# ------------------------------------------------------------ GAN losses


def test_non_saturating_generator_loss_golden():
    logits = np.array([[0.0], [2.0], [-3.0]], "float32")
    got = _np(losses.non_saturating_generator_loss(logits))
    np.testing.assert_allclose(got, [LOG2, _softplus(-2.0), _softplus(3.0)], rtol=1e-6)
    assert got.shape == (3,)


def test_non_saturating_losses_are_stable_for_large_logits():
    big = np.array([[100.0], [-100.0]], "float32")
    gen = _np(losses.non_saturating_generator_loss(big))
    disc = _np(losses.non_saturating_discriminator_loss(big, -big))
    assert np.all(np.isfinite(gen)) and np.all(np.isfinite(disc))
    np.testing.assert_allclose(gen, [0.0, 100.0], atol=1e-5)
    # real=100 (correct), fake=-100 (correct) -> ~0; real=-100, fake=100 -> 200
    np.testing.assert_allclose(disc, [0.0, 200.0], atol=1e-4)


def test_non_saturating_discriminator_loss_golden_and_label_smoothing():
    real = np.array([[0.0], [1.5]], "float32")
    fake = np.array([[0.0], [-0.5]], "float32")
    got = _np(losses.non_saturating_discriminator_loss(real, fake))
    expected = _softplus(-real[:, 0]) + _softplus(fake[:, 0])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(got[0], 2 * LOG2, rtol=1e-6)

    smoothed = _np(losses.non_saturating_discriminator_loss(real, fake, label_smoothing=0.1))
    # One-sided: target 0.9 for real, fake targets untouched.
    expected = 0.9 * _softplus(-real[:, 0]) + 0.1 * _softplus(real[:, 0]) + _softplus(fake[:, 0])
    np.testing.assert_allclose(smoothed, expected, rtol=1e-6)


def test_patch_logits_are_averaged_per_example():
    logits = np.zeros((2, 3, 3, 1), "float32")
    logits[1] = 2.0
    got = _np(losses.hinge_discriminator_loss(logits, -logits))
    assert got.shape == (2,)
    np.testing.assert_allclose(got, [2.0, 0.0])


def test_hinge_losses_golden():
    real = np.array([[2.0], [0.0], [0.5]], "float32")
    fake = np.array([[-2.0], [0.5], [-0.5]], "float32")
    np.testing.assert_allclose(
        _np(losses.hinge_discriminator_loss(real, fake)),
        np.maximum(0, 1 - real[:, 0]) + np.maximum(0, 1 + fake[:, 0]),
    )
    np.testing.assert_allclose(_np(losses.hinge_generator_loss(fake)), -fake[:, 0])


def test_wasserstein_losses_golden():
    real = np.array([[3.0], [-1.0]], "float32")
    fake = np.array([[1.0], [2.0]], "float32")
    np.testing.assert_allclose(_np(losses.wasserstein_discriminator_loss(real, fake)), [-2.0, 3.0])
    np.testing.assert_allclose(_np(losses.wasserstein_generator_loss(fake)), [-1.0, -2.0])


def test_half_precision_logits_give_float32_losses():
    logits = np.zeros((2, 1), "float16")
    loss = losses.non_saturating_generator_loss(logits)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: losses.non_saturating_generator_loss(np.float32(0.0)), "batch axis"),
        (
            lambda: losses.non_saturating_discriminator_loss(
                np.zeros((2, 1)), np.zeros((3, 1))
            ),
            "same shape",
        ),
        (
            lambda: losses.non_saturating_discriminator_loss(
                np.zeros((2, 1)), np.zeros((2, 1)), label_smoothing=1.0
            ),
            r"label_smoothing must be in \[0, 1\)",
        ),
        (
            lambda: losses.hinge_discriminator_loss(np.zeros((2, 1)), np.zeros((2, 2))),
            "same shape",
        ),
        (
            lambda: losses.wasserstein_discriminator_loss(np.zeros((2,)), np.zeros((2, 1))),
            "same shape",
        ),
        (lambda: losses.hinge_generator_loss(None), "must be a tensor"),
    ],
)
def test_gan_loss_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_type_errors():
    with pytest.raises(TypeError, match="critic_fn must be callable"):
        losses.gradient_penalty("critic", np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="label_smoothing must be a float"):
        losses.non_saturating_discriminator_loss(
            np.zeros((2, 1)), np.zeros((2, 1)), label_smoothing="0.1"
        )
    with pytest.raises(TypeError, match="std must be a positive float or tensor"):
        losses.gaussian_nll(np.zeros((2, 3)), np.zeros((2, 3)), None)


# ------------------------------------------------------- gradient penalty


def test_gradient_penalty_linear_critic_golden():
    # critic(x) = sum(0.5 * x) over 16 pixels -> |grad| = 0.5 * 4 = 2 -> (2-1)^2
    def critic(x):
        return 0.5 * keras.ops.sum(x, axis=(1, 2, 3))

    real = np.random.default_rng(0).normal(size=(3, 4, 4, 1)).astype("float32")
    fake = np.zeros_like(real)
    got = _np(losses.gradient_penalty(critic, real, fake, seed=0))
    np.testing.assert_allclose(got, [1.0, 1.0, 1.0], rtol=1e-5)


def test_gradient_penalty_interpolates_between_real_and_fake():
    # critic(x) = 0.5 * sum(x^2) -> grad = x_hat = eps * real + (1 - eps) * fake
    def critic(x):
        return 0.5 * keras.ops.sum(keras.ops.square(x), axis=(1, 2, 3))

    real = np.ones((2, 2, 2, 1), "float32")  # |real| = 2
    fake = np.zeros_like(real)
    epsilon = np.array([0.25, 1.0], "float32")
    got = _np(losses.gradient_penalty(critic, real, fake, epsilon=epsilon))
    np.testing.assert_allclose(got, [(0.5 - 1.0) ** 2, (2.0 - 1.0) ** 2], rtol=1e-5)


def test_gradient_penalty_epsilon_is_uniform_per_example():
    # With one pixel, critic(x) = 0.5 * x^2, real = 1, fake = 0: |grad| = eps,
    # so penalty = (eps - 1)^2 and eps = 1 - sqrt(penalty).
    def critic(x):
        return 0.5 * keras.ops.sum(keras.ops.square(x), axis=1)

    n = 2000
    real = np.ones((n, 1), "float32")
    penalty = _np(losses.gradient_penalty(critic, real, 0 * real, seed=3))
    eps = 1.0 - np.sqrt(penalty)
    assert eps.min() >= -1e-3 and eps.max() <= 1.0 + 1e-3
    assert abs(eps.mean() - 0.5) < 0.03
    assert abs(eps.std() - math.sqrt(1 / 12)) < 0.02  # U(0, 1), not N(0, 1)
    assert len(np.unique(np.round(eps, 5))) > n // 2  # one factor per example
    again = _np(losses.gradient_penalty(critic, real, 0 * real, seed=3))
    np.testing.assert_array_equal(penalty, again)


def test_gradient_penalty_is_differentiable_wrt_critic_weights():
    critic = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(1)]
    )
    real = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    with tf.GradientTape() as tape:
        penalty = keras.ops.mean(losses.gradient_penalty(critic, real, -real, seed=1))
    kernels = [v for v in critic.trainable_variables if "kernel" in v.path]
    grads = tape.gradient(penalty, kernels)
    # (the output bias does not change input gradients: no gradient there)
    assert all(g is not None and float(np.abs(_np(g)).sum()) > 0 for g in grads)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"fake_images": np.zeros((2, 3), "float32")}, "same shape"),
        ({"epsilon": np.zeros((3,), "float32")}, r"epsilon must have shape \(batch,\)"),
    ],
)
def test_gradient_penalty_validation(kwargs, match):
    args = {
        "critic_fn": lambda x: keras.ops.sum(x, axis=1),
        "real_images": np.zeros((2, 2), "float32"),
        "fake_images": np.zeros((2, 2), "float32"),
    }
    args.update(kwargs)
    critic_fn = args.pop("critic_fn")
    with pytest.raises(ValueError, match=match):
        losses.gradient_penalty(critic_fn, **args)


# ------------------------------------------------------------ VAE losses


def test_kl_divergence_golden():
    rng = np.random.default_rng(2)
    mean = rng.normal(size=(3, 5)).astype("float32")
    log_var = rng.normal(size=(3, 5)).astype("float32")
    expected = -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)
    np.testing.assert_allclose(_np(losses.kl_divergence(mean, log_var)), expected, rtol=1e-5)
    zeros = np.zeros((2, 5), "float32")
    np.testing.assert_allclose(_np(losses.kl_divergence(zeros, zeros)), [0.0, 0.0])
    np.testing.assert_allclose(_np(losses.kl_divergence(zeros + 1, zeros)), [2.5, 2.5])


def test_bernoulli_nll_golden_sum_over_pixels():
    x = np.ones((1, 2, 2, 1), "float32")
    half = np.full_like(x, 0.5)
    np.testing.assert_allclose(_np(losses.bernoulli_nll(x, half)), [4 * LOG2], rtol=1e-6)
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(2, 3, 3, 1)).astype("float32")
    p = rng.uniform(0.05, 0.95, size=x.shape).astype("float32")
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    np.testing.assert_allclose(_np(losses.bernoulli_nll(x, p)), expected, rtol=1e-5)


def test_bernoulli_nll_clips_probabilities():
    x = np.array([[1.0, 0.0]], "float32")
    p = np.array([[0.0, 1.0]], "float32")
    got = _np(losses.bernoulli_nll(x, p))
    eps = keras.config.epsilon()
    assert np.isfinite(got).all()
    upper = np.float32(1.0) - np.float32(eps)  # 1 - eps rounded in float32
    expected = -math.log(np.float32(eps)) - math.log(1.0 - float(upper))
    np.testing.assert_allclose(got, [expected], rtol=1e-4)


def test_gaussian_nll_golden():
    x = np.zeros((1, 4), "float32")
    np.testing.assert_allclose(
        _np(losses.gaussian_nll(x, x, 1.0)), [2 * math.log(2 * math.pi)], rtol=1e-6
    )
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(2, 3, 3, 1)).astype("float32")
    mean = rng.uniform(size=x.shape).astype("float32")
    std = rng.uniform(0.1, 1.0, size=x.shape).astype("float32")
    for s in (0.1, std):
        expected = np.sum(
            0.5 * ((x - mean) / s) ** 2 + np.log(s) + 0.5 * math.log(2 * math.pi),
            axis=(1, 2, 3),
        )
        np.testing.assert_allclose(_np(losses.gaussian_nll(x, mean, s)), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: losses.kl_divergence(np.zeros((2, 3)), np.zeros((2, 4))), "same shape"),
        (lambda: losses.bernoulli_nll(np.zeros((2, 3)), np.zeros((2, 4))), "same shape"),
        (lambda: losses.gaussian_nll(np.zeros((2, 3)), np.zeros((2, 3)), 0.0), "std must be > 0"),
        (lambda: losses.gaussian_nll(np.zeros((2, 3)), np.zeros((3, 3)), 1.0), "same shape"),
    ],
)
def test_vae_loss_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------- restoration loss


def test_psnr_loss_is_minus_each_images_psnr():
    from kerasgen.metrics import psnr

    rng = np.random.default_rng(0)
    clean = rng.random((3, 8, 8, 1)).astype("float32")
    noisy = clean + rng.normal(0, [[[[0.01]]], [[[0.05]]], [[[0.2]]]], clean.shape).astype("float32")
    loss = _np(losses.psnr_loss(clean, noisy))
    assert loss.shape == (3,)
    np.testing.assert_allclose(loss, -_np(psnr(clean, noisy)), atol=1e-3)  # (the 1e-8 floor)
    # Golden: an error of 0.1 everywhere is 20 dB; an exact result is capped at 80 dB.
    flat = np.full((2, 4, 4, 3), 0.5, "float32")
    np.testing.assert_allclose(_np(losses.psnr_loss(flat, flat + [[[[0.1]]], [[[0.0]]]])), [-20.0, -80.0], atol=1e-3)


def test_psnr_loss_weighs_relative_errors():
    # Halving an image's error gains 6.02 dB whatever its size: a patch with
    # little noise pulls as hard as a very noisy one (unlike "mse").
    clean = np.zeros((2, 4, 4, 1), "float32")
    error = np.array([0.01, 0.3], "float32").reshape(2, 1, 1, 1) * np.ones_like(clean)
    gain = _np(losses.psnr_loss(clean, error)) - _np(losses.psnr_loss(clean, error / 2))
    np.testing.assert_allclose(gain, [20 * math.log10(2)] * 2, atol=3e-3)  # (the 1e-8 floor)


def test_psnr_loss_validation_and_serialization():
    with pytest.raises(ValueError, match="y_true and y_pred must have the same shape"):
        losses.psnr_loss(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="must be a tensor"):
        losses.psnr_loss(None, np.zeros((2, 4)))
    name = keras.saving.get_registered_name(losses.psnr_loss)
    assert name == "kerasgen>psnr_loss"
    assert keras.saving.get_registered_object(name) is losses.psnr_loss
