"""kerasgen.batch.restore_folder: tree and formats kept, failures, resume after kill -9."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import tifffile
from PIL import Image

from kerasgen.batch import plan_folder, restore_folder
from kerasgen.restoration import read_image


def _make_collection(root, copies=1, size=40):
    """8/16-bit grey PNGs, an RGB JPEG, a 16-bit RGB TIFF, a BMP, a broken file."""
    rng = np.random.default_rng(0)
    (root / "sub" / "deeper").mkdir(parents=True)
    for i in range(copies):
        grey = (rng.random((size, size + 8)) * 255).astype(np.uint8)
        Image.fromarray(grey).save(root / f"grey8_{i}.png")
        grey16 = (rng.random((size, size + 8)) * 65535).astype(np.uint16)
        Image.fromarray(grey16).save(root / f"grey16_{i}.png")
        colour = (rng.random((size + 8, size, 3)) * 255).astype(np.uint8)
        Image.fromarray(colour).save(root / "sub" / f"colour_{i}.jpg")
        colour16 = (rng.random((32, 32, 3)) * 65535).astype(np.uint16)
        tifffile.imwrite(root / "sub" / "deeper" / f"colour16_{i}.tif", colour16, photometric="rgb")
        Image.fromarray(colour[:32, :32]).save(root / "sub" / f"pic_{i}.bmp")
    (root / "broken.png").write_bytes(b"not an image")


def test_tree_formats_failures_and_summary(tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    _make_collection(source)
    summary = restore_folder(source, target, "tv", recursive=True, sigma=0.1, workers=2, progress=False)
    assert (summary.done, summary.skipped, summary.failed) == (5, 0, 1)
    assert summary.failures[0][0] == "broken.png"
    assert "not a recognised image" in summary.failures[0][1]
    found = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert found == [
        "grey16_0.png",
        "grey8_0.png",
        "sub/colour_0.jpg",
        "sub/deeper/colour16_0.tif",
        "sub/pic_0.png",  # BMP is written as PNG
    ]
    modes = {name: Image.open(target / name).mode for name in found if not name.endswith(".tif")}
    assert modes == {
        "grey16_0.png": "I;16",
        "grey8_0.png": "L",
        "sub/colour_0.jpg": "RGB",
        "sub/pic_0.png": "RGB",
    }
    tiff = tifffile.imread(target / "sub" / "deeper" / "colour16_0.tif")
    assert tiff.dtype == np.uint16 and tiff.shape == (32, 32, 3)
    assert "images/s" in str(summary) and "failed 1" in str(summary)

    # Not recursive: the top level only; a re-run skips what is done.
    again = restore_folder(source, target, "tv", sigma=0.1, workers=1, progress=False)
    assert (again.done, again.skipped, again.failed) == (0, 2, 1)


def test_bad_arguments(tmp_path):
    _make_collection(tmp_path / "in")
    with pytest.raises(ValueError, match="mask per image"):
        restore_folder(tmp_path / "in", tmp_path / "out", "biharmonic")
    with pytest.raises(ValueError, match="psf= is not used"):
        restore_folder(tmp_path / "in", tmp_path / "out", "tv", psf=np.ones((3, 3)))
    with pytest.raises(ValueError, match="must differ"):
        restore_folder(tmp_path / "in", tmp_path / "in", "tv")
    with pytest.raises(NotADirectoryError):
        restore_folder(tmp_path / "nothing", tmp_path / "out", "tv")


def test_output_folder_containing_the_input_folder_never_overwrites_inputs(tmp_path):
    # out/sub/x.png (input) would be the output of out/sub/sub/x.png.
    inner = tmp_path / "sub"
    (inner / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((16, 16)) * 255).astype(np.uint8)).save(inner / "x.png")
    Image.fromarray((rng.random((16, 16, 3)) * 255).astype(np.uint8)).save(inner / "sub" / "x.png")
    before = (inner / "x.png").read_bytes()
    with pytest.raises(ValueError, match=r"'sub/x.png' would overwrite the input 'x.png'"):
        plan_folder(inner, tmp_path, recursive=True)
    for overwrite in (False, True):
        with pytest.raises(ValueError, match="would overwrite the input"):
            restore_folder(inner, tmp_path, "tv", recursive=True, sigma=0.1, overwrite=overwrite, progress=False)
    assert (inner / "x.png").read_bytes() == before
    # A hard link to an input under the output's name is refused too.
    target = tmp_path / "out"
    target.mkdir()
    os.link(inner / "x.png", target / "x.png")
    with pytest.raises(ValueError, match="would overwrite the input 'x.png'"):
        plan_folder(inner, target)
    # Not recursive, the outputs (tmp_path/x.png) are no inputs: allowed.
    assert [task.relative for task in plan_folder(inner, tmp_path)] == ["x.png"]


def test_recursive_plan_follows_linked_sub_folders_once(tmp_path):
    # os.walk skipped a linked sub-folder: its images were not restored, silently.
    source, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    source.mkdir()
    elsewhere.mkdir()
    pixels = (np.random.default_rng(0).random((16, 16)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(source / "a.png")
    Image.fromarray(pixels).save(elsewhere / "b.png")
    os.symlink(elsewhere, source / "linked")
    os.symlink(source, elsewhere / "back")  # a cycle: each real folder is read once
    tasks = plan_folder(source, tmp_path / "out", recursive=True)
    assert [task.relative for task in tasks] == ["a.png", os.path.join("linked", "b.png")]
    only_links = tmp_path / "links"
    only_links.mkdir()
    os.symlink(elsewhere, only_links / "to")  # b.png, then back/a.png, then no loop
    with pytest.raises(ValueError, match=r"Its sub-folders hold 2 image\(s\)"):
        plan_folder(only_links, tmp_path / "out")


def test_learned_batches_equal_restore(tmp_path):
    import keras

    from kerasgen.inference import restore
    from kerasgen.models import build_unet

    source, target = tmp_path / "in", tmp_path / "out"
    _make_collection(source, copies=2)
    keras.utils.set_random_seed(0)
    model = build_unet(image_shape=(None, None, 3), depth=2, base_filters=4, noise_level_input=True)
    path = tmp_path / "tiny.keras"
    model.save(path)
    summary = restore_folder(source, target, "unet", recursive=True, model=path, batch_size=3, progress=False)
    assert (summary.done, summary.failed) == (10, 1)
    for task in plan_folder(source, target, recursive=True):
        if task.relative == "broken.png" or task.target.endswith(".jpg"):
            continue  # JPEG outputs are lossy
        expected = restore(read_image(task.source), model)
        scale = 65535 if task.bit_depth == 16 else 255
        got = read_image(task.target)
        assert np.abs(got - np.round(expected * scale) / scale).max() * scale <= 1.0, task


def test_learned_self_ensemble_equals_restore(tmp_path):
    import keras

    from kerasgen.inference import restore
    from kerasgen.models import build_unet

    source, target = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    rng = np.random.default_rng(1)
    Image.fromarray((rng.random((36, 44)) * 255).astype(np.uint8)).save(source / "a.png")
    keras.utils.set_random_seed(0)
    model = build_unet(depth=2, base_filters=4, noise_level_input=True)
    summary = restore_folder(source, target, "unet", model=model, sigma=0.1, self_ensemble=4, progress=False)
    assert (summary.done, summary.failed) == (1, 0)
    expected = restore(read_image(source / "a.png"), model, sigma=0.1, self_ensemble=4)
    single = restore(read_image(source / "a.png"), model, sigma=0.1)
    got = read_image(target / "a.png")
    assert np.abs(got - np.round(expected * 255) / 255).max() * 255 <= 1.0
    assert np.abs(got - np.round(single * 255) / 255).max() * 255 > 1.0  # the ensemble did run
    with pytest.raises(ValueError, match="self_ensemble= are for method='unet'"):
        restore_folder(source, tmp_path / "o2", "tv", sigma=0.1, self_ensemble=2)
    with pytest.raises(ValueError, match=r"self_ensemble must be one of \[1, 2, 4, 8\]"):
        restore_folder(source, tmp_path / "o3", "unet", model=model, self_ensemble=5)


KILLED_RUN = textwrap.dedent(
    """
    import sys
    from kerasgen.batch import restore_folder
    restore_folder(sys.argv[1], sys.argv[2], "nl_means", sigma=0.1, workers=2, progress=False)
    """
)


def test_resume_after_kill_9(tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    rng = np.random.default_rng(1)
    count = 40
    for i in range(count):
        Image.fromarray((rng.random((160, 160)) * 255).astype(np.uint8)).save(source / f"{i:03d}.png")
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(source), str(target)],
        start_new_session=True,  # its own process group: the pool's workers die too
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if target.is_dir() and len([p for p in target.iterdir() if p.suffix == ".png"]) >= 4:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in target.iterdir() if not p.name.startswith(".")}
    assert 4 <= len(finished) < count, "the run was not killed mid-way"
    for name in finished:  # every file under its final name is complete
        assert read_image(target / name).shape == (160, 160)

    summary = restore_folder(source, target, "nl_means", sigma=0.1, workers=2, progress=False)
    assert summary.skipped == len(finished)
    assert summary.done == count - len(finished) and summary.failed == 0
    after = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    assert sorted(after) == [f"{i:03d}.png" for i in range(count)]  # no temporary left
    assert all(after[name] == mtime for name, mtime in finished.items())  # not redone


def test_command_line_folder_mode(tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    _make_collection(source)
    command = [sys.executable, "-m", "kerasgen", "restore", str(source), str(target), "--method", "wavelet"]
    first = subprocess.run(command + ["--recursive", "--workers", "2"], capture_output=True, text=True, timeout=300)
    assert first.returncode == 1, first.stderr  # broken.png failed, the rest was restored
    assert "wavelet: done 5, skipped 0, failed 1" in first.stdout
    assert "failed: broken.png" in first.stdout
    assert (target / "sub" / "deeper" / "colour16_0.tif").exists()
    second = subprocess.run(command + ["--recursive"], capture_output=True, text=True, timeout=300)
    assert "done 0, skipped 5, failed 1" in second.stdout
    refused = subprocess.run(command + ["--bit-depth", "16"], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "keep each input's bit depth" in refused.stderr
    one_file = [sys.executable, "-m", "kerasgen", "restore", str(source / "grey8_0.png"), str(tmp_path / "one.png")]
    refused = subprocess.run(one_file + ["--recursive"], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "for a folder INPUT only" in refused.stderr
