"""Extended grids, denoising windows and first estimates of the solvers.

The FFT data steps work on the image extended to a fast, padded size
(`extensions`); the prior step denoises a window of it (`prior_window`);
the iterations start from a first estimate (`spline_upscale`,
`zero_extension_decimated`, `fill`).
"""

import numpy as np
from scipy import fft, ndimage

from kerasgen.plug_and_play import _data_steps
from kerasgen.restoration.deblurring import _richardson_lucy

# Padded sizes are multiples of this (the shipped U-Nets' size multiple), so
# the denoiser needs no further padding.
SIZE_STEP = 16
# The prior step denoises the image and this many pixels around it (widened
# to a multiple of SIZE_STEP), not the whole padded grid: the rest of the
# padding keeps the data step's values. On 24 held-out cbsd432 crops (grey,
# 256 x 256; a Gaussian and 4 camera-shake kernels, noise 2.55 / 255): +0.05
# dB over denoising all of it (+0.03 with no margin, +0.03 with 16), and
# 1.1-1.35x faster (8 colour crops: +0.04 dB; x2 / x4 upscaling: +0.00).
PRIOR_MARGIN = 8


def prior_window(offset, size, shape):
    """Slices of the extended grid that the prior step denoises.

    The image (at `offset`, of `size`) plus `PRIOR_MARGIN` pixels on each
    side, widened to a multiple of `SIZE_STEP` (no padding inside the
    denoiser) and kept inside the grid of `shape`; the whole grid if it is
    smaller.
    """
    slices = []
    for start, length, total in zip(offset, size, shape):
        count = min(total, -(-(length + 2 * PRIOR_MARGIN) // SIZE_STEP) * SIZE_STEP)
        first = min(max(0, start - (count - length) // 2), total - count)
        slices.append(slice(first, first + count))
    return tuple(slices)


def extensions(shape, minimum, scale):
    """Per axis, the smallest extension >= minimum with a fast padded size.

    Any count is allowed (odd ones too): with only even counts an odd side
    never reaches a multiple of `SIZE_STEP`, and the search never ended.
    """
    extra = []
    for size in shape:
        count = minimum
        while True:
            total = (size + count) * scale
            if total % SIZE_STEP == 0 and fft.next_fast_len(total) == total:
                break
            count += 1
        extra.append(count)
    return tuple(extra)


def zero_extension_decimated(work, offset, psf, grid, scale):
    """The low-resolution canvas of ``blur(x, psf, mode="constant")[::scale, ::scale]``.

    Zeros outside the image: the blur spills into a band around it, which is
    not observed. As in `deblur`, it is filled with the circular blur of a
    Richardson-Lucy estimate (of the spline-upscaled image) set in a zero
    canvas, then decimated; the image itself is kept. The smooth periodic
    extension of the other modes is inconsistent with that model (the
    result 10 dB worse at x2 than with "reflect" on a reflect-blurred image).
    """
    from skimage.transform import resize

    height, width = work.shape[0] * scale, work.shape[1] * scale
    # Cubic upscaling, not wrapped around (at the border it would mix in the
    # opposite side), moved to the kept pixels (s i, s j) as in `spline_upscale`.
    upscaled = resize(work, (height, width) + work.shape[2:], order=3, mode="symmetric", anti_aliasing=False)
    upscaled = ndimage.shift(upscaled, (-(scale - 1) / 2, -(scale - 1) / 2, 0), order=3, mode="nearest")
    estimate = _richardson_lucy(upscaled, psf, None)
    top, left = offset[0] * scale, offset[1] * scale
    canvas = np.zeros(grid + work.shape[2:])
    canvas[top : top + height, left : left + width] = estimate
    result = _data_steps.blur_periodic(canvas, _data_steps.psf_otf(psf, grid))[::scale, ::scale]
    result[offset[0] : offset[0] + work.shape[0], offset[1] : offset[1] + work.shape[1]] = work
    return result


def spline_upscale(image, grid, *, centred, scale):
    from skimage.transform import resize

    result = resize(image, grid + image.shape[2:], order=3, mode="wrap", anti_aliasing=False)
    if not centred:
        # S keeps pixel (s i, s j); resize puts low-resolution pixel i at the
        # block centre s i + (s - 1) / 2: move it back by (s - 1) / 2.
        shift = -(scale - 1) / 2
        result = ndimage.shift(result, (shift, shift, 0), order=3, mode="grid-wrap")
    return result


def fill(image, known):
    """Normalised convolution: missing pixels get a local mean of known ones."""
    result = image * known[..., np.newaxis]
    missing = known == 0
    width = 1.0
    while missing.any():
        weight = ndimage.gaussian_filter(known, width)
        values = ndimage.gaussian_filter(image * known[..., np.newaxis], (width, width, 0))
        reached = missing & (weight > 1e-3)
        result[reached] = values[reached] / weight[reached][..., np.newaxis]
        missing &= ~reached
        width *= 2
        if width > 4 * max(image.shape[:2]):
            result[missing] = (image * known[..., np.newaxis]).sum((0, 1)) / known.sum()
            break
    return result
