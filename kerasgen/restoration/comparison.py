"""Side-by-side comparison of restoration methods: a table and a figure."""

import csv
import dataclasses
import io
import math
import os
import time
import warnings

import numpy as np

from kerasgen.restoration._atomic import atomic_output, check_output_path
from kerasgen.restoration._bm3d_compat import INSTALL_HINT, bm3d_available, import_bm3d
from kerasgen.restoration._checks import check_bool, check_int
from kerasgen.restoration._validation import check_image
from kerasgen.restoration.degradations import upsample
from kerasgen.restoration.metrics import psnr, ssim
from kerasgen.restoration.repair import (
    _REGISTERED,
    DEBLUR_REPAIR_METHODS,
    DENOISE_REPAIR_METHODS,
    INPAINT_REPAIR_METHODS,
    UPSCALE_REPAIR_METHODS,
    method_arguments,
    method_task,
    repair_image,
    repair_methods,
)

_FIGURE_COLUMNS = 4
_BM3D_METHODS = ("bm3d", "bm3d_deblur")

DEGRADED = "degraded"
"""Method name of the table row measuring the degraded input itself."""


@dataclasses.dataclass(frozen=True)
class ComparisonRow:
    """One line of a comparison table.

    Attributes:
        method: the ``repair_image`` method, or "degraded" for the input.
        psnr: PSNR against the clean image, in dB.
        ssim: SSIM against the clean image.
        seconds: wall-clock time of the method (0 for the input); a
            registered (learned) method runs once untimed before, so that
            TensorFlow's import, model loading and graph tracing are left
            out (as is the import of the ``bm3d`` package).

    Example:

    >>> row = ComparisonRow("tv", psnr=28.87, ssim=0.8123, seconds=0.14)
    >>> row.method, row.psnr
    ('tv', 28.87)
    """

    method: str
    psnr: float
    ssim: float
    seconds: float


def default_methods(*, psf=None, mask=None, scale=None, warn=True):
    """The classical methods ``compare`` runs when none are given.

    Denoising methods; the deblurring ones if ``psf`` is given; inpainting if
    ``mask`` is given; upscaling if ``scale`` is given (when several are
    given, ``scale`` wins over ``mask``, ``mask`` over ``psf``). BM3D
    methods are skipped (with a warning) when the optional ``bm3d`` package
    is missing. The learned methods ("unet", "pnp") are never defaults:
    name them.

    Args:
        psf: the blur kernel of the experiment, or None.
        mask: the missing-pixel mask of the experiment, or None.
        scale: the upscaling factor of the experiment, or None.
        warn: whether to warn when BM3D is skipped.

    Returns:
        Tuple of method names.

    Example:

    >>> default_methods(scale=2)
    ('bilinear', 'bicubic')
    """
    if scale is not None:
        return UPSCALE_REPAIR_METHODS
    if mask is not None:
        return INPAINT_REPAIR_METHODS
    methods = DEBLUR_REPAIR_METHODS if psf is not None else DENOISE_REPAIR_METHODS
    if not bm3d_available():
        if warn:
            warnings.warn(
                f"bm3d is not installed, so BM3D is left out of the comparison ({INSTALL_HINT}).", stacklevel=3
            )
        methods = tuple(m for m in methods if not m.startswith("bm3d"))
    return methods


