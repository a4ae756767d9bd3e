"""Half-quadratic splitting loop, noise schedule and denoiser adapters."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import numpy as np

from kerasgen._checks import check_int
from kerasgen._symmetry import flip_rotate
from kerasgen.inference import size_multiple
from kerasgen.precision import inference_model
from kerasgen.restoration._checks import check_float

# Noise level below which the data-step weight stops shrinking: about the
# quantisation noise of an 8-bit image (as kerasgen.restoration.deblur; DPIR
# uses 0.255 / 255 = 1e-3 too). A zero sigma would make the data step a
# plain, unstable inverse.
SIGMA_FLOOR = 1e-3
# DPIR's defaults (Zhang et al. 2021): first denoiser level 49 / 255 and
# lambda = 0.23 in alpha_k = lambda * sigma**2 / sigma_k**2.
SIGMA_START = 49 / 255
PRIOR_WEIGHT = 0.23


def noise_schedule(iterations, sigma_start, sigma_end):
    """Denoiser noise levels of the iterations: log-spaced, decreasing.

    Args:
        iterations: int >= 1.
        sigma_start: level of the first iteration (image units).
        sigma_end: level of the last iteration (the first one if
            ``iterations == 1``).

    Returns:
        float64 array of `iterations` levels from `sigma_start` to `sigma_end`.

    Example:

    >>> noise_schedule(3, 0.2, 0.05).round(3).tolist()
    [0.2, 0.1, 0.05]
    """
    return np.geomspace(sigma_start, sigma_end, iterations)


def data_weights(sigmas, sigma, prior_weight):
    """DPIR's ``alpha_k = prior_weight * max(sigma, SIGMA_FLOOR)**2 / sigma_k**2``."""
    return prior_weight * max(sigma, SIGMA_FLOOR) ** 2 / np.asarray(sigmas) ** 2


def run(x, data_step, denoise, sigmas, alphas, *, self_ensemble=False, window=None):
    """Alternates ``x = data_step(x, alpha_k)`` and ``x = denoise(x, sigma_k)``.

    Args:
        x: initial estimate ``(H, W, C)``.
        data_step: ``f(z, alpha) -> x``, the closed-form data step.
        denoise: ``f(x, sigma) -> z``, the prior step.
        sigmas: noise levels of the prior steps.
        alphas: weights of the data steps.
        self_ensemble: whether iteration ``k`` denoises the image flipped
            and rotated by the ``k % 8``-th of the 8 symmetries of the
            square (`flip_rotate`), then transforms the result back (DPIR's
            ``x8``): the denoiser's own artefacts, not symmetric, average
            out over the iterations at no extra cost.
        window: None (the prior step denoises all of ``x``) or a pair of
            slices ``(rows, cols)``: the prior step denoises ``x[rows, cols]``
            and the rest of ``x`` keeps the data step's values (the solvers
            leave most of the padding around the image to the data step).

    Returns:
        The estimate after the last prior step.
    """
    for k, (sigma_k, alpha_k) in enumerate(zip(sigmas, alphas)):
        x = data_step(x, float(alpha_k))
        inner = x if window is None else x[window]
        if self_ensemble:
            inner = flip_rotate(denoise(flip_rotate(inner, k % 8), float(sigma_k)), k % 8, inverse=True)
        else:
            inner = denoise(inner, float(sigma_k))
        if window is None:
            x = inner
        else:
            x[window] = inner
    return x


def check_schedule(iterations, sigma_start, sigma_end, prior_weight):
    """Validates the schedule arguments (see the public functions)."""
    iterations = check_int("iterations", iterations, minimum=1)
    sigma_start = check_float("sigma_start", sigma_start, minimum=0.0, maximum=1.0, open_minimum=True)
    sigma_end = check_float("sigma_end", sigma_end, minimum=0.0, maximum=1.0, open_minimum=True, allow_none=True)
    prior_weight = check_float("prior_weight", prior_weight, minimum=0.0, open_minimum=True)
    return iterations, sigma_start, sigma_end, prior_weight


