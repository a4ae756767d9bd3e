"""Reliability of the builders, custom layers and losses under bad and edge arguments.

Each test pins a bug found by an audit: before its fix the call ran out of
memory, failed with an obscure backend error, or returned a wrong number.
"""

import json

import keras
import numpy as np
import pytest

from kerasgen import losses
from kerasgen.layers import PixelShuffle, PixelUnshuffle
from kerasgen.models import (
    build_decoder,
    build_discriminator,
    build_encoder,
    build_generator,
    build_unet,
)

HUGE = 2**30  # the filter count of the tutorial kerasgen corrects


# ------------------------------------------------------------------ builders


@pytest.mark.parametrize(
    "builder, kwargs",
    [
        (build_generator, {"image_shape": (8, 8, 1), "base_filters": HUGE}),
        (build_generator, {"image_shape": (8, 8, 1), "latent_dim": HUGE, "base_filters": 1}),
        (build_generator, {"image_shape": (8, 8, 1), "base_filters": 1, "num_classes": HUGE}),
        (build_discriminator, {"image_shape": (8, 8, 1), "base_filters": HUGE}),
        (build_discriminator, {"image_shape": (8, 8, 1), "base_filters": 1, "num_classes": HUGE}),
        (build_encoder, {"image_shape": (8, 8, 1), "base_filters": HUGE}),
        (build_decoder, {"image_shape": (8, 8, 1), "base_filters": HUGE}),
        (build_unet, {"image_shape": (None, None, 1), "depth": 1, "base_filters": HUGE}),
        (build_unet, {"image_shape": (None, None, 1), "depth": 1, "base_filters": 2**14}),
    ],
)
def test_builders_refuse_models_too_large_for_memory(builder, kwargs):
    # Used to start initialising the weights and die with an OOM (576 GiB).
    name = next(k for k, v in kwargs.items() if v in (HUGE, 2**14))
    with pytest.raises(ValueError, match=rf"more than 268,435,456 \(1 GiB\).*Received: .*{name}={kwargs[name]}"):
        builder(**kwargs)


def test_weight_estimates_bound_the_real_counts(monkeypatch):
    import kerasgen.models.dcgan as dcgan
    import kerasgen.models.unet as unet
    import kerasgen.models.vae as vae

    seen = []
    for module in (dcgan, unet, vae):
        monkeypatch.setattr(module, "check_weight_count", lambda count, **_: seen.append(count))
    models = [
        build_generator(latent_dim=3, image_shape=(16, 8, 3), base_filters=2, num_classes=4),
        build_discriminator(image_shape=(16, 8, 3), base_filters=2, num_classes=4, norm="batch"),
        build_encoder(image_shape=(16, 8, 2), latent_dim=3, base_filters=2),
        build_decoder(latent_dim=3, image_shape=(16, 8, 4), base_filters=2),
        build_unet((None, None, 3), depth=2, base_filters=2, noise_level_input=True, pixel_unshuffle=2),
        build_unet((16, 16, 1), depth=2, base_filters=2, block="residual", convs_per_level=1),
    ]
    for model, estimate in zip(models, seen):
        assert model.count_params() <= estimate < 2 * model.count_params(), model.name


def test_encoder_seed_of_wrong_type_is_a_type_error():
    # TypeError for a wrong type, as everywhere else (was a ValueError).
    for seed in (True, 1.5, "0"):
        with pytest.raises(TypeError, match=r"seed must be an int or None\. Received: seed="):
            build_encoder(image_shape=(8, 8, 1), base_filters=1, seed=seed)
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*32 - 1\] or None"):
        build_encoder(image_shape=(8, 8, 1), base_filters=1, seed=-1)


# ------------------------------------------------------------- custom layers


@pytest.mark.parametrize("cls", [PixelShuffle, PixelUnshuffle])
def test_pixel_shuffle_layers_accept_numpy_ints(cls):
    # Used to refuse np.int64(2) (which build_unet accepts) with a ValueError.
    layer = cls(np.int64(2))
    assert layer.block_size == 2 and type(layer.block_size) is int
    json.dumps(layer.get_config())  # plain ints: the config is JSON-serialisable
    assert cls.from_config(layer.get_config()).block_size == 2
    with pytest.raises(TypeError, match=r"block_size must be an int >= 1\. Received: block_size=True"):
        cls(True)
    with pytest.raises(ValueError, match=r"block_size must be an int >= 1\. Received: block_size=0"):
        cls(0)


# -------------------------------------------------------------------- losses


