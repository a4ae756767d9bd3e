"""Custom Keras layers used by kerasgen models."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
from keras import ops

from kerasgen._checks import check_int, check_seed
from kerasgen._distribute import replica_random


@keras.saving.register_keras_serializable(package="kerasgen")
class Sampling(keras.layers.Layer):
    """Reparameterisation trick: draws ``z = z_mean + exp(z_log_var / 2) * eps``.

    ``eps ~ N(0, I)`` comes from a seeded ``keras.random.SeedGenerator``, so a
    layer built with the same ``seed`` draws the same sequence of noise.

    Args:
        seed: Optional int seeding the noise generator (validated by
            ``kerasgen._checks.check_seed``).
        **kwargs: Standard ``keras.layers.Layer`` arguments (``name``, ...).

    Call arguments:
        inputs: A list ``[z_mean, z_log_var]`` of two tensors of the same
            shape ``(batch, latent_dim)``.

    Returns:
        A tensor ``z`` with the shape of ``z_mean``.

    Raises:
        TypeError: If ``seed`` is not an int or None.
        ValueError: If the inputs are not a list of two tensors, or their
            (known) shapes differ.

    Example:

    >>> import numpy as np
    >>> layer = Sampling(seed=0)
    >>> z = layer([np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")])
    >>> tuple(z.shape)
    (2, 3)
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                "Sampling expects a list [z_mean, z_log_var]. "
                f"Received: inputs={inputs!r}"
            )
        z_mean, z_log_var = inputs
        _same_shape(z_mean.shape, z_log_var.shape)
        # Under MirroredStrategy the seed generator is mirrored: draw the noise
        # of the global batch and keep this replica's slice, so replicas do not
        # share noise and N replicas match one replica with the same batch.
        epsilon = replica_random(
            lambda shape: keras.random.normal(
                shape, dtype=z_mean.dtype, seed=self.seed_generator
            ),
            ops.shape(z_mean)[0],
            tuple(z_mean.shape[1:]),
        )
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return _same_shape(*input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config


def _same_shape(mean_shape, log_var_shape):
    """The common shape of ``z_mean`` and ``z_log_var`` (known dims merged).

    Raises:
        ValueError: If the ranks or known dimensions differ.
    """
    mean_shape, log_var_shape = tuple(mean_shape), tuple(log_var_shape)
    if len(mean_shape) != len(log_var_shape) or any(
        a is not None and b is not None and a != b
        for a, b in zip(mean_shape, log_var_shape)
    ):
        raise ValueError(
            "Sampling needs z_mean and z_log_var of the same shape. "
            f"Received: z_mean of shape {mean_shape}, z_log_var of shape "
            f"{log_var_shape}"
        )
    return tuple(a if a is not None else b for a, b in zip(mean_shape, log_var_shape))


@keras.saving.register_keras_serializable(package="kerasgen")
class PixelUnshuffle(keras.layers.Layer):
    """Moves ``block_size x block_size`` pixel blocks into channels.

    Wraps ``tf.nn.space_to_depth``: ``(batch, H, W, C)`` becomes
    ``(batch, H / block_size, W / block_size, C * block_size**2)``. Used at the
    input of FFDNet-style restorers so that the network runs at a lower
    resolution. The inverse is :class:`PixelShuffle`.

    Args:
        block_size: Int >= 1, the spatial downscaling factor. ``H`` and ``W``
            must be divisible by it (checked when the layer is built, for
            the sizes known then).
        **kwargs: Standard ``keras.layers.Layer`` arguments (``name``, ...).

    Call arguments:
        inputs: A channels-last tensor ``(batch, H, W, C)``.

    Returns:
        A tensor ``(batch, H / block_size, W / block_size, C * block_size**2)``.

    Example:

    >>> import numpy as np
    >>> y = PixelUnshuffle(2)(np.zeros((1, 4, 6, 3), "float32"))
    >>> tuple(y.shape)
    (1, 2, 3, 12)
    """

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = _validate_block_size(block_size)

    def build(self, input_shape):
        b = self.block_size
        if any(size is not None and size % b for size in tuple(input_shape)[1:3]):
            raise ValueError(
                "PixelUnshuffle needs a height and width divisible by "
                f"block_size = {b}. Received: input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        import tensorflow as tf

        if self.block_size == 1:
            return inputs
        return tf.nn.space_to_depth(inputs, self.block_size)

    def compute_output_shape(self, input_shape):
        b = self.block_size
        batch, height, width, channels = input_shape
        return (
            batch,
            None if height is None else height // b,
            None if width is None else width // b,
            None if channels is None else channels * b * b,
        )

    def get_config(self):
        config = super().get_config()
        config.update({"block_size": self.block_size})
        return config


@keras.saving.register_keras_serializable(package="kerasgen")
class PixelShuffle(keras.layers.Layer):
    """Moves channels into ``block_size x block_size`` pixel blocks.

    Wraps ``tf.nn.depth_to_space`` (sub-pixel convolution output):
    ``(batch, H, W, C * block_size**2)`` becomes
    ``(batch, H * block_size, W * block_size, C)``. Inverse of
    :class:`PixelUnshuffle`.

    Args:
        block_size: Int >= 1, the spatial upscaling factor. The number of
            input channels must be divisible by ``block_size**2``.
        **kwargs: Standard ``keras.layers.Layer`` arguments (``name``, ...).

    Call arguments:
        inputs: A channels-last tensor ``(batch, H, W, C * block_size**2)``.

    Returns:
        A tensor ``(batch, H * block_size, W * block_size, C)``.

    Example:

    >>> import numpy as np
    >>> y = PixelShuffle(2)(np.zeros((1, 2, 3, 12), "float32"))
    >>> tuple(y.shape)
    (1, 4, 6, 3)
    """

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = _validate_block_size(block_size)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is not None and channels % (self.block_size**2):
            raise ValueError(
                "PixelShuffle needs a number of input channels divisible by "
                f"block_size**2 = {self.block_size**2}. "
                f"Received: input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        import tensorflow as tf

        if self.block_size == 1:
            return inputs
        return tf.nn.depth_to_space(inputs, self.block_size)

    def compute_output_shape(self, input_shape):
        b = self.block_size
        batch, height, width, channels = input_shape
        return (
            batch,
            None if height is None else height * b,
            None if width is None else width * b,
            None if channels is None else channels // (b * b),
        )

    def get_config(self):
        config = super().get_config()
        config.update({"block_size": self.block_size})
        return config


def _validate_block_size(block_size):
    # numpy ints are accepted (as by the builders) and stored as Python ints,
    # so that get_config stays JSON-serialisable.
    return check_int("block_size", block_size, minimum=1, expected="an int >= 1")


@keras.saving.register_keras_serializable(package="kerasgen")
class SizeMultipleCheck(keras.layers.Layer):
    """Identity that refuses images whose height or width is not a multiple.

    A fully convolutional U-Net with ``depth`` 2x downsamplings (and a pixel
    unshuffle) only takes sizes that are multiples of ``2**depth *
    pixel_unshuffle``; without this check other sizes fail deep inside the
    network with a concatenation error. It runs in float32 and returns its
    input unchanged.

    Args:
        multiple: Int >= 1, the multiple height and width must be.
        **kwargs: Standard ``keras.layers.Layer`` arguments (``name``, ...).

    Call arguments:
        images: A tensor ``(batch, height, width, channels)``.

    Returns:
        ``images``, unchanged.

    Raises:
        ValueError: When called on images of another size known when the
            call is traced (eager calls, ``predict`` on a new shape).
        tf.errors.InvalidArgumentError: The same for a size only known when
            the graph runs. Both messages name the multiple and the shape.

    Example:

    >>> import numpy as np
    >>> check = SizeMultipleCheck(8)
    >>> check(np.zeros((1, 16, 24, 1), "float32")).shape
    TensorShape([1, 16, 24, 1])
    """

    def __init__(self, multiple, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.multiple = check_int("multiple", multiple, minimum=1)

    def call(self, images):
        import tensorflow as tf

        message = (
            f"{self.name}: the model takes images whose height and width are "
            f"multiples of {self.multiple} (kerasgen.inference.restore pads "
            "other sizes). Received: images of shape"
        )
        static = tuple(images.shape)
        if None not in static[1:3]:
            # Known when traced: refuse now, before the network's own shape
            # inference fails on it with a concatenation error.
            if any(size % self.multiple for size in static[1:3]):
                raise ValueError(f"{message} {static}")
            return images
        shape = tf.shape(images)
        check = tf.debugging.Assert(
            tf.reduce_all(tf.equal(tf.math.floormod(shape[1:3], self.multiple), 0)),
            [message, shape],
            summarize=4,
        )
        with tf.control_dependencies([check]):
            return tf.identity(images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}
