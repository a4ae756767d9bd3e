"""Numerical correctness of the restoration solvers (fourth audit).

Each test checks that a function computes what it documents, against an
independent computation (the forward model, a dense solve, a shift search),
for layouts the earlier tests did not reach: even-sized PSFs, odd image
sizes, scale 3, zero boundaries. Tiny images: each runs in about a second.
"""

import numpy as np
import pytest
from skimage import data
from skimage.restoration import denoise_tv_chambolle

from kerasgen import restoration as R
from kerasgen.plug_and_play import _data_steps as D
from kerasgen.plug_and_play import deblur as pnp_deblur
from kerasgen.plug_and_play import super_resolve


def _identity(image, sigma):
    return image


def _tv(image, sigma):
    return denoise_tv_chambolle(image, weight=sigma, channel_axis=-1 if image.ndim == 3 else None)


@pytest.fixture(scope="module")
def camera():
    return data.camera()[150:214, 150:220].astype(np.float64) / 255  # 64 x 70, non-periodic


def _best_shift(result, clean, margin=8):
    """The (row, col) roll in {-1, 0, 1}^2 that brings `result` closest to `clean`."""
    errors = {
        (i, j): np.abs(np.roll(result, (i, j), axis=(0, 1)) - clean)[margin:-margin, margin:-margin].mean()
        for i in (-1, 0, 1)
        for j in (-1, 0, 1)
    }
    return min(errors, key=errors.get)


# ------------------------------------------------ classical BM3D deblurring


@pytest.mark.parametrize("psf_shape", [(2, 3), (6, 5)])
@pytest.mark.parametrize("mode", ["wrap", "reflect"])
def test_bm3d_deblurring_centres_an_even_psf_as_blur_does(camera, psf_shape, mode):
    # bm3d centres a kernel side n at round((n - 1) / 2) (half to even): for
    # n = 2, 6, 10... one pixel before blur's n // 2, so the deblurred image
    # came back shifted by one row (worse than the blurred input).
    pytest.importorskip("bm3d")
    psf = np.ones(psf_shape) / np.prod(psf_shape)
    blurred = R.blur(camera, psf, mode=mode)
    result = R.deblur(blurred, psf, "bm3d", sigma=0.002, mode=mode)
    assert _best_shift(result, camera) == (0, 0)
    assert R.psnr(camera, result) > R.psnr(camera, blurred) + 2


# ------------------------------------------------ plug-and-play deblurring


@pytest.mark.parametrize("channels", [None, 3])
def test_pnp_deblur_with_zero_boundary_beats_the_blurred_input(channels):
    # mode="constant" extended the image like the other modes (a smooth
    # periodic extension of zeros), inconsistent with the blur spilling into
    # the zeros: the border came out far worse than the blurred input.
    clean = data.astronaut()[100:164, 150:214].astype(np.float64) / 255
    clean = clean[..., 1] if channels is None else clean
    psf = R.gaussian_psf(9, 1.6)
    blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="constant"), 0.01, seed=0)
    result = pnp_deblur(blurred, psf, sigma=0.01, model=_tv, mode="constant")
    assert R.psnr(clean, result) > R.psnr(clean, blurred) + 3
    error = np.abs(result - clean)
    border = np.mean([error[:4].mean(), error[-4:].mean(), error[:, :4].mean(), error[:, -4:].mean()])
    assert border < 3 * error[16:-16, 16:-16].mean()  # before: 14 times


# ------------------------------------------------ plug-and-play super-resolution


@pytest.mark.parametrize("scale", [2, 3])
@pytest.mark.parametrize("small_shape", [(15, 11), (21, 20)])  # odd extensions of the grid
def test_super_resolve_keeps_a_given_init_in_place(camera, scale, small_shape):
    # With an odd extension count the given init was placed (extra * scale)
    # // 2 pixels into the grid, the observation (extra // 2) * scale: one
    # pixel apart. With a prior weight this large the result is the init.
    large = camera[: small_shape[0] * scale, : small_shape[1] * scale]
    small = R.downsample(large, scale)
    result = super_resolve(small, scale, init=large, model=_identity, iterations=1, prior_weight=1e8,
                           self_ensemble=False, clip=False)  # fmt: skip
    np.testing.assert_allclose(result, large, atol=1e-4)


