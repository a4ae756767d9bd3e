"""Classical denoising benchmark: PSNR / SSIM / seconds per method and noise level.

Adds seeded Gaussian noise to each image at each sigma, restores it with each
method through `kerasgen.restoration.repair_image` (so a learned method such
as "unet" plugs in by name), and prints one table per sigma plus the mean per
method. It also measures the overhead of `denoise(method="bm3d")` over a
direct `bm3d.bm3d` call on one image.

Timings are wall-clock on a possibly shared machine: compare them within one
run.

Usage::

    python benchmarks/restoration.py                       # bundled images, sigma 15,25,50
    python benchmarks/restoration.py --sigmas 25 --crop 0  # full-size images
    python benchmarks/restoration.py --images ../shared/data/train400 --limit 10
    python benchmarks/restoration.py --methods nl_means,tv,unet --csv results.csv
    # the shipped denoisers on images they never saw (blind: sigma estimated;
    # "unet+sigma": the true sigma given), grey and colour:
    python benchmarks/restoration.py --crop 0 --methods unet,unet+sigma,bm3d,nl_means
    # with the geometric self-ensemble (restore(..., self_ensemble=8)):
    python benchmarks/restoration.py --crop 0 --methods unet,unet+x8,unet+sigma+x8
    python benchmarks/restoration.py --cbsd432-holdout ../shared/data/cbsd432 --limit 10 \
        --crop 0 --methods unet,unet+sigma,bm3d,nl_means [--gray]
    # a checkpoint instead of the shipped model:
    python benchmarks/restoration.py --model runs/gray_v2/best.keras --methods unet
"""

import argparse
import csv
import io
import os
import statistics
import sys
import time

import numpy as np
from _cli import comma_list, existing_dir, grey_levels, non_negative_int, positive_int, run

from kerasgen.restoration import (
    DENOISE_METHODS,
    REPAIR_METHODS,
    add_gaussian_noise,
    bm3d_available,
    denoise,
    psnr,
    read_image,
    repair_image,
    ssim,
)
from kerasgen.restoration._atomic import atomic_output

DEFAULT_IMAGES = ("camera", "moon", "coins", "clock", "brick")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--images", default=None, metavar="DIR", type=existing_dir,
        help=f"folder of images (default: scikit-image samples {', '.join(DEFAULT_IMAGES)})",
    )  # fmt: skip
    parser.add_argument("--limit", type=positive_int, default=None, help="use at most this many images of --images or --cbsd432-holdout")
    parser.add_argument(
        "--cbsd432-holdout", default=None, metavar="DIR", type=existing_dir,
        help="use the cbsd432 images held out from the shipped denoisers' training "
        "(benchmarks/denoiser_training.py, seed 0: 32 images; the 24 not used for validation)",
    )  # fmt: skip
    parser.add_argument("--gray", action="store_true", help="convert colour images to grey (luma)")
    parser.add_argument("--color", action="store_true", help="use skimage colour samples (astronaut, coffee, chelsea, rocket)")
    parser.add_argument("--model", default=None, metavar="PATH", help='.keras model for "unet" (default: shipped)')
    parser.add_argument("--crop", type=non_negative_int, default=256, help="centre crop size in pixels, 0 for full images")
    parser.add_argument("--sigmas", type=comma_list(grey_levels, "noise levels"), default="15,25,50",
                        help="noise levels in 8-bit grey levels (default 15,25,50)")  # fmt: skip
    parser.add_argument(
        "--methods", default=None,
        help="comma-separated repair_image methods (default: the classical denoisers available)",
    )  # fmt: skip
    parser.add_argument("--seed", type=non_negative_int, default=0, help="noise seed (default 0)")
    parser.add_argument("--overhead-repeats", type=non_negative_int, default=3, help="bm3d overhead repeats (0 to skip)")
    parser.add_argument("--csv", default=None, metavar="PATH", help="also write all rows to this CSV file")
    args = parser.parse_args(argv)
    if args.methods is None:
        args.methods = [m for m in DENOISE_METHODS if m != "bm3d" or bm3d_available()]
    else:
        args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in args.methods if m not in REPAIR_METHODS and not is_unet_variant(m)]
    if unknown:
        parser.error(
            f"unknown methods {unknown}; expected some of {', '.join(REPAIR_METHODS)}, "
            "or unet+sigma, unet+x4, unet+sigma+x8, ..."
        )
    return args


