"""The --out folder of `kerasgen train`: checks, and --overwrite's previous run (private).

With --overwrite, the previous run's files are moved into a hidden folder of
--out, deleted once the new run begins training and put back if it fails
before (e.g. on an invalid argument), so that a typo never loses a run.
"""

import contextlib
import os
import re
import shutil

# Hidden folder of --out holding a previous run's files while an --overwrite run starts.
_STASH_DIR = ".kerasgen-overwritten"


def check_out_dir(out_dir, model, overwrite, inputs, *, chief=True):
    """Refuses, before training, an unusable --out or a completed run without --overwrite.

    --out must not be, be inside or hold an input folder (the run's images
    would become training images). An unfinished run (its backup/ folder
    present) is resumed, as documented, unless --overwrite: then the previous
    run's state and outputs are moved aside (on the chief only) so that a new
    run starts; they are deleted when the new run begins training, and put
    back if it fails before (e.g. on an invalid argument).

    Returns:
        The folder holding the previous run's files (``--overwrite``), or None.
    """
    from kerasgen.recipes._outputs import check_out_dir_apart
    from kerasgen.restoration._atomic import check_writable_folder

    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise NotADirectoryError(f"--out must be a folder. Received: {out_dir!r} (a file)")
    check_out_dir_apart(out_dir, inputs, out_name="--out")
    existing = os.path.abspath(out_dir)
    while not os.path.isdir(existing):
        existing = os.path.dirname(existing)
    check_writable_folder(existing, what=out_dir)
    if overwrite:
        return _stash_previous_run(out_dir, model) if chief else None
    if os.path.isdir(os.path.join(out_dir, "backup")):
        return None
    outputs = {"gan": ("gan.keras",), "vae": ("vae.keras",), "unet": ("best.keras", "last.keras")}[model]
    done = [name for name in outputs if os.path.exists(os.path.join(out_dir, name))]
    if done:
        raise FileExistsError(
            f"{out_dir!r} holds a completed run ({', '.join(done)}): pass --overwrite to start a new run "
            "there (its files are replaced), or choose another --out."
        )


def _previous_run_files(out_dir, model):
    """What a previous run wrote that a new one would resume from or not replace.

    Only kerasgen's own files: the backup of an unfinished run (so that the
    new run does not resume it), history.csv (rewritten by the new run), the
    sample grids, and the U-Net's best-value record and TensorBoard event
    files. Other files are left alone.
    """
    from kerasgen.recipes._outputs import BACKUP_DIR, BACKUP_FILES, HISTORY_CSV, RUN_RECORD, SAMPLES_DIR

    names = [os.path.join(BACKUP_DIR, name) for name in (*BACKUP_FILES, RUN_RECORD)] + [HISTORY_CSV]
    if model == "unet":
        from kerasgen.recipes.unet import BEST_MODEL, LOGS_DIR

        names.append(BEST_MODEL + ".json")
        for part in ("train", "validation"):
            folder = os.path.join(LOGS_DIR, part)
            if os.path.isdir(os.path.join(out_dir, folder)):
                names += [
                    os.path.join(folder, name)
                    for name in os.listdir(os.path.join(out_dir, folder))
                    if name.startswith("events.out.tfevents.")
                ]
    elif os.path.isdir(os.path.join(out_dir, SAMPLES_DIR)):
        names += [
            os.path.join(SAMPLES_DIR, name)
            for name in os.listdir(os.path.join(out_dir, SAMPLES_DIR))
            if re.fullmatch(r"samples_epoch_\d+\.png", name)
        ]
    paths = {name: os.path.join(out_dir, name) for name in names}
    return [name for name, path in paths.items() if os.path.isfile(path) or os.path.islink(path)]


def _stash_previous_run(out_dir, model):
    """Moves the previous run's files (`_previous_run_files`) into `_STASH_DIR` of `out_dir`.

    Returns:
        The stash folder, or None when there was nothing to move.
    """
    from kerasgen.recipes._outputs import BACKUP_DIR

    stash = os.path.join(out_dir, _STASH_DIR)
    shutil.rmtree(stash, ignore_errors=True)  # left by a run killed before it began training
    names = _previous_run_files(out_dir, model)
    for name in names:
        target = os.path.join(stash, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(os.path.join(out_dir, name), target)
    with contextlib.suppress(OSError):  # kept if it holds other files
        os.rmdir(os.path.join(out_dir, BACKUP_DIR))
    return stash if names else None


def restore_stash(out_dir, stash):
    """Puts the files of `_stash_previous_run` back (the new run failed before training)."""
    for folder, _, files in os.walk(stash):
        for name in files:
            path = os.path.join(folder, name)
            target = os.path.join(out_dir, os.path.relpath(path, stash))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(path, target)
    shutil.rmtree(stash, ignore_errors=True)


def discard_stash_callback(stash):
    """A callback deleting the previous run's files once the new run begins training."""
    import keras

    class DiscardPreviousRun(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            shutil.rmtree(stash, ignore_errors=True)

    return DiscardPreviousRun()
