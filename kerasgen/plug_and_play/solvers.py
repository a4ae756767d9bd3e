"""Plug-and-play deblurring, super-resolution and inpainting (DPIR-style HQS).

Each function solves ``min_x ||y - A x||^2 / (2 sigma^2) + prior(x)`` for its
linear degradation ``A`` by half-quadratic splitting (Zhang et al., "Plug-and-
Play Image Restoration with Deep Denoiser Prior", TPAMI 2021): for
``k = 1..iterations``,

    x_k = argmin_x ||y - A x||^2 + alpha_k ||x - z_{k-1}||^2   (closed form)
    z_k = denoiser(x_k, sigma_k)                                (the prior)

with denoiser levels ``sigma_k`` log-spaced from `sigma_start` down to
`sigma_end` and ``alpha_k = prior_weight * max(sigma, 1e-3)**2 / sigma_k**2``.
The result is ``z_iterations``.
"""

import numpy as np
from scipy import fft

from kerasgen._checks import check_int
from kerasgen.plug_and_play import _data_steps, _grids, _hqs
from kerasgen.plug_and_play._prior_weight import deblur_prior_weight
from kerasgen.precision import check_precision
from kerasgen.restoration._checks import check_bool, check_choice
from kerasgen.restoration._periodic import blurred_extension, zero_extension
from kerasgen.restoration._validation import (
    check_image,
    check_psf,
    check_sigma,
)
from kerasgen.restoration.deblurring import _richardson_lucy
from kerasgen.restoration.degradations import BLUR_MODES
from kerasgen.restoration.inpainting import check_mask

