"""Which serving endpoints a model gets: GAN, VAE, generator or image restorer.

Used by :func:`kerasgen.export.export_for_serving`; the endpoints themselves
are built by ``kerasgen._serving_signatures``.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import tensorflow as tf

from kerasgen import _serving_signatures
from kerasgen.inference import size_multiple
from kerasgen.trainers import GAN, VAE

_SUPPORTED = (
    "a kerasgen.GAN or a generator model (input latent (batch, latent_dim) "
    "[+ int labels] -> images (batch, H, W, C)), a kerasgen.VAE, or an image "
    "restorer such as kerasgen.models.build_unet (input images "
    "(batch, H, W, C) [+ noise_sigma (batch, 1)] -> images of the same shape)"
)


def endpoints_for(model, uint8_signature):
    """Returns ``(kind, endpoints, models_to_track)`` or raises."""
    if isinstance(model, GAN):
        label_rank = num_classes = None
        if model.conditional:
            label_rank = _generator_label_rank(model.generator)
            num_classes = model._num_classes if model._integer_labels else None
        endpoints = _serving_signatures.generator_endpoints(
            model.generator, model.latent_dim, label_rank, num_classes
        )
        return "generator", endpoints, [model.generator]
    if isinstance(model, VAE):
        return ("vae", *_vae_endpoints(model))
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model must be a keras.Model: {_SUPPORTED}. Received: model of "
            f"type {type(model).__name__}"
        )
    inputs = _functional_tensors(model, "inputs")
    outputs = _functional_tensors(model, "outputs")
    input_shapes = [tuple(x.shape) for x in inputs]
    output_shapes = [tuple(x.shape) for x in outputs]
    if len(outputs) == 1 and len(output_shapes[0]) == 4 and len(inputs) in (1, 2):
        first = input_shapes[0]
        if len(first) == 2 and first[1] is not None and _is_float(inputs[0]):
            if len(inputs) == 1:
                endpoints = _serving_signatures.generator_endpoints(model, first[1])
                return "generator", endpoints, [model]
            if _is_int(inputs[1]) and _is_label_shape(input_shapes[1]):
                # The classes of the generator's Embedding (as GAN reads them).
                num_classes, _ = GAN._label_info(model, model)
                endpoints = _serving_signatures.generator_endpoints(
                    model, first[1], len(input_shapes[1]), num_classes
                )
                return "generator", endpoints, [model]
        channels = first[-1]
        if (
            len(first) == 4
            and channels is not None
            and output_shapes[0][-1] == channels
            and (len(inputs) == 1 or input_shapes[1][1:] == (1,))
        ):
            endpoints = _serving_signatures.restorer_endpoints(
                model,
                channels,
                size_multiple(model),
                noise_level_input=len(inputs) == 2,
                uint8=uint8_signature,
            )
            return "restorer", endpoints, [model]
    raise ValueError(
        f"Cannot export this model for serving. Supported: {_SUPPORTED}. "
        f"Received: model {model.name!r} with input shapes {input_shapes} and "
        f"output shapes {output_shapes}"
    )


def _vae_endpoints(vae):
    """Returns ``(endpoints, models_to_track)`` of a VAE."""
    encoder, decoder = vae.encoder, vae.decoder
    decoder_inputs = _functional_tensors(decoder, "inputs")
    encoder_inputs = _functional_tensors(encoder, "inputs")
    latent_shape = tuple(decoder_inputs[0].shape[1:])
    image_shape = tuple(encoder_inputs[0].shape[1:])
    if None in latent_shape:
        raise ValueError(
            "A VAE is exported with a fully known latent shape. Received: "
            f"decoder input shape {tuple(decoder_inputs[0].shape)}"
        )
    encoder_outputs = getattr(encoder, "outputs", None)
    if (
        isinstance(encoder, keras.Model)
        and encoder_outputs
        and len(encoder_outputs) >= 2
    ):
        # z_mean and z_log_var only: the served graph does not draw z.
        encoder = keras.Model(encoder.inputs, encoder_outputs[:2], name=encoder.name)
    # encode refuses the images VAE.encode refuses (the range check as it
    # stands at export time).
    bounds = vae._range_bounds()
    message = ""
    if bounds is not None:
        what, hint = vae._range_message()
        message = f"encode refuses images with {what}. {hint}"
    endpoints = _serving_signatures.vae_endpoints(
        encoder, decoder, latent_shape, image_shape, bounds, message
    )
    return endpoints, [encoder, decoder]


def example_inputs(signature, image_size):
    """Small tensors matching ``signature`` (ints: labels 0, scalars 1)."""
    examples = []
    for spec in signature:
        shape = [
            dim
            if dim is not None
            else (2 if axis == 0 else image_size[min(axis, 2) - 1])
            for axis, dim in enumerate(spec.shape)
        ]
        fill = tf.ones if spec.dtype.is_integer and not shape else tf.zeros
        examples.append(fill(shape, spec.dtype))
    return examples


def last_message_line(error):
    """The gist of an error: TF graph errors end with it, after a traceback."""
    lines = [line.strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line and not line.startswith(("File ", "[["))]
    return lines[-1] if lines else ""


def _functional_tensors(model, attribute):
    tensors = getattr(model, attribute, None) if model.built else None
    if not tensors:
        raise ValueError(
            f"Cannot export a model without known {attribute} (a subclassed "
            "model that was never called): use a functional or Sequential "
            f"model built from keras.Input. Supported: {_SUPPORTED}. Received: "
            f"model {model.name!r} of type {type(model).__name__}"
        )
    return list(tensors)


def _generator_label_rank(generator):
    inputs = _functional_tensors(generator, "inputs")
    if len(inputs) != 2 or not _is_label_shape(tuple(inputs[1].shape)):
        raise ValueError(
            "A conditional generator must take [latent, labels] with labels of "
            "shape (batch,) or (batch, 1). Received input shapes "
            f"{[tuple(x.shape) for x in inputs]}"
        )
    return len(inputs[1].shape)


def _is_label_shape(shape):
    return len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)


def _is_float(tensor):
    return "float" in str(tensor.dtype)


def _is_int(tensor):
    return "int" in str(tensor.dtype)
