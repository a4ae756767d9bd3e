"""Reliability of the classical restoration functions (third audit).

Each test reproduces a silent or confusing failure found by calling the
public functions of ``kerasgen.restoration`` as a scikit-image user would.
Tiny images only: every test runs in well under a second.
"""

import numpy as np
import pytest

from kerasgen import restoration as R


@pytest.fixture()
def gray():
    return np.random.default_rng(0).random((16, 16))


# ------------------------------------------------------------- repair_image


@pytest.mark.parametrize("method, kwargs", [("tv", {"sigma": 0.1}), ("bicubic", {"scale": 2})])
def test_repair_image_refuses_an_overlap_the_method_does_not_use(gray, method, kwargs):
    # overlap= is a "unet" argument; other methods ignored it silently.
    with pytest.raises(ValueError, match=r"overlap= is not used by method=.*Received: overlap=8"):
        R.repair_image(gray, method, overlap=8, **kwargs)


# ------------------------------------------------------------------ compare


@pytest.mark.parametrize(
    "method_kwargs",
    [{"tvv": {"weight": 5.0}}, {"num_iter": 1}],  # a typo; flat kwargs instead of {method: kwargs}
)
def test_compare_refuses_method_kwargs_keys_that_are_not_methods(gray, method_kwargs):
    with pytest.raises(ValueError, match=r"is not a method\. Received: method_kwargs="):
        R.compare(gray, gray + 0.01, ["tv"], sigma=0.01, method_kwargs=method_kwargs, figure=False)


@pytest.mark.parametrize("argument, value", [("sigma", 0.5), ("channel_axis", 0)])
def test_compare_refuses_method_kwargs_it_would_override(gray, argument, value, monkeypatch):
    calls = []
    monkeypatch.setattr("kerasgen.restoration.comparison.repair_image", lambda *a, **k: calls.append(k))
    with pytest.raises(ValueError, match=rf"compare passes {argument}= to method='tv' itself.*Received: "):
        R.compare(gray, gray + 0.01, ["nl_means", "tv"], sigma=0.01, method_kwargs={"tv": {argument: value}},
                  figure=False)  # fmt: skip
    assert calls == []  # refused before any method ran


def test_compare_still_passes_method_kwargs_it_does_not_set(gray):
    rows, _ = R.compare(gray, gray + 0.01, ["tv"], sigma=0.01, method_kwargs={"tv": {"weight": 0.5}}, figure=False)
    expected = R.denoise(gray + 0.01, "tv", sigma=0.01, weight=0.5)
    assert rows[1].psnr == pytest.approx(R.psnr(gray, expected))


def test_compare_refuses_a_figure_flag_that_is_not_a_bool(gray):
    with pytest.raises(TypeError, match="figure must be a bool. Received: figure='no'"):
        R.compare(gray, gray + 0.01, ["tv"], sigma=0.01, figure="no")


# ------------------------------------------------------------ degradations


def test_gaussian_psf_works_with_pillows_limit_turned_off(monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # the documented way to turn the limit off
    np.testing.assert_allclose(R.gaussian_psf(9, 1.6).sum(), 1.0)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1e6)  # a float limit
    assert R.gaussian_psf(9, 1.6).shape == (9, 9)
    with pytest.raises(ValueError, match="size must be <= 1000"):
        R.gaussian_psf(1001, 1.6)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda image: R.add_gaussian_noise(image, 0.5, seed=0, clip="False"), "clip"),
        (lambda image: R.add_poisson_noise(image, 10, seed=0, clip="no"), "clip"),
        (lambda image: R.downsample(image, 2, anti_aliasing="no"), "anti_aliasing"),
    ],
)
def test_bool_flags_refuse_strings_instead_of_reading_them_as_true(gray, call, name):
    with pytest.raises(TypeError, match=rf"{name} must be a bool\. Received: {name}="):
        call(gray)


def test_bool_flags_accept_numpy_bools(gray):
    noisy = R.add_gaussian_noise(gray, 0.5, seed=0, clip=np.bool_(True))
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert R.downsample(gray, 2, anti_aliasing=np.False_).shape == (8, 8)


# -------------------------------------------------------- denoise / deblur


@pytest.mark.parametrize("shape", [(12, 12), (12, 12, 3)])
def test_bilateral_denoises_a_read_only_image(shape):
    image = np.random.default_rng(0).random(shape)
    image.flags.writeable = False  # e.g. np.frombuffer, shared memory, a memory map
    result = R.denoise(image, "bilateral", sigma=0.1)
    writable = R.denoise(image.copy(), "bilateral", sigma=0.1)
    np.testing.assert_array_equal(result, writable)


def test_richardson_lucy_does_not_need_a_noise_level_it_does_not_use(gray):
    # sigma is "Not used by Richardson-Lucy": sigma=None on an image under
    # 8 pixels was refused ("give it with sigma="), and estimated for nothing.
    psf = R.gaussian_psf(3, 1.0)
    small = gray[:6, :6]
    result = R.deblur(small, psf, "richardson_lucy")
    np.testing.assert_array_equal(result, R.deblur(small, psf, "richardson_lucy", sigma=0.05))
    assert R.repair_image(small, "richardson_lucy", psf=psf).shape == (6, 6)
    with pytest.raises(ValueError, match="cannot be estimated"):  # the methods using sigma still need it
        R.deblur(small, psf, "wiener")


# -------------------------------------------------------------- file output


@pytest.mark.parametrize("name", ["", "missing/", "table.csv/"])
def test_outputs_refuse_a_path_without_a_file_name(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "table.csv").write_text("keep")
    rows = [R.ComparisonRow("tv", 30.0, 0.9, 0.1)]
    with pytest.raises(ValueError, match=r"ending in a file name\. Received: path="):
        R.save_table(name, rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]  # nothing written, nothing left
    assert (tmp_path / "table.csv").read_text() == "keep"
