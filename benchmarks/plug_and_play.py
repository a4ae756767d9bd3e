"""Plug-and-play restoration vs the classical methods: PSNR / SSIM / seconds.

Tasks, on centre crops of scikit-image sample images (or, with --cbsd432-holdout,
of natural photos held out from the denoisers' training):

- deblurring: a Gaussian PSF (9 x 9, std 1.6) and seeded random motion-blur
  kernels (camera-shake trajectories, 17 x 17 / 21 x 21), blur with
  ``mode="reflect"`` (non-periodic, as a real photo), Gaussian noise 2.55 / 255;
  Wiener, Richardson-Lucy and BM3D (`kerasgen.restoration.deblur`) vs
  `kerasgen.plug_and_play.deblur`;
- inpainting: 50% and 80% of the pixels missing at random; biharmonic
  (`kerasgen.restoration.inpaint`) vs `kerasgen.plug_and_play.inpaint`;
- super-resolution x2 and x4 of `kerasgen.restoration.downsample` images;
  bilinear and bicubic spline upscaling (`restoration.upsample`) vs
  `kerasgen.plug_and_play.super_resolve`.

Every result is clipped to [0, 1] before scoring. Timings are wall-clock on a
possibly shared machine (compare them within one run); each pnp solver runs
once per image size before timing, so that graph tracing and first-call
costs are not counted.

Grey images use the grey denoiser, colour images the colour one (the shipped
`unet_denoise_gray` / `unet_denoise_color` unless --model / --color-model are
given; without a colour model, the grey one restores each channel, as the
summary says). The run ends with a summary per task and setting, grey and
colour images apart: mean PSNR of the input, of the best classical method
(the one with the highest mean) and of pnp, pnp's gain, and the seconds per
image of both (--markdown prints it as a Markdown table).

Usage::

    python benchmarks/plug_and_play.py                         # shipped denoisers
    python benchmarks/plug_and_play.py --model runs/x/best.keras --quick
    python benchmarks/plug_and_play.py --tasks deblur --csv pnp.csv
    python benchmarks/plug_and_play.py --images camera,coins,moon --markdown
    python benchmarks/plug_and_play.py --cbsd432-holdout ../shared/data/cbsd432 --gray --limit 8
"""

import argparse
import csv
import io
import statistics
import sys
import time

import numpy as np
from _cli import comma_list, existing_dir, non_negative_int, positive_int, run, skimage_image

DEFAULT_IMAGES = ("camera", "astronaut", "coins", "moon", "chelsea")
QUICK_IMAGES = ("camera", "astronaut")
TASKS = ("deblur", "inpaint", "upscale")
NOISE = 2.55 / 255


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="denoiser .keras file taking [images, noise_sigma] (default: the shipped ones; "
                             "a 1-channel model denoises colour images channel by channel)")  # fmt: skip
    parser.add_argument("--color-model", default=None, metavar="PATH",
                        help="denoiser .keras file for the colour images (default: --model)")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="2 images, 128 x 128 crops, 1 motion kernel, one setting per task")  # fmt: skip
    parser.add_argument("--images", type=comma_list(skimage_image, "skimage.data image names"), default=None,
                        help=f"comma-separated skimage.data names (default {','.join(DEFAULT_IMAGES)})")  # fmt: skip
    parser.add_argument("--cbsd432-holdout", default=None, metavar="DIR", type=existing_dir,
                        help="instead of --images: natural photos the denoisers never saw, the cbsd432 images held "
                             "out from their training (benchmarks/denoiser_training.py, seed 0) and not used to "
                             "validate it (as benchmarks/restoration.py --cbsd432-holdout)")  # fmt: skip
    parser.add_argument("--limit", type=positive_int, default=None, help="with --cbsd432-holdout: the first N of them (default 8)")
    parser.add_argument("--gray", action="store_true", help="with --cbsd432-holdout: grey versions (luma)")
    parser.add_argument("--crop", type=positive_int, default=None, help="centre crop size (default 256, 128 with --quick)")
    parser.add_argument("--motion-kernels", type=non_negative_int, default=None, help="number of motion kernels (default 4)")
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated subset of {','.join(TASKS)}")
    parser.add_argument("--precision", default="auto",
                        help="arithmetic of the denoiser's inner layers: auto (default: bfloat16 where the CPU has "
                             "it), float32, mixed_bfloat16 or mixed_float16")  # fmt: skip
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of noise, masks and kernels (default 0)")
    parser.add_argument("--csv", default=None, metavar="PATH", help="also write all rows to this CSV file")
    parser.add_argument("--markdown", action="store_true", help="print the summary as a Markdown table")
    args = parser.parse_args(argv)
    args.images = args.images or list(QUICK_IMAGES if args.quick else DEFAULT_IMAGES)
    args.crop = args.crop or (128 if args.quick else 256)
    if args.motion_kernels is None:
        args.motion_kernels = 1 if args.quick else 4
    tasks = [task.strip() for task in args.tasks.split(",") if task.strip()]
    if not tasks or any(task not in TASKS for task in tasks):
        parser.error(f"--tasks must be some of {', '.join(TASKS)}. Received: {args.tasks!r}")
    args.tasks = tasks
    from kerasgen.precision import resolve_precision

    try:
        resolve_precision(args.precision)
    except ValueError as error:
        parser.error(f"--precision: {error}")
    return args


