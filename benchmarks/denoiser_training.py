"""Trains the shipped noise-level-aware denoisers and prints what it measured.

This is the training command of ``unet_denoise_gray`` and ``unet_denoise_color``
(see their model cards in the README). Data come from ``KERASGEN_DATA_DIR``
(default ``../shared/data``): ``train400/`` (grey) and ``cbsd432/`` (colour;
grey versions of it are added to the grey training set). A fixed, seeded set of
``--holdout`` cbsd432 images is never trained on: the first ``--val-images`` of
them validate during training, and ``benchmarks/restoration.py --cbsd432-holdout``
reports on the others.

Runs are resumable (``keras.callbacks.BackupAndRestore``): after an interruption
(a killed process, the end of a session), run the same command again and it
continues at the epoch after the last completed one. It prints the CPU time of
this run (appended to ``OUT/cpu_seconds.log``, so chunks add up) and the
validation PSNR.

The defaults (``--block residual``, bias-free, ``--convs-per-level 1``) are
not the shipped architecture: the shipped models' from-scratch runs are the
first two examples below (as in their model cards).

Examples::

    python benchmarks/denoiser_training.py --channels 1 --block plain --convs-per-level 2 --use-bias \\
        --epochs 50 --steps-per-epoch 250 --out runs/gray_v2
    python benchmarks/denoiser_training.py --channels 3 --block plain --convs-per-level 2 --use-bias \\
        --epochs 45 --steps-per-epoch 250 --out runs/color_v2
    # fine-tuning a shipped model (architecture from it), resumable the same way:
    python benchmarks/denoiser_training.py --channels 1 --init-from unet_denoise_gray \\
        --learning-rate 3e-4 --epochs 40 --steps-per-epoch 250 --out runs/gray_v3
    # architecture comparison at an equal short budget:
    python benchmarks/denoiser_training.py --channels 1 --block plain --epochs 6 \\
        --steps-per-epoch 100 --out /tmp/cmp_plain
"""

import argparse
import os
import resource
import sys
import time

import numpy as np
from _cli import positive_float, positive_int, run


def holdout_files(folder, count, seed=0):
    """The sorted image files of ``folder`` split into (train, holdout)."""
    files = sorted(
        os.path.join(folder, f)
        for f in os.listdir(folder)
        if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"))
    )
    if len(files) <= count:
        raise ValueError(
            f"{folder!r} holds {len(files)} image files: too few to hold {count} out and train on the rest. "
            f"Received: folder={folder!r}"
        )
    rng = np.random.default_rng(seed)
    held = set(rng.choice(len(files), size=count, replace=False).tolist())
    train = [f for i, f in enumerate(files) if i not in held]
    hold = [f for i, f in enumerate(files) if i in held]
    return train, hold


def read_all(files):
    from kerasgen.restoration import read_image

    return [read_image(f) for f in files]


# Layers build_unet always runs in float32 (the output end of the network).
FLOAT32_LAYERS = {"size_check", "head", "pixel_shuffle", "residual", "restored"}


def init_model(source, precision):
    """A copy of a trained U-Net (preset name or file) built under ``precision``.

    Shipped files are float32 inference files; the copy gets ``precision``'s
    dtype policy on every layer that ``build_unet`` would give it (so it
    trains in bfloat16 where that is faster) and the saved weights.
    """
    import keras

    from kerasgen.precision import resolve_precision

    if os.path.isfile(source):
        trained = keras.models.load_model(source, compile=False)
    else:
        from kerasgen import load_pretrained

        trained = load_pretrained(source)
    policy = resolve_precision(precision)
    config = trained.get_config()
    for layer in config["layers"]:
        if layer["class_name"] != "InputLayer" and layer["name"] not in FLOAT32_LAYERS:
            layer["config"]["dtype"] = policy
    model = keras.Model.from_config(config)
    model.set_weights(trained.get_weights())
    return model


