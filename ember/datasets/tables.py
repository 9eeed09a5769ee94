"""Arrays from a user's files: ``.npy``, ``.npz`` and numeric ``.csv`` tables.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
>>> _ = open(path, "w").write("a,b,label\\n1,2,0\\n3,4,1\\n")
>>> x, y = load_table(path)
>>> x.tolist(), y.tolist()
([[1.0, 2.0], [3.0, 4.0]], [0, 1])
"""

from pathlib import Path

import numpy as np

_X_KEYS = ("x", "x_test", "inputs", "data")
_Y_KEYS = ("y", "y_test", "labels", "targets", "target")


def read_csv(path):
    """A numeric CSV file as a float32 array ``(rows, columns)``; a header row is skipped."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    delimiter = ";" if first.count(";") > first.count(",") else ","
    skip = 0 if _is_numeric_row(first, delimiter) else 1
    try:
        array = np.loadtxt(path, delimiter=delimiter, skiprows=skip, dtype=np.float32, ndmin=2)
    except ValueError as error:
        raise ValueError(f"{path}: expected a table of numbers (an optional header row, then "
                         f"one row of numbers per sample): {error}") from None
    if array.size == 0:
        raise ValueError(f"{path}: the table holds no rows of numbers.")
    return array


def _is_numeric_row(line, delimiter):
    try:
        [float(cell) for cell in line.strip().split(delimiter)]
    except ValueError:
        return False
    return True


def read_array(path):
    """The inputs stored in ``path``: ``.npy``, ``.npz`` (array ``x`` or the first one) or
    ``.csv`` (every column)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            key = next((k for k in _X_KEYS if k in data.files), data.files[0])
            return data[key]
    if suffix == ".csv":
        return read_csv(path)
    raise ValueError(f"{path}: expected a .npy, .npz or .csv file. Received a "
                     f"{suffix or 'extension-less'} file.")


def load_table(path):
    """Features and labels ``(x, y)`` from ``.npz`` (arrays ``x`` and ``y``) or ``.csv`` (the last
    column is the label). Integer-valued labels come back as int64."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            x_key = next((k for k in _X_KEYS if k in data.files), None)
            y_key = next((k for k in _Y_KEYS if k in data.files), None)
            if x_key is None or y_key is None:
                raise ValueError(f"{path}: expected arrays named x and y. Received: "
                                 f"{', '.join(data.files)}")
            x, y = data[x_key], data[y_key]
    elif suffix == ".csv":
        table = read_csv(path)
        if table.shape[1] < 2:
            raise ValueError(f"{path}: expected feature columns and a last label column. "
                             f"Received {table.shape[1]} column.")
        x, y = table[:, :-1], table[:, -1]
    else:
        raise ValueError(f"{path}: expected a .npz file (arrays x and y) or a .csv file (the "
                         f"last column is the label). Received a {suffix or 'extension-less'} "
                         f"file.")
    if len(x) != len(y):
        raise ValueError(f"{path}: x has {len(x)} rows but y has {len(y)}.")
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.array_equal(y, np.round(y)):
        y = y.astype(np.int64)
    if x.dtype.kind == "f":
        x = x.astype(np.float32)
    return x, y
