"""pytest configuration of the notebook tests (``pytest --nbmake notebooks``).

Every notebook runs top to bottom in quick mode (``KERASGEN_QUICK=1``: tiny
crops, a few training steps, one epoch), and the MNIST notebooks (02, 03) are
skipped, with the reason, when MNIST is not available offline: neither the
IDX files under ``$KERASGEN_DATA_DIR/mnist/`` nor a prepared TensorFlow
Datasets copy.
"""

import os
import pathlib

import pytest

# Read by the first cell of every notebook; the kernels that nbmake starts
# inherit this process's environment.
os.environ["KERASGEN_QUICK"] = "1"

_NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parent
_MNIST_NOTEBOOKS = ("02_dcgan.ipynb", "03_vae.ipynb")
_MNIST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _tfds_has_mnist():
    """Whether TensorFlow Datasets has MNIST prepared locally (no download)."""
    try:
        import tensorflow_datasets as tfds

        return tfds.builder("mnist").is_prepared()
    except Exception:  # noqa: BLE001 - tfds missing or broken: "not prepared"
        return False


def _mnist_missing_reason():
    """None when the MNIST notebooks can run offline, else why they cannot."""
    data_dir = os.environ.get("KERASGEN_DATA_DIR")
    if data_dir and all(
        os.path.isfile(os.path.join(data_dir, "mnist", name)) for name in _MNIST_FILES
    ):
        return None
    if _tfds_has_mnist():
        return None
    where = (
        f"KERASGEN_DATA_DIR={data_dir!r} has no mnist/{_MNIST_FILES[0]}"
        if data_dir
        else "KERASGEN_DATA_DIR is not set"
    )
    return (
        f"MNIST is not available offline ({where}, and tensorflow_datasets has no "
        f"prepared 'mnist'): put {' and '.join(_MNIST_FILES)} in "
        "$KERASGEN_DATA_DIR/mnist/ or run tfds.load('mnist') once online"
    )


def pytest_collection_modifyitems(config, items):
    # Executing a notebook takes tens of seconds: out of `pytest -m "not slow"`.
    for item in items:
        if item.path.parent == _NOTEBOOK_DIR and item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
    mnist_items = [
        item
        for item in items
        if item.path.parent == _NOTEBOOK_DIR and item.path.name in _MNIST_NOTEBOOKS
    ]
    if not mnist_items:
        return
    reason = _mnist_missing_reason()
    if reason is None:
        return
    for item in mnist_items:
        item.add_marker(pytest.mark.skip(reason=reason))