def test_discriminator_losses_accept_float64_with_float32():
    # numpy float64 against a model's float32 used to fail in AddV2/Sub.
    real = np.array([[1.0], [-2.0]])  # float64
    fake = np.array([[0.5], [3.0]], "float32")
    expected = {
        losses.non_saturating_discriminator_loss: np.logaddexp(0, -real[:, 0]) + np.logaddexp(0, fake[:, 0]),
        losses.hinge_discriminator_loss: np.maximum(0, 1 - real[:, 0]) + np.maximum(0, 1 + fake[:, 0]),
        losses.wasserstein_discriminator_loss: fake[:, 0] - real[:, 0],
    }
    for loss, value in expected.items():
        np.testing.assert_allclose(np.asarray(loss(real, fake)), value, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(loss(fake, real)), np.asarray(loss(fake.astype("float64"), real)))
    kl = losses.kl_divergence(np.ones((1, 2)), np.zeros((1, 2), "float32"))
    np.testing.assert_allclose(np.asarray(kl), [1.0])
    critic = lambda x: 0.5 * keras.ops.sum(x, axis=1)  # noqa: E731
    penalty = losses.gradient_penalty(critic, np.ones((2, 4)), np.zeros((2, 4), "float32"), seed=0)
    np.testing.assert_allclose(np.asarray(penalty), [0.0, 0.0], atol=1e-6)


def test_losses_refuse_complex_and_string_inputs():
    # Complex logits used to be cast to float32 silently (imaginary part dropped).
    with pytest.raises(TypeError, match=r"fake_logits must be a real-valued .* Received: fake_logits of dtype complex128"):
        losses.non_saturating_generator_loss(np.array([[1j]]))
    with pytest.raises(TypeError, match=r"y_true must be a real-valued"):
        losses.psnr_loss(np.array([["a"]]), np.zeros((1, 1)))


def test_losses_refuse_an_empty_example_axis():
    # Used to return NaN (the mean over no values); an empty batch stays valid.
    with pytest.raises(ValueError, match=r"at least one value per example.*Received: fake_logits\.shape=\(2, 0\)"):
        losses.non_saturating_generator_loss(np.zeros((2, 0), "float32"))
    assert tuple(losses.hinge_generator_loss(np.zeros((0, 1), "float32")).shape) == (0,)


def test_gaussian_nll_std_must_not_enlarge_x():
    x = np.zeros((2, 3), "float32")
    # A std of shape (2, 1, 1) broadcast the error to (2, 2, 3): each pixel
    # counted twice, a silently doubled likelihood.
    with pytest.raises(ValueError, match=r"broadcastable to the shape of x \(2, 3\).*Received: std\.shape=\(2, 1, 1\)"):
        losses.gaussian_nll(x, x, np.ones((2, 1, 1), "float32"))
    with pytest.raises(ValueError, match=r"Received: std\.shape=\(5, 3\)"):
        losses.gaussian_nll(x, x, np.ones((5, 3), "float32"))
    one_pixel = 0.5 * np.log(2 * np.pi)
    for std in (1.0, np.ones((2, 1), "float32"), np.ones((3,), "float32"), np.ones((2, 3), "float32")):
        np.testing.assert_allclose(np.asarray(losses.gaussian_nll(x, x, std)), [3 * one_pixel] * 2, rtol=1e-6)


def test_gaussian_nll_float_std_must_be_finite_and_not_a_bool():
    x = np.zeros((1, 2), "float32")
    with pytest.raises(ValueError, match=r"std must be finite\. Received: std=inf"):
        losses.gaussian_nll(x, x, float("inf"))  # used to return inf
    with pytest.raises(TypeError, match=r"std must be a positive float or tensor\. Received: std=np\.True_"):
        losses.gaussian_nll(x, x, np.bool_(True))  # used to count as 1.0


def test_gradient_penalty_checks_the_critic_output():
    images = np.zeros((2, 4), "float32")
    # One output for two images: the second image's gradient was silently 0.
    with pytest.raises(ValueError, match=r"one output per image.*batch = 2\. Received: critic output of shape \(1, 1\)"):
        losses.gradient_penalty(lambda x: keras.ops.sum(x, axis=1, keepdims=True)[:1], images, images, seed=0)
    # A critic that ignores its input used to fail converting None to a tensor.
    with pytest.raises(ValueError, match=r"gradient with respect to them is None"):
        losses.gradient_penalty(lambda x: keras.ops.zeros((2, 1)), images, images, seed=0)
