"""Shared pytest setup: quiet TensorFlow, shared images and a subprocess harness."""

import gzip
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def camera_crop():
    """A 64 x 64 float64 crop of ``skimage.data.camera()`` (edges and texture)."""
    from skimage import data, img_as_float

    return img_as_float(data.camera())[96:160, 224:288]


@pytest.fixture
def run_python():
    """Runs Python code in a fresh interpreter: ``run_python(code, *args, timeout=120)``.

    The code is dedented; the process inherits this environment. A failure
    shows the child's stdout and stderr.

    Returns:
        The ``subprocess.CompletedProcess`` (text output captured).
    """

    def run(code, *args, timeout=120, check=True, env=None):
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"subprocess exited with {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    return run


@pytest.fixture
def rng():
    """A seeded ``numpy.random.Generator``."""
    return np.random.default_rng(0)


@pytest.fixture
def data_root(tmp_path):
    """A data root holding a tiny local MNIST test split: 40 digits of 16x16 (gzipped IDX files)."""
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, array in (
        ("t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (40, 16, 16))),
        ("t10k-labels-idx1-ubyte.gz", np.arange(40) % 10),
    ):
        header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
        (folder / name).write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))
    return tmp_path / "data"


def _dense(operator, shape):
    columns = []
    for index in range(int(np.prod(shape))):
        unit = np.zeros(shape)
        unit.flat[index] = 1.0
        columns.append(np.asarray(operator(unit)).ravel())
    return np.stack(columns, axis=1)


@pytest.fixture
def dense():
    """``dense(operator, shape)``: the matrix of a linear operator on (H, W) images, one column per pixel."""
    return _dense
