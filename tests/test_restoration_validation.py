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
from kerasgen.restoration._checks import check_interval, check_seed, check_value_range

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
        # 0-255 references: psnr gave 0 dB for a one-grey-level error.
        (lambda: psnr(GOOD + 200, GOOD + 201), ValueError, r"clean has values far outside.*image / 255.0"),
        (lambda: ssim(GOOD + 200, GOOD + 100), ValueError, r"clean has values far outside.*image / 255.0"),
        # Ints too large for a float raised OverflowError.
        (lambda: denoise(GOOD, "tv", 10**400), ValueError, r"sigma must be <= 1\..*Received: sigma=1000"),
        (lambda: gaussian_psf(5, 10**400), ValueError, r"std must be finite\. Received: std=1000"),
        (lambda: gaussian_psf(5, -(10**400)), ValueError, r"std must be > 0\. Received: std=-1000"),
        # Was "Received: values in [nan, nan]".
        (lambda: inpaint(GOOD, np.full((16, 16), np.nan)), ValueError, r"only 0 and 1.*Received: 256 other value\(s\), e.g. nan"),
    ],
)
def test_bad_arguments_are_rejected_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_metrics_score_a_restored_image_however_far_out_of_range():
    assert psnr(GOOD, GOOD + 100) == pytest.approx(-40.0)


def test_interval_checks_refuse_huge_ints_clearly():
    with pytest.raises(ValueError, match=r"sigma_range must be a pair \(low, high\)"):
        check_interval("sigma_range", (0, 10**400), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"value_range must be a pair \(lo, hi\)"):
        check_value_range((0, 10**400))


@pytest.mark.parametrize("value_range", [(True, 2), (0, np.True_), (False, True)])
def test_value_range_refuses_bools(value_range):
    with pytest.raises(ValueError, match=r"value_range must be a pair \(lo, hi\) of finite numbers"):
        check_value_range(value_range)
    assert check_value_range((0, 2)) == (0.0, 2.0)


@pytest.mark.parametrize(
    "seed, error, match",
    [
        (-1, ValueError, r"in \[0, 2\*\*32 - 1\] or None. Received: seed=-1"),
        (2**32, ValueError, r"Received: seed=4294967296"),
        (2**70, ValueError, r"Received: seed=1180591620717411303424"),
        (np.int64(-3), ValueError, r"Received: seed=np.int64\(-3\)"),
        (True, TypeError, r"seed must be an int or None. Received: seed=True"),
        (np.bool_(False), TypeError, r"seed must be an int or None"),
        (1.0, TypeError, r"seed must be an int or None. Received: seed=1.0"),
    ],
)
def test_check_seed_refuses(seed, error, match):
    with pytest.raises(error, match=match):
        check_seed(seed)


def test_check_seed_accepts_numpy_ints_and_the_full_32_bit_range():
    assert check_seed(None) is None
    for seed in (0, np.int64(3), np.uint32(2**32 - 1), 2**32 - 1):
        value = check_seed(seed)
        assert value == seed and type(value) is int


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
