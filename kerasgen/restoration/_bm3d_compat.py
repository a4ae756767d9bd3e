"""Access to the optional ``bm3d`` package, and a fix for it on NumPy >= 2.4.

``bm3d`` (extra ``kerasgen[bm3d]``, non-commercial licence) is imported only
when a BM3D method is used. ``bm3d.bm3d_deblurring`` reaches ``_pcax`` in the
``bm4d`` package, which calls ``np.trapz``, removed in NumPy 2.4. Instead of
patching NumPy itself, ``numpy_with_trapz_in_bm4d`` temporarily gives the
``bm4d`` module its own view of NumPy that also has ``trapz``.
"""

import contextlib
import threading
import types

import numpy

INSTALL_HINT = 'pip install "kerasgen[bm3d]"'


def import_bm3d():
    """Imports and returns the ``bm3d`` package.

    Returns:
        The ``bm3d`` module.

    Raises:
        ImportError: if ``bm3d`` is not installed, saying how to install it.
    """
    try:
        import bm3d
    except ImportError as error:
        raise ImportError(
            "The BM3D methods need the optional package 'bm3d' (free for "
            f"non-commercial use only). Install it with: {INSTALL_HINT}"
        ) from error
    return bm3d


def bm3d_available():
    """Whether the optional ``bm3d`` package can be imported.

    Returns:
        True if ``import bm3d`` works.

    Example:

    >>> from kerasgen.restoration import bm3d_available
    >>> method = "bm3d" if bm3d_available() else "nl_means"  # for denoise()
    """
    try:
        import_bm3d()
    except ImportError:
        return False
    return True


def check_bm3d_size(shape):
    """Rejects images too small for BM3D (bm3d 4.0.3 segfaults on exactly 8 x 8).

    Args:
        shape: the image shape, (H, W) or (H, W, C).

    Raises:
        ValueError: if a side is below 8 pixels, or the image is 8 x 8.
    """
    height, width = shape[:2]
    if min(height, width) < 8 or (height, width) == (8, 8):
        raise ValueError(
            "BM3D needs an image at least 8 pixels high and wide, and larger than "
            f"8 x 8 (bm3d crashes on 8 x 8). Received: image size ({height}, {width})"
        )


# bm3d's "opp" colour transform (bm3d.rgb_to) and its inverse.
_OPPONENT = numpy.array([[1 / 3, 1 / 3, 1 / 3], [0.5, 0, -0.5], [0.25, -0.5, 0.25]])
_OPPONENT_INVERSE = numpy.array([[1, 1, 2 / 3], [1, 0, -4 / 3], [1, -1, 2 / 3]])


def is_gray_rgb(image):
    """Whether an (H, W, 3) image holds three identical channels (gray as RGB).

    Its noise is the same in the three channels, so the BM3D methods
    restore it as gray (one channel) rather than in the opponent colour
    space, which assumes independent channel noise.

    Args:
        image: (H, W, 3) array.

    Returns:
        True if the three channels are equal.
    """
    return bool((image[..., 1:] == image[..., :1]).all())


def has_constant_opponent_channel(image):
    """Whether ``bm3d.rgb_to(image, "opp")`` would divide by zero (e.g. gray RGB).

    Args:
        image: (H, W, 3) array.

    Returns:
        True if an opponent channel is constant over the image.
    """
    flat = image.reshape([image.shape[0] * image.shape[1], 3]) @ _OPPONENT.T
    return bool((flat.max(axis=0) == flat.min(axis=0)).any())


def to_opponent(image):
    """bm3d's opponent colour transform, normalised to [0, 1] per channel.

    Unlike ``bm3d.rgb_to``, a constant channel (e.g. the colour channels of a
    gray image) is not divided by zero.

    Args:
        image: (H, W, 3) array.

    Returns:
        Tuple ``(opponent, low, span, noise_scale, varying)``: the transformed
        image, the per-channel offset and span for ``from_opponent``, the
        factor mapping an RGB noise sigma to each channel's sigma, and a bool
        per channel, False for a constant channel (nothing to restore).
    """
    flat = image.reshape(-1, 3) @ _OPPONENT.T
    low, high = flat.min(axis=0), flat.max(axis=0)
    span = numpy.where(high > low, high - low, 1.0)
    noise_scale = numpy.sqrt((_OPPONENT**2).sum(axis=1)) / span
    return ((flat - low) / span).reshape(image.shape), low, span, noise_scale, high > low


