"""`kerasgen train gan|vae|unet`: the training recipes, resumable."""

import argparse
import os
import sys

from kerasgen.cli import _args, _train_out

EPILOG = """\
Each model is trained by a recipe of kerasgen.recipes (train_gan, train_vae,
train_unet) with Keras' progress bar. Run `kerasgen train MODEL --help` for
the options of a model.

examples:
  KERASGEN_DATA_DIR=../shared/data kerasgen train gan --dataset mnist --split "test[:8000]" --epochs 20
  kerasgen train vae --dataset fashion_mnist --epochs 30 --out runs/vae_fashion
  kerasgen train unet --data ../shared/data/train400 --epochs 40 --pixel-unshuffle 2"""

_TRAIN_OUTPUTS = """\
Writes into --out (default runs/{model}): {model}.keras (after every epoch and
at the end), samples/samples_epoch_NNN.png (the same latent points every
epoch), history.csv, loss_curves.png, and backup/ while the run is
unfinished: re-running the same command after an interruption resumes from
the last completed epoch. A completed run is not resumed: the same command
refuses to replace it unless --overwrite is given (which also discards an
unfinished run instead of resuming it). --out must not be, be inside or hold
a --dataset folder.

Named datasets (mnist, fashion_mnist, cifar10) are read from local copies
under --data-dir or $KERASGEN_DATA_DIR (mnist/t10k-images-idx3-ubyte.gz, ...;
works offline), else downloaded with TensorFlow Datasets (failing within
seconds when offline). Any other --dataset is a folder of images, read with
its sub-folders (class sub-folders give the labels of --conditional).

example:
  {example}"""

_TRAIN_EXAMPLES = {
    "gan": 'KERASGEN_DATA_DIR=../shared/data kerasgen train gan --dataset mnist --split "test[:8000]" --epochs 20',
    "vae": 'KERASGEN_DATA_DIR=../shared/data kerasgen train vae --split "test[:8000]" --epochs 30\n'
    '      (validates on "test[8000:]", the rest of the test split)',
}

_UNET_EPILOG = """\
Trains on random patches of the clean images in --data and its sub-folders
(any size; PNG, JPEG, BMP or GIF: TIFF files are not read, convert them to
PNG first), each with Gaussian noise of a random sigma in [0, --sigma-max]
(blind denoising), with Adam and a cosine-decayed learning rate. Writes into
--out (default runs/unet): best.keras (best validation PSNR, or lowest
training loss without --validation-data), last.keras, history.csv,
loss_curves.png, and backup/ while unfinished (re-running the same command
resumes). A completed run is only replaced with --overwrite (which also
discards an unfinished run). --out must not be, be inside or hold --data.

example:
  kerasgen train unet --data ../shared/data/train400 --epochs 40 --steps-per-epoch 250 \\
      --patch-size 64 --depth 3 --base-filters 32 --pixel-unshuffle 2"""

_TRAIN_OVERWRITE_HELP = (
    "start a new run in --out even if it holds a completed run (whose files are replaced) or an unfinished "
    "one (discarded instead of resumed)"
)

# Same names as kerasgen.trainers.GAN.compile(loss=...).
_GAN_LOSSES = ("non_saturating", "hinge", "wgan_gp")


