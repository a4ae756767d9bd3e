"""Training callbacks: `SampleGrid` saves a grid of samples after each epoch.

`make_grid` tiles a batch of images into one ``uint8`` image; `SampleGrid`
uses it with FIXED latent seeds, so that the grids of successive epochs show
the same latent points and progress is visible.
"""

from kerasgen import _backend  # noqa: F401, I001  (backend guard first)

import math
import os

import keras
import numpy as np
from PIL import Image
from skimage.util import montage

from kerasgen._checks import check_data_range, check_int, check_seed, check_value_range
from kerasgen.restoration._atomic import atomic_output


def make_grid(images, ncols=None, value_range=(-1, 1), *, padding=0):
    """Tiles a batch of images into one ``uint8`` grid image.

    Values are clipped to `value_range` and mapped linearly to [0, 255]. Grid
    cells after the last image (and the `padding` between cells) are black.
    Values clearly outside `value_range` (e.g. 0-255 images with the default
    ``(-1, 1)``) are refused rather than clipped to a white grid; integer
    images (e.g. ``uint8``) must lie within `value_range` (pass
    ``value_range=(0, 255)`` for 8-bit images).

    Args:
        images: Array-like ``(N, H, W, C)`` with ``C`` in (1, 3, 4), or
            ``(N, H, W)`` for grayscale; numpy array or tensor, of real
            numbers.
        ncols: Optional number of columns, an int >= 1. Defaults to
            ``ceil(sqrt(N))``.
        value_range: Pair ``(lo, hi)`` of the input values, ``lo < hi``:
            ``(-1, 1)`` for GAN images, ``(0, 1)`` for VAE images.
        padding: Pixels between grid cells, an int >= 0.

    Returns:
        A ``uint8`` numpy array ``(rows * H + (rows - 1) * padding,
        ncols * W + (ncols - 1) * padding, C)`` with
        ``rows = ceil(N / ncols)``; ``C = 1`` for ``(N, H, W)`` input.

    Raises:
        ValueError: If `images` has the wrong shape or dtype, is empty, has
            non-finite values or values outside `value_range` (for floats:
            clearly outside, see ``kerasgen.set_range_check``), or if an
            argument is out of range.

    Example:

    >>> import numpy as np
    >>> grid = make_grid(np.zeros((10, 28, 28, 1)), ncols=5)
    >>> grid.shape, grid.dtype
    ((56, 140, 1), dtype('uint8'))
    """
    images = np.asarray(keras.ops.convert_to_numpy(images))
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4 or 0 in images.shape[:3] or images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            "images must have shape (N, H, W, C) with N >= 1, H >= 1, W >= 1 and C in (1, 3, 4), "
            f"or (N, H, W). Received: shape={images.shape}"
        )
    if images.dtype.kind not in "biuf":
        raise ValueError(
            f"images must be real numbers. Received: images of dtype {images.dtype}"
        )
    if not np.isfinite(images).all():
        raise ValueError("images must be finite. Received: NaN or inf values")
    lo, hi = check_value_range(value_range)
    if images.dtype.kind in "biu" and (images.min() < lo or images.max() > hi):
        raise ValueError(
            f"images of dtype {images.dtype} must lie within value_range="
            f"({lo:g}, {hi:g}); pass value_range=(0, 255) for 8-bit images. "
            f"Received: values in [{images.min()}, {images.max()}]"
        )
    check_data_range(images, "images", (lo, hi))
    num, height, width, channels = images.shape
    ncols = (
        math.ceil(math.sqrt(num))
        if ncols is None
        else check_int("ncols", ncols, minimum=1)
    )
    padding = check_int("padding", padding, minimum=0)
    ncols = min(ncols, num)
    nrows = math.ceil(num / ncols)

    scaled = (np.clip(images.astype(np.float64), lo, hi) - lo) * (255.0 / (hi - lo))
    scaled = np.rint(scaled).astype(np.uint8)
    # montage also pads the outer border: cropped off below.
    grid = montage(scaled, fill=(0,) * channels, grid_shape=(nrows, ncols), padding_width=padding, channel_axis=-1)
    if padding:
        grid = grid[padding:-padding, padding:-padding]
    return grid


