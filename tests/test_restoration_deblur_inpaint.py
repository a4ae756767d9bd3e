"""deblur (BM3D on NumPy >= 2.4, Richardson-Lucy, Wiener) and inpaint."""

import numpy as np
import pytest
from skimage import data, img_as_float

from kerasgen.restoration import (
    DEBLUR_METHODS,
    add_gaussian_noise,
    blur,
    deblur,
    gaussian_psf,
    inpaint,
    psnr,
    random_mask,
)

NOISE = 0.01


@pytest.fixture(scope="module")
def gray(camera_crop):
    return camera_crop


@pytest.fixture(scope="module")
def psf():
    return gaussian_psf(7, 1.2)


@pytest.mark.parametrize("method", DEBLUR_METHODS)
def test_deblurring_improves_psnr(gray, psf, method):
    blurred = add_gaussian_noise(blur(gray, psf), NOISE, seed=0)
    sharp = deblur(blurred, psf, method, NOISE)
    assert sharp.shape == gray.shape
    assert psnr(gray, sharp) > psnr(gray, blurred) + 1


def test_bm3d_deblurring_rgb(psf):
    pytest.importorskip("bm3d")
    clean = img_as_float(data.astronaut())[160:208, 160:208]
    blurred = add_gaussian_noise(blur(clean, psf), NOISE, seed=0)
    sharp = deblur(blurred, psf, "bm3d", NOISE)
    assert sharp.shape == clean.shape
    assert psnr(clean, sharp) > psnr(clean, blurred) + 1


def test_reflect_boundary_is_padded(gray, psf):
    blurred = add_gaussian_noise(blur(gray, psf, mode="reflect"), NOISE, seed=0)
    for method in ("wiener", "richardson_lucy"):
        sharp = deblur(blurred, psf, method, NOISE, mode="reflect")
        assert sharp.shape == gray.shape
        assert psnr(gray, sharp) > psnr(gray, blurred) + 1


@pytest.mark.parametrize("method", DEBLUR_METHODS)
def test_constant_boundary_beats_the_blurred_input(gray, method):
    # Before: BM3D 10.7 dB, Richardson-Lucy 15.8, Wiener 27.3; blurred 26.1.
    if method == "bm3d":
        pytest.importorskip("bm3d")
    psf = gaussian_psf(5, 1.0)
    blurred = add_gaussian_noise(blur(gray, psf, mode="constant"), 0.005, seed=0)
    sharp = deblur(blurred, psf, method, 0.005, mode="constant")
    assert sharp.shape == gray.shape
    assert psnr(gray, sharp) > psnr(gray, blurred) + 3


def test_constant_boundary_rgb_wiener():
    clean = img_as_float(data.astronaut())[160:208, 160:208]
    psf = gaussian_psf(5, 1.0)
    blurred = add_gaussian_noise(blur(clean, psf, mode="constant"), 0.005, seed=0)
    sharp = deblur(blurred, psf, "wiener", 0.005, mode="constant")
    assert sharp.shape == clean.shape
    assert psnr(clean, sharp) > psnr(clean, blurred) + 2


@pytest.mark.parametrize("mode", ["wrap", "reflect", "constant"])
def test_richardson_lucy_centres_an_even_psf_as_blur(gray, mode):
    # blur() centres a 4 x 4 box as the 5 x 5 kernel padded below and right.
    box = np.ones((4, 4)) / 16
    padded = np.pad(box, ((0, 1), (0, 1)))
    blurred = blur(gray, box, mode=mode)
    np.testing.assert_allclose(blurred, blur(gray, padded, mode=mode))
    sharp = deblur(blurred, box, "richardson_lucy", mode=mode)
    reference = deblur(blurred, padded, "richardson_lucy", mode=mode)
    # Before: 3-10 dB below the blurred input (shifted by one pixel).
    assert psnr(gray, sharp) > psnr(gray, blurred) + 3
    assert abs(psnr(gray, sharp) - psnr(gray, reference)) < 0.5