def compare(
    clean,
    degraded,
    methods=None,
    *,
    sigma=None,
    psf=None,
    mask=None,
    scale=None,
    channel_axis=None,
    method_kwargs=None,
    figure=True,
    title=None,
):
    """Runs several restoration methods on one degraded image and scores them.

    Each method goes through ``repair_image`` and is timed; PSNR and SSIM are
    measured against ``clean`` on the unclipped outputs. The first row scores
    the degraded input itself (for upscaling: enlarged by repeating each
    pixel). Each method is given those of ``sigma``, ``psf``, ``mask`` and ``scale``
    that it uses (``repair.method_arguments``), so learned methods compare on
    the same footing: e.g. "pnp" deblurs when ``psf`` is given, inpaints when
    ``mask`` is, upscales when ``scale`` is.

    Args:
        clean: the reference float image, (H, W), (H, W, 1) or (H, W, 3).
        degraded: the degraded version of ``clean``, same shape; with ``scale``,
            the low-resolution image, ``scale`` times smaller (``clean``'s
            height and width must be multiples of ``scale``).
        methods: sequence of ``REPAIR_METHODS`` names (a single name is one
            method), or None for ``default_methods(psf=psf, mask=mask,
            scale=scale)``.
        sigma: noise standard deviation in image units, passed to the
            methods using it: denoising, deblurring, "unet", "pnp" (None:
            each estimates it, or assumes none).
        psf: blur kernel, passed to the deblurring methods.
        mask: missing-pixel mask, passed to the inpainting methods.
        scale: integer upscaling factor, passed to the upscaling methods.
        channel_axis: keyword-only; see ``denoise``.
        method_kwargs: optional dict mapping a method name to a dict of extra
            keyword arguments for it, e.g. ``{"richardson_lucy": {"num_iter": 30}}``;
            not ``channel_axis`` nor the ``sigma``, ``psf``, ``mask`` or ``scale``
            that compare passes to the method itself.
        figure: whether to draw the figure (False returns None instead).
        title: optional figure title.

    Returns:
        Tuple ``(rows, figure)``: a list of ``ComparisonRow`` (the degraded input
        first, then one per method, in order), and a
        ``matplotlib.figure.Figure`` showing clean | degraded | each result
        with PSNR / SSIM / time in the titles (None if ``figure=False``).

    Raises:
        ValueError: invalid images, different shapes (with ``scale``: a
            ``degraded`` that is not ``clean`` shrunk ``scale`` times), an unknown
            method, an empty method list, a ``method_kwargs`` key that is not a
            method name, or an argument in ``method_kwargs`` that compare sets.
        ImportError: a BM3D method requested without the ``bm3d`` package
            (before any method runs).

    Example:

    >>> rows, fig = compare(clean, noisy, ("nl_means", "tv"), sigma=25 / 255)  # doctest: +SKIP
    >>> print(format_table(rows))  # doctest: +SKIP
    """
    clean_array, _ = check_image(clean, name="clean", channel_axis=channel_axis)
    figure = check_bool("figure", figure)
    shown = degraded
    if scale is not None:
        shown = _enlarge(clean_array, degraded, scale, channel_axis)
    psnr(clean, shown, channel_axis=channel_axis)  # validates degraded and the shapes
    if methods is None:
        methods = default_methods(psf=psf, mask=mask, scale=scale)
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    if not methods:
        raise ValueError("methods must name at least one method. Received: methods=()")
    for method in methods:
        method_task(method)  # fail before running anything
    method_kwargs = dict(method_kwargs or {})
    for name in method_kwargs:  # a typo or flat keyword arguments would be ignored
        if name not in repair_methods():
            raise ValueError(
                "method_kwargs must map method names to dicts of keyword arguments, e.g. "
                f"{{'richardson_lucy': {{'num_iter': 30}}}}; {name!r} is not a method. Received: "
                f"method_kwargs={method_kwargs!r:.200}"
            )
    experiment = {"sigma": sigma, "psf": psf, "mask": mask, "scale": scale}
    calls = [_method_call(method, method_kwargs, experiment, channel_axis) for method in methods]  # checked first
    if any(method in _BM3D_METHODS for method in methods):
        import_bm3d()  # a missing package fails now, and its import time is not BM3D's speed
    rows = [_score(clean, shown, DEGRADED, 0.0, channel_axis)]
    images = [check_image(shown, channel_axis=channel_axis)[0]]
    for method, kwargs in zip(methods, calls):
        if method in _REGISTERED:
            # Untimed first call: a learned method's one-off costs (importing
            # TensorFlow, loading the model, tracing its graph) are not its speed.
            repair_image(degraded, method, **kwargs)
        start = time.perf_counter()
        restored = repair_image(degraded, method, **kwargs)
        seconds = time.perf_counter() - start
        rows.append(_score(clean, restored, method, seconds, channel_axis))
        images.append(check_image(restored, channel_axis=channel_axis)[0])
    fig = _draw(clean_array, images, rows, title) if figure else None
    return rows, fig


def _method_call(method, method_kwargs, experiment, channel_axis):
    """The keyword arguments of ``repair_image`` for one method of ``compare``."""
    kwargs = dict(method_kwargs.get(method, {}))
    given = {"channel_axis": channel_axis}
    for argument in method_arguments(method):
        if argument in experiment and (argument == "sigma" or experiment[argument] is not None):
            given[argument] = experiment[argument]
    for argument in given:
        if argument in kwargs:  # it would be silently replaced by compare's own
            raise ValueError(
                f"compare passes {argument}= to method={method!r} itself: give it as compare's own "
                f"{argument}= argument, not in method_kwargs. Received: "
                f"method_kwargs[{method!r}][{argument!r}]={kwargs[argument]!r:.60}"
            )
    kwargs.update(given)
    return kwargs


