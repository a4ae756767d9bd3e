"""Custom Keras layers used by kerasgen models."""

from kerasgen import _backend  # noqa: F401  (backend guard)

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgen")
class Sampling(keras.layers.Layer):
    """Reparameterisation trick: draws ``z = z_mean + exp(z_log_var / 2) * eps``.

    ``eps ~ N(0, I)`` comes from a seeded ``keras.random.SeedGenerator``, so a
    layer built with the same ``seed`` draws the same sequence of noise.

    Args:
        seed: Optional int seeding the noise generator.
        **kwargs: Standard ``keras.layers.Layer`` arguments (``name``, ...).

    Call arguments:
        inputs: A list ``[z_mean, z_log_var]`` of two tensors of the same
            shape ``(batch, latent_dim)``.

    Returns:
        A tensor ``z`` with the shape of ``z_mean``.

    Example:

    >>> import numpy as np
    >>> layer = Sampling(seed=0)
    >>> z = layer([np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")])
    >>> tuple(z.shape)
    (2, 3)
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and not isinstance(seed, int):
            raise TypeError(f"seed must be an int or None. Received: seed={seed!r}")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                "Sampling expects a list [z_mean, z_log_var]. "
                f"Received: inputs={inputs!r}"
            )
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(
            ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator
        )
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config