@pytest.mark.parametrize("scale", [2, 3])
def test_super_resolve_first_estimate_is_aligned_with_a_given_psf(scale):
    # With psf= the degradation keeps pixel (s i, s j); the spline first
    # estimate was moved (s - 1) / 2 pixels the wrong way, s - 1 off.
    size = 16 * scale
    t = np.arange(size) / size
    large = 0.5 + 0.4 * np.sin(2 * np.pi * 2 * t)[:, None] * np.cos(2 * np.pi * 3 * t)[None, :]
    small = large[::scale, ::scale]  # psf [[1]]: plain decimation
    result = super_resolve(small, scale, psf=np.ones((1, 1)), model=_identity, iterations=1, prior_weight=1e8,
                           mode="wrap", self_ensemble=False, clip=False)  # fmt: skip
    np.testing.assert_allclose(result[::scale, ::scale], small, atol=0.02)
    np.testing.assert_allclose(result, large, atol=0.02)


# ------------------------------------------------ data steps, more layouts


@pytest.mark.parametrize(("scale", "shape"), [(3, (9, 12)), (5, (10, 5))])
@pytest.mark.parametrize("psf_shape", [None, (4, 4), (2, 3)])
def test_super_resolution_step_solves_normal_equations_for_odd_scales_and_even_psfs(scale, shape, psf_shape, dense):
    rng = np.random.default_rng(7)
    if psf_shape is None:
        kernel, origin = D.downsample_kernel(scale)
        otf = D.kernel_otf(kernel, origin, shape)
    else:
        kernel = rng.random(psf_shape)
        kernel /= kernel.sum()
        otf = D.psf_otf(kernel, shape)
    small = (shape[0] // scale, shape[1] // scale)
    y, z, alpha = rng.random(small + (3,)), rng.random(shape + (3,)), 0.03
    otf_conj_y = np.conj(otf)[..., None] * D._fft(D.upsample_zeros(y, scale))
    step = D.super_resolution_step(z, otf, otf_conj_y, scale, alpha)
    matrix = dense(lambda x: D.decimate(D.blur_periodic(x, otf), scale), shape)
    if psf_shape is not None:  # the operator is blur(mode="wrap") then decimation
        np.testing.assert_allclose(matrix, dense(lambda x: R.blur(x, kernel, mode="wrap")[::scale, ::scale], shape),
                                   atol=1e-12)  # fmt: skip
    lhs = matrix.T @ matrix + alpha * np.eye(matrix.shape[1])
    for c in range(3):
        expected = np.linalg.solve(lhs, matrix.T @ y[..., c].ravel() + alpha * z[..., c].ravel()).reshape(shape)
        np.testing.assert_allclose(step[..., c], expected, atol=1e-9)


# ------------------------------------------------ degradations


@pytest.mark.parametrize("factor", [2, 3])
def test_downsample_shrinks_by_exactly_the_factor_for_any_size(camera, factor):
    # A 63-row image shrunk by 2 went to 31 rows by resizing all 63 (a
    # factor 2.03): pixel i sat at row 2.03 i + 0.52, not 2 i + 0.5, and
    # super_resolve (which models the factor exactly) lost 8 dB on it.
    ramp = np.add.outer(np.arange(31.0), np.zeros(29)) / 40  # value = row / 40
    small = R.downsample(ramp, factor, anti_aliasing=False)
    expected_rows = factor * np.arange(31 // factor) + (factor - 1) / 2
    np.testing.assert_allclose(small[:, 0], expected_rows / 40, atol=1e-12)
    odd = camera[:63, :67]
    whole = odd[: 63 // factor * factor, : 67 // factor * factor]
    np.testing.assert_array_equal(R.downsample(odd, factor), R.downsample(whole, factor))


def test_super_resolve_of_an_odd_sized_downsample_beats_bicubic(camera):
    clean = camera[:63, :67]
    small = R.downsample(clean, 2)
    result = super_resolve(small, 2, model=_tv)
    reference = clean[:62, :66]
    assert R.psnr(reference, result) > R.psnr(reference, np.clip(R.upsample(small, 2), 0, 1)) + 2


@pytest.mark.parametrize("scale", [2, 3])
def test_super_resolve_with_psf_and_zero_boundary_has_no_bad_border(camera, scale):
    # As for deblur: mode="constant" got the extension of the other modes,
    # inconsistent with the blur spilling into the zeros (10 dB lost at x2).
    clean = camera[:60, :60]
    psf = R.gaussian_psf(7, 1.6)
    small = R.blur(clean, psf, mode="constant")[::scale, ::scale]
    result = super_resolve(small, scale, psf=psf, model=_tv, mode="constant")
    spline = np.clip(R.upsample(small, scale), 0, 1)
    assert R.psnr(clean, result) > R.psnr(clean, spline) + 5  # before: -3.0 / +3.2 dB at x2 / x3
    error = np.abs(result - clean)
    border = np.mean([error[:4].mean(), error[-4:].mean(), error[:, :4].mean(), error[:, -4:].mean()])
    assert border < 2.5 * error[12:-12, 12:-12].mean()
