"""Per-example losses for GANs and VAEs (TF-GAN naming).

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

import math
import numbers

import keras
import tensorflow as tf
from keras import ops

__all__ = [
    "bernoulli_nll",
    "gaussian_nll",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "kl_divergence",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]

_HALF_DTYPES = ("float16", "bfloat16")


def _as_float_tensor(x, name):
    """Converts ``x`` to a float tensor of rank >= 1, in at least float32."""
    if x is None:
        raise ValueError(f"{name} must be a tensor. Received: {name}=None")
    x = ops.convert_to_tensor(x)
    dtype = keras.backend.standardize_dtype(x.dtype)
    if "float" not in dtype or dtype in _HALF_DTYPES:
        x = ops.cast(x, "float32")
    if len(x.shape) < 1:
        raise ValueError(
            f"{name} must have a batch axis (rank >= 1). "
            f"Received: {name}.shape={tuple(x.shape)}"
        )
    return x


def _check_same_shape(a, b, name_a, name_b):
    shape_a, shape_b = tuple(a.shape), tuple(b.shape)
    compatible = len(shape_a) == len(shape_b) and all(
        da is None or db is None or da == db for da, db in zip(shape_a, shape_b)
    )
    if not compatible:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape. Received: "
            f"{name_a}.shape={shape_a}, {name_b}.shape={shape_b}"
        )


def _mean_per_example(x):
    if len(x.shape) == 1:
        return x
    return ops.mean(x, axis=tuple(range(1, len(x.shape))))


def _sum_per_example(x):
    if len(x.shape) == 1:
        return x
    return ops.sum(x, axis=tuple(range(1, len(x.shape))))


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
    grads = tape.gradient(critic_sum, interpolated)
    grads = ops.cast(grads, "float32")
    squared = _sum_per_example(ops.square(grads))
    # The tiny constant keeps the gradient of sqrt finite at 0.
    norms = ops.sqrt(squared + 1e-12)
    return ops.square(norms - 1.0)


def kl_divergence(z_mean, z_log_var):
    """KL divergence ``KL(N(z_mean, exp(z_log_var)) || N(0, I))`` in nats.

    ``-0.5 * sum(1 + z_log_var - z_mean**2 - exp(z_log_var))`` over all
    non-batch axes.

    Args:
        z_mean: Posterior means, shape ``(batch, ...)``.
        z_log_var: Posterior log-variances, same shape.

    Returns:
        Per-example KL divergences, shape ``(batch,)``.

    Raises:
        ValueError: If the shapes differ.

    Example:

    >>> import numpy as np
    >>> kl = kl_divergence(np.ones((1, 4), "float32"), np.zeros((1, 4), "float32"))
    >>> np.asarray(kl).tolist()  # 0.5 nat per dimension
    [2.0]
    """
    z_mean = _as_float_tensor(z_mean, "z_mean")
    z_log_var = _as_float_tensor(z_log_var, "z_log_var")
    _check_same_shape(z_mean, z_log_var, "z_mean", "z_log_var")
    kl = -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
    return _sum_per_example(kl)


@keras.saving.register_keras_serializable(package="kerasgen")
def bernoulli_nll(x, probs):
    """Bernoulli negative log-likelihood in nats, summed over pixels.

    Its ``(y_true, y_pred)`` signature makes it usable as a Keras loss
    (``model.compile(loss=kerasgen.losses.bernoulli_nll)``); it is registered
    as ``"kerasgen>bernoulli_nll"`` so that such a model reloads.

    ``-sum(x * log(p) + (1 - x) * log(1 - p))`` with ``p`` clipped to
    ``[eps, 1 - eps]`` (``eps = keras.config.epsilon()``), so saturated
    decoders give large but finite losses. ``x`` may be binary or
    grey values in ``[0, 1]`` (the usual continuous relaxation).

    Args:
        x: Target images in ``[0, 1]``, shape ``(batch, ...)``.
        probs: Decoder probabilities in ``[0, 1]``, same shape.

    Returns:
        Per-image negative log-likelihoods, shape ``(batch,)``.

    Raises:
        ValueError: If the shapes differ.

    Example:

    >>> import numpy as np
    >>> nll = bernoulli_nll(np.ones((1, 2, 2, 1), "float32"),
    ...                     np.full((1, 2, 2, 1), 0.5, "float32"))
    >>> np.asarray(nll, "float64").round(4).tolist()  # 4 * log(2)
    [2.7726]
    """
    x = _as_float_tensor(x, "x")
    probs = _as_float_tensor(probs, "probs")
    _check_same_shape(x, probs, "x", "probs")
    x = ops.cast(x, probs.dtype)
    eps = keras.config.epsilon()
    probs = ops.clip(probs, eps, 1.0 - eps)
    nll = -(x * ops.log(probs) + (1.0 - x) * ops.log(1.0 - probs))
    return _sum_per_example(nll)


def gaussian_nll(x, mean, std):
    """Gaussian negative log-likelihood in nats, summed over pixels.

    ``sum(0.5 * ((x - mean) / std)**2 + log(std) + 0.5 * log(2 * pi))``.

    Args:
        x: Target images, shape ``(batch, ...)``.
        mean: Decoder means, same shape.
        std: Positive float, or a tensor broadcastable to ``x`` (e.g. a
            learned per-pixel standard deviation).

    Returns:
        Per-image negative log-likelihoods, shape ``(batch,)``.

    Raises:
        TypeError: If ``std`` is None or a bool.
        ValueError: If the shapes differ or a float ``std`` is not positive.

    Example:

    >>> import numpy as np
    >>> x = np.zeros((1, 4), "float32")
    >>> nll = gaussian_nll(x, x, 1.0)  # 4 * 0.5 * log(2 * pi)
    >>> np.asarray(nll, "float64").round(4).tolist()
    [3.6758]
    """
    if isinstance(std, bool) or std is None:
        raise TypeError(f"std must be a positive float or tensor. Received: std={std!r}")
    if isinstance(std, numbers.Real) and not std > 0:
        raise ValueError(f"std must be > 0. Received: std={std!r}")
    x = _as_float_tensor(x, "x")
    mean = _as_float_tensor(mean, "mean")
    _check_same_shape(x, mean, "x", "mean")
    x = ops.cast(x, mean.dtype)
    std = ops.cast(ops.convert_to_tensor(std), mean.dtype)
    nll = (
        0.5 * ops.square((x - mean) / std)
        + ops.log(std)
        + 0.5 * math.log(2.0 * math.pi)
    )
    return _sum_per_example(nll)
