"""Builders of functional ``keras.Model``s: DCGAN, VAE (and U-Net) parts.

Every builder validates its arguments and returns an uncompiled functional
model whose final layer runs in float32 (safe under ``"mixed_float16"``).
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

from kerasgen.models.dcgan import build_discriminator, build_generator
from kerasgen.models.unet import build_unet
from kerasgen.models.vae import build_decoder, build_encoder

__all__ = [
    "build_decoder",
    "build_discriminator",
    "build_encoder",
    "build_generator",
    "build_unet",
]