def holdout_images(folder, limit, gray):
    """[(name, float32 image)]: the first ``limit`` held-out test photos of cbsd432."""
    import os

    from skimage.color import rgb2gray

    from kerasgen.restoration import read_image

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from denoiser_training import holdout_files

    # The first 8 held-out images validated the training (best checkpoint): use the other 24.
    files = holdout_files(folder, 32)[1][8:][:limit]
    images = [(os.path.splitext(os.path.basename(f))[0], read_image(f)) for f in files]
    if gray:
        images = [(name, rgb2gray(image).astype(np.float32)) for name, image in images]
    return images


def load_images(names, crop, holdout=None, limit=8, gray=False):
    from skimage import data, img_as_float32

    if holdout is not None:
        named = holdout_images(holdout, limit, gray)
    else:
        named = [(name, img_as_float32(getattr(data, name)())) for name in names]
    images = []
    for name, image in named:
        if image.ndim == 3 and image.shape[-1] == 4:
            image = image[..., :3]
        height, width = image.shape[:2]
        top, left = max(0, (height - crop) // 2), max(0, (width - crop) // 2)
        images.append((name, np.ascontiguousarray(image[top : top + crop, left : left + crop])))
    return images


def motion_psf(size, rng, segments=48):
    """A camera-shake kernel: a smooth random trajectory, rasterised.

    The direction of motion turns by a random (normally distributed, with
    inertia) angle per segment, with rare sharp jerks, after Boracchi and Foi
    2012; the path is scaled to span 60-100% of the kernel, splatted with
    bilinear weights (10 samples per segment), shifted so that its centroid
    sits at the kernel centre, and normalised to sum 1.
    """
    from scipy import ndimage

    angle, turn = rng.uniform(0, 2 * np.pi), 0.0
    position, points = np.zeros(2), []
    for _ in range(segments):
        turn = 0.7 * turn + 0.25 * rng.standard_normal()
        if rng.random() < 0.04:
            turn += rng.choice([-1, 1]) * rng.uniform(1.0, 2.5)
        angle += turn
        step = np.array([np.sin(angle), np.cos(angle)])
        points.extend(position + step * t for t in np.linspace(0, 1, 10, endpoint=False))
        position = position + step
    points = np.array(points) - np.mean(points, axis=0)
    extent = np.abs(points).max()
    points *= (size / 2 - 2) / max(extent, 1e-9) * rng.uniform(0.6, 1.0)
    points += (size - 1) / 2
    kernel = np.zeros((size, size))
    for y, x in points:
        y0, x0 = int(np.floor(y)), int(np.floor(x))
        fy, fx = y - y0, x - x0
        for dy, dx, weight in ((0, 0, (1 - fy) * (1 - fx)), (1, 0, fy * (1 - fx)), (0, 1, (1 - fy) * fx),
                               (1, 1, fy * fx)):  # fmt: skip
            if 0 <= y0 + dy < size and 0 <= x0 + dx < size:
                kernel[y0 + dy, x0 + dx] += weight
    centre = ndimage.center_of_mass(kernel)
    kernel = ndimage.shift(kernel, ((size - 1) / 2 - centre[0], (size - 1) / 2 - centre[1]), order=1)
    kernel = np.clip(kernel, 0, None)
    return kernel / kernel.sum()


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return np.clip(result, 0, 1), time.perf_counter() - start


class Runner:
    """Scores methods on one setting and keeps the rows."""

    def __init__(self, models, precision):
        self.models = models
        self.precision = precision
        self.rows = []
        self._warm = set()

    def model_for(self, image):
        return self.models[3 if image.ndim == 3 else 1]

    def warm_up(self, function, image, *args, **kwargs):
        key = (function.__name__, image.shape)
        if key not in self._warm:  # a whole run: every shape and flip the timed run meets
            function(image, *args, **kwargs)
            self._warm.add(key)

    def add(self, task, setting, name, method, clean, restored, seconds):
        from kerasgen.restoration import psnr, ssim

        self.rows.append({"task": task, "setting": setting, "image": name, "colour": clean.ndim == 3,
                          "method": method, "psnr": psnr(clean, restored), "ssim": ssim(clean, restored),
                          "seconds": seconds})  # fmt: skip


def run_deblur(runner, images, kernels, seed):
    from kerasgen import plug_and_play as pnp
    from kerasgen import restoration as R

    methods = ["wiener", "richardson_lucy"] + (["bm3d"] if R.bm3d_available() else [])
    for setting, psf in kernels:
        for index, (name, clean) in enumerate(images):
            blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="reflect"), NOISE, seed=seed + index)
            runner.add("deblur", setting, name, "blurred", clean, np.clip(blurred, 0, 1), 0.0)
            for method in methods:
                restored, seconds = timed(R.deblur, blurred, psf, method, sigma=NOISE, mode="reflect")
                runner.add("deblur", setting, name, method, clean, restored, seconds)
            model = runner.model_for(clean)
            runner.warm_up(pnp.deblur, blurred, psf, sigma=NOISE, model=model, precision=runner.precision)
            restored, seconds = timed(pnp.deblur, blurred, psf, sigma=NOISE, model=model, precision=runner.precision)
            runner.add("deblur", setting, name, "pnp", clean, restored, seconds)
        report(runner, "deblur", setting)


