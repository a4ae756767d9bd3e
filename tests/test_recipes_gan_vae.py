"""train_gan / train_vae on tiny in-memory datasets: outputs, resume, errors."""

import csv
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kerasgen.recipes._inputs import auto_validation_split
from kerasgen.recipes._outputs import read_history_csv, save_loss_curves
from kerasgen.recipes.gan import train_gan
from kerasgen.recipes.vae import train_vae

SIZE = 16
TINY_GAN = {"latent_dim": 8, "base_filters": 4, "num_samples": 4, "verbose": 0}
TINY_VAE = {"latent_dim": 2, "base_filters": 4, "num_samples": 4, "verbose": 0}


def images(value_range, num=32, seed=0):
    """Random images in value_range: blobs, so that the models have something to learn."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    centres = rng.uniform(4, SIZE - 4, (num, 2))
    blobs = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 8.0)
    lo, hi = value_range
    return (lo + (hi - lo) * blobs[..., None]).astype("float32")


def batched(array, labels=None, batch_size=16):
    data = array if labels is None else (array, labels)
    return tf.data.Dataset.from_tensor_slices(data).batch(batch_size)


class Interrupt(keras.callbacks.Callback):
    """Stops training (like a crash or Ctrl-C) when an epoch begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


class WeightsRecorder(keras.callbacks.Callback):
    """Copies the weights of a sub-model at epoch begin/end."""

    def __init__(self, attribute):
        super().__init__()
        self.attribute = attribute
        self.begin, self.end = {}, {}

    def _weights(self):
        return [w.copy() for w in getattr(self.model, self.attribute).get_weights()]

    def on_epoch_begin(self, epoch, logs=None):
        self.begin[epoch] = self._weights()

    def on_epoch_end(self, epoch, logs=None):
        self.end[epoch] = self._weights()


def same_weights(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _image_folder(root, num=12):
    folder = root / "images"
    folder.mkdir()
    for index, image in enumerate(np.rint(images((0, 255), num=num)[..., 0]).astype(np.uint8)):
        Image.fromarray(image).save(folder / f"{index:02d}.png")
    return folder


def assert_no_temporary_files(folder):
    leftovers = [f for _, _, files in os.walk(folder) for f in files if f.startswith(".")]
    assert leftovers == []


# --------------------------------------------------------------------------
# train_gan


@pytest.mark.slow
def test_train_gan_writes_model_samples_curves_and_csv(tmp_path):
    out = tmp_path / "gan"
    recorder = WeightsRecorder("generator")
    gan, history = train_gan(
        batched(images((-1, 1))), out, epochs=2, callbacks=[recorder], **TINY_GAN
    )

    assert history.epoch == [0, 1]
    assert set(history.history) == {"d_loss", "g_loss", "loss"}
    assert not same_weights(recorder.begin[0], recorder.end[1])  # it trained
    assert sorted(os.listdir(out)) == ["gan.keras", "history.csv", "loss_curves.png", "samples"]
    assert sorted(os.listdir(out / "samples")) == ["samples_epoch_001.png", "samples_epoch_002.png"]
    grid = np.asarray(Image.open(out / "samples" / "samples_epoch_002.png"))
    assert grid.shape == (2 * SIZE, 2 * SIZE)  # 4 samples, 2 x 2
    assert Image.open(out / "loss_curves.png").format == "PNG"
    rows = csv_rows(out / "history.csv")
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert float(rows[1]["g_loss"]) == pytest.approx(history.history["g_loss"][1])
    assert_no_temporary_files(out)

    loaded = keras.models.load_model(out / "gan.keras")
    assert same_weights(loaded.generator.get_weights(), gan.generator.get_weights())
    samples = loaded.generate(3, seed=1)
    assert samples.shape == (3, SIZE, SIZE, 1)
    assert np.all(np.abs(samples) <= 1)
    np.testing.assert_allclose(samples, gan.generate(3, seed=1), atol=1e-5)


@pytest.mark.slow
def test_train_gan_resumes_after_interruption(tmp_path):
    # On a folder: the resumed run also trains on the batches the uninterrupted
    # run sees in its second epoch (the shuffled order restarted before).
    out = tmp_path / "gan"
    data = _image_folder(tmp_path, num=10)  # batches of 4: the GAN drops the last 2 images
    kwargs = {**TINY_GAN, "batch_size": 4, "seed": 3, "precision": "float32"}
    first = WeightsRecorder("discriminator")
    with pytest.raises(RuntimeError, match="interrupted"):
        train_gan(data, out, epochs=2, callbacks=[first, Interrupt(epoch=1)], **kwargs)
    assert os.listdir(out / "backup")  # state of epoch 1 kept for the rerun
    assert len(csv_rows(out / "history.csv")) == 1

    second = WeightsRecorder("discriminator")
    resumed, history = train_gan(data, out, epochs=2, callbacks=[second], **kwargs)

    assert history.epoch == [1]  # only the missing epoch ran
    assert list(second.begin) == [1]
    # It continued from the weights of epoch 1 instead of new random weights.
    assert same_weights(second.begin[1], first.end[0])
    assert [row["epoch"] for row in csv_rows(out / "history.csv")] == ["0", "1"]
    assert sorted(os.listdir(out / "samples")) == ["samples_epoch_001.png", "samples_epoch_002.png"]
    assert not os.path.exists(out / "backup")  # deleted once the run completed
    assert read_history_csv(out / "history.csv")["epoch"] == [0, 1]
    reference, _ = train_gan(data, tmp_path / "uninterrupted", epochs=2, **kwargs)
    assert same_weights(resumed.get_weights(), reference.get_weights())


@pytest.mark.slow
def test_train_conditional_gan_with_steps_per_epoch(tmp_path):
    labels = np.arange(32) % 3
    recorder = WeightsRecorder("generator")
    gan, history = train_gan(
        batched(images((-1, 1)), labels),
        tmp_path,
        epochs=1,
        steps_per_epoch=3,  # more than the 2 batches: the data repeats
        conditional=True,
        num_classes=3,
        loss="hinge",
        callbacks=[recorder],
        **TINY_GAN,
    )
    assert gan.conditional
    assert history.epoch == [0]
    assert not same_weights(recorder.begin[0], recorder.end[0])
    # One column per class: 4 samples of 3 classes give a 2 x 3 grid.
    grid = np.asarray(Image.open(tmp_path / "samples" / "samples_epoch_001.png"))
    assert grid.shape == (2 * SIZE, 3 * SIZE)
    assert gan.generate(2, seed=0, labels=[0, 2]).shape == (2, SIZE, SIZE, 1)


@pytest.mark.slow
def test_train_conditional_gan_on_a_folder_of_class_folders(tmp_path):
    folder = tmp_path / "images"
    pixels = np.rint(images((0, 255), num=8)[..., 0]).astype(np.uint8)
    for index, image in enumerate(pixels):
        (folder / f"class_{index % 2}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"class_{index % 2}" / f"{index}.png")
    gan, _ = train_gan(folder, tmp_path / "run", epochs=1, batch_size=4, conditional=True, **TINY_GAN)
    assert gan.generator.get_layer("label_embedding").input_dim == 2  # two class folders
    assert gan.generator.output_shape == (None, SIZE, SIZE, 1)  # gray PNGs

    with pytest.raises(ValueError, match="one sub-folder per class"):
        train_gan(folder / "class_0", tmp_path / "run2", conditional=True, **TINY_GAN)


def test_resumed_vae_on_a_folder_ends_with_the_uninterrupted_weights(tmp_path):
    # The shuffled order of a named dataset or a folder restarted from the
    # first epoch's on resume: the same model, not the same weights. Now each
    # epoch's order depends on the seed and the epoch only. 12 images in
    # batches of 5, 2 steps per epoch: the epochs do not start with a pass.
    folder = _image_folder(tmp_path)
    kwargs = {**TINY_VAE, "epochs": 3, "batch_size": 5, "seed": 3, "precision": "float32"}
    kwargs.update(steps_per_epoch=2, validation_split=None)
    reference, _ = train_vae(folder, tmp_path / "uninterrupted", **kwargs)
    with pytest.raises(RuntimeError, match="interrupted"):
        train_vae(folder, tmp_path / "run", callbacks=[Interrupt(epoch=2)], **kwargs)
    resumed, history = train_vae(folder, tmp_path / "run", **kwargs)
    assert history.epoch == [2]
    assert same_weights(resumed.get_weights(), reference.get_weights())


# --------------------------------------------------------------------------
# train_vae


@pytest.mark.slow
def test_train_vae_validates_and_writes_outputs(tmp_path):
    out = tmp_path / "vae"
    train, validation = images((0, 1)), images((0, 1), num=8, seed=1)
    vae, history = train_vae(
        batched(train), out, epochs=2, validation_data=batched(validation), **TINY_VAE
    )

    assert {"loss", "val_loss", "val_reconstruction_loss", "val_kl_loss"} <= set(history.history)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert sorted(os.listdir(out)) == ["history.csv", "loss_curves.png", "samples", "vae.keras"]
    assert len(os.listdir(out / "samples")) == 2
    rows = csv_rows(out / "history.csv")
    assert float(rows[1]["val_loss"]) == pytest.approx(history.history["val_loss"][1])
    assert_no_temporary_files(out)

    loaded = keras.models.load_model(out / "vae.keras")
    samples = loaded.sample(3, seed=0)
    assert samples.shape == (3, SIZE, SIZE, 1)
    assert samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_allclose(samples, vae.sample(3, seed=0), atol=1e-5)


# --------------------------------------------------------------------------
# Argument errors (no training)


@pytest.fixture
def gan_data():
    return batched(images((-1, 1)))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, r"epochs must be a positive int\. Received: epochs=0"),
        ({"num_classes": 3}, ValueError, "num_classes is only used by a conditional GAN"),
        ({"conditional": True}, ValueError, r"trains on \(images, labels\) batches"),
        ({"conditional": "yes"}, TypeError, "conditional must be a bool"),
        ({"image_shape": (32, 32, 1)}, ValueError, r"image_shape does not match.*\(16, 16, 1\)"),
        ({"data_dir": "data"}, ValueError, "data_dir is only used with a dataset name"),
        ({"callbacks": ["x"]}, TypeError, "callbacks must be None or a list"),
        ({"jit_compile": "yes"}, ValueError, "jit_compile must be 'auto', True or False"),
        ({"precision": "bf16"}, ValueError, r"precision must be one of .* Received: precision='bf16'"),
        ({"loss": "wasserstein"}, ValueError, r"loss must be one of \['non_saturating', 'hinge', 'wgan_gp'\]"),
    ],
)
def test_train_gan_argument_errors(tmp_path, gan_data, kwargs, error, match):
    with pytest.raises(error, match=match):
        train_gan(gan_data, tmp_path, **kwargs)
    assert not os.path.exists(tmp_path / "samples")


