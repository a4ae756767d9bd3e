"""Restore a photo collection as a Ray Data pipeline (``pip install "kerasgen[ray]"``).

The job of :func:`kerasgen.batch.restore_folder`, spread over a Ray cluster:
the driver plans the work (the same sorted file list, the finished files
skipped), Ray Data distributes the file paths, and each task reads, restores
and writes its files with the same kerasgen code as the single-machine
command (same formats, bit depths, atomic writes), so the outputs are the
same and the run is resumable the same way.

* Classical methods: ``Dataset.map_batches`` with a function, one CPU per
  task.
* ``"unet"``: ``Dataset.map_batches`` with a callable class: each actor loads
  the model once (a ``.keras`` file or an exported SavedModel folder, see
  :func:`kerasgen.export.export_for_serving`) and restores ``batch_size``
  images per model call (Ray Data's batch-inference pattern).

Locally (tests, one machine) ``ray.init()`` starts a private Ray instance on
this machine; on a cluster pass ``address="auto"`` (on a node of the cluster)
or ``"ray://head:10001"``. There, the input and output folders and the model
file must be paths every node can read and write (a shared file system), and
kerasgen must be installed on the nodes (or given as ``runtime_env``).
"""

import os
import secrets
import time

from kerasgen._checks import check_bool, check_int
from kerasgen._symmetry import check_self_ensemble
from kerasgen.batch._files import (
    FileTask,
    FolderSummary,
    one_line,
    plan_folder,
    restore_file,
    split_finished,
    write_result,
)
from kerasgen.batch.folder import LEARNED_METHODS, check_learned_only, check_method, check_quality
from kerasgen.restoration.io import read_image

_COLUMNS = ("source", "target", "relative", "bit_depth")


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ImportError(
            "kerasgen.pipelines.ray needs Ray Data: pip install 'kerasgen[ray]' (or pip install 'ray[data]')."
        ) from None
    return ray


def restore_folder_ray(
    input_dir,
    output_dir,
    method="nl_means",
    *,
    recursive=False,
    sigma=None,
    psf=None,
    scale=None,
    model=None,
    tile=None,
    overlap=None,
    batch_size=4,
    self_ensemble=1,
    concurrency=None,
    overwrite=False,
    quality=95,
    address=None,
    num_cpus=None,
    runtime_env=None,
    progress=True,
    **method_kwargs,
):
    """Restores every image of a folder with a Ray Data pipeline.

    Same arguments and results as :func:`kerasgen.batch.restore_folder`
    (tree, formats and bit depths kept; finished files skipped; per-file
    failures reported; a :class:`kerasgen.batch.FolderSummary` returned),
    plus:

    Args:
        input_dir: As for ``restore_folder``.
        output_dir: As for ``restore_folder``.
        method: As for ``restore_folder``.
        recursive: As for ``restore_folder``.
        sigma: As for ``restore_folder``.
        psf: As for ``restore_folder``.
        scale: As for ``restore_folder``.
        model: For ``"unet"``: ``None`` (the shipped denoisers), the path of
            a ``.keras`` file or of an exported SavedModel version folder
            (paths every node can read), or a ``keras.Model`` (saved to a
            temporary ``.keras`` file in ``output_dir`` for the run).
        tile: As for ``restore_folder``.
        overlap: As for ``restore_folder``.
        self_ensemble: As for ``restore_folder``.
        batch_size: As for ``restore_folder``.
        overwrite: As for ``restore_folder``.
        quality: As for ``restore_folder``.
        concurrency: For ``"unet"``: number of model actors (default 1;
            each uses the cores Ray gives it). Classical methods run one
            task per CPU.
        address: ``None`` (connect to the Ray instance of this process or
            start a local one), ``"auto"`` (the cluster this node belongs
            to), or ``"ray://host:10001"``. Only used when Ray is not
            initialised yet.
        num_cpus: CPUs of a local Ray instance (default: all).
        runtime_env: Optional Ray runtime environment for the cluster, e.g.
            ``{"pip": ["kerasgen[ray]"]}``.
        progress: Bool, show Ray Data's progress bars.
        **method_kwargs: As for ``restore_folder``.

    Returns:
        A :class:`kerasgen.batch.FolderSummary`.

    Raises:
        ImportError: Ray is not installed.
        ValueError: As ``restore_folder``.

    Example:

    >>> from kerasgen.pipelines.ray import restore_folder_ray  # doctest: +SKIP
    >>> print(restore_folder_ray("scans", "restored", "unet",  # doctest: +SKIP
    ...                          model="saved_models/unet/1", address="auto"))
    """
    start = time.perf_counter()
    options = check_method(method, sigma=sigma, psf=psf, scale=scale, **method_kwargs)
    learned = method in LEARNED_METHODS
    check_learned_only(method, model=model, tile=tile, overlap=overlap, self_ensemble=self_ensemble)
    if learned:
        check_self_ensemble(self_ensemble)
    # Checked before Ray starts (not in every task, nor silently replaced).
    batch_size = check_int("batch_size", batch_size, minimum=1)
    concurrency = check_int("concurrency", concurrency, minimum=1, allow_none=True)
    num_cpus = check_int("num_cpus", num_cpus, minimum=1, allow_none=True)
    quality = check_quality(quality)
    overwrite = check_bool("overwrite", overwrite)
    progress = check_bool("progress", progress)
    ray = _import_ray()
    tasks = plan_folder(input_dir, output_dir, recursive=recursive)
    given_file = isinstance(model, (str, os.PathLike))
    if learned and (not given_file or sigma is not None or tile is not None or overlap is not None):
        # What would fail in every actor (a sigma the model has no input for, tiles
        # too small for the overlap...) is refused here, once; a model file is only
        # loaded here when one of those options is given.
        from kerasgen.batch._learned import LearnedRestorer

        LearnedRestorer(
            model, sigma=sigma, tile=tile, overlap=overlap, batch_size=batch_size,
            self_ensemble=self_ensemble,
        )  # fmt: skip
    to_do, finished = split_finished(tasks, overwrite=overwrite)
    summary = FolderSummary(skipped=len(finished))
    if to_do:
        if not ray.is_initialized():
            ray.init(
                address=address,
                num_cpus=num_cpus,
                runtime_env=runtime_env,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        ray.data.DataContext.get_current().enable_progress_bars = bool(progress)
        os.makedirs(output_dir, exist_ok=True)
        model_file = None
        if learned and model is not None and not isinstance(model, (str, os.PathLike)):
            model_file = os.path.join(os.path.abspath(output_dir), f".kerasgen-model-{secrets.token_hex(6)}.keras")
            model.save(model_file)
            model = model_file
        try:
            rows = _run(ray, to_do, method, options, learned, model, sigma, tile,
                        overlap, batch_size, self_ensemble, concurrency, quality)  # fmt: skip
        finally:
            if model_file is not None and os.path.exists(model_file):
                os.unlink(model_file)
        for relative, error in sorted(rows):
            if error:
                summary.failed += 1
                summary.failures.append((relative, error))
            else:
                summary.done += 1
    summary.seconds = time.perf_counter() - start
    return summary


def _run(ray, tasks, method, options, learned, model, sigma, tile, overlap, batch_size,
         self_ensemble, concurrency, quality):  # fmt: skip
    items = [{name: getattr(task, name) for name in _COLUMNS} for task in tasks]
    dataset = ray.data.from_items(items)
    if learned:
        model = None if model is None else os.path.abspath(os.fspath(model))
        dataset = dataset.map_batches(
            _LearnedBatches,
            fn_constructor_kwargs={
                "model": model, "sigma": sigma, "tile": tile, "overlap": overlap,
                "batch_size": batch_size, "self_ensemble": self_ensemble, "quality": quality,
            },
            batch_size=batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=concurrency or 1),
        )  # fmt: skip
    else:
        dataset = dataset.map_batches(
            _classical_batch,
            fn_kwargs={"method": method, "options": options, "quality": quality},
            batch_size=1,
            batch_format="numpy",
        )
    return [(str(row["relative"]), str(row["error"])) for row in dataset.take_all()]