def make_denoiser(model, channels, precision="auto"):
    """Wraps `model` as ``f(image (H, W, C), sigma) -> image``.

    Args:
        model: None (the shipped denoiser for `channels`,
            ``kerasgen.pretrained.load_denoiser``), a ``keras.Model`` taking
            ``[images, noise_sigma]``, or a callable ``f(image, sigma)``.
        channels: 1 or 3, the image's channels.
        precision: arithmetic of a Keras model's inner layers (its cached
            copy, `kerasgen.precision.inference_model`); ``"auto"``: bfloat16 on
            CPUs with native bfloat16, float32 elsewhere. Validated by the
            caller.

    Returns:
        The denoising function (float64 in, float64 out, shape kept).

    Raises:
        TypeError: if `model` is none of these.
        ValueError: if a Keras model has no noise-level input or the wrong
            number of channels.
    """
    if model is None:
        from kerasgen.pretrained import load_denoiser

        model = load_denoiser(channels)
    if isinstance(model, keras.Model):
        return _KerasDenoiser(model, channels, precision)
    if callable(model):
        return _CallableDenoiser(model, channels)
    raise TypeError(
        "model must be None (the shipped denoiser), a keras.Model taking "
        "[images, noise_sigma] or a callable denoiser(image, sigma). "
        f"Received: model of type {type(model).__name__}"
    )


def switch_denoiser(high, low, level):
    """``f(image, sigma)``: `high` for ``sigma > level``, `low` below (both wrapped denoisers)."""

    def denoise(image, sigma):
        return (high if sigma > level else low)(image, sigma)

    return denoise


class _KerasDenoiser:
    """Runs a noise-level-aware model on one image (or on each channel)."""

    def __init__(self, model, channels, precision):
        inputs = model.inputs
        if len(inputs) != 2 or len(inputs[0].shape) != 4:
            shapes = [tuple(x.shape) for x in inputs]
            raise ValueError(
                "model must take [images (batch, H, W, C), noise_sigma (batch, 1)], "
                "e.g. kerasgen.models.build_unet(noise_level_input=True): plug-and-play "
                f"sets the noise level of every iteration. Received: model input shapes {shapes}"
            )
        model_channels = inputs[0].shape[-1]
        if model_channels not in (None, channels, 1):
            raise ValueError(
                f"model must denoise images with {channels} channel(s) (or 1 channel, "
                f"applied to each channel). Received: a model for {model_channels} channels"
            )
        self.model = inference_model(model, precision)
        self.per_channel = model_channels == 1 and channels != 1
        self.multiple = size_multiple(model)

    def __call__(self, image, sigma):
        height, width = image.shape[:2]
        pad_h, pad_w = -height % self.multiple, -width % self.multiple
        batch = image.astype(np.float32)
        if pad_h or pad_w:
            mode = "reflect" if min(height, width) > 1 else "edge"
            batch = np.pad(batch, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)
        batch = np.moveaxis(batch, -1, 0)[..., np.newaxis] if self.per_channel else batch[np.newaxis]
        levels = np.full((len(batch), 1), sigma, np.float32)
        output = np.asarray(self.model.predict_on_batch([batch, levels]), np.float64)
        if output.shape != batch.shape:
            raise ValueError(
                "The model must return images of its input shape. Received: "
                f"output shape {output.shape} for input shape {batch.shape}"
            )
        output = np.moveaxis(output[..., 0], 0, -1) if self.per_channel else output[0]
        return np.clip(output[:height, :width], 0.0, 1.0)


class _CallableDenoiser:
    """Calls ``denoiser(image, sigma)`` with the caller's image layout."""

    def __init__(self, function, channels):
        self.function = function
        self.gray = channels == 1

    def __call__(self, image, sigma):
        argument = image[..., 0] if self.gray else image
        output = np.asarray(self.function(argument.astype(np.float32), sigma))
        if output.shape != argument.shape or not np.issubdtype(output.dtype, np.number):
            raise ValueError(
                "denoiser(image, sigma) must return a numeric array of the image's shape. "
                f"Received: output shape {output.shape} for image shape {argument.shape}"
            )
        output = output.astype(np.float64)
        if not np.isfinite(output).all():
            raise ValueError("denoiser(image, sigma) returned NaN or inf values.")
        return output[..., np.newaxis] if self.gray else output
