"""Offline copies of MNIST, Fashion-MNIST and CIFAR-10, in their original formats.

Layout under a data root (``data_dir=`` or ``$KERASGEN_DATA_DIR``)::

    <root>/mnist/train-images-idx3-ubyte.gz           (files exactly as
    <root>/mnist/train-labels-idx1-ubyte.gz            shipped by the
    <root>/mnist/t10k-images-idx3-ubyte.gz             original site;
    <root>/mnist/t10k-labels-idx1-ubyte.gz             uncompressed also OK)
    <root>/fashion_mnist/...                           (same four names)
    <root>/cifar10/cifar-10-batches-bin/data_batch_1.bin .. data_batch_5.bin,
                                        test_batch.bin
    <root>/cifar-10-batches-bin/...                    (also accepted)

CIFAR-10 is read from its *binary* version (``cifar-10-binary.tar.gz``, one
label byte then 3072 pixel bytes per image), never from the Python version
(``cifar-10-batches-py``): those files are pickles, and unpickling a file
from a data folder can run arbitrary code. A data root holding only the
Python version is refused with a message saying which archive to get.

Only numpy here: the functions return ``uint8`` images ``(N, H, W, C)`` and
``int32`` labels ``(N,)``.
"""

import os

import numpy as np

from kerasgen.data.idx import read_idx

IDX_DATASETS = ("mnist", "fashion_mnist")
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
CIFAR10_FILES = {
    "train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)),
    "test": ("test_batch.bin",),
}
CIFAR10_FOLDER = "cifar-10-batches-bin"
# The Python (pickle) version, refused (see the module docstring).
CIFAR10_PICKLE_FOLDER = "cifar-10-batches-py"
_CIFAR10_RECORD = 1 + 3 * 32 * 32


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
        for folder in _cifar10_folders(root, CIFAR10_FOLDER):
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
        FileNotFoundError: If the split has no complete local copy (for
            CIFAR-10: no binary version; the Python version is refused).
        ValueError: If the files are corrupt or inconsistent with each other.
    """
    paths = available_splits(name, root).get(split)
    if paths is None:
        refuse_pickled_copy(name, root)
        raise FileNotFoundError(
            f"No complete local copy of {name!r} split {split!r} under "
            f"{root!r}. Expected: {expected_files(name, root)}"
        )
    if name == "cifar10":
        return _read_cifar10(paths)
    return _read_idx_pair(*paths)


def count_local_examples(name, split, root):
    """Number of examples of one split of a local copy (read from its labels).

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        split: ``"train"`` or ``"test"``.
        root: The data root folder, or None.

    Returns:
        An int, or None when the split has no complete local copy.
    """
    paths = available_splits(name, root).get(split)
    if paths is None:
        return None
    if name == "cifar10":
        return sum(os.path.getsize(path) // _CIFAR10_RECORD for path in paths)
    return len(read_idx(paths[1]))


def refuse_pickled_copy(name, root):
    """Raises when `root` holds only the Python (pickled) version of CIFAR-10.

    Args:
        name: The dataset name.
        root: The data root folder, or None.

    Raises:
        FileNotFoundError: For ``name="cifar10"`` when a
            ``cifar-10-batches-py`` folder is there: its files are not read
            (unpickling can run arbitrary code); the message says which
            archive to get instead.
    """
    if name != "cifar10" or root is None:
        return
    pickled = [f for f in _cifar10_folders(root, CIFAR10_PICKLE_FOLDER) if os.path.isdir(f)]
    if pickled:
        raise FileNotFoundError(
            f"Only the Python version of CIFAR-10 was found ({pickled[0]!r}); "
            "kerasgen does not read it, because its files are pickles and "
            "unpickling a file can run arbitrary code. Download the binary "
            "version (cifar-10-binary.tar.gz from "
            "https://www.cs.toronto.edu/~kriz/cifar.html) and extract it under "
            f"{root!r}. Expected: {expected_files(name, root)}"
        )


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


def _cifar10_folders(root, folder_name):
    return [os.path.join(root, "cifar10", folder_name), os.path.join(root, folder_name)]


def _read_cifar10(paths):
    """Reads CIFAR-10 binary batches: per image 1 label byte + 3072 pixel bytes."""
    images, labels = [], []
    for path in paths:
        try:
            raw = np.fromfile(path, dtype=np.uint8)
        except OSError as err:
            raise ValueError(f"Cannot read CIFAR-10 binary batch {path!r}: {err}") from err
        if raw.size == 0 or raw.size % _CIFAR10_RECORD:
            raise ValueError(
                f"Not a CIFAR-10 binary batch (records of {_CIFAR10_RECORD} "
                f"bytes: 1 label byte + 3072 pixel bytes): {path!r}. "
                f"Received: {raw.size} bytes"
            )
        records = raw.reshape(-1, _CIFAR10_RECORD)
        batch_labels = records[:, 0].astype(np.int32)
        if batch_labels.max() > 9:
            raise ValueError(
                f"CIFAR-10 labels must be 0-9 in {path!r}. "
                f"Received: label {int(batch_labels.max())}"
            )
        # Pixels: 1024 red values, then green, then blue, each row-major.
        images.append(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(batch_labels)
    return np.concatenate(images), np.concatenate(labels)
