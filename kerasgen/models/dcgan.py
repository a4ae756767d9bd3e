"""DCGAN generator and discriminator builders (functional ``keras.Model``s)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
from keras import layers

from kerasgen._checks import (
    check_image_shape,
    check_name,
    check_num_classes,
    check_positive_int,
    check_rate,
)
from kerasgen.models._stages import check_weight_count, resolution_stages, stage_filters

_NORMS = ("layer", "batch", None)


def build_generator(
    latent_dim=128,
    image_shape=(28, 28, 1),
    base_filters=64,
    num_classes=None,
    name="generator",
):
    """Builds a DCGAN generator mapping latent vectors to images in [-1, 1].

    ``Dense -> BatchNorm -> ReLU -> Reshape`` to a coarse grid, then a stack of
    ``Conv2DTranspose(4x4, stride 2) -> BatchNorm -> ReLU`` blocks whose
    channels halve at each step, and a last ``Conv2DTranspose(4x4, stride 2)``
    to ``channels`` followed by ``tanh``. The coarse grid and the number of
    upsamplings come from ``image_shape``: height and width are halved together
    while both stay even and at least 4, e.g. 28x28 starts from 7x7 (2
    upsamplings), 32x32 from 4x4 (3), 64x64 from 4x4 (4), 48x32 from 6x4 (3).
    Channels go ``base_filters * 2**k`` (capped at ``8 * base_filters``) down
    to ``base_filters`` at the last hidden block.

    The output layer runs in float32, so the images are float32 even under
    the ``"mixed_float16"`` dtype policy.

    Args:
        latent_dim: Positive int, size of the latent vector.
        image_shape: Tuple ``(height, width, channels)`` of positive ints.
            Height and width must both be even and at least 8 (see above);
            ``channels`` is any positive int (1 for gray, 3 for RGB).
        base_filters: Positive int, channels of the last hidden block.
        num_classes: ``None`` for an unconditional generator, or an int
            ``>= 2`` for a class-conditional one: the label is embedded
            (``Embedding(num_classes, latent_dim)``) and concatenated to the
            latent vector.
        name: Model name.

    Returns:
        A functional ``keras.Model``. Unconditional: input ``"latent"`` of
        shape ``(batch, latent_dim)``. Conditional: inputs
        ``[latent, labels]`` (a list, in that order), ``labels`` being int
        class ids of shape ``(batch,)`` or ``(batch, 1)``. Output ``"images"``
        of shape ``(batch, height, width, channels)``, float32, in
        ``[-1, 1]``.

    Raises:
        ValueError: If an argument is invalid (not a positive int, image sizes
            that cannot be reached by doubling, ``num_classes < 2``, ...),
            or sizes that would give more than 2**28 weights (1 GiB in float32).

    Example:

    >>> build_generator(latent_dim=100, image_shape=(28, 28, 1)).output_shape
    (None, 28, 28, 1)
    >>> g = build_generator(latent_dim=16, image_shape=(32, 32, 3),
    ...                     base_filters=8, num_classes=10)
    >>> [tuple(x.shape) for x in g.inputs]
    [(None, 16), (None, 1)]
    """
    latent_dim = check_positive_int("latent_dim", latent_dim)
    image_shape = check_image_shape(image_shape)
    base_filters = check_positive_int("base_filters", base_filters)
    num_classes = check_num_classes(num_classes)
    name = check_name(name)
    grid_height, grid_width, num_stages = resolution_stages(image_shape)
    channels = image_shape[-1]
    check_weight_count(
        _generator_weight_count(
            latent_dim, channels, grid_height * grid_width, num_stages, base_filters, num_classes
        ),
        latent_dim=latent_dim,
        image_shape=image_shape,
        base_filters=base_filters,
        num_classes=num_classes,
    )

    latent = keras.Input(shape=(latent_dim,), name="latent")
    inputs = latent
    x = latent
    if num_classes is not None:
        labels = keras.Input(shape=(1,), dtype="int32", name="labels")
        inputs = [latent, labels]
        embedded = layers.Embedding(num_classes, latent_dim, name="label_embedding")(
            labels
        )
        embedded = layers.Flatten(name="label_flatten")(embedded)
        x = layers.Concatenate(name="latent_and_label")([latent, embedded])

    start_filters = stage_filters(base_filters, num_stages - 1)
    x = layers.Dense(
        grid_height * grid_width * start_filters, use_bias=False, name="project"
    )(x)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((grid_height, grid_width, start_filters), name="reshape")(x)

    for block, stage in enumerate(range(num_stages - 2, -1, -1)):
        x = layers.Conv2DTranspose(
            stage_filters(base_filters, stage),
            kernel_size=4,
            strides=2,
            padding="same",
            use_bias=False,
            name=f"up{block}_conv",
        )(x)
        x = layers.BatchNormalization(name=f"up{block}_bn")(x)
        x = layers.ReLU(name=f"up{block}_relu")(x)

    x = layers.Conv2DTranspose(
        channels, kernel_size=4, strides=2, padding="same", name="to_images"
    )(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs, images, name=name)


def build_discriminator(
    image_shape=(28, 28, 1),
    base_filters=64,
    num_classes=None,
    dropout=0.3,
    norm="layer",
    name="discriminator",
):
    """Builds a DCGAN discriminator (critic) returning one logit per image.

    A stack of ``Conv2D(4x4, stride 2) -> [norm] -> LeakyReLU(0.2)`` blocks
    (no normalization on the first block) mirroring :func:`build_generator`
    for the same ``image_shape`` (28x28 -> 14x14 -> 7x7), channels doubling
    from ``base_filters`` (capped at ``8 * base_filters``), then
    ``Dropout -> Flatten -> Dense(1)``. The output is a raw **logit** (no
    sigmoid), computed in float32 even under ``"mixed_float16"``: use it with
    ``from_logits=True`` losses, hinge, or Wasserstein losses.

    Args:
        image_shape: Tuple ``(height, width, channels)`` of positive ints;
            height and width must both be even and at least 8 (same rule as
            :func:`build_generator`).
        base_filters: Positive int, channels of the first block.
        num_classes: ``None`` for an unconditional discriminator, or an int
            ``>= 2``: each label is embedded into a ``(height, width, 1)``
            map concatenated to the image channels.
        dropout: Float in ``[0, 1)``, dropout rate before the last ``Dense``
            (``0`` adds no dropout layer).
        norm: Normalization of the blocks after the first: ``"layer"``
            (default, ``LayerNormalization`` per pixel; works with the
            standard, hinge and WGAN-GP losses), ``"batch"``
            (``BatchNormalization``, classic DCGAN; do not use it with a
            gradient penalty, which assumes each logit depends on one image
            only) or ``None``.
        name: Model name.

    Returns:
        A functional ``keras.Model``. Unconditional: input ``"images"`` of
        shape ``(batch, height, width, channels)``. Conditional: inputs
        ``[images, labels]`` (a list, in that order), ``labels`` being int
        class ids of shape ``(batch,)`` or ``(batch, 1)``. Output ``"logits"``
        of shape ``(batch, 1)``, float32.

    Raises:
        ValueError: If an argument is invalid, or sizes that would give
            more than 2**28 weights (1 GiB in float32).

    Example:

    >>> build_discriminator(image_shape=(28, 28, 1)).output_shape
    (None, 1)
    """
    image_shape = check_image_shape(image_shape)
    base_filters = check_positive_int("base_filters", base_filters)
    num_classes = check_num_classes(num_classes)
    dropout = check_rate("dropout", dropout)
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS}. Received: norm={norm!r}")
    name = check_name(name)
    grid_height, grid_width, num_stages = resolution_stages(image_shape)
    height, width, channels = image_shape
    check_weight_count(
        _discriminator_weight_count(
            image_shape, grid_height * grid_width, num_stages, base_filters, num_classes
        ),
        image_shape=image_shape,
        base_filters=base_filters,
        num_classes=num_classes,
    )

    images = keras.Input(shape=image_shape, name="images")
    inputs = images
    x = images
    if num_classes is not None:
        labels = keras.Input(shape=(1,), dtype="int32", name="labels")
        inputs = [images, labels]
        label_map = layers.Embedding(
            num_classes, height * width, name="label_embedding"
        )(labels)
        label_map = layers.Reshape((height, width, 1), name="label_map")(label_map)
        x = layers.Concatenate(name="images_and_label")([images, label_map])

    for stage in range(num_stages):
        x = layers.Conv2D(
            stage_filters(base_filters, stage),
            kernel_size=4,
            strides=2,
            padding="same",
            use_bias=stage == 0 or norm is None,
            name=f"down{stage}_conv",
        )(x)
        if stage > 0 and norm == "layer":
            x = layers.LayerNormalization(name=f"down{stage}_ln")(x)
        elif stage > 0 and norm == "batch":
            x = layers.BatchNormalization(name=f"down{stage}_bn")(x)
        x = layers.LeakyReLU(negative_slope=0.2, name=f"down{stage}_lrelu")(x)

    if dropout > 0:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(inputs, logits, name=name)


def _generator_weight_count(latent_dim, channels, grid_size, num_stages, base_filters, num_classes):
    """Number of weights of :func:`build_generator` (checked before building)."""
    count = 0
    if num_classes is not None:
        count += num_classes * latent_dim
        latent_dim *= 2
    width = stage_filters(base_filters, num_stages - 1)
    count += (latent_dim + 4) * grid_size * width  # project + its batch norm
    for stage in range(num_stages - 2, -1, -1):
        next_width = stage_filters(base_filters, stage)
        count += (16 * width + 4) * next_width
        width = next_width
    return count + (16 * width + 1) * channels


def _discriminator_weight_count(image_shape, grid_size, num_stages, base_filters, num_classes):
    """Number of weights of :func:`build_discriminator`, at most (checked before building)."""
    height, width, channels = image_shape
    count = 0
    if num_classes is not None:
        count += num_classes * height * width
        channels += 1
    for stage in range(num_stages):
        next_channels = stage_filters(base_filters, stage)
        count += (16 * channels + 5) * next_channels  # conv, bias and norm at most
        channels = next_channels
    return count + grid_size * channels + 1