def add_parser(subparsers):
    """Declares `kerasgen train` and its models' options."""
    parser = _args.add_command_parser(
        subparsers,
        "train",
        help="train a GAN, a VAE or a U-Net denoiser (imports TensorFlow)",
        description="Train a model with Keras' fit: checkpoints, sample grids and loss curves; resumable.",
        epilog=EPILOG,
    )
    models = parser.add_subparsers(dest="model", title="models", metavar="MODEL", required=True)
    for model, summary, description in (
        (
            "gan",
            "DCGAN, optionally class-conditional (--conditional); sample grids every epoch",
            "Train a DCGAN (optionally class-conditional) on an image dataset.",
        ),
        (
            "vae",
            "convolutional VAE, validated on --validation-split; sample grids every epoch",
            "Train a convolutional VAE on an image dataset, with validation.",
        ),
    ):
        sub = models.add_parser(
            model,
            help=summary,
            description=description,
            epilog=_TRAIN_OUTPUTS.format(model=model, example=_TRAIN_EXAMPLES[model]),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_generative_options(sub, model)
        _args.add_common_options(sub, overwrite_help=_TRAIN_OVERWRITE_HELP)
        sub.set_defaults(run=run)
    sub = models.add_parser(
        "unet",
        help="U-Net blind denoiser on random patches of a folder of clean images",
        description="Train a U-Net blind denoiser on a folder of clean images.",
        epilog=_UNET_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_unet_options(sub)
    _args.add_common_options(sub, overwrite_help=_TRAIN_OVERWRITE_HELP)
    sub.set_defaults(run=run)
    return parser


def _add_generative_options(parser, model):
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset", default="mnist", metavar="NAME|PATH",
        help="mnist, fashion_mnist, cifar10, or a folder of images (default: mnist)",
    )  # fmt: skip
    data.add_argument(
        "--split", default="train",
        help='training split, tfds-style: train, test, "test[:8000]", "train[:90%%]" (default: train)',
    )  # fmt: skip
    if model == "vae":
        data.add_argument(
            "--validation-split", default="auto", metavar="SPLIT",
            help='validation split, e.g. "test[8000:]", disjoint from --split; "none" for no validation; "auto" (default): the '
            'rest of a "NAME[:stop]" --split, or test for the whole train split of a named dataset',
        )  # fmt: skip
    data.add_argument(
        "--data-dir", default=None, metavar="DIR",
        help="folder holding local copies of the named datasets (default: $KERASGEN_DATA_DIR)",
    )  # fmt: skip
    data.add_argument(
        "--no-download", dest="download", action="store_false",
        help="never download a named dataset: use local copies only (fails fast offline)",
    )  # fmt: skip
    data.add_argument(
        "--image-size", type=_args.positive_int, nargs=2, default=None, metavar=("HEIGHT", "WIDTH"),
        help="resize the images (default: their own size); even, at least 8, e.g. 32 32; with --channels",
    )  # fmt: skip
    data.add_argument(
        "--channels", type=int, choices=(1, 3), default=None,
        help="convert to 1 or 3 channels; with --image-size (together they set the model's image shape)",
    )  # fmt: skip
    net = parser.add_argument_group("model")
    net.add_argument(
        "--latent-dim", type=_args.positive_int, default=None, metavar="N",
        help=f"size of the latent space (default: {128 if model == 'gan' else 2})",
    )  # fmt: skip
    net.add_argument(
        "--base-filters", type=_args.positive_int, default=None, metavar="N",
        help=f"width of the outer convolution blocks (default: {64 if model == 'gan' else 32})",
    )  # fmt: skip
    if model == "gan":
        net.add_argument("--conditional", action="store_true", help="class-conditional GAN (uses the labels)")
        net.add_argument(
            "--loss", choices=_GAN_LOSSES, default="non_saturating",
            help="adversarial loss (default: non_saturating)",
        )  # fmt: skip
    else:
        net.add_argument("--beta", type=_args.non_negative_float, default=1.0, help="weight of the KL term (default: 1)")
        net.add_argument(
            "--likelihood", choices=("bernoulli", "gaussian"), default="bernoulli",
            help="reconstruction likelihood (default: bernoulli)",
        )  # fmt: skip
    output = _add_fit_options(
        parser, default_epochs=20 if model == "gan" else 30, default_batch=64 if model == "gan" else 128, model=model
    )
    output.add_argument(
        "--num-samples", type=_args.positive_int, default=64, metavar="N", help="images per sample grid (default: 64)"
    )


def _add_fit_options(parser, *, default_epochs, default_batch, default_steps="one pass over the data", model):
    """Adds the `training` options and returns the `output` argument group."""
    fit = parser.add_argument_group("training")
    fit.add_argument(
        "--epochs", type=_args.positive_int, default=None, metavar="N", help=f"number of epochs (default: {default_epochs})"
    )
    fit.add_argument(
        "--batch-size", type=_args.positive_int, default=None, metavar="N",
        help=f"images per batch (default: {default_batch})",
    )  # fmt: skip
    fit.add_argument(
        "--steps-per-epoch", type=_args.positive_int, default=None, metavar="N",
        help=f"batches per epoch (default: {default_steps})",
    )  # fmt: skip
    fit.add_argument(
        "--seed", type=_args.non_negative_int, default=0, metavar="N", help="seed of weights, shuffling, noise (default: 0)"
    )
    saved = (
        "the saved models are float32 either way"
        if model == "unet"
        else "the saved model keeps it, to resume exactly"
    )
    fit.add_argument(
        "--precision", choices=("auto", "float32", "mixed_bfloat16", "mixed_float16"), default="auto",
        help="training precision (default auto: mixed_bfloat16 on a CPU with native bfloat16, about 2x "
        f"faster; mixed_float16 on a GPU; else float32); {saved}",
    )  # fmt: skip
    fit.add_argument(
        "--xla", action=argparse.BooleanOptionalAction, default=None,
        help="compile the train step with XLA (default: Keras' choice, off on CPU)",
    )  # fmt: skip
    fit.add_argument(
        "--strategy", choices=("default", "mirrored", "multi_worker"), default="default",
        help="default (one device), mirrored (every GPU of this machine) or multi_worker (the machines "
        "of TF_CONFIG, same command on each; only the chief writes --out, which must be shared storage "
        "to resume); --batch-size is the global batch",
    )  # fmt: skip
    output = parser.add_argument_group("output")
    output.add_argument("--out", default=None, metavar="DIR", help=f"output folder (default: runs/{model})")
    return output


def _add_unet_options(parser):
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data", required=True, metavar="DIR",
        help="folder of clean training images (PNG, JPEG, BMP, GIF; sub-folders included)",
    )  # fmt: skip
    data.add_argument(
        "--validation-data", default=None, metavar="DIR",
        help="folder of clean validation images (noise sigma 25, seeded)",
    )  # fmt: skip
    data.add_argument("--channels", type=int, choices=(1, 3), default=1, help="1 (gray, default) or 3 (RGB)")
    data.add_argument(
        "--sigma-max", type=_args.grey_levels, default=None, metavar="SIGMA",
        help="largest training noise sigma in 8-bit grey levels (default: 55)",
    )  # fmt: skip
    data.add_argument(
        "--sigma-power", type=_args.positive_float, default=None, metavar="P",
        help="sigma = sigma-max * u**P, u uniform: 1 uniform (default), 1.5 more small sigmas",
    )  # fmt: skip
    data.add_argument(
        "--patch-size", type=_args.positive_int, default=None, metavar="N",
        help="side of the training patches, a multiple of 2**depth * pixel-unshuffle (default: 64)",
    )  # fmt: skip
    net = parser.add_argument_group("model")
    net.add_argument(
        "--depth", type=_args.positive_int, default=None, metavar="N", help="number of 2x downsamplings (default: 4)"
    )
    net.add_argument(
        "--base-filters", type=_args.positive_int, default=None, metavar="N",
        help="channels of the first level (default: 32)",
    )  # fmt: skip
    net.add_argument(
        "--pixel-unshuffle", type=_args.positive_int, default=None, metavar="N",
        help="FFDNet pixel-unshuffle factor; 2 needs about 4x fewer operations (default: 1, off)",
    )  # fmt: skip
    net.add_argument(
        "--noise-level-input", action="store_true",
        help="give the model the noise sigma of each patch as a second input (FFDNet); "
        "restore() then takes --sigma or estimates it",
    )  # fmt: skip
    net.add_argument(
        "--block", choices=("plain", "residual"), default=None,
        help="plain U-Net levels (default) or DRUNet-style residual blocks",
    )  # fmt: skip
    net.add_argument(
        "--loss", choices=("mae", "mse", "psnr"), default=None,
        help="mae (default), mse, or psnr: minus each patch's PSNR, so that small noise levels count as much as "
        "large ones",
    )  # fmt: skip
    _add_fit_options(parser, default_epochs=50, default_batch=16, default_steps=400, model="unet")


