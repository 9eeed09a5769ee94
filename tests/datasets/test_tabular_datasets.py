"""The scikit-learn tables: shapes, dtypes and the seed script's split."""

import numpy as np
import pytest
from sklearn import datasets as sk
from sklearn.model_selection import train_test_split

from ember import datasets

CASES = [  # name, sklearn loader, features shape, classes (None: regression)
    ("iris", sk.load_iris, (4,), 3),
    ("wine", sk.load_wine, (13,), 3),
    ("breast_cancer", sk.load_breast_cancer, (30,), 2),
    ("diabetes", sk.load_diabetes, (10,), None),
]


@pytest.mark.parametrize("name,reference,features,classes", CASES)
def test_split_matches_train_test_split(name, reference, features, classes):
    (x_train, y_train), (x_test, y_test) = datasets.load(name)
    bunch = reference()
    rx_train, rx_test, ry_train, ry_test = train_test_split(
        bunch.data, bunch.target, test_size=0.2, random_state=42)
    assert x_train.shape == (len(rx_train),) + features
    assert x_test.shape == (len(rx_test),) + features
    assert len(x_train) + len(x_test) == len(bunch.data)
    assert len(x_test) == int(np.ceil(0.2 * len(bunch.data)))
    assert x_train.dtype == np.float32
    np.testing.assert_allclose(x_train, rx_train.astype(np.float32), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(x_test, rx_test.astype(np.float32), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(y_test, ry_test)
    np.testing.assert_array_equal(y_train, ry_train)
    if classes is None:
        assert y_train.dtype == np.float32
    else:
        assert y_train.dtype == np.int64
        assert sorted(np.unique(np.concatenate([y_train, y_test]))) == list(range(classes))


def test_iris_is_the_seed_split():
    (x_train, y_train), (x_test, y_test) = datasets.load_iris()
    assert (x_train.shape, x_test.shape) == ((120, 4), (30, 4))
    # the first test flower of train_test_split(test_size=0.2, random_state=42) on iris
    np.testing.assert_allclose(x_test[0], [6.1, 2.8, 4.7, 1.2], rtol=1e-6)
    assert y_test[0] == 1


def test_digits_are_images_in_unit_range():
    (x_train, y_train), (x_test, y_test) = datasets.load_digits()
    bunch = sk.load_digits()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    _, rx_test, _, ry_test = train_test_split(bunch.images, bunch.target, test_size=0.2,
                                              random_state=42)
    np.testing.assert_allclose(x_test, rx_test / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(y_test, ry_test)


def test_split_arguments_are_checked():
    with pytest.raises(ValueError, match=r"`test_size` must be a fraction in \(0, 1\)\. "
                                         r"Received: 1\.5"):
        datasets.load_iris(test_size=1.5)
    with pytest.raises(ValueError, match=r"test_size=0\.999 leaves no samples for training or "
                                         r"testing with 150 samples"):
        datasets.load_iris(test_size=0.999)
    (x_train, y_train), (x_test, _) = datasets.load_iris(test_size=0.3, random_state=7)
    bunch = sk.load_iris()
    rx_train, _, ry_train, _ = train_test_split(bunch.data, bunch.target, test_size=0.3,
                                                random_state=7)
    assert (len(x_train), len(x_test)) == (105, 45)
    np.testing.assert_array_equal(y_train, ry_train)


def test_unknown_dataset_names_the_closest():
    with pytest.raises(ValueError, match=r"Could not interpret dataset identifier: 'irsi'\. "
                                         r"Did you mean 'iris'\?"):
        datasets.load("irsi")
