"""Rewrites a ``.keras`` file so that its weights are stored as float16 on disk.

For shipped models whose float32 weights are exactly representable in float16
(the U-Net denoisers: their weights were rounded to float16 precision): the
HDF5 datasets become float16, halving the file, and Keras casts them back into
the model's float32 variables at load, so the loaded model and its outputs are
bitwise those of the input file. A weight that is not float16-exact is refused
(it would change the model).

Usage::

    python benchmarks/ship_float16_weights.py saved_models/unet_denoise_gray.keras
"""

import argparse
import io
import os
import sys
import zipfile

import h5py
import numpy as np

WEIGHTS = "model.weights.h5"


def _copy(source, target):
    for key, value in source.attrs.items():
        target.attrs[key] = value
    for name, item in source.items():
        if isinstance(item, h5py.Group):
            _copy(item, target.create_group(name))
            continue
        array = item[()]
        if isinstance(array, np.ndarray) and array.dtype == np.float32:
            if not np.array_equal(array.astype(np.float16).astype(np.float32), array):
                raise ValueError(f"weight {item.name} is not float16-exact; refusing to change the model")
            array = array.astype(np.float16)
        dataset = target.create_dataset(name, data=array)
        for key, value in item.attrs.items():
            dataset.attrs[key] = value


def rewrite(path):
    """Rewrites ``path`` in place (via a temporary file); returns its new size."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    out = io.BytesIO()
    with h5py.File(io.BytesIO(members[WEIGHTS]), "r") as source, h5py.File(out, "w") as target:
        _copy(source, target)
    members[WEIGHTS] = out.getvalue()
    temp = path + ".partial"
    with zipfile.ZipFile(temp, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    os.replace(temp, path)
    return os.path.getsize(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    for path in parser.parse_args(argv).paths:
        before = os.path.getsize(path)
        print(f"{path}: {before} -> {rewrite(path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
