"""Full-reference quality metrics for images in [0, 1] (scikit-image)."""

import numpy as np

from kerasgen.restoration._validation import check_image

# Gaussian window of sigma 1.5 truncated at 3.5 sigma: 11 x 11, as tf.image.ssim.
_SSIM_SIGMA = 1.5
_SSIM_WINDOW = 11


def _check_pair(clean, restored, channel_axis):
    # The reference must be on the [0, 1] scale (data_range=1.0): on the
    # 0-255 scale both scores would be meaningless. The restored image is
    # scored as it is, however far out of range a failed restoration went.
    clean_array, clean_layout = check_image(clean, name="clean", channel_axis=channel_axis, check_range=True)
    restored_array, restored_layout = check_image(restored, name="restored", channel_axis=channel_axis)
    if clean_layout.shape != restored_layout.shape:
        raise ValueError(
            "clean and restored must have the same shape. Received: "
            f"clean.shape={clean_layout.shape}, restored.shape={restored_layout.shape}"
        )
    return clean_array, restored_array


def psnr(clean, restored, *, channel_axis=None):
    """Peak signal-to-noise ratio in dB, for images on the [0, 1] scale.

    ``skimage.metrics.peak_signal_noise_ratio`` with ``data_range=1.0`` (the
    value range is not guessed from the data), so ``clean`` on the 0-255
    scale is refused. Values of ``restored`` outside [0, 1] are measured as
    they are; clip them first to score what would be saved.

    Args:
        clean: reference float image, (H, W), (H, W, 1) or (H, W, 3).
        restored: float image of the same shape.
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        The PSNR as a float (``inf`` for identical images).

    Raises:
        ValueError: invalid images or different shapes, or a ``clean``
            image clearly outside [0, 1] (below -1 or above 2, e.g. on the
            0-255 scale; turned off by ``kerasgen.set_range_check(False)``).

    Example:

    >>> import numpy as np
    >>> clean = np.zeros((8, 8))
    >>> round(psnr(clean, clean + 0.1), 2)
    20.0
    """
    from skimage.metrics import peak_signal_noise_ratio

    clean_array, restored_array = _check_pair(clean, restored, channel_axis)
    if np.array_equal(clean_array, restored_array):
        return float("inf")
    return float(peak_signal_noise_ratio(clean_array, restored_array, data_range=1.0))


def ssim(clean, restored, *, channel_axis=None):
    """Structural similarity index, for images on the [0, 1] scale.

    ``skimage.metrics.structural_similarity`` with ``data_range=1.0`` and the
    parameters of Wang et al. (2004) that ``tf.image.ssim`` and
    ``kerasgen.metrics.ssim`` use too: an 11 x 11 Gaussian window of sigma
    1.5 (``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``),
    ``k1=0.01``, ``k2=0.03``; ``channel_axis=-1`` for RGB (the mean over the
    channels). Both functions give the same value for the same images.

    Args:
        clean: reference float image, (H, W), (H, W, 1) or (H, W, 3), at
            least 11 x 11 pixels.
        restored: float image of the same shape.
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        The SSIM as a float (1.0 for identical images).

    Raises:
        ValueError: invalid images, different shapes, images smaller than
            11 x 11, or a ``clean`` image clearly outside [0, 1] (as for
            ``psnr``).

    Example:

    >>> import numpy as np
    >>> clean = np.random.default_rng(0).random((16, 16))
    >>> round(ssim(clean, clean), 6)
    1.0
    """
    from skimage.metrics import structural_similarity

    clean_array, restored_array = _check_pair(clean, restored, channel_axis)
    height, width = clean_array.shape[:2]
    if min(height, width) < _SSIM_WINDOW:
        raise ValueError(
            f"ssim needs images of at least {_SSIM_WINDOW} x {_SSIM_WINDOW} pixels. "
            f"Received: image size ({height}, {width})"
        )
    return float(
        structural_similarity(
            clean_array,
            restored_array,
            data_range=1.0,
            gaussian_weights=True,
            sigma=_SSIM_SIGMA,
            use_sample_covariance=False,
            channel_axis=-1 if clean_array.ndim == 3 else None,
        )
    )
