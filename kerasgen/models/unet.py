"""U-Net image restorer builder (DnCNN residual learning, FFDNet options)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import numbers

import keras
from keras import layers, ops

from kerasgen._checks import check_bool, check_name, check_positive_int
from kerasgen.layers import PixelShuffle, PixelUnshuffle, SizeMultipleCheck
from kerasgen.models._stages import check_weight_count

# Channels double per level but stop growing at this multiple of base_filters.
MAX_FILTER_MULTIPLIER = 16

_DOWNSAMPLING = ("conv", "max_pool")
_UPSAMPLING = ("transpose", "bilinear")
_BLOCKS = ("plain", "residual")


@keras.saving.register_keras_serializable(package="kerasgen")
class NoiseLevelMap(keras.layers.Layer):
    """Broadcasts one noise level per image to a one-channel map.

    FFDNet-style conditioning: the map is concatenated to the image features
    so that a single network serves every noise level.

    Args:
        **kwargs: Standard ``keras.layers.Layer`` arguments (``name``, ...).

    Call arguments:
        inputs: A list ``[features, noise_sigma]``: ``features`` of shape
            ``(batch, H, W, C)`` and ``noise_sigma`` of shape ``(batch, 1)``.

    Returns:
        A tensor ``(batch, H, W, 1)`` whose every pixel of image ``i`` equals
        ``noise_sigma[i, 0]``.

    Example:

    >>> import numpy as np
    >>> m = NoiseLevelMap()([np.zeros((2, 4, 4, 3), "float32"),
    ...                      np.array([[0.1], [0.2]], "float32")])
    >>> tuple(m.shape)
    (2, 4, 4, 1)
    """

    def call(self, inputs):
        features, sigma = inputs
        sigma = ops.reshape(ops.cast(sigma, features.dtype), (-1, 1, 1, 1))
        return ops.ones_like(features[..., :1]) * sigma

    def compute_output_shape(self, input_shape):
        features_shape = tuple(input_shape[0])
        return features_shape[:-1] + (1,)


def build_unet(
    image_shape=(None, None, 1),
    depth=4,
    base_filters=32,
    residual=True,
    noise_level_input=False,
    pixel_unshuffle=1,
    convs_per_level=2,
    name="unet",
    *,
    downsampling="conv",
    upsampling="transpose",
    block="plain",
    use_bias=True,
):
    """Builds a fully convolutional U-Net that restores degraded images.

    Encoder: at each of the ``depth`` levels, ``convs_per_level`` times
    ``Conv2D(3x3) + ReLU``, then a 2x downsampling (``Conv2D(3x3, stride 2) +
    ReLU`` or ``MaxPooling2D(2)``); a bottleneck of ``convs_per_level`` convs;
    decoder: 2x upsampling (``Conv2DTranspose(2x2, stride 2)`` or bilinear
    ``UpSampling2D`` + ``Conv2D(3x3) + ReLU``), concatenation with the encoder
    features of the same level (skip connection) and ``convs_per_level``
    convs. Level ``k`` has ``base_filters * 2**k`` channels (capped at
    ``16 * base_filters``). A final ``Conv2D(1x1)`` maps back to the image
    channels.

    * ``residual=True`` (DnCNN-style residual learning): the network predicts
      the degradation (e.g. the noise) and the model returns
      ``images - prediction``.
    * ``noise_level_input=True`` (FFDNet-style): the model takes a second
      input, the noise standard deviation of each image (image units, e.g.
      ``25 / 255``), broadcast to a map concatenated to the network input, so
      one model serves every noise level.
    * ``block="residual"`` (DRUNet, Zhang et al. 2021): each level is a 3x3
      convolution to the level's width followed by ``convs_per_level``
      residual blocks ``x + Conv(ReLU(Conv(x)))``, the decoder adds (rather
      than concatenates) the encoder features, and the down/upsamplings are
      linear (no ReLU). With ``use_bias=False`` the network is bias-free,
      which helps one model generalise across noise levels (Mohan et al.
      2020).
    * ``pixel_unshuffle=s`` (FFDNet): ``s x s`` pixel blocks are moved to
      channels at the input (``tf.nn.space_to_depth``) and back at the output
      (``tf.nn.depth_to_space``), so the network runs at ``1/s`` resolution
      (about ``s**2`` times fewer operations for the same widths).

    The model is fully convolutional: it accepts any height and width that
    are multiples of ``2**depth * pixel_unshuffle`` (with a ``None`` height
    or width, a ``SizeMultipleCheck`` layer refuses other sizes with a clear
    error); :func:`kerasgen.inference.restore` pads other sizes (and derives
    this multiple from the model's layers). There is no clipping inside the model
    (a clipped output has zero gradient out of range); ``restore`` clips to
    ``[0, 1]``. The last layers run in float32, so the output is float32 even
    under the ``"mixed_float16"`` dtype policy.

    Args:
        image_shape: Tuple ``(height, width, channels)``. ``height`` and
            ``width`` may be ``None`` (any size); when known they must be
            multiples of ``2**depth * pixel_unshuffle``. ``channels`` must be
            a positive int (1 for gray, 3 for RGB).
        depth: Int >= 1, number of 2x downsamplings.
        base_filters: Int >= 1, channels of the first level.
        residual: Bool, predict the degradation and subtract it from the
            input (recommended for denoising).
        noise_level_input: Bool, add the ``"noise_sigma"`` input.
        pixel_unshuffle: Int >= 1, pixel-unshuffle factor (1: off, 2: FFDNet).
        convs_per_level: Int >= 1, ``Conv2D(3x3) + ReLU`` per level.
        name: Model name.
        downsampling: ``"conv"`` (stride-2 conv, default) or ``"max_pool"``.
        upsampling: ``"transpose"`` (``Conv2DTranspose``, default) or
            ``"bilinear"`` (``UpSampling2D`` + conv).
        block: ``"plain"`` (default, the U-Net above) or ``"residual"``
            (DRUNet-style levels of residual blocks, additive skips).
        use_bias: Bool, biases in the convolutions (``False``: bias-free).

    Returns:
        A functional ``keras.Model``. Inputs: ``"images"`` of shape
        ``(batch, height, width, channels)`` in ``[0, 1]``, and with
        ``noise_level_input=True`` also ``"noise_sigma"`` of shape
        ``(batch, 1)`` (call it with ``[images, noise_sigma]``). Output
        ``"restored"``: float32, same shape as ``images``.

    Raises:
        ValueError: If an argument is invalid, e.g. a known height or width
            that is not a multiple of ``2**depth * pixel_unshuffle``, or sizes that would give
            more than 2**28 weights (1 GiB in float32).
        TypeError: If ``residual`` or ``noise_level_input`` is not a bool.

    Example:

    >>> model = build_unet((None, None, 1), depth=3, base_filters=16)
    >>> model.output_shape
    (None, None, None, 1)
    >>> ffdnet = build_unet((64, 64, 3), depth=2, base_filters=8,
    ...                     noise_level_input=True, pixel_unshuffle=2)
    >>> [tuple(x.shape) for x in ffdnet.inputs]
    [(None, 64, 64, 3), (None, 1)]
    """
    depth = check_positive_int("depth", depth)
    base_filters = check_positive_int("base_filters", base_filters)
    pixel_unshuffle = check_positive_int("pixel_unshuffle", pixel_unshuffle)
    convs_per_level = check_positive_int("convs_per_level", convs_per_level)
    residual = check_bool("residual", residual)
    noise_level_input = check_bool("noise_level_input", noise_level_input)
    use_bias = check_bool("use_bias", use_bias)
    if block not in _BLOCKS:
        raise ValueError(
            f"block must be one of {_BLOCKS}. Received: block={block!r}"
        )
    name = check_name(name)
    if downsampling not in _DOWNSAMPLING:
        raise ValueError(
            f"downsampling must be one of {_DOWNSAMPLING}. "
            f"Received: downsampling={downsampling!r}"
        )
    if upsampling not in _UPSAMPLING:
        raise ValueError(
            f"upsampling must be one of {_UPSAMPLING}. "
            f"Received: upsampling={upsampling!r}"
        )
    height, width, channels = _check_unet_image_shape(
        image_shape, depth, pixel_unshuffle
    )
    check_weight_count(
        _unet_weight_count(channels * pixel_unshuffle**2, depth, base_filters, convs_per_level, block),
        depth=depth,
        base_filters=base_filters,
        convs_per_level=convs_per_level,
        pixel_unshuffle=pixel_unshuffle,
        image_shape=image_shape,
    )
    if block == "residual":
        return _build_residual_unet(
            height,
            width,
            channels,
            depth=depth,
            base_filters=base_filters,
            residual=residual,
            noise_level_input=noise_level_input,
            pixel_unshuffle=pixel_unshuffle,
            blocks_per_level=convs_per_level,
            name=name,
            downsampling=downsampling,
            upsampling=upsampling,
            use_bias=use_bias,
        )

    def filters(level):
        return base_filters * min(2**level, MAX_FILTER_MULTIPLIER)

    def conv_block(x, num_filters, prefix):
        for i in range(convs_per_level):
            x = layers.Conv2D(
                num_filters,
                3,
                padding="same",
                activation="relu",
                use_bias=use_bias,
                name=f"{prefix}_conv{i}",
            )(x)
        return x

    images, inputs, x = _network_input(
        height, width, channels, pixel_unshuffle, noise_level_input, depth
    )
    skips = []
    for level in range(depth):
        x = conv_block(x, filters(level), f"encoder{level}")
        skips.append(x)
        if downsampling == "conv":
            x = layers.Conv2D(
                filters(level + 1),
                3,
                strides=2,
                padding="same",
                activation="relu",
                use_bias=use_bias,
                name=f"down{level}",
            )(x)
        else:
            x = layers.MaxPooling2D(2, name=f"down{level}")(x)
    x = conv_block(x, filters(depth), "bottleneck")
    for level in reversed(range(depth)):
        if upsampling == "transpose":
            x = layers.Conv2DTranspose(
                filters(level), 2, strides=2, use_bias=use_bias, name=f"up{level}"
            )(x)
        else:
            x = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}")(x)
            x = layers.Conv2D(
                filters(level),
                3,
                padding="same",
                activation="relu",
                use_bias=use_bias,
                name=f"up{level}_conv",
            )(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = conv_block(x, filters(level), f"decoder{level}")

    x = layers.Conv2D(
        channels * pixel_unshuffle**2, 1, use_bias=use_bias, name="head", dtype="float32"
    )(x)
    return _finish(x, images, inputs, residual, pixel_unshuffle, noise_level_input, name)


def _finish(x, images, inputs, residual, pixel_unshuffle, noise_level_input, name):
    """Pixel shuffle, residual subtraction and the float32 ``restored`` output."""
    if pixel_unshuffle > 1:
        x = PixelShuffle(pixel_unshuffle, name="pixel_shuffle", dtype="float32")(x)
    if residual:
        x = layers.Subtract(name="residual", dtype="float32")([images, x])
    outputs = layers.Activation("linear", name="restored", dtype="float32")(x)
    return keras.Model(inputs if noise_level_input else images, outputs, name=name)


def _network_input(height, width, channels, pixel_unshuffle, noise_level_input, depth):
    """Image input, size check, optional pixel unshuffle and noise-level map."""
    images = keras.Input((height, width, channels), name="images")
    inputs = [images]
    x = images
    if height is None or width is None:
        x = SizeMultipleCheck(2**depth * pixel_unshuffle, name="size_check")(x)
    if pixel_unshuffle > 1:
        x = PixelUnshuffle(pixel_unshuffle, name="pixel_unshuffle")(x)
    if noise_level_input:
        noise_sigma = keras.Input((1,), name="noise_sigma")
        inputs.append(noise_sigma)
        noise_map = NoiseLevelMap(name="noise_level_map")([x, noise_sigma])
        x = layers.Concatenate(name="concat_noise_level")([x, noise_map])
    return images, inputs, x


def _build_residual_unet(
    height,
    width,
    channels,
    *,
    depth,
    base_filters,
    residual,
    noise_level_input,
    pixel_unshuffle,
    blocks_per_level,
    name,
    downsampling,
    upsampling,
    use_bias,
):
    """DRUNet-style U-Net: residual blocks per level, additive skips."""

    def filters(level):
        return base_filters * min(2**level, MAX_FILTER_MULTIPLIER)

    def conv(num_filters, prefix, activation=None, kernel=3, strides=1):
        return layers.Conv2D(
            num_filters,
            kernel,
            strides=strides,
            padding="same",
            activation=activation,
            use_bias=use_bias,
            name=prefix,
        )

    def residual_blocks(x, num_filters, prefix):
        for i in range(blocks_per_level):
            y = conv(num_filters, f"{prefix}_res{i}_conv0", activation="relu")(x)
            y = conv(num_filters, f"{prefix}_res{i}_conv1")(y)
            x = layers.Add(name=f"{prefix}_res{i}")([x, y])
        return x

    images, inputs, x = _network_input(
        height, width, channels, pixel_unshuffle, noise_level_input, depth
    )
    x = conv(filters(0), "stem")(x)
    skips = []
    for level in range(depth):
        x = residual_blocks(x, filters(level), f"encoder{level}")
        skips.append(x)
        if downsampling == "conv":
            x = conv(filters(level + 1), f"down{level}", kernel=2, strides=2)(x)
        else:
            x = layers.MaxPooling2D(2, name=f"down{level}_pool")(x)
            x = conv(filters(level + 1), f"down{level}", kernel=1)(x)
    x = residual_blocks(x, filters(depth), "bottleneck")
    for level in reversed(range(depth)):
        if upsampling == "transpose":
            x = layers.Conv2DTranspose(
                filters(level), 2, strides=2, use_bias=use_bias, name=f"up{level}"
            )(x)
        else:
            x = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}_resize")(x)
            x = conv(filters(level), f"up{level}", kernel=1)(x)
        x = layers.Add(name=f"skip{level}")([x, skips[level]])
        x = residual_blocks(x, filters(level), f"decoder{level}")
    x = layers.Conv2D(
        channels * pixel_unshuffle**2,
        3,
        padding="same",
        use_bias=use_bias,
        name="head",
        dtype="float32",
    )(x)
    return _finish(x, images, inputs, residual, pixel_unshuffle, noise_level_input, name)


def _check_unet_image_shape(image_shape, depth, pixel_unshuffle):
    """Validates ``(height, width, channels)``; height/width may be None."""

    def is_size(v):
        return not isinstance(v, bool) and isinstance(v, numbers.Integral) and v >= 1

    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 3
        or not all(v is None or is_size(v) for v in image_shape[:2])
        or not is_size(image_shape[2])
    ):
        raise ValueError(
            "image_shape must be a tuple (height, width, channels): height and "
            "width positive ints or None, channels a positive int. "
            f"Received: image_shape={image_shape!r}"
        )
    multiple = 2**depth * pixel_unshuffle
    for axis, size in zip(("height", "width"), image_shape[:2]):
        if size is not None and size % multiple:
            raise ValueError(
                f"image_shape {axis} must be divisible by 2**depth * "
                f"pixel_unshuffle = {multiple}. Received: "
                f"image_shape={tuple(image_shape)}, depth={depth}, "
                f"pixel_unshuffle={pixel_unshuffle}"
            )
    return tuple(None if v is None else int(v) for v in image_shape)


def _unet_weight_count(channels, depth, base_filters, convs_per_level, block):
    """Number of weights of :func:`build_unet`, at most (checked before building).

    Every kernel counted as 3x3 with a bias: an upper bound (by less than
    half for the usual settings), cheap enough to compute before any layer.
    """

    def filters(level):
        return base_filters * min(2**level, MAX_FILTER_MULTIPLIER)

    convs = convs_per_level * (2 if block == "residual" else 1)
    count = 10 * (channels + 1) * filters(0) * 2  # stem / first conv and head
    for level in range(depth):
        width = filters(level)
        # Encoder and decoder convs (the decoder's first sees the skip too),
        # then the down- and upsampling.
        count += (9 * width + 1) * width * (2 * convs + 1)
        count += 2 * (9 * width + 1) * filters(level + 1)
    return count + (9 * filters(depth) + 1) * filters(depth) * convs  # bottleneck
