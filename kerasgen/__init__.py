"""kerasgen: image generation and image restoration on Keras 3 (TensorFlow backend).

Importing ``kerasgen`` or ``kerasgen.restoration`` does not import TensorFlow.
The Keras parts (``GAN``, ``VAE``, builders, ...) are loaded on first use, and
fail with a clear message if Keras is configured with a backend other than
TensorFlow.

``import kerasgen`` is nevertheless enough for ``keras.models.load_model`` to
find every kerasgen class and function saved in a ``.keras`` file (``GAN``,
``VAE``, the layers, ``kerasgen>psnr``...): they are registered as soon as
Keras is imported (at once when Keras was imported before kerasgen, else
right after ``import keras`` completes).
"""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

import lazy_loader

__version__ = "0.1.0"

# Sub-packages and public names, resolved lazily by ``lazy_loader`` (as
# scikit-image does) so that ``import kerasgen`` and ``import
# kerasgen.restoration`` stay free of TensorFlow: ``kerasgen.GAN`` imports
# ``kerasgen.trainers`` on first use, ``kerasgen.restoration`` works without
# importing it first.
__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submodules=[
        "callbacks",
        "data",
        "export",
        "inference",
        "layers",
        "losses",
        "metrics",
        "models",
        "plug_and_play",
        "precision",
        "pretrained",
        "recipes",
        "restoration",
        "trainers",
    ],
    submod_attrs={
        "trainers": ["GAN", "VAE"],
        "models": ["build_generator", "build_discriminator", "build_encoder", "build_decoder", "build_unet"],
        "inference": ["restore"],
        "pretrained": ["load_pretrained"],
        "export": ["export_for_serving"],
        "data": ["load_dataset"],
        "recipes": ["train_gan", "train_vae", "train_unet"],
        "_checks": ["set_range_check", "range_check_enabled"],
    },
)

# The methods of ``kerasgen.restoration.repair_image`` implemented on the Keras
# side, registered (name -> register_method arguments) as soon as
# ``kerasgen.restoration.repair`` is imported: the numpy layer never imports
# the rest of kerasgen, and registering imports nothing (the target is
# imported on first use).
_REPAIR_METHODS = {
    "unet": {
        "target": "kerasgen.learned_repair:repair_unet",
        "task": "learned",
        "arguments": ("model", "tile", "overlap", "sigma"),
    },
    "pnp": {
        "target": "kerasgen.learned_repair:repair_pnp",
        "task": "learned",
        "arguments": ("psf", "mask", "scale", "sigma", "model"),
    },
}

# Modules whose import registers kerasgen's serializable Keras objects.
_SERIALIZABLE_MODULES = (
    "kerasgen.layers",
    "kerasgen.losses",
    "kerasgen.metrics",
    "kerasgen.models",
    "kerasgen.trainers",
    "kerasgen.callbacks",
)

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
    "range_check_enabled",
    "restore",
    "set_range_check",
    "train_gan",
    "train_unet",
    "train_vae",
]


def register_keras_objects():
    """Registers kerasgen's serializable Keras classes and functions.

    Imports the kerasgen modules that define them (this imports Keras and
    TensorFlow). Called automatically once Keras is imported; call it
    yourself only to register them before Keras is otherwise used.

    Returns:
        None.

    Raises:
        ImportError: If Keras is configured with a backend other than
            TensorFlow.
    """
    for module_name in _SERIALIZABLE_MODULES:
        importlib.import_module(module_name)


def _register_quietly():
    try:
        register_keras_objects()
    except ImportError:
        pass  # another Keras backend: kerasgen's Keras parts are unusable
    except Exception as error:  # noqa: BLE001 - never break `import keras`
        warnings.warn(
            f"kerasgen could not register its Keras objects: {error!r}",
            stacklevel=2,
        )


def _register_repair_methods(repair):
    for name, spec in _REPAIR_METHODS.items():
        repair.register_method(name, **spec)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Import hook: calls ``callback(module)`` right after ``fullname`` is imported."""

    def __init__(self, fullname, callback):
        self.fullname = fullname
        self.callback = callback

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.fullname:
            return None
        sys.meta_path.remove(self)  # one shot; also avoids recursion below
        spec = importlib.util.find_spec(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module
        callback = self.callback

        def exec_then_call(module):
            exec_module(module)
            # A loader may be shared by many modules (pytest's assertion
            # rewriter is): only the awaited one gets the callback.
            if module.__name__ == fullname:
                callback(module)

        loader.exec_module = exec_then_call
        return spec


def _after_import(fullname, callback):
    """Runs ``callback(module)`` once ``fullname`` is imported (at once if it is)."""
    if fullname in sys.modules:
        callback(sys.modules[fullname])
    elif not any(isinstance(f, _AfterImport) and f.fullname == fullname for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(fullname, callback))


# The repair hook first: when Keras is already imported, registering the Keras
# objects below imports kerasgen.restoration, whose __init__ must then see the
# registered methods in REPAIR_METHODS.
_after_import("kerasgen.restoration.repair", _register_repair_methods)
_after_import("keras", lambda module: _register_quietly())
