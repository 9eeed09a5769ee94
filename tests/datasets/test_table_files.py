"""Reading users' .csv, .npy and .npz files."""

import numpy as np
import pytest

from ember.datasets import load_table, read_array


def test_csv_with_header_last_column_is_the_label(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("f1,f2,label\n1.5,2,0\n3,4.25,2\n")
    x, y = load_table(path)
    np.testing.assert_array_equal(x, np.array([[1.5, 2], [3, 4.25]], np.float32))
    assert x.dtype == np.float32
    assert y.tolist() == [0, 2] and y.dtype == np.int64


def test_csv_without_header_and_semicolons(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("1;2;0.5\n3;4;1.5\n")
    x, y = load_table(path)
    assert x.shape == (2, 2)
    assert y.dtype == np.float32 and y.tolist() == [0.5, 1.5]
    np.testing.assert_array_equal(read_array(path), [[1, 2, 0.5], [3, 4, 1.5]])


def test_npz_and_npy(tmp_path, rng):
    x = rng.normal(size=(5, 3))
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(5))
    tx, ty = load_table(tmp_path / "d.npz")
    np.testing.assert_allclose(tx, x.astype(np.float32))
    assert ty.tolist() == [0, 1, 2, 3, 4]
    np.save(tmp_path / "x.npy", x)
    np.testing.assert_array_equal(read_array(tmp_path / "x.npy"), x)
    np.testing.assert_array_equal(read_array(tmp_path / "d.npz"), x)


def test_table_errors(tmp_path):
    (tmp_path / "words.csv").write_text("a,b\n1,x\n")
    with pytest.raises(ValueError, match=r"words\.csv: expected a table of numbers"):
        load_table(tmp_path / "words.csv")
    (tmp_path / "one.csv").write_text("1\n2\n")
    with pytest.raises(ValueError, match=r"one\.csv: expected feature columns and a last label "
                                         r"column\. Received 1 column"):
        load_table(tmp_path / "one.csv")
    np.savez(tmp_path / "no_y.npz", features=np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"no_y\.npz: expected arrays named x and y\. "
                                         r"Received: features"):
        load_table(tmp_path / "no_y.npz")
    with pytest.raises(ValueError, match=r"expected a \.npy, \.npz or \.csv file\. Received a "
                                         r"\.txt file"):
        read_array(tmp_path / "x.txt")
    np.savez(tmp_path / "uneven.npz", x=np.zeros((3, 2)), y=np.zeros(2))
    with pytest.raises(ValueError, match=r"x has 3 rows but y has 2"):
        load_table(tmp_path / "uneven.npz")