def _enlarge(clean, degraded, scale, channel_axis):
    """The low-resolution input repeated ``scale`` times along each axis, checked against ``clean``."""
    scale = check_int("scale", scale, minimum=1)
    small, _ = check_image(degraded, name="degraded", channel_axis=channel_axis)
    height, width = clean.shape[:2]
    if height % scale or width % scale or small.shape != (height // scale, width // scale) + clean.shape[2:]:
        raise ValueError(
            f"With scale={scale}, expected clean's height and width to be multiples of {scale} and degraded "
            f"to be clean shrunk {scale} times. Received: clean.shape={clean.shape}, degraded.shape={small.shape}"
        )
    return upsample(degraded, scale, order=0, channel_axis=channel_axis)


def _score(clean, image, method, seconds, channel_axis):
    try:
        similarity = ssim(clean, image, channel_axis=channel_axis)
    except ValueError:  # image smaller than the SSIM window
        similarity = math.nan
    return ComparisonRow(method, psnr(clean, image, channel_axis=channel_axis), similarity, seconds)


def _draw(clean, images, rows, title):
    from matplotlib.figure import Figure

    count = 1 + len(images)
    columns = min(count, _FIGURE_COLUMNS)
    lines = math.ceil(count / columns)
    height, width = clean.shape[:2]
    panel_width = 3.0
    panel_height = panel_width * height / width + 0.5  # room for the title
    fig = Figure(figsize=(panel_width * columns, panel_height * lines), layout="constrained")
    axes = fig.subplots(lines, columns, squeeze=False).ravel()
    for axis in axes[count:]:
        axis.set_axis_off()
    panels = [(clean, "clean")]
    for image, row in zip(images, rows):
        label = f"{row.method}\n{row.psnr:.2f} dB, SSIM {row.ssim:.3f}"
        if row.method != DEGRADED:
            label += f", {row.seconds:.2g} s"
        panels.append((image, label))
    for axis, (image, label) in zip(axes, panels):
        shown = np.clip(image, 0, 1)
        axis.imshow(shown, cmap="gray" if shown.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
        axis.set_title(label, fontsize=9)
        axis.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig


def format_table(rows, *, title=None):
    """Formats comparison rows as an aligned plain-text table.

    Args:
        rows: sequence of ``ComparisonRow`` (as returned by ``compare``).
        title: optional first line.

    Returns:
        The table as a str (no trailing newline).

    Example:

    >>> print(format_table([ComparisonRow("tv", 28.871, 0.8123, 0.14)]))
    method  PSNR (dB)    SSIM  seconds
    tv          28.87  0.8123     0.14
    """
    rows = list(rows)
    width = max([len("method")] + [len(row.method) for row in rows])
    lines = [title] if title else []
    lines.append(f"{'method':<{width}}  {'PSNR (dB)':>9}  {'SSIM':>6}  {'seconds':>7}")
    for row in rows:
        lines.append(f"{row.method:<{width}}  {row.psnr:>9.2f}  {row.ssim:>6.4f}  {row.seconds:>7.2f}")
    return "\n".join(lines)


def save_table(path, rows):
    """Writes comparison rows to a CSV file (atomically).

    Columns: method, psnr, ssim, seconds.

    Args:
        path: output .csv path; its folder must exist.
        rows: sequence of ``ComparisonRow``.

    Returns:
        The path written, as a str.

    Raises:
        FileNotFoundError: if the folder does not exist.
        IsADirectoryError: if ``path`` is a directory.

    Example:

    >>> rows, _ = compare(clean, noisy, sigma=25 / 255, figure=False)  # doctest: +SKIP
    >>> save_table("comparison.csv", rows)  # doctest: +SKIP
    'comparison.csv'
    """
    path = check_output_path(path)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([field.name for field in dataclasses.fields(ComparisonRow)])
    for row in rows:
        writer.writerow([row.method, f"{row.psnr:.4f}", f"{row.ssim:.6f}", f"{row.seconds:.4f}"])
    with atomic_output(path) as file:
        file.write(text.getvalue().encode("utf-8"))
    return path


def save_figure(path, figure, *, dpi=100):
    """Saves a matplotlib figure (atomically); the format follows the extension.

    Args:
        path: output path ending in .png, .pdf, .svg, .jpg or .jpeg; its
            folder must exist.
        figure: a ``matplotlib.figure.Figure``.
        dpi: resolution for raster formats.

    Returns:
        The path written, as a str.

    Raises:
        ValueError: unsupported extension.
        FileNotFoundError: if the folder does not exist.
        IsADirectoryError: if ``path`` is a directory.

    Example:

    >>> rows, figure = compare(clean, noisy, sigma=25 / 255)  # doctest: +SKIP
    >>> save_figure("comparison.png", figure, dpi=150)  # doctest: +SKIP
    'comparison.png'
    """
    path = check_output_path(path)
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in ("png", "pdf", "svg", "jpg", "jpeg"):
        raise ValueError(
            f"Figure format must be png, pdf, svg or jpg. Received: {extension or 'no extension'!r} in {path!r}"
        )
    buffer = io.BytesIO()
    figure.savefig(buffer, format=extension, dpi=dpi)
    with atomic_output(path) as file:
        file.write(buffer.getvalue())
    return path