def run(args):
    """Runs `kerasgen train MODEL`; returns the exit status."""
    if args.strategy == "multi_worker":  # before any other TensorFlow work
        from kerasgen.distribution import get_strategy

        get_strategy("multi_worker")
    out_dir = os.path.join("runs", args.model) if args.out is None else args.out
    if not out_dir:
        raise ValueError("--out must be the path of a folder. Received: --out ''")
    if args.model == "unet":
        inputs = {"--data": args.data, "--validation-data": args.validation_data}
    else:
        inputs = {"--dataset": args.dataset}
    stash = _train_out.check_out_dir(out_dir, args.model, args.overwrite, inputs, chief=_is_chief(args))
    if not args.overwrite and _is_chief(args):
        from kerasgen.recipes._outputs import has_backup, resumed_epoch

        if has_backup(out_dir):
            print(
                f"kerasgen train: {out_dir!r} holds an unfinished run: resuming it after epoch "
                f"{resumed_epoch(out_dir)} (--overwrite starts a new run instead)",
                file=sys.stderr,
            )
    try:
        return _run_recipe(args, out_dir, stash)
    except BaseException:
        if stash is not None and os.path.isdir(stash):  # failed before training began
            _train_out.restore_stash(out_dir, stash)
        raise


def _run_recipe(args, out_dir, stash):
    """Runs the recipe of `args.model`; `stash` (or None) is discarded when training begins."""
    common = _args.given(
        args, epochs="epochs", batch_size="batch_size", steps_per_epoch="steps_per_epoch", seed="seed"
    )
    if args.xla is not None:
        common["jit_compile"] = args.xla
    common["precision"] = args.precision
    if args.strategy != "default":
        common["strategy"] = args.strategy
    if stash is not None:
        common["callbacks"] = [_train_out.discard_stash_callback(stash)]
    if args.model == "unet":
        return _run_train_unet(args, out_dir, common)
    image_shape = None
    if args.image_size is not None or args.channels is not None:
        if args.image_size is None or args.channels is None:
            raise ValueError(
                "--image-size and --channels go together (the model's image shape). "
                f"Received: --image-size {args.image_size}, --channels {args.channels}"
            )
        image_shape = (*args.image_size, args.channels)
    kwargs = {
        **common,
        **_args.given(args, latent_dim="latent_dim", base_filters="base_filters"),
        "image_shape": image_shape,
        "split": args.split,
        "data_dir": args.data_dir,
        "download": args.download,
        "num_samples": args.num_samples,
        "overwrite": args.overwrite,
    }
    from kerasgen.recipes._outputs import SAMPLES_DIR
    from kerasgen.recipes.history import HISTORY_CSV, LOSS_CURVES_PNG

    if args.model == "gan":
        from kerasgen.recipes.gan import MODEL_FILE, train_gan

        _, history = train_gan(
            args.dataset, out_dir, conditional=args.conditional, loss=args.loss, **kwargs
        )
    else:
        from kerasgen.recipes.vae import MODEL_FILE, train_vae

        validation = args.validation_split
        _, history = train_vae(
            args.dataset,
            out_dir,
            beta=args.beta,
            likelihood=args.likelihood,
            validation_split=None if validation.lower() == "none" else validation,
            **kwargs,
        )
    written = (MODEL_FILE, SAMPLES_DIR, HISTORY_CSV, LOSS_CURVES_PNG)
    _print_train_summary(history, out_dir, written)
    return 0


