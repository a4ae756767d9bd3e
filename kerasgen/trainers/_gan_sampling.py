"""Image generation of ``GAN``: ``call`` and ``generate`` (a mixin of the model)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen._checks import check_int, check_seed
from kerasgen.trainers._inference import predict_in_batches


class GANSamplingMixin:
    """``call`` and ``generate`` of :class:`kerasgen.GAN` (uses its generator)."""

    def call(self, inputs, training=False):
        """Generates images from ``z`` (or ``[z, labels]``), as float32."""
        if self.conditional and not (
            isinstance(inputs, (list, tuple)) and len(inputs) == 2
        ):
            raise ValueError(
                "A conditional GAN is called on [z, labels]. "
                f"Received: inputs of type {type(inputs).__name__}"
            )
        if (
            self.conditional
            and self._integer_labels
            and not isinstance(inputs[1], keras.KerasTensor)
        ):
            inputs = [inputs[0], self._asserted_class_ids(inputs[1])]
        return ops.cast(self.generator(inputs, training=training), "float32")

    def predict(self, x, *args, **kwargs):
        """``keras.Model.predict``; labels given as an array are checked first.

        ``predict`` checks every batch in its graph; for ``[z, labels]``
        given as arrays (not a ``tf.data.Dataset``) the labels are checked
        here too, so that an error names the labels received.

        Args:
            x: Latent vectors ``(n, latent_dim)``, or ``[z, labels]`` for a
                conditional GAN, or a dataset of them.
            *args: Passed to ``keras.Model.predict``.
            **kwargs: Passed to ``keras.Model.predict``.

        Returns:
            The generated images, a float32 array ``(n, height, width,
            channels)``.

        Raises:
            ValueError: For labels that are not class ids, latent vectors of
                the wrong shape, NaN or inf (see ``on_nonfinite``).
        """
        self._check_array_labels(x, "GAN.predict")
        return super().predict(x, *args, **kwargs)

    def predict_on_batch(self, x):
        """``keras.Model.predict_on_batch``, labels checked as in :meth:`predict`.

        Args:
            x: Latent vectors ``(n, latent_dim)``, or ``[z, labels]`` for a
                conditional GAN.

        Returns:
            The generated images, a float32 array ``(n, height, width,
            channels)``.
        """
        self._check_array_labels(x, "GAN.predict_on_batch")
        return super().predict_on_batch(x)

    def _check_array_labels(self, x, where):
        if not (
            self.conditional
            and self._integer_labels
            and isinstance(x, (list, tuple))
            and len(x) == 2
            and isinstance(x[1], (np.ndarray, list, tuple, tf.Tensor, np.generic))
        ):
            return
        labels = np.asarray(x[1])
        if labels.ndim >= 1 and labels.dtype.kind in "iuf":
            try:
                self._class_ids(labels)
            except ValueError as error:
                raise ValueError(f"{where}: {error}") from None

    def _asserted_class_ids(self, labels):
        """``labels`` with graph assertions that they are class ids.

        A direct call (``gan([z, labels])``) or a graph exported by Keras'
        ``gan.export`` then refuses labels outside ``[0, num_classes)``
        (an ``InvalidArgumentError``), which an embedding lookup on a GPU
        turns into zero vectors, silently. (Under XLA the assertions are
        no-ops: ``predict`` checks its labels itself.)
        """
        labels = tf.convert_to_tensor(labels)
        n = self._num_classes
        message = "labels must be class ids: integers " + (
            ">= 0" if n is None else f"in [0, num_classes={n})"
        )
        checks = [tf.debugging.assert_non_negative(labels, message=message)]
        if n is not None:
            checks.append(
                tf.debugging.assert_less(labels, tf.constant(n, labels.dtype), message=message)
            )
        if labels.dtype.is_floating:
            checks.append(
                tf.debugging.assert_equal(labels, tf.round(labels), message=message)
            )
        with tf.control_dependencies(checks):
            return tf.identity(labels)

    def generate(self, num_images, seed=None, labels=None, batch_size=None):
        """Generates images from random latent vectors.

        The noise does not come from (nor advance) the training noise state:
        a given int ``seed`` always gives the same images for given weights.

        Args:
            num_images: Int >= 1, number of images.
            seed: Optional int. None draws from Keras' global seed generator
                (reproducible after ``keras.utils.set_random_seed``).
            labels: For a conditional GAN, required array of ``num_images``
                labels in the format of the generator's label input (for
                kerasgen's builders, integer class ids in
                ``[0, num_classes)``, shape ``(num_images,)`` or
                ``(num_images, 1)``). Must be None for an unconditional GAN.
            batch_size: Optional int, images per generator call (default 128).

        Returns:
            Numpy float32 array ``(num_images, ...)`` in the generator's
            output range.

        Raises:
            TypeError: If ``num_images``, ``seed`` or ``batch_size`` is not
                an int.
            ValueError: On out-of-range values, missing labels for a
                conditional GAN or labels for an unconditional one, or
                labels that are not class ids (negative, ``>= num_classes``,
                not integers, or one-hot) when the generator takes integer
                labels.

        Example:

        ```python
        images = gan.generate(8, seed=0)
        digits = cgan.generate(10, seed=0, labels=np.arange(10))
        ```
        """
        num_images = check_int("num_images", num_images, minimum=1)
        seed = check_seed(seed)
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, minimum=1)
        labels = self._generate_labels(labels, num_images)
        z = ops.convert_to_numpy(
            keras.random.normal((num_images, self.latent_dim), seed=seed)
        )
        inputs = [z, labels] if self.conditional else z
        return predict_in_batches(self.generator, inputs, batch_size)

    def _generate_labels(self, labels, num_images):
        """Checks the ``labels`` argument of ``generate``; returns the labels to use.

        Raises:
            ValueError: If labels are missing for a conditional GAN, given to
                an unconditional one, or invalid (see ``generate``).
        """
        if self.conditional:
            return self._check_labels(labels, num_images)
        if labels is not None:
            raise ValueError(
                "labels must be None for an unconditional GAN. "
                f"Received: labels of type {type(labels).__name__}"
            )
        return None

    def _check_labels(self, labels, num_images):
        if labels is None:
            raise ValueError(
                f"labels are required for a conditional GAN: pass {num_images} "
                "labels (one per image). Received: labels=None"
            )
        labels = np.asarray(labels)
        if labels.ndim == 0 or labels.shape[0] != num_images:
            raise ValueError(
                f"labels must have num_images={num_images} rows. "
                f"Received: labels.shape={labels.shape}"
            )
        shape = self._label_shape
        if shape is not None and labels.ndim == len(shape) - 1 and shape[-1] == 1:
            labels = labels[..., None]  # e.g. (n,) for an input of shape (None, 1)
        if shape is not None and not (
            labels.ndim == len(shape)
            and all(e is None or r == e for r, e in zip(labels.shape[1:], shape[1:]))
        ):
            hint = ""
            if labels.ndim == 2 and tuple(shape[1:]) == (1,):
                hint = "; for one-hot labels pass np.argmax(labels, axis=-1)"
            raise ValueError(
                f"labels must have shape {(num_images, *shape[1:])}"
                f"{' or (num_images,)' if tuple(shape[1:]) == (1,) else ''}. "
                f"Received: labels.shape={labels.shape}{hint}"
            )
        if self._integer_labels:
            labels = self._class_ids(labels)
        return labels

    def _class_ids(self, labels):
        """Checks that ``labels`` holds class ids; returns them as int64."""
        n = self._num_classes
        expected = "integers >= 0" if n is None else f"integers in [0, num_classes={n})"
        if labels.dtype.kind not in "iuf":
            raise ValueError(
                f"labels must be class ids ({expected}). Received: labels of "
                f"dtype {labels.dtype}"
            )
        if labels.dtype.kind == "f":
            flat = labels.ravel()
            bad = flat[~(np.isfinite(flat) & (flat == np.round(flat)))]
            if bad.size:
                raise ValueError(
                    f"labels must be class ids ({expected}); a float label "
                    f"would be truncated. Received: labels with the value {bad[0].item()!r}"
                )
        if labels.size and (labels.min() < 0 or (n is not None and labels.max() >= n)):
            raise ValueError(
                f"labels must be class ids ({expected}). Received: labels in "
                f"[{labels.min():g}, {labels.max():g}]"
            )
        return labels.astype("int64")
