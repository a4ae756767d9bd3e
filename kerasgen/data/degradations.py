"""The on-the-fly degradations of the restoration training pipeline, in TensorFlow.

Each is a function ``fn(clean, seed) -> (degraded, sigma)`` of a clean patch
and a stateless seed (see `kerasgen.data.make_restoration_dataset`). The
"blur" degradation equals ``kerasgen.restoration.blur(..., mode="mirror")``
(``tests/test_one_meaning.py``).
"""

import math

import tensorflow as tf

from kerasgen._checks import check_interval

DEGRADATIONS = ("gaussian", "blur", "inpaint", "jpeg", "downsample")


def check_finite_interval(name, value, minimum):
    """``check_interval(name, value, minimum, inf)`` that also refuses an infinite ``high``.

    An infinite noise level or PSF width would fill the training pairs with
    inf / NaN.

    Returns:
        ``(low, high)`` as floats.

    Raises:
        ValueError: If ``value`` is not a pair of finite numbers with
            ``minimum <= low <= high``.
    """
    low, high = check_interval(name, value, minimum, math.inf)
    if not math.isfinite(high):
        raise ValueError(
            f"{name} must be a pair (low, high) of finite numbers with {minimum} <= low <= high. "
            f"Received: {name}={value!r}"
        )
    return low, high


def make_degradation(
    degradation,
    *,
    patch_size,
    sigma_range,
    sigma_power=1.0,
    blur_std_range,
    blur_noise_sigma,
    mask_fraction_range,
    jpeg_quality_range,
    scale_range,
):
    """Returns ``fn(clean, seed) -> (degraded, sigma)`` (validates params)."""

    def uniform(seed, low, high):
        return tf.random.stateless_uniform([], seed=seed, minval=low, maxval=high)

    if callable(degradation):

        def apply_callable(clean, seed):
            return degradation(clean, seed), tf.constant(0.0)

        return apply_callable

    if degradation == "gaussian":
        low, high = sigma_range

        def gaussian(clean, seed):
            seeds = tf.random.experimental.stateless_split(seed, num=2)
            # u ** sigma_power, u uniform in [0, 1): uniform sigmas for 1,
            # more small ones above 1.
            sigma = low + (high - low) * uniform(seeds[0], 0.0, 1.0) ** sigma_power
            noise = tf.random.stateless_normal(tf.shape(clean), seed=seeds[1])
            return clean + sigma * noise, sigma

        return gaussian

    if degradation == "blur":
        std_low, std_high = check_finite_interval("blur_std_range", blur_std_range, 1e-3)
        noise_high = check_finite_interval("blur_noise_sigma", (0.0, blur_noise_sigma), 0.0)[1]
        radius = math.ceil(3 * std_high)
        if 2 * radius >= patch_size:
            raise ValueError(
                "blur_std_range is too wide for patch_size: the PSF radius "
                f"ceil(3 * {std_high}) = {radius} must be below patch_size / 2. "
                f"Received: blur_std_range={blur_std_range}, patch_size={patch_size}"
            )
        taps = tf.range(-radius, radius + 1, dtype=tf.float32)

        def blur(clean, seed):
            seeds = tf.random.experimental.stateless_split(seed, num=3)
            std = uniform(seeds[0], std_low, std_high)
            kernel_1d = tf.exp(-0.5 * tf.square(taps / std))
            kernel_1d /= tf.reduce_sum(kernel_1d)
            kernel = tf.tensordot(kernel_1d, kernel_1d, axes=0)
            kernel = tf.tile(kernel[:, :, None, None], [1, 1, tf.shape(clean)[-1], 1])
            padded = tf.pad(
                clean[None],
                [[0, 0], [radius, radius], [radius, radius], [0, 0]],
                mode="REFLECT",
            )
            blurred = tf.nn.depthwise_conv2d(
                padded, kernel, strides=[1, 1, 1, 1], padding="VALID"
            )[0]
            sigma = uniform(seeds[1], 0.0, noise_high)
            noise = tf.random.stateless_normal(tf.shape(clean), seed=seeds[2])
            return blurred + sigma * noise, sigma

        return blur

    if degradation == "inpaint":
        low, high = check_interval("mask_fraction_range", mask_fraction_range, 0.0, 1.0)

        def inpaint(clean, seed):
            seeds = tf.random.experimental.stateless_split(seed, num=2)
            fraction = uniform(seeds[0], low, high)
            shape = tf.concat([tf.shape(clean)[:2], [1]], axis=0)
            missing = tf.random.stateless_uniform(shape, seed=seeds[1]) < fraction
            return tf.where(missing, 0.0, clean), tf.constant(0.0)

        return inpaint

    if degradation == "jpeg":
        low, high = check_interval("jpeg_quality_range", jpeg_quality_range, 0, 100, integer=True)

        def jpeg(clean, seed):
            quality = tf.random.stateless_uniform(
                [], seed=seed, minval=low, maxval=high + 1, dtype=tf.int32
            )
            compressed = tf.image.adjust_jpeg_quality(
                tf.clip_by_value(clean, 0.0, 1.0), quality
            )
            return compressed, tf.constant(0.0)

        return jpeg

    low, high = check_interval("scale_range", scale_range, 1, patch_size, integer=True)

    def downsample(clean, seed):
        factor = tf.random.stateless_uniform(
            [], seed=seed, minval=low, maxval=high + 1, dtype=tf.int32
        )
        small_size = tf.fill([2], patch_size // factor)
        small = tf.image.resize(clean, small_size, method="bicubic", antialias=True)
        return (
            tf.image.resize(small, [patch_size, patch_size], method="bicubic"),
            tf.constant(0.0),
        )

    return downsample
