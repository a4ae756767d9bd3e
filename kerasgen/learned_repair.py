"""The learned methods of `kerasgen.restoration.repair_image` (Keras side).

`kerasgen.restoration` is the numpy layer and imports nothing from the rest of
kerasgen; `import kerasgen` registers the methods below with
`kerasgen.restoration.repair.register_method`, and `repair_image` imports this
module the first time one of them is used.
"""

from kerasgen.restoration._validation import check_image


def repair_unet(
    image, *, channel_axis=None, model=None, tile=None, overlap=None, sigma=None, self_ensemble=1, **method_kwargs
):
    """`repair_image(image, "unet", ...)`: the U-Net denoiser of `kerasgen.restore`.

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3) (channels last
            unless `channel_axis` says otherwise).
        channel_axis: see `kerasgen.restoration.denoise`.
        model: a Keras restorer, or None for the shipped denoiser matching
            the image's channels.
        tile: tile size in pixels, or None for the whole image at once.
        overlap: tile overlap in pixels; None: as `kerasgen.restore` (32,
            lowered to fit a model with a fixed input size).
        sigma: noise level in image units, or None to estimate it.
        self_ensemble: 1, 2, 4 or 8 flips / rotations averaged (see
            `kerasgen.restore`).
        **method_kwargs: must be empty.

    Returns:
        The restored float32 image, in the layout of `image`.

    Raises:
        ValueError: extra keyword arguments, or an invalid image or
            `channel_axis`.
    """
    if method_kwargs:
        raise ValueError(
            "method='unet' takes no extra keyword arguments but self_ensemble. "
            f"Received: {sorted(method_kwargs)}"
        )
    check_image(image, channel_axis=channel_axis)
    # Imported here only: these modules need TensorFlow.
    from kerasgen.inference import restore

    # model=None: restore() picks the shipped denoiser for the image's channels.
    return restore(
        image, model, tile=tile, overlap=overlap, sigma=sigma, self_ensemble=self_ensemble, channel_axis=channel_axis
    )


def repair_pnp(
    image, *, channel_axis=None, psf=None, mask=None, scale=None, sigma=None, model=None, **method_kwargs
):
    """`repair_image(image, "pnp", ...)`: plug-and-play restoration.

    The degradation chooses the task, so exactly one of `psf`, `mask` and
    `scale` must be given:

    - `psf=`: deblurring, `kerasgen.plug_and_play.deblur` (the blur's
      boundary model defaults to "reflect", as for a photo; pass
      ``mode="wrap"`` for an image blurred periodically);
    - `mask=`: inpainting, `kerasgen.plug_and_play.inpaint`;
    - `scale=`: super-resolution, `kerasgen.plug_and_play.super_resolve`
      (the result is `scale` times larger).

    Args:
        image: float image in [0, 1], (H, W), (H, W, 1) or (H, W, 3).
        channel_axis: see `kerasgen.restoration.denoise`.
        psf: 2-D blur kernel summing to 1, for deblurring.
        mask: bool (H, W) array, True where a pixel is missing, for
            inpainting.
        scale: int >= 2, for super-resolution.
        sigma: noise standard deviation of `image` in image units; None
            estimates it for deblurring
            (`kerasgen.restoration.estimate_noise_sigma`, 0 for a constant
            image) and means 0 for inpainting and super-resolution.
        model: the denoiser used as the prior (None: the shipped one for the
            image's channels); see `kerasgen.plug_and_play.deblur`.
        **method_kwargs: passed to the plug-and-play function (e.g.
            ``iterations=``, ``mode=``, ``sigma_start=``).

    Returns:
        The restored float32 image, clipped to [0, 1].

    Raises:
        ValueError: none or several of `psf`, `mask`, `scale`, invalid
            arguments, or a noise level estimated with ``sigma=None`` that is
            not a valid sigma (the message says to pass ``sigma=``).
    """
    given = [name for name, value in (("psf", psf), ("mask", mask), ("scale", scale)) if value is not None]
    if len(given) != 1:
        received = f"{' and '.join(given)} given" if given else "none given"
        raise ValueError(
            "method='pnp' needs exactly one degradation, which chooses the task: psf= (deblurring), "
            f"mask= (inpainting) or scale= (super-resolution). Received: {received}"
        )
    # Imported here only: plug-and-play needs TensorFlow.
    from kerasgen import plug_and_play

    options = dict(model=model, channel_axis=channel_axis, **method_kwargs)
    if psf is not None:
        if sigma is None:
            from kerasgen.inference import _check_estimated_sigma
            from kerasgen.restoration.noise_level import estimate_noise_sigma

            sigma = _check_estimated_sigma(estimate_noise_sigma(image, channel_axis=channel_axis))
        return plug_and_play.deblur(image, psf, sigma=sigma, **options)
    sigma = 0.0 if sigma is None else sigma
    if mask is not None:
        return plug_and_play.inpaint(image, mask, sigma=sigma, **options)
    return plug_and_play.super_resolve(image, scale, sigma=sigma, **options)