def test_train_gan_rejects_bad_datasets(tmp_path):
    with pytest.raises(ValueError, match=r"A GAN trains on images in \[-1, 1\].*Received: values in \[.*, 25\d\.\d*\]"):
        train_gan(batched(images((0, 255))), tmp_path)
    with pytest.raises(ValueError, match=r"batches of images.*dataset\.batch\(64\)"):
        train_gan(tf.data.Dataset.from_tensor_slices(images((-1, 1))), tmp_path)
    with pytest.raises(ValueError, match="num_classes is needed"):
        train_gan(batched(images((-1, 1)), np.zeros(32, "int32")), tmp_path, conditional=True)
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, num_classes=2\)"):
        train_gan(batched(images((-1, 1)), np.full(32, 2)), tmp_path, conditional=True, num_classes=2)
    with pytest.raises(ValueError, match="infinite.*pass steps_per_epoch"):
        train_gan(batched(images((-1, 1))).repeat(), tmp_path)
    with pytest.raises(ValueError, match="Unknown dataset name"):
        train_gan("mnits", tmp_path)
    with pytest.raises(TypeError, match="dataset must be one of"):
        train_gan(images((-1, 1)), tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="out_dir must be a folder"):
        train_gan(batched(images((-1, 1))), tmp_path / "file")


def test_train_vae_argument_errors(tmp_path):
    data = batched(images((0, 1)))
    with pytest.raises(ValueError, match="with a tf.data.Dataset, pass validation_data"):
        train_vae(data, tmp_path, validation_split="test[8000:]")
    with pytest.raises(ValueError, match="either validation_split or validation_data"):
        train_vae("mnist", tmp_path, validation_split="test", validation_data=data)
    with pytest.raises(TypeError, match="validation_data must be a batched tf.data.Dataset"):
        train_vae(data, tmp_path, validation_data=images((0, 1)))
    with pytest.raises(ValueError, match=r"share images: 'test\[:64\]' and 'test\[:32\]'.*\[0:32\]"):
        train_vae("mnist", tmp_path, split="test[:64]", validation_split="test[:32]")
    with pytest.raises(ValueError, match=r"A VAE trains on images in \[0, 1\]"):
        train_vae(batched(images((-1, 1))), tmp_path)


