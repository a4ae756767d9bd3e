"""Offline copies of MNIST, Fashion-MNIST and CIFAR-10, in their original formats.

Layout under a data root (``data_dir=`` or ``$KERASGEN_DATA_DIR``)::

    <root>/mnist/train-images-idx3-ubyte.gz           (files exactly as
    <root>/mnist/train-labels-idx1-ubyte.gz            shipped by the
    <root>/mnist/t10k-images-idx3-ubyte.gz             original site;
    <root>/mnist/t10k-labels-idx1-ubyte.gz             uncompressed also OK)
    <root>/fashion_mnist/...                           (same four names)
    <root>/cifar10/cifar-10-batches-py/data_batch_1 .. data_batch_5, test_batch
    <root>/cifar-10-batches-py/...                     (also accepted)

Only numpy here: the functions return ``uint8`` images ``(N, H, W, C)`` and
``int32`` labels ``(N,)``.
"""

import os
import pickle

import numpy as np

from kerasgen.data.idx import read_idx

IDX_DATASETS = ("mnist", "fashion_mnist")
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
CIFAR10_FILES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
CIFAR10_FOLDER = "cifar-10-batches-py"


def expected_files(name, root):
    """Lists the files a complete local copy of dataset `name` consists of.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        root: The data root folder.

    Returns:
        A list of paths (str), train files first.

    Raises:
        ValueError: If `name` is not one of the datasets above.
    """
    _check_name(name)
    if name == "cifar10":
        folder = os.path.join(root, "cifar10", CIFAR10_FOLDER)
        return [
            os.path.join(folder, f) for files in CIFAR10_FILES.values() for f in files
        ]
    folder = os.path.join(root, name)
    return [os.path.join(folder, f) for files in IDX_FILES.values() for f in files]


def available_splits(name, root):
    """Returns the splits of dataset `name` that have a complete local copy.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        root: The data root folder (may be None: nothing is available).

    Returns:
        A dict ``{split name: list of file paths}``, e.g.
        ``{"test": [".../t10k-images-idx3-ubyte.gz", ...]}``; empty when no
        split is complete.

    Raises:
        ValueError: If `name` is not one of the datasets above.
    """
    _check_name(name)
    if root is None:
        return {}
    found = {}
    if name == "cifar10":
        for folder in (
            os.path.join(root, "cifar10", CIFAR10_FOLDER),
            os.path.join(root, CIFAR10_FOLDER),
        ):
            for split, files in CIFAR10_FILES.items():
                paths = [os.path.join(folder, f) for f in files]
                if split not in found and all(os.path.isfile(p) for p in paths):
                    found[split] = paths
        return found
    for split, files in IDX_FILES.items():
        paths = [_gz_or_raw(os.path.join(root, name, f)) for f in files]
        if all(p is not None for p in paths):
            found[split] = paths
    return found


def load_local_split(name, split, root):
    """Reads one split of a local copy of dataset `name`.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        split: ``"train"`` or ``"test"``.
        root: The data root folder.

    Returns:
        A pair ``(images, labels)``: ``uint8`` array ``(N, H, W, C)`` and
        ``int32`` array ``(N,)``.

    Raises:
        FileNotFoundError: If the split has no complete local copy.
        ValueError: If the files are corrupt or inconsistent with each other.
    """
    paths = available_splits(name, root).get(split)
    if paths is None:
        raise FileNotFoundError(
            f"No complete local copy of {name!r} split {split!r} under "
            f"{root!r}. Expected: {expected_files(name, root)}"
        )
    if name == "cifar10":
        return _read_cifar10(paths)
    return _read_idx_pair(*paths)


def _check_name(name):
    if name not in (*IDX_DATASETS, "cifar10"):
        raise ValueError(
            "name must be one of ('mnist', 'fashion_mnist', 'cifar10'). "
            f"Received: name={name!r}"
        )


def _gz_or_raw(path_gz):
    for path in (path_gz, path_gz[: -len(".gz")]):
        if os.path.isfile(path):
            return path
    return None


def _read_idx_pair(images_path, labels_path):
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"Expected uint8 images of shape (N, H, W) in {images_path!r}. "
            f"Received: shape={images.shape}, dtype={images.dtype}"
        )
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"Expected {images.shape[0]} labels (one per image of "
            f"{images_path!r}) in {labels_path!r}. Received: shape={labels.shape}"
        )
    return images[..., np.newaxis], labels.astype(np.int32)


def _read_cifar10(paths):
    images, labels = [], []
    for path in paths:
        try:
            with open(path, "rb") as f:
                batch = pickle.load(f, encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            batch_labels = np.asarray(batch[b"labels"], dtype=np.int32)
        except (
            OSError,
            EOFError,
            pickle.UnpicklingError,
            KeyError,
            TypeError,
            ValueError,
        ) as err:
            raise ValueError(
                f"Not a CIFAR-10 python batch (a pickled dict with b'data' and "
                f"b'labels'): {path!r}: {err!r}"
            ) from err
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise ValueError(
                f"Expected CIFAR-10 data of shape (N, 3072) in {path!r}. "
                f"Received: shape={data.shape}"
            )
        if batch_labels.shape != (data.shape[0],):
            raise ValueError(
                f"Expected {data.shape[0]} labels in {path!r}. "
                f"Received: shape={batch_labels.shape}"
            )
        # Rows are 1024 red, 1024 green, 1024 blue values, each row-major.
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(batch_labels)
    return np.concatenate(images), np.concatenate(labels)
