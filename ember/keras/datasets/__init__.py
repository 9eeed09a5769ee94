"""``keras.datasets`` without downloads: ``mnist`` and ``fashion_mnist`` read files found on disk.

>>> from ember import keras
>>> (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()  # doctest: +SKIP

Where ember looks and which splits it uses: ``ember.datasets``. The scikit-learn tables (iris,
digits, ...) are in ``ember.datasets`` too.
"""

from . import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
