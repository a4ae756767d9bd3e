"""Rewrites a ``.keras`` file so that its weights are stored as float16 on disk.

For shipped models whose float32 weights are exactly representable in float16
(the U-Net denoisers: their weights were rounded to float16 precision): the
HDF5 datasets become float16, halving the file, and Keras casts them back into
the model's float32 variables at load, so the loaded model and its outputs are
bitwise those of the input file. A weight that is not float16-exact is refused
(it would change the model).

``--round-from TRAINED.keras`` first writes the path from a trained float32
inference file (e.g. ``runs/gray_v3/best.keras``) with every float32 weight
rounded to the nearest float16 value (outputs change by a few hundredths of a
grey level; the script prints the largest change on a test image), and a
``SizeMultipleCheck`` added after the image input of a U-Net trained from an
older file that lacks it (see :func:`add_size_check`).

Usage::

    python benchmarks/ship_float16_weights.py saved_models/unet_denoise_gray.keras
    python benchmarks/ship_float16_weights.py saved_models/unet_denoise_gray.keras \\
        --round-from runs/gray_v3/best.keras
"""

import argparse
import io
import os
import sys
import zipfile

import h5py
import numpy as np
from _cli import run

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
                raise ValueError(
                    f"weight {item.name} is not float16-exact; refusing to change the model "
                    "(--round-from TRAINED.keras writes a rounded copy first)"
                )
            array = array.astype(np.float16)
        dataset = target.create_dataset(name, data=array)
        for key, value in item.attrs.items():
            dataset.attrs[key] = value


def rewrite(path):
    """Rewrites ``path`` in place (via a temporary file); returns its new size."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
    except zipfile.BadZipFile as error:
        raise ValueError(f"expected a .keras file (a zip archive). Received: {path!r} ({error})") from error
    if WEIGHTS not in members:
        raise ValueError(f"expected a .keras file holding {WEIGHTS}. Received: {path!r} (members {sorted(members)})")
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


def add_size_check(model):
    """``model`` with a ``SizeMultipleCheck`` after its image input, same weights.

    U-Nets built before ``build_unet`` added that check (e.g. files trained
    from an older shipped model) fail deep inside on sizes that are not a
    multiple of ``2**depth * pixel_unshuffle``; the copy refuses them with a
    clear message. Its graph is the one ``build_unet`` builds today: the check
    feeds the network, the residual subtraction still takes the raw input.
    Models that have the check, or a known height and width, are returned as
    they are.
    """
    import keras

    from kerasgen.inference import size_multiple
    from kerasgen.layers import SizeMultipleCheck

    shape = model.inputs[0].shape
    if any(isinstance(layer, SizeMultipleCheck) for layer in model.layers) or None not in shape[1:3]:
        return model
    config = model.get_config()
    image_name = config["input_layers"][0][0]
    entry = keras.saving.serialize_keras_object(SizeMultipleCheck(size_multiple(model), name="size_check"))
    tensor = {"class_name": "__keras_tensor__",
              "config": {"shape": list(shape), "dtype": "float32", "keras_history": [image_name, 0, 0]}}  # fmt: skip
    entry.update(name="size_check", inbound_nodes=[{"args": [tensor], "kwargs": {}}])

    def rewire(node):
        if isinstance(node, dict):
            if node.get("keras_history", [None])[0] == image_name:
                node["keras_history"] = ["size_check", 0, 0]
            for value in node.values():
                rewire(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                rewire(value)

    for layer in config["layers"]:
        if layer["class_name"] != "InputLayer" and layer["name"] != "residual":
            rewire(layer["inbound_nodes"])
    config["layers"].insert(len(config["input_layers"]), entry)
    checked = keras.Model.from_config(config)
    checked.set_weights(model.get_weights())
    return checked


def round_to_float16(source, path):
    """Writes ``source``'s model to ``path`` with its weights rounded to float16 values.

    Returns the largest absolute output change (in grey levels) on a noisy
    128x128 crop at sigma 25 of ``skimage.data.camera`` (``astronaut`` for a
    colour model; ``[image, sigma]`` for a model with a noise-level input).
    """
    import keras
    from skimage import data

    import kerasgen  # noqa: F401  (registers kerasgen's Keras objects)

    model = keras.models.load_model(source, compile=False)
    rounded = add_size_check(keras.models.clone_model(model))
    rounded.set_weights(
        [w.astype(np.float16).astype(np.float32) if w.dtype == np.float32 else w for w in model.get_weights()]
    )
    channels = model.inputs[0].shape[-1]
    clean = data.astronaut()[:128, :128] / 255.0 if channels == 3 else data.camera()[:128, :128, None] / 255.0
    noisy = (clean + 25 / 255 * np.random.default_rng(0).standard_normal(clean.shape))[None].astype("float32")
    inputs = [noisy, np.full((1, 1), 25 / 255, "float32")] if len(model.inputs) == 2 else noisy
    change = np.abs(model.predict(inputs, verbose=0) - rounded.predict(inputs, verbose=0)).max() * 255
    temp = path + ".partial.keras"
    rounded.save(temp)
    os.replace(temp, path)
    return float(change)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--round-from", default=None, metavar="TRAINED.keras",
                        help="first write the (single) path from this file, weights rounded to float16 values")  # fmt: skip
    args = parser.parse_args(argv)
    if args.round_from is not None:
        if len(args.paths) != 1:
            parser.error("--round-from takes exactly one output path")
        change = round_to_float16(args.round_from, args.paths[0])
        print(f"{args.round_from} -> {args.paths[0]}: weights rounded to float16 values, "
              f"largest output change {change:.3f} grey levels")  # fmt: skip
    for path in args.paths:
        before = os.path.getsize(path)
        print(f"{path}: {before} -> {rewrite(path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
