"""Training curves as a PNG: ``ember.plot_history(history, "history.png")``.

Draws with matplotlib's Agg canvas directly (no pyplot, no global backend switch), so it works on
machines without a display and never opens a window.
"""

import csv
import math
from pathlib import Path

_VAL = "val_"


def read_history_csv(path):
    """A ``CSVLogger`` file (``epoch`` column, then one column per metric) as
    ``(epochs, {key: [float, ...]})``; ``epochs`` counts from 1."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"plot_history: no such file: {path}")
    with path.open(newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        delimiter = csv.Sniffer().sniff(sample, ",;\t").delimiter if sample else ","
        rows = list(csv.DictReader(handle, delimiter=delimiter))
    if not rows:
        raise ValueError(f"plot_history: {path} holds no rows of training history.")
    columns = [c for c in rows[0] if c is not None]
    history = {}
    for column in columns:
        if column == "epoch":
            continue
        try:
            history[column] = [_number(row[column]) for row in rows]
        except ValueError:
            continue  # a text column (a note, a timestamp) is not a curve
    if not history:
        raise ValueError(f"plot_history: {path} has no numeric columns besides 'epoch'. "
                         f"Columns: {columns}")
    if "epoch" in columns:
        epochs = [int(float(row["epoch"])) + 1 for row in rows]
    else:
        epochs = list(range(1, len(rows) + 1))
    return epochs, history


def _number(text):
    return float(text) if text not in ("", None) else math.nan


def _as_history(history):
    """``(epochs, {key: values})`` from a History, a dict or a CSV path."""
    if isinstance(history, (str, Path)):
        return read_history_csv(history)
    epochs = None
    if hasattr(history, "history") and isinstance(history.history, dict):
        epochs = [int(e) + 1 for e in getattr(history, "epoch", [])] or None
        history = history.history
    if not isinstance(history, dict):
        raise TypeError("plot_history: expected a History (from fit), a dict of lists or the "
                        f"path of a CSV file. Received: {type(history).__name__}")
    curves = {str(k): [float(v) for v in values] for k, values in history.items()}
    curves = {k: v for k, v in curves.items() if v}
    if not curves:
        raise ValueError("plot_history: the history is empty (no epoch was recorded).")
    length = max(len(v) for v in curves.values())
    if epochs is None or len(epochs) != length:
        epochs = list(range(1, length + 1))
    return epochs, curves


def _panels(keys):
    """Metric names, one panel each: ``loss`` first, then the others in their order."""
    names = []
    for key in keys:
        name = key[len(_VAL):] if key.startswith(_VAL) and key[len(_VAL):] in keys else key
        if name not in names:
            names.append(name)
    return sorted(names, key=lambda n: n != "loss")


_ACRONYMS = {"mae", "mse", "mape", "msle", "rmse", "auc"}


def _title(name):
    """``val_accuracy`` -> ``Val accuracy``; acronyms such as ``mae`` in capitals."""
    words = [w.upper() if w in _ACRONYMS else w for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def history_figure(history, title=None, dpi=100):
    """The matplotlib ``Figure`` that ``plot_history`` saves (for notebooks and tests)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    epochs, curves = _as_history(history)
    names = _panels(list(curves))
    columns = min(len(names), 3)
    rows = math.ceil(len(names) / columns)
    figure = Figure(figsize=(4.6 * columns, 3.6 * rows + (0.4 if title else 0)), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    marker = "o" if len(epochs) <= 20 else None
    for ax, name in zip(axes, names):
        for key, label, style in ((name, "train", "-"), (_VAL + name, "validation", "--")):
            if key in curves:
                values = curves[key]
                ax.plot(epochs[:len(values)], values, style, marker=marker, markersize=3,
                        label=label)
        ax.set_title(_title(name))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend()
        if len(epochs) > 1:
            ax.set_xlim(epochs[0], epochs[-1])
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(history, path="history.png", title=None, dpi=100):
    """Draw the loss and metric curves of a training run into the PNG file ``path``.

    ``history`` is a ``History`` (what ``fit`` returns), a dict ``{"loss": [...], ...}`` or the
    path of a CSV file written by ``CSVLogger``. One panel per metric (up to three per row), the
    training curve and, when present, the validation curve (``val_*``); returns the path.

    >>> history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7],
    ...            "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7]}
    >>> plot_history(history, "history.png")  # doctest: +SKIP
    PosixPath('history.png')
    """
    figure = history_figure(history, title=title, dpi=dpi)
    path = Path(path)
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
