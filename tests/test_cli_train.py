"""`kerasgen train gan|vae|unet` through cli.main, on tiny local data in tmp_path."""

import csv

import keras
import numpy as np
import pytest
from PIL import Image

from kerasgen.cli import main

SIZE = 16
TINY = ["--epochs", "1", "--batch-size", "16", "--base-filters", "4", "--num-samples", "4"]


@pytest.mark.slow
def test_train_gan_on_local_idx_via_env_var(tmp_path, data_root, monkeypatch, capsys):
    monkeypatch.setenv("KERASGEN_DATA_DIR", str(data_root))
    out = tmp_path / "run"
    argv = ["train", "gan", "--split", "test[:32]", "--latent-dim", "8", "--conditional", "--out", str(out)]
    argv += ["--precision", "float32"]
    assert main(argv + TINY) == 0

    printed = capsys.readouterr().out
    for path in ("gan.keras", "samples/samples_epoch_001.png", "history.csv", "loss_curves.png"):
        assert f"wrote {out / path}" in printed
        assert (out / path).is_file()
    gan = keras.models.load_model(out / "gan.keras")
    assert gan.conditional  # MNIST's 10 classes
    assert {layer.compute_dtype for layer in gan.generator.layers if layer.weights} == {"float32"}
    assert gan.generate(2, seed=0, labels=[3, 7]).shape == (2, SIZE, SIZE, 1)
    # 4 samples, one column per class (4 < 10 classes): one row of 4.
    assert np.asarray(Image.open(out / "samples" / "samples_epoch_001.png")).shape == (SIZE, 4 * SIZE)


@pytest.mark.slow
def test_train_vae_validates_on_the_rest_of_the_split(tmp_path, data_root, capsys):
    out = tmp_path / "run"
    argv = ["train", "vae", "--data-dir", str(data_root), "--split", "test[:32]", "--out", str(out)]
    assert main(argv + TINY + ["--precision", "mixed_bfloat16"]) == 0
    # The run keeps its training precision (exact resume).
    vae = keras.models.load_model(out / "vae.keras")
    assert vae.encoder.get_layer("down0_conv").compute_dtype == "bfloat16"

    assert f"wrote {out / 'vae.keras'}" in capsys.readouterr().out
    with open(out / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1
    assert float(rows[0]["val_loss"]) > 0  # validated on test[32:], 8 digits
    assert keras.models.load_model(out / "vae.keras").sample(2, seed=0).shape == (2, SIZE, SIZE, 1)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The tensorboard package is not installed")
def test_train_unet_on_a_folder(tmp_path, capsys):
    folder = tmp_path / "clean"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "run"
    argv = ["train", "unet", "--data", str(folder), "--out", str(out), "--epochs", "1", "--steps-per-epoch", "2"]
    argv += ["--batch-size", "2", "--patch-size", "16", "--depth", "2", "--base-filters", "4", "--sigma-max", "30"]
    argv += ["--sigma-power", "1.5"]
    assert main(argv) == 0

    printed = capsys.readouterr().out
    for name in ("best.keras", "last.keras", "history.csv", "loss_curves.png"):
        assert f"wrote {out / name}" in printed
    model = keras.models.load_model(out / "last.keras")
    assert model.output_shape == (None, None, None, 1)


def test_train_offline_without_data_exits_2_with_the_message(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KERASGEN_DATA_DIR", raising=False)
    empty = tmp_path / "nothing_here"
    code = main(["train", "gan", "--data-dir", str(empty), "--no-download", "--out", str(tmp_path / "run")])

    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgen train: error: Could not load dataset 'mnist' with split='train'.")
    assert str(empty / "mnist" / "t10k-images-idx3-ubyte.gz") in err  # where to put the files
    assert "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_train_vae_overlapping_validation_split_exits_2(tmp_path, data_root, capsys):
    out = tmp_path / "run"
    argv = ["train", "vae", "--data-dir", str(data_root), "--split", "test[:32]", "--out", str(out)]
    assert main(argv + ["--validation-split", "test[:16]"] + TINY) == 2
    err = capsys.readouterr().err
    assert "split and validation_split share images: 'test[:32]' and 'test[:16]'" in err
    assert "Traceback" not in err
    assert not (out / "vae.keras").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train"], "the following arguments are required: MODEL"),
        (["train", "gan", "--epochs", "0"], "expected an integer >= 1. Received: '0'"),
        (["train", "unet", "--data", ".", "--sigma-power", "0"], "expected a number > 0. Received: '0'"),
        (["train", "vae", "--loss", "hinge"], "unrecognized arguments: --loss"),
        (["train", "gan", "--loss", "wasserstein"], "invalid choice: 'wasserstein'"),
        (["train", "unet"], "the following arguments are required: --data"),
        (["train", "gan", "--image-size", "32", "32"], "--image-size and --channels go together"),
    ],
)
def test_train_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["train", "--help"], "kerasgen train gan --dataset mnist --split"),
        (
            ["train", "gan", "--help"],
            'KERASGEN_DATA_DIR=../shared/data kerasgen train gan --dataset mnist --split "test[:8000]" --epochs 20',
        ),
        (["train", "vae", "--help"], '"auto" (default)'),
        (["train", "unet", "--help"], "--pixel-unshuffle N"),
    ],
)
def test_train_help(argv, expected, capsys):
    assert main(argv) == 0
    assert expected in capsys.readouterr().out


