"""Seconds per megapixel of the shipped denoisers vs BM3D and NL-means.

Runs every method on the same noisy image (grey ``camera``, colour
``astronaut``, both 512x512, sigma 25/255), interleaved ``--repeats`` times
so that load from other processes hits every method alike, after one warm-up
call each (graph tracing for the U-Net). Prints the median seconds per
megapixel and the speed-up of the U-Net over each method; "unet x8" is the
U-Net with its geometric self-ensemble (``restore(..., self_ensemble=8)``).

Usage::

    python benchmarks/denoiser_speed.py
    python benchmarks/denoiser_speed.py --repeats 5 --only gray
"""

import argparse
import statistics
import sys
import time

from _cli import positive_int, run
from skimage import data, img_as_float32

from kerasgen.restoration import add_gaussian_noise, bm3d_available, repair_image


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed calls per method (median; default 3)")
    parser.add_argument("--only", choices=("gray", "color"), default=None, help="one image only (default: both)")
    args = parser.parse_args(argv)
    images = {"gray": img_as_float32(data.camera()), "color": img_as_float32(data.astronaut())}
    methods = {"unet": ("unet", {}), "unet x8": ("unet", {"self_ensemble": 8}), "nl_means": ("nl_means", {})}
    if bm3d_available():
        methods["bm3d"] = ("bm3d", {})
    for kind, clean in images.items():
        if args.only and kind != args.only:
            continue
        noisy = add_gaussian_noise(clean, 25 / 255, seed=0)
        megapixels = clean.shape[0] * clean.shape[1] / 1e6
        times = {m: [] for m in methods}
        for method, kwargs in methods.values():  # warm-up
            repair_image(noisy, method, sigma=25 / 255, **kwargs)
        for _ in range(args.repeats):
            for label, (method, kwargs) in methods.items():
                start = time.perf_counter()
                repair_image(noisy, method, sigma=25 / 255, **kwargs)
                times[label].append(time.perf_counter() - start)
        unet = statistics.median(times["unet"]) / megapixels
        print(f"{kind} {clean.shape[1]}x{clean.shape[0]}, sigma 25/255, median of {args.repeats}:")
        for method in methods:
            per_mp = statistics.median(times[method]) / megapixels
            print(f"  {method:<9} {per_mp:8.2f} s/MP   (U-Net speed-up: {per_mp / unet:6.1f}x)")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
