"""U-Net restorer throughput on this machine: training patches/s, inference s.

For a few candidate configurations (depth, base_filters, pixel_unshuffle,
patch size, batch size) it times

* training: ``model.train_on_batch`` on a fixed in-memory batch (Adam, MAE),
  after warm-up, so the figure is the model's cost, not the input pipeline's;
* inference: ``kerasgen.inference.restore`` on one 512x512 gray image;

and, once, the throughput of the ``make_restoration_dataset`` pipeline alone
(to check that it is not the bottleneck), plus optionally a tiled restore of
a 4000x3000 image with its peak memory.

The machine may be shared: compare configurations through their ratios.

Usage::

    python benchmarks/unet_throughput.py                # all configurations
    python benchmarks/unet_throughput.py --seconds 2 --only d3-f32-ps2
    python benchmarks/unet_throughput.py --large        # + 4000x3000 tiled
    python benchmarks/unet_throughput.py --csv out.csv  # also write a table
    # float32 vs bfloat16 train step of the shipped v2 denoisers, alternating
    # runs (ratio printed):
    python benchmarks/unet_throughput.py --only v2-gray v2-color \
        --precision float32 mixed_bfloat16 --repeats 3
    # PSNR reached for an equal CPU budget (here 10 CPU-minutes):
    python benchmarks/unet_throughput.py --quality-budget 600 \
        --data ../shared/data/train400 --only d3-f32-ps2 d3-f16-ps1
"""

import argparse
import csv
import io
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from _cli import positive_float, positive_int, run

from kerasgen.data import make_restoration_dataset
from kerasgen.inference import restore
from kerasgen.models import build_unet
from kerasgen.precision import precision_scope

# name: (build_unet kwargs, patch_size, batch_size, jit_compile)
CONFIGS = {
    # The shipped noise-level-aware denoisers (unet_denoise_gray / _color).
    "v2-gray": ({"depth": 4, "base_filters": 16, "noise_level_input": True}, 96, 16, False),
    "v2-color": (
        {"depth": 4, "base_filters": 16, "noise_level_input": True, "image_shape": (None, None, 3)},
        96,
        16,
        False,
    ),
    "d4-f32-ps1": ({"depth": 4, "base_filters": 32}, 64, 16, False),
    "d4-f32-ps1-xla": ({"depth": 4, "base_filters": 32}, 64, 16, True),
    "d3-f32-ps1": ({"depth": 3, "base_filters": 32}, 64, 16, False),
    "d3-f16-ps1": ({"depth": 3, "base_filters": 16}, 64, 16, False),
    "d3-f24-ps1": ({"depth": 3, "base_filters": 24}, 64, 16, False),
    "d4-f16-ps1": ({"depth": 4, "base_filters": 16}, 64, 16, False),
    "d3-f16-ps1-p96": ({"depth": 3, "base_filters": 16}, 96, 16, False),
    "d3-f32-ps2": (
        {"depth": 3, "base_filters": 32, "pixel_unshuffle": 2},
        64,
        16,
        False,
    ),
    "d3-f32-ps2-xla": (
        {"depth": 3, "base_filters": 32, "pixel_unshuffle": 2},
        64,
        16,
        True,
    ),
    "d3-f48-ps2": (
        {"depth": 3, "base_filters": 48, "pixel_unshuffle": 2},
        64,
        16,
        False,
    ),
    "d3-f64-ps2": (
        {"depth": 3, "base_filters": 64, "pixel_unshuffle": 2},
        64,
        16,
        False,
    ),
    "d2-f64-ps2": (
        {"depth": 2, "base_filters": 64, "pixel_unshuffle": 2},
        64,
        16,
        False,
    ),
    "d2-f32-ps2-p40": (
        {"depth": 2, "base_filters": 32, "pixel_unshuffle": 2},
        40,
        16,
        False,
    ),
    "d3-f32-ps2-p48": (
        {"depth": 3, "base_filters": 32, "pixel_unshuffle": 2},
        48,
        16,
        False,
    ),
    "d3-f32-ps2-p96": (
        {"depth": 3, "base_filters": 32, "pixel_unshuffle": 2},
        96,
        16,
        False,
    ),
    "d3-f32-ps2-b8": (
        {"depth": 3, "base_filters": 32, "pixel_unshuffle": 2},
        64,
        8,
        False,
    ),
    "d3-f32-ps2-b32": (
        {"depth": 3, "base_filters": 32, "pixel_unshuffle": 2},
        64,
        32,
        False,
    ),
}


