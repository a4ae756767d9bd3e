"""compare / format_table / save_table / save_figure and repair_image dispatch."""

import csv
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from kerasgen.restoration import (
    REPAIR_METHODS,
    ComparisonRow,
    add_gaussian_noise,
    blur,
    compare,
    deblur,
    default_methods,
    denoise,
    format_table,
    gaussian_psf,
    inpaint,
    random_mask,
    read_image,
    repair_image,
    save_figure,
    save_table,
)

SIGMA = 25 / 255


@pytest.fixture(scope="module")
def clean(camera_crop):
    return camera_crop


def test_compare_rows_and_figure(clean):
    noisy = add_gaussian_noise(clean, SIGMA, seed=0)
    rows, figure = compare(clean, noisy, ("nl_means", "tv"), sigma=SIGMA, title="camera")
    assert [row.method for row in rows] == ["degraded", "nl_means", "tv"]
    assert rows[0].seconds == 0
    assert all(row.psnr > rows[0].psnr + 2 and row.ssim > rows[0].ssim for row in rows[1:])
    assert all(row.seconds > 0 for row in rows[1:])
    assert isinstance(figure, Figure)
    titles = [axis.get_title() for axis in figure.axes if axis.get_title()]
    assert titles[0] == "clean" and titles[2].startswith(f"nl_means\n{rows[1].psnr:.2f} dB")
    table = format_table(rows, title="camera")
    lines = table.splitlines()
    assert lines[0] == "camera" and lines[1].split() == ["method", "PSNR", "(dB)", "SSIM", "seconds"]
    assert len({len(line) for line in lines[1:]}) == 1  # aligned columns
    assert f"{rows[2].psnr:.2f}" in lines[-1]


def test_compare_deblur_and_inpaint_defaults(clean):
    psf = gaussian_psf(5, 1.0)
    blurred = add_gaussian_noise(blur(clean, psf), 0.01, seed=0)
    rows, figure = compare(clean, blurred, ("wiener", "richardson_lucy"), sigma=0.01, psf=psf, figure=False)
    assert figure is None and [r.method for r in rows[1:]] == ["wiener", "richardson_lucy"]
    assert rows[1].psnr > rows[0].psnr
    mask = random_mask(clean.shape, 0.2, seed=0)
    rows, _ = compare(clean, np.where(mask, 0, clean), mask=mask, figure=False)
    assert [r.method for r in rows] == ["degraded", "biharmonic"]


def test_default_methods_skip_bm3d_when_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "bm3d", None)
    with pytest.warns(UserWarning, match="bm3d is not installed"):
        methods = default_methods()
    assert methods == ("nl_means", "tv", "wavelet", "bilateral")
    assert default_methods(psf=np.ones((3, 3)), warn=False) == ("richardson_lucy", "wiener")


def test_compare_errors(clean):
    with pytest.raises(ValueError, match="Unknown method 'median'"):
        compare(clean, clean, ("tv", "median"))
    with pytest.raises(ValueError, match="same shape"):
        compare(clean, clean[:32], ("tv",))
    with pytest.raises(ValueError, match="at least one method"):
        compare(clean, clean, ())
    rows, _ = compare(clean, clean + 0.01, "tv", sigma=0.01, figure=False)  # one name: one method
    assert [row.method for row in rows] == ["degraded", "tv"]
    with pytest.raises(ValueError, match=r"order= is set by the method.*Received: order=1"):
        repair_image(clean, "bicubic", scale=2, order=1)


def test_save_table_and_figure(tmp_path, clean):
    rows = [ComparisonRow("degraded", 20.0, 0.3, 0.0), ComparisonRow("tv", 28.12346, 0.81, 0.5)]
    save_table(tmp_path / "t.csv", rows)
    with open(tmp_path / "t.csv", newline="") as file:
        records = list(csv.DictReader(file))
    assert records[1] == {"method": "tv", "psnr": "28.1235", "ssim": "0.810000", "seconds": "0.5000"}
    _, figure = compare(clean, clean + 0.01, ("tv",), sigma=0.01)
    save_figure(tmp_path / "f.png", figure)
    assert read_image(tmp_path / "f.png").shape[0] > 100
    with pytest.raises(ValueError, match="png, pdf, svg or jpg"):
        save_figure(tmp_path / "f.gif", figure)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png", "t.csv"]


def test_repair_image_dispatches_to_the_task_functions(clean):
    noisy = add_gaussian_noise(clean, SIGMA, seed=0)
    np.testing.assert_array_equal(repair_image(noisy, "tv", sigma=SIGMA), denoise(noisy, "tv", SIGMA))
    psf = gaussian_psf(5, 1.0)
    np.testing.assert_array_equal(
        repair_image(noisy, "richardson_lucy", psf=psf, num_iter=5),
        deblur(noisy, psf, "richardson_lucy", num_iter=5),
    )
    mask = random_mask(clean.shape, 0.1, seed=0)
    np.testing.assert_array_equal(repair_image(noisy, "biharmonic", mask=mask), inpaint(noisy, mask))
    assert {"bm3d", "bm3d_deblur", "biharmonic", "unet"} <= set(REPAIR_METHODS)


def test_compare_times_a_registered_method_after_an_untimed_first_call(clean, monkeypatch):
    import time

    from kerasgen.restoration import repair

    calls = []

    def slow_first_call(image, *, channel_axis=None, sigma=None):
        calls.append(sigma)
        if len(calls) == 1:
            time.sleep(1.0)  # stands for importing TensorFlow and loading a model
        return image

    monkeypatch.setitem(repair._REGISTERED, "warm_test", repair._Registered("learned", slow_first_call, ("sigma",)))
    monkeypatch.setattr(repair, "REPAIR_METHODS", (*repair.REPAIR_METHODS, "warm_test"))
    noisy = add_gaussian_noise(clean, SIGMA, seed=0)
    rows, _ = compare(clean, noisy, ("warm_test", "tv"), sigma=SIGMA, figure=False)
    assert calls == [SIGMA, SIGMA]
    assert rows[1].method == "warm_test" and rows[1].seconds < 0.5