@keras.saving.register_keras_serializable(package="kerasgen")
class SampleGrid(keras.callbacks.Callback):
    """Saves a PNG grid of generated samples at the end of epochs.

    The samples come from FIXED seeds, so every grid shows the same latent
    points: ``model.generate(num_images, seed=seed[, labels=labels])`` for a
    kerasgen ``GAN`` (values in [-1, 1]) or ``model.sample(num_images,
    seed=seed)`` for a kerasgen ``VAE`` (values in [0, 1]). Files are
    written atomically (temporary file + ``os.replace``).

    Args:
        out_dir: Folder for the PNG files (created if needed).
        num_images: Number of samples per grid, an int >= 1.
        seed: Int seed of the samples, the same at every epoch (a valid
            ``seed`` of ``generate``/``sample``).
        every_n_epochs: Save a grid every this many epochs, an int >= 1.
        labels: Optional class labels, one per image, for conditional GANs
            (passed to ``generate``; not supported with ``sample``).
        value_range: Optional pair ``(lo, hi)`` of the sample values.
            Defaults to ``(-1, 1)`` for ``generate`` and ``(0, 1)`` for
            ``sample``.
        tensorboard_log_dir: Optional folder: the grid is also logged as a
            TensorBoard image summary ``"samples"`` at step ``epoch``
            (needs the ``tensorboard`` package).
        filename: File name pattern, formatted with ``epoch`` (1-based, as
            in ``keras.callbacks.ModelCheckpoint``); must end with ``.png``
            and name no folder (the grids go into ``out_dir``).
        ncols: Optional number of grid columns (default: about square).

    Attributes:
        last_path: Path of the last grid written, or None.

    The model is checked when training begins (not after the first epoch):
    ``fit`` raises at once when the model has neither ``generate`` nor
    ``sample``, when ``labels`` are given for a ``sample`` model, or when a
    kerasgen ``GAN`` would refuse the labels (missing for a conditional
    GAN, given to an unconditional one, or not class ids in
    ``[0, num_classes)``).

    Raises:
        TypeError: If `seed` is not an int.
        ValueError: If an argument is invalid.
        ImportError: If `tensorboard_log_dir` is set and the ``tensorboard``
            package is not installed.

    Example:

    >>> gan.fit(dataset, epochs=20, callbacks=[
    ...     SampleGrid("samples", num_images=64)])  # doctest: +SKIP
    """

    def __init__(
        self,
        out_dir,
        num_images=16,
        seed=0,
        every_n_epochs=1,
        labels=None,
        value_range=None,
        tensorboard_log_dir=None,
        filename="samples_epoch_{epoch:03d}.png",
        ncols=None,
    ):
        super().__init__()
        if not isinstance(out_dir, (str, os.PathLike)):
            raise TypeError(
                f"out_dir must be a str or os.PathLike. Received: out_dir={out_dir!r}"
            )
        self.out_dir = os.fspath(out_dir)
        self.num_images = check_int("num_images", num_images, minimum=1)
        if seed is None:
            raise TypeError(
                "seed must be an int (the grids of all epochs use it). "
                "Received: seed=None"
            )
        self.seed = check_seed(seed)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs, minimum=1)
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape[:1] != (self.num_images,):
                raise ValueError(
                    f"labels must have one entry per image ({self.num_images}). "
                    f"Received: labels with shape {labels.shape}"
                )
        self.labels = labels
        self.value_range = (
            None if value_range is None else check_value_range(value_range)
        )
        if tensorboard_log_dir is not None and not isinstance(tensorboard_log_dir, (str, os.PathLike)):
            raise TypeError(
                "tensorboard_log_dir must be None, a str or os.PathLike. "
                f"Received: tensorboard_log_dir={tensorboard_log_dir!r}"
            )
        self.tensorboard_log_dir = (
            None if tensorboard_log_dir is None else os.fspath(tensorboard_log_dir)
        )
        if self.tensorboard_log_dir is not None:
            try:
                import tensorboard  # noqa: F401  (tf.summary.image needs it)
            except ImportError as err:
                raise ImportError(
                    "tensorboard_log_dir needs the tensorboard package, which is "
                    "not installed: `pip install tensorboard`, or pass "
                    f"tensorboard_log_dir=None. Received: "
                    f"tensorboard_log_dir={self.tensorboard_log_dir!r}"
                ) from err
        if not isinstance(filename, str) or not filename.lower().endswith(".png"):
            raise ValueError(
                f"filename must be a str ending with '.png'. "
                f"Received: filename={filename!r}"
            )
        try:
            filename.format(epoch=1)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as err:
            raise ValueError(
                "filename must be a format string with at most the field "
                f"{{epoch}}. Received: filename={filename!r} ({err!r})"
            ) from err
        if any(sep in filename for sep in ("/", os.sep, os.altsep) if sep):
            raise ValueError(
                "filename must be a file name, without folders: the grids are "
                "written into out_dir. Received: "
                f"filename={filename!r}"
            )
        self.filename = filename
        self.ncols = None if ncols is None else check_int("ncols", ncols, minimum=1)
        self.last_path = None
        self._writer = None

    def on_train_begin(self, logs=None):
        # Fail now rather than after the first (possibly hours-long) epoch.
        try:
            self._sampler()
        except (TypeError, ValueError) as err:
            raise type(err)(f"SampleGrid: {err}") from err

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs != 0:
            return
        images, value_range = self._draw_samples()
        grid = make_grid(images, ncols=self.ncols, value_range=value_range)
        os.makedirs(self.out_dir, exist_ok=True)
        path = os.path.join(self.out_dir, self.filename.format(epoch=epoch + 1))
        _write_png_atomically(path, grid)
        self.last_path = path
        if self.tensorboard_log_dir is not None:
            self._log_to_tensorboard(grid, epoch + 1)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _sampler(self):
        """``(draw, default_range)`` for the model; checks it and the labels."""
        model = self.model
        if callable(getattr(model, "generate", None)):
            kwargs = {} if self.labels is None else {"labels": self.labels}
            check_labels = getattr(model, "_generate_labels", None)  # kerasgen GAN
            if check_labels is not None:
                check_labels(self.labels, self.num_images)
            return (
                lambda: model.generate(self.num_images, seed=self.seed, **kwargs),
                (-1.0, 1.0),
            )
        if callable(getattr(model, "sample", None)):
            if self.labels is not None:
                raise ValueError(
                    "labels are only supported for models with a generate() "
                    f"method. Received: labels for {type(model).__name__}, "
                    "which only has sample()"
                )
            return lambda: model.sample(self.num_images, seed=self.seed), (0.0, 1.0)
        raise TypeError(
            "SampleGrid needs a model with a generate(num_images, seed=...) "
            "method (kerasgen GAN) or a sample(num_images, seed=...) method "
            f"(kerasgen VAE). Received: model of type {type(model).__name__}"
        )

    def _draw_samples(self):
        draw, default_range = self._sampler()
        return draw(), self.value_range or default_range

    def _log_to_tensorboard(self, grid, step):
        import tensorflow as tf  # only needed for TensorBoard summaries

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_log_dir)
        with self._writer.as_default():
            tf.summary.image("samples", grid[np.newaxis], step=step)
        self._writer.flush()

    def get_config(self):
        return {
            "out_dir": self.out_dir,
            "num_images": self.num_images,
            "seed": self.seed,
            "every_n_epochs": self.every_n_epochs,
            "labels": None if self.labels is None else self.labels.tolist(),
            "value_range": self.value_range,
            "tensorboard_log_dir": self.tensorboard_log_dir,
            "filename": self.filename,
            "ncols": self.ncols,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _write_png_atomically(path, grid):
    """Writes a uint8 (H, W, C) array as a PNG, atomically."""
    image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    with atomic_output(path) as f:
        image.save(f, format="PNG")