def time_training(
    model_kwargs, patch_size, batch_size, jit_compile, seconds, precision="float32"
):
    """Returns (model, ms per step, patches per second) of train_on_batch."""
    keras.utils.set_random_seed(0)
    with precision_scope(precision):
        model = build_unet(**model_kwargs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="mae", jit_compile=jit_compile
    )
    rng = np.random.default_rng(0)
    channels = model.inputs[0].shape[-1]
    clean = rng.random((batch_size, patch_size, patch_size, channels), np.float32)
    noisy = clean + 0.1 * rng.standard_normal(clean.shape, np.float32)
    if len(model.inputs) == 2:
        noisy = [noisy, np.full((batch_size, 1), 0.1, np.float32)]
    for _ in range(3):  # trace / compile, warm caches
        model.train_on_batch(noisy, clean)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        model.train_on_batch(noisy, clean)
        steps += 1
    elapsed = time.perf_counter() - start
    return model, 1000 * elapsed / steps, steps * batch_size / elapsed


def time_inference(model, size=512, repeats=2):
    """Returns the best-of-``repeats`` seconds of restore() on size x size."""
    shape = (size, size) if model.inputs[0].shape[-1] == 1 else (size, size, 3)
    image = np.random.default_rng(1).random(shape, np.float32)
    restore(image, model)  # warm-up (tracing)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        restore(image, model)
        best = min(best, time.perf_counter() - start)
    return best


def time_pipeline(seconds, patch_size=64, batch_size=16):
    """Returns patches/s of the pairs pipeline on 400 synthetic 180x180 images."""
    clean = np.random.default_rng(2).random((400, 180, 180), np.float32)
    dataset = make_restoration_dataset(
        clean, patch_size=patch_size, batch_size=batch_size, seed=0
    )
    iterator = iter(dataset)
    for _ in range(5):
        next(iterator)
    batches, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(iterator)
        batches += 1
    return batches * batch_size / (time.perf_counter() - start)


def time_large(model, tile=512, overlap=32):
    """Restores a 4000x3000 gray image by tiles; returns (s, peak RSS GiB)."""
    image = np.random.default_rng(3).random((3000, 4000), np.float32)
    start = time.perf_counter()
    restore(image, model, tile=tile, overlap=overlap)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return elapsed, peak_kib / 2**20


class _StopAfterCpuSeconds(keras.callbacks.Callback):
    """Stops training once this process has used ``budget`` CPU seconds."""

    def __init__(self, budget):
        super().__init__()
        self.budget = budget
        self.start = time.process_time()
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.process_time() - self.start >= self.budget:
            self.model.stop_training = True


def psnr_after_cpu_budget(name, data_dir, budget, sigma=25 / 255):
    """Trains config ``name`` for ``budget`` CPU-seconds; PSNR on camera.

    Blind training (sigma 0-55/255, MAE, Adam 1e-3 constant) on the images of
    ``data_dir``; evaluation on ``skimage.data.camera()`` with seeded,
    unclipped Gaussian noise of ``sigma``. Returns (steps, patches, PSNR dB,
    noisy PSNR dB).
    """
    from skimage.data import camera
    from skimage.metrics import peak_signal_noise_ratio

    model_kwargs, patch_size, batch_size, jit_compile = CONFIGS[name]
    keras.utils.set_random_seed(0)
    model = build_unet(**model_kwargs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="mae", jit_compile=jit_compile
    )
    dataset = make_restoration_dataset(
        data_dir, patch_size=patch_size, batch_size=batch_size, seed=0
    )
    stop = _StopAfterCpuSeconds(budget)
    model.fit(
        dataset,
        epochs=1,
        steps_per_epoch=10**9,
        callbacks=[stop],
        verbose=0,
        shuffle=False,
    )
    clean = camera().astype(np.float32) / 255
    noisy = clean + sigma * np.random.default_rng(0).standard_normal(
        clean.shape
    ).astype(np.float32)
    restored = restore(noisy, model)
    return (
        stop.steps,
        stop.steps * batch_size,
        peak_signal_noise_ratio(clean, restored, data_range=1.0),
        peak_signal_noise_ratio(clean, noisy, data_range=1.0),
    )


