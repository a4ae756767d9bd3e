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
def gray():
    return img_as_float(data.camera())[96:160, 224:288]


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