def run_inpaint(runner, images, fractions, seed):
    from kerasgen import plug_and_play as pnp
    from kerasgen import restoration as R

    for fraction in fractions:
        setting = f"{fraction:.0%} missing"
        for index, (name, clean) in enumerate(images):
            mask = R.random_mask(clean.shape, fraction, seed=seed + index)
            holes = np.where(mask if clean.ndim == 2 else mask[..., None], 0, clean).astype(np.float32)
            runner.add("inpaint", setting, name, "holes", clean, holes, 0.0)
            restored, seconds = timed(R.inpaint, holes, mask, "biharmonic")
            runner.add("inpaint", setting, name, "biharmonic", clean, restored, seconds)
            model = runner.model_for(clean)
            runner.warm_up(pnp.inpaint, holes, mask, model=model, precision=runner.precision)
            restored, seconds = timed(pnp.inpaint, holes, mask, model=model, precision=runner.precision)
            runner.add("inpaint", setting, name, "pnp", clean, restored, seconds)
        report(runner, "inpaint", setting)


def run_upscale(runner, images, scales):
    from kerasgen import plug_and_play as pnp
    from kerasgen import restoration as R

    for scale in scales:
        setting = f"x{scale}"
        for name, clean in images:
            small = R.downsample(clean, scale)
            for method, order in (("bilinear", 1), ("bicubic", 3)):
                restored, seconds = timed(R.upsample, small, scale, order=order)
                runner.add("upscale", setting, name, method, clean, restored, seconds)
            model = runner.model_for(clean)
            runner.warm_up(pnp.super_resolve, small, scale, model=model, precision=runner.precision)
            restored, seconds = timed(pnp.super_resolve, small, scale, model=model, precision=runner.precision)
            runner.add("upscale", setting, name, "pnp", clean, restored, seconds)
        report(runner, "upscale", setting)


def report(runner, task, setting):
    rows = [row for row in runner.rows if row["task"] == task and row["setting"] == setting]
    methods = list(dict.fromkeys(row["method"] for row in rows))
    images = list(dict.fromkeys(row["image"] for row in rows))
    print(f"\n{task}, {setting}: PSNR (dB) per image, mean PSNR / SSIM / seconds")
    header = "  ".join(f"{name[:9]:>9}" for name in images)
    print(f"  {'method':<16} {header}  {'PSNR':>6} {'SSIM':>6} {'seconds':>8}")
    for method in methods:
        selected = [row for row in rows if row["method"] == method]
        values = "  ".join(f"{row['psnr']:>9.2f}" for row in selected)
        mean = {key: statistics.fmean(row[key] for row in selected) for key in ("psnr", "ssim", "seconds")}
        print(f"  {method:<16} {values}  {mean['psnr']:>6.2f} {mean['ssim']:>6.3f} {mean['seconds']:>8.2f}")
    sys.stdout.flush()


# Rows that score the degraded input, per task (not a method).
INPUT_ROWS = {"deblur": "blurred", "inpaint": "holes", "upscale": None}


