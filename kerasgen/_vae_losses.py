"""VAE losses: the KL term and the reconstruction likelihoods, in nats per image.

Public through :mod:`kerasgen.losses`.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import math
import numbers

import keras
import numpy as np
from keras import ops

from kerasgen._checks import check_float
from kerasgen._loss_utils import _as_float_tensor, _check_same_shape, _common_dtype, _sum_per_example


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
    z_mean, z_log_var = _common_dtype(z_mean, z_log_var)
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
    if isinstance(std, (bool, np.bool_, str, bytes)) or std is None:
        raise TypeError(f"std must be a positive float or tensor. Received: std={std!r}")
    if isinstance(std, numbers.Real):
        # Also refuses inf and nan (a float std of inf gives an infinite loss).
        check_float("std", std, minimum=0.0, open_minimum=True)
    x = _as_float_tensor(x, "x")
    mean = _as_float_tensor(mean, "mean")
    _check_same_shape(x, mean, "x", "mean")
    x = ops.cast(x, mean.dtype)
    std = ops.cast(ops.convert_to_tensor(std), mean.dtype)
    _check_broadcastable(std, x)
    nll = (
        0.5 * ops.square((x - mean) / std)
        + ops.log(std)
        + 0.5 * math.log(2.0 * math.pi)
    )
    return _sum_per_example(nll)


def _check_broadcastable(std, x):
    """Refuses a ``std`` that would broadcast ``x`` to a larger shape.

    ``(x - mean) / std`` with ``std`` of shape ``(2, 1, 1)`` and ``x`` of shape
    ``(2, 3)`` has shape ``(2, 2, 3)``: summed per example, every pixel would
    count twice, a silently wrong likelihood.
    """
    std_shape, x_shape = tuple(std.shape), tuple(x.shape)
    if len(std_shape) > len(x_shape) or any(
        s is not None and s != 1 and d is not None and s != d
        for s, d in zip(reversed(std_shape), reversed(x_shape))
    ):
        raise ValueError(
            "std must be a float or a tensor broadcastable to the shape of x "
            f"{x_shape} (without enlarging it). Received: std.shape={std_shape}"
        )