COLOR_IMAGES = ("astronaut", "coffee", "chelsea", "rocket")


def load_images(folder, limit, crop, *, holdout=None, gray=False, color=False):
    """Returns [(name, float image)], centre-cropped to `crop` pixels."""
    if holdout is not None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from denoiser_training import holdout_files

        # The first 8 held-out images validated the training (best checkpoint):
        # report on the other 24.
        files = holdout_files(holdout, 32)[1][8:][:limit]
        images = [(os.path.splitext(os.path.basename(f))[0], read_image(f)) for f in files]
    elif folder is None:
        from skimage import data, img_as_float32

        names = COLOR_IMAGES if color else DEFAULT_IMAGES
        images = [(name, img_as_float32(getattr(data, name)())) for name in names]
    else:
        names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))[:limit]
        if not names:
            sys.exit(f"error: no image files in {folder!r}")
        images = [(os.path.splitext(f)[0], read_image(os.path.join(folder, f))) for f in names]
    if gray:
        from skimage.color import rgb2gray

        images = [(n, rgb2gray(a).astype(np.float32) if a.ndim == 3 else a) for n, a in images]
    if crop:
        images = [(name, centre_crop(image, crop)) for name, image in images]
    return images


def centre_crop(image, size):
    height, width = image.shape[:2]
    top, left = max(0, (height - size) // 2), max(0, (width - size) // 2)
    return image[top : top + size, left : left + size]


_MODEL = {}


def is_unet_variant(method):
    """``unet`` plus options: ``+sigma`` (the true sigma given), ``+xK`` (self-ensemble K)."""
    base, *options = method.split("+")
    return base == "unet" and all(o == "sigma" or o in ("x2", "x4", "x8") for o in options)


def run_method(method, noisy, sigma):
    if is_unet_variant(method):
        options = method.split("+")[1:]
        kwargs = {"sigma": sigma} if "sigma" in options else {}
        for option in options:
            if option.startswith("x"):
                kwargs["self_ensemble"] = int(option[1:])
        method = "unet"
        if "model" in _MODEL:
            kwargs["model"] = _MODEL["model"]
    else:
        kwargs = {"sigma": sigma}
    start = time.perf_counter()
    restored = repair_image(noisy, method, **kwargs)
    return restored, time.perf_counter() - start


def print_table(title, rows, key):
    print(f"\n{title}")
    width = max(len(str(row[key])) for row in rows)
    print(f"  {key:<{width}}  {'method':<14} {'PSNR (dB)':>9} {'SSIM':>7} {'seconds':>8} {'s/MP':>8}")
    for row in rows:
        print(f"  {row[key]:<{width}}  {row['method']:<14} {row['psnr']:>9.2f} {row['ssim']:>7.4f} "
              f"{row['seconds']:>8.2f} {row['seconds'] / row['megapixels']:>8.2f}")  # fmt: skip


def benchmark(images, sigmas, methods, seed):
    rows = []
    for method in methods:
        if method.startswith("unet"):  # warm-up: trace the graph once per image size
            for _, clean in images:
                run_method(method, clean, 0.1)
    for sigma_levels in sigmas:
        sigma = sigma_levels / 255
        sigma_rows = []
        for index, (name, clean) in enumerate(images):
            noisy = add_gaussian_noise(clean, sigma, seed=seed + index)
            megapixels = clean.shape[0] * clean.shape[1] / 1e6
            sigma_rows.append(
                {"sigma": sigma_levels, "image": name, "method": "noisy", "megapixels": megapixels,
                 "psnr": psnr(clean, noisy), "ssim": ssim(clean, noisy), "seconds": 0.0}
            )  # fmt: skip
            for method in methods:
                restored, seconds = run_method(method, noisy, sigma)
                sigma_rows.append(
                    {"sigma": sigma_levels, "image": name, "method": method, "megapixels": megapixels,
                     "psnr": psnr(clean, restored), "ssim": ssim(clean, restored), "seconds": seconds}
                )  # fmt: skip
        print_table(f"sigma = {sigma_levels:g} / 255", sigma_rows, "image")
        means = []
        for method in ["noisy", *methods]:
            selected = [row for row in sigma_rows if row["method"] == method]
            means.append(
                {"mean over": f"{len(selected)} images", "method": method,
                 **{k: statistics.fmean(row[k] for row in selected)
                    for k in ("psnr", "ssim", "seconds", "megapixels")}}
            )  # fmt: skip
        print_table(f"sigma = {sigma_levels:g} / 255: mean per method", means, "mean over")
        sys.stdout.flush()
        rows += sigma_rows
    return rows


def bm3d_overhead(image, sigma, repeats, seed):
    """Times denoise(method="bm3d") against a direct bm3d.bm3d call, interleaved."""
    import bm3d

    from kerasgen.restoration._validation import check_image

    noisy = add_gaussian_noise(image, sigma, seed=seed).astype(np.float64)
    bm3d.bm3d(noisy, sigma)  # warm-up
    direct, wrapped = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        bm3d.bm3d(noisy, sigma)
        direct.append(time.perf_counter() - start)
        start = time.perf_counter()
        denoise(noisy, "bm3d", sigma)
        wrapped.append(time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(100):
        check_image(noisy)
    validation = (time.perf_counter() - start) / 100
    print(f"\nbm3d overhead on a {noisy.shape[0]}x{noisy.shape[1]} image, sigma {sigma * 255:g}/255, {repeats} runs each:")
    print(f"  direct bm3d.bm3d:         min {min(direct):.3f} s, median {statistics.median(direct):.3f} s")
    print(f"  denoise(method='bm3d'):   min {min(wrapped):.3f} s, median {statistics.median(wrapped):.3f} s")
    print(f"  ratio wrapper / direct:   {min(wrapped) / min(direct):.3f} (min), "
          f"{statistics.median(wrapped) / statistics.median(direct):.3f} (median)")  # fmt: skip
    print(f"  input validation alone:   {validation * 1e3:.3f} ms ({validation / min(direct) * 100:.4f} % of a call)")


def write_csv(path, rows):
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=["sigma", "image", "method", "megapixels", "psnr", "ssim", "seconds"],
                            lineterminator="\n")  # fmt: skip
    writer.writeheader()
    writer.writerows(rows)
    with atomic_output(path) as file:
        file.write(text.getvalue().encode("utf-8"))
    print(f"\nwrote {path}")


def main(argv=None):
    args = parse_args(argv)
    images = load_images(
        args.images, args.limit, args.crop, holdout=args.cbsd432_holdout, gray=args.gray, color=args.color
    )
    if args.model:
        import keras

        import kerasgen  # noqa: F401  (registers kerasgen's Keras objects)

        _MODEL["model"] = keras.saving.load_model(args.model, compile=False)
    shapes = ", ".join(f"{name} {image.shape[1]}x{image.shape[0]}" for name, image in images)
    print(f"images: {shapes}\nmethods: {', '.join(args.methods)}\nsigmas: {args.sigmas} (8-bit grey levels)")
    if not bm3d_available():
        print('note: bm3d is not installed (pip install "kerasgen[bm3d]"); BM3D is skipped')
    total = time.perf_counter()
    rows = benchmark(images, args.sigmas, args.methods, args.seed)
    if args.overhead_repeats > 0 and bm3d_available():
        bm3d_overhead(images[0][1], args.sigmas[len(args.sigmas) // 2] / 255, args.overhead_repeats, args.seed)
    if args.csv:
        write_csv(args.csv, rows)
    print(f"\ntotal time: {time.perf_counter() - total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
