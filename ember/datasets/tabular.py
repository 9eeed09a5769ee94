"""The small data sets bundled inside scikit-learn (iris, wine, breast cancer, digits,
diabetes), split as the classic Keras-on-iris script splits them.

Every loader returns ``((x_train, y_train), (x_test, y_test))`` like ``keras.datasets``:
features as float32, class labels as int64 (diabetes targets as float32), split by
``sklearn.model_selection.train_test_split(test_size=0.2, random_state=42)``.
scikit-learn is imported on first use only (it takes about a second).
"""

import numpy as np

TEST_SIZE = 0.2
RANDOM_STATE = 42


def _bunch(name):
    try:
        import sklearn.datasets as sk_datasets
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(f"The {name} data set ships with scikit-learn, which is not installed. "
                          f"Install it with: pip install 'ember[app]'") from error
    return getattr(sk_datasets, f"load_{name}")()


def split(x, y, test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """``train_test_split`` as the seed script calls it.

    Returns ``((x_train, y_train), (x_test, y_test))``.
    """
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise ValueError(f"`test_size` must be a fraction in (0, 1). Received: {test_size!r}")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=random_state)
    return (x_train, y_train), (x_test, y_test)


def _classification(name, test_size, random_state):
    bunch = _bunch(name)
    x = bunch.data.astype(np.float32)
    return split(x, bunch.target.astype(np.int64), test_size, random_state)


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
    bunch = _bunch("digits")
    images = (bunch.images / 16.0).astype(np.float32)
    return split(images, bunch.target.astype(np.int64), test_size, random_state)


def load_diabetes(test_size=TEST_SIZE, random_state=RANDOM_STATE):
    """Diabetes (regression): 442 patients, 10 scaled features, a disease-progression target
    (25-346) as float32."""
    bunch = _bunch("diabetes")
    return split(bunch.data.astype(np.float32), bunch.target.astype(np.float32), test_size,
                 random_state)
