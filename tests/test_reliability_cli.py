"""Reliability of the command line: inputs never lost, early and clear errors, quiet TF."""

import os
import subprocess
import sys
import time

import pytest
from skimage import data

from kerasgen import export as export_module
from kerasgen.cli import main
from kerasgen.restoration import repair, save_image
from kerasgen.restoration._atomic import atomic_output

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / "in.png"
    save_image(path, data.camera()[:32, :32] / 255.0)
    return path


def must_not_compute(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("computed before checking the output")

    monkeypatch.setattr(repair, "repair_image", fail)


def deny_writes_to(monkeypatch, folder):
    real_access = os.access
    folder = os.path.abspath(folder)
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: False if os.path.abspath(p) == folder else real_access(p, mode, **kw)
    )


# ------------------------------------------------------------------ restore


def test_restore_refuses_to_overwrite_its_input(image_file, monkeypatch, capsys):
    before = image_file.read_bytes()
    must_not_compute(monkeypatch)
    for extra in ([], ["--overwrite"]):
        assert main(["restore", str(image_file), str(image_file), "--method", "tv", *extra]) == 2
        assert "destroy the input" in capsys.readouterr().err
    assert image_file.read_bytes() == before


def test_restore_refuses_an_existing_output_unless_overwrite(image_file, tmp_path, capsys):
    out = tmp_path / "out.png"
    out.write_bytes(b"keep me")
    assert main(["restore", str(image_file), str(out), "--method", "tv", "--sigma", "10"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main(["restore", str(image_file), str(out), "--method", "tv", "--sigma", "10", "--overwrite"]) == 0
    assert out.read_bytes() != b"keep me"


def test_restore_reports_an_unwritable_folder_before_computing(image_file, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    deny_writes_to(monkeypatch, folder)
    must_not_compute(monkeypatch)
    assert main(["restore", str(image_file), str(folder / "out.png"), "--method", "tv"]) == 2
    err = capsys.readouterr().err
    assert "not writable" in err and "out.png" in err and ".tmp" not in err


def test_atomic_output_names_the_users_path_not_the_temp_file(tmp_path, monkeypatch):
    real_open = os.open

    def denied(path, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(PermissionError) as info, atomic_output(tmp_path / "x.png") as file:
        file.write(b"")
    assert "x.png" in str(info.value) and ".tmp" not in str(info.value)


# ------------------------------------------------------------------ compare


def test_compare_refuses_existing_outputs_unless_overwrite(image_file, tmp_path, capsys):
    out = tmp_path / "results"
    args = ["compare", "--image", str(image_file), "--methods", "wavelet", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0


# ------------------------------------------------------------------ export


def test_export_of_a_file_that_is_not_a_model(tmp_path, capsys):
    path = tmp_path / "photo.keras"
    path.write_bytes(b"\x89PNG not a model")
    assert main(["export", str(path), "--out", str(tmp_path / "sm")]) == 2
    err = capsys.readouterr().err
    assert "not found" not in err.lower() and "exists but is not a .keras file" in err


def test_export_versions_beyond_int64_are_refused(tmp_path, capsys):
    from kerasgen.models import build_unet

    with pytest.raises(ValueError, match=r"2\*\*63 - 1"):
        export_module.export_for_serving(build_unet(depth=1, base_filters=2), tmp_path, version=2**63)
    assert main(["export", "m.keras", "--version", str(2**63)]) == 2  # a usage error
    assert "2**63" in capsys.readouterr().err


def test_export_reports_an_unwritable_folder_before_loading(tmp_path, monkeypatch, capsys):
    import keras

    from kerasgen.models import build_unet

    model_path = tmp_path / "u.keras"
    build_unet(depth=1, base_filters=2).save(model_path)
    out = tmp_path / "served"
    out.mkdir()
    deny_writes_to(monkeypatch, out)

    def no_loading(*args, **kwargs):
        raise AssertionError("loaded before checking the output")

    monkeypatch.setattr(keras.saving, "load_model", no_loading)
    assert main(["export", str(model_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not writable" in err and str(out) in err and ".tmp" not in err


def test_stale_temporary_export_folders_are_removed(tmp_path):
    from kerasgen.models import build_unet

    model_dir = tmp_path / "unet"
    stale = model_dir / ".1.tmp-0123456789ab"
    fresh = model_dir / ".2.tmp-ba9876543210"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    export_module.export_for_serving(build_unet(depth=1, base_filters=2), tmp_path, version=3)
    assert not stale.exists()
    assert fresh.exists()  # may belong to an export still running
    assert (model_dir / "3" / "saved_model.pb").exists()


# ------------------------------------------------------------------ train


def test_train_refuses_to_replace_a_completed_run(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "gan.keras").write_bytes(b"a finished model")
    assert main(["train", "gan", "--dataset", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "completed run" in capsys.readouterr().err
    assert (out / "gan.keras").read_bytes() == b"a finished model"


def test_train_unet_help_does_not_promise_tiff(capsys):
    assert main(["train", "unet", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "TIFF files are not read" in text


# ------------------------------------------------------------------ quiet TensorFlow


@pytest.mark.slow
def test_cli_hides_tensorflow_native_logs_unless_verbose(tmp_path):
    from kerasgen.models import build_unet

    build_unet(depth=1, base_filters=2).save(tmp_path / "u.keras")
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    command = [sys.executable, "-m", "kerasgen", "export", "u.keras", "--out", "sm"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    noise = [line for line in proc.stderr.splitlines() if line[:5] in ("I0000", "W0000", "E0000")]
    assert noise == [], proc.stderr
    assert "wrote" in proc.stdout
    proc = subprocess.run(
        [*command, "--overwrite", "--verbose"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
