"""Serving functions of the models that :mod:`kerasgen.export` writes.

Each ``*_endpoints`` function returns ``(name, fn, input_signature)`` triples
for ``keras.export.ExportArchive.add_endpoint``. The functions take named
tensors (the argument names become the signature's input names) and return
dicts (the keys become the output names), and use TensorFlow ops only, so the
exported graph needs neither kerasgen nor Keras at load time.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import tensorflow as tf

from kerasgen._checks import allowed_range, range_check_enabled


def generator_endpoints(generator, latent_dim, label_rank=None, num_classes=None):
    """Endpoints of a (conditional) generator.

    ``serving_default``: ``latent`` (and ``labels``) -> ``images``.
    ``generate``: ``num_images`` (int32 scalar; a conditional generator
    takes ``labels`` instead, one image per label) and ``seed`` (int64
    scalar) -> ``images``, the latent vectors drawn in the graph by
    ``tf.random.stateless_normal`` (deterministic per seed).

    Args:
        generator: Built ``keras.Model`` mapping ``latent`` (or
            ``[latent, labels]``) to images.
        latent_dim: Int, size of the latent vectors.
        label_rank: None for an unconditional generator, else the rank of
            the generator's label input (1: ``(batch,)``, 2: ``(batch, 1)``).
        num_classes: None, or the number of classes of a conditional
            generator's ``Embedding``: the graph then refuses labels outside
            ``[0, num_classes)`` (an ``InvalidArgumentError``, as
            ``GAN.generate`` refuses them), which a GPU's embedding lookup
            would turn into zero vectors, silently.

    Returns:
        A list of ``(name, fn, input_signature)``.
    """
    latent_spec = tf.TensorSpec((None, latent_dim), tf.float32, name="latent")
    labels_spec = tf.TensorSpec((None,), tf.int32, name="labels")
    seed_spec = tf.TensorSpec((), tf.int64, name="seed")
    num_images_spec = tf.TensorSpec((), tf.int32, name="num_images")

    def run(latent, labels=None):
        latent = _assert_finite_latent(latent)
        inputs = latent
        if label_rank is not None:
            if num_classes is not None:
                message = f"labels must be class ids: integers in [0, num_classes={num_classes})"
                checks = [
                    tf.debugging.assert_non_negative(labels, message=message),
                    tf.debugging.assert_less(labels, tf.constant(num_classes, labels.dtype), message=message),
                ]
                with tf.control_dependencies(checks):  # before the lookup fails on its own
                    labels = tf.identity(labels)
            labels = tf.reshape(labels, (-1, 1)) if label_rank == 2 else labels
            inputs = [latent, labels]
        return {"images": tf.cast(generator(inputs, training=False), tf.float32)}

    def draw(num_images, seed):
        return _stateless_latent(num_images, latent_dim, seed)

    if label_rank is None:

        def serve(latent):
            return run(latent)

        def generate(num_images, seed):
            return run(draw(num_images, seed))

        return [
            ("serving_default", serve, [latent_spec]),
            ("generate", generate, [num_images_spec, seed_spec]),
        ]

    def serve_conditional(latent, labels):
        return run(latent, labels)

    def generate_conditional(labels, seed):
        return run(draw(tf.shape(labels)[0], seed), labels)

    return [
        ("serving_default", serve_conditional, [latent_spec, labels_spec]),
        ("generate", generate_conditional, [labels_spec, seed_spec]),
    ]


def vae_endpoints(encoder, decoder, latent_shape, image_shape, image_bounds=None, range_message=""):
    """Endpoints of a VAE.

    ``serving_default`` (decode): ``latent`` -> ``images``. ``encode``:
    ``images`` -> ``z_mean``, ``z_log_var`` (the parameters of the
    approximate posterior; no sampling). ``generate``: ``num_images``,
    ``seed`` -> ``images`` decoded from latent vectors drawn from the prior
    N(0, I) in the graph (``tf.random.stateless_normal``).

    Args:
        encoder: Built ``keras.Model`` mapping images to
            ``[z_mean, z_log_var, ...]``.
        decoder: Built ``keras.Model`` mapping latent vectors to images.
        latent_shape: Tuple, latent shape without the batch axis.
        image_shape: Tuple, image shape without the batch axis.
        image_bounds: None, or ``(low, high)``: ``encode`` then refuses
            images with values outside it (the range ``VAE.encode``
            accepts), e.g. 0-255 images. ``encode`` refuses NaN / inf
            images and ``serving_default`` NaN / inf latent vectors (as
            ``VAE.encode`` / ``VAE.decode`` do), which gave finite but
            meaningless outputs.
        range_message: The message of the range assert.

    Returns:
        A list of ``(name, fn, input_signature)``.
    """
    latent_spec = tf.TensorSpec((None, *latent_shape), tf.float32, name="latent")
    images_spec = tf.TensorSpec((None, *image_shape), tf.float32, name="images")
    seed_spec = tf.TensorSpec((), tf.int64, name="seed")
    num_images_spec = tf.TensorSpec((), tf.int32, name="num_images")

    def decode(latent):
        latent = _assert_finite_latent(latent)
        return {"images": tf.cast(decoder(latent, training=False), tf.float32)}

    def encode(images):
        images = tf.debugging.assert_all_finite(images, "images must not contain NaN or inf values")
        if image_bounds is not None:
            low, high = image_bounds
            message = range_message or f"images must be in [{low:g}, {high:g}]"
            tf.debugging.assert_greater_equal(images, tf.constant(low, images.dtype), message=message)
            tf.debugging.assert_less_equal(images, tf.constant(high, images.dtype), message=message)
        outputs = encoder(images, training=False)
        return {
            "z_mean": tf.cast(outputs[0], tf.float32),
            "z_log_var": tf.cast(outputs[1], tf.float32),
        }

    def generate(num_images, seed):
        return decode(_stateless_latent(num_images, latent_shape, seed))

    return [
        ("serving_default", decode, [latent_spec]),
        ("encode", encode, [images_spec]),
        ("generate", generate, [num_images_spec, seed_spec]),
    ]


def restorer_endpoints(model, channels, multiple, noise_level_input, uint8=True):
    """Endpoints of an image restorer, for images of any height and width.

    ``serving_default``: ``images`` (float32 in ``[0, 1]``, shape
    ``(batch, H, W, channels)`` with any ``H``, ``W``; and ``noise_sigma``
    ``(batch, 1)`` for a noise-level model) -> ``restored``: the images are
    reflect-padded at the bottom/right to multiples of ``multiple``, run
    through the model, cropped back and clipped to ``[0, 1]`` (as
    :func:`kerasgen.inference.restore` does). ``restore_uint8`` (when
    ``uint8``): the same on uint8 images in ``[0, 255]``, rounded back to
    uint8 (``noise_sigma`` stays in image units, e.g. ``25 / 255``).

    As :func:`kerasgen.inference.restore` refuses them, the graph refuses
    (``tf.debugging`` asserts: an ``InvalidArgumentError`` whose message TF
    Serving returns) a ``noise_sigma`` outside ``[0, 1]`` or not finite
    (e.g. 25 in 8-bit grey levels), and float ``images`` that are not
    finite or lie clearly outside ``[0, 1]`` (below -1 or above 2, e.g. on
    the 0-255 scale); the image range assert is left out when
    :func:`kerasgen.set_range_check` turned the check off at export time.

    Args:
        model: Built ``keras.Model`` mapping images (and noise levels) to
            images of the same shape.
        channels: Int, number of image channels.
        multiple: Int, the size multiple of the model's input.
        noise_level_input: Bool, whether the model takes ``noise_sigma``.
        uint8: Bool, add the ``restore_uint8`` endpoint.

    Returns:
        A list of ``(name, fn, input_signature)``.
    """
    images_spec = tf.TensorSpec((None, None, None, channels), tf.float32, name="images")
    uint8_spec = tf.TensorSpec((None, None, None, channels), tf.uint8, name="images")
    sigma_spec = tf.TensorSpec((None, 1), tf.float32, name="noise_sigma")

    def run(images, noise_sigma=None):
        if noise_sigma is not None:
            _assert_sigma(noise_sigma)
        height, width = tf.shape(images)[1], tf.shape(images)[2]
        padded = reflect_pad_to_multiple(images, multiple)
        inputs = padded if noise_sigma is None else [padded, noise_sigma]
        restored = tf.cast(model(inputs, training=False), tf.float32)
        restored = tf.clip_by_value(restored[:, :height, :width, :], 0.0, 1.0)
        # The crop hides the static channels from shape inference.
        return tf.ensure_shape(restored, (None, None, None, channels))

    range_check = range_check_enabled()

    def check_images(images):
        """Float images asserted finite (and not clearly outside [0, 1])."""
        images = tf.debugging.assert_all_finite(images, "images must not contain NaN or inf values")
        if range_check:
            low, high = allowed_range((0.0, 1.0))
            message = (
                f"images must be in [0, 1] (noisy values slightly outside are fine; below {low:g} or "
                f"above {high:g} are refused): divide 8-bit data by 255, or send 0-255 uint8 images to "
                "the restore_uint8 signature. Images meant to be this far out of range need a model "
                "exported after kerasgen.set_range_check(False)"
            )
            tf.debugging.assert_greater_equal(images, tf.constant(low, images.dtype), message=message)
            tf.debugging.assert_less_equal(images, tf.constant(high, images.dtype), message=message)
        return images

    def to_uint8(restored):
        return tf.cast(tf.round(restored * 255.0), tf.uint8)

    def from_uint8(images):
        return tf.cast(images, tf.float32) / 255.0

    if noise_level_input:

        def serve(images, noise_sigma):
            return {"restored": run(check_images(images), noise_sigma)}

        def serve_uint8(images, noise_sigma):
            return {"restored": to_uint8(run(from_uint8(images), noise_sigma))}

        endpoints = [("serving_default", serve, [images_spec, sigma_spec])]
        uint8_endpoint = ("restore_uint8", serve_uint8, [uint8_spec, sigma_spec])
    else:

        def serve(images):
            return {"restored": run(check_images(images))}

        def serve_uint8(images):
            return {"restored": to_uint8(run(from_uint8(images)))}

        endpoints = [("serving_default", serve, [images_spec])]
        uint8_endpoint = ("restore_uint8", serve_uint8, [uint8_spec])
    if uint8:
        endpoints.append(uint8_endpoint)
    return endpoints


def reflect_pad_to_multiple(images, multiple):
    """Pads ``(batch, H, W, C)`` images at the bottom/right to multiples.

    Mirror reflection without repeating the edge pixel, repeated periodically
    when the padding is wider than the image (like ``numpy.pad(...,
    mode="reflect")``); a single row or column is repeated instead (like
    ``mode="edge"``). This matches the padding of
    :func:`kerasgen.inference.restore`, for any image size.

    Args:
        images: A 4-D tensor.
        multiple: Python int >= 1.

    Returns:
        The padded tensor, with height and width the smallest multiples of
        ``multiple`` not smaller than ``H`` and ``W``.
    """
    if multiple == 1:
        return images
    for axis in (1, 2):
        size = tf.shape(images)[axis]
        padded_size = (size + multiple - 1) // multiple * multiple
        index = tf.range(padded_size)
        period = tf.maximum(2 * (size - 1), 1)
        index = index % period
        index = tf.where(index < size, index, period - index)
        images = tf.gather(images, index, axis=axis)
    return images


def _assert_sigma(noise_sigma):
    """Asserts noise levels in [0, 1] (image units), as ``restore`` checks ``sigma``."""
    message = (
        "noise_sigma must be in [0, 1] (image units: divide 8-bit grey levels by 255, "
        "e.g. 25 / 255 = 0.098, also for the uint8 signature)"
    )
    tf.debugging.assert_greater_equal(noise_sigma, 0.0, message=message)
    tf.debugging.assert_less_equal(noise_sigma, 1.0, message=message)


def _assert_finite_latent(latent):
    """``latent``, asserted free of NaN / inf (they gave NaN or constant images)."""
    return tf.debugging.assert_all_finite(latent, "latent must not contain NaN or inf values")


def _stateless_latent(num_images, latent_shape, seed):
    """``(num_images, *latent_shape)`` standard normal draws for ``seed``."""
    check = tf.debugging.assert_positive(num_images, message="num_images must be >= 1")
    with tf.control_dependencies([check]):  # before the draw fails on its own
        num_images = tf.identity(num_images)
    if isinstance(latent_shape, int):
        latent_shape = (latent_shape,)
    shape = tf.concat([[num_images], tf.constant(latent_shape, tf.int32)], axis=0)
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    return tf.random.stateless_normal(shape, seed=seed, dtype=tf.float32)
