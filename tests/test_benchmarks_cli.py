"""The benchmark scripts' command lines: bad arguments are refused in one line, tiny runs work.

Each script is loaded from ``benchmarks/`` (with that folder on ``sys.path``,
as when it runs as ``python benchmarks/X.py``) and its ``main`` called with
an argument list. Offline, no ``../shared`` data; the scripts that import
TensorFlow are exercised in the ``slow`` tests only.
"""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p.stem for p in BENCHMARKS.glob("*.py") if not p.stem.startswith("_"))


@pytest.fixture
def load(monkeypatch):
    """``load(name)``: the module of ``benchmarks/<name>.py``."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))

    def load_script(name):
        spec = importlib.util.spec_from_file_location(f"_benchmark_{name}", BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load_script


def usage_error(capsys, main, argv):
    """The last stderr line of ``main(argv)``, which must exit with status 2 (argparse's usage error)."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--sigmas", "0"], "above 0"),  # was ZeroDivisionError (estimate / truth)
        (["--sigmas", "x"], "Received: 'x'"),  # was ValueError traceback
        (["--sigmas", ","], "comma-separated"),
        (["--limit", "0"], "integer >= 1"),  # was ZeroDivisionError (ms per image)
        (["--cbsd432-holdout", "/no/such/folder"], "existing folder"),  # was FileNotFoundError traceback
    ],
)
def test_noise_estimation_refuses_bad_arguments(load, capsys, argv, expected):
    assert expected in usage_error(capsys, load("noise_estimation").main, argv)


def test_noise_estimation_tiny_run(load, capsys):
    assert load("noise_estimation").main(["--limit", "1", "--sigmas", "25"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("25 | ")


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--crop", "0"], "integer >= 1"),  # was silently the default 256
        (["--limit", "0"], "integer >= 1"),  # was silently the default 8
        (["--images", "camera,nosuchimage"], "Received: 'nosuchimage'"),  # was AttributeError traceback
        (["--tasks", ","], "--tasks must be some of"),  # was an empty run
        (["--motion-kernels", "-1"], "integer >= 0"),
    ],
)
def test_plug_and_play_refuses_bad_arguments(load, capsys, argv, expected):
    assert expected in usage_error(capsys, load("plug_and_play").main, argv)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--sigmas", "x"], "Received: 'x'"),  # was ValueError traceback
        (["--sigmas", ""], "comma-separated"),  # was IndexError after the whole run
        (["--crop", "-1"], "integer >= 0"),  # was a silently wrong crop
        (["--limit", "0"], "integer >= 1"),
        (["--images", "/no/such/folder"], "existing folder"),
    ],
)
def test_restoration_refuses_bad_arguments(load, capsys, argv, expected):
    assert expected in usage_error(capsys, load("restoration").main, argv)


def test_restoration_tiny_run_writes_only_its_csv(load, capsys, tmp_path):
    csv = tmp_path / "rows.csv"
    argv = ["--crop", "32", "--sigmas", "25", "--methods", "wavelet", "--overhead-repeats", "0", "--csv", str(csv)]
    assert load("restoration").main(argv) == 0
    assert "wavelet" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == ["rows.csv"]
    assert csv.read_text().splitlines()[0] == "sigma,image,method,megapixels,psnr,ssim,seconds"


def test_restoration_unreadable_image_is_one_line(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "restoration.py"), "--images", str(tmp_path), "--methods", "wavelet"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2  # was a traceback (status 1)
    assert result.stderr.strip().startswith("restoration.py: error: ") and "broken.png" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_reports_user_errors_in_one_line(load, capsys):
    _cli = load("_cli")

    def main(argv):
        raise ValueError("expected something else. Received: x=1")

    assert _cli.run(main, []) == 2
    assert capsys.readouterr().err.strip().endswith("error: expected something else. Received: x=1")


@pytest.mark.parametrize("argv", [["--repeats", "0"], ["--repeats", "-1"]])
def test_denoiser_speed_refuses_no_repeats(load, capsys, argv):
    # was statistics.StatisticsError ("no median for empty data") after the warm-up of every method
    assert "integer >= 1" in usage_error(capsys, load("denoiser_speed").main, argv)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--size", "600"], "at most 512"),  # was a numpy "high <= 0" traceback
        (["--count", "0"], "integer >= 1"),
        (["--methods", ","], "comma-separated"),
    ],
)
def test_folder_restore_refuses_bad_arguments(load, capsys, argv, expected):
    assert expected in usage_error(capsys, load("folder_restore").main, argv)


