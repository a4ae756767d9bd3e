"""Bad inputs fail early with clear messages; metrics; no TensorFlow import."""


import numpy as np
import pytest

from kerasgen.restoration import (
    add_gaussian_noise,
    blur,
    deblur,
    denoise,
    estimate_noise_sigma,
    gaussian_psf,
    inpaint,
    jpeg_compress,
    psnr,
    repair_image,
    ssim,
)

GOOD = np.zeros((16, 16))

BAD_IMAGES = [
    (np.full((16, 16), np.nan), r"finite values. Received: 256 NaN or infinite"),
    (np.where(np.eye(16) > 0, np.inf, 0.0), r"finite values. Received: 16 NaN or infinite"),
    (np.zeros((0, 16)), r"must not be empty. Received: image.shape=\(0, 16\)"),
    (np.zeros(16), r"Received: image.shape=\(16,\) \(1-D\)"),
    (np.zeros((2, 16, 16, 3)), r"Received: image.shape=\(2, 16, 16, 3\) \(4-D\)"),
    (np.zeros((16, 16), dtype=np.uint8), r"dtype=uint8.*read_image.*img_as_float"),
    (np.zeros((16, 16, 3), dtype=np.uint16), r"dtype=uint16.*img_as_float"),
    (np.zeros((16, 16), dtype=bool), r"dtype=bool"),
    (np.zeros((16, 16), dtype=np.complex128), r"real floating-point.*complex128"),
    (np.array([[None]]), r"dtype=object"),
    (np.zeros((16, 16, 4)), r"4 channels \(RGBA\).*alpha='composite'.*rgba2rgb"),
    (np.zeros((16, 16, 2)), r"2 channels. Received: image.shape=\(16, 16, 2\)"),
    (np.zeros((3, 16, 16)), r"16 channels.*channel_axis=0"),
    ("camera.png", r"Received: image.dtype=<U10"),
]

FUNCTIONS = {
    "denoise": lambda x: denoise(x, "tv", 0.1),
    "deblur": lambda x: deblur(x, gaussian_psf(3, 1.0), "wiener", 0.1),
    "inpaint": lambda x: inpaint(x, np.zeros((16, 16), bool)),
    "repair_image": lambda x: repair_image(x, "nl_means", sigma=0.1),
    "add_gaussian_noise": lambda x: add_gaussian_noise(x, 0.1, seed=0),
    "blur": lambda x: blur(x, gaussian_psf(3, 1.0)),
    "jpeg_compress": lambda x: jpeg_compress(x, 50),
    "estimate_noise_sigma": estimate_noise_sigma,
}


@pytest.mark.parametrize("function", FUNCTIONS.values(), ids=FUNCTIONS.keys())
@pytest.mark.parametrize("image, match", BAD_IMAGES, ids=[m.split(".")[0][:24] for _, m in BAD_IMAGES])
def test_bad_images_are_rejected_clearly(function, image, match):
    with pytest.raises(ValueError, match=match):
        function(image)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: denoise(GOOD, "tv", -1e-3), ValueError, r"sigma must be >= 0.*Received: sigma=-0.001"),
        (lambda: denoise(GOOD, "tv", np.nan), ValueError, "sigma must be finite"),
        (lambda: denoise(GOOD, "tv", True), TypeError, "sigma must be a float"),
        (lambda: denoise(np.zeros((16, 16, 3)), "tv", 0.1, channel_axis=1.5), TypeError, "channel_axis must be an integer"),
        (lambda: denoise(np.zeros((16, 16, 3)), "tv", 0.1, channel_axis=5), ValueError, r"in \[-3, 2\]"),
        (lambda: denoise(GOOD, None), ValueError, "Unknown method None"),
        (lambda: repair_image(GOOD, "sharpen"), ValueError, r"Expected one of: 'bm3d'.*'unet'"),
        (lambda: repair_image(GOOD, "wiener"), ValueError, "needs the blur kernel: pass psf="),
        (lambda: repair_image(GOOD, "biharmonic"), ValueError, "needs mask="),
        (lambda: repair_image(GOOD, "tv", psf=np.ones((3, 3))), ValueError, "psf= is not used by method='tv'"),
        (lambda: repair_image(GOOD, "biharmonic", mask=GOOD > 0, sigma=0.1), ValueError, "sigma= is not used"),
        (lambda: psnr(GOOD, np.zeros((16, 17))), ValueError, r"same shape.*\(16, 16\).*\(16, 17\)"),
        (lambda: ssim(np.zeros((5, 5)), np.zeros((5, 5))), ValueError, "at least 11 x 11"),
        (lambda: psnr(GOOD, np.full((16, 16), np.nan)), ValueError, "restored must contain only finite"),
    ],
)
def test_bad_arguments_are_rejected_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_metrics_values():
    clean = np.random.default_rng(0).random((16, 16, 3))
    assert psnr(clean, clean) == float("inf")
    assert psnr(np.zeros((8, 8)), np.full((8, 8), 0.1)) == pytest.approx(20.0)
    assert ssim(clean, clean) == pytest.approx(1.0)
    noisy = clean + 0.1
    assert psnr(clean[..., :1], noisy[..., :1]) == pytest.approx(psnr(clean[..., 0], noisy[..., 0]))
    assert ssim(clean, noisy) < 1.0


def test_importing_restoration_does_not_import_tensorflow(run_python):
    code = (
        "import kerasgen.restoration, kerasgen.cli, sys; "
        "bad = [m for m in ('tensorflow', 'keras', 'kerasgen.inference', 'kerasgen.pretrained') if m in sys.modules]; "
        "assert not bad, bad"
    )
    run_python(code)
