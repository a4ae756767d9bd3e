"""Whole-image and tiled inference with a learned restorer (e.g. a U-Net)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import numbers

import keras
import numpy as np

from kerasgen._checks import check_int, check_keras_model
from kerasgen._symmetry import ENSEMBLES, check_self_ensemble, flip_rotate
from kerasgen.layers import PixelUnshuffle
from kerasgen.precision import check_precision, inference_model
from kerasgen.restoration._validation import check_image, check_sigma

# Default minimum overlap of neighbouring tiles (lowered to fit a model with
# a fixed input size).
_DEFAULT_OVERLAP = 32


def restore(
    image,
    model=None,
    *,
    tile=None,
    overlap=None,
    sigma=None,
    batch_size=4,
    self_ensemble=1,
    precision="float32",
    channel_axis=None,
):
    """Restores one image with an image-to-image model, optionally by tiles.

    The image is reflect-padded to a multiple of the model's size multiple
    (see :func:`size_multiple`; ``2**depth * pixel_unshuffle`` for
    :func:`kerasgen.models.build_unet`), run through the model and cropped
    back, then clipped to ``[0, 1]``.

    With ``tile=T`` the padded image is cut into overlapping ``T x T`` tiles
    (``T`` rounded up to the size multiple; tile corners on the size-multiple
    grid so that strided layers see the same pixel phase as on the whole
    image), run ``batch_size`` tiles at a time, and blended: on a side shared
    with another tile, a tile's weight is 0 over the first ``overlap / 4``
    pixels (where zero padding corrupts the features), ramps linearly to 1
    over the next ``overlap / 2`` pixels, and the weighted outputs are
    normalised by the summed weights. Away from seams the result equals the
    untiled one; at seams they agree to within the model's sensitivity to
    context farther than ``overlap / 4``. Memory is bounded by the tile size
    (plus the float32 output and weight buffers of the image size), e.g.
    ``tile=512`` for multi-megapixel photos: whole, the shipped denoisers
    need about 0.45 GB per megapixel (a 4000 x 3000 colour photo peaked at
    6.5 GB, 1.8 GB with ``tile=512``).

    A model with fixed input height and width is always run by tiles of that
    size (with ``overlap=None``, the overlap is lowered to fit them).

    ``self_ensemble=K`` (geometric self-ensemble, as in DnCNN / DRUNet's
    "x8") runs the model on ``K`` flipped / rotated copies of the image,
    undoes each transform and averages the results: about +0.1 dB for the
    shipped denoisers (more at low noise), for ``K`` times the time.

    Channels: a grey image given to a 3-channel model is run as RGB with
    three equal channels and the mean of the output channels is returned; a
    colour image given to a 1-channel model is restored one channel at a time
    (each channel's noise level estimated separately when ``sigma`` is
    ``None``). Images with other channel counts (RGBA, 2 channels, a
    channels-first array read as channels-last) are refused by the shipped
    and 1-channel models.

    Args:
        image: Float numpy array ``(H, W)`` (gray) or ``(H, W, C)``, values
            nominally in ``[0, 1]`` (noisy values slightly out of range are
            fine); finite. With ``model=None`` or a 1-channel model, ``C`` is
            1 or 3.
        model: A ``keras.Model`` mapping ``(batch, H, W, C)`` images to images
            of the same shape; with two inputs, the second is the noise
            standard deviation ``(batch, 1)`` (``noise_level_input=True``).
            ``None`` (default): the shipped denoiser for the image's
            channels, ``"unet_denoise_gray"`` or ``"unet_denoise_color"``
            (see :func:`kerasgen.pretrained.load_denoiser`).
        tile: ``None`` (whole image at once) or int > ``2 * overlap``.
        overlap: Int >= 0, minimum overlap between neighbouring tiles.
            ``None`` (default): 32, lowered for a model with a fixed input
            size ``S`` to the largest that fits, ``(S - 1) // 2`` and at
            most ``S`` minus the size multiple (tile corners lie on the
            size-multiple grid). Tiles too small to overlap by ``overlap``
            on that grid are refused.
        sigma: Noise standard deviation in image units (e.g. ``25 / 255``),
            in ``[0, 1]``, for a model with a noise-level input: a larger
            value smooths more, a smaller one keeps more detail. ``None``:
            estimated with
            :func:`kerasgen.restoration.estimate_noise_sigma` (Liu et al.'s
            weak-texture estimator; 0 for a constant image). Must be
            ``None`` for a model without that input.
        batch_size: Int >= 1, tiles per model call.
        self_ensemble: 1 (default, off), 2, 4 or 8: the number of
            flips / rotations of the image averaged.
        precision: Keyword-only. Arithmetic of the model's inner layers
            (:func:`kerasgen.precision.inference_model`): ``"float32"``
            (default, the figures of the model cards), ``"auto"`` (bfloat16
            on CPUs with native bfloat16 instructions, float32 elsewhere),
            ``"mixed_bfloat16"`` or ``"mixed_float16"``. Measured with the
            shipped grey denoiser on 8 held-out photos: ``"mixed_bfloat16"``
            is 1.4-1.5x faster, within 0.002 dB of float32 at sigma 5-50 and
            0.007 dB at sigma 1 / 255.
        channel_axis: Keyword-only. Axis holding the channels of a 3-D
            image; None (default) as -1: channels last, as in
            `kerasgen.restoration` (and, as there, refused for a 2-D image).

    Returns:
        A float32 array of the shape of ``image``, clipped to ``[0, 1]``.

    Raises:
        ValueError: If the image is not a finite float array of rank 2 or 3,
            its channels do not match the model (or are not 1 or 3 for the
            shipped or a 1-channel model), ``tile``/``overlap``/
            ``sigma``/``batch_size``/``self_ensemble``/``precision`` is
            invalid, the noise level estimated with ``sigma=None`` is not a
            valid sigma, or ``model`` does not take 4-D images.
        TypeError: If ``image`` is not a numpy array, ``model`` not a
            ``keras.Model``, or ``tile``/``overlap``/``batch_size``/
            ``channel_axis`` not an int.

    Example:

    >>> import numpy as np
    >>> from kerasgen.models import build_unet
    >>> model = build_unet(depth=2, base_filters=4)
    >>> noisy = np.random.default_rng(0).random((37, 53))
    >>> restore(noisy, model).shape
    (37, 53)
    >>> restore(noisy, model, tile=24, overlap=8).shape
    (37, 53)
    >>> restore(noisy, model, self_ensemble=4).shape
    (37, 53)
    """
    image = _check_image(image)
    transforms = ENSEMBLES[check_self_ensemble(self_ensemble)]
    check_precision(precision)
    gray = image.ndim == 2
    if gray:
        if channel_axis is not None:  # refused for a 2-D image, as in kerasgen.restoration
            check_int("channel_axis", channel_axis)
            check_image(image, channel_axis=channel_axis)
        work = image[..., None]
    else:
        channel_axis = -1 if channel_axis is None else channel_axis
        if not -3 <= check_int("channel_axis", channel_axis) < 3:
            raise ValueError(
                "channel_axis must be in [-3, 2] for a 3-D image. "
                f"Received: channel_axis={channel_axis!r}"
            )
        work = np.moveaxis(image, channel_axis, -1)
    if model is None:
        from kerasgen.pretrained import load_denoiser

        model = load_denoiser(3 if work.shape[-1] == 3 else 1)
    image_input, has_sigma_input = _check_model(model)
    model_channels = image_input.shape[-1]
    fixed_size = tuple(image_input.shape[1:3])
    if model_channels == 1 and work.shape[-1] not in (1, 3):
        # Refused as kerasgen.restoration refuses it (hints for RGBA and
        # channels-first arrays), not restored channel by channel; channels
        # last is its default (None), which gives the channels-first hint.
        check_image(image, channel_axis=None if channel_axis in (-1, 2) else channel_axis)
    if overlap is None:
        # Tile corners lie on the size-multiple grid, so fixed-size tiles
        # overlap by at most size - multiple pixels.
        multiple = size_multiple(model)
        overlap = min(
            [_DEFAULT_OVERLAP]
            + [max(0, min((size - 1) // 2, size - multiple)) for size in fixed_size if size is not None]
        )
    options = dict(
        tile=tile, overlap=overlap, sigma=sigma, batch_size=batch_size,
        self_ensemble=self_ensemble, precision=precision,
    )  # fmt: skip
    if model_channels == 3 and work.shape[-1] == 1:
        restored = restore(np.repeat(work, 3, axis=-1), model, **options)
        restored = restored.mean(axis=-1, keepdims=True)
        return restored[..., 0] if gray else np.moveaxis(restored, -1, channel_axis)
    if model_channels == 1 and work.shape[-1] > 1:
        restored = np.stack(
            [restore(work[..., c], model, **options) for c in range(work.shape[-1])],
            axis=-1,
        )
        return np.moveaxis(restored, -1, channel_axis)
    if model_channels is not None and work.shape[-1] != model_channels:
        raise ValueError(
            f"The model expects images with {model_channels} channel(s). "
            f"Received: image.shape={image.shape} ({work.shape[-1]} channel(s)"
            f"{', gray' if gray else ''})"
        )
    overlap = check_int("overlap", overlap, minimum=0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if tile is not None and check_int("tile", tile, minimum=1) <= 2 * overlap:
        raise ValueError(
            "tile must be None or an int larger than 2 * overlap. "
            f"Received: tile={tile!r}, overlap={overlap}"
        )
    sigma = _check_sigma(sigma, has_sigma_input, work, gray)
    run = dict(
        model=inference_model(model, precision), tile=tile, overlap=overlap, sigma=sigma, batch_size=batch_size,
        fixed_size=fixed_size, has_sigma_input=has_sigma_input,
    )  # fmt: skip
    output = sum(
        flip_rotate(_run_model(flip_rotate(work, k), **run), k, inverse=True) for k in transforms
    ) / len(transforms)
    np.clip(output, 0.0, 1.0, out=output)
    if gray:
        return output[..., 0]
    return np.moveaxis(output, -1, channel_axis)


def _run_model(work, *, model, tile, overlap, sigma, batch_size, fixed_size, has_sigma_input):
    """The model's unclipped float32 output for ``work`` (H, W, C), tiled if asked."""
    multiple = size_multiple(model)
    height, width = work.shape[:2]
    tile_sizes, padded_sizes = [], []
    for size, fixed, axis in zip((height, width), fixed_size, ("height", "width")):
        padded = -(-size // multiple) * multiple
        if fixed is not None:
            if tile is not None and tile != fixed:
                raise ValueError(
                    f"The model only accepts a {axis} of {fixed}, so tiles "
                    f"must be {fixed} pixels. Received: tile={tile}"
                )
            if fixed <= 2 * overlap:
                raise ValueError(
                    f"The model's fixed {axis} {fixed} must be larger than 2 * "
                    f"overlap. Received: overlap={overlap}"
                )
            padded = max(padded, fixed)
            tile_size = fixed
        elif tile is None:
            tile_size = padded
        else:
            tile_size = min(-(-tile // multiple) * multiple, padded)
        if tile_size < padded and tile_size - overlap < multiple:
            # Tile corners lie on multiples of `multiple`: such tiles would
            # overlap by less than `overlap` (abut, for tile_size ==
            # multiple), leaving pixels of zero total weight (NaN).
            raise ValueError(
                f"Tiles of {tile_size} pixels (rounded up to the model's size multiple {multiple}) "
                f"cannot overlap by {overlap} pixels: tile corners lie on multiples of {multiple}. "
                f"Pass tile >= {overlap + multiple} or a smaller overlap. "
                f"Received: tile={tile}, overlap={overlap}"
            )
        tile_sizes.append(tile_size)
        padded_sizes.append(padded)

    padded_image = _reflect_pad(
        work, (padded_sizes[0] - height, padded_sizes[1] - width)
    )
    starts = [
        _tile_starts(length, size, overlap, multiple)
        for length, size in zip(padded_sizes, tile_sizes)
    ]
    weights = [
        [_tile_weights(s, size, length, overlap) for s in axis_starts]
        for axis_starts, size, length in zip(starts, tile_sizes, padded_sizes)
    ]
    output = np.zeros(padded_image.shape, np.float32)
    total_weight = np.zeros(padded_image.shape[:2], np.float32)
    corners = [(i, j) for i in range(len(starts[0])) for j in range(len(starts[1]))]
    tile_h, tile_w = tile_sizes
    for first in range(0, len(corners), batch_size):
        chunk = corners[first : first + batch_size]
        batch = np.stack(
            [
                padded_image[
                    starts[0][i] : starts[0][i] + tile_h,
                    starts[1][j] : starts[1][j] + tile_w,
                ]
                for i, j in chunk
            ]
        )
        inputs = batch
        if has_sigma_input:
            inputs = [batch, np.full((len(chunk), 1), sigma, np.float32)]
        predictions = np.asarray(model.predict_on_batch(inputs), np.float32)
        if predictions.shape != batch.shape:
            raise ValueError(
                "The model must return images of its input shape. Received: "
                f"output shape {predictions.shape} for input shape {batch.shape}"
            )
        for (i, j), prediction in zip(chunk, predictions):
            weight = np.outer(weights[0][i], weights[1][j])
            rows = slice(starts[0][i], starts[0][i] + tile_h)
            cols = slice(starts[1][j], starts[1][j] + tile_w)
            output[rows, cols] += prediction * weight[..., None]
            total_weight[rows, cols] += weight
    return output[:height, :width] / total_weight[:height, :width, None]


def size_multiple(model):
    """Returns the multiple that a model's input height and width must be.

    ``model.size_multiple`` if the model has that attribute, else the product
    of the strides of its downsampling layers (strided convolutions and
    poolings; transposed convolutions excluded) and of the block sizes of its
    :class:`kerasgen.layers.PixelUnshuffle` layers, searched recursively in
    nested models. For :func:`kerasgen.models.build_unet` this is
    ``2**depth * pixel_unshuffle``. For models with parallel downsampling
    branches the product is larger than needed, which only costs padding.

    Args:
        model: A ``keras.Model``.

    Returns:
        An int >= 1.

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.
        ValueError: If its ``size_multiple`` attribute is not a positive int.

    Example:

    >>> from kerasgen.models import build_unet
    >>> size_multiple(build_unet(depth=3, base_filters=4, pixel_unshuffle=2))
    16
    """
    check_keras_model(model)
    declared = getattr(model, "size_multiple", None)
    if declared is not None:
        if (
            isinstance(declared, bool)
            or not isinstance(declared, numbers.Integral)
            or declared < 1
        ):
            raise ValueError(
                "model.size_multiple must be an int >= 1. "
                f"Received: model.size_multiple={declared!r}"
            )
        return int(declared)
    multiple = 1
    for layer in _flat_layers(model):
        if isinstance(layer, PixelUnshuffle):
            multiple *= layer.block_size
        elif not isinstance(layer, keras.layers.Conv2DTranspose):
            strides = getattr(layer, "strides", None)
            if isinstance(strides, (tuple, list)) and strides:
                multiple *= max(int(s) for s in strides)
            elif isinstance(strides, numbers.Integral):
                multiple *= int(strides)
    return multiple


def _flat_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _flat_layers(layer)
        else:
            yield layer


def _check_model(model):
    check_keras_model(model)
    inputs = model.inputs
    if not inputs or len(inputs) > 2 or len(inputs[0].shape) != 4:
        shapes = [tuple(x.shape) for x in inputs or []]
        raise ValueError(
            "model must take images (batch, H, W, C) and optionally a noise "
            f"level (batch, 1). Received: model input shapes {shapes}"
        )
    return inputs[0], len(inputs) == 2


def _check_image(image):
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"image must be a numpy array. Received: image of type {type(image).__name__}"
        )
    if not np.issubdtype(image.dtype, np.floating):
        raise ValueError(
            "image must be a float array in [0, 1] (convert with "
            f"skimage.util.img_as_float). Received: image.dtype={image.dtype}"
        )
    if image.ndim not in (2, 3) or 0 in image.shape:
        raise ValueError(
            "image must have shape (H, W) or (H, W, C) with no empty axis. "
            f"Received: image.shape={image.shape}"
        )
    if not np.all(np.isfinite(image)):
        raise ValueError(
            "image must not contain NaN or inf values. Received: non-finite values"
        )
    # Refuses e.g. a 0-255 image (restored as all white otherwise); turned
    # off by kerasgen.set_range_check(False).
    from kerasgen._checks import check_data_range

    check_data_range(image, "image", (0.0, 1.0))
    return image.astype(np.float32, copy=False)


def _check_sigma(sigma, has_sigma_input, work, gray):
    if not has_sigma_input:
        if sigma is not None:
            raise ValueError(
                "sigma is only for models with a noise-level input. "
                f"Received: sigma={sigma!r} for a model with one input"
            )
        return None
    if sigma is None:
        from kerasgen.restoration.noise_level import estimate

        return _check_estimated_sigma(estimate(work[..., 0] if gray else work))
    if (
        isinstance(sigma, bool)
        or not isinstance(sigma, numbers.Real)
        or not np.isfinite(sigma)
        or sigma < 0
    ):
        raise ValueError(
            "sigma must be a finite float >= 0 (image units, e.g. 25 / 255). "
            f"Received: sigma={sigma!r}"
        )
    if sigma > 1:
        raise ValueError(
            "sigma must be in [0, 1] (image units: divide 8-bit grey levels by "
            f"255, e.g. 25 / 255). Received: sigma={sigma!r}"
        )
    return float(sigma)


def _check_estimated_sigma(sigma):
    """The noise level estimated for ``sigma=None``, checked like a given one.

    Raises:
        ValueError: If it is not a valid sigma (e.g. NaN), saying that it was
            estimated and how to give it instead.
    """
    try:
        return check_sigma(sigma, allow_none=False)
    except ValueError as error:
        raise ValueError(
            f"The noise level estimated from the image (sigma=None) is not usable ({error}). "
            "Pass the noise level with sigma= (image units, e.g. 25 / 255)."
        ) from None


def _reflect_pad(image, pads):
    """Pads bottom/right by mirror reflection (repeated for tiny images)."""
    pad_h, pad_w = pads
    if pad_h == 0 and pad_w == 0:
        return image
    # numpy repeats the reflection when the pad is wider than the image, and
    # repeats an axis of a single row/column (nothing to reflect) instead,
    # per axis: as the exported serving graph pads.
    return np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="reflect")


def _tile_starts(length, size, overlap, multiple):
    """Tile starts along one axis: multiples of ``multiple``, last flush."""
    if size >= length:
        return [0]
    stride = max(multiple, (size - overlap) // multiple * multiple)
    starts = list(range(0, length - size, stride))
    starts.append(length - size)
    return starts


def _tile_weights(start, size, length, overlap):
    """1-D blending weights of one tile (see ``restore``)."""
    weights = np.ones(size, np.float32)
    if overlap == 0:
        return weights
    distance = np.arange(size, dtype=np.float32) + 0.5
    ramp = np.clip((distance - overlap / 4) / (overlap / 2), 0.0, 1.0)
    if start > 0:
        weights = np.minimum(weights, ramp)
    if start + size < length:
        weights = np.minimum(weights, ramp[::-1])
    return weights