# scipy.ndimage boundary mode -> np.pad mode that extends the image alike
# (as kerasgen.restoration.deblur).
_PAD_MODES = {"wrap": "wrap", "reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "constant": "constant"}
# Inpainting: iterations and first / last denoiser levels (noise-free data).
# Measured with the shipped grey denoiser on 5 skimage images (50% / 80%
# missing): 30 iterations ending at 0.5 / 255 gain +0.1 / +0.35 dB over 20
# ending at 1 / 255. Then on validation photos that are not the benchmark's
# (8 held-out cbsd432 images, 256 x 256 crops, grey and colour): starting at
# 30 / 255 instead of DPIR's 49 / 255 with 40 iterations instead of 30 gains
# +0.17 / +0.21 dB (grey) and +0.09 / +0.07 dB (colour). 20 / 255 was better
# still for grey at 50% (+0.04) but worse for colour (-0.19 / -0.17); a
# biharmonic first estimate added only 0.01-0.03 dB and its sparse solve
# grows faster than the image (13 s for one megapixel). Measured again with
# the denoisers of 2026-11 (50% missing, 40 / 60 / 80 iterations): grey
# photos +1.78 / +1.82 / +1.83 dB over biharmonic, colour photos +1.80 /
# +1.84 / +1.84, grey crops of skimage's rocket, hubble_deep_field, retina
# and immunohistochemistry +0.23 / +0.35 / +0.41 (80% missing: photos +1.09
# / +1.11 at 40 / 60, skimage four +0.12 / +0.42): 60, for 1.5x the time.
_INPAINT_ITERATIONS = 60
_INPAINT_SIGMA_START = 30 / 255
# With model=None a colour image is inpainted by the colour denoiser down to
# this level and by the grey one, channel by channel, below it: the colour
# model is weakest at small noise levels. On the same 8 held-out photos,
# over the colour model alone: +0.19 / +0.05 dB (50% / 80% missing); the
# grey model throughout: +0.11 / 0.00; switching at 5 / 255: +0.14 / +0.07.
# (Deblurring loses with it, -0.55 dB, and x4 upscaling gains nothing.)
_INPAINT_GREY_BELOW = 10 / 255
_INPAINT_SIGMA_END = 0.5 / 255
# Super-resolution schedule, chosen on validation images that are not the
# benchmark's: 8 held-out cbsd432 photos (grey 256 x 256 crops, never seen
# by the denoisers) and grey crops of skimage's rocket, hubble_deep_field,
# retina and immunohistochemistry. Gain over bicubic, photos / skimage four:
# x2, 8 iterations ending at 1 / 255: +1.51 / +0.41 dB; 12 iterations: +1.60
# / +0.52; 12 ending at 0.5 / 255: +1.58 / +1.15 (the smooth retina crop
# goes from -2.3 to +0.3 dB). x4, 8 iterations ending at 1 / 255: +0.88 /
# +0.90; 16: +0.92 / +1.00; 16 ending at 0.5 / 255: +0.92 / +1.05.
# Measured again with the denoisers of 2026-11 (grey and colour, the same
# photos and the four skimage crops, ending at 0.5 / 255), more iterations
# kept paying: x2, 12 / 16 / 24 / 32 / 48 iterations: grey photos +1.66 /
# +1.75 / +1.83 / +1.88 / +1.93, colour photos +1.50 / +1.56 / +1.64 / +1.67
# / +1.71, grey skimage four +1.22 / +1.30 / +1.37 / +1.40 / +1.43; x4, 16 /
# 24 / 32 / 48: grey photos +0.84 / +0.84 / +0.84 / +0.82, colour photos
# +0.89 / +0.92 / +0.94 / +0.95, grey skimage four +1.07 / +1.10 / +1.12 /
# +1.14. DPIR's 24 for every scale: most of the gain, 1.5-2x the time of
# 12 / 16. (Starting at 20 or 10 / 255 lost 0.04-0.18 dB on the photos.)
_SR_ITERATIONS = 24
_SR_SIGMA_END = 0.5 / 255


def deblur(image, psf, *, sigma, model=None, iterations=8, mode="reflect", sigma_start=_hqs.SIGMA_START,
           sigma_end=None, prior_weight=None, self_ensemble=True, precision="auto", clip=True,
           channel_axis=None):
    """Deblurs an image blurred by a known PSF, with a denoiser as the prior.

    Data step: ``(H^T H + alpha I) x = H^T y + alpha z`` solved by FFT
    (circular convolution). Unless ``mode="wrap"``, the image is first
    extended (``np.pad`` in `mode`, cross-faded so that it wraps around
    smoothly and made to look circularly blurred, see
    `kerasgen.restoration._periodic.blurred_extension`; for "constant",
    zeros into which the blur of a Richardson-Lucy estimate spills, as in
    `kerasgen.restoration.deblur`) by at least 3 PSF widths, so that real,
    non-periodic photos show no ringing at their borders; the result is
    cropped back. The denoiser sees the image and a margin of 8-15 pixels,
    not all of the padding.

    Args:
        image: blurred (and noisy) float image in [0, 1], (H, W), (H, W, 1)
            or (H, W, 3); noisy values slightly outside are fine.
        psf: 2-D non-negative point-spread function (e.g.
            `kerasgen.restoration.gaussian_psf(9, 1.6)`), applied as
            `kerasgen.restoration.blur` applies it; one not summing to 1 is
            divided by its sum, with a warning (as the classical methods do).
        sigma: keyword-only noise standard deviation in image units (2.55 /
            255 = 0.01 for 1% noise); 0 for none.
        model: None (the shipped denoiser for the image's channels,
            `kerasgen.pretrained.load_denoiser`), a `keras.Model` taking
            ``[images (B, H, W, C) in [0, 1], noise_sigma (B, 1)]`` (e.g.
            `build_unet(noise_level_input=True)`; a 1-channel model denoises
            an RGB image channel by channel), or a callable
            ``denoiser(image, sigma) -> image`` on (H, W) / (H, W, 3) arrays.
        iterations: int >= 1, number of HQS iterations (DPIR: 8).
        mode: boundary model of the blur, as in `kerasgen.restoration.blur`:
            "reflect" (default, right for photos), "mirror", "nearest",
            "constant", or "wrap" (periodic, e.g. images made with
            ``blur(..., mode="wrap")``; no padding).
        sigma_start: denoiser level of the first iteration (DPIR: 49 / 255).
        sigma_end: denoiser level of the last iteration; None:
            ``max(sigma, 1e-3)``.
        prior_weight: DPIR's lambda; larger trusts the prior more. None
            (default): DPIR's 0.23, lowered for a point-symmetric PSF whose
            transfer function has no negative lobes (Gaussian-like) to
            where the last data step's root-mean-square gain on white noise
            is 0.53, but not below 0.085 (0.10 for
            ``gaussian_psf(9, 1.6)``; +0.2-0.4 dB measured on held-out
            photos with Gaussian PSFs of std 1.3-2.5; camera-shake kernels
            keep 0.23).
        self_ensemble: whether iteration ``k`` denoises the image under the
            ``k % 8``-th flip / quarter turn and turns it back (DPIR's
            ``x8``; no extra cost, +0.1-0.4 dB measured).
        precision: arithmetic of a Keras denoiser's inner layers
            (`kerasgen.precision.inference_copy`): "auto" (default) is
            bfloat16 on CPUs with native bfloat16 instructions (AMX,
            AVX512-BF16), float32 elsewhere; or "float32", "mixed_bfloat16",
            "mixed_float16". Measured with the shipped denoisers: 1.6x
            faster, PSNR within 0.005 dB of float32.
        clip: whether to clip the result to [0, 1].
        channel_axis: keyword-only; see `kerasgen.restoration.denoise`.

    Returns:
        The deblurred float32 image, shape of `image`.

    Raises:
        ValueError: invalid image (also one with values clearly outside
            [0, 1], e.g. 0-255, unless `kerasgen.set_range_check` turned
            the check off), PSF (not 2-D, negative, not summing to 1, larger
            than the image), sigma, mode, schedule or model (also a Keras
            model whose output shape is not its input shape).
        TypeError: wrong argument types (e.g. a non-integer `iterations`).

    Example:

    >>> from kerasgen import restoration as R  # doctest: +SKIP
    >>> psf = R.gaussian_psf(9, 1.6)  # doctest: +SKIP
    >>> blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="reflect"), 0.01, seed=0)  # doctest: +SKIP
    >>> sharp = deblur(blurred, psf, sigma=0.01)  # doctest: +SKIP
    """
    array, layout, work = _check_input(image, channel_axis)
    clip = check_bool("clip", clip)
    psf = check_psf(psf, array.shape, normalize=True)
    sigma = check_sigma(sigma, allow_none=False)
    precision = check_precision(precision)
    check_choice("mode", mode, BLUR_MODES)
    # Validated before the work below; with prior_weight=None the weights
    # are redone once the PSF's transfer function is known.
    sigmas, alphas = _schedule(iterations, sigma_start, sigma_end,
                               _hqs.PRIOR_WEIGHT if prior_weight is None else prior_weight, sigma, floor=0.0)
    denoise = _hqs.make_denoiser(model, work.shape[-1], precision)

    extra = (0, 0) if mode == "wrap" else _grids.extensions(work.shape[:2], 3 * max(psf.shape), 1)
    if mode == "constant":
        # Zeros outside: the blur spills into a band around the image, filled
        # from a Richardson-Lucy pilot (as kerasgen.restoration.deblur does);
        # the smooth extension of the other modes is inconsistent with it
        # (the result was 10 dB worse, below the blurred input).
        observed, offset = zero_extension(work, _richardson_lucy(work, psf, sigma), psf, extra)
    else:
        observed, offset = blurred_extension(work, psf, extra, _PAD_MODES[mode])
    otf = _data_steps.psf_otf(psf, observed.shape[:2], real=True)
    if prior_weight is None:
        alphas = _hqs.data_weights(sigmas, sigma, deblur_prior_weight(otf))
    otf_conj_y = np.conj(otf)[..., np.newaxis] * _data_steps.real_fft(observed)
    power = np.abs(otf) ** 2

    def data_step(z, alpha):
        return _data_steps.deconvolution_step(z, otf_conj_y, power, alpha)

    window = _grids.prior_window(offset, work.shape[:2], observed.shape[:2])
    result = _hqs.run(observed, data_step, denoise, sigmas, alphas, self_ensemble=_check_bool(self_ensemble),
                      window=window)
    result = result[offset[0] : offset[0] + work.shape[0], offset[1] : offset[1] + work.shape[1]]
    return _finish(result, array, layout, clip)


def super_resolve(image, scale, *, psf=None, sigma=0.0, model=None, iterations=None, mode="reflect",
                  sigma_start=_hqs.SIGMA_START, sigma_end=None, prior_weight=_hqs.PRIOR_WEIGHT, init=None,
                  self_ensemble=True, precision="auto", clip=True, channel_axis=None):
    """Upscales an image by an integer factor, with a denoiser as the prior.

    Degradation model ``y = S H x + noise`` (``S`` keeps every `scale`-th
    pixel): with ``psf=None`` it is exactly what
    `kerasgen.restoration.downsample` does (Gaussian anti-aliasing of
    standard deviation ``(scale - 1) / 2``, then linear interpolation at the
    centre of each ``scale x scale`` block; `_data_steps.downsample_kernel`);
    with a `psf` it is ``blur(x, psf)[::scale, ::scale]`` (the USRNet/DPIR
    "classical" degradation). The data step is the USRNet/DPIR closed form
    (`_data_steps.super_resolution_step`); the low-resolution image is
    extended as in `deblur` unless ``mode="wrap"``. The first estimate is
    cubic-spline upscaling (`kerasgen.restoration.upsample`). With a `psf`
    and ``mode="constant"`` the low-resolution canvas is zeros into which
    the blur of a Richardson-Lucy estimate spills (as in `deblur`).

    Args:
        image: low-resolution float image in [0, 1], (h, W), (h, w, 1) or
            (h, w, 3).
        scale: int >= 2; the result is (scale * h, scale * w).
        psf: None (the `downsample` degradation) or a 2-D non-negative PSF
            on the high-resolution grid (normalised as in `deblur`).
        sigma: keyword-only noise standard deviation of `image` (image units).
        model: see `deblur`.
        iterations: int >= 1, number of HQS iterations; None: 24 (DPIR's;
            measured on held-out photos).
        mode: boundary model, see `deblur`.
        sigma_start: denoiser level of the first iteration.
        sigma_end: denoiser level of the last iteration; None: ``max(sigma,
            0.5 / 255)`` (DPIR uses ``max(sigma, scale / 255)``; 0.5 / 255
            measured better on smooth images and equal elsewhere).
        prior_weight: DPIR's lambda.
        init: None (spline upscaling) or a first estimate of shape
            (scale * h, scale * w[, 3]).
        self_ensemble: see `deblur`.
        precision: see `deblur`.
        clip: whether to clip the result to [0, 1].
        channel_axis: keyword-only; see `kerasgen.restoration.denoise`.

    Returns:
        The float32 upscaled image, (scale * h, scale * w) plus the channels
        of `image`.

    Raises:
        ValueError: invalid image (see `deblur`), scale, PSF, sigma, mode,
            schedule, init or model (see `deblur`).
        TypeError: a non-integer `scale` or `iterations`.

    Example:

    >>> from kerasgen import restoration as R  # doctest: +SKIP
    >>> small = R.downsample(clean, 4)  # doctest: +SKIP
    >>> large = super_resolve(small, 4)  # doctest: +SKIP
    """
    array, layout, work = _check_input(image, channel_axis)
    clip = check_bool("clip", clip)
    scale = check_int("scale", scale, minimum=2)
    large_shape = (work.shape[0] * scale, work.shape[1] * scale)
    if psf is None:
        kernel, origin = _data_steps.downsample_kernel(scale)
    else:
        kernel = check_psf(psf, large_shape, normalize=True)
        origin = (kernel.shape[0] // 2, kernel.shape[1] // 2)
    sigma = check_sigma(sigma, allow_none=False)
    precision = check_precision(precision)
    check_choice("mode", mode, BLUR_MODES)
    if iterations is None:
        iterations = _SR_ITERATIONS
    schedule = _schedule(iterations, sigma_start, sigma_end, prior_weight, sigma, floor=_SR_SIGMA_END)
    if init is not None:
        init = _check_init(init, large_shape + work.shape[2:], channel_axis)
    denoise = _hqs.make_denoiser(model, work.shape[-1], precision)

    extra = (0, 0)
    if mode != "wrap":
        extra = _grids.extensions(work.shape[:2], -(-max(kernel.shape) // scale) + 2, scale)
    pad_mode = _PAD_MODES[mode]
    observed, offset = _data_steps.periodic_extension(work, extra, pad_mode)
    grid = (observed.shape[0] * scale, observed.shape[1] * scale)
    if mode == "constant" and psf is not None:
        observed = _grids.zero_extension_decimated(work, offset, kernel, grid, scale)
    if init is None:
        start = _grids.spline_upscale(observed, grid, centred=psf is None, scale=scale)
    else:
        start, (row, col) = _data_steps.periodic_extension(init, (extra[0] * scale, extra[1] * scale), pad_mode)
        # The image lies at offset * scale on the grid, not at (extra * scale) // 2
        # (they differ for an odd extension): move it there (the grid is periodic).
        start = np.roll(start, (offset[0] * scale - row, offset[1] * scale - col), axis=(0, 1))
    otf = _data_steps.kernel_otf(kernel, origin, grid)
    upsampled = _data_steps.upsample_zeros(observed, scale)
    otf_conj_y = np.conj(otf)[..., np.newaxis] * fft.fft2(upsampled, axes=(0, 1))

    def data_step(z, alpha):
        return _data_steps.super_resolution_step(z, otf, otf_conj_y, scale, alpha)

    top, left = offset[0] * scale, offset[1] * scale
    window = _grids.prior_window((top, left), large_shape, grid)
    result = _hqs.run(start, data_step, denoise, *schedule, self_ensemble=_check_bool(self_ensemble), window=window)
    result = result[top : top + large_shape[0], left : left + large_shape[1]]
    return _finish(result, array, layout, clip)


def inpaint(image, mask, *, sigma=0.0, model=None, iterations=_INPAINT_ITERATIONS, sigma_start=_INPAINT_SIGMA_START,
            sigma_end=None, prior_weight=_hqs.PRIOR_WEIGHT, init=None, self_ensemble=True, precision="auto",
            clip=True, channel_axis=None):
    """Fills missing pixels, with a denoiser as the prior.

    Data step per pixel: ``x = (m y + alpha z) / (m + alpha)``, ``m`` = 1 for
    a known pixel, 0 for a missing one. The first estimate fills each missing
    pixel with a Gaussian-weighted mean of the known pixels around it
    (normalised convolution, widened until every pixel is reached). With
    ``sigma=0`` the known pixels of the result equal those of `image`.

    Args:
        image: float image in [0, 1], (H, W), (H, W, 1) or (H, W, 3). Values
            under the mask are ignored but must be finite.
        mask: bool array (H, W), True where a pixel is missing (as
            `kerasgen.restoration.inpaint`); 0/1 numbers are accepted.
        sigma: keyword-only noise standard deviation of the known pixels.
        model: see `deblur`; None for a colour image: the shipped colour
            denoiser down to 10 / 255 and the shipped grey one, channel by
            channel, below (the colour model is weakest at the small levels
            the schedule ends with: +0.19 / +0.05 dB at 50% / 80% missing
            on held-out photos).
        iterations: int >= 1, number of HQS iterations (default 60).
        sigma_start: denoiser level of the first iteration (default
            30 / 255: the first fill is already close, so lower than DPIR's
            49 / 255).
        sigma_end: denoiser level of the last iteration; None:
            ``max(sigma, 0.5 / 255)``.
        prior_weight: DPIR's lambda.
        init: None (normalised-convolution fill) or a first estimate of the
            image's shape.
        self_ensemble: see `deblur`.
        precision: see `deblur`.
        clip: whether to clip the result to [0, 1].
        channel_axis: keyword-only; see `kerasgen.restoration.denoise`.

    Returns:
        The float32 inpainted image, shape of `image`.

    Raises:
        ValueError: invalid image (see `deblur`), mask (shape, dtype,
            values, or every pixel missing), sigma, schedule, init or model
            (see `deblur`).

    Example:

    >>> from kerasgen import restoration as R  # doctest: +SKIP
    >>> mask = R.random_mask(clean.shape, 0.5, seed=0)  # doctest: +SKIP
    >>> filled = inpaint(np.where(mask[..., None], 0, clean), mask)  # doctest: +SKIP
    """
    array, layout, work = _check_input(image, channel_axis)
    clip = check_bool("clip", clip)
    mask = check_mask(mask, work.shape[:2])
    if mask.all():
        raise ValueError("mask marks every pixel as missing: there is nothing to inpaint from.")
    sigma = check_sigma(sigma, allow_none=False)
    precision = check_precision(precision)
    schedule = _schedule(iterations, sigma_start, sigma_end, prior_weight, sigma, floor=_INPAINT_SIGMA_END)
    if init is not None:
        init = _check_init(init, work.shape, channel_axis)
    if sigma == 0 and not mask.any():
        # Nothing to fill, but the arguments are still checked (a wrong
        # model or self_ensemble was silently accepted here).
        _check_bool(self_ensemble)
        if model is not None:
            _hqs.make_denoiser(model, work.shape[-1], precision)
        return _finish(work, array, layout, clip)
    denoise = _hqs.make_denoiser(model, work.shape[-1], precision)
    if model is None and work.shape[-1] == 3:
        from kerasgen.pretrained import load_denoiser

        grey = _hqs.make_denoiser(load_denoiser(1), 3, precision)
        denoise = _hqs.switch_denoiser(denoise, grey, _INPAINT_GREY_BELOW)

    known = (~mask).astype(np.float64)
    start = _grids.fill(work, known) if init is None else init

    def data_step(z, alpha):
        return _data_steps.inpainting_step(z, work, known, alpha)

    result = _hqs.run(start, data_step, denoise, *schedule, self_ensemble=_check_bool(self_ensemble))
    if sigma == 0:
        result = np.where(mask[..., np.newaxis], result, work)
    return _finish(result, array, layout, clip)


def _check_input(image, channel_axis):
    """Validated image: (canonical array, layout, float64 (H, W, C) copy)."""
    # Values clearly outside [0, 1] (e.g. 0-255) are refused, unless
    # kerasgen.set_range_check(False) turned the check off.
    array, layout = check_image(image, channel_axis=channel_axis, check_range=True)
    work = array.astype(np.float64)
    return array, layout, work if work.ndim == 3 else work[..., np.newaxis]


def _check_bool(value):
    return check_bool("self_ensemble", value)


def _check_init(init, shape, channel_axis):
    # Range-checked as the image is: a 0-255 first estimate changed the result silently.
    array, _ = check_image(init, name="init", channel_axis=channel_axis, check_range=True)
    array = array.astype(np.float64)
    if array.ndim == 2:
        array = array[..., np.newaxis]
    if array.shape != tuple(shape):
        expected = tuple(shape) if shape[-1] == 3 else tuple(shape[:2])
        raise ValueError(f"Expected init of shape {expected}. Received: init.shape={np.shape(init)}")
    return array


def _schedule(iterations, sigma_start, sigma_end, prior_weight, sigma, floor):
    iterations, sigma_start, sigma_end, prior_weight = _hqs.check_schedule(
        iterations, sigma_start, sigma_end, prior_weight
    )
    if sigma_end is None:
        sigma_end = max(sigma, floor, _hqs.SIGMA_FLOOR)
    sigmas = _hqs.noise_schedule(iterations, sigma_start, sigma_end)
    return sigmas, _hqs.data_weights(sigmas, sigma, prior_weight)


def _finish(result, array, layout, clip):
    if array.ndim == 2:
        result = result[..., 0]
    if clip:
        result = np.clip(result, 0.0, 1.0)
    return layout.restore(result.astype(np.float32))