def test_cli_parser_does_not_import_tensorflow(run_python):
    code = (
        "import sys; from kerasgen.cli import _build_parser; _build_parser(); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported'"
    )
    run_python(code, timeout=60)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The tensorboard package is not installed")
def test_train_unet_noise_level_input_precision_block_and_loss(tmp_path):
    folder = tmp_path / "clean"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "run"
    argv = ["train", "unet", "--data", str(folder), "--out", str(out), "--epochs", "1", "--steps-per-epoch", "1"]
    argv += ["--batch-size", "2", "--patch-size", "16", "--depth", "2", "--base-filters", "4"]
    argv += ["--noise-level-input", "--block", "residual", "--precision", "mixed_bfloat16", "--loss", "psnr"]
    assert main(argv) == 0
    model = keras.models.load_model(out / "last.keras")
    with open(out / "history.csv") as f:
        row = next(csv.DictReader(f))
    assert float(row["loss"]) == pytest.approx(-float(row["psnr"]), abs=0.05)  # --loss psnr: minus the PSNR
    assert [x.name for x in model.inputs] == ["images", "noise_sigma"]
    assert any(layer.name.endswith("_res0") for layer in model.layers)
    assert {l.dtype_policy.name for l in model.layers if l.weights} == {"float32"}


def write_images(folder, num=8):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(num):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)).save(folder / f"{i:02d}.png")


@pytest.mark.parametrize("model", ["gan", "unet"])
@pytest.mark.parametrize("where", ["same", "inside", "holds"])
def test_train_refuses_out_that_is_inside_or_holds_the_input_folder(tmp_path, model, where, capsys):
    folder = tmp_path / "images"
    write_images(folder, num=4)
    out = {"same": folder, "inside": folder / "run", "holds": tmp_path}[where]
    source = "--data" if model == "unet" else "--dataset"
    argv = ["train", model, source, str(folder), "--out", str(out), "--overwrite"]

    assert main(argv + ["--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgen train: error: --out must not be the input folder, be inside it or hold it")
    assert f"{source}={str(folder)!r}" in err
    assert len(err.splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["00.png", "01.png", "02.png", "03.png"]


def _unfinished_run(out, epoch):
    """A backup in `out` as an interrupted run leaves it, with weights of no model."""
    (out / "backup").mkdir(parents=True)
    (out / "backup" / "latest.weights.h5").write_bytes(b"state of another model")
    (out / "backup" / "training_metadata.json").write_text(f'{{"epoch": {epoch}, "batch": 0}}')


def test_train_says_it_resumes_an_unfinished_run(tmp_path, capsys):
    folder = tmp_path / "images"
    write_images(folder)
    out = tmp_path / "run"
    _unfinished_run(out, epoch=3)
    argv = ["train", "gan", "--dataset", str(folder), "--out", str(out), "--latent-dim", "8"]
    argv += ["--epochs", "5", "--batch-size", "4", "--base-filters", "4", "--precision", "float32"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"kerasgen train: {str(out)!r} holds an unfinished run: resuming it after epoch 3" in err
    # h5py's "Unable to synchronously open file (file signature not found)" alone, before
    assert "holds an unfinished run whose backup cannot be read (damaged), so it cannot be resumed. " in err
    assert "Start a new run: pass overwrite=True (kerasgen train: --overwrite)" in err


@pytest.mark.slow
def test_train_overwrite_discards_an_unfinished_run_and_its_sample_grids(tmp_path, capsys):
    folder = tmp_path / "images"
    write_images(folder)
    out = tmp_path / "run"
    _unfinished_run(out, epoch=1)
    (out / "samples").mkdir()
    (out / "samples" / "samples_epoch_002.png").write_bytes(b"old grid")
    (out / "history.csv").write_text("epoch,d_loss,g_loss\n0,1,1\n")
    argv = ["train", "gan", "--dataset", str(folder), "--out", str(out), "--latent-dim", "8", "--overwrite"]
    argv += ["--epochs", "1", "--batch-size", "4", "--base-filters", "4", "--num-samples", "4"]

    assert main(argv + ["--precision", "float32"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'samples' / 'samples_epoch_001.png'}\n" in printed  # the new run's only grid
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["samples_epoch_001.png"]
    with open(out / "history.csv", newline="") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0"]  # a new run, not resumed
    assert not (out / "backup").exists()
