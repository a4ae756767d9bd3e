"""What the GAN / VAE recipes write: checkpoints, history, loss curves (private).

A run folder holds::

    <out_dir>/<name>.keras        the model, saved after every epoch and at the end
    <out_dir>/history.csv         one row per epoch (continued by a resumed run)
    <out_dir>/loss_curves.png     the curves of history.csv, drawn at the end
    <out_dir>/samples/            SampleGrid PNGs, samples_epoch_001.png, ...
    <out_dir>/backup/             BackupAndRestore state while a run is unfinished

Every file is written to a temporary file in the same folder and renamed, so
none is ever half-written (``history.csv`` is appended line by line by
``keras.callbacks.CSVLogger``).
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import contextlib
import json
import os
import re
import shutil
import warnings

import keras

from kerasgen.callbacks import SampleGrid
from kerasgen.recipes.history import (  # noqa: F401  (re-exported for the recipes)
    HISTORY_CSV,
    LOSS_CURVES_PNG,
    read_history_csv,
    save_loss_curves,
    save_run_loss_curves,
)
from kerasgen.restoration._atomic import atomic_path

SAMPLES_DIR = "samples"
RUN_RECORD = "kerasgen_run.json"  # in the backup folder: the run's precision
BACKUP_DIR = "backup"
# What keras.callbacks.BackupAndRestore(double_checkpoint=True) writes into BACKUP_DIR.
BACKUP_FILES = (
    "latest.weights.h5",
    "latest.weights.h5.bkp",
    "training_metadata.json",
    "training_metadata.json.bkp",
)


def check_out_dir(out_dir):
    """Returns ``out_dir`` as a str, or raises if it cannot be a folder.

    Args:
        out_dir: str or ``os.PathLike``.

    Returns:
        The path as a str (the folder is not created).

    Raises:
        TypeError: If ``out_dir`` is not a path.
        NotADirectoryError: If ``out_dir`` exists and is a file.
    """
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(
            "out_dir must be a str or os.PathLike. "
            f"Received: out_dir of type {type(out_dir).__name__}"
        )
    out_dir = os.fspath(out_dir)
    if not out_dir:
        raise ValueError("out_dir must not be empty. Received: out_dir=''")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise NotADirectoryError(
            f"out_dir must be a folder. Received: out_dir={out_dir!r} (a file)"
        )
    return out_dir


def has_backup(out_dir):
    """True when ``out_dir/backup`` holds an unfinished run's state (it will resume)."""
    backup_dir = os.path.join(out_dir, BACKUP_DIR)
    return os.path.isdir(backup_dir) and bool(os.listdir(backup_dir))


