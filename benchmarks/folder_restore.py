"""Folder restoration throughput: images/s, and the Ray pipeline's overhead.

Writes a folder of noisy images (crops of the bundled scikit-image photos,
Gaussian noise sigma 25, seeded), then restores it with
`kerasgen.batch.restore_folder` (the `kerasgen restore INPUT_DIR OUTPUT_DIR`
command) for each method, and, unless `--no-ray`, with the Ray Data pipeline
`kerasgen.pipelines.ray.restore_folder_ray` on a local Ray instance. Each
run writes into a fresh output folder. Printed per method and engine: wall
seconds, images/s, and for Ray the overhead over the folder command (the
Ray start-up, measured separately, is not included).

Timings are wall-clock on a possibly shared machine: compare them within one
run.

Usage::

    python benchmarks/folder_restore.py                           # 32 grey 256x256, nl_means,wavelet,unet
    python benchmarks/folder_restore.py --count 64 --size 512 --methods nl_means,unet --no-ray
    python benchmarks/folder_restore.py --model runs/unet/best.keras --methods unet
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np
from _cli import method_list, positive_int, run
from skimage import data

from kerasgen.batch import restore_folder
from kerasgen.restoration import add_gaussian_noise, save_image


def make_folder(folder, count, size, colour):
    photo = data.astronaut() / 255.0 if colour else data.camera() / 255.0
    rng = np.random.default_rng(0)
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        top, left = rng.integers(0, photo.shape[0] - size + 1, 2)
        crop = photo[top : top + size, left : left + size]
        noisy = np.clip(add_gaussian_noise(crop, 25 / 255, seed=i), 0, 1)
        save_image(os.path.join(folder, f"{i:04d}.png"), noisy)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=positive_int, default=32, help="images in the folder (default 32)")
    parser.add_argument("--size", type=positive_int, default=256, help="side of each image, at most 512 (default 256)")
    parser.add_argument("--colour", action="store_true", help="RGB images (default: grey)")
    parser.add_argument("--methods", type=method_list, default="nl_means,wavelet,unet", help="comma-separated methods")
    parser.add_argument("--model", default=None, help="unet: a .keras file or SavedModel (default: shipped)")
    parser.add_argument("--batch-size", type=positive_int, default=4, help="unet: images per model call")
    parser.add_argument("--workers", type=positive_int, default=None, help="classical: processes (default: cores)")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray pipeline")
    args = parser.parse_args(argv)
    if args.size > 512:  # the crops come from the 512x512 camera / astronaut
        parser.error(f"--size must be at most 512. Received: {args.size}")

    if not args.no_ray:
        try:
            import ray

            from kerasgen.pipelines.ray import restore_folder_ray
        except ImportError as error:
            raise ImportError(f"{error}: install it (pip install \"kerasgen[ray]\") or pass --no-ray") from error

    root = tempfile.mkdtemp(prefix="kerasgen-folder-bench-")
    rows = []
    try:
        source = os.path.join(root, "in")
        make_folder(source, args.count, args.size, args.colour)
        kind = "RGB" if args.colour else "grey"
        print(f"{args.count} {kind} {args.size}x{args.size} PNG images, {os.cpu_count()} cores")
        if not args.no_ray:
            _, ray_start = timed(ray.init, include_dashboard=False, log_to_driver=False, configure_logging=False)
            print(f"Ray start-up: {ray_start:.1f} s (once per session, not counted below)")
        for method in args.methods:
            options = {"sigma": 25 / 255, "progress": False}
            if method == "unet":
                options.update(model=args.model, batch_size=args.batch_size)
            local_options = dict(options)
            if method != "unet":
                local_options["workers"] = args.workers
            summary, seconds = timed(
                restore_folder, source, os.path.join(root, f"local_{method}"), method, **local_options
            )
            assert summary.failed == 0, summary.failures
            rows.append((method, "folder command", seconds, summary.done / seconds, ""))
            if not args.no_ray:
                summary, ray_seconds = timed(
                    restore_folder_ray, source, os.path.join(root, f"ray_{method}"), method, **options
                )
                assert summary.failed == 0, summary.failures
                overhead = f"{ray_seconds - seconds:+.1f} s ({ray_seconds / seconds - 1:+.0%})"
                rows.append((method, "ray pipeline", ray_seconds, summary.done / ray_seconds, overhead))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print("\n| method | engine | seconds | images/s | overhead vs folder command |")
    print("|---|---|---|---|---|")
    for method, engine, seconds, rate, overhead in rows:
        print(f"| {method} | {engine} | {seconds:.1f} | {rate:.2f} | {overhead} |")


if __name__ == "__main__":
    sys.exit(run(main))