def compare_precisions(names, precisions, args):
    """Prints ms/step per policy (median of alternating runs) and ratios."""
    print(f"cpus={os.cpu_count()} keras={keras.__version__}", flush=True)
    for name in names:
        model_kwargs, patch_size, batch_size, jit_compile = CONFIGS[name]
        times = {p: [] for p in precisions}
        for _ in range(args.repeats):
            for policy in precisions:
                _, ms, _ = time_training(
                    model_kwargs, patch_size, batch_size, jit_compile, args.seconds, policy
                )
                times[policy].append(ms)
        base = float(np.median(times[precisions[0]]))
        for policy in precisions:
            ms = float(np.median(times[policy]))
            print(
                f"{name} {policy:>15}: {ms:7.1f} ms/step (median of {args.repeats}), "
                f"speed-up vs {precisions[0]}: {base / ms:.2f}x",
                flush=True,
            )
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=positive_float, default=4.0, help="timing window per config"
    )
    parser.add_argument(
        "--only", nargs="*", choices=sorted(CONFIGS), help="configs to run"
    )
    parser.add_argument(
        "--large", action="store_true", help="also time a 4000x3000 tiled restore"
    )
    parser.add_argument("--csv", help="write the table to this CSV file too")
    parser.add_argument(
        "--quality-budget",
        type=positive_float,
        metavar="CPU_SECONDS",
        help="instead of timing, train each --only config for this many CPU "
        "seconds on --data and report PSNR on camera at sigma 25",
    )
    parser.add_argument(
        "--data", help="folder of clean training images (e.g. train400)"
    )
    parser.add_argument(
        "--precision",
        nargs="+",
        metavar="POLICY",
        help="time the train step of each --only config under each of these "
        "policies (float32, mixed_bfloat16, mixed_float16), alternating "
        "--repeats times, and print the speed-up over the first",
    )
    parser.add_argument("--repeats", type=positive_int, default=3, help="with --precision: alternating runs (median)")
    args = parser.parse_args(argv)
    if args.precision and args.quality_budget:
        parser.error("--precision and --quality-budget are different modes: give one")
    if args.data and not args.quality_budget:
        parser.error("--data goes with --quality-budget")
    if args.csv and (args.precision or args.quality_budget):
        parser.error("--csv writes the timing table, which --precision and --quality-budget do not make")
    if args.precision:
        from kerasgen.precision import resolve_precision

        for policy in args.precision:
            try:
                resolve_precision(policy)
            except ValueError as error:
                parser.error(f"--precision: {error}")

    if args.precision:
        return compare_precisions(args.only or ["v2-gray"], args.precision, args)

    if args.quality_budget:
        if not args.data:
            parser.error("--quality-budget needs --data")
        print("config steps patches psnr_camera_s25 noisy_psnr", flush=True)
        for name in args.only or CONFIGS:
            steps, patches, value, noisy = psnr_after_cpu_budget(
                name, args.data, args.quality_budget
            )
            print(f"{name} {steps} {patches} {value:.2f} {noisy:.2f}", flush=True)
        return 0

    print(f"cpus={os.cpu_count()} keras={keras.__version__}", flush=True)
    if args.large:
        # First, so that the peak memory is that of the tiled restore.
        model = build_unet(depth=3, base_filters=32, pixel_unshuffle=2)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        seconds, peak = time_large(model)
        print(
            f"4000x3000 tiled restore (d3-f32-ps2, tile 512): {seconds:.1f} s, "
            f"peak RSS {peak:.2f} GiB (process before: {rss_before:.2f} GiB)",
            flush=True,
        )
    print(f"pairs pipeline: {time_pipeline(args.seconds):.0f} patches/s", flush=True)

    header = [
        "config",
        "params",
        "patch",
        "batch",
        "ms_per_step",
        "patches_per_s",
        "infer_512_s",
    ]
    rows = []
    print(" ".join(f"{h:>14}" for h in header), flush=True)
    for name in args.only or CONFIGS:
        model_kwargs, patch_size, batch_size, jit_compile = CONFIGS[name]
        model, ms, rate = time_training(
            model_kwargs, patch_size, batch_size, jit_compile, args.seconds
        )
        infer = time_inference(model)
        row = [
            name,
            model.count_params(),
            patch_size,
            batch_size,
            f"{ms:.1f}",
            f"{rate:.1f}",
            f"{infer:.3f}",
        ]
        rows.append(row)
        print(" ".join(f"{v!s:>14}" for v in row), flush=True)
    if args.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        temp = f"{args.csv}.partial"
        with open(temp, "w", newline="") as f:
            f.write(buffer.getvalue())
        os.replace(temp, args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