@pytest.mark.parametrize("shape", [(2, 32), (1, 1), (2, 2), (2, 32, 3)])
def test_wiener_on_images_under_3_pixels(shape):
    rng = np.random.default_rng(0)
    clean = 0.25 + 0.5 * rng.random(shape)
    psf = np.ones((1, 1)) if min(shape[:2]) == 1 else np.array([[0.75, 0.25]])
    blurred = blur(clean, psf)
    sharp = deblur(blurred, psf, "wiener", 0.001)
    assert sharp.shape == shape
    assert np.abs(sharp - clean).max() <= np.abs(blurred - clean).max() / 2 + 1e-3


def arc_psf(size=21):
    """A camera-shake-like kernel: an arc drawn with bilinear weights, centred."""
    t = np.linspace(0.2, 2.4, 400)
    rows = (size - 1) / 2 + 7 * (np.sin(t) - np.sin(t).mean())
    cols = (size - 1) / 2 + 7 * (np.cos(t) - np.cos(t).mean())
    psf = np.zeros((size, size))
    for row, col in zip(rows, cols):
        r, c = int(row), int(col)
        fr, fc = row - r, col - c
        psf[r : r + 2, c : c + 2] += np.outer([1 - fr, fr], [1 - fc, fc])
    return psf / psf.sum()


@pytest.mark.parametrize("method", ["wiener", "bm3d"])
def test_reflect_boundary_periodic_methods_long_motion_kernel(method):
    # A plain np.pad left a jump at the wrap-around: with this kernel BM3D
    # gave 12 dB and Wiener 17 dB, against 22 dB for the blurred input.
    if method == "bm3d":
        pytest.importorskip("bm3d")
    clean = img_as_float(data.astronaut())[100:164, 150:214]
    psf = arc_psf()
    blurred = add_gaussian_noise(blur(clean, psf, mode="reflect"), NOISE, seed=0)
    sharp = deblur(blurred, psf, method, NOISE, mode="reflect")
    assert sharp.shape == clean.shape
    assert psnr(clean, sharp) > psnr(clean, blurred) + 4


def test_blurred_extension_keeps_image_and_follows_the_blur(gray):
    from kerasgen.restoration._periodic import (
        _otf,
        blurred_extension,
        periodic_extension,
    )

    psf = arc_psf()
    image = blur(gray, psf, mode="reflect")
    outside = np.ones((128, 106), bool)
    outside[32 - 21 : 32 + 64 + 21, 21 - 21 : 21 + 64 + 21] = False
    mismatch = []
    for extend in (periodic_extension, lambda *args: blurred_extension(image, psf, *args[1:])):
        extended, (top, left) = extend(image, (64, 42), "symmetric")
        assert extended.shape == (128, 106) and (top, left) == (32, 21)
        np.testing.assert_allclose(extended[top : top + 64, left : left + 64], image)
        # seen as periodic, no jump between the last and the first row / column
        for axis in (0, 1):
            steps = np.abs(np.diff(extended, axis=axis, append=np.take(extended, [0], axis=axis)))
            assert steps.max() < np.abs(np.diff(image, axis=axis)).max() + 0.05
        # away from the image: how far the extension is from its own circular blur
        reblurred = np.fft.ifft2(np.fft.fft2(extended) * _otf(psf, extended.shape)).real
        mismatch.append(np.abs(reblurred - extended)[outside].max())
    assert mismatch[1] < 0.4 * mismatch[0]


def test_bm3d_deblurring_leaves_numpy_and_bm4d_alone(gray, psf):
    pytest.importorskip("bm3d")
    import bm4d

    had_trapz = hasattr(np, "trapz")
    before = bm4d.np
    deblur(blur(gray, psf)[:32, :32], psf, "bm3d", NOISE)
    assert bm4d.np is before
    assert hasattr(np, "trapz") == had_trapz