def _run_train_unet(args, out_dir, common):
    from kerasgen.recipes.history import LOSS_CURVES_PNG, save_run_loss_curves
    from kerasgen.recipes.unet import BEST_MODEL, HISTORY_CSV, LAST_MODEL, train_unet

    model_kwargs = _args.given(
        args, depth="depth", base_filters="base_filters", pixel_unshuffle="pixel_unshuffle", block="block"
    )
    if args.noise_level_input:
        model_kwargs["noise_level_input"] = True
    kwargs = {**common, **_args.given(args, patch_size="patch_size", sigma_power="sigma_power", loss="loss")}
    if args.sigma_max is not None:
        kwargs["sigma_range"] = (0.0, args.sigma_max / 255)
    _, history = train_unet(
        args.data,
        out_dir,
        channels=args.channels,
        validation_data=args.validation_data,
        model_kwargs=model_kwargs or None,
        overwrite=args.overwrite,
        **kwargs,
    )
    if _is_chief(args):  # other workers of a multi-worker run write nothing into --out
        save_run_loss_curves(out_dir, title="U-Net")
    _print_train_summary(history, out_dir, (BEST_MODEL, LAST_MODEL, HISTORY_CSV, LOSS_CURVES_PNG))
    return 0


def _is_chief(args):
    if args.strategy != "multi_worker":
        return True
    from kerasgen.distribution import get_strategy, is_chief

    return is_chief(get_strategy("multi_worker"))


def _print_train_summary(history, out_dir, names):
    """Prints the last epoch's metrics and the files (newest PNG of a folder) written."""
    if history.epoch:
        last = ", ".join(f"{key} {values[-1]:.4g}" for key, values in history.history.items())
        print(f"epoch {history.epoch[-1] + 1}: {last}")
    for name in names:
        path = os.path.join(out_dir, name)
        if os.path.isdir(path):
            grids = sorted(f for f in os.listdir(path) if f.endswith(".png"))
            if grids:
                more = f" (and {len(grids) - 1} earlier)" if len(grids) > 1 else ""
                print(f"wrote {os.path.join(path, grids[-1])}{more}")
        elif os.path.exists(path):
            print(f"wrote {path}")
