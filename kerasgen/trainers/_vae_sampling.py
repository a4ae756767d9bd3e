"""``VAE.encode``, ``decode`` and ``sample``: inference in batches (a mixin of the model)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import numpy as np
from keras import ops

from kerasgen._checks import check_int, check_seed
from kerasgen.trainers._inference import predict_in_batches


class VAESamplingMixin:
    """``encode``, ``decode`` and ``sample`` of :class:`kerasgen.VAE`."""

    def encode(self, images, batch_size=None):
        """Encodes images to the parameters of the approximate posterior.

        Args:
            images: Array of images, shape ``(n, ...)`` as the encoder
                expects: floats in the VAE's data range (``[0, 1]`` for
                ``likelihood="bernoulli"``).
            batch_size: Optional int, rows per sub-model call (default 128).

        Returns:
            Tuple ``(z_mean, z_log_var)`` of numpy float32 arrays.

        Raises:
            TypeError: If ``batch_size`` is not an int.
            ValueError: If ``images`` does not match the encoder's input
                shape, has a dtype other than float or bool (e.g. uint8),
                NaN or inf values
                or values outside the range ``fit`` accepts, or if
                ``batch_size`` is < 1.

        Example:

        ```python
        z_mean, z_log_var = vae.encode(test_images[:8])
        ```
        """
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, minimum=1)
        images = self._checked_images(images, "VAE.encode")
        z_mean, z_log_var, _ = predict_in_batches(self.encoder, images, batch_size)
        return z_mean, z_log_var

    def _checked_images(self, images, where):
        """``images`` as float32 numpy, checked like the batches of ``fit``."""
        images = np.asarray(images)
        # Not only integers: complex values lost their imaginary part and
        # strings failed inside numpy.
        if images.dtype.kind not in "fb":
            raise ValueError(
                f"{where}: images must be floats in the VAE's data range "
                "(e.g. 8-bit images divided by 255.0 for [0, 1]). "
                f"Received: images of dtype {images.dtype}"
            )
        images = np.asarray(images, dtype="float32")
        if self._image_shape is not None and not (
            images.ndim == len(self._image_shape)
            and _compatible(images.shape[1:], self._image_shape[1:])
        ):
            raise ValueError(
                f"images must have shape (n,) + {self._image_shape[1:]}. "
                f"Received: images.shape={images.shape}"
            )
        finite = np.isfinite(images)
        if not finite.all():
            raise ValueError(
                f"{where}: images must be finite. Received: "
                f"{images.size - int(finite.sum())} NaN or inf value(s)"
            )
        bounds = self._range_bounds()
        if bounds is not None and images.size and (
            images.min() < bounds[0] or images.max() > bounds[1]
        ):
            what, hint = self._range_message()
            raise ValueError(
                f"{where}: images have {what}. {hint} Received: values in "
                f"[{images.min():.4g}, {images.max():.4g}]"
            )
        return images

    def decode(self, z, batch_size=None):
        """Decodes latent vectors to images (probabilities or means).

        Args:
            z: Array of latent vectors, shape ``(n,) + latent_shape``.
            batch_size: Optional int, rows per sub-model call (default 128).

        Returns:
            Numpy float32 images in ``[0, 1]``.

        Raises:
            ValueError: If ``z`` does not match the latent shape or has NaN
                or inf values, or ``batch_size`` is < 1.

        Example:

        ```python
        images = vae.decode(np.zeros((4, 2), "float32"))
        ```
        """
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, minimum=1)
        z = np.asarray(z, dtype="float32")
        if self._latent_shape is not None and not (
            z.ndim == len(self._latent_shape) + 1
            and _compatible(z.shape[1:], self._latent_shape)
        ):
            raise ValueError(
                f"z must have shape (n,) + {self._latent_shape}. "
                f"Received: z.shape={z.shape}"
            )
        finite = np.isfinite(z)
        if not finite.all():  # decoded to NaN images, silently
            raise ValueError(
                f"z must be finite. Received: {z.size - int(finite.sum())} NaN or inf value(s)"
            )
        return predict_in_batches(self.decoder, z, batch_size)

    def sample(self, num_images, seed=None, batch_size=None):
        """Decodes ``num_images`` latent vectors drawn from the prior N(0, I).

        Args:
            num_images: Int >= 1.
            seed: Optional int; a given seed always gives the same images for
                given weights. None draws from Keras' global seed generator.
            batch_size: Optional int, rows per sub-model call (default 128).

        Returns:
            Numpy float32 images in ``[0, 1]``, shape ``(num_images, ...)``.

        Raises:
            TypeError: If ``num_images`` or ``seed`` is not an int.
            ValueError: If ``num_images`` < 1, or when the latent shape
                cannot be inferred from the sub-models.

        Example:

        ```python
        images = vae.sample(16, seed=0)
        ```
        """
        num_images = check_int("num_images", num_images, minimum=1)
        seed = check_seed(seed)
        if self._latent_shape is None or None in self._latent_shape:
            raise ValueError(
                "sample() needs the latent shape, which could not be inferred "
                "from the encoder/decoder; draw z yourself and call decode(z). "
                f"Received: latent_shape={self._latent_shape}"
            )
        z = keras.random.normal((num_images,) + self._latent_shape, seed=seed)
        return self.decode(ops.convert_to_numpy(z), batch_size=batch_size)


def _compatible(shape_a, shape_b):
    """True when two shapes agree wherever both are known."""
    shape_a, shape_b = tuple(shape_a), tuple(shape_b)
    return len(shape_a) == len(shape_b) and all(
        a is None or b is None or a == b for a, b in zip(shape_a, shape_b)
    )