@pytest.mark.parametrize(
    ("source", "split", "expected"),
    [
        ("mnist", "test[:8000]", "test[8000:]"),
        ("mnist", "train[:90%]", "train[90%:]"),
        ("mnist", "train", "test"),
        ("mnist", "test", None),
        ("mnist", "test[100:200]", None),
        ("./images", "train", None),
        ("./images", "train[:-20]", "train[-20:]"),
    ],
)
def test_auto_validation_split(source, split, expected):
    assert auto_validation_split(source, split) == expected


# --------------------------------------------------------------------------
# History CSV and loss curves


def test_read_history_csv_drops_empty_columns_and_keeps_last_rows(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "epoch,d_loss,g_loss,val_d_loss\n0,1.5,0.7,NA\n1,1.0,0.9,NA\n1,1.2,0.8,NA\n"
    )
    assert read_history_csv(path) == {"epoch": [0, 1], "d_loss": [1.5, 1.2], "g_loss": [0.7, 0.8]}


def test_save_loss_curves_writes_png(tmp_path):
    history = {"epoch": [0, 1, 2], "loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.2, 1.9]}
    path = save_loss_curves(tmp_path / "curves.png", history, title="VAE")
    assert path == str(tmp_path / "curves.png")
    assert Image.open(path).format == "PNG"
    assert os.listdir(tmp_path) == ["curves.png"]
    with pytest.raises(ValueError, match="history holds no metric"):
        save_loss_curves(tmp_path / "empty.png", {"epoch": []})


@pytest.mark.parametrize("where", ["same", "inside", "holds"])
def test_recipes_refuse_out_dir_that_is_inside_or_holds_the_image_folder(tmp_path, where):
    from kerasgen.recipes.unet import train_unet

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(np.full((SIZE, SIZE), 40 * i, np.uint8)).save(folder / f"{i}.png")
    out = {"same": folder, "inside": folder / "run", "holds": tmp_path}[where]
    match = r"out_dir must not be the input folder, be inside it or hold it.*Received: out_dir="
    with pytest.raises(ValueError, match=match + r".*dataset="):
        train_gan(str(folder), out, **TINY_GAN)
    with pytest.raises(ValueError, match=match + r".*dataset="):
        train_vae(folder, out, **TINY_VAE)
    with pytest.raises(ValueError, match=match + r".*data="):
        train_unet(folder, out, epochs=1, steps_per_epoch=1, verbose=0)
    with pytest.raises(ValueError, match=match + r".*validation_data="):
        train_unet(images((0, 1)), out, validation_data=str(folder), epochs=1, steps_per_epoch=1, verbose=0)
    assert sorted(p.name for p in folder.iterdir()) == ["0.png", "1.png", "2.png", "3.png"]  # nothing written


@pytest.mark.slow
def test_train_gan_resume_with_other_arguments_says_how_to_start_anew(tmp_path):
    out = tmp_path / "gan"
    data = batched(images((-1, 1)))
    tiny = {**TINY_GAN, "precision": "float32"}
    with pytest.raises(RuntimeError, match="interrupted"):
        train_gan(data, out, epochs=2, callbacks=[Interrupt(epoch=1)], **tiny)
    with pytest.raises(ValueError, match=r"holds an unfinished run whose model does not match.*--overwrite"):
        train_gan(data, out, epochs=2, **{**tiny, "base_filters": 8})
    # Same model in another precision: the weights would load; refused instead.
    message = r"trained with precision 'float32'; resuming it with 'mixed_bfloat16'.*--precision float32"
    with pytest.raises(ValueError, match=message):
        train_gan(data, out, epochs=2, **{**tiny, "precision": "mixed_bfloat16"})
    assert os.listdir(out / "backup")  # kept: the original arguments still resume it
    _, history = train_gan(data, out, epochs=2, **tiny)
    assert history.epoch == [1]
