"""Keras ``Model`` subclasses that train generative models with ``model.fit``.

``GAN`` trains a generator/discriminator pair (non-saturating, hinge or
WGAN-GP losses, conditional or not); ``VAE`` trains an encoder/decoder pair
on the negative ELBO in nats. Both take any compatible built sub-models,
save/load with ``model.save`` / ``keras.models.load_model`` (optimizer state
included), and support ``tf.distribute`` and mixed precision.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

from kerasgen.trainers.gan import GAN
from kerasgen.trainers.vae import VAE

__all__ = ["GAN", "VAE"]
