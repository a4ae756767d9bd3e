"""Training histories: read a run's ``history.csv``, draw its loss curves.

``keras.callbacks.CSVLogger`` (used by every recipe) writes one row per epoch
into ``<out_dir>/history.csv``; :func:`save_run_loss_curves` draws it into
``<out_dir>/loss_curves.png``, as the recipes do at the end of a run (and the
``kerasgen train`` command for U-Net runs).
"""

import csv
import math
import os

from kerasgen.restoration.comparison import save_figure

HISTORY_CSV = "history.csv"
"""File name of the per-epoch history in a run folder."""

LOSS_CURVES_PNG = "loss_curves.png"
"""File name of the loss-curve figure in a run folder."""


def read_history_csv(path):
    """Reads a ``keras.callbacks.CSVLogger`` file.

    Args:
        path: The CSV file.

    Returns:
        A dict ``{column: list of floats}`` with an ``"epoch"`` column of
        0-based epoch indices (as written by ``CSVLogger``); rows with the
        same epoch (a run restarted from scratch into the same file) keep
        the last one. Columns with no value (``CSVLogger`` writes ``NA``
        ``val_*`` columns when there is no validation) are left out.

    Example:

    >>> read_history_csv("runs/unet/history.csv")["epoch"][:3]  # doctest: +SKIP
    [0, 1, 2]
    """
    rows = {}
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            try:
                rows[int(row["epoch"])] = row
            except (KeyError, TypeError, ValueError):
                continue
    columns = {"epoch": sorted(rows)}
    names = [] if not rows else [k for k in rows[columns["epoch"][0]] if k != "epoch"]
    for name in names:
        values = [_to_float(rows[epoch].get(name)) for epoch in columns["epoch"]]
        if not all(math.isnan(v) for v in values):  # CSVLogger's "NA" val_ columns
            columns[name] = values
    return columns


def _to_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def save_loss_curves(path, history, *, title=None):
    """Draws the loss curves of a training run into a PNG, atomically.

    One panel per metric, the validation curve (``val_<name>``) drawn with
    its training curve; the x axis is the 1-based epoch.

    Args:
        path: Output file (``.png``); its folder must exist.
        history: A ``keras.callbacks.History`` or a dict ``{name: list of
            values}`` (e.g. from :func:`read_history_csv`), with an optional
            ``"epoch"`` list of 0-based epochs.
        title: Optional figure title.

    Returns:
        The path written, as a str.

    Raises:
        ValueError: If ``history`` holds no metric.

    Example:

    >>> save_loss_curves("curves.png", {"loss": [0.9, 0.5, 0.4],
    ...                                 "val_loss": [1.0, 0.6, 0.5]})  # doctest: +SKIP
    'curves.png'
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if hasattr(history, "history") and hasattr(history, "epoch"):  # a keras.callbacks.History
        values = dict(history.history)
        epochs = list(history.epoch)
    else:
        values = dict(history)
        epochs = list(values.pop("epoch", []))
    names = [name for name in values if not name.startswith("val_")]
    names += [
        name[4:]
        for name in values
        if name.startswith("val_") and name[4:] not in values
    ]
    names.sort(key=lambda name: name != "loss")  # the total loss first
    if not names:
        raise ValueError(
            f"history holds no metric to plot. Received: keys {sorted(values)}"
        )
    length = max(len(v) for v in values.values())
    if len(epochs) != length:
        epochs = list(range(length))
    x = [epoch + 1 for epoch in epochs]

    figure = Figure(figsize=(4.0 * len(names), 3.2), layout="constrained")
    for index, name in enumerate(names):
        axes = figure.add_subplot(1, len(names), index + 1)
        for key, label in ((name, "train"), ("val_" + name, "validation")):
            if key in values:
                axes.plot(x[: len(values[key])], values[key], marker=".", label=label)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.ticklabel_format(axis="y", useOffset=False)
        axes.grid(alpha=0.3)
        if "val_" + name in values:
            axes.legend()
    if title:
        figure.suptitle(title)
    return save_figure(path, figure)


def save_run_loss_curves(out_dir, *, title=None):
    """Draws the loss curves of a run folder's ``history.csv``.

    Reads ``<out_dir>/history.csv`` (written by ``CSVLogger`` during
    training, so a resumed run includes the epochs of the interrupted ones)
    and writes ``<out_dir>/loss_curves.png`` atomically.

    Args:
        out_dir: The run folder (e.g. the ``out_dir`` of ``train_unet``).
        title: Optional figure title.

    Returns:
        The path written, as a str, or None when the folder holds no
        history or no epoch was logged.

    Example:

    >>> save_run_loss_curves("runs/unet", title="U-Net")  # doctest: +SKIP
    'runs/unet/loss_curves.png'
    """
    csv_path = os.path.join(os.fspath(out_dir), HISTORY_CSV)
    if not os.path.exists(csv_path):
        return None
    history = read_history_csv(csv_path)
    if not history["epoch"]:
        return None
    return save_loss_curves(os.path.join(os.fspath(out_dir), LOSS_CURVES_PNG), history, title=title)