def test_folder_restore_tiny_run_leaves_no_files(load, capsys, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    argv = ["--count", "2", "--size", "32", "--methods", "wavelet", "--no-ray", "--workers", "1"]
    assert load("folder_restore").main(argv) is None
    assert "| wavelet | folder command |" in capsys.readouterr().out
    assert os.listdir(tmp_path) == []


def test_denoiser_training_checks_holdout(load, capsys, tmp_path):
    module = load("denoiser_training")
    argv = ["--channels", "1", "--out", str(tmp_path / "run"), "--val-images", "40"]
    assert "--val-images (40) must be at most --holdout (32)" in usage_error(capsys, module.main, argv)
    for i in range(3):
        (tmp_path / f"{i}.png").write_bytes(b"")
    with pytest.raises(ValueError, match="too few to hold 32 out"):  # was numpy's "larger sample than population"
        module.holdout_files(str(tmp_path), 32)
    assert not (tmp_path / "run").exists()


def test_ship_float16_weights_refuses_a_file_that_is_not_keras(load, tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"not a zip archive")
    with pytest.raises(ValueError, match="expected a .keras file"):  # was zipfile.BadZipFile
        load("ship_float16_weights").rewrite(str(path))
    assert path.read_bytes() == b"not a zip archive"
    assert os.listdir(tmp_path) == ["model.keras"]


# Runs `python benchmarks/<name>.py --help` for every script in one fresh
# interpreter (runpy, as __main__), not one each: TensorFlow is imported once.
_HELP_DRIVER = """
import contextlib, io, json, runpy, sys
results = {}
sys.path.insert(0, sys.argv[1])
for name in sys.argv[2:]:
    out, err, code = io.StringIO(), io.StringIO(), None
    sys.argv = [f"{sys.path[0]}/{name}.py", "--help"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(sys.argv[0], run_name="__main__")
        except SystemExit as exit:
            code = exit.code
    results[name] = {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
print(json.dumps(results))
"""


@pytest.mark.slow
def test_help_works_offline():
    result = subprocess.run(
        [sys.executable, "-c", _HELP_DRIVER, str(BENCHMARKS), *SCRIPTS],
        capture_output=True, text=True, timeout=600, cwd=BENCHMARKS.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout.splitlines()[-1])
    assert sorted(results) == SCRIPTS and len(SCRIPTS) >= 13
    for name, run in results.items():
        assert run["code"] in (0, None), (name, run["stderr"])
        # keras_io_recipes printed nothing (a module, not a command)
        assert run["stdout"].startswith("usage: "), (name, run["stdout"][:200])


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, argv, expected",
    [
        ("train_throughput", ["--vs-recipe", "--batch-size", "8"], "do not apply to it: --batch-size"),
        ("train_throughput", ["--levers"], "--levers goes with --vs-recipe"),
        ("unet_throughput", ["--data", "x"], "--data goes with --quality-budget"),
        ("unet_throughput", ["--quality-budget", "0", "--data", "x"], "number > 0"),  # was silently timing mode
        ("unet_throughput", ["--precision", "float32", "bf16"], "--precision: precision must be one of"),
        ("unet_throughput", ["--repeats", "0", "--precision", "float32"], "integer >= 1"),  # was a nan median
        ("generative_quality", ["--classifier", "classifier.h5", "classifier"], "ending in .keras"),
        ("generative_quality", ["fd", "dcgan_mnist", "--seeds", "0"], "integer >= 1"),  # was a nan mean
        ("plug_and_play", ["--precision", "bf16"], "--precision: precision must be one of"),
    ],
)
def test_tensorflow_scripts_refuse_bad_arguments(load, capsys, name, argv, expected):
    assert expected in usage_error(capsys, load(name).main, argv)


@pytest.mark.slow
def test_generative_quality_refuses_a_bad_precision_before_training(load):
    with pytest.raises(ValueError, match="Received: precision='bogus'"):
        load("generative_quality").main(["vae-precision", "--precisions", "float32", "bogus"])


@pytest.mark.slow
def test_plug_and_play_tiny_run(load, capsys, tmp_path):
    argv = ["--quick", "--images", "camera", "--crop", "32", "--tasks", "upscale", "--csv", str(tmp_path / "pnp.csv")]
    assert load("plug_and_play").main(argv) == 0
    assert "upscale" in capsys.readouterr().out
    rows = (tmp_path / "pnp.csv").read_text().splitlines()
    assert rows[0].startswith("task,setting,image") and len(rows) == 4  # bilinear, bicubic, pnp
    assert np.isfinite([float(row.split(",")[5]) for row in rows[1:]]).all()
