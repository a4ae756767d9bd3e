"""Per-example losses for GANs, VAEs and restorers (TF-GAN naming).

Every function returns one value per example, shape ``(batch,)``: values are
averaged over the non-batch axes for the discriminator/generator losses (so a
PatchGAN map of logits gives one number per image) and summed over the
non-batch axes for the likelihoods and the KL divergence (so they are in nats
per image). The trainers average them over the *global* batch, which keeps a
step on several replicas equal to a step on one replica.

Inputs of integer or half-precision dtype are computed in ``float32``; logits
go through ``softplus`` forms, never through ``sigmoid`` then ``log``.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import numbers

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen._loss_utils import (
    _as_float_tensor,
    _check_same_shape,
    _common_dtype,
    _mean_per_example,
    _sum_per_example,
)
from kerasgen._vae_losses import bernoulli_nll, gaussian_nll, kl_divergence

__all__ = [
    "bernoulli_nll",
    "gaussian_nll",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "kl_divergence",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "psnr_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]


def non_saturating_generator_loss(fake_logits):
    """Non-saturating generator loss of Goodfellow et al. (2014).

    ``-log(sigmoid(fake_logits)) = softplus(-fake_logits)``, averaged over the
    non-batch axes.

    Args:
        fake_logits: Discriminator logits on generated images, shape
            ``(batch, ...)``.

    Returns:
        Per-example losses, shape ``(batch,)``.

    Raises:
        ValueError: If ``fake_logits`` has no batch axis.

    Example:

    >>> import numpy as np
    >>> loss = non_saturating_generator_loss(np.zeros((2, 1), "float32"))
    >>> np.asarray(loss, "float64").round(4).tolist()  # log(2)
    [0.6931, 0.6931]
    """
    fake_logits = _as_float_tensor(fake_logits, "fake_logits")
    return _mean_per_example(ops.softplus(-fake_logits))


def non_saturating_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Binary cross-entropy discriminator loss, on logits.

    ``BCE(real_logits, 1 - label_smoothing) + BCE(fake_logits, 0)``: one-sided
    label smoothing (Salimans et al., 2016) softens only the real targets.

    Args:
        real_logits: Discriminator logits on real images, shape ``(batch, ...)``.
        fake_logits: Discriminator logits on generated images, same shape.
        label_smoothing: Float in ``[0, 1)``; the real target becomes
            ``1 - label_smoothing``.

    Returns:
        Per-example losses, shape ``(batch,)``.

    Raises:
        TypeError: If ``label_smoothing`` is not a float.
        ValueError: If the shapes differ or ``label_smoothing`` is outside
            ``[0, 1)``.

    Example:

    >>> import numpy as np
    >>> zeros = np.zeros((2, 1), "float32")
    >>> loss = non_saturating_discriminator_loss(zeros, zeros)
    >>> np.asarray(loss, "float64").round(4).tolist()  # 2 * log(2)
    [1.3863, 1.3863]
    """
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(
            f"label_smoothing must be a float. Received: label_smoothing={label_smoothing!r}"
        )
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(
            "label_smoothing must be in [0, 1). "
            f"Received: label_smoothing={label_smoothing!r}"
        )
    real_logits = _as_float_tensor(real_logits, "real_logits")
    fake_logits = _as_float_tensor(fake_logits, "fake_logits")
    _check_same_shape(real_logits, fake_logits, "real_logits", "fake_logits")
    real_logits, fake_logits = _common_dtype(real_logits, fake_logits)
    target = 1.0 - float(label_smoothing)
    real_loss = target * ops.softplus(-real_logits) + (1.0 - target) * ops.softplus(
        real_logits
    )
    fake_loss = ops.softplus(fake_logits)
    return _mean_per_example(real_loss) + _mean_per_example(fake_loss)