def _tasks(batch):
    return [FileTask(str(s), str(t), str(r), int(b)) for s, t, r, b in zip(*(batch[name] for name in _COLUMNS))]


def _classical_batch(batch, method, options, quality):
    results = [restore_file(task, method, options, quality) for task in _tasks(batch)]
    return {
        "relative": [relative for relative, _ in results],
        "error": [error or "" for _, error in results],
    }


class _LearnedBatches:
    """A Ray Data actor: loads the model once, restores batches of files."""

    def __init__(self, model, sigma, tile, overlap, batch_size, self_ensemble, quality):
        from kerasgen.batch._learned import LearnedRestorer

        self.restorer = LearnedRestorer(
            model, sigma=sigma, tile=tile, overlap=overlap, batch_size=batch_size,
            self_ensemble=self_ensemble,
        )  # fmt: skip
        self.quality = quality

    def __call__(self, batch):
        tasks = _tasks(batch)
        errors = {}
        images, ready = [], []
        for task in tasks:
            try:
                images.append(read_image(task.source))
                ready.append(task)
            except Exception as error:  # noqa: BLE001 - reported per file
                errors[task.relative] = one_line(error)
        outputs = self._restore(images, ready, errors)
        for task, restored in zip(ready, outputs):
            if restored is None:
                continue
            try:
                write_result(task, restored, quality=self.quality)
            except Exception as error:  # noqa: BLE001 - reported per file
                errors[task.relative] = one_line(error)
        return {
            "relative": [task.relative for task in tasks],
            "error": [errors.get(task.relative, "") for task in tasks],
        }

    def _restore(self, images, tasks, errors):
        if not images:
            return []
        try:
            return self.restorer.restore_batch(images)
        except Exception:  # noqa: BLE001 - retried one by one
            outputs = []
            for task, image in zip(tasks, images):
                try:
                    outputs.append(self.restorer.restore_batch([image])[0])
                except Exception as error:  # noqa: BLE001 - reported per file
                    errors[task.relative] = one_line(error)
                    outputs.append(None)
            return outputs
