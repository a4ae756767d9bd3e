"""The learned methods of `kerasgen.restoration.repair_image` (Keras side).

`kerasgen.restoration` is the numpy layer and imports nothing from the rest of
kerasgen; `import kerasgen` registers the methods below with
`kerasgen.restoration.repair.register_method`, and `repair_image` imports this
module the first time one of them is used.
"""

from kerasgen.restoration._validation import check_image


def repair_unet(image, *, channel_axis=None, model=None, tile=None, overlap=32, sigma=None, **method_kwargs):
    """`repair_image(image, "unet", ...)`: the U-Net denoiser of `kerasgen.restore`.

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3), channels last.
        channel_axis: must be None (channels-last images only).
        model: a Keras restorer, or None for the shipped denoiser matching
            the image's channels.
        tile: tile size in pixels, or None for the whole image at once.
        overlap: tile overlap in pixels.
        sigma: noise level in image units, or None to estimate it.
        **method_kwargs: must be empty.

    Returns:
        The restored image, as `kerasgen.restore` returns it.

    Raises:
        ValueError: extra keyword arguments, a `channel_axis`, or an invalid
            image.
    """
    if method_kwargs:
        raise ValueError(f"method='unet' takes no extra keyword arguments. Received: {sorted(method_kwargs)}")
    if channel_axis is not None:
        raise ValueError("method='unet' expects channels-last images; use channel_axis=None.")
    check_image(image)
    # Imported here only: these modules need TensorFlow.
    from kerasgen.inference import restore

    # model=None: restore() picks the shipped denoiser for the image's channels.
    return restore(image, model, tile=tile, overlap=overlap, sigma=sigma)
