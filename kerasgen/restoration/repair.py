"""`repair_image`: one entry point for every restoration method, by name."""

from kerasgen.restoration._validation import check_choice, check_image
from kerasgen.restoration.deblurring import deblur
from kerasgen.restoration.denoising import denoise
from kerasgen.restoration.inpainting import inpaint

# Method name -> (task, name of the method in that task's function).
_METHODS = {
    "bm3d": ("denoise", "bm3d"),
    "nl_means": ("denoise", "nl_means"),
    "tv": ("denoise", "tv"),
    "wavelet": ("denoise", "wavelet"),
    "bilateral": ("denoise", "bilateral"),
    "bm3d_deblur": ("deblur", "bm3d"),
    "richardson_lucy": ("deblur", "richardson_lucy"),
    "wiener": ("deblur", "wiener"),
    "biharmonic": ("inpaint", "biharmonic"),
    "unet": ("learned", "unet"),
}

REPAIR_METHODS = tuple(_METHODS)
"""Names accepted by `repair_image(method=...)`."""

DENOISE_REPAIR_METHODS = tuple(name for name, (task, _) in _METHODS.items() if task == "denoise")
DEBLUR_REPAIR_METHODS = tuple(name for name, (task, _) in _METHODS.items() if task == "deblur")
INPAINT_REPAIR_METHODS = tuple(name for name, (task, _) in _METHODS.items() if task == "inpaint")

# Task -> the `repair_image` keyword arguments its methods use.
_TASK_ARGUMENTS = {
    "denoise": ("sigma",),
    "deblur": ("sigma", "psf"),
    "inpaint": ("mask",),
    "learned": ("model", "tile", "overlap", "sigma"),
}


def method_task(method):
    """Says which task a `repair_image` method performs.

    Args:
        method: one of `REPAIR_METHODS`.

    Returns:
        "denoise", "deblur", "inpaint" or "learned".

    Raises:
        ValueError: unknown method, listing the valid ones.
    """
    check_choice(method, "method", REPAIR_METHODS)
    return _METHODS[method][0]


def method_arguments(method):
    """Says which keyword arguments of `repair_image` a method uses.

    Args:
        method: one of `REPAIR_METHODS`.

    Returns:
        Tuple of argument names, e.g. `("sigma", "psf")` for "wiener".
        Giving any other of `sigma`, `psf`, `mask`, `model`, `tile` raises
        a ValueError in `repair_image`.

    Raises:
        ValueError: unknown method, listing the valid ones.
    """
    return _TASK_ARGUMENTS[method_task(method)]


def repair_image(
    image,
    method="bm3d",
    *,
    sigma=None,
    psf=None,
    mask=None,
    channel_axis=None,
    model=None,
    tile=None,
    overlap=32,
    **method_kwargs,
):
    """Restores an image with any method of the package, chosen by name.

    - Denoising (`denoise`): "bm3d", "nl_means", "tv", "wavelet",
      "bilateral"; use `sigma`.
    - Deblurring (`deblur`, need `psf=`): "bm3d_deblur",
      "richardson_lucy", "wiener"; use `sigma`.
    - Inpainting (`inpaint`, needs `mask=`): "biharmonic".
    - Learned (`kerasgen.inference.restore`): "unet", a U-Net denoiser
      (`model=`, default the shipped noise-level-aware denoiser for the
      image's channels, "unet_denoise_gray" or "unet_denoise_color";
      `sigma=` sets the noise level, None estimates it; `tile=`, `overlap=`
      for large images). Imports TensorFlow, on use only.

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3); values may lie
            outside [0, 1].
        method: one of `REPAIR_METHODS`.
        sigma: noise standard deviation in image units ([0, 1] scale), or
            None to estimate it (denoising, deblurring and "unet").
        psf: point-spread function, for the deblurring methods only.
        mask: bool (H, W) mask of missing pixels, for inpainting only.
        channel_axis: keyword-only; see `denoise`.
        model: Keras model for "unet" (default: the pretrained one).
        tile: tile size for "unet", or None for the whole image at once.
        overlap: tile overlap in pixels for "unet".
        **method_kwargs: passed to the underlying method (e.g.
            `num_iter=30` for "richardson_lucy").

    Returns:
        The restored image, same shape as `image`, not clipped.

    Raises:
        ValueError: unknown method (the message lists the valid ones), a
            missing `psf` / `mask`, an argument the method does not use, or
            an invalid input.
        ImportError: a BM3D method without the `bm3d` package.

    Example:

    >>> restored = repair_image(noisy, "nl_means", sigma=25 / 255)  # doctest: +SKIP
    >>> sharp = repair_image(blurred, "wiener", psf=gaussian_psf(9, 1.6))  # doctest: +SKIP
    """
    task = method_task(method)
    name = _METHODS[method][1]
    _check_unused(method, task, psf=psf, mask=mask, sigma=sigma, model=model, tile=tile)
    if task == "denoise":
        return denoise(image, name, sigma, channel_axis=channel_axis, **method_kwargs)
    if task == "deblur":
        if psf is None:
            raise ValueError(f"method={method!r} needs the blur kernel: pass psf=, e.g. psf=gaussian_psf(9, 1.6).")
        return deblur(image, psf, name, sigma, channel_axis=channel_axis, **method_kwargs)
    if task == "inpaint":
        if mask is None:
            raise ValueError(f"method={method!r} needs mask= (bool (H, W) array, True = missing pixel).")
        return inpaint(image, mask, name, channel_axis=channel_axis, **method_kwargs)
    return _repair_unet(image, channel_axis, model, tile, overlap, sigma, method_kwargs)


def _check_unused(method, task, **arguments):
    used = _TASK_ARGUMENTS[task]
    for argument, value in arguments.items():
        if value is not None and argument not in used:
            raise ValueError(
                f"{argument}= is not used by method={method!r} ({task}). Received: {argument}={value!r:.60}"
            )


def _repair_unet(image, channel_axis, model, tile, overlap, sigma, method_kwargs):
    if method_kwargs:
        raise ValueError(f"method='unet' takes no extra keyword arguments. Received: {sorted(method_kwargs)}")
    if channel_axis is not None:
        raise ValueError("method='unet' expects channels-last images; use channel_axis=None.")
    check_image(image)
    # Imported here only: these modules need TensorFlow.
    from kerasgen.inference import restore

    # model=None: restore() picks the shipped denoiser for the image's channels.
    return restore(image, model, tile=tile, overlap=overlap, sigma=sigma)
