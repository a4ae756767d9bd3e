"""Pretrained models shipped with kerasgen (``<name>.keras`` files)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import functools
import hashlib
import importlib.resources
import json
import os
import pathlib

import keras

from kerasgen._checks import check_bool, check_int

# The shipped models are data, not code: ``saved_models/presets.json`` maps
# each name to its description, file and SHA-256 (checked at load).
PRESETS_FILE = "presets.json"


def _read_presets(directory, *, strict=False):
    """The presets table of one folder (``{}`` if it has none).

    With ``strict``, a table that exists but cannot be read or is not a JSON
    object raises ``OSError`` (loading must not skip the SHA-256 check);
    otherwise (listing models at import) it counts as none.
    """
    candidate = directory / PRESETS_FILE
    try:
        if not candidate.is_file():
            return {}
        presets = json.loads(candidate.read_text(encoding="utf-8"))
        if not isinstance(presets, dict) or not all(
            isinstance(entry, dict) for entry in presets.values()
        ):
            raise ValueError("not a JSON object of objects")
        return presets
    except (OSError, ValueError) as error:
        if not strict:
            return {}
        raise OSError(
            f"The presets table {str(candidate)!r} of the shipped models is corrupt, "
            "so their files cannot be checked. Reinstall kerasgen (pip install "
            f"--force-reinstall) to restore it. Received: {error}"
        ) from error


def _package_presets():
    for directory in _search_dirs():
        presets = _read_presets(directory)
        if presets:
            return presets
    return {}


# Channels -> name of the shipped denoiser for them.
DENOISERS = {1: "unet_denoise_gray", 3: "unet_denoise_color"}


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


# Name -> {"description", "file", "sha256", "bytes"} of the shipped models.
PRESETS = _package_presets()
# Name -> description (kept for compatibility).
PRETRAINED_MODELS = {name: preset["description"] for name, preset in PRESETS.items()}


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
    checkout), checks its SHA-256 against the ``presets.json`` table beside
    it (shipped files are listed there; a ``.keras`` file you add yourself
    is loaded unchecked), and loads it with ``keras.saving.load_model``.
    The shipped files are inference-only (no optimizer state).

    Args:
        name: A name from :func:`list_pretrained`, e.g.
            ``"unet_denoise_gray"``.
        compile: Bool, passed to ``keras.saving.load_model`` (the shipped
            models are meant for inference, so ``False`` by default).

    Returns:
        The ``keras.Model``.

    Raises:
        ValueError: If ``name`` is not a known name (the message lists them).
        TypeError: If ``compile`` is not a bool.
        FileNotFoundError: If ``name`` is known but its file is not
            installed (e.g. weights not trained yet in this checkout).
        OSError: If a shipped file is corrupt (its SHA-256 differs from the
            one in ``presets.json``).

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
    compile = check_bool("compile", compile)
    searched = []
    for directory in _search_dirs():
        candidate = directory / f"{name}.keras"
        searched.append(str(candidate))
        if candidate.is_file():
            _verify(candidate, _read_presets(directory, strict=True).get(name))
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
        TypeError: If ``channels`` is not an int.
        ValueError: If ``channels`` is not 1 or 3.
        FileNotFoundError: If the model file is not installed.

    Example:

    >>> model = load_denoiser(3)  # doctest: +SKIP
    >>> model.inputs[0].shape[-1]  # doctest: +SKIP
    3
    """
    check_int("channels", channels, expected=f"one of {sorted(DENOISERS)}")
    if channels not in DENOISERS:
        raise ValueError(
            f"channels must be one of {sorted(DENOISERS)}. Received: channels={channels!r}"
        )
    return _load_denoiser_cached(DENOISERS[int(channels)])


@functools.cache
def _load_denoiser_cached(name):
    return load_pretrained(name)


def file_sha256(path):
    """Returns the hex SHA-256 of a file (read in 1 MiB chunks).

    Args:
        path: A file path (str, ``os.PathLike`` or an
            ``importlib.resources`` traversable).

    Returns:
        The 64-character lowercase hex digest.

    Example:

    >>> len(file_sha256("unet_denoise_gray.keras"))  # doctest: +SKIP
    64
    """
    digest = hashlib.sha256()
    with (path.open("rb") if hasattr(path, "open") else open(path, "rb")) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(candidate, preset):
    if not preset or not preset.get("sha256"):
        return
    actual = file_sha256(candidate)
    if actual != preset["sha256"]:
        raise OSError(
            f"The shipped model file {str(candidate)!r} is corrupt or was "
            f"modified: expected SHA-256 {preset['sha256']}. Received: SHA-256 "
            f"{actual}. Reinstall kerasgen (pip install --force-reinstall) to "
            "restore it."
        )


def export_pretrained(name, export_dir="saved_models", *, version=1, overwrite=False):
    """Exports a shipped model for TensorFlow Serving (a SavedModel).

    The shipped files are ``.keras`` files only; this writes the serving
    SavedModel on demand with :func:`kerasgen.export.export_for_serving`
    (``export_dir/<name>/<version>/``; signatures as documented there).

    Args:
        name: A name from :func:`list_pretrained`.
        export_dir: Folder holding one sub-folder per served model.
        version: Int >= 1, the version sub-folder.
        overwrite: Bool, replace an existing version folder.

    Returns:
        The path of the written version folder.

    Example:

    >>> path = export_pretrained("unet_denoise_gray", "/tmp/serving")  # doctest: +SKIP
    """
    from kerasgen.export import export_for_serving

    return export_for_serving(
        load_pretrained(name), export_dir, name=name, version=version, overwrite=overwrite
    )


def _register_custom_objects():
    """Imports the modules that register kerasgen's serializable classes."""
    import kerasgen.layers
    import kerasgen.metrics
    import kerasgen.models
    import kerasgen.trainers  # noqa: F401
