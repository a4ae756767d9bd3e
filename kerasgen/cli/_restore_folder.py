"""`kerasgen restore INPUT_DIR OUTPUT_DIR`: the folder mode of `kerasgen restore`."""

from kerasgen.cli._args import positive_int

FOLDER_EPILOG = """\
folders:
  kerasgen restore INPUT_DIR OUTPUT_DIR [--recursive] restores every image of
  INPUT_DIR (PNG, JPEG, TIFF, BMP, GIF, WebP) into OUTPUT_DIR with the same
  relative paths, formats and bit depths (BMP, GIF, WebP are written as PNG).
  A progress bar runs; a summary (done, skipped, failed, time) ends the run,
  whose exit status is 1 when a file failed. Stopped runs (even kill -9)
  resume: finished files are skipped (--overwrite redoes them). Classical
  methods run in --workers processes; unet stacks --batch-size images per
  model call (--model: a .keras file or an exported SavedModel folder).
  --engine ray runs the same job as a Ray Data pipeline (pip install
  "kerasgen[ray]"; --ray-address auto on a cluster node).

  kerasgen restore scans/ restored/ --method nl_means --recursive
  kerasgen restore scans/ restored/ --method unet --sigma 15 --batch-size 8
  kerasgen restore scans/ restored/ --method unet --engine ray --model saved_models/unet/1"""


def add_folder_options(parser):
    """The options only used when INPUT is a folder."""
    group = parser.add_argument_group("folders (INPUT_DIR OUTPUT_DIR)")
    group.add_argument("--recursive", action="store_true", help="also restore the images of the sub-folders")
    group.add_argument(
        "--workers", type=positive_int, default=None,
        help="classical methods: worker processes (default: one per core)",
    )  # fmt: skip
    group.add_argument(
        "--batch-size", type=positive_int, default=None, help="unet: images per model call (default: 4)"
    )  # fmt: skip
    group.add_argument(
        "--engine", choices=("local", "ray"), default="local",
        help="local (default: this machine) or ray (a Ray Data pipeline, kerasgen[ray])",
    )  # fmt: skip
    group.add_argument(
        "--ray-address", default=None, metavar="ADDRESS",
        help='ray: cluster to join ("auto" on a cluster node, ray://host:10001); default: a local Ray',
    )  # fmt: skip


def check_folder_options(args):
    """Refuses file-only options in folder mode and folder-only options for files."""
    import os

    if not os.path.exists(args.input):
        raise FileNotFoundError(f"No such image file: {args.input!r} (INPUT must be an image file or a folder)")
    folder = os.path.isdir(args.input)
    if folder:
        if args.mask is not None:
            raise ValueError("--mask is for one image; folders cannot be inpainted (one mask per image).")
        if args.bit_depth is not None:
            raise ValueError(
                "--bit-depth is for one image: folder outputs keep each input's bit depth "
                "(16-bit PNG/TIFF in, 16-bit out)."
            )
        _check_engine_options(args)
        return True
    given = [
        flag
        for flag, value, default in (
            ("--recursive", args.recursive, False),
            ("--workers", args.workers, None),
            ("--batch-size", args.batch_size, None),
            ("--engine", args.engine, "local"),
            ("--ray-address", args.ray_address, None),
        )
        if value != default
    ]
    if given:
        raise ValueError(f"{', '.join(given)}: for a folder INPUT only. Received: INPUT={args.input!r} (a file)")
    return False


def _check_engine_options(args):
    """Refuses the folder options that the method or the engine would not use."""
    learned = args.method == "unet"
    if args.model is not None and not learned:
        raise ValueError(f"--model is only used by --method unet. Received: --method {args.method}")
    if args.batch_size is not None and not learned:
        raise ValueError(
            f"--batch-size is only used by --method unet (images per model call). Received: --method {args.method}"
        )
    if args.workers is not None and (learned or args.engine == "ray"):
        where = "--method unet runs in this process" if learned else "Ray schedules its own tasks"
        raise ValueError(
            f"--workers is for the classical methods with --engine local ({where}). "
            f"Received: --method {args.method}, --engine {args.engine}"
        )
    if args.ray_address is not None and args.engine != "ray":
        raise ValueError(f"--ray-address is for --engine ray. Received: --engine {args.engine}")


def run_folder(args):
    """Runs the folder mode; returns the exit status (1 when a file failed)."""
    from kerasgen.cli._args import psf_size
    from kerasgen.restoration.degradations import gaussian_psf

    options = {
        "recursive": args.recursive,
        "overwrite": args.overwrite,
        "sigma": None if args.sigma is None else args.sigma / 255,
        "scale": args.scale,
        "tile": args.tile,
        "batch_size": 4 if args.batch_size is None else args.batch_size,
        "model": args.model,
    }
    if args.self_ensemble is not None:
        options["self_ensemble"] = args.self_ensemble
    if args.psf_std is not None:
        options["psf"] = gaussian_psf(psf_size(args.psf_std, args.psf_size), args.psf_std)
    if args.overlap is not None:
        options["overlap"] = args.overlap
    if args.engine == "ray":
        from kerasgen.pipelines.ray import restore_folder_ray

        summary = restore_folder_ray(args.input, args.output, args.method, address=args.ray_address, **options)
    else:
        from kerasgen.batch import restore_folder

        summary = restore_folder(args.input, args.output, args.method, workers=args.workers, **options)
    for relative, error in summary.failures:
        print(f"failed: {relative}: {error}")
    print(f"{args.method}: {summary}")
    print(f"wrote {summary.done} image(s) into {args.output}")
    return 1 if summary.failed else 0
