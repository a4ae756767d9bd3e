"""VAE encoder and decoder builders (functional ``keras.Model``s)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
from keras import layers

from kerasgen._checks import (
    check_image_shape,
    check_name,
    check_positive_int,
    check_seed,
)
from kerasgen.layers import Sampling
from kerasgen.models._stages import check_weight_count, resolution_stages, stage_filters


def build_encoder(
    image_shape=(28, 28, 1),
    latent_dim=2,
    base_filters=32,
    seed=None,
    name="encoder",
):
    """Builds a convolutional VAE encoder returning ``[z_mean, z_log_var, z]``.

    A stack of ``Conv2D(3x3, stride 2, relu)`` blocks (28x28 -> 14x14 -> 7x7,
    the same stages as :func:`build_decoder` for the same ``image_shape``),
    channels doubling from ``base_filters`` (capped at ``8 * base_filters``),
    then ``Flatten -> Dense(4 * base_filters, relu)`` and two ``Dense`` heads
    ``z_mean`` and ``z_log_var``. ``z`` is drawn from them by
    :class:`kerasgen.layers.Sampling` (reparameterisation trick). The three
    outputs are float32 even under the ``"mixed_float16"`` policy.

    Args:
        image_shape: Tuple ``(height, width, channels)`` of positive ints;
            height and width must both be even and at least 8 (so that the
            matching decoder exists; see :func:`build_decoder`).
        latent_dim: Positive int, size of the latent space.
        base_filters: Positive int, channels of the first block.
        seed: Optional int seeding the ``Sampling`` noise: two encoders with
            the same weights and the same seed draw the same ``z``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with input ``"images"`` of shape
        ``(batch, height, width, channels)`` (images in ``[0, 1]``) and
        outputs ``[z_mean, z_log_var, z]``, each ``(batch, latent_dim)``
        float32.

    Raises:
        TypeError: If ``seed`` is neither None nor an int.
        ValueError: If an argument is invalid, or sizes that would give
            more than 2**28 weights (1 GiB in float32).

    Example:

    >>> encoder = build_encoder(image_shape=(28, 28, 1), latent_dim=2)
    >>> [tuple(t.shape) for t in encoder.outputs]
    [(None, 2), (None, 2), (None, 2)]
    """
    image_shape = check_image_shape(image_shape)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    base_filters = check_positive_int("base_filters", base_filters)
    seed = check_seed(seed)
    name = check_name(name)
    grid_height, grid_width, num_stages = resolution_stages(image_shape)
    channels, count = image_shape[-1], 0
    for stage in range(num_stages):
        count += (9 * channels + 1) * stage_filters(base_filters, stage)
        channels = stage_filters(base_filters, stage)
    hidden = 4 * base_filters
    count += (grid_height * grid_width * channels + 1) * hidden + 2 * (hidden + 1) * latent_dim
    check_weight_count(
        count, image_shape=image_shape, latent_dim=latent_dim, base_filters=base_filters
    )

    images = keras.Input(shape=image_shape, name="images")
    x = images
    for stage in range(num_stages):
        x = layers.Conv2D(
            stage_filters(base_filters, stage),
            kernel_size=3,
            strides=2,
            padding="same",
            activation="relu",
            name=f"down{stage}_conv",
        )(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4 * base_filters, activation="relu", name="hidden")(x)
    z_mean = layers.Dense(latent_dim, dtype="float32", name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, dtype="float32", name="z_log_var")(x)
    z = Sampling(seed=seed, dtype="float32", name="z")([z_mean, z_log_var])
    return keras.Model(images, [z_mean, z_log_var, z], name=name)


def build_decoder(
    latent_dim=2,
    image_shape=(28, 28, 1),
    base_filters=32,
    name="decoder",
):
    """Builds a convolutional VAE decoder mapping ``z`` to pixel probabilities.

    ``Dense(relu) -> Reshape`` to a coarse grid, a stack of
    ``Conv2DTranspose(3x3, stride 2, relu)`` blocks whose channels halve down
    to ``base_filters``, then ``Conv2D(channels, 3x3)`` with a ``sigmoid``.
    The coarse grid follows the same rule as :func:`build_generator`: height
    and width are halved together while both stay even and at least 4
    (28x28 starts from 7x7, 32x32 from 4x4, 48x32 from 6x4).

    Args:
        latent_dim: Positive int, size of the latent space.
        image_shape: Tuple ``(height, width, channels)`` of positive ints;
            height and width must both be even and at least 8.
        base_filters: Positive int, channels of the last upsampling block.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with input ``"z"`` of shape
        ``(batch, latent_dim)`` and output ``"images"`` of shape
        ``(batch, height, width, channels)``: float32 probabilities in
        ``[0, 1]``, also under the ``"mixed_float16"`` policy.

    Raises:
        ValueError: If an argument is invalid, or sizes that would give
            more than 2**28 weights (1 GiB in float32).

    Example:

    >>> build_decoder(latent_dim=2, image_shape=(28, 28, 1)).output_shape
    (None, 28, 28, 1)
    """
    latent_dim = check_positive_int("latent_dim", latent_dim)
    image_shape = check_image_shape(image_shape)
    base_filters = check_positive_int("base_filters", base_filters)
    name = check_name(name)
    grid_height, grid_width, num_stages = resolution_stages(image_shape)
    channels = image_shape[-1]
    start_filters = stage_filters(base_filters, num_stages - 1)
    width = start_filters
    count = (latent_dim + 1) * grid_height * grid_width * width
    for stage in range(num_stages - 1, -1, -1):
        count += (9 * width + 1) * stage_filters(base_filters, stage)
        width = stage_filters(base_filters, stage)
    count += (9 * width + 1) * channels
    check_weight_count(
        count, latent_dim=latent_dim, image_shape=image_shape, base_filters=base_filters
    )

    z = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(
        grid_height * grid_width * start_filters, activation="relu", name="project"
    )(z)
    x = layers.Reshape((grid_height, grid_width, start_filters), name="reshape")(x)
    for block, stage in enumerate(range(num_stages - 1, -1, -1)):
        x = layers.Conv2DTranspose(
            stage_filters(base_filters, stage),
            kernel_size=3,
            strides=2,
            padding="same",
            activation="relu",
            name=f"up{block}_conv",
        )(x)
    x = layers.Conv2D(channels, kernel_size=3, padding="same", name="to_images")(x)
    images = layers.Activation("sigmoid", dtype="float32", name="images")(x)
    return keras.Model(z, images, name=name)
