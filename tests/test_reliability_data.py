"""Reliability of the data loaders: recursive folders, CIFAR-10 binary, offline, bombs."""

import os
import pickle
import socket
import time

import numpy as np
import pytest
import tifffile
from PIL import Image

from kerasgen.data import load_clean_images, load_dataset
from kerasgen.data.image_folder import scan_image_folder


def write_png(path, value, size=(6, 6)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.full(size, value, np.uint8)).save(path)


def count(dataset):
    return sum(int(batch.shape[0]) for batch in dataset)


# ------------------------------------------------------------ recursive folders


@pytest.fixture
def mixed_folder(tmp_path):
    """8 PNGs at the top level plus sub/only.png (the issue's example)."""
    for i in range(8):
        write_png(str(tmp_path / f"img{i}.png"), 10 * i)
    write_png(str(tmp_path / "sub" / "only.png"), 200)
    write_png(str(tmp_path / ".hidden" / "skip.png"), 100)
    return tmp_path


def test_scan_finds_top_level_and_sub_folder_images(mixed_folder):
    info = scan_image_folder(mixed_folder)
    assert len(info.files) == 9
    assert info.class_names == ("sub",)
    assert len(info.top_level_files) == 8


def test_load_dataset_reads_every_image_of_a_mixed_folder(mixed_folder):
    dataset = load_dataset(str(mixed_folder), batch_size=4, shuffle=False)
    assert count(dataset) == 9


def test_restoration_training_images_include_top_level(mixed_folder):
    # The folder reader of `kerasgen train unet --data`.
    assert len(load_clean_images(str(mixed_folder))) == 9


def test_nested_sub_folders_are_read(tmp_path):
    write_png(str(tmp_path / "a" / "b" / "deep.png"), 1)
    write_png(str(tmp_path / "top.png"), 2)
    assert count(load_dataset(str(tmp_path), batch_size=8)) == 2


def test_class_labels_still_come_from_sub_folders(tmp_path):
    for name, n in (("cats", 2), ("dogs", 3)):
        for i in range(n):
            write_png(str(tmp_path / name / f"{i}.png"), 50 * i)
    dataset = load_dataset(str(tmp_path), batch_size=8, with_labels=True, shuffle=False)
    labels = np.concatenate([y.numpy() for _, y in dataset])
    assert labels.tolist() == [0, 0, 1, 1, 1]


def test_labels_refused_for_images_outside_class_folders(mixed_folder):
    with pytest.raises(ValueError, match="outside any class"):
        load_dataset(str(mixed_folder), with_labels=True)


def test_tiff_only_folder_says_tiff_is_not_supported(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="TIFF file.*convert them to PNG"):
        load_dataset(str(tmp_path))


def test_folder_with_a_decompression_bomb_is_refused(tmp_path, monkeypatch):
    write_png(str(tmp_path / "big.png"), 0, size=(50, 40))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match="2000 pixels, more than the limit of 1000"):
        load_dataset(str(tmp_path))


def test_restoration_training_folder_refuses_a_decompression_bomb(tmp_path, monkeypatch):
    write_png(str(tmp_path / "small.png"), 0)
    write_png(str(tmp_path / "sub" / "big.png"), 0, size=(50, 40))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match="big.png.*more than the limit of 1000"):
        load_clean_images(str(tmp_path))


# ------------------------------------------------------------ CIFAR-10


def test_cifar10_pickle_version_is_never_unpickled(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": [], b"labels": []}))

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle.load was called")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    with pytest.raises(FileNotFoundError, match="binary version"):
        load_dataset("cifar10", "test", data_dir=str(tmp_path), download=False)


def test_cifar10_binary_version_is_read(tmp_path):
    folder = tmp_path / "cifar10" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    pixels = np.arange(2 * 3072, dtype=np.uint32).astype(np.uint8).reshape(2, 3072)
    records = np.concatenate([np.array([[3], [7]], np.uint8), pixels], axis=1)
    (folder / "test_batch.bin").write_bytes(records.tobytes())
    dataset = load_dataset(
        "cifar10", "test", data_dir=str(tmp_path), with_labels=True, shuffle=False,
        value_range=(0, 255),
    )
    images, labels = next(iter(dataset))
    assert labels.numpy().tolist() == [3, 7]
    # First record: red plane first, so pixel (0, 0) is (0, 1024, 2048) mod 256.
    np.testing.assert_allclose(images.numpy()[0, 0, 0], [0, 0, 0], atol=1e-3)
    np.testing.assert_allclose(images.numpy()[0, 0, 1], [1, 1, 1], atol=1e-3)


# ------------------------------------------------------------ offline


def test_offline_named_dataset_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASGEN_DATA_DIR", str(tmp_path))  # no local copy
    for key in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(key, raising=False)

    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", offline)
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError, match="no network connection"):
        load_dataset("mnist", "test")
    assert time.perf_counter() - start < 60  # no minutes of download retries


def test_local_copy_is_used_before_any_network(tmp_path, monkeypatch):
    import gzip
    import struct

    folder = tmp_path / "mnist"
    folder.mkdir()
    images = np.zeros((3, 28, 28), np.uint8)
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 2051, 3, 28, 28) + images.tobytes())
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 2049, 3) + bytes([1, 2, 3]))
    monkeypatch.setenv("KERASGEN_DATA_DIR", str(tmp_path))

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket, "create_connection", no_network)
    assert count(load_dataset("mnist", "test")) == 3