def from_opponent(opponent, low, span):
    """Inverse of ``to_opponent``.

    Args:
        opponent: (H, W, 3) array in the normalised opponent space.
        low: per-channel offset returned by ``to_opponent``.
        span: per-channel span returned by ``to_opponent``.

    Returns:
        The (H, W, 3) RGB image.
    """
    flat = (opponent.reshape(-1, 3) * span + low) @ _OPPONENT_INVERSE.T
    return flat.reshape(opponent.shape)


class _NumpyWithTrapz(types.ModuleType):
    """Module object forwarding every attribute to numpy, plus ``trapz``."""

    def __init__(self):
        super().__init__("numpy")
        self.trapz = numpy.trapezoid

    def __getattr__(self, name):
        return getattr(numpy, name)


_lock = threading.Lock()
_users = 0
_saved_np = None


@contextlib.contextmanager
def numpy_with_trapz_in_bm4d():
    """Gives the ``bm4d`` module a NumPy that has ``trapz``, for the block's duration.

    Does nothing when NumPy still has ``trapz`` (< 2.4). Otherwise the ``np``
    global of the ``bm4d`` module (and only that one) is replaced by a proxy
    forwarding to numpy with ``trapz = numpy.trapezoid`` added, and restored
    when the last concurrent user leaves the block (reference-counted under
    a lock, so threads can deblur concurrently).

    Yields:
        None.
    """
    if hasattr(numpy, "trapz"):
        yield
        return
    import bm4d

    global _users, _saved_np
    with _lock:
        if _users == 0:
            _saved_np = bm4d.np
            bm4d.np = _NumpyWithTrapz()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                bm4d.np = _saved_np
                _saved_np = None


def bm3d_deblurring(image, sigma, psf, **kwargs):
    """Calls ``bm3d.bm3d_deblurring``, working around ``np.trapz`` on NumPy >= 2.4.

    Args:
        image: blurred noisy image, (H, W) or (H, W, C).
        sigma: noise standard deviation (float or one per channel).
        psf: 2-D point-spread function.
        **kwargs: passed to ``bm3d.bm3d_deblurring`` (e.g. ``profile``).

    Returns:
        The deblurred image (float64).

    Raises:
        ImportError: if ``bm3d`` is not installed.
    """
    bm3d = import_bm3d()
    psf = _centred_as_scipy(numpy.asarray(psf, numpy.float64), numpy.shape(image)[:2])
    with numpy_with_trapz_in_bm4d():
        return bm3d.bm3d_deblurring(image, sigma, psf, **kwargs)


def _centred_as_scipy(psf, shape):
    """The PSF that bm3d centres where ``scipy.ndimage.convolve`` centres ``psf``.

    ``bm3d.bm3d_deblurring`` puts the kernel entry ``round((n - 1) / 2)``
    (rounding half to even) at offset 0, ``blur`` and the other methods the
    entry ``n // 2``: for a side ``n`` of 2, 6, 10, ... the result came back
    shifted by one pixel. Such a side gets a zero row / column at its end
    (``n + 1`` is odd: same centre), or, when the kernel fills the image's
    side (no room for it), is rolled by one, which is the same circular
    convolution.
    """
    for axis, size in enumerate(psf.shape):
        if round((size - 1) / 2) != size // 2:
            if shape[axis] > size:
                widths = [(0, 0), (0, 0)]
                widths[axis] = (0, 1)
                psf = numpy.pad(psf, widths)
            else:
                psf = numpy.roll(psf, -1, axis=axis)
    return psf
