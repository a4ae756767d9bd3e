"""Tests for kerasgen.callbacks: make_grid and the SampleGrid callback."""

import os
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from kerasgen.callbacks import SampleGrid, make_grid


class FakeGAN(keras.Model):
    """Tiny model with a kerasgen-GAN-like generate(): tanh images (8, 8, 1)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(64)
        self.received_labels = []

    def call(self, inputs):
        return self.dense(inputs)

    def generate(self, num_images, seed=None, labels=None):
        self.received_labels.append(labels)
        z = np.random.default_rng(seed).normal(size=(num_images, 4)).astype("float32")
        images = np.tanh(keras.ops.convert_to_numpy(self.dense(z)))
        return images.reshape(num_images, 8, 8, 1)


class FakeVAE(keras.Model):
    """Tiny model with a kerasgen-VAE-like sample(): constant 0.5 images."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(64)

    def call(self, inputs):
        return self.dense(inputs)

    def sample(self, num_images, seed=None):
        return np.full((num_images, 5, 5, 3), 0.5, "float32")


def fit(model, callback, epochs=2, learning_rate=0.0):
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = np.zeros((8, 64), "float32")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    model.fit(x, y, batch_size=4, epochs=epochs, callbacks=[callback], verbose=0)


def read_png(path):
    with Image.open(path) as image:
        return np.asarray(image)


# --------------------------------------------------------------------------
# make_grid


def test_make_grid_layout_and_scaling():
    images = np.stack([np.full((2, 3, 1), v, "float32") for v in (-1.0, 0.0, 1.0)])
    grid = make_grid(images, ncols=2, value_range=(-1, 1), padding=1)
    assert grid.shape == (2 * 2 + 1, 2 * 3 + 1, 1) and grid.dtype == np.uint8
    np.testing.assert_array_equal(grid[0:2, 0:3], 0)  # image 0: -1 -> 0
    np.testing.assert_array_equal(grid[0:2, 4:7], 128)  # image 1: 0 -> 127.5
    np.testing.assert_array_equal(grid[3:5, 0:3], 255)  # image 2: 1 -> 255
    np.testing.assert_array_equal(grid[3:5, 4:7], 0)  # empty cell
    np.testing.assert_array_equal(grid[2, :], 0)  # padding row


def test_make_grid_defaults_clip_and_gray_input():
    images = np.full((5, 4, 4), 2.0)  # (N, H, W), values above the range
    grid = make_grid(images, value_range=(0, 1))
    assert grid.shape == (2 * 4, 3 * 4, 1)  # ceil(sqrt(5)) = 3 columns
    assert grid[:4].min() == 255


@pytest.mark.parametrize(
    "images, kwargs, error, match",
    [
        (np.zeros((2, 4, 4, 2)), {}, ValueError, r"C in \(1, 3, 4\)"),
        (np.zeros((0, 4, 4, 1)), {}, ValueError, "N >= 1"),
        (np.full((1, 4, 4, 1), np.nan), {}, ValueError, "must be finite"),
        (np.zeros((1, 4, 4, 1)), {"value_range": (1, 0)}, ValueError, "lo < hi"),
        (np.zeros((1, 4, 4, 1)), {"ncols": 0}, ValueError, "ncols must be >= 1"),
    ],
)
def test_make_grid_validation(images, kwargs, error, match):
    with pytest.raises(error, match=match):
        make_grid(images, **kwargs)


def test_make_grid_refuses_images_outside_the_value_range():
    eight_bit = np.full((2, 4, 4, 1), 200, np.uint8)
    # Used to return an all-white grid.
    with pytest.raises(ValueError, match=r"images of dtype uint8 must lie within value_range=\(-1, 1\); pass value_range=\(0, 255\)"):
        make_grid(eight_bit)
    with pytest.raises(ValueError, match=r"far outside the expected range.*image / 127.5 - 1"):
        make_grid(eight_bit.astype("float32"))
    np.testing.assert_array_equal(make_grid(eight_bit, value_range=(0, 255)), 200)
    with pytest.raises(ValueError, match="images must be real numbers"):
        make_grid(np.full((1, 4, 4, 1), 1 + 1j))


# --------------------------------------------------------------------------
# SampleGrid


def test_sample_grid_files_shape_and_fixed_seeds(tmp_path):
    callback = SampleGrid(tmp_path / "samples", num_images=6, seed=3)
    fit(FakeGAN(), callback, epochs=2, learning_rate=0.0)
    first = tmp_path / "samples" / "samples_epoch_001.png"
    second = tmp_path / "samples" / "samples_epoch_002.png"
    assert first.is_file() and second.is_file()
    assert callback.last_path == os.fspath(second)
    grid = read_png(first)
    assert grid.shape == (2 * 8, 3 * 8)  # 6 images of 8x8 in 2 rows x 3 columns
    # The model did not change: same seed, same grid.
    np.testing.assert_array_equal(read_png(second), grid)
    assert not [f for f in os.listdir(tmp_path / "samples") if "tmp" in f]


def test_sample_grid_follows_training_and_seed(tmp_path):
    model = FakeGAN()
    fit(model, SampleGrid(tmp_path / "a", num_images=4, seed=3), learning_rate=0.5)
    epoch1 = read_png(tmp_path / "a" / "samples_epoch_001.png")
    epoch2 = read_png(tmp_path / "a" / "samples_epoch_002.png")
    assert not np.array_equal(epoch1, epoch2)  # the weights changed
    # Same weights, another seed: other samples; the same seed: the same ones.
    for seed, name in ((3, "same"), (4, "other")):
        callback = SampleGrid(tmp_path / name, num_images=4, seed=seed)
        callback.set_model(model)
        callback.on_epoch_end(0)
    same = read_png(tmp_path / "same" / "samples_epoch_001.png")
    other = read_png(tmp_path / "other" / "samples_epoch_001.png")
    np.testing.assert_array_equal(same, epoch2)
    assert not np.array_equal(other, epoch2)


