"""Resolution stages shared by the builders: start grid, depth and widths.

All four builders (generator, discriminator, encoder, decoder) use the same
rule, so a generator and a discriminator (or an encoder and a decoder) built
for the same ``image_shape`` mirror each other.
"""

from kerasgen._checks import check_image_shape

# The coarsest grid a model starts from (generator/decoder) or ends at
# (discriminator/encoder) is at least this many pixels on each side.
MIN_GRID_SIZE = 4
# Channels double per stage but stop growing at this multiple of base_filters
# (64x64 with base_filters=64 gives the classic DCGAN 512 -> 256 -> 128 -> 64).
MAX_FILTER_MULTIPLIER = 8
# Builders refuse models with more weights than this (1 GiB in float32): a
# typo such as base_filters=2**30 should fail at once with a clear message,
# not exhaust the memory while Keras initialises the weights.
MAX_WEIGHTS = 2**28


def resolution_stages(image_shape):
    """Derives the start grid and the number of stride-2 stages.

    Halves height and width together while both are even and both halves are
    at least ``MIN_GRID_SIZE``: 28x28 -> 7x7 (2 stages), 32x32 -> 4x4 (3),
    64x64 -> 4x4 (4), 48x32 -> 6x4 (3).

    Args:
        image_shape: ``(height, width, channels)`` of the images.

    Returns:
        A tuple ``(grid_height, grid_width, num_stages)`` with
        ``num_stages >= 1`` and ``height == grid_height * 2**num_stages``.

    Raises:
        ValueError: If ``image_shape`` is invalid, or height and width are not
            both even and at least ``2 * MIN_GRID_SIZE`` (at least one stage).
    """
    height, width, _ = check_image_shape(image_shape)
    grid_height, grid_width, num_stages = height, width, 0
    while (
        grid_height % 2 == 0
        and grid_width % 2 == 0
        and grid_height // 2 >= MIN_GRID_SIZE
        and grid_width // 2 >= MIN_GRID_SIZE
    ):
        grid_height, grid_width, num_stages = (
            grid_height // 2,
            grid_width // 2,
            num_stages + 1,
        )
    if num_stages == 0:
        raise ValueError(
            "image_shape height and width must both be even and at least "
            f"{2 * MIN_GRID_SIZE}, so that they can be reached by doubling a "
            f"grid of at least {MIN_GRID_SIZE}x{MIN_GRID_SIZE} (e.g. 28 = "
            "7 * 2**2, 32 = 4 * 2**3). Received: "
            f"image_shape={tuple(image_shape)!r}"
        )
    return grid_height, grid_width, num_stages


def stage_filters(base_filters, stage):
    """Number of channels at a stage, counted from the full resolution.

    Stage 0 is the full-resolution stage (``base_filters`` channels); each
    coarser stage doubles it, up to ``MAX_FILTER_MULTIPLIER * base_filters``.

    Args:
        base_filters: Channels of the full-resolution stage.
        stage: Stage index, ``>= 0``.

    Returns:
        The number of channels, an int.
    """
    return base_filters * min(2**stage, MAX_FILTER_MULTIPLIER)


def check_weight_count(count, **arguments):
    """Refuses a model whose (estimated) number of weights exceeds ``MAX_WEIGHTS``.

    Args:
        count: The number of weights the builder would create (an estimate
            is enough: the limit is orders of magnitude above real models).
        **arguments: The builder's size arguments, quoted in the message.

    Raises:
        ValueError: If ``count > MAX_WEIGHTS``.
    """
    if count > MAX_WEIGHTS:
        received = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
        raise ValueError(
            f"The model would have about {count:,} weights "
            f"({count * 4 / 2**30:,.1f} GiB in float32); builders refuse more "
            f"than {MAX_WEIGHTS:,} (1 GiB), which would exhaust memory. Use "
            "smaller sizes (base_filters, latent_dim, num_classes, image_shape, "
            f"depth). Received: {received}"
        )
    return count
