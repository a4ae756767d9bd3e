"""The 8 symmetries of the square, for geometric self-ensembles (numpy only)."""

import numpy as np

# Symmetries averaged by a self-ensemble of each size (indices of `flip_rotate`).
ENSEMBLES = {1: (0,), 2: (0, 6), 4: (0, 2, 5, 7), 8: tuple(range(8))}


def flip_rotate(image, index, *, inverse=False):
    """One of the 8 symmetries of the square applied to (H, W[, C]) (or undone).

    Args:
        image: array, the first two axes spatial.
        index: 0-7: ``index % 4`` quarter turns, after a left-right flip
            when ``index >= 4``.
        inverse: whether to undo the transform instead.

    Returns:
        A C-contiguous array (H and W swapped for odd quarter turns).

    Example:

    >>> x = np.arange(6).reshape(2, 3)
    >>> bool(all((flip_rotate(flip_rotate(x, i), i, inverse=True) == x).all() for i in range(8)))
    True
    """
    turns, flip = index % 4, index >= 4
    if inverse:
        image = np.rot90(image, -turns, axes=(0, 1))
        image = image[:, ::-1] if flip else image
    else:
        image = image[:, ::-1] if flip else image
        image = np.rot90(image, turns, axes=(0, 1))
    return np.ascontiguousarray(image)


def check_self_ensemble(self_ensemble):
    """Validates a self-ensemble size: an int in ``ENSEMBLES``."""
    if isinstance(self_ensemble, bool) or self_ensemble not in ENSEMBLES:
        raise ValueError(
            f"self_ensemble must be one of {sorted(ENSEMBLES)} (the number of flips/rotations "
            f"averaged). Received: self_ensemble={self_ensemble!r}"
        )
    return int(self_ensemble)
