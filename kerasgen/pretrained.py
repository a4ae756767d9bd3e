"""Pretrained models shipped with kerasgen (``<name>.keras`` files)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import functools
import importlib.resources
import os
import pathlib

import keras

# Name -> description of the models that kerasgen ships (trained by the
# recipes in ``kerasgen.recipes``).
PRETRAINED_MODELS = {
    "dcgan_mnist": (
        "Unconditional DCGAN (kerasgen.GAN, latent_dim 128) trained on MNIST "
        "by kerasgen.recipes.train_gan. Use .generate(num_images, seed=...)."
    ),
    "cdcgan_mnist": (
        "Class-conditional DCGAN (kerasgen.GAN, latent_dim 128, 10 classes) "
        "trained on MNIST by kerasgen.recipes.train_gan. Use "
        ".generate(num_images, seed=..., labels=...)."
    ),
    "vae_mnist": (
        "Convolutional VAE (kerasgen.VAE, latent_dim 2, Bernoulli likelihood) "
        "trained on MNIST by kerasgen.recipes.train_vae. Use .sample(...), "
        ".encode(...), .decode(...)."
    ),
    "unet_denoise_gray": (
        "Grayscale Gaussian denoiser with a noise-level input (sigma 0-75/255; "
        "estimated when not given): residual U-Net from "
        "kerasgen.models.build_unet, trained on train400 and grey cbsd432 by "
        "kerasgen.recipes.train_unet. Use with kerasgen.inference.restore."
    ),
    "unet_denoise_color": (
        "RGB Gaussian denoiser with a noise-level input (sigma 0-75/255; "
        "estimated when not given): residual U-Net from "
        "kerasgen.models.build_unet, trained on cbsd432 by "
        "kerasgen.recipes.train_unet. Use with kerasgen.inference.restore."
    ),
}

# Channels -> name of the shipped denoiser for them.
DENOISERS = {1: "unet_denoise_gray", 3: "unet_denoise_color"}


def list_pretrained():
    """Lists the names accepted by :func:`load_pretrained`.

    Returns:
        A sorted list of names: the models kerasgen ships
        (``PRETRAINED_MODELS``) and any other ``<name>.keras`` file found in
        the ``kerasgen.saved_models`` package data (or, in a source
        checkout, the repository's ``saved_models/`` folder).

    Example:

    >>> "unet_denoise_gray" in list_pretrained()
    True
    """
    names = set(PRETRAINED_MODELS)
    for directory in _search_dirs():
        if directory.is_dir():
            names.update(
                entry.name[: -len(".keras")]
                for entry in directory.iterdir()
                if entry.name.endswith(".keras") and entry.is_file()
            )
    return sorted(names)


def load_pretrained(name, *, compile=False):
    """Loads a pretrained model shipped with kerasgen.

    Looks for ``<name>.keras`` in the installed package data
    ``kerasgen.saved_models`` (``importlib.resources``), then in the
    ``saved_models/`` folder next to the ``kerasgen`` source package (source
    checkout), and loads it with ``keras.saving.load_model``.

    Args:
        name: A name from :func:`list_pretrained`, e.g.
            ``"unet_denoise_gray"``.
        compile: Bool, passed to ``keras.saving.load_model`` (the shipped
            models are meant for inference, so ``False`` by default).

    Returns:
        The ``keras.Model``.

    Raises:
        ValueError: If ``name`` is not a known name (the message lists them).
        FileNotFoundError: If ``name`` is known but its file is not
            installed (e.g. weights not trained yet in this checkout).

    Example:

    >>> from kerasgen.inference import restore
    >>> model = load_pretrained("unet_denoise_gray")  # doctest: +SKIP
    >>> denoised = restore(noisy_image, model)  # doctest: +SKIP
    """
    available = list_pretrained()
    if not isinstance(name, str) or name not in available:
        raise ValueError(
            f"Unknown pretrained model. Expected one of {available}. "
            f"Received: name={name!r}"
        )
    searched = []
    for directory in _search_dirs():
        candidate = directory / f"{name}.keras"
        searched.append(str(candidate))
        if candidate.is_file():
            _register_custom_objects()
            with importlib.resources.as_file(candidate) as path:
                return keras.saving.load_model(path, compile=compile)
    raise FileNotFoundError(
        f"The pretrained model {name!r} is known but its file is not "
        f"installed. Searched: {searched}. Train it with "
        "kerasgen.recipes (see the README) and copy the .keras file to the "
        "repository's saved_models/ folder, then reinstall kerasgen."
    )


def load_denoiser(channels):
    """Loads the shipped noise-level-aware denoiser for 1 or 3 channels.

    The model is loaded once per process and cached (loading takes about a
    second); every call with the same ``channels`` returns the same object.
    It takes ``[images, noise_sigma]``: images ``(batch, H, W, channels)``
    in ``[0, 1]`` and the noise standard deviation ``(batch, 1)`` in image
    units; :func:`kerasgen.inference.restore` estimates the latter when it is
    not given.

    Args:
        channels: 1 (``"unet_denoise_gray"``) or 3 (``"unet_denoise_color"``).

    Returns:
        The ``keras.Model`` (uncompiled, float32).

    Raises:
        ValueError: If ``channels`` is not 1 or 3.
        FileNotFoundError: If the model file is not installed.

    Example:

    >>> model = load_denoiser(3)  # doctest: +SKIP
    >>> model.inputs[0].shape[-1]  # doctest: +SKIP
    3
    """
    if isinstance(channels, bool) or channels not in DENOISERS:
        raise ValueError(
            f"channels must be one of {sorted(DENOISERS)}. Received: channels={channels!r}"
        )
    return _load_denoiser_cached(DENOISERS[int(channels)])


@functools.lru_cache(maxsize=None)
def _load_denoiser_cached(name):
    return load_pretrained(name)


def _search_dirs():
    """Folders searched for ``<name>.keras``, package data first."""
    dirs = []
    try:
        dirs.append(importlib.resources.files("kerasgen.saved_models"))
    except ModuleNotFoundError:
        pass
    source_dir = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved_models"
    )
    if not any(str(d) == source_dir for d in dirs):
        dirs.append(pathlib.Path(source_dir))
    return dirs


def _register_custom_objects():
    """Imports the modules that register kerasgen's serializable classes."""
    import kerasgen.layers
    import kerasgen.metrics
    import kerasgen.models
    import kerasgen.trainers  # noqa: F401
