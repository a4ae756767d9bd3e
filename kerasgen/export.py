"""Export kerasgen models as SavedModels for TensorFlow Serving."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import os
import re
import shutil
import time

import keras
import tensorflow as tf

from kerasgen._checks import check_bool, check_int
from kerasgen._serving_endpoints import endpoints_for, example_inputs, last_message_line
from kerasgen.inference import size_multiple
from kerasgen.restoration._atomic import atomic_path, new_folders

# Default model name (the folder under export_dir) per kind.
DEFAULT_NAMES = {"generator": "generator", "vae": "vae", "restorer": "unet"}

_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_MAX_VERSION = 2**63 - 1  # TF Serving parses version folder names as int64
# Temporary folders of killed exports older than this are removed.
_STALE_SECONDS = 3600


def export_for_serving(
    model,
    export_dir="saved_models",
    *,
    name=None,
    version=1,
    overwrite=False,
    uint8_signature=True,
    verbose=False,
):
    """Exports a generator, a VAE or an image restorer for TensorFlow Serving.

    Writes a SavedModel (``saved_model.pb`` + ``variables/``) to
    ``export_dir/<name>/<version>/``, the layout that TF Serving watches
    (``--model_base_path=export_dir/<name>``). The graph is built with
    ``keras.export.ExportArchive`` from TensorFlow ops only: it loads with
    plain ``tf.saved_model.load`` (or TF Serving), without kerasgen or any
    custom object. Every signature has named inputs and outputs:

    * GAN (a :class:`kerasgen.GAN`, exported through its generator, or a
      bare generator model such as :func:`kerasgen.models.build_generator`):
      ``serving_default``: ``latent`` (float32, ``(batch, latent_dim)``) and,
      for a conditional generator, ``labels`` (int32, ``(batch,)``) ->
      ``images`` (float32, the generator's range, ``[-1, 1]`` for kerasgen's
      builders). ``generate``: ``num_images`` (int32 scalar; a conditional
      generator takes ``labels`` instead, one image per label) and ``seed``
      (int64 scalar) -> ``images``, the latent vectors drawn inside the graph
      by ``tf.random.stateless_normal``: the same seed always gives the same
      images (not the images of ``GAN.generate(seed=...)``, which draws with
      Keras' RNG). A ``latent`` with NaN or inf values is refused (an
      ``InvalidArgumentError``), as are labels that are not class ids.
    * VAE (a :class:`kerasgen.VAE`): ``serving_default`` decodes ``latent``
      -> ``images`` (in ``[0, 1]``); ``encode``: ``images`` -> ``z_mean``,
      ``z_log_var``; ``generate``: ``num_images``, ``seed`` -> ``images``
      decoded from prior samples. As ``VAE.decode`` / ``VAE.encode`` do,
      the graph refuses a ``latent`` with NaN or inf values, and ``images``
      with NaN or inf values or outside the range ``VAE.encode`` accepts
      (e.g. 0-255 images; the range assert is left out when
      :func:`kerasgen.set_range_check` turned the check off at export time).
    * Image restorer (e.g. :func:`kerasgen.models.build_unet`; any model
      mapping ``(batch, H, W, C)`` images, and optionally a ``(batch, 1)``
      noise level, to images of the same shape): ``serving_default``:
      ``images`` (float32 in ``[0, 1]``, shape ``(-1, -1, -1, C)``: any
      height and width) and, for a noise-level model, ``noise_sigma``
      (float32 ``(batch, 1)``, image units, e.g. ``25 / 255``) ->
      ``restored`` (float32, same shape, clipped to ``[0, 1]``). Inside the
      graph the images are reflect-padded to a multiple of
      :func:`kerasgen.inference.size_multiple` (``2**depth *
      pixel_unshuffle`` for a U-Net) and cropped back, as
      :func:`kerasgen.inference.restore` does. With ``uint8_signature``,
      ``restore_uint8`` does the same on uint8 images (0-255) -> uint8.
      As ``restore`` does, the graph refuses (an ``InvalidArgumentError``
      whose message TF Serving returns) a ``noise_sigma`` outside
      ``[0, 1]`` (e.g. 25 in 8-bit grey levels, also for ``restore_uint8``)
      and float ``images`` with NaN / inf or values below -1 or above 2
      (e.g. on the 0-255 scale; this range assert is left out when
      :func:`kerasgen.set_range_check` turned the check off at export time).

    The export is written to a temporary folder beside the version folder
    and renamed into place, so a failed export leaves nothing behind and TF
    Serving never sees a half-written version. A process killed during the
    export can leave a hidden ``.<version>.tmp-<token>`` folder there: TF
    Serving ignores it (not numeric), and the next export of that model
    removes such folders when they are more than an hour old.

    Args:
        model: A ``kerasgen.GAN``, a ``kerasgen.VAE``, a generator model or
            an image-restorer model (built, with known input shapes).
        export_dir: Folder holding one sub-folder per served model (created
            if needed).
        name: Keyword-only. Model name, the folder under ``export_dir`` and
            the name TF Serving serves it under (letters, digits, ``_``,
            ``.``, ``-``). Default: ``"generator"``, ``"vae"`` or ``"unet"``
            according to the kind of ``model``.
        version: Keyword-only. Int in ``[1, 2**63 - 1]`` (TF Serving reads
            version numbers as int64), the version folder name.
        overwrite: Keyword-only. Bool; replace an existing version folder.
        uint8_signature: Keyword-only. Bool; add the ``restore_uint8``
            signature to a restorer's export.
        verbose: Keyword-only. Bool; print Keras' summary of the endpoints.

    Returns:
        The path of the version folder, ``export_dir/<name>/<version>``.

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``, or a flag is not a
            bool.
        ValueError: If ``model`` is a kind that cannot be exported (the
            message lists what is supported), or ``name``, ``version`` or
            ``export_dir`` is invalid.
        FileExistsError: If the version folder exists and ``overwrite`` is
            False.
        PermissionError: If the folder to write into is not writable
            (checked before anything is computed).

    Example:

    ```python
    from kerasgen.models import build_unet
    from kerasgen.export import export_for_serving

    unet = build_unet(depth=2, base_filters=8)
    path = export_for_serving(unet, "saved_models", version=1)
    # 'saved_models/unet/1'; then, with TensorFlow only:
    # tf.saved_model.load(path).signatures["serving_default"](
    #     images=tf.zeros((1, 37, 53, 1)))["restored"].shape  # (1, 37, 53, 1)
    ```
    """
    if name is not None:
        name = _check_name(name)
    version = _check_version(version)
    overwrite = check_bool("overwrite", overwrite)
    uint8_signature = check_bool("uint8_signature", uint8_signature)
    verbose = check_bool("verbose", verbose)
    export_dir = _check_export_dir(export_dir)
    kind, endpoints, tracked = endpoints_for(model, uint8_signature)
    name = DEFAULT_NAMES[kind] if name is None else name
    target = check_export_target(export_dir, name, version, overwrite=overwrite)

    archive = keras.export.ExportArchive()
    for sub_model in tracked:
        archive.track(sub_model)
    multiple = size_multiple(model) if kind == "restorer" else 1
    # A restorer runs on a non-square image that is not a multiple of its size
    # multiple (any H and W must work); other dimensions are fixed.
    example_size = (multiple + 1, 2 * multiple + 1)
    for endpoint_name, fn, signature in endpoints:
        function = archive.add_endpoint(endpoint_name, fn, signature)
        # Trace and run once now: a model that cannot serve these inputs
        # (e.g. a restorer that is not fully convolutional) fails here,
        # before anything is written.
        example = example_inputs(signature, example_size)
        try:
            function(*example)
        except Exception as error:  # re-raised below, with context
            shapes = {spec.name: tuple(x.shape) for spec, x in zip(signature, example)}
            hint = (
                " An image restorer must be fully convolutional (accept any "
                "height and width)."
                if kind == "restorer"
                else ""
            )
            raise ValueError(
                f"Could not run the {endpoint_name!r} signature of this {kind} "
                f"on example inputs of shapes {shapes}.{hint} Received: model "
                f"{model.name!r}, which failed with {type(error).__name__}: "
                f"{last_message_line(error)}"
            ) from error
    _write_atomically(archive, target, verbose=verbose)
    return target


def check_export_target(export_dir, name, version, *, overwrite=False):
    """Checks, before any computation, that an export can be written.

    Args:
        export_dir: Folder holding one sub-folder per served model.
        name: Model name (the sub-folder), or None when not known yet: then
            only the writability of ``export_dir`` is checked.
        version: Int in ``[1, 2**63 - 1]``.
        overwrite: Whether an existing version folder may be replaced.

    Returns:
        The version folder path ``export_dir/name/version`` (None when
        ``name`` is None).

    Raises:
        ValueError: If an argument is invalid.
        FileExistsError: If the version folder exists and not ``overwrite``.
        PermissionError: If the nearest existing folder on the way to the
            version folder is not writable (the message names the user's
            path).

    Example:

    >>> check_export_target("saved_models", "unet", 1)  # doctest: +SKIP
    'saved_models/unet/1'
    """
    export_dir = _check_export_dir(export_dir)
    version = _check_version(version)
    if name is not None:
        name = _check_name(name)
    target = os.path.join(export_dir, name, str(version)) if name else None
    if target is not None and os.path.lexists(target) and not overwrite:
        raise FileExistsError(
            f"The version folder {target!r} exists already. Pass overwrite=True "
            "(--overwrite on the command line) to replace it, or export another "
            f"version. Received: version={version}, overwrite=False"
        )
    wanted = os.path.join(export_dir, name) if name else export_dir
    existing = os.path.abspath(wanted)
    while not os.path.isdir(existing):
        existing = os.path.dirname(existing)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(
            f"Cannot export to {target or export_dir!r}: the folder {existing!r} "
            "is not writable."
        )
    return target


def serving_signatures(export_path):
    """Lists the signatures of an exported SavedModel with their tensors.

    Args:
        export_path: Path of a SavedModel folder, e.g. the version folder
            returned by :func:`export_for_serving`.

    Returns:
        A dict ``{signature_name: {"inputs": {name: tf.TensorSpec},
        "outputs": {name: tf.TensorSpec}}}``, sorted by signature name.

    Raises:
        FileNotFoundError: If ``export_path`` holds no ``saved_model.pb``.

    Example:

    >>> serving_signatures("saved_models/unet/1")  # doctest: +SKIP
    {'restore_uint8': {...}, 'serving_default': {'inputs': {'images':
    TensorSpec(shape=(None, None, None, 1), dtype=tf.float32, name='images')},
    'outputs': {'restored': TensorSpec(...)}}}
    """
    export_path = os.fspath(export_path)
    if not os.path.isfile(os.path.join(export_path, "saved_model.pb")):
        raise FileNotFoundError(
            "export_path must be a SavedModel folder holding saved_model.pb. "
            f"Received: export_path={export_path!r}"
        )
    loaded = tf.saved_model.load(export_path)
    result = {}
    for signature_name in sorted(loaded.signatures.keys()):
        function = loaded.signatures[signature_name]
        result[signature_name] = {
            "inputs": dict(sorted(function.structured_input_signature[1].items())),
            "outputs": dict(sorted(function.structured_outputs.items())),
        }
    return result


# ----------------------------------------------------------- argument checks


def _check_name(name):
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise ValueError(
            "name must be a model name of 1 to 128 letters, digits, '_', '.' "
            "or '-', starting with a letter or digit (it is a folder name and "
            f"part of TF Serving's URLs). Received: name={name!r}"
        )
    return name


def _check_version(version):
    return check_int(
        "version", version, minimum=1, maximum=_MAX_VERSION,
        expected="an int >= 1 and <= 2**63 - 1 (TF Serving only loads numeric version folders, read as int64)",
    )  # fmt: skip


def _check_export_dir(export_dir):
    try:
        export_dir = os.fspath(export_dir)
    except TypeError:
        export_dir = None
    if isinstance(export_dir, bytes):
        export_dir = os.fsdecode(export_dir)
    if not export_dir:
        raise ValueError(
            "export_dir must be a non-empty path (str or os.PathLike). "
            f"Received: export_dir={export_dir!r}"
        )
    if os.path.exists(export_dir) and not os.path.isdir(export_dir):
        raise ValueError(
            f"export_dir must be a folder. Received: export_dir={export_dir!r} (a file)"
        )
    return export_dir


# ------------------------------------------------------------ atomic writing


def _write_atomically(archive, target, verbose):
    """Writes the SavedModel beside ``target`` then renames it into place."""
    model_dir = os.path.dirname(target)
    with new_folders(model_dir):  # removed again, if still empty, when the export fails
        _remove_stale_temporaries(model_dir)
        # Dot-prefixed, non-numeric: TF Serving ignores these folders.
        with atomic_path(target, name_format=".{base}.{kind}-{token}") as temp:
            archive.write_out(temp, verbose=verbose)


def _remove_stale_temporaries(model_dir):
    """Removes ``.N.tmp-*`` / ``.N.old-*`` folders left by killed exports.

    Only those older than an hour: a younger one may belong to an export
    still running in another process.
    """
    now = time.time()
    for entry in os.scandir(model_dir):
        if (
            _TEMP_PATTERN.fullmatch(entry.name)
            and entry.is_dir(follow_symlinks=False)
            and now - entry.stat(follow_symlinks=False).st_mtime > _STALE_SECONDS
        ):
            shutil.rmtree(entry.path, ignore_errors=True)


_TEMP_PATTERN = re.compile(r"\.\d+\.(tmp|old)-[0-9a-f]{12}")
