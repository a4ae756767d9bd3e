"""Metrics: FID / KID for generators, PSNR / SSIM for restorers.

* `frechet_distance` (FID, Heusel et al. 2017) and `kernel_distance` (KID,
  Binkowski et al. 2018) compare two image sets through the features of an
  extractor: by default InceptionV3's 2048-d pooled features (ImageNet
  weights, downloaded once by Keras), or any callable / ``keras.Model``
  mapping an image batch to ``(batch, D)`` features. The ``*_from_features``
  functions work on precomputed features.
* `psnr` and `ssim` are Keras metric functions for images in [0, 1]:
  ``model.compile(..., metrics=[kerasgen.metrics.psnr, kerasgen.metrics.ssim])``.
"""

from kerasgen import _backend  # noqa: F401, I001  (backend guard first)

import keras
import tensorflow as tf

from kerasgen._distances import (  # noqa: F401  (public here; _inception_v3 for tests)
    INCEPTION_SIZE,
    INCEPTION_WEIGHTS_FILE,
    _inception_v3,
    frechet_distance,
    frechet_distance_from_features,
    inception_v3_extractor,
    kernel_distance,
    kernel_distance_from_features,
)


# --------------------------------------------------------------------------
# Keras metric functions for restorers (images in [0, 1]).


@keras.saving.register_keras_serializable(package="kerasgen")
def psnr(y_true, y_pred):
    """Peak signal-to-noise ratio (dB) per image, for images in [0, 1].

    ``tf.image.psnr`` with ``max_val=1.0``; a Keras metric function:
    ``model.compile(..., metrics=[kerasgen.metrics.psnr])`` reports the
    batch mean. Registered as ``"kerasgen>psnr"``, so saved models reload.

    Args:
        y_true: Reference images ``(batch, H, W, C)`` in [0, 1], float.
        y_pred: Restored images, same shape, float.

    Returns:
        A float tensor ``(batch,)`` of PSNR values in dB (inf for identical
        images).

    Raises:
        ValueError: If ``y_true`` or ``y_pred`` has an integer or bool dtype
            (e.g. uint8 0-255 images: their PSNR against [0, 1] images would
            be meaningless; convert them with
            ``tf.image.convert_image_dtype(images, tf.float32)``), or their
            shapes differ.

    Example:

    >>> import numpy as np
    >>> x = np.full((1, 8, 8, 1), 0.5, "float32")
    >>> round(float(psnr(x, x + 0.1)[0]), 2)
    20.0
    """
    y_true, y_pred = _float_images(y_true, y_pred)
    return tf.image.psnr(y_true, y_pred, max_val=1.0)


@keras.saving.register_keras_serializable(package="kerasgen")
def ssim(y_true, y_pred):
    """Structural similarity per image, for images in [0, 1].

    ``tf.image.ssim`` with ``max_val=1.0`` (11x11 Gaussian window, sigma 1.5,
    ``k1=0.01``, ``k2=0.03``): images must be at least 11x11. Equivalent to
    ``skimage.metrics.structural_similarity(..., data_range=1.0,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``. A Keras
    metric function, registered as ``"kerasgen>ssim"``.

    Args:
        y_true: Reference images ``(batch, H, W, C)`` in [0, 1], float, at
            least 11x11.
        y_pred: Restored images, same shape, float.

    Returns:
        A float tensor ``(batch,)`` of SSIM values in [-1, 1].

    Raises:
        ValueError: If ``y_true`` or ``y_pred`` has an integer or bool dtype
            (convert them with ``tf.image.convert_image_dtype(images,
            tf.float32)``), or the images are known to be smaller than 11x11
            (an ``InvalidArgumentError`` with the same message when the size
            is only known when the metric runs).

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((1, 16, 16, 1), "float32")
    >>> float(ssim(x, x)[0])
    1.0
    """
    y_true, y_pred = _float_images(y_true, y_pred)
    message = "ssim needs images of at least 11x11 pixels (its Gaussian window is 11x11)"
    size = y_pred.shape[-3:-1]
    if any(side is not None and side < 11 for side in size):
        raise ValueError(f"{message}. Received: images of shape {tuple(y_pred.shape)}")
    if None in size:
        tf.debugging.assert_greater_equal(tf.shape(y_pred)[-3:-1], 11, message=message)
    return tf.image.ssim(y_true, y_pred, max_val=1.0)


def _float_images(y_true, y_pred):
    """``y_true`` cast to the float dtype of ``y_pred``; integer images refused."""
    y_true, y_pred = tf.convert_to_tensor(y_true), tf.convert_to_tensor(y_pred)
    for name, images in (("y_true", y_true), ("y_pred", y_pred)):
        if not images.dtype.is_floating:
            raise ValueError(
                f"{name} must be float images in [0, 1]: convert integer images with "
                "tf.image.convert_image_dtype(images, tf.float32) (uint8 0-255 -> [0, 1]). "
                f"Received: {name}.dtype={images.dtype.name}"
            )
    if not y_true.shape.is_compatible_with(y_pred.shape):
        # tf.image broadcasts, e.g. one reference image over a batch: refused.
        raise ValueError(
            "y_true and y_pred must have the same shape. Received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    return tf.cast(y_true, y_pred.dtype), y_pred