def resumed_epoch(out_dir, *, overwrite=False):
    """The epoch an unfinished run in ``out_dir`` resumes at (0 for a new run).

    Read from the ``training_metadata.json`` that
    ``keras.callbacks.BackupAndRestore`` writes beside its weights (or its
    ``.bkp`` copy when that file is unreadable), before ``fit`` restores the
    backup, so that a recipe can start its data stream where the interrupted
    run stopped: a resumed run then trains on the batches an uninterrupted
    one would have. (On several workers, every worker resumes from the
    chief's backup, in ``out_dir``.)

    Args:
        out_dir: The run folder (str).
        overwrite: Keyword-only. Bool, the run discards that backup and
            starts anew (0).

    Returns:
        An int >= 0: the number of epochs the backup holds.
    """
    if overwrite:
        return 0
    backup_dir = os.path.join(out_dir, BACKUP_DIR)
    for name in ("training_metadata.json", "training_metadata.json.bkp"):
        try:
            with open(os.path.join(backup_dir, name), encoding="utf-8") as f:
                epoch = json.load(f)["epoch"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(epoch, int) and epoch >= 0:
            return epoch
    return 0


def check_completed_run(out_dir, model_file, overwrite):
    """Refuses to replace a completed run in ``out_dir`` unless ``overwrite``.

    A completed run has its model file and no backup (an unfinished run,
    which resumes, has one). Called before any data is loaded.

    Args:
        out_dir: The run folder (str).
        model_file: File name of the run's model, e.g. ``"gan.keras"``.
        overwrite: Bool, start a new run even over a completed one.

    Returns:
        ``overwrite`` (a bool).

    Raises:
        TypeError: If ``overwrite`` is not a bool.
        FileExistsError: If ``out_dir`` holds a completed run and
            ``overwrite`` is False.
    """
    from kerasgen._checks import check_bool

    overwrite = check_bool("overwrite", overwrite)
    if overwrite or has_backup(out_dir):
        return overwrite
    if os.path.exists(os.path.join(out_dir, model_file)):
        raise FileExistsError(
            f"{out_dir!r} holds a completed run ({model_file}): pass overwrite=True to start "
            "a new run there (its model, history and sample grids are replaced; kerasgen "
            "train: --overwrite), or choose another out_dir. Received: "
            f"out_dir={out_dir!r}, overwrite=False"
        )
    return overwrite


def discard_previous_run(out_dir):
    """Removes what a previous run wrote that a new run would resume from or not replace.

    For ``overwrite=True``, once every argument has been checked: the backup
    of an unfinished run (so that the new run does not resume it), its
    ``history.csv`` and ``loss_curves.png``, and its sample grids
    (``samples/samples_epoch_NNN.png``; a shorter new run would leave the
    later ones beside its own). Other files are left alone.

    Args:
        out_dir: The run folder.
    """
    names = [os.path.join(BACKUP_DIR, name) for name in (*BACKUP_FILES, RUN_RECORD)]
    names += [HISTORY_CSV, LOSS_CURVES_PNG]
    samples = os.path.join(out_dir, SAMPLES_DIR)
    if os.path.isdir(samples):
        names += [
            os.path.join(SAMPLES_DIR, name)
            for name in os.listdir(samples)
            if re.fullmatch(r"samples_epoch_\d+\.png", name)
        ]
    for name in names:
        path = os.path.join(out_dir, name)
        if os.path.isfile(path) or os.path.islink(path):
            os.remove(path)
    with contextlib.suppress(OSError):  # kept if it holds other files
        os.rmdir(os.path.join(out_dir, BACKUP_DIR))


def check_out_dir_apart(out_dir, inputs, *, out_name="out_dir"):
    """Refuses a run folder that is an input folder, is inside one or holds one.

    A run writes images (sample grids, loss curves) into its folder, which
    the recursive folder readers would then take for training images.
    Called before anything is written.

    Args:
        out_dir: The run folder (str or path-like; need not exist).
        inputs: Dict of argument name -> source; sources that are not
            existing folders (dataset names, arrays, datasets) are ignored.
        out_name: Name of the output argument in the message.

    Raises:
        ValueError: If ``out_dir`` is, is inside, or holds an input folder.
    """
    out_real = os.path.realpath(out_dir)
    for name, source in inputs.items():
        if not isinstance(source, (str, os.PathLike)) or not os.path.isdir(source):
            continue
        source_real = os.path.realpath(source)
        if os.path.commonpath([out_real, source_real]) in (out_real, source_real):
            raise ValueError(
                f"{out_name} must not be the input folder, be inside it or hold it: the run's "
                "images (sample grids, loss curves) would be read as training images. Choose "
                f"another {out_name}. Received: {out_name}={os.fspath(out_dir)!r}, "
                f"{name}={os.fspath(source)!r}"
            )


class CheckedBackupAndRestore(keras.callbacks.BackupAndRestore):
    """``keras.callbacks.BackupAndRestore`` that explains a backup that does not fit.

    A backup left by an unfinished run of a different model (other
    arguments) cannot be restored: the error then says so and how to start
    a new run, instead of Keras' list of variables that could not be loaded.
    With ``precision`` (the run's dtype policy name) the backup records it,
    and resuming under another policy is refused: the weights would load, and
    the run would silently go on in another precision.

    With ``data_epoch`` (the epoch the run's data stream was started at,
    from :func:`resumed_epoch`), a restore that lands on another epoch (the
    previous backup, when the latest one was damaged) warns that the data
    order is no longer the uninterrupted run's.

    Args:
        backup_dir: As for ``keras.callbacks.BackupAndRestore``.
        precision: Optional dtype policy name of the run, e.g.
            ``"mixed_bfloat16"``.
        data_epoch: Optional int, see above.
        **kwargs: Passed to ``keras.callbacks.BackupAndRestore``.
    """

    def __init__(self, backup_dir, *, precision=None, data_epoch=None, **kwargs):
        super().__init__(backup_dir, **kwargs)
        self.precision = precision
        self.data_epoch = data_epoch
        self._record_path = os.path.join(backup_dir, RUN_RECORD)

    def _check_record(self):
        if self.precision is None or not os.path.exists(self._weights_path):
            return
        try:
            with open(self._record_path, encoding="utf-8") as f:
                recorded = json.load(f).get("precision")
        except (OSError, ValueError, AttributeError):
            return  # a backup from before the record, or none: nothing to compare
        if recorded is not None and recorded != self.precision:
            run = os.path.dirname(self.backup_dir)
            raise ValueError(
                f"{run!r} holds an unfinished run trained with precision "
                f"{recorded!r}; resuming it with {self.precision!r} would switch its "
                f"precision mid-run. Rerun with precision {recorded!r} (kerasgen train: "
                f"--precision {recorded}) to resume it, or start a new run: pass overwrite=True "
                f"(kerasgen train: --overwrite) or delete {self.backup_dir!r}. "
                f"Received: precision={self.precision!r}"
            )

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if self.precision is not None and os.path.exists(self._weights_path):
            with atomic_path(self._record_path) as temp:
                with open(temp, "w", encoding="utf-8") as f:
                    json.dump({"precision": self.precision}, f)

    def _restore_previous_backup(self):
        """Puts the previous backup (``.bkp``) in place if the model loads it; returns whether it did."""
        if not os.path.exists(self._prev_weights_path):
            return False
        trial = os.path.join(self.backup_dir, "previous.weights.h5")  # Keras wants that suffix
        shutil.copyfile(self._prev_weights_path, trial)
        try:
            self.model.load_weights(trial)
        except (OSError, ValueError):
            return False
        finally:
            os.remove(trial)
        shutil.copyfile(self._prev_weights_path, self._weights_path)
        if os.path.exists(self._prev_training_metadata_path):
            shutil.copyfile(self._prev_training_metadata_path, self._training_metadata_path)
        elif os.path.exists(self._training_metadata_path):
            os.remove(self._training_metadata_path)
        return True

    def on_train_begin(self, logs=None):
        self._check_record()
        # Keras never resets it: a model resumed in an earlier fit would
        # start this run at that epoch too.
        self.model._initial_epoch = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                try:
                    super().on_train_begin(logs)
                except ValueError:
                    # An interrupted save (Ctrl+C during save_weights) leaves a
                    # readable but partial latest.weights.h5, which Keras only
                    # replaces by the previous backup on an OSError.
                    if not self._restore_previous_backup():
                        raise
                    caught.clear()  # those of the partial file
                    super().on_train_begin(logs)
            except (ValueError, OSError) as error:
                if not os.path.exists(self._weights_path):
                    raise
                reason = str(error).splitlines()[0] if str(error) else repr(error)
                if isinstance(error, OSError):  # and no previous backup that loads
                    problem = "whose backup cannot be read (damaged)"
                    advice = "Start a new run"
                else:
                    problem = (
                        "whose model does not match these arguments (a different "
                        "architecture or dataset shape)"
                    )
                    advice = (
                        "Rerun with the arguments of that run to resume it, or start a new run"
                    )
                raise ValueError(
                    f"{os.path.dirname(self.backup_dir)!r} holds an unfinished run {problem}, "
                    f"so it cannot be resumed. {advice}: pass overwrite=True (kerasgen train: "
                    f"--overwrite) or delete {self.backup_dir!r}. Keras: {reason}"
                ) from error
        for warning in caught:  # the restore worked: its warnings are worth showing
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        restored = getattr(self.model, "_initial_epoch", None) or 0
        if self.data_epoch is not None and restored != self.data_epoch:
            warnings.warn(
                f"The run resumes at epoch {restored} (its latest backup could not be "
                f"read) but its data stream was started at epoch {self.data_epoch}: "
                "it trains on, with another order of batches than an uninterrupted run.",
                stacklevel=2,
            )


def save_model_atomically(model, path):
    """Saves ``model`` to ``path`` (``.keras``) via a temporary file + rename.

    Args:
        model: A ``keras.Model``.
        path: Destination ending with ``.keras``; its folder must exist.

    Returns:
        ``path`` as a str.
    """
    path = os.fspath(path)
    with atomic_path(path, name_format=".{base}.{token}.partial.keras") as temp:
        model.save(temp)
    return path


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``keras.callbacks.ModelCheckpoint`` whose files are never half-written.

    Whole models (``save_weights_only=False``) are saved with
    :func:`save_model_atomically`; everything else (when and what to save)
    is ``ModelCheckpoint``'s.
    """

    def _save_model(self, epoch, batch, logs):
        if self.save_weights_only:
            return super()._save_model(epoch, batch, logs)
        filepath = self._get_file_path(epoch, batch, logs)
        if self._should_save_model(epoch, batch, logs, filepath):
            folder = os.path.dirname(filepath)
            if folder:
                os.makedirs(folder, exist_ok=True)
            save_model_atomically(self.model, filepath)


def training_callbacks(
    out_dir, model_file, sample_grid_kwargs, extra=None, *, precision=None, data_epoch=None
):
    """The callbacks of a recipe run, in the order they must run.

    ``BackupAndRestore`` comes first so that a resumed run restores the
    weights and the epoch before any other callback sees them.

    Args:
        out_dir: The run folder (created).
        model_file: File name of the checkpoint, e.g. ``"gan.keras"``.
        sample_grid_kwargs: Keyword arguments of
            :class:`kerasgen.callbacks.SampleGrid` (without ``out_dir``).
        extra: Optional list of user callbacks, run last.
        precision: Optional dtype policy name of the run; a resume under
            another one is refused (see :class:`CheckedBackupAndRestore`).
        data_epoch: Optional epoch the run's data stream starts at (see
            :class:`CheckedBackupAndRestore`).

    Returns:
        A pair ``(callbacks, resuming)``; ``resuming`` is True when an
        unfinished run left a backup in ``out_dir/backup``.

    Raises:
        TypeError: If ``extra`` is not a list of ``keras.callbacks.Callback``.
    """
    extra = check_callbacks(extra)
    os.makedirs(out_dir, exist_ok=True)
    backup_dir = os.path.join(out_dir, BACKUP_DIR)
    resuming = os.path.isdir(backup_dir) and bool(os.listdir(backup_dir))
    callbacks = [
        CheckedBackupAndRestore(
            backup_dir, precision=precision, data_epoch=data_epoch, double_checkpoint=True
        ),
        AtomicModelCheckpoint(os.path.join(out_dir, model_file)),
        keras.callbacks.CSVLogger(os.path.join(out_dir, HISTORY_CSV), append=resuming),
        SampleGrid(os.path.join(out_dir, SAMPLES_DIR), **sample_grid_kwargs),
    ]
    return callbacks + extra, resuming


def check_callbacks(callbacks):
    """Returns ``callbacks`` as a list, or raises if it is not one of callbacks."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)) or not all(
        isinstance(c, keras.callbacks.Callback) for c in callbacks
    ):
        raise TypeError(
            "callbacks must be None or a list of keras.callbacks.Callback. "
            f"Received: callbacks={callbacks!r}"
        )
    return list(callbacks)


def finish_run(model, out_dir, model_file, title):
    """Saves the final model and the loss curves of the whole run.

    The curves come from ``history.csv``, so a resumed run plots the epochs
    of the interrupted run(s) too.

    Args:
        model: The trained ``keras.Model``.
        out_dir: The run folder.
        model_file: File name of the model, e.g. ``"gan.keras"``.
        title: Title of the loss-curve figure.

    Returns:
        A dict of the paths written: ``"model"``, ``"loss_curves"`` (absent
        when no epoch was logged).
    """
    paths = {"model": save_model_atomically(model, os.path.join(out_dir, model_file))}
    loss_curves = save_run_loss_curves(out_dir, title=title)
    if loss_curves is not None:
        paths["loss_curves"] = loss_curves
    return paths
