"""Noise level estimation: accuracy of each estimator, and what it costs a blind denoiser.

For each true sigma (8-bit scale) Gaussian noise (not clipped) is added to
every image, and `kerasgen.restoration.estimate_noise_sigma` runs with each
method ("weak_texture", the default, and "wavelet", skimage's
``estimate_sigma``). Printed: the mean and spread of estimate / truth, and the
milliseconds per image. With --denoise, the shipped denoiser for the images'
channels (`kerasgen.restore`) also runs told the true sigma and told each
estimate: mean PSNR of each.

Images: skimage's camera, moon, coins, brick, clock (grey) or astronaut,
chelsea, coffee (colour), or with --cbsd432-holdout the 24 held-out test
images of the training split (`benchmarks/denoiser_training.py`), never seen
in training.

Usage::

    python benchmarks/noise_estimation.py
    python benchmarks/noise_estimation.py --color --denoise
    python benchmarks/noise_estimation.py --cbsd432-holdout ../shared/data/cbsd432 --limit 12 --denoise
"""

import argparse
import os
import sys
import time

import numpy as np
from _cli import comma_list, existing_dir, positive_grey_levels, positive_int, run

GRAY_IMAGES = ("camera", "moon", "coins", "brick", "clock")
COLOR_IMAGES = ("astronaut", "chelsea", "coffee")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--color", action="store_true", help="colour images (default: grey)")
    parser.add_argument("--cbsd432-holdout", default=None, metavar="DIR", type=existing_dir,
                        help="the cbsd432 folder: use its 24 held-out test images")  # fmt: skip
    parser.add_argument("--limit", type=positive_int, default=None, help="at most this many images")
    parser.add_argument("--sigmas", type=comma_list(positive_grey_levels, "noise levels above 0"), default="1,5,15,25,50",
                        help="true noise levels, 8-bit scale (default 1,5,15,25,50)")  # fmt: skip
    parser.add_argument("--denoise", action="store_true", help="also restore told the truth and each estimate")
    return parser.parse_args(argv)


def load_images(args):
    from skimage import data, img_as_float
    from skimage.color import rgb2gray

    if args.cbsd432_holdout:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from denoiser_training import holdout_files

        from kerasgen.restoration import read_image

        images = [read_image(f) for f in holdout_files(args.cbsd432_holdout, 32)[1][8:]]
        images = [image if args.color else rgb2gray(image) for image in images]
    else:
        images = [img_as_float(getattr(data, name)()) for name in (COLOR_IMAGES if args.color else GRAY_IMAGES)]
    return [image.astype(np.float32) for image in images[: args.limit]]


def main(argv=None):
    args = parse_args(argv)
    from kerasgen.restoration import NOISE_ESTIMATORS, add_gaussian_noise, estimate_noise_sigma, psnr

    images = load_images(args)
    restore = None
    if args.denoise:
        from kerasgen import restore
    print(f"{len(images)} {'colour' if args.color else 'grey'} images, shapes {sorted({i.shape for i in images})[:3]}...")
    header = "sigma | " + " | ".join(f"{m} estimate/true (ms)" for m in NOISE_ESTIMATORS)
    if args.denoise:
        header += " | PSNR told | " + " | ".join(f"PSNR {m}" for m in NOISE_ESTIMATORS)
    print(header)
    for level in args.sigmas:
        ratios = {method: [] for method in NOISE_ESTIMATORS}
        seconds = dict.fromkeys(NOISE_ESTIMATORS, 0.0)
        scores = {key: [] for key in ("told",) + NOISE_ESTIMATORS}
        for seed, image in enumerate(images):
            noisy = add_gaussian_noise(image, level / 255, seed=seed)
            estimates = {}
            for method in NOISE_ESTIMATORS:
                start = time.perf_counter()
                estimates[method] = estimate_noise_sigma(noisy, method=method)
                seconds[method] += time.perf_counter() - start
                ratios[method].append(estimates[method] * 255 / level)
            if restore is not None:
                for key, sigma in (("told", level / 255), *estimates.items()):
                    scores[key].append(psnr(image, np.clip(restore(noisy, sigma=sigma), 0, 1)))
        cells = [
            f"{np.mean(ratios[m]):.3f} +- {np.std(ratios[m]):.3f} ({1e3 * seconds[m] / len(images):.0f})"
            for m in NOISE_ESTIMATORS
        ]
        if restore is not None:
            cells += [f"{np.mean(scores[key]):.3f}" for key in ("told",) + NOISE_ESTIMATORS]
        print(f"{level:g} | " + " | ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
