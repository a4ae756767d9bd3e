"""The README figure of plug-and-play restoration: degraded | classical | pnp | clean.

Three rows, on bundled images the denoisers never saw: deblurring of `camera`
(a seeded 21 x 21 camera-shake kernel of `benchmarks/plug_and_play.py`,
reflect boundary, noise 2.55 / 255) against BM3D deblurring (Wiener without
the `bm3d` package); inpainting of `astronaut` with 50% of the pixels missing
against biharmonic; x4 super-resolution of `coffee` against bicubic. Each
image is a 256 x 256 centre crop, restored whole; the panels show its centre
160 x 160 pixels at their own size, with the PSNR of the whole crop. Uses the
shipped denoisers (the grey one per channel for colour images when the colour
one is not installed). The PNG is reduced to 256 colours to stay small.

Usage::

    python benchmarks/plug_and_play_figure.py saved_models/cards/plug_and_play.png
"""

import argparse
import io
import sys

import numpy as np
from _cli import run

SIZE, SHOWN, DPI = 256, 160, 80


def colour_model():
    """The colour prior: None (the shipped colour denoiser) or the grey one, per channel."""
    from kerasgen.pretrained import load_denoiser

    try:
        load_denoiser(3)
        return None, "unet_denoise_color"
    except (FileNotFoundError, OSError):
        return load_denoiser(1), "unet_denoise_gray per channel"


def rows():
    """[(row label, [(panel label, image)...])...] of the three tasks."""
    from plug_and_play import load_images, motion_psf

    from kerasgen import plug_and_play as pnp
    from kerasgen import restoration as R

    images = dict(load_images(["camera", "astronaut", "coffee"], SIZE))
    color, color_name = colour_model()
    noise = 2.55 / 255
    rng = np.random.default_rng(0)
    motion_psf(17, rng)
    psf = motion_psf(21, rng)  # the benchmark's "motion 2 (21x21)"
    clean = images["camera"]
    blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="reflect"), noise, seed=0)
    method = "bm3d" if R.bm3d_available() else "wiener"
    classical = R.deblur(blurred, psf, method, sigma=noise, mode="reflect")
    result = [("deblurring, camera shake 21x21, noise 2.55/255", clean, [
        ("blurred", blurred), (f"{method} deblurring", classical),
        ("pnp (unet_denoise_gray)", pnp.deblur(blurred, psf, sigma=noise)),
    ])]  # fmt: skip
    clean = images["astronaut"]
    mask = R.random_mask(clean.shape, 0.5, seed=0)
    holes = np.where(mask[..., None], 0.0, clean).astype(np.float32)
    result.append(("inpainting, 50% of the pixels missing", clean, [
        ("holes", holes), ("biharmonic", R.inpaint(holes, mask, "biharmonic")),
        (f"pnp ({color_name}{', grey < 10/255' if color is None else ''})", pnp.inpaint(holes, mask, model=color)),
    ]))  # fmt: skip
    clean = images["coffee"]
    small = R.downsample(clean, 4)
    result.append(("super-resolution x4", clean, [
        ("input (pixels repeated)", R.upsample(small, 4, order=0)), ("bicubic", R.upsample(small, 4)),
        (f"pnp ({color_name})", pnp.super_resolve(small, 4, model=color)),
    ]))  # fmt: skip
    return result


def draw(result):
    from matplotlib.figure import Figure

    from kerasgen.restoration import psnr

    panel = SHOWN / DPI
    fig = Figure(figsize=(4 * panel, len(result) * (panel + 0.32)), dpi=DPI)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1, wspace=0.02, hspace=0.0)
    axes = fig.subplots(len(result), 4, squeeze=False, gridspec_kw={"hspace": 0.3})
    start = (SIZE - SHOWN) // 2
    window = (slice(start, start + SHOWN), slice(start, start + SHOWN))
    for line, (task, clean, panels) in zip(axes, result):
        for axis, (label, image) in zip(line, [*panels, ("clean", clean)]):
            image = np.clip(image, 0, 1)
            score = "" if label == "clean" else f"\n{psnr(clean, image):.2f} dB"
            axis.imshow(image[window], cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1,
                        interpolation="nearest")  # fmt: skip
            axis.set_title(f"{label}{score}", fontsize=7, pad=2)
            axis.set_axis_off()
        line[0].text(-0.04, 0.5, task, transform=line[0].transAxes, rotation=90, fontsize=7, ha="right",
                     va="center")  # fmt: skip
    return fig


def save(fig, path):
    from PIL import Image

    from kerasgen.restoration._atomic import atomic_output

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.05)
    buffer.seek(0)
    image = Image.open(buffer).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    with atomic_output(path) as file:
        file.write(output.getvalue())
    print(f"wrote {path} ({len(output.getvalue()) / 1024:.0f} kB, {image.size[0]}x{image.size[1]})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", help="output PNG")
    args = parser.parse_args(argv)
    save(draw(rows()), args.path)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
