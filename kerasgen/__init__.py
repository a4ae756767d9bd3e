"""kerasgen: image generation and image restoration on Keras 3 (TensorFlow backend).

Importing ``kerasgen`` or ``kerasgen.restoration`` does not import TensorFlow.
The Keras parts (``GAN``, ``VAE``, builders, ...) are loaded on first use, and
fail with a clear message if Keras is configured with a backend other than
TensorFlow.
"""

import importlib

__version__ = "0.1.0"

# Public name -> module that defines it. Resolved lazily (PEP 562) so that
# ``import kerasgen.restoration`` stays free of TensorFlow.
_LAZY_ATTRIBUTES = {
    "GAN": "kerasgen.trainers",
    "VAE": "kerasgen.trainers",
    "build_generator": "kerasgen.models",
    "build_discriminator": "kerasgen.models",
    "build_encoder": "kerasgen.models",
    "build_decoder": "kerasgen.models",
    "build_unet": "kerasgen.models",
    "restore": "kerasgen.inference",
    "load_pretrained": "kerasgen.pretrained",
    "export_for_serving": "kerasgen.export",
    "load_dataset": "kerasgen.data",
    "train_gan": "kerasgen.recipes",
    "train_vae": "kerasgen.recipes",
    "train_unet": "kerasgen.recipes",
}

__all__ = [
    "GAN",
    "VAE",
    "__version__",
    "build_decoder",
    "build_discriminator",
    "build_encoder",
    "build_generator",
    "build_unet",
    "export_for_serving",
    "load_dataset",
    "load_pretrained",
    "restore",
    "train_gan",
    "train_unet",
    "train_vae",
]


def __getattr__(name):
    module_name = _LAZY_ATTRIBUTES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kerasgen' has no attribute '{name}'")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_ATTRIBUTES))
