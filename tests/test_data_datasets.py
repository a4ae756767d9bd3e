"""Tests for kerasgen.data: IDX reader, split parsing, load_dataset."""

import gzip
import os

import numpy as np
import pytest
from PIL import Image

from kerasgen.data import load_dataset, parse_split, read_idx
from kerasgen.data.datasets import check_disjoint_splits

IDX_CODES = {np.dtype("uint8"): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}


def write_idx(path, array, compress=True):
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    data = header + array.tobytes()
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if compress else data)


def numbered_images(num, offset=0):
    """Image i is constant 10 * (offset + i); its label is (offset + i) % 10."""
    values = (np.arange(num) + offset) * 10
    images = np.broadcast_to(values[:, None, None], (num, 28, 28)).astype(np.uint8)
    labels = ((np.arange(num) + offset) % 10).astype(np.uint8)
    return np.ascontiguousarray(images), labels


def image_ids(images, value_range=(-1.0, 1.0)):
    """Recovers the number i of images made by numbered_images."""
    lo, hi = value_range
    pixels = (np.asarray(images)[:, 0, 0, 0] - lo) / (hi - lo) * 255.0
    return np.rint(pixels / 10).astype(int)


@pytest.fixture
def mnist_root(tmp_path):
    """A data root with a tiny MNIST: 20 test images (ids 0-19)."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    images, labels = numbered_images(20)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)
    return tmp_path


def add_train_split(root, name="mnist"):
    images, labels = numbered_images(12, offset=5)
    write_idx(root / name / "train-images-idx3-ubyte.gz", images)
    write_idx(root / name / "train-labels-idx1-ubyte.gz", labels)


def collect(dataset):
    images, labels = [], []
    for batch in dataset:
        if isinstance(batch, tuple):
            images.append(batch[0].numpy())
            labels.append(batch[1].numpy())
        else:
            images.append(batch.numpy())
    return np.concatenate(images), (np.concatenate(labels) if labels else None)


# --------------------------------------------------------------------------
# read_idx


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("dtype", ["uint8", ">i4", ">f4"])
def test_read_idx_round_trip(tmp_path, compress, dtype):
    offset = 0 if dtype == "uint8" else -5  # negative values for signed types
    array = (np.arange(24).reshape(2, 3, 4) + offset).astype(dtype)
    path = tmp_path / "a.idx"
    write_idx(path, array, compress=compress)
    result = read_idx(path)
    assert result.shape == (2, 3, 4)
    assert result.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(result, array)


def test_read_idx_rejects_bad_magic(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b"\x01\x02\x08\x01" + b"\x00" * 8))
    with pytest.raises(ValueError, match=r"Not an IDX file.*bad\.gz"):
        read_idx(path)


def test_read_idx_rejects_truncated_data(tmp_path):
    path = tmp_path / "short.gz"
    write_idx(path, np.zeros((3, 4), np.uint8))
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:-1]))
    with pytest.raises(ValueError, match=r"Truncated IDX file.*needs 12.*has 11"):
        read_idx(path)


def test_read_idx_rejects_extra_data(tmp_path):
    path = tmp_path / "long.idx"
    write_idx(path, np.zeros((3,), np.uint8), compress=False)
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(ValueError, match="Oversized IDX file"):
        read_idx(path)


def test_read_idx_rejects_truncated_gzip(tmp_path):
    path = tmp_path / "cut.gz"
    write_idx(path, np.zeros((50, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match=r"Corrupt or truncated gzip.*cut\.gz"):
        read_idx(path)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.gz"):
        read_idx(tmp_path / "nope.gz")


# --------------------------------------------------------------------------
# parse_split


@pytest.mark.parametrize(
    "split, num, expected",
    [
        ("train", 60000, (0, 60000)),
        ("test[:8000]", 10000, (0, 8000)),
        ("test[8000:]", 10000, (8000, 10000)),
        ("train[:10%]", 60000, (0, 6000)),
        ("train[10%:20%]", 50, (5, 10)),
        ("train[-10%:]", 50, (45, 50)),
        ("test[-3:]", 20, (17, 20)),
        ("test[2:-2]", 20, (2, 18)),
        ("train[:12.5%]", 80, (0, 10)),
        ("test[:33%]", 10, (0, 3)),
    ],
)
def test_parse_split_bounds(split, num, expected):
    assert parse_split(split).bounds(num) == expected


@pytest.mark.parametrize(
    "split", ["train[", "train[5]", "train[:x]", "train+test", "[:5]", "a[:1.5]"]
)
def test_parse_split_rejects_bad_format(split):
    with pytest.raises(ValueError, match="split"):
        parse_split(split)


def test_parse_split_rejects_out_of_range_and_empty():
    with pytest.raises(ValueError, match="within"):
        parse_split("train[:150%]")
    with pytest.raises(ValueError, match="out of range"):
        parse_split("test[:30]").bounds(20)
    with pytest.raises(ValueError, match="selects no examples"):
        parse_split("test[10:5]").bounds(20)


# --------------------------------------------------------------------------
# load_dataset: named datasets from local files


def test_local_mnist_shapes_dtype_range(mnist_root):
    dataset = load_dataset(
        "mnist", "test", batch_size=8, data_dir=mnist_root, shuffle=False
    )
    batches = list(dataset)
    assert [b.shape[0] for b in batches] == [8, 8, 4]
    assert batches[0].shape[1:] == (28, 28, 1)
    assert batches[0].dtype == "float32"
    images, _ = collect(dataset)
    # Image 0 is black (-1); no image is white, the largest is 190 / 255.
    assert images.min() == -1.0
    np.testing.assert_allclose(images.max(), 190 / 255 * 2 - 1, rtol=1e-6)
    np.testing.assert_array_equal(image_ids(images), np.arange(20))


def test_local_mnist_value_range_0_1(mnist_root):
    dataset = load_dataset(
        "mnist", "test", data_dir=mnist_root, value_range=(0, 1), shuffle=False
    )
    images, _ = collect(dataset)
    np.testing.assert_allclose(images[:, 0, 0, 0], np.arange(20) * 10 / 255.0)


def test_labels_stay_aligned_when_shuffled(mnist_root):
    dataset = load_dataset(
        "mnist",
        "test",
        batch_size=6,
        data_dir=mnist_root,
        with_labels=True,
        seed=3,
    )
    images, labels = collect(dataset)
    assert labels.dtype == np.int32
    ids = image_ids(images)
    assert sorted(ids) == list(range(20))
    assert not np.array_equal(ids, np.arange(20))  # shuffled
    np.testing.assert_array_equal(labels, ids % 10)


@pytest.mark.parametrize(
    "split, expected_ids",
    [
        ("test[:8]", range(8)),
        ("test[8:]", range(8, 20)),
        ("test[:10%]", range(2)),
        ("test[-25%:]", range(15, 20)),
    ],
)
def test_local_slices(mnist_root, split, expected_ids):
    dataset = load_dataset("mnist", split, data_dir=mnist_root, shuffle=False)
    images, _ = collect(dataset)
    np.testing.assert_array_equal(image_ids(images), list(expected_ids))


@pytest.mark.parametrize("drop_remainder, expected", [(False, 4), (True, 3)])
def test_batch_counts(mnist_root, drop_remainder, expected):
    dataset = load_dataset(
        "mnist",
        "test",
        batch_size=6,
        data_dir=mnist_root,
        drop_remainder=drop_remainder,
    )
    assert int(dataset.cardinality()) == expected
    assert len(list(dataset)) == expected


def test_seeded_shuffling(mnist_root):
    def order(seed, epochs=1):
        dataset = load_dataset("mnist", "test", data_dir=mnist_root, seed=seed)
        return [image_ids(collect(dataset)[0]).tolist() for _ in range(epochs)]

    first_a, second_a = order(7, epochs=2)
    first_b, second_b = order(7, epochs=2)
    assert (first_a, second_a) == (first_b, second_b)  # same seed, same order
    assert first_a != second_a  # reshuffled every epoch
    assert order(8)[0] != first_a  # another seed, another order


@pytest.mark.parametrize("source", ["mnist", "folder", "folder, not cached"])
@pytest.mark.parametrize("drop_remainder", [False, True])
def test_repeat_streams_passes_that_start_batch_continues_exactly(mnist_root, source, drop_remainder):
    # 20 images in batches of 6: passes of 4 batches (3 when dropping the last 2 images).
    if source.startswith("folder"):
        for i, image in enumerate(numbered_images(20)[0]):
            write_png(mnist_root / "folder" / f"{i:02d}.png", image)
        extra = {"cache": source == "folder"}  # the images in memory, or the files at every pass
        source = mnist_root / "folder"
        with pytest.raises(ValueError, match="a cache file cannot serve it"):
            load_dataset(source, repeat=True, cache=str(mnist_root / "images.cache"))
    else:
        extra = {"split": "test", "data_dir": mnist_root}
    per_pass = 3 if drop_remainder else 4

    def stream(start_batch=0, seed=7, batches=3 * per_pass):
        dataset = load_dataset(
            source, batch_size=6, seed=seed, repeat=True, start_batch=start_batch,
            drop_remainder=drop_remainder, **extra,
        )  # fmt: skip
        return [image_ids(batch).tolist() for batch in dataset.take(batches - start_batch)]

    whole = stream()
    passes = [sum(whole[p * per_pass : (p + 1) * per_pass], []) for p in range(3)]
    for ids in passes:  # each pass: every image once (the dropped ones aside)
        assert len(ids) == len(set(ids)) == (18 if drop_remainder else 20)
    assert passes[0] != passes[1] != passes[2]  # reshuffled every pass
    assert [len(b) for b in whole[:per_pass]] == ([6, 6, 6] if drop_remainder else [6, 6, 6, 2])
    for start in (1, per_pass, per_pass + 2):
        assert stream(start) == whole[start:]  # continues the stream exactly
    assert stream() == whole and stream(seed=8) != whole
    with pytest.raises(ValueError, match=r"start_batch .*Received: start_batch=2 with repeat=False"):
        load_dataset(source, start_batch=2, **extra)


def test_train_split_and_env_var(mnist_root, monkeypatch):
    add_train_split(mnist_root)
    monkeypatch.setenv("KERASGEN_DATA_DIR", str(mnist_root))
    dataset = load_dataset("mnist", "train", shuffle=False, with_labels=True)
    images, labels = collect(dataset)
    np.testing.assert_array_equal(image_ids(images), np.arange(5, 17))
    np.testing.assert_array_equal(labels, np.arange(5, 17) % 10)


def test_fashion_mnist_resize_and_rgb(tmp_path):
    (tmp_path / "fashion_mnist").mkdir()
    add_train_split(tmp_path, "fashion_mnist")
    dataset = load_dataset(
        "fashion_mnist",
        data_dir=tmp_path,
        image_size=(16, 20),
        channels=3,
        batch_size=5,
        shuffle=False,
    )
    images, _ = collect(dataset)
    assert images.shape == (12, 16, 20, 3)
    # Constant images stay constant through resizing and gray -> RGB.
    np.testing.assert_allclose(images[:, 5, 7, 2], images[:, 0, 0, 0], atol=1e-5)
    np.testing.assert_array_equal(image_ids(images), np.arange(5, 17))


def test_local_cifar10_channel_order(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    rng = np.random.default_rng(0)
    test_images = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
    # CIFAR-10 binary records: a label byte, 1024 red values, green, blue.
    rows = test_images.transpose(0, 3, 1, 2).reshape(3, 3072)
    records = np.concatenate([np.array([[4], [0], [9]], np.uint8), rows], axis=1)
    (folder / "test_batch.bin").write_bytes(records.tobytes())
    dataset = load_dataset(
        "cifar10",
        "test",
        data_dir=tmp_path,
        value_range=(0, 255),
        with_labels=True,
        shuffle=False,
    )
    images, labels = collect(dataset)
    np.testing.assert_allclose(images, test_images, atol=1e-4)
    np.testing.assert_array_equal(labels, [4, 0, 9])


# --------------------------------------------------------------------------
# load_dataset: offline errors (download=False: never touches the network)


def test_offline_without_local_copy_says_where_to_put_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_dataset("mnist", "test", data_dir=tmp_path, download=False)
    message = str(info.value)
    assert "KERASGEN_DATA_DIR" in message
    assert os.path.join(str(tmp_path), "mnist", "t10k-images-idx3-ubyte.gz") in message
    assert "tensorflow_datasets could not load it" in message


def test_train_with_only_test_files_suggests_a_test_slice(mnist_root):
    with pytest.raises(FileNotFoundError, match=r"test\[:8000\]") as info:
        load_dataset("mnist", "train", data_dir=mnist_root, download=False)
    assert "only the ['test'] split" in str(info.value)


# --------------------------------------------------------------------------
# load_dataset: folders of images


def write_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_folder_without_classes(tmp_path):
    for i in range(5):
        write_png(tmp_path / f"img{i}.png", np.full((6, 10), i * 50, np.uint8))
    dataset = load_dataset(tmp_path, batch_size=2, value_range=(0, 1), shuffle=False)
    images, _ = collect(dataset)
    assert images.shape == (5, 6, 10, 1)  # size and channels inferred
    np.testing.assert_allclose(images[:, 0, 0, 0], np.arange(5) * 50 / 255.0)
    assert int(dataset.cardinality()) == 3
    with pytest.raises(ValueError, match="one sub-folder per class"):
        load_dataset(tmp_path, with_labels=True)


def test_folder_with_classes_slices_and_resizes(tmp_path):
    for label, name in enumerate(["cat", "dog"]):
        for i in range(3):
            color = np.zeros((8, 8, 3), np.uint8)
            color[..., label] = 60 * (i + 1)
            write_png(tmp_path / name / f"{i}.png", color)
    dataset = load_dataset(
        str(tmp_path),
        "train[2:]",
        with_labels=True,
        image_size=(4, 4),
        seed=0,
        value_range=(0, 255),
    )
    images, labels = collect(dataset)
    assert images.shape == (4, 4, 4, 3)
    assert labels.dtype == np.int32
    assert sorted(labels.tolist()) == [0, 1, 1, 1]
    # Label 0 (cat) images are red, label 1 (dog) images are green.
    for image, label in zip(images, labels):
        assert image[0, 0, label] > 0 and image[0, 0, 1 - label] == 0


def test_folder_of_mixed_sizes_needs_image_size(tmp_path):
    write_png(tmp_path / "a.png", np.zeros((6, 6), np.uint8))
    write_png(tmp_path / "b.png", np.zeros((7, 6), np.uint8))
    with pytest.raises(ValueError, match="pass image_size"):
        load_dataset(tmp_path)
    dataset = load_dataset(tmp_path, image_size=(5, 5), shuffle=False)
    assert collect(dataset)[0].shape == (2, 5, 5, 1)


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="No image files"):
        load_dataset(tmp_path)


# --------------------------------------------------------------------------
# load_dataset: argument validation


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"value_range": (1, -1)}, ValueError, "lo < hi"),
        ({"value_range": (0, 1, 2)}, ValueError, "value_range must be a pair"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an int"),
        ({"image_size": (28,)}, ValueError, "image_size must be"),
        ({"channels": 2}, ValueError, "channels must be"),
        ({"channels": 4}, ValueError, "only for folders"),
        ({"split": "validation"}, ValueError, "split must name one of"),
        ({"seed": "1"}, TypeError, "seed must be an int"),
        ({"shuffle": 1}, TypeError, "shuffle must be a bool"),
        ({"repeat": "yes"}, TypeError, "repeat must be a bool"),
        ({"repeat": True, "start_batch": -1}, ValueError, "start_batch must be >= 0"),
        ({"repeat": True, "start_batch": True}, TypeError, "start_batch must be an integer"),
    ],
)
def test_invalid_arguments(mnist_root, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_dataset("mnist", data_dir=mnist_root, **kwargs)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown dataset name.*'fashion_mnist'"):
        load_dataset("imagenet_tiny_xyz")


def test_missing_folder_is_named(tmp_path):
    missing = tmp_path / "no_such_folder"
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        load_dataset(missing)
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        load_dataset(str(missing))


def write_classes(root, num_per_class=8, names=("a", "b")):
    for label, name in enumerate(names):
        for i in range(num_per_class):
            write_png(root / name / f"{i}.png", np.full((4, 4), 10 * i + label, np.uint8))


def test_folder_slices_mix_classes_and_are_complementary(tmp_path):
    write_classes(tmp_path)
    parts = [
        collect(load_dataset(tmp_path, s, with_labels=True, batch_size=16,
                             shuffle=False, value_range=(0, 255), seed=seed))
        for s, seed in (("train[:50%]", 0), ("train[50%:]", 1))
    ]  # fmt: skip
    for _, labels in parts:
        assert set(labels.tolist()) == {0, 1}  # not split by class
    pixels = [tuple(np.rint(images[:, 0, 0, 0]).astype(int)) for images, _ in parts]
    assert not set(pixels[0]) & set(pixels[1])
    assert sorted(pixels[0] + pixels[1]) == sorted(
        10 * i + label for label in (0, 1) for i in range(8)
    )
    # A fixed permutation: the same slice whatever the seed.
    again = collect(load_dataset(tmp_path, "train[:50%]", batch_size=16, seed=5,
                                 shuffle=False, value_range=(0, 255)))[0]  # fmt: skip
    assert tuple(np.rint(again[:, 0, 0, 0]).astype(int)) == pixels[0]


def test_drop_remainder_with_too_few_images_is_refused(tmp_path, mnist_root):
    write_classes(tmp_path, num_per_class=2)
    with pytest.raises(ValueError, match="gives no batch.*4 image.*batch_size=5"):
        load_dataset(tmp_path, batch_size=5, drop_remainder=True)
    with pytest.raises(ValueError, match="gives no batch.*3 image.*batch_size=4"):
        load_dataset("mnist", "test[:3]", batch_size=4, drop_remainder=True,
                     data_dir=mnist_root)  # fmt: skip
    assert len(collect(load_dataset(tmp_path, batch_size=4, drop_remainder=True))[0]) == 4


@pytest.mark.parametrize("name", ["05.png", "05.jpg"])
def test_truncated_image_in_folder_is_named(tmp_path, name):
    # Headers intact (the scan passes), data cut: TensorFlow's decoding error
    # alone does not say which file.
    rng = np.random.default_rng(0)
    for i in range(8):
        write_png(tmp_path / f"0{i}{name[2:]}", rng.integers(0, 256, (32, 32), np.uint8))
    path = tmp_path / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(ValueError, match=r"Cannot decode image .*05\.(png|jpg).* corrupt"):
        load_dataset(tmp_path, batch_size=4)


def test_empty_data_dir_is_refused(mnist_root, monkeypatch):
    monkeypatch.setenv("KERASGEN_DATA_DIR", str(mnist_root))
    with pytest.raises(ValueError, match="data_dir must be a non-empty path.*data_dir=''"):
        load_dataset("mnist", "test[:10]", data_dir="")


def test_read_idx_header_sizes_overflowing_int64(tmp_path):
    path = tmp_path / "huge.idx"
    path.write_bytes(bytes([0, 0, 8, 3]) + np.full(3, 2**31, ">u4").tobytes())
    with pytest.raises(ValueError, match="Truncated IDX file"):
        read_idx(path)


@pytest.mark.parametrize(
    "split, other",
    [("test[:64]", "test[:32]"), ("test", "test[10:]"), ("test[-5:]", "test[9990:9996]")],
)
def test_check_disjoint_splits_refuses_overlap(split, other):
    with pytest.raises(ValueError, match=r"split and validation_split share images.*\[\d+:\d+\]"):
        check_disjoint_splits("mnist", split, other)


def test_check_disjoint_splits_accepts_disjoint(tmp_path):
    check_disjoint_splits("mnist", "test[:8000]", "test[8000:]")
    check_disjoint_splits("mnist", "train", "test")
    write_classes(tmp_path, num_per_class=5)
    check_disjoint_splits(tmp_path, "train[:90%]", "all[90%:]")
    with pytest.raises(ValueError, match=r"images \[5:9\] of the 10"):
        check_disjoint_splits(tmp_path, "train[:90%]", "all[5:]", names=("a", "b"))