def summarize(rows, markdown=False):
    """Prints, per task / setting / grey-or-colour group: input, best classical, pnp (means)."""
    groups = list(dict.fromkeys((row["task"], row["setting"], row["colour"]) for row in rows))
    lines = []
    header = ["task", "setting", "images", "input", "best classical", "pnp", "gain", "classical s", "pnp s"]
    for task, setting, colour in groups:
        selected = [row for row in rows if (row["task"], row["setting"], row["colour"]) == (task, setting, colour)]
        images = list(dict.fromkeys(row["image"] for row in selected))

        def mean(method, key, selected=selected):
            return statistics.fmean(row[key] for row in selected if row["method"] == method)

        methods = list(dict.fromkeys(row["method"] for row in selected))
        classical = [m for m in methods if m not in ("pnp", INPUT_ROWS[task])]
        best = max(classical, key=lambda m: mean(m, "psnr"))
        source = INPUT_ROWS[task]
        shown = f"{mean(source, 'psnr'):.2f}" if source else "-"
        lines.append([task, setting, f"{'colour' if colour else 'grey'} ({len(images)})", shown,
                      f"{best} {mean(best, 'psnr'):.2f} / {mean(best, 'ssim'):.3f}",
                      f"{mean('pnp', 'psnr'):.2f} / {mean('pnp', 'ssim'):.3f}",
                      f"{mean('pnp', 'psnr') - mean(best, 'psnr'):+.2f}", f"{mean(best, 'seconds'):.2f}",
                      f"{mean('pnp', 'seconds'):.2f}"])  # fmt: skip
    print("\nsummary: mean PSNR (dB) / SSIM per image group; gain = pnp - best classical")
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
    for line in [header, *lines]:
        print("  ".join(f"{x:<{w}}" for x, w in zip(line, widths)))


def load_models(path, color_path):
    """{channels: model or None (the shipped one)}; says which denoiser colour images get."""
    import keras

    import kerasgen.models  # noqa: F401  (registers the custom layers)
    from kerasgen.pretrained import load_denoiser

    gray = keras.saving.load_model(path, compile=False) if path else None
    if color_path:
        return {1: gray, 3: keras.saving.load_model(color_path, compile=False)}
    if path:
        print("colour images: the --model denoiser, channel by channel")
        return {1: gray, 3: gray}
    try:
        color = load_denoiser(3)
    except (FileNotFoundError, OSError) as error:
        print(f"colour images: the shipped grey denoiser channel by channel ({error.__class__.__name__}: "
              "no shipped colour denoiser)")  # fmt: skip
        return {1: None, 3: load_denoiser(1)}
    print(f"colour images: the shipped {color.name} (inpainting: the shipped grey one, channel by channel, "
          "below 10/255)")  # fmt: skip
    return {1: None, 3: None}


def write_csv(path, rows):
    from kerasgen.restoration._atomic import atomic_output

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_output(path) as file:
        file.write(text.getvalue().encode("utf-8"))
    print(f"\nwrote {path}")


def main(argv=None):
    args = parse_args(argv)
    from kerasgen import restoration as R

    images = load_images(args.images, args.crop, args.cbsd432_holdout, args.limit or 8, args.gray)
    runner = Runner(load_models(args.model, args.color_model), args.precision)
    rng = np.random.default_rng(args.seed)
    kernels = [("gaussian 9x9 std 1.6", R.gaussian_psf(9, 1.6))]
    for index in range(args.motion_kernels):
        size = (17, 21)[index % 2]
        kernels.append((f"motion {index + 1} ({size}x{size})", motion_psf(size, rng)))
    shapes = ", ".join(f"{name} {image.shape}" for name, image in images)
    print(f"images: {shapes}\nmodel: {args.model or 'shipped'}"
          f"{f', colour: {args.color_model}' if args.color_model else ''}, precision: {args.precision}"
          "\nnoise (deblur): 2.55 / 255")  # fmt: skip
    total = time.perf_counter()
    if "deblur" in args.tasks:
        run_deblur(runner, images, kernels, args.seed)
    if "inpaint" in args.tasks:
        run_inpaint(runner, images, (0.5,) if args.quick else (0.5, 0.8), args.seed)
    if "upscale" in args.tasks:
        run_upscale(runner, images, (4,) if args.quick else (2, 4))
    summarize(runner.rows, markdown=args.markdown)
    if args.csv:
        write_csv(args.csv, runner.rows)
    print(f"\ntotal time: {time.perf_counter() - total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
