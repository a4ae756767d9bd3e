"""Batched inference of a learned restorer over many images (private).

:class:`LearnedRestorer` runs a ``.keras`` model, a ``keras.Model``, an
exported SavedModel folder (its ``serving_default`` signature, see
:func:`kerasgen.export.export_for_serving`) or the shipped denoisers on lists
of images, stacking images of the same size into one model call. Per image
the result is that of :func:`kerasgen.inference.restore` (same padding, noise
level, channel handling and clipping).
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import os

import keras
import numpy as np

from kerasgen._checks import check_int
from kerasgen._symmetry import check_self_ensemble
from kerasgen.inference import _DEFAULT_OVERLAP, _check_image, _reflect_pad, restore, size_multiple
from kerasgen.restoration._validation import check_image, check_sigma


class LearnedRestorer:
    """Restores lists of images with one learned model, in batches.

    Args:
        model: ``None`` (the shipped denoiser for each image's channels,
            :func:`kerasgen.pretrained.load_denoiser`), a ``keras.Model``,
            the path of a ``.keras`` file, or the path of an exported
            SavedModel version folder (e.g. ``saved_models/unet/1``).
        sigma: Noise level in image units for a noise-level model, or
            ``None`` to estimate it per image (as ``restore`` does). Refused
            here, before any image, for a model without a noise-level input.
        tile: ``None`` or a tile size, larger than twice the overlap;
            with tiles (or a model with a fixed input size) every image goes
            through :func:`kerasgen.inference.restore` on its own. Not for a
            SavedModel (refused).
        overlap: Tile overlap, with ``tile``; None as in ``restore``.
        batch_size: Int >= 1, images (or tiles) per model call.
        self_ensemble: 1, 2, 4 or 8 flips / rotations averaged per image
            (see :func:`kerasgen.inference.restore`); above 1, every image
            goes through ``restore`` on its own, and a SavedModel is refused.

    Example:

    >>> restorer = LearnedRestorer("denoiser.keras", sigma=25 / 255)  # doctest: +SKIP
    >>> outputs = restorer.restore_batch([noisy_a, noisy_b])  # doctest: +SKIP
    """

    def __init__(self, model=None, *, sigma=None, tile=None, overlap=None, batch_size=4, self_ensemble=1):
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.self_ensemble = check_self_ensemble(self_ensemble)
        # Checked here as restore() checks them: the batched path never calls it.
        self.sigma = check_sigma(sigma)
        self.tile = check_int("tile", tile, minimum=1, allow_none=True)
        self.overlap = check_int("overlap", overlap, minimum=0, allow_none=True)
        self._models = {}
        self._serving = None
        if model is None:
            self._given = None
        elif isinstance(model, keras.Model):
            self._given = model
        elif isinstance(model, (str, os.PathLike)):
            path = os.fspath(model)
            if os.path.isdir(path) and os.path.exists(
                os.path.join(path, "saved_model.pb")
            ):
                self._given = None
                if self.self_ensemble > 1:
                    raise ValueError(
                        "self_ensemble needs a Keras model (.keras file), not an exported "
                        f"SavedModel. Received: model={path!r}, self_ensemble={self_ensemble}"
                    )
                self._serving = _Serving(path)
            elif os.path.isfile(path):
                self._given = keras.models.load_model(path, compile=False)
            else:
                raise FileNotFoundError(
                    "model must be a .keras file or a SavedModel folder (holding "
                    f"saved_model.pb). Received: model={path!r}"
                )
        else:
            raise TypeError(
                "model must be None, a keras.Model or a path. Received: model of "
                f"type {type(model).__name__}"
            )
        self._check_sigma_input(model)
        self._check_tiles()

    def _check_tiles(self):
        """Refuses, once and before any image, tiles the images would be refused for."""
        if self._serving is not None:
            if self.tile is not None or self.overlap is not None:
                raise ValueError(
                    "tile and overlap need a Keras model (.keras file): an exported SavedModel "
                    "restores every image whole. Received: "
                    f"tile={self.tile!r}, overlap={self.overlap!r} with a SavedModel"
                )
            return
        if self.tile is None:
            return
        overlap = self.overlap
        if overlap is None:
            fixed = self._given is not None and tuple(self._given.inputs[0].shape[1:3]) != (None, None)
            if fixed:
                return  # restore() lowers its default overlap to the model's size
            overlap = _DEFAULT_OVERLAP
        if self.tile <= 2 * overlap:
            raise ValueError(
                "tile must be None or an int larger than 2 * overlap"
                f"{'' if self.overlap is not None else f' (default {overlap})'}. "
                f"Received: tile={self.tile}, overlap={self.overlap}"
            )

    def _check_sigma_input(self, model):
        """Refuses ``sigma`` for a model without a noise-level input, once, before any image."""
        if self.sigma is None:
            return
        if self._serving is not None:
            has_sigma_input = self._serving.has_sigma_input
        elif self._given is not None:
            has_sigma_input = len(self._given.inputs) == 2
        else:
            return  # the shipped denoisers take the noise level
        if not has_sigma_input:
            shown = model.name if isinstance(model, keras.Model) else os.fspath(model)
            raise ValueError(
                "sigma is only for models with a noise-level input (built with "
                "noise_level_input=True); this model takes the images only: leave sigma "
                "out (kerasgen restore: --sigma). "
                f"Received: sigma={self.sigma:.4g} for model={shown!r}, which has one input"
            )

    def restore_batch(self, images):
        """Restores a list of float images in [0, 1] (grey ``(H, W)`` or ``(H, W, 3)``).

        Returns:
            A list of float32 arrays of the inputs' shapes, in ``[0, 1]``.
        """
        if not isinstance(images, (list, tuple)):
            raise TypeError(
                "images must be a list of images (H, W) or (H, W, 3). "
                f"Received: images of type {type(images).__name__}"
            )
        # As restore() checks them: float, finite, (H, W[, C]), in [0, 1].
        images = [_check_image(image) for image in images]
        results = [None] * len(images)
        groups = {}
        for index, image in enumerate(images):
            channels = 1 if image.ndim == 2 else image.shape[-1]
            model = self._model_for(channels)
            if self._serving is None and (self.self_ensemble > 1 or not self._batchable(model)):
                results[index] = restore(
                    image, model, sigma=self.sigma, tile=self.tile,
                    overlap=self.overlap, batch_size=self.batch_size,
                    self_ensemble=self.self_ensemble,
                )  # fmt: skip
                continue
            for part, item in enumerate(
                self._items(image, self._model_channels(model))
            ):
                key = (id(model), item.shape)
                groups.setdefault(key, (model, []))[1].append((index, part, item))
        parts = {}
        for model, members in groups.values():
            for first in range(0, len(members), self.batch_size):
                chunk = members[first : first + self.batch_size]
                outputs = self._run(model, [item for _, _, item in chunk])
                for (index, part, _), output in zip(chunk, outputs):
                    parts.setdefault(index, {})[part] = output
        for index, by_part in parts.items():
            results[index] = self._assemble(images[index], by_part)
        return results

    # -- model choice -------------------------------------------------------

    def _model_for(self, channels):
        if self._serving is not None:
            return None
        if self._given is not None:
            return self._given
        key = 3 if channels == 3 else 1
        if key not in self._models:
            from kerasgen.pretrained import load_denoiser

            self._models[key] = load_denoiser(key)
        return self._models[key]

    def _batchable(self, model):
        image_input = model.inputs[0]
        fixed = tuple(image_input.shape[1:3]) != (None, None)
        return self.tile is None and not fixed and len(model.inputs) in (1, 2)

    def _model_channels(self, model):
        if self._serving is not None:
            return self._serving.channels
        return model.inputs[0].shape[-1]

    # -- channels: as kerasgen.inference.restore ------------------------------

    @staticmethod
    def _items(image, model_channels):
        """The ``(H, W, model_channels)`` arrays the model sees for one image."""
        work = image[..., None] if image.ndim == 2 else image
        if model_channels == 1 and work.shape[-1] not in (1, 3):
            check_image(image)  # refused as restore() refuses it (e.g. RGBA)
        if model_channels == 3 and work.shape[-1] == 1:
            return [np.repeat(work, 3, axis=-1)]
        if model_channels == 1 and work.shape[-1] > 1:
            return [work[..., c : c + 1] for c in range(work.shape[-1])]
        if work.shape[-1] != model_channels:
            raise ValueError(
                f"The model expects images with {model_channels} channel(s). "
                f"Received: image.shape={image.shape}"
            )
        return [work]

    @staticmethod
    def _assemble(image, by_part):
        outputs = [by_part[p] for p in sorted(by_part)]
        if image.ndim == 2:
            output = outputs[0]
            return output.mean(axis=-1) if output.shape[-1] == 3 else output[..., 0]
        if len(outputs) > 1:
            return np.concatenate(outputs, axis=-1)
        return outputs[0]

    # -- one model call ----------------------------------------------------------

    def _sigmas(self, items, has_sigma_input):
        if not has_sigma_input:
            if self.sigma is not None:
                raise ValueError(
                    "sigma is only for models with a noise-level input. "
                    f"Received: sigma={self.sigma!r} for a model with one input"
                )
            return None
        if self.sigma is not None:
            return np.full((len(items), 1), self.sigma, np.float32)
        from kerasgen.restoration.noise_level import estimate

        values = [estimate(item[..., 0] if item.shape[-1] == 1 else item) for item in items]
        return np.asarray(values, np.float32)[:, None]

    def _run(self, model, items):
        height, width = items[0].shape[:2]
        if self._serving is not None:
            sigmas = self._sigmas(items, self._serving.has_sigma_input)
            return list(self._serving(np.stack(items).astype(np.float32), sigmas))
        multiple = size_multiple(model)
        pads = (-height % multiple, -width % multiple)
        batch = np.stack([_reflect_pad(item, pads) for item in items]).astype(
            np.float32
        )
        sigmas = self._sigmas(items, len(model.inputs) == 2)
        inputs = batch if sigmas is None else [batch, sigmas]
        outputs = np.asarray(model.predict_on_batch(inputs), np.float32)
        if outputs.shape != batch.shape:
            raise ValueError(
                "The model must return images of its input shape. Received: "
                f"output shape {outputs.shape} for input shape {batch.shape}"
            )
        outputs = outputs[:, :height, :width]
        np.clip(outputs, 0.0, 1.0, out=outputs)
        return list(outputs)


class _Serving:
    """The ``serving_default`` signature of an exported restorer SavedModel."""

    def __init__(self, path):
        import tensorflow as tf

        self._loaded = tf.saved_model.load(path)
        if "serving_default" not in self._loaded.signatures:
            raise ValueError(
                "The SavedModel has no serving_default signature. Received: "
                f"signatures {sorted(self._loaded.signatures)} in {path!r}"
            )
        self._function = self._loaded.signatures["serving_default"]
        specs = self._function.structured_input_signature[1]
        if "images" not in specs:
            raise ValueError(
                "The SavedModel is not an exported image restorer (its "
                f"serving_default takes {sorted(specs)}, not images). Received: {path!r}"
            )
        self.channels = specs["images"].shape[-1]
        self.has_sigma_input = "noise_sigma" in specs

    def __call__(self, images, sigmas):
        import tensorflow as tf

        arguments = {"images": tf.constant(images)}
        if self.has_sigma_input:
            arguments["noise_sigma"] = tf.constant(sigmas)
        return np.asarray(self._function(**arguments)["restored"], np.float32)