def hinge_generator_loss(fake_logits):
    """Hinge-GAN generator loss (Lim & Ye, 2017; Miyato et al., 2018).

    ``-fake_logits``, averaged over the non-batch axes.

    Args:
        fake_logits: Discriminator outputs on generated images, ``(batch, ...)``.

    Returns:
        Per-example losses, shape ``(batch,)``.

    Raises:
        ValueError: If ``fake_logits`` has no batch axis.

    Example:

    >>> import numpy as np
    >>> np.asarray(hinge_generator_loss(np.array([[0.5], [-2.0]], "float32"))).tolist()
    [-0.5, 2.0]
    """
    fake_logits = _as_float_tensor(fake_logits, "fake_logits")
    return _mean_per_example(-fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge-GAN discriminator loss: ``relu(1 - real) + relu(1 + fake)``.

    Args:
        real_logits: Discriminator outputs on real images, ``(batch, ...)``.
        fake_logits: Discriminator outputs on generated images, same shape.

    Returns:
        Per-example losses, shape ``(batch,)``.

    Raises:
        ValueError: If the shapes differ.

    Example:

    >>> import numpy as np
    >>> real = np.array([[2.0], [0.0]], "float32")
    >>> fake = np.array([[-2.0], [0.5]], "float32")
    >>> np.asarray(hinge_discriminator_loss(real, fake)).tolist()
    [0.0, 2.5]
    """
    real_logits = _as_float_tensor(real_logits, "real_logits")
    fake_logits = _as_float_tensor(fake_logits, "fake_logits")
    _check_same_shape(real_logits, fake_logits, "real_logits", "fake_logits")
    real_logits, fake_logits = _common_dtype(real_logits, fake_logits)
    return _mean_per_example(ops.relu(1.0 - real_logits)) + _mean_per_example(
        ops.relu(1.0 + fake_logits)
    )


def wasserstein_generator_loss(fake_logits):
    """Wasserstein generator loss (Arjovsky et al., 2017): ``-critic(fake)``.

    Args:
        fake_logits: Critic outputs on generated images, ``(batch, ...)``.

    Returns:
        Per-example losses, shape ``(batch,)``.

    Raises:
        ValueError: If ``fake_logits`` has no batch axis.

    Example:

    >>> import numpy as np
    >>> np.asarray(wasserstein_generator_loss(np.array([[1.5]], "float32"))).tolist()
    [-1.5]
    """
    fake_logits = _as_float_tensor(fake_logits, "fake_logits")
    return _mean_per_example(-fake_logits)


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Wasserstein critic loss: ``critic(fake) - critic(real)``.

    Add :func:`gradient_penalty` (WGAN-GP) to enforce the Lipschitz constraint.

    Args:
        real_logits: Critic outputs on real images, ``(batch, ...)``.
        fake_logits: Critic outputs on generated images, same shape.

    Returns:
        Per-example losses, shape ``(batch,)``.

    Raises:
        ValueError: If the shapes differ.

    Example:

    >>> import numpy as np
    >>> real = np.array([[3.0]], "float32")
    >>> fake = np.array([[1.0]], "float32")
    >>> np.asarray(wasserstein_discriminator_loss(real, fake)).tolist()
    [-2.0]
    """
    real_logits = _as_float_tensor(real_logits, "real_logits")
    fake_logits = _as_float_tensor(fake_logits, "fake_logits")
    _check_same_shape(real_logits, fake_logits, "real_logits", "fake_logits")
    real_logits, fake_logits = _common_dtype(real_logits, fake_logits)
    return _mean_per_example(fake_logits) - _mean_per_example(real_logits)


def gradient_penalty(critic_fn, real_images, fake_images, *, epsilon=None, seed=None):
    """WGAN-GP gradient penalty (Gulrajani et al., 2017).

    ``(||grad critic(x_hat)||_2 - 1) ** 2`` with
    ``x_hat = epsilon * real + (1 - epsilon) * fake`` and one
    ``epsilon ~ U(0, 1)`` per example. The penalty is differentiable with
    respect to the critic's weights (call it inside the critic's
    ``tf.GradientTape``). The critic must treat examples independently (no
    batch normalisation), as the paper requires.

    Args:
        critic_fn: Callable mapping a batch of images to critic outputs of
            shape ``(batch, ...)`` (e.g. ``lambda x: critic([x, labels])``).
        real_images: Real images, shape ``(batch, ...)``.
        fake_images: Generated images, same shape.
        epsilon: Optional interpolation factors, shape ``(batch,)``. Drawn from
            ``U(0, 1)`` with ``seed`` when None.
        seed: Int, ``keras.random.SeedGenerator`` or None, used only when
            ``epsilon`` is None.

    Returns:
        Per-example penalties, shape ``(batch,)``.

    Raises:
        TypeError: If ``critic_fn`` is not callable.
        ValueError: If the image shapes differ or ``epsilon`` does not have
            shape ``(batch,)``.

    Example:

    >>> import numpy as np
    >>> critic = lambda x: 0.5 * keras.ops.sum(x, axis=(1, 2, 3))
    >>> ones = np.ones((2, 2, 2, 1), "float32")  # gradient norm = 0.5 * 2 = 1
    >>> np.asarray(gradient_penalty(critic, ones, 0 * ones, seed=0)).tolist()
    [0.0, 0.0]
    """
    if not callable(critic_fn):
        raise TypeError(
            f"critic_fn must be callable. Received: critic_fn={critic_fn!r}"
        )
    real_images = _as_float_tensor(real_images, "real_images")
    fake_images = _as_float_tensor(fake_images, "fake_images")
    _check_same_shape(real_images, fake_images, "real_images", "fake_images")
    real_images, fake_images = _common_dtype(real_images, fake_images)
    batch = ops.shape(real_images)[0]
    if epsilon is None:
        epsilon = keras.random.uniform((batch,), dtype=real_images.dtype, seed=seed)
    else:
        epsilon = ops.cast(ops.convert_to_tensor(epsilon), real_images.dtype)
        if len(epsilon.shape) != 1 or (
            epsilon.shape[0] is not None
            and real_images.shape[0] is not None
            and epsilon.shape[0] != real_images.shape[0]
        ):
            raise ValueError(
                "epsilon must have shape (batch,) = "
                f"({real_images.shape[0]},). Received: "
                f"epsilon.shape={tuple(epsilon.shape)}"
            )
    epsilon = ops.reshape(epsilon, (-1,) + (1,) * (len(real_images.shape) - 1))
    interpolated = epsilon * real_images + (1.0 - epsilon) * fake_images
    with tf.GradientTape() as tape:
        tape.watch(interpolated)
        critic_out = ops.cast(critic_fn(interpolated), "float32")
        # Examples are independent, so d(sum)/dx_i = d critic(x_i) / dx_i.
        critic_sum = ops.sum(critic_out)
    out_shape = tuple(critic_out.shape)
    if not out_shape or (
        out_shape[0] is not None
        and interpolated.shape[0] is not None
        and out_shape[0] != interpolated.shape[0]
    ):
        # Else the penalty would silently use the gradients of some images only.
        raise ValueError(
            "critic_fn must return one output per image, of shape (batch, ...) "
            f"with batch = {interpolated.shape[0]}. Received: critic output of "
            f"shape {out_shape}"
        )
    grads = tape.gradient(critic_sum, interpolated)
    if grads is None:
        raise ValueError(
            "critic_fn's output must depend (differentiably) on the images it is "
            "given: its gradient with respect to them is None. Received: "
            f"critic_fn={critic_fn!r}"
        )
    grads = ops.cast(grads, "float32")
    squared = _sum_per_example(ops.square(grads))
    # The tiny constant keeps the gradient of sqrt finite at 0.
    norms = ops.sqrt(squared + 1e-12)
    return ops.square(norms - 1.0)


PSNR_LOSS_FLOOR = 1e-8
"""Added to each image's mean squared error in `psnr_loss` (caps it at -80 dB)."""


@keras.saving.register_keras_serializable(package="kerasgen")
def psnr_loss(y_true, y_pred):
    """Minus the PSNR (dB) of each image, for images in [0, 1].

    ``10 * log10(mse + 1e-8)`` per example, the mean squared error taken over
    the non-batch axes. Its batch mean is minus the mean PSNR that restoration
    benchmarks report, so every image counts by its relative error: a patch
    with little noise weighs as much as a very noisy one (with ``"mse"`` the
    noisiest patches dominate the gradient, with ``"mae"`` they still weigh
    more). The ``1e-8`` floor keeps the loss finite on exact results (80 dB).
    ``kerasgen.recipes.train_unet(loss="psnr")`` uses it.

    Args:
        y_true: Reference images ``(batch, ...)``.
        y_pred: Restored images, same shape.

    Returns:
        Per-example losses in dB, shape ``(batch,)``.

    Raises:
        ValueError: If the shapes differ or there is no batch axis.

    Example:

    >>> import numpy as np
    >>> x = np.full((1, 8, 8, 1), 0.5, "float32")
    >>> round(float(psnr_loss(x, x + 0.1)[0]), 2)  # the image's PSNR is 20 dB
    -20.0
    """
    y_true = _as_float_tensor(y_true, "y_true")
    y_pred = _as_float_tensor(y_pred, "y_pred")
    _check_same_shape(y_true, y_pred, "y_true", "y_pred")
    y_true = ops.cast(y_true, y_pred.dtype)
    mse = _mean_per_example(ops.square(y_pred - y_true))
    return 10.0 * ops.log(mse + PSNR_LOSS_FLOOR) / float(np.log(10.0))