def half_scale(image):
    """``image`` downscaled by 2 with anti-aliasing, float32 in [0, 1]."""
    from skimage.transform import resize

    shape = (image.shape[0] // 2, image.shape[1] // 2) + image.shape[2:]
    return np.clip(resize(image, shape, anti_aliasing=True), 0, 1).astype(np.float32)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, choices=(1, 3), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a completed run in OUT (train_unet's overwrite=True); an unfinished one resumes")  # fmt: skip
    parser.add_argument("--data-dir", default=os.environ.get("KERASGEN_DATA_DIR", "../shared/data"))
    parser.add_argument("--block", choices=("plain", "residual"), default="residual")
    parser.add_argument("--depth", type=positive_int, default=4)
    parser.add_argument("--base-filters", type=positive_int, default=16)
    parser.add_argument("--convs-per-level", type=positive_int, default=1)
    parser.add_argument("--use-bias", action="store_true", help="default: bias-free")
    parser.add_argument("--patch-size", type=positive_int, default=96)
    parser.add_argument("--batch-size", type=positive_int, default=16)
    parser.add_argument("--epochs", type=positive_int, default=50)
    parser.add_argument("--steps-per-epoch", type=positive_int, default=300)
    parser.add_argument("--sigma-max", type=positive_float, default=75.0, help="8-bit scale")
    parser.add_argument(
        "--sigma-power",
        type=positive_float,
        default=1.0,
        help="sigma = sigma_max * u**power, u uniform: 1 uniform, 1.5 more small sigmas",
    )
    parser.add_argument("--learning-rate", type=positive_float, default=1e-3)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--holdout", type=positive_int, default=32)
    parser.add_argument("--val-images", type=positive_int, default=8)
    parser.add_argument("--loss", choices=("mae", "mse", "psnr"), default="mae",
                        help="mae (default), mse, or psnr (minus each patch's PSNR; the last fine-tuning chunks)")  # fmt: skip
    parser.add_argument("--no-train400", action="store_true")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the patch and noise stream (default 0); give each fine-tuning chunk a new one: "
                        "the same seed replays the patches and noise that earlier chunks trained on")  # fmt: skip
    parser.add_argument(
        "--half-scale",
        action="store_true",
        help="also train on copies of the training images downscaled by 2 (anti-aliased), "
        "which removes most JPEG artefacts from the clean targets",
    )
    parser.add_argument(
        "--init-from",
        default=None,
        help="start from the weights of this preset or .keras file (fine-tuning); "
        "the architecture options are then taken from it",
    )
    args = parser.parse_args(argv)
    if args.val_images > args.holdout:
        parser.error(f"--val-images ({args.val_images}) must be at most --holdout ({args.holdout})")

    from kerasgen.precision import resolve_precision
    from kerasgen.recipes import train_unet

    cbsd_train, cbsd_hold = holdout_files(os.path.join(args.data_dir, "cbsd432"), args.holdout)
    images = read_all(cbsd_train)
    if args.channels == 1 and not args.no_train400:
        images += read_all(holdout_files(os.path.join(args.data_dir, "train400"), 0)[0])
    halves = []
    if args.half_scale:
        # (only images whose halves still hold a patch: not train400's 180x180, and none of
        # cbsd432's 481x321 beyond 160x160 patches)
        halves = [half_scale(im) for im in images if min(im.shape[:2]) // 2 >= args.patch_size]
        if not halves:
            print(f"--half-scale: no image's half holds a {args.patch_size}x{args.patch_size} patch; "
                  "training without half-scale copies", flush=True)
    images += halves
    validation = read_all(cbsd_hold[: args.val_images])
    print(f"training images: {len(images)} ({len(halves)} of them half-scale copies), "
          f"validation images: {len(validation)}, precision: {resolve_precision(args.precision)}", flush=True)

    model_kwargs = dict(
        depth=args.depth,
        base_filters=args.base_filters,
        convs_per_level=args.convs_per_level,
        noise_level_input=True,
        block=args.block,
        use_bias=args.use_bias,
    )
    model = None
    if args.init_from:
        model = init_model(args.init_from, args.precision)
        model_kwargs = None
    start_wall, start_cpu = time.time(), cpu_seconds()
    model, history = train_unet(
        images,
        args.out,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        patch_size=args.patch_size,
        batch_size=args.batch_size,
        sigma_range=(0.0, args.sigma_max / 255),
        sigma_power=args.sigma_power,
        model=model,
        model_kwargs=model_kwargs,
        learning_rate=args.learning_rate,
        loss=args.loss,
        validation_data=validation,
        validation_sigma=25 / 255,
        channels=args.channels,
        precision=args.precision,
        seed=args.seed,
        overwrite=args.overwrite,
        verbose=2,
    )
    wall, cpu = time.time() - start_wall, cpu_seconds() - start_cpu
    val = history.history.get("val_psnr", [float("nan")])
    print(f"parameters: {model.count_params()}")
    print(f"this chunk: {len(val)} epochs, wall {wall:.0f} s, CPU {cpu:.0f} s "
          f"({cpu / 3600:.2f} CPU-hours)")
    print(f"val_psnr (sigma 25, {len(validation)} held-out images, unclipped): "
          f"last {val[-1]:.2f} dB, best {max(val):.2f} dB")
    with open(os.path.join(args.out, "cpu_seconds.log"), "a") as f:
        f.write(f"{cpu:.0f} {wall:.0f} {len(val)} {' '.join(sys.argv[1:])}\n")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
