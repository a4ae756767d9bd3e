"""Reliability of the command line and the data pipelines: findings of an audit, one test each."""

import math

import numpy as np
import pytest
from PIL import Image

from kerasgen.cli import main


def test_train_overwrite_keeps_the_previous_run_when_the_new_one_fails_to_start(tmp_path, data_root, capsys):
    # --overwrite used to delete the previous run's backup, history and sample grids before the
    # arguments were checked: a typo destroyed an unfinished run.
    out = tmp_path / "run"
    (out / "backup").mkdir(parents=True)
    (out / "samples").mkdir()
    previous = {
        "backup/latest.weights.h5": b"weights",
        "backup/training_metadata.json": b"{}",
        "history.csv": b"epoch,loss\n0,1.0\n",
        "samples/samples_epoch_001.png": b"png",
    }
    for name, content in previous.items():
        (out / name).write_bytes(content)
    argv = ["train", "gan", "--data-dir", str(data_root), "--split", "test[:0]", "--out", str(out), "--overwrite"]
    assert main(argv) == 2
    assert "selects no examples" in capsys.readouterr().err
    for name, content in previous.items():
        assert (out / name).read_bytes() == content
    assert sorted(p.name for p in out.iterdir()) == ["backup", "history.csv", "samples"]  # nothing left aside


def test_train_empty_out_is_refused(tmp_path, monkeypatch, capsys):
    # `--out ""` used to be replaced silently by the default runs/MODEL.
    monkeypatch.chdir(tmp_path)
    assert main(["train", "gan", "--out", ""]) == 2
    assert "--out must be the path of a folder. Received: --out ''" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_train_vae_validation_overlap_uses_the_local_copy_size(tmp_path, data_root, capsys):
    # "test[:30]" and "test[-20:]" overlap in a 40-image local copy; the check assumed 10000 images.
    argv = ["train", "vae", "--data-dir", str(data_root), "--split", "test[:30]", "--validation-split", "test[-20:]"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    assert "share images" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_restore_folder_refuses_an_empty_output_and_says_where_it_wrote(tmp_path, image_folder, monkeypatch, capsys):
    # An empty OUTPUT used to restore the folder into the current folder.
    monkeypatch.chdir(tmp_path)
    assert main(["restore", str(image_folder), "", "--method", "tv", "--sigma", "10", "--workers", "1"]) == 2
    assert "OUTPUT must be the path of an image file or a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    out = tmp_path / "out"
    assert main(["restore", str(image_folder), str(out), "--method", "tv", "--sigma", "10", "--workers", "1"]) == 0
    assert f"wrote 2 image(s) into {out}" in capsys.readouterr().out


def test_cli_reports_running_out_of_memory_without_a_traceback(image_folder, tmp_path, monkeypatch, capsys):
    # e.g. `kerasgen restore small.png big.png --method bicubic --scale 100000` (37 TiB): a MemoryError traceback.
    import kerasgen.restoration.repair as repair

    def too_large(*args, **kwargs):
        raise MemoryError("Unable to allocate 37.3 TiB for an array with shape (3200000, 3200000)")

    monkeypatch.setattr(repair, "repair_image", too_large)
    argv = ["restore", str(image_folder / "0.png"), str(tmp_path / "big.png"), "--method", "bicubic", "--scale", "9"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgen restore: error: not enough memory. Unable to allocate 37.3 TiB")
    assert "Traceback" not in err


def test_export_pretrained_with_an_empty_name_is_refused(tmp_path, capsys):
    # `--name ""` used to be replaced silently by the pretrained model's name.
    argv = ["export", "--pretrained", "unet_denoise_gray", "--name", "", "--out", str(tmp_path / "serving")]
    assert main(argv) == 2
    assert "Received: name=''" in capsys.readouterr().err
    assert not (tmp_path / "serving").exists()


def test_folder_loaders_decode_gif_bmp_and_jpeg_to_any_channels(tmp_path):
    # TensorFlow decodes GIF to RGB only, BMP not to grey and JPEG not to RGBA: a folder of grey BMPs
    # (channels inferred: 1) or GIFs with channels=1 failed with a TensorFlow error (a traceback
    # from `kerasgen train`).
    from kerasgen.data import load_clean_images, load_dataset, make_restoration_dataset

    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (16, 16), dtype=np.uint8)
    for ext in ("bmp", "gif", "jpg"):
        (tmp_path / ext).mkdir()
    Image.fromarray(grey).save(tmp_path / "bmp" / "a.bmp")
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / "gif" / "a.gif")
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / "jpg" / "a.jpg")

    bmp = next(iter(load_dataset(tmp_path / "bmp", batch_size=1, value_range=(0, 1)))).numpy()
    assert bmp.shape == (1, 16, 16, 1)
    np.testing.assert_allclose(bmp[0, ..., 0] * 255, grey, atol=1e-3)
    gif = next(iter(load_dataset(tmp_path / "gif", batch_size=1, channels=1, value_range=(0, 1)))).numpy()
    assert gif.shape == (1, 16, 16, 1)
    np.testing.assert_allclose(gif[0, ..., 0] * 255, grey, atol=1.01)
    jpg = next(iter(load_dataset(tmp_path / "jpg", batch_size=1, channels=4, value_range=(0, 1)))).numpy()
    assert jpg.shape == (1, 16, 16, 4) and (jpg[..., 3] == 1).all()

    assert load_clean_images(tmp_path / "gif", channels=1)[0].shape == (16, 16, 1)
    degraded, clean = next(iter(make_restoration_dataset(tmp_path / "bmp", patch_size=8, batch_size=1, seed=0)))
    assert clean.shape == (1, 8, 8, 1)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"sigma_range": (0.0, math.inf)}, "sigma_range"),
        ({"degradation": "blur", "blur_std_range": (1.0, math.inf)}, "blur_std_range"),  # was an OverflowError
        ({"degradation": "blur", "blur_noise_sigma": math.inf}, "blur_noise_sigma"),
    ],
)
def test_restoration_dataset_refuses_infinite_noise_and_blur(kwargs, name):
    # An infinite noise level gave training pairs of inf / NaN, silently.
    from kerasgen.data import make_restoration_dataset

    clean = np.random.default_rng(0).random((2, 32, 32))
    with pytest.raises(ValueError, match=f"{name} must be a pair \\(low, high\\) of finite numbers"):
        make_restoration_dataset(clean, patch_size=32, batch_size=1, seed=0, **kwargs)


def test_restoration_training_folder_with_a_broken_link_names_it(tmp_path):
    # A dangling symlink (or an unreadable file) raised TensorFlow's NotFoundError: a traceback
    # from `kerasgen train unet`.
    from kerasgen.data import make_restoration_dataset

    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="Cannot read image file .*b.png"):
        make_restoration_dataset(tmp_path, patch_size=8, batch_size=1, seed=0)
