"""Data sets that need no download: scikit-learn's bundled tables, and files on disk.

>>> from ember import datasets
>>> (x_train, y_train), (x_test, y_test) = datasets.load_iris()
>>> x_train.shape
(120, 4)

- ``load_iris``, ``load_wine``, ``load_breast_cancer``, ``load_digits``, ``load_diabetes``: from
  scikit-learn (imported on first use), split 80/20 with ``random_state=42``.
- ``load_mnist`` / ``load_fashion_mnist``: from Keras' ``mnist.npz`` or the IDX ``.gz`` files.
- ``load_shakespeare``: Tiny Shakespeare with its 65-character vocabulary.
- ``load_table`` / ``read_array``: your own ``.csv``, ``.npy`` and ``.npz`` files.

Files are looked up in the ``path=`` argument, else in the folders of ``$EMBER_DATA``, then in
``~/.ember/datasets``. A missing file raises ``DataNotFoundError`` at once, naming where ember
looked; nothing is ever downloaded.
"""

from ._paths import DataNotFoundError, search_dirs
from .mnist import load_fashion_mnist, load_mnist, read_idx
from .tables import load_table, read_array, read_csv
from .tabular import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from .text import CharVocabulary, TextSplits, load_shakespeare, load_text

# data sets of (x, y) pairs, by name: load(name) returns ((x_train, y_train), (x_test, y_test))
_ARRAY_SETS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
    "diabetes": load_diabetes,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
}
FILE_SETS = {"mnist", "fashion_mnist"}


def names():
    """The names ``load`` accepts."""
    return sorted(_ARRAY_SETS)


def load(name, path=None):
    """``((x_train, y_train), (x_test, y_test))`` of the data set ``name`` (see ``names()``);
    ``path`` tells where the files of MNIST-like sets are."""
    key = name.replace("-", "_").lower()
    if key not in _ARRAY_SETS:
        from ..keras.identifiers import unknown_identifier_error

        raise unknown_identifier_error("dataset", name, names())
    loader = _ARRAY_SETS[key]
    return loader(path) if key in FILE_SETS else loader()


__all__ = ["CharVocabulary", "DataNotFoundError", "TextSplits", "load", "load_breast_cancer",
           "load_diabetes", "load_digits", "load_fashion_mnist", "load_iris", "load_mnist",
           "load_shakespeare", "load_table", "load_text", "load_wine", "names", "read_array",
           "read_csv", "read_idx", "search_dirs"]
