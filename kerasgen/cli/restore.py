"""`kerasgen restore`: restore an image file with any `repair_image` method."""

import time

from kerasgen.cli import _args
from kerasgen.cli._restore_folder import (
    FOLDER_EPILOG,
    add_folder_options,
    check_folder_options,
    run_folder,
)

EPILOG = """\
methods:
  denoising:   bm3d (best, needs `pip install "kerasgen[bm3d]"`), nl_means, tv,
               wavelet, bilateral; --sigma (estimated when left out)
  deblurring:  bm3d_deblur, richardson_lucy, wiener; --psf-std (Gaussian blur
               kernel) and optionally --psf-size, --sigma
  inpainting:  biharmonic; --mask (white = missing pixel)
  upscaling:   bilinear, bicubic; --scale (the output is SCALE times larger)
  learned:     unet (shipped grey or colour U-Net denoiser, chosen from the
               image's channels; imports TensorFlow); --sigma (noise level
               given to the model, estimated when left out), --tile, --overlap
               pnp (plug-and-play with that denoiser as the prior; imports
               TensorFlow): the option given chooses the task, exactly one of
               --psf-std (deblurring, boundary "reflect"), --mask (inpainting)
               or --scale (super-resolution); --sigma (noise of the image;
               estimated when deblurring, else 0 when left out)

The output is clipped to [0, 1] and written atomically; its format follows the
extension (.png, .jpg, .tif). An existing OUTPUT is only replaced with
--overwrite, and OUTPUT may never be INPUT.

examples:
  kerasgen restore noisy.png denoised.png --method bm3d --sigma 25
  kerasgen restore noisy.png denoised.png --method nl_means
  kerasgen restore blurred.png sharp.png --method bm3d_deblur --psf-std 1.6 --sigma 2
  kerasgen restore holes.png filled.png --method biharmonic --mask mask.png
  kerasgen restore blurred.png sharp.png --method pnp --psf-std 1.6 --sigma 2.55
  kerasgen restore holes.png filled.png --method pnp --mask mask.png
  kerasgen restore small.png large.png --method pnp --scale 4"""

# Method option (argparse dest) -> the `repair_image` argument it feeds. An
# option whose argument the method does not use (`method_arguments`) is refused.
OPTION_ARGUMENTS = {
    "sigma": "sigma",
    "psf_std": "psf",
    "psf_size": "psf",
    "mask": "mask",
    "scale": "scale",
    "tile": "tile",
    "overlap": "overlap",
}


