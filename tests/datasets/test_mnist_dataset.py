"""MNIST from IDX files and mnist.npz: parsing, splits, search folders, the missing-file error."""

import gzip

import numpy as np
import pytest

from ember import datasets, keras
from ember.datasets import DataNotFoundError, read_idx


def write_idx(path, array, compress=True):
    magic = (2051 if array.ndim == 3 else 2049).to_bytes(4, "big")
    header = magic + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


def fake_set(rng, n):
    return rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n)


@pytest.fixture
def no_data_home(tmp_path, monkeypatch):
    """No $EMBER_DATA and an empty home, so only the folders a test names are searched."""
    monkeypatch.delenv("EMBER_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_shared_test_set_split_8000_2000(shared_data, monkeypatch):
    monkeypatch.setenv("EMBER_DATA", str(shared_data))
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 == x_train.min() and x_train.max() == 1.0
    assert y_train[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the t10k set's first labels
    raw = read_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz")
    assert raw.shape == (10000, 28, 28) and raw.dtype == np.uint8
    np.testing.assert_array_equal(x_test, raw[8000:] / np.float32(255))
    assert np.bincount(np.concatenate([y_train, y_test]), minlength=10).sum() == 10000


def test_keras_load_data_returns_uint8(shared_data, monkeypatch):
    monkeypatch.setenv("EMBER_DATA", str(shared_data))
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    assert x_train.dtype == np.uint8 and x_train.shape == (8000, 28, 28)
    assert y_test.dtype == np.uint8 and y_test.shape == (2000,)
    (x_path, _), _ = keras.datasets.mnist.load_data(path=str(shared_data / "mnist"))
    np.testing.assert_array_equal(x_path, x_train)


def test_four_idx_files_give_the_official_split(no_data_home, rng):
    folder = no_data_home / "data" / "mnist"
    folder.mkdir(parents=True)
    train, test = fake_set(rng, 12), fake_set(rng, 5)
    write_idx(folder / "train-images-idx3-ubyte.gz", train[0])
    write_idx(folder / "train-labels-idx1-ubyte.gz", train[1])
    write_idx(folder / "t10k-images-idx3-ubyte.gz", test[0])
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", test[1])
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(path=no_data_home / "data")
    np.testing.assert_array_equal(x_train * 255, train[0].astype(np.float32))
    np.testing.assert_array_equal(y_train, train[1])
    np.testing.assert_array_equal(y_test, test[1])


def test_uncompressed_idx_and_env_folder(no_data_home, monkeypatch, rng):
    images, labels = fake_set(rng, 8010)
    write_idx(no_data_home / "t10k-images-idx3-ubyte", images, compress=False)
    write_idx(no_data_home / "t10k-labels-idx1-ubyte", labels, compress=False)
    monkeypatch.setenv("EMBER_DATA", str(no_data_home))
    (x_train, _), (x_test, y_test) = datasets.load_mnist()
    assert len(x_train) == 8000 and len(x_test) == 10
    np.testing.assert_array_equal(y_test, labels[8000:])


def test_keras_npz_file(no_data_home, rng):
    (xa, ya), (xb, yb) = fake_set(rng, 6), fake_set(rng, 4)
    path = no_data_home / "mnist.npz"
    np.savez(path, x_train=xa, y_train=ya, x_test=xb, y_test=yb)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data(path=str(path))
    np.testing.assert_array_equal(x_train, xa)
    np.testing.assert_array_equal(y_test, yb)
    # Keras' cache folder is searched too
    cache = no_data_home / "home" / ".keras" / "datasets"
    cache.mkdir(parents=True)
    np.savez(cache / "mnist.npz", x_train=xa, y_train=ya, x_test=xb, y_test=yb)
    (x_train, _), _ = datasets.load_mnist()
    np.testing.assert_allclose(x_train, xa / 255.0, rtol=1e-6)


def test_fashion_mnist_in_keras_cache_layout(no_data_home, rng):
    folder = no_data_home / "home" / ".keras" / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    train, test = fake_set(rng, 7), fake_set(rng, 3)
    for prefix, (images, labels) in (("train", train), ("t10k", test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, train[0])
    np.testing.assert_array_equal(y_test, test[1])
    with pytest.raises(DataNotFoundError, match="mnist: data not found"):
        datasets.load_mnist()  # the fashion files are not MNIST


def test_missing_files_say_where_ember_looked(no_data_home, monkeypatch):
    monkeypatch.setenv("EMBER_DATA", str(no_data_home / "a"))
    with pytest.raises(DataNotFoundError) as info:
        datasets.load_mnist()
    message = str(info.value)
    home = no_data_home / "home"
    assert message.startswith(f"mnist: data not found. Looked in {no_data_home / 'a'}, "
                              f"{home / '.ember' / 'datasets'}, {home / '.keras' / 'datasets'} "
                              f"for mnist.npz or the IDX files t10k-images-idx3-ubyte.gz")
    assert "ember never downloads: pass path=... (a file or a folder) or set EMBER_DATA" in message
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(DataNotFoundError, match=f"Looked in {no_data_home / 'nowhere'} for"):
        datasets.load_mnist(path=no_data_home / "nowhere")


def test_bad_idx_files_are_refused(tmp_path):
    (tmp_path / "bad.idx").write_bytes(b"\x00\x00\x08\x99" + b"\x00" * 8)
    with pytest.raises(ValueError, match=r"bad\.idx: not an IDX file of MNIST images or labels: "
                                         r"expected magic number 2051 or 2049\. Received: 2201"):
        read_idx(tmp_path / "bad.idx")
    short = 2049 .to_bytes(4, "big") + (5).to_bytes(4, "big") + b"\x01\x02"
    (tmp_path / "short.idx").write_bytes(short)
    with pytest.raises(ValueError, match=r"truncated IDX file: the header announces shape "
                                         r"\(5,\) \(5 values\) but the file holds 2"):
        read_idx(tmp_path / "short.idx")
