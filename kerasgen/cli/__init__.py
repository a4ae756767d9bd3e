"""The `kerasgen` command line.

One module per command (`restore`, `compare`, `export`, `train`), each with
`add_parser(subparsers)`, which declares its arguments (and sets
`run=run`), and `run(args)`, which does the work through library calls and
returns the exit code; argparse types and the options every command shares
are in `_args`. To add a command, write its module and append it to
`COMMANDS`. Heavy imports (TensorFlow, scikit-image...) go inside `run`, so
that `kerasgen --help` stays fast and commands that do not need TensorFlow
never import it.

User mistakes (missing file, bad value...) print `kerasgen <command>: error:
...` on stderr and exit with status 2, without a traceback.

Every command refuses to write over its own input, and over an existing output
unless `--overwrite` is given; output folders are checked for writability
before any computation. TensorFlow's native log lines (CUDA probing, oneDNN
notes...) are hidden unless `--verbose` is given.
"""

import argparse
import contextlib
import io
import logging
import os
import sys

from kerasgen import __version__
from kerasgen.cli import compare, export, restore, train
from kerasgen.restoration.samples import SAMPLE_IMAGES  # noqa: F401  (public since the single-module CLI)

# The commands, in `kerasgen --help` order: modules with add_parser(subparsers) and run(args).
COMMANDS = (restore, compare, export, train)

_DESCRIPTION = """\
kerasgen: image generation (GAN, VAE) and image restoration (BM3D, NL-means,
TV, wavelets, U-Net) on Keras 3 + TensorFlow. The restoration commands below
run on numpy / scikit-image / bm3d only and never import TensorFlow."""

_EPILOG = """\
examples:
  kerasgen compare
      denoise skimage's camera image (noise sigma 25, seed 0) with every
      classical method; print PSNR / SSIM / time, write
      compare_camera_sigma25.png and .csv in the current folder
  kerasgen compare --image astronaut --sigma 50 --methods nl_means,tv --out results
  kerasgen restore noisy.png denoised.png --method bm3d --sigma 25
  kerasgen restore blurred.png sharp.png --method wiener --psf-std 1.6
  kerasgen restore holes.png filled.png --method biharmonic --mask mask.png

Noise levels (--sigma) are given in 8-bit grey levels (0-255), e.g. 25.
Existing outputs are only replaced with --overwrite; --verbose shows
TensorFlow's own log messages. Run `kerasgen COMMAND --help` for the options
of a command."""

# Errors that are the user's (bad file, bad value, missing optional package):
# reported in one line, exit status 2.
_USER_ERRORS = (ValueError, OSError, ImportError)


def main(argv=None):
    """Runs the `kerasgen` command line.

    Args:
        argv: list of arguments without the program name; None reads
            `sys.argv[1:]`.

    Returns:
        The exit status: 0 on success, 2 on a usage or input error.

    Example:

    >>> main(["compare", "--methods", "tv", "--out", "results"])  # doctest: +SKIP
    0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error
        return _exit_status(exit_.code)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        with _native_logs(verbose=args.verbose):
            return args.run(args)
    except _USER_ERRORS as error:
        print(f"kerasgen {args.command}: error: {error}", file=sys.stderr)
        return 2
    except MemoryError as error:  # e.g. an output too large for this machine (restore --scale 100000)
        print(f"kerasgen {args.command}: error: not enough memory. {error}".rstrip(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kerasgen {args.command}: interrupted", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _native_logs(verbose):
    """Hides TensorFlow's native (C++) log lines unless `verbose`.

    TensorFlow 2.x writes them straight to file descriptor 2, and recent
    versions ignore TF_CPP_MIN_LOG_LEVEL before absl logging is initialised,
    so descriptor 2 is pointed at the null device while Python's own stderr
    (errors, warnings) keeps writing to the terminal. Only done when
    `sys.stderr` is the process's descriptor 2 (not under a test runner's
    capture).
    """
    if verbose:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in ("absl", "tensorflow"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        redirect = sys.stderr.fileno() == 2
    except (AttributeError, ValueError, io.UnsupportedOperation):
        redirect = False
    if not redirect:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    python_stderr = sys.stderr
    sys.stderr = open(saved, "w", buffering=1, encoding=python_stderr.encoding, closefd=False)  # noqa: SIM115
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="kerasgen",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kerasgen {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log messages")
    subparsers = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser
