"""Restore every image of a folder: resumable, parallel, with a progress bar."""

import concurrent.futures
import logging
import multiprocessing
import os
import sys
import time

from kerasgen._checks import check_bool, check_int
from kerasgen.batch._files import (
    FolderSummary,
    one_line,
    plan_folder,
    restore_file,
    split_finished,
    write_result,
)
from kerasgen.restoration._validation import check_sigma
from kerasgen.restoration.io import read_image
from kerasgen.restoration.repair import method_arguments, method_task, repair_methods

logger = logging.getLogger("kerasgen.batch")

LEARNED_METHODS = ("unet",)


def restore_folder(
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
    workers=None,
    overwrite=False,
    quality=95,
    progress=True,
    **method_kwargs,
):
    """Restores every image of a folder into another folder, resumably.

    Each image of ``input_dir`` (PNG, JPEG, TIFF, BMP, GIF, WebP; with
    ``recursive``, of its sub-folders too) is read with
    :func:`kerasgen.restoration.read_image`, restored, clipped to ``[0, 1]``
    and written with :func:`kerasgen.restoration.save_image` to the same
    relative path under ``output_dir``: the tree, the format (the extension;
    BMP, GIF and WebP inputs become PNG), grey or colour and the bit depth
    (a 16-bit PNG or TIFF gives a 16-bit output; 16-bit colour PNGs, which
    Pillow reads at 8 bits, give 8-bit PNGs) are kept.

    * **Resumable.** Every output is written to a temporary file and renamed,
      so a file under its final name is complete. A run that is stopped (even
      by ``kill -9``) and started again skips the files already written and
      removes the temporary files left behind. ``overwrite=True`` redoes
      everything.
    * **Parallel.** Classical methods run in ``workers`` processes (default:
      every core; so does ``"pnp"``); the learned ``"unet"`` runs in this process, stacking up
      to ``batch_size`` images of the same size into one model call (the
      model itself uses every core) while threads read and write the files.
    * **Failures** (unreadable file, method error) are logged on the
      ``"kerasgen.batch"`` logger and listed in the summary; the run goes on.

    Args:
        input_dir: Folder of images to restore.
        output_dir: Folder for the results (created; may already hold the
            results of an earlier, interrupted run). Must differ from
            ``input_dir``; when inside it, it is not read.
        method: A :func:`kerasgen.restoration.repair_image` method:
            ``"nl_means"`` (default), ``"bm3d"``, ``"tv"``, ``"wavelet"``,
            ``"bilateral"``, a deblurring method with ``psf=``, an
            upscaling method with ``scale=``, ``"pnp"``, or ``"unet"``
            (batched, see below). Inpainting needs a mask per image and is
            not offered.
        recursive: Keyword-only. Bool, include sub-folders.
        sigma: Noise standard deviation in image units (e.g. ``25 / 255``),
            or ``None`` to estimate it per image.
        psf: Blur kernel, for the deblurring methods (and ``"pnp"``).
        scale: Upscaling factor, for the upscaling methods (and ``"pnp"``).
        model: For ``"unet"``: ``None`` (the shipped denoiser for each
            image's channels), a ``keras.Model``, a ``.keras`` file or an
            exported SavedModel folder.
        tile: For ``"unet"``: tile size for large images (then images run
            one at a time, their tiles batched), or ``None``.
        overlap: For ``"unet"`` with ``tile``: tile overlap (None: as
            ``restore``, 32 lowered for a fixed-size model).
        batch_size: For ``"unet"``: int >= 1, images per model call.
        self_ensemble: For ``"unet"``: 1, 2, 4 or 8 flips / rotations
            averaged per image (see :func:`kerasgen.inference.restore`).
        workers: Classical methods: int >= 1 processes, or ``None`` for
            ``os.cpu_count()``.
        overwrite: Bool, restore again the images whose output exists.
        quality: JPEG quality of JPEG outputs.
        progress: Bool, show a progress bar (tqdm, on stderr).
        **method_kwargs: Passed to ``repair_image`` (classical methods).

    Returns:
        A :class:`kerasgen.batch.FolderSummary` (done, skipped, failed,
        seconds, failures); ``str(summary)`` is a one-line report.

    Raises:
        ValueError: Unknown or inpainting method, same input and output
            folder, two inputs mapping to one output, ``sigma`` outside
            ``[0, 1]`` or given for a ``"unet"`` model without a
            noise-level input, ``quality`` outside ``[1, 100]``, or a
            ``"unet"`` argument (``model``, ``tile``, ``overlap``,
            ``self_ensemble``) given for another method. All are refused
            before any file is written.
        TypeError: ``recursive``, ``overwrite`` or ``progress`` not a bool.
        NotADirectoryError: ``input_dir`` is not a folder.

    Example:

    >>> summary = restore_folder("scans", "restored", "nl_means",  # doctest: +SKIP
    ...                          recursive=True, sigma=10 / 255)
    >>> print(summary)  # doctest: +SKIP
    done 120, skipped 0, failed 0 in 31.0 s (3.87 images/s)
    """
    start = time.perf_counter()
    options = check_method(method, sigma=sigma, psf=psf, scale=scale, **method_kwargs)
    learned = method in LEARNED_METHODS
    check_learned_only(method, model=model, tile=tile, overlap=overlap, self_ensemble=self_ensemble)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    # Checked once here, not once per file by every worker.
    quality = check_quality(quality)
    overwrite = check_bool("overwrite", overwrite)
    progress = check_bool("progress", progress)
    workers = (
        (os.cpu_count() or 1)
        if workers is None
        else check_int("workers", workers, minimum=1)
    )
    tasks = plan_folder(input_dir, output_dir, recursive=recursive)
    to_do, finished = split_finished(tasks, overwrite=overwrite)
    summary = FolderSummary(skipped=len(finished))
    if learned:  # loads and checks the model (e.g. sigma without a noise-level input) before any file
        from kerasgen.batch._learned import LearnedRestorer

        restorer = LearnedRestorer(
            model, sigma=sigma, tile=tile, overlap=overlap, batch_size=batch_size,
            self_ensemble=self_ensemble,
        )  # fmt: skip
    bar = _progress_bar(len(tasks), len(finished), progress)
    try:
        if learned:
            _run_learned(to_do, restorer, quality, summary, bar)
        else:
            _run_classical(to_do, method, options, quality, workers, summary, bar)
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - start
    logger.info("restore_folder %s: %s", input_dir, summary)
    return summary


def check_method(method, *, sigma=None, psf=None, scale=None, **method_kwargs):
    """Checks a folder method; returns its ``repair_image`` keyword arguments.

    Raises:
        ValueError: Unknown method, an inpainting method (a mask per image
            would be needed), a deblurring method without ``psf``, or an
            argument the method does not use.
    """
    methods = repair_methods()
    if method not in methods:
        raise ValueError(
            f"method must be one of {methods}. Received: method={method!r}"
        )
    task = method_task(method)
    if task == "inpaint":
        raise ValueError(
            "Inpainting needs a mask per image, so it is not offered for folders. "
            f"Received: method={method!r}"
        )
    if task == "deblur" and psf is None:
        raise ValueError(f"method={method!r} needs psf= (the blur kernel).")
    used = method_arguments(method)
    given = {"sigma": sigma, "psf": psf, "scale": scale}
    check_sigma(sigma)  # image units for every method: fail once, not per file
    for name, value in given.items():
        if value is not None and name not in used:
            raise ValueError(
                f"{name}= is not used by method={method!r}. Received: {name}={value!r:.60}"
            )
    if method in LEARNED_METHODS and method_kwargs:
        raise ValueError(
            f"method={method!r} takes no extra keyword arguments. Received: {sorted(method_kwargs)}"
        )
    return {**{k: v for k, v in given.items() if v is not None}, **method_kwargs}


def check_learned_only(method, *, model=None, tile=None, overlap=None, self_ensemble=1):
    """Refuses the ``"unet"``-only arguments for another method.

    Raises:
        ValueError: If ``method`` is not learned and one of them is given.
    """
    if method not in LEARNED_METHODS and (
        model is not None or tile is not None or overlap is not None or self_ensemble != 1
    ):
        raise ValueError(
            "model=, tile=, overlap= and self_ensemble= are for method='unet'. "
            f"Received: method={method!r}"
        )


def check_quality(quality):
    """Checks a JPEG quality: an int in [1, 100]."""
    return check_int("quality", quality, minimum=1, maximum=100, expected="an int in [1, 100]")


def _progress_bar(total, done, enabled):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=done,
        unit="image",
        desc="restore",
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
    )


def _record(summary, bar, relative, error):
    if error is None:
        summary.done += 1
    else:
        summary.failed += 1
        summary.failures.append((relative, error))
        if logger.hasHandlers():
            logger.warning("failed: %s: %s", relative, error)
        else:  # unconfigured logging: print above the progress bar
            bar.write(f"failed: {relative}: {error}", file=sys.stderr)
    bar.update(1)


def _pool_context():
    """fork is cheapest, but not once TensorFlow (threads) runs in this process."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and "tensorflow" not in sys.modules:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run_classical(tasks, method, options, quality, workers, summary, bar):
    if not tasks:
        return
    if workers == 1:
        for task in tasks:
            _record(summary, bar, *restore_file(task, method, options, quality))
        return
    pending = iter(tasks)
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=_pool_context()
    ) as pool:
        running = {}

        def submit(count):
            for task in pending:
                running[pool.submit(restore_file, task, method, options, quality)] = (
                    task
                )
                count -= 1
                if count == 0:
                    break

        submit(2 * workers)  # a bounded queue: 50,000 files are not submitted at once
        while running:
            finished, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                task = running.pop(future)
                try:
                    relative, error = future.result()
                except Exception as error:  # noqa: BLE001 - e.g. a worker process died
                    relative, error = task.relative, one_line(error)
                _record(summary, bar, relative, error)
            submit(len(finished))


def _read(task):
    try:
        return read_image(task.source), None
    except Exception as error:  # noqa: BLE001 - reported per file
        return None, one_line(error)


def _write(task, restored, quality):
    try:
        write_result(task, restored, quality=quality)
    except Exception as error:  # noqa: BLE001 - reported per file
        return one_line(error)
    return None


def _run_learned(tasks, restorer, quality, summary, bar):
    """Reads ahead and writes behind in threads while the model runs here."""
    if not tasks:
        return
    batch_size = restorer.batch_size
    with concurrent.futures.ThreadPoolExecutor(2) as io:
        reads = [io.submit(_read, task) for task in tasks[: 2 * batch_size]]
        next_read = len(reads)
        writes = []
        for first in range(0, len(tasks), batch_size):
            chunk = tasks[first : first + batch_size]
            images, ready = [], []
            for task in chunk:
                image, error = reads.pop(0).result()
                if next_read < len(tasks):
                    reads.append(io.submit(_read, tasks[next_read]))
                    next_read += 1
                if error is None:
                    images.append(image)
                    ready.append(task)
                else:
                    _record(summary, bar, task.relative, error)
            outputs = _restore_chunk(restorer, images, ready, summary, bar)
            for task, restored in zip(ready, outputs):
                if restored is not None:
                    writes.append((task, io.submit(_write, task, restored, quality)))
            writes = _collect(writes, summary, bar, wait_all=False)
        _collect(writes, summary, bar, wait_all=True)


def _restore_chunk(restorer, images, tasks, summary, bar):
    """Restores a chunk; on an error, image by image so that one bad image fails alone."""
    if not images:
        return []
    try:
        return restorer.restore_batch(images)
    except Exception:  # noqa: BLE001 - retried one by one below
        outputs = []
        for task, image in zip(tasks, images):
            try:
                outputs.append(restorer.restore_batch([image])[0])
            except Exception as error:  # noqa: BLE001 - reported per file
                _record(summary, bar, task.relative, one_line(error))
                outputs.append(None)
        return outputs


def _collect(writes, summary, bar, *, wait_all):
    left = []
    for task, future in writes:
        if wait_all or future.done():
            _record(summary, bar, task.relative, future.result())
        else:
            left.append((task, future))
    return left