def test_trapz_proxy_forwards_numpy_and_restores():
    pytest.importorskip("bm3d")
    import bm4d

    from kerasgen.restoration._bm3d_compat import numpy_with_trapz_in_bm4d

    before = bm4d.np
    with numpy_with_trapz_in_bm4d():
        with numpy_with_trapz_in_bm4d():  # nested / concurrent users
            assert bm4d.np.trapz([1.0, 2.0, 3.0]) == 4.0
            assert bm4d.np.zeros is np.zeros
        assert bm4d.np.trapz([0.0, 2.0]) == 1.0
    assert bm4d.np is before


def test_deblur_errors(gray, psf):
    with pytest.raises(ValueError, match="Unknown method 'blind'"):
        deblur(gray, psf, "blind")
    with pytest.raises(ValueError, match="psf must be a non-empty 2-D array"):
        deblur(gray, np.ones(5) / 5, "wiener")
    with pytest.raises(ValueError, match="psf must have a positive sum"):
        deblur(gray, np.zeros((3, 3)), "wiener")
    with pytest.raises(ValueError, match="psf must contain only finite"):
        deblur(gray, np.full((3, 3), np.nan), "wiener")
    with pytest.raises(ValueError, match="Unknown mode"):
        deblur(gray, psf, "wiener", mode="circular")
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float)  # sums to 1
    for method in DEBLUR_METHODS:
        with pytest.raises(ValueError, match=r"psf must not have negative values.*Received: psf.min\(\)=-1"):
            deblur(gray, sharpen, method, 0.01)
    # A keyword deblur sets itself is refused by name (was Python's "got
    # multiple values for keyword argument").
    for method, name in [("bm3d", "sigma_psd"), ("bm3d", "z")]:
        with pytest.raises(TypeError, match=rf"deblur sets {name} itself for method='{method}'"):
            deblur(gray, psf, method, 0.01, **{name: 0.1})


@pytest.mark.parametrize("channels", [None, 1, 3])
def test_biharmonic_inpainting_improves_psnr(gray, channels):
    clean = gray if channels is None else np.stack([gray, gray[::-1], gray.T][:channels], axis=-1)
    mask = random_mask(clean.shape, 0.3, seed=0)
    damaged = clean.copy()
    damaged[mask] = 0
    filled = inpaint(damaged, mask)
    assert filled.shape == clean.shape
    assert psnr(clean, filled) > psnr(clean, damaged) + 10
    np.testing.assert_allclose(filled[~mask], clean[~mask])  # known pixels unchanged


def test_inpaint_mask_handling(gray):
    np.testing.assert_array_equal(inpaint(gray, np.zeros(gray.shape, bool)), gray)
    mask = random_mask(gray.shape, 0.1, seed=0)
    np.testing.assert_allclose(inpaint(gray, mask.astype(np.uint8)), inpaint(gray, mask))
    with pytest.raises(ValueError, match=r"mask must have the image's shape \(H, W\) = \(64, 64\)"):
        inpaint(gray, mask[:10])
    with pytest.raises(ValueError, match="only 0 and 1"):
        inpaint(gray, mask * 2.5)
    with pytest.raises(ValueError, match="every pixel"):
        inpaint(gray, np.ones(gray.shape, bool))
    with pytest.raises(ValueError, match="Unknown method"):
        inpaint(gray, mask, "telea")


def test_bm3d_deblurring_gray_stored_as_rgb(gray, psf):
    pytest.importorskip("bm3d")
    rgb = np.stack([gray[:32, :32]] * 3, axis=-1)
    blurred = blur(rgb, psf)
    sharp = deblur(blurred, psf, "bm3d", 0)
    assert np.isfinite(sharp).all()
    assert psnr(rgb, sharp) > psnr(rgb, blurred) + 1
    with pytest.raises(ValueError, match="BM3D needs"):
        deblur(gray[:8, :8], psf[2:-2, 2:-2], "bm3d", NOISE)