def add_parser(subparsers):
    """Declares `kerasgen restore` and its options."""
    from kerasgen.restoration.repair import REPAIR_METHODS

    parser = _args.add_command_parser(
        subparsers,
        "restore",
        help="denoise, deblur, inpaint or upscale an image file or a folder of images",
        description="Restore an image file (or every image of a folder) with a classical or a learned method "
        "and save the result.",
        epilog=EPILOG + "\n\n" + FOLDER_EPILOG,
    )
    parser.add_argument("input", metavar="INPUT", help="image to restore (PNG, JPEG, TIFF, ...), or a folder")
    parser.add_argument(
        "output", metavar="OUTPUT", help="where to write the result (.png, .jpg or .tif), or a folder for a folder"
    )  # fmt: skip
    parser.add_argument(
        "--method", default="bm3d", choices=REPAIR_METHODS, metavar="METHOD",
        help="restoration method (default: bm3d); one of: " + ", ".join(REPAIR_METHODS),
    )  # fmt: skip
    parser.add_argument(
        "--sigma", type=_args.grey_levels, default=None,
        help="noise standard deviation in 8-bit grey levels (0-255), e.g. 25; default: estimated from the image",
    )  # fmt: skip
    parser.add_argument(
        "--psf-std", type=_args.positive_float, default=None,
        help="deblurring: standard deviation in pixels of the Gaussian blur kernel (required)",
    )  # fmt: skip
    parser.add_argument(
        "--psf-size", type=_args.positive_int, default=None,
        help="deblurring: odd side of the blur kernel in pixels (default: 2 * ceil(3 * psf-std) + 1)",
    )  # fmt: skip
    parser.add_argument("--mask", default=None, metavar="PATH", help="inpainting: mask image, white = missing pixel")
    parser.add_argument(
        "--scale", type=_args.positive_int, default=None,
        help="upscaling: integer factor (the output is SCALE times larger; pnp needs >= 2)",
    )  # fmt: skip
    parser.add_argument(
        "--bit-depth", type=int, choices=(8, 16), default=None,
        help="output bit depth of one image (default: 8; folders keep each input's)",
    )  # fmt: skip
    parser.add_argument("--tile", type=_args.positive_int, default=None, help="unet: tile size in pixels")
    parser.add_argument("--overlap", type=_args.non_negative_int, default=None, help="unet: tile overlap (default 32)")
    parser.add_argument(
        "--self-ensemble", type=int, choices=(1, 2, 4, 8), default=None,
        help="unet: average the results on this many flips/rotations of the image "
        "(about +0.1 dB, that many times slower; default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--model", default=None, metavar="PATH",
        help="unet: a .keras file or an exported SavedModel folder; pnp: a .keras noise-level denoiser "
        "(default: the shipped denoisers)",
    )  # fmt: skip
    add_folder_options(parser)
    _args.add_common_options(
        parser,
        overwrite_help="replace OUTPUT if it exists (never allowed when OUTPUT is INPUT); "
        "folders: restore again the images already restored",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    """Runs `kerasgen restore`; returns the exit status."""
    import numpy as np

    from kerasgen.restoration._atomic import check_new_output
    from kerasgen.restoration.degradations import gaussian_psf
    from kerasgen.restoration.io import (
        check_save_path,
        read_image,
        read_mask,
        save_image,
    )
    from kerasgen.restoration.noise_level import estimate_noise_sigma
    from kerasgen.restoration.repair import method_task, repair_image

    for name, path in (("INPUT", args.input), ("OUTPUT", args.output)):
        if not path:  # "" would be the current folder in folder mode
            raise ValueError(f"{name} must be the path of an image file or a folder. Received: {name}=''")
    if args.psf_std is not None:
        _args.psf_size(args.psf_std, args.psf_size)  # an even --psf-size, before reading anything
    folder = check_folder_options(args)
    task = method_task(args.method)
    if folder and task == "inpaint":
        raise ValueError(
            f"--method {args.method} (inpainting) needs a mask per image, so it cannot restore a folder: "
            "restore the images one by one with --mask."
        )
    check_options(args, task)
    if folder:
        return run_folder(args)
    bit_depth = args.bit_depth or 8
    check_save_path(args.output, bit_depth=bit_depth)
    check_new_output(args.output, overwrite=args.overwrite, inputs=(args.input, args.mask))
    image = read_image(args.input)
    if bit_depth == 16 and image.ndim == 3 and not args.output.lower().endswith((".tif", ".tiff")):
        raise ValueError(
            "16-bit colour images can only be saved as TIFF (Pillow writes 16-bit PNG for gray images "
            f"only). Use a .tif OUTPUT or --bit-depth 8. Received: OUTPUT={args.output!r}, a colour INPUT "
            f"({image.shape[0]} x {image.shape[1]} x 3)"
        )
    psf_size = None if args.psf_std is None else _args.psf_size(args.psf_std, args.psf_size, image.shape)
    kwargs = {}
    if task in ("denoise", "deblur"):
        if args.sigma is None:
            sigma = estimate_noise_sigma(image)
            print(f"estimated noise sigma: {sigma * 255:.1f} grey levels")
        else:
            sigma = args.sigma / 255
        kwargs["sigma"] = sigma
    elif args.sigma is not None:  # learned methods: estimated (or 0) by the method when left out
        kwargs["sigma"] = args.sigma / 255
    if psf_size is not None:
        kwargs["psf"] = gaussian_psf(psf_size, args.psf_std)
    if args.mask is not None:
        kwargs["mask"] = read_mask(args.mask, image.shape[:2])
    if args.scale is not None:
        kwargs["scale"] = args.scale
    if args.tile is not None:
        kwargs["tile"] = args.tile
    if args.overlap is not None:
        kwargs["overlap"] = args.overlap
    if args.self_ensemble is not None:
        kwargs["self_ensemble"] = args.self_ensemble
    start = time.perf_counter()
    if args.model is not None:
        restored = _restore_with_model(image, args, kwargs)
    else:
        restored = repair_image(image, args.method, **kwargs)
    seconds = time.perf_counter() - start
    path = save_image(args.output, np.clip(restored, 0, 1), bit_depth=bit_depth)
    print(f"wrote {path} ({args.method}, {seconds:.1f} s)")
    return 0


def check_options(args, task):
    """Refuses an option the method does not use, or a missing required one.

    The options a method accepts follow `repair_image`'s own table
    (`kerasgen.restoration.repair.method_arguments`).
    """
    from kerasgen.restoration.repair import method_arguments

    used = method_arguments(args.method)
    if getattr(args, "self_ensemble", None) is not None and args.method != "unet":
        raise ValueError(f"--self-ensemble is only used by --method unet. Received: --method {args.method}")
    if getattr(args, "model", None) is not None and args.method not in ("unet", "pnp"):
        raise ValueError(f"--model is only used by --method unet or pnp. Received: --method {args.method}")
    for option, argument in OPTION_ARGUMENTS.items():
        if getattr(args, option) is not None and argument not in used:
            flag = "--" + option.replace("_", "-")
            raise ValueError(f"{flag} is not used by --method {args.method} ({task}).")
    if task == "deblur" and args.psf_std is None:
        raise ValueError(f"--method {args.method} needs the blur kernel: give --psf-std (e.g. --psf-std 1.6).")
    if task == "inpaint" and args.mask is None:
        raise ValueError(f"--method {args.method} needs --mask PATH (an image, white = missing pixel).")
    if task == "upscale" and args.scale is None:
        raise ValueError(f"--method {args.method} needs --scale (e.g. --scale 2).")
    if args.psf_size is not None and args.psf_std is None:
        raise ValueError("--psf-size needs --psf-std (the blur kernel is Gaussian).")
    degradations = [f"--{name}" for name in ("psf_std", "mask", "scale") if getattr(args, name) is not None]
    if args.method == "pnp" and len(degradations) != 1:
        received = " and ".join(degradations) if degradations else "none"
        raise ValueError(
            "--method pnp needs exactly one of --psf-std (deblurring), --mask (inpainting) or --scale "
            f"(super-resolution). Received: {received.replace('_', '-')}"
        )


def _restore_with_model(image, args, kwargs):
    """`--model` for one image: a .keras file or SavedModel folder (unet), a .keras denoiser (pnp)."""
    import os

    if args.method == "unet":  # as the folder mode does: .keras file or SavedModel folder
        from kerasgen.batch._learned import LearnedRestorer

        options = {name: kwargs[name] for name in ("sigma", "tile", "overlap", "self_ensemble") if name in kwargs}
        return LearnedRestorer(args.model, **options).restore_batch([image])[0]
    if not os.path.isfile(args.model):
        raise FileNotFoundError(
            "--method pnp needs --model to be a .keras file of a noise-level denoiser (not a SavedModel). "
            f"Received: --model {args.model!r}"
        )
    import keras

    from kerasgen.restoration.repair import repair_image

    return repair_image(image, "pnp", model=keras.models.load_model(args.model, compile=False), **kwargs)