def test_sample_grid_vae_range_every_n_epochs_and_name(tmp_path):
    callback = SampleGrid(
        tmp_path, num_images=2, every_n_epochs=2, filename="vae_{epoch}.png"
    )
    fit(FakeVAE(), callback, epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["vae_2.png"]
    grid = read_png(tmp_path / "vae_2.png")
    assert grid.shape == (5, 10, 3)
    np.testing.assert_array_equal(grid, 128)  # sample() in [0, 1]: 0.5 -> 128


def test_sample_grid_passes_labels(tmp_path):
    model = FakeGAN()
    fit(model, SampleGrid(tmp_path, num_images=3, labels=[0, 1, 2]), epochs=1)
    np.testing.assert_array_equal(model.received_labels[-1], [0, 1, 2])


def test_sample_grid_writes_tensorboard_summaries(tmp_path):
    pytest.importorskip("tensorboard")
    callback = SampleGrid(
        tmp_path / "png", num_images=3, tensorboard_log_dir=tmp_path / "logs"
    )
    fit(FakeGAN(), callback, epochs=1)
    events = os.listdir(tmp_path / "logs")
    assert any(name.startswith("events.out.tfevents") for name in events)


def test_sample_grid_tensorboard_needs_the_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import fails
    with pytest.raises(ImportError, match="pip install tensorboard"):
        SampleGrid(tmp_path, tensorboard_log_dir=tmp_path / "logs")


def test_sample_grid_needs_generate_or_sample(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64)])
    with pytest.raises(TypeError, match="generate"):
        fit(model, SampleGrid(tmp_path), epochs=1)


def test_sample_grid_labels_need_generate(tmp_path):
    callback = SampleGrid(tmp_path, num_images=2, labels=[1, 2])
    model = FakeVAE()
    with pytest.raises(ValueError, match="SampleGrid: labels are only supported"):
        fit(model, callback, epochs=1)
    assert int(model.optimizer.iterations) == 0  # refused before training


def _conditional_gan():
    from kerasgen.trainers import GAN

    z, label = keras.Input((4,)), keras.Input((1,), dtype="int32")
    h = keras.layers.Concatenate()([z, keras.layers.Flatten()(keras.layers.Embedding(3, 2)(label))])
    images = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16, activation="tanh")(h))
    x, d_label = keras.Input((4, 4, 1)), keras.Input((1,), dtype="int32")
    y = keras.layers.Concatenate()(
        [keras.layers.Flatten()(x), keras.layers.Flatten()(keras.layers.Embedding(3, 2)(d_label))]
    )
    gan = GAN(keras.Model([z, label], images), keras.Model([x, d_label], keras.layers.Dense(1)(y)))
    gan.compile()
    return gan


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, r"SampleGrid: labels are required for a conditional GAN"),
        ({"labels": [0, 1, -1]}, r"SampleGrid: labels must be class ids \(integers in \[0, num_classes=3\)\)"),
        ({"labels": [0, 1, 3]}, r"Received: labels in \[0, 3\]"),
    ],
)
def test_sample_grid_checks_the_gan_labels_before_training(tmp_path, kwargs, match):
    gan = _conditional_gan()
    callback = SampleGrid(tmp_path, num_images=3, **kwargs)
    x = np.zeros((4, 4, 4, 1), "float32")
    with pytest.raises(ValueError, match=match):
        gan.fit(x, np.array([0, 1, 2, 0]), batch_size=4, epochs=1, verbose=0, callbacks=[callback])
    # Used to be raised after the first epoch.
    assert int(gan.g_optimizer.iterations) == 0
    gan.fit(x, np.array([0, 1, 2, 0]), batch_size=4, epochs=1, verbose=0,
            callbacks=[SampleGrid(tmp_path, num_images=3, labels=[0, 1, 2])])
    assert (tmp_path / "samples_epoch_001.png").is_file()


def test_sample_grid_accepts_numpy_int_seeds(tmp_path):
    assert SampleGrid(tmp_path, seed=np.int64(3)).seed == 3
    with pytest.raises(TypeError, match="seed must be an int"):
        SampleGrid(tmp_path, seed=True)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"num_images": 0}, ValueError, "num_images must be >= 1"),
        ({"every_n_epochs": 0}, ValueError, "every_n_epochs must be >= 1"),
        ({"seed": None}, TypeError, "seed must be an int"),
        ({"labels": [1, 2]}, ValueError, "one entry per image"),
        ({"value_range": (0, 0)}, ValueError, "lo < hi"),
        ({"filename": "grid.jpg"}, ValueError, "ending with '.png'"),
        ({"filename": "grid_{step}.png"}, ValueError, "format string"),
    ],
)
def test_sample_grid_validation(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        SampleGrid(tmp_path, **kwargs)


def test_sample_grid_config_round_trip(tmp_path):
    callback = SampleGrid(
        tmp_path, num_images=4, seed=5, labels=[0, 1, 2, 3], value_range=(0, 1), ncols=2
    )
    config = callback.get_config()
    restored = SampleGrid.from_config(config)
    assert restored.get_config() == config
    assert keras.saving.get_registered_name(SampleGrid) == "kerasgen>SampleGrid"
