"""`kerasgen export`: a .keras model as a SavedModel for TensorFlow Serving."""

import argparse
import os

from kerasgen.cli import _args

EPILOG = """\
Loads a .keras file (a kerasgen GAN, a VAE, a generator or an image restorer
such as the U-Net) and writes a SavedModel for TensorFlow Serving to
OUT/NAME/VERSION/ (saved_model.pb + variables/), then prints the signatures
with their named inputs and outputs. The SavedModel loads with TensorFlow
alone (tf.saved_model.load, TF Serving); kerasgen is not needed to serve it.

signatures:
  GAN / generator:  serving_default (latent [+ labels] -> images),
                    generate (num_images or labels, seed -> images)
  VAE:              serving_default (latent -> images), encode (images ->
                    z_mean, z_log_var), generate (num_images, seed -> images)
  restorer (U-Net): serving_default (images of any size [+ noise_sigma] ->
                    restored, clipped to [0, 1]), restore_uint8

The shipped models are .keras files only: --pretrained NAME exports one of
them (NAME from kerasgen.pretrained.list_pretrained(); --name defaults to NAME).

examples:
  kerasgen export unet.keras --out saved_models --name unet --version 1
  kerasgen export --pretrained unet_denoise_color --out serving
  kerasgen export gan.keras --name mnist_gan --version 2 --overwrite
  docker run -p 8501:8501 -v "$PWD/saved_models/unet:/models/unet" \\
      -e MODEL_NAME=unet tensorflow/serving"""


def add_parser(subparsers):
    """Declares `kerasgen export` and its options."""
    parser = _args.add_command_parser(
        subparsers,
        "export",
        help="export a .keras model as a SavedModel for TensorFlow Serving",
        description="Export a GAN, VAE, generator or U-Net (.keras file) for TensorFlow Serving.",
        epilog=EPILOG,
    )
    parser.add_argument("model", metavar="MODEL", nargs="?", default=None, help="the .keras file to export")
    parser.add_argument(
        "--pretrained", default=None, metavar="NAME",
        help="export a shipped model instead of a file (e.g. unet_denoise_gray)",
    )  # fmt: skip
    parser.add_argument(
        "--out", default="saved_models", metavar="DIR",
        help="folder holding one sub-folder per served model (default: saved_models)",
    )  # fmt: skip
    parser.add_argument(
        "--name", default=None,
        help="model name, the folder under --out (default: generator, vae or unet according to the model)",
    )  # fmt: skip
    parser.add_argument("--version", type=version_number, default=1, help="version folder number (default: 1)")
    _args.add_common_options(parser, overwrite_help="replace an existing version folder")
    parser.set_defaults(run=run)
    return parser


def version_number(text):
    """argparse type: a version folder number, 1 to 2**63 - 1 (TF Serving's int64)."""
    value = _args.positive_int(text)
    if value > 2**63 - 1:
        raise argparse.ArgumentTypeError(f"expected a version number below 2**63 (TF Serving's int64). Received: {text!r}")
    return value


def run(args):
    """Runs `kerasgen export`; returns the exit status."""
    import zipfile

    if (args.model is None) == (args.pretrained is None):
        raise ValueError(
            "give either MODEL (a .keras file) or --pretrained NAME. "
            f"Received: MODEL={args.model!r}, --pretrained={args.pretrained!r}"
        )
    if args.pretrained is not None:
        return _run_pretrained(args)
    if not os.path.isfile(args.model):
        state = "a folder" if os.path.isdir(args.model) else "not found"
        raise FileNotFoundError(f"MODEL must be a .keras file. Received: {args.model!r} ({state})")
    if not zipfile.is_zipfile(args.model):
        raise ValueError(
            f"could not load {args.model!r} as a Keras model: the file exists but is not a .keras "
            "file saved by model.save() (a zip archive). Received: a file that is not a Keras model"
        )
    from kerasgen.export import check_export_target

    _check_model_outside_target(args.model, args.out, args.name, args.version)
    check_export_target(args.out, args.name, args.version, overwrite=args.overwrite)
    import keras

    # Registers kerasgen's custom objects (GAN, VAE, layers) for load_model.
    import kerasgen.models
    import kerasgen.trainers  # noqa: F401
    from kerasgen.export import export_for_serving

    try:
        model = keras.saving.load_model(args.model, compile=False)
    except Exception as error:  # a corrupt file or not a Keras model
        raise ValueError(f"could not load {args.model!r} as a Keras model: {error}") from error
    try:
        path = export_for_serving(model, args.out, name=args.name, version=args.version, overwrite=args.overwrite)
    except TypeError as error:  # an unsupported object: the user's input
        raise ValueError(str(error)) from error
    _print_export(path, model)
    return 0


def _check_model_outside_target(model_path, out, name, version):
    """Refuses a MODEL file inside the version folder that the export writes (--overwrite would delete it).

    Without --name, the version folders of every default name are checked.
    """
    from kerasgen.export import DEFAULT_NAMES

    model_real = os.path.realpath(model_path)
    for candidate in [name] if name is not None else sorted(set(DEFAULT_NAMES.values())):
        target = os.path.join(out, candidate, str(version))
        target_real = os.path.realpath(target)
        if os.path.commonpath([model_real, target_real]) == target_real:
            raise ValueError(
                f"MODEL lies inside the version folder {target!r} that the export writes (and --overwrite "
                "replaces): the input would be deleted. Move MODEL out of it, or export another --version "
                f"or --out. Received: MODEL={model_path!r}, --out {out!r}, --version {version}"
            )


def _run_pretrained(args):
    from kerasgen.export import check_export_target
    from kerasgen.pretrained import list_pretrained, load_pretrained

    if args.pretrained not in list_pretrained():
        raise ValueError(f"unknown pretrained model. Expected one of {list_pretrained()}. Received: {args.pretrained!r}")
    name = args.pretrained if args.name is None else args.name
    check_export_target(args.out, name, args.version, overwrite=args.overwrite)
    from kerasgen.export import export_for_serving

    model = load_pretrained(args.pretrained)
    path = export_for_serving(model, args.out, name=name, version=args.version, overwrite=args.overwrite)
    _print_export(path, model)
    return 0


def _print_export(path, model):
    from kerasgen.export import serving_signatures

    print(f"wrote {path} ({type(model).__name__} {model.name!r})")
    print("signatures:")
    for signature, tensors in serving_signatures(path).items():
        inputs = ", ".join(describe_spec(n, s) for n, s in tensors["inputs"].items())
        outputs = ", ".join(describe_spec(n, s) for n, s in tensors["outputs"].items())
        print(f"  {signature}: {inputs} -> {outputs}")


def describe_spec(name, spec):
    """`images float32 (-1, -1, -1, 1)`: dynamic dimensions as -1, like saved_model_cli."""
    dims = ", ".join("-1" if d is None else str(d) for d in spec.shape)
    if spec.shape.rank == 1:
        dims += ","
    return f"{name} {spec.dtype.name} ({dims})"
