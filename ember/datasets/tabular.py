"""The small data sets bundled inside scikit-learn (iris, wine, breast cancer, digits,
diabetes), split as the classic Keras-on-iris script splits them.

Every loader returns ``((x_train, y_train), (x_test, y_test))`` like ``keras.datasets``:
features as float32, class labels as int64 (diabetes targets as float32), split as
``sklearn.model_selection.train_test_split(test_size=0.2, random_state=42)`` splits them.

The files are read straight from scikit-learn's ``datasets/data`` folder, without importing
scikit-learn (which takes a second or more); should that folder ever change layout, the
scikit-learn loaders are used instead.
"""

import gzip
import importlib.util
import math
from pathlib import Path

import numpy as np

TEST_SIZE = 0.2
RANDOM_STATE = 42
# name -> (file, has a "n_samples,n_features,class names" header row)
_BUNDLED = {"iris": ("iris.csv", True), "wine": ("wine_data.csv", True),
            "breast_cancer": ("breast_cancer.csv", True), "digits": ("digits.csv.gz", False)}


def _sklearn_data_folder():
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("This data set ships with scikit-learn, which is not "
                                  "installed. Install it with: pip install 'ember[app]'",
                                  name="sklearn")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"


def _read_csv(path, header):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=None if header is None else ",",
                           skiprows=1 if header else 0, ndmin=2)
    return table


def _bundled(name):
    """``(x, y)`` as float64 arrays from scikit-learn's data folder, else from its loader."""
    folder = _sklearn_data_folder()
    try:
        if name == "diabetes":
            x = _read_csv(folder / "diabetes_data_raw.csv.gz", None)
            y = _read_csv(folder / "diabetes_target.csv.gz", None)[:, 0]
            x = (x - x.mean(axis=0)) / x.std(axis=0) / math.sqrt(len(x))  # load_diabetes(scaled)
            return x, y
        filename, header = _BUNDLED[name]
        table = _read_csv(folder / filename, header)
        return table[:, :-1], table[:, -1]
    except (OSError, ValueError, IndexError):  # pragma: no cover - a changed scikit-learn layout
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, f"load_{name}")()
        return bunch.data, bunch.target


def split(x, y, test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """The split of ``train_test_split(x, y, test_size=..., random_state=...)``, computed the way
    scikit-learn computes it (``ShuffleSplit``: one ``RandomState(seed).permutation``, the first
    ``ceil(test_size * n)`` indices test), without importing scikit-learn.

    Returns ``((x_train, y_train), (x_test, y_test))``.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"`test_size` must be a fraction in (0, 1). Received: {test_size!r}")
    n = len(x)
    n_test = math.ceil(test_size * n)
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size} leaves no samples for training or testing "
                         f"with {n} samples.")
    order = np.random.RandomState(random_state).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])


def _classification(name, test_size, random_state):
    x, y = _bundled(name)
    return split(x.astype(np.float32), y.astype(np.int64), test_size, random_state)


def load_iris(test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """Iris: 150 flowers, 4 measurements (cm), 3 species; 120 train / 30 test.

    >>> (x_train, y_train), (x_test, y_test) = load_iris()
    >>> x_train.shape, x_test.shape, y_train.dtype
    ((120, 4), (30, 4), dtype('int64'))
    """
    return _classification("iris", test_size, random_state)


def load_wine(test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """Wine: 178 wines, 13 chemical measurements (unscaled), 3 cultivars; 142 / 36."""
    return _classification("wine", test_size, random_state)


def load_breast_cancer(test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """Breast cancer (Wisconsin): 569 tumours, 30 features (unscaled), 0 malignant / 1 benign."""
    return _classification("breast_cancer", test_size, random_state)


def load_digits(test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """Digits: 1,797 handwritten digits as ``(n, 8, 8)`` images, pixels / 16 in [0, 1], 10 classes.

    >>> (x_train, y_train), _ = load_digits()
    >>> x_train.shape, float(x_train.max())
    ((1437, 8, 8), 1.0)
    """
    x, y = _bundled("digits")
    images = (x / 16.0).astype(np.float32).reshape(-1, 8, 8)
    return split(images, y.astype(np.int64), test_size, random_state)


def load_diabetes(test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """Diabetes (regression): 442 patients, 10 scaled features, a disease-progression target
    (25-346) as float32."""
    x, y = _bundled("diabetes")
    return split(x.astype(np.float32), y.astype(np.float32), test_size, random_state)
