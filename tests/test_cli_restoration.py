"""`kerasgen restore` / `kerasgen compare` through cli.main, plus real subprocesses."""

import csv
import re
import subprocess
import sys

import numpy as np
import pytest
from skimage import data, img_as_float

from kerasgen import __version__
from kerasgen.cli import main
from kerasgen.restoration import (
    add_gaussian_noise,
    blur,
    gaussian_psf,
    psnr,
    read_image,
    save_image,
)


@pytest.fixture(scope="module")
def clean(camera_crop):
    return camera_crop


@pytest.fixture
def noisy_file(tmp_path, clean):
    path = tmp_path / "noisy.png"
    save_image(path, add_gaussian_noise(clean, 25 / 255, seed=0, clip=True))
    return path


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_restore_denoises(tmp_path, clean, noisy_file, capsys):
    out = tmp_path / "out.png"
    assert main(["restore", str(noisy_file), str(out), "--method", "nl_means", "--sigma", "25"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert psnr(clean, read_image(out)) > psnr(clean, read_image(noisy_file)) + 3


def test_restore_estimates_sigma_when_not_given(tmp_path, noisy_file, capsys):
    assert main(["restore", str(noisy_file), str(tmp_path / "o.tif"), "--method", "tv", "--bit-depth", "16"]) == 0
    estimated = float(capsys.readouterr().out.split("estimated noise sigma: ")[1].split()[0])
    assert 18 < estimated < 32


def test_restore_deblurs_and_inpaints(tmp_path, clean):
    blurred = tmp_path / "blurred.png"
    save_image(blurred, np.clip(blur(clean, gaussian_psf(7, 1.2)), 0, 1))
    out = tmp_path / "sharp.png"
    assert main(["restore", str(blurred), str(out), "--method", "wiener", "--psf-std", "1.2", "--sigma", "1"]) == 0
    assert psnr(clean, read_image(out)) > psnr(clean, read_image(blurred)) + 1
    mask = np.zeros(clean.shape, bool)
    mask[20:24, :] = True  # a scratch
    save_image(tmp_path / "mask.png", mask.astype(float))
    save_image(tmp_path / "holes.png", np.where(mask, 1.0, clean))
    out = tmp_path / "filled.png"
    assert main(["restore", str(tmp_path / "holes.png"), str(out), "--method", "biharmonic",
                 "--mask", str(tmp_path / "mask.png")]) == 0  # fmt: skip
    assert psnr(clean, read_image(out)) > psnr(clean, read_image(tmp_path / "holes.png")) + 10


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--method", "median"], "invalid choice: 'median'"),
        (["--sigma", "-3"], "between 0 and 255.*Received: '-3'"),
        (["--sigma", "300"], "between 0 and 255"),
        (["--sigma", "abc"], "between 0 and 255"),
        (["--method", "wiener"], "needs the blur kernel: give --psf-std"),
        (["--method", "tv", "--psf-std", "2"], "--psf-std is not used by --method tv"),
        (["--method", "biharmonic"], "needs --mask PATH"),
        (["--method", "biharmonic", "--mask", "nothere.png"], "nothere.png"),
        (["--method", "biharmonic", "--sigma", "5"], "--sigma is not used"),
        (["--method", "richardson_lucy", "--psf-std", "1", "--psf-size", "4"], "--psf-size must be odd"),
        (["--method", "wiener", "--psf-std", "20"], r"\(121 x 121 pixels.*larger than the image \(64 x 64 pixels\)"),
        (["--method", "wiener", "--psf-std", "1e9"], r"about 6e\+09 pixels wide.*larger than any image"),
        (["--method", "wiener", "--psf-std", "1", "--psf-size", "65"], "Received: --psf-std 1, --psf-size 65"),
        (["--method", "tv", "--self-ensemble", "4"], "--self-ensemble is only used by --method unet"),
        (["--method", "unet", "--self-ensemble", "3"], "invalid choice: 3"),
    ],
)
def test_restore_user_errors_exit_2_without_traceback(tmp_path, noisy_file, capsys, extra, match):
    out = tmp_path / "out.png"
    assert main(["restore", str(noisy_file), str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(match, err), err
    assert not out.exists()


def test_restore_checks_before_reading_or_computing(tmp_path, clean, noisy_file, capsys, monkeypatch):
    from kerasgen.restoration import io

    def no_reading(*args, **kwargs):
        raise AssertionError("the image was read")

    # An even --psf-size is refused before the image is read (also for a folder).
    with monkeypatch.context() as patch:
        patch.setattr(io, "read_image", no_reading)
        args = ["--method", "wiener", "--psf-std", "1", "--psf-size", "4"]
        assert main(["restore", str(noisy_file), str(tmp_path / "o.png"), *args]) == 2
        assert main(["restore", str(tmp_path), str(tmp_path / "folder_out"), *args]) == 2
        assert capsys.readouterr().err.count("--psf-size must be odd") == 2
    # A huge --psf-std in folder mode is refused before any kernel is built.
    assert main(["restore", str(tmp_path), str(tmp_path / "folder_out"), "--method", "wiener", "--psf-std", "1e9"]) == 2
    assert "larger than any image within the readers' limit" in capsys.readouterr().err
    # 16-bit colour PNG: refused right after reading, before restoring.
    colour = tmp_path / "colour.png"
    save_image(colour, np.stack([clean] * 3, axis=-1))
    import kerasgen.restoration.repair as repair

    monkeypatch.setattr(repair, "repair_image", lambda *a, **k: pytest.fail("restored before checking"))
    out = tmp_path / "o16.png"
    assert main(["restore", str(colour), str(out), "--method", "tv", "--sigma", "5", "--bit-depth", "16"]) == 2
    assert "16-bit colour images can only be saved as TIFF" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "folder_out").exists()


@pytest.mark.parametrize(
    "input_name, output_name, match",
    [
        ("missing.png", "out.png", "No such image file: .*missing.png"),
        ("noisy.png", "out.webp", "extension"),
        ("noisy.png", "nodir/out.png", "does not exist"),
        ("text.png", "out.png", "not a recognised image"),
    ],
)
def test_restore_file_errors(tmp_path, noisy_file, capsys, input_name, output_name, match):
    (tmp_path / "text.png").write_text("hello")
    before = _files(tmp_path)
    assert main(["restore", str(tmp_path / input_name), str(tmp_path / output_name), "--method", "tv"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgen restore: error: ") and "Traceback" not in err
    assert re.search(match, err), err
    assert _files(tmp_path) == before


def test_compare_writes_table_and_figure(tmp_path, clean, capsys):
    save_image(tmp_path / "my image.png", clean)
    out = tmp_path / "results"
    args = ["compare", "--image", str(tmp_path / "my image.png"), "--methods", "tv,wavelet", "--sigma", "20"]
    assert main([*args, "--seed", "3", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "my_image, noise sigma 20/255, seed 3" in stdout and "wavelet" in stdout
    assert _files(out) == ["compare_my_image_sigma20.csv", "compare_my_image_sigma20.png"]
    with open(out / "compare_my_image_sigma20.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["method"] for row in rows] == ["degraded", "tv", "wavelet"]
    assert float(rows[1]["psnr"]) > float(rows[0]["psnr"])
    assert f"wrote {out / 'compare_my_image_sigma20.png'}" in stdout


def test_compare_sample_image_and_bm3d_note(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "bm3d", None)  # as if bm3d were not installed
    monkeypatch.chdir(tmp_path)
    clean = img_as_float(data.coins())[:48, :48]
    save_image(tmp_path / "small.png", clean)
    assert main(["compare", "--image", "small.png"]) == 0
    captured = capsys.readouterr()
    assert 'note: bm3d is not installed, skipping it (pip install "kerasgen[bm3d]")' in captured.err
    assert "nl_means" in captured.out and "bm3d" not in captured.out
    assert "compare_small_sigma25.png" in _files(tmp_path)
    assert main(["compare", "--image", "text", "--methods", "wavelet", "--out", "o"]) == 0
    assert "compare_text_sigma25.csv" in _files(tmp_path / "o")


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--image", "lena"], "neither an image file nor a sample name"),
        (["--methods", "wiener"], "unknown method 'wiener' for --methods"),
        (["--sigma", "0"], "--sigma must be > 0"),
        (["--seed", "-1"], "expected an integer >= 0"),
    ],
)
def test_compare_user_errors(tmp_path, capsys, extra, match):
    assert main(["compare", *extra, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--scale", "128"], r"--scale must not be larger than the image \(64 x 64 pixels\).*Received: --scale 128"),
        (["--psf-std", "20"], r"must not be larger than the image \(64 x 64 pixels\)"),
    ],
)
def test_compare_image_too_small_leaves_no_folder(tmp_path, clean, capsys, extra, match):
    save_image(tmp_path / "in.png", clean)
    out = tmp_path / "new" / "results"
    assert main(["compare", "--image", str(tmp_path / "in.png"), *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(match, err) and "Traceback" not in err
    assert _files(tmp_path) == ["in.png"]  # the folders it made are removed again


def test_help_version_and_no_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "kerasgen restore noisy.png" in out and "grey levels" in out
    assert main(["restore", "--help"]) == 0
    assert "8-bit grey levels (0-255)" in " ".join(capsys.readouterr().out.split())
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kerasgen {__version__}"
    assert main([]) == 2
    assert "usage: kerasgen" in capsys.readouterr().err


def test_python_m_kerasgen_help_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "kerasgen", "--help"], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.startswith("usage: kerasgen")
    assert "restore" in result.stdout and "compare" in result.stdout


@pytest.mark.slow
def test_restore_bm3d_subprocess_does_not_import_tensorflow(tmp_path, noisy_file):
    pytest.importorskip("bm3d")
    out = tmp_path / "out.png"
    code = (
        "import sys; from kerasgen.cli import main; "
        f"rc = main(['restore', {str(noisy_file)!r}, {str(out)!r}, '--method', 'bm3d', '--sigma', '25']); "
        "assert rc == 0, rc; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300, capture_output=True)
    assert read_image(out).shape == (64, 64)
