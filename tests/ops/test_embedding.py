"""embedding: lookup, scatter-add gradient (both accumulation paths), PyTorch parity, errors."""

import doctest
import importlib

import numpy as np
import pytest
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

kernel = importlib.import_module("ember.ops.kernels.embedding")


@pytest.fixture
def gen():
    return np.random.default_rng(0)


# one table below the one-hot GEMM threshold, one above it (sorted segment sums)
@pytest.mark.parametrize("rows", [7, kernel._ONE_HOT_ROWS + 50])
def test_embedding_matches_torch_with_repeated_indices(gen, rows):
    indices = gen.integers(0, rows, (4, 30))
    indices[0, :5] = 3  # many repeats of one row
    table = gen.standard_normal((rows, 5))
    compare_with_torch(ember.embedding, F.embedding, indices, table)


@pytest.mark.parametrize("rows", [6, kernel._ONE_HOT_ROWS + 10])
def test_embedding_gradcheck_table(gen, rows):
    indices = gen.integers(0, rows, (3, 4, 5))
    numeric_gradcheck(lambda t: ember.embedding(indices, t), gen.standard_normal((rows, 3)))


def test_scatter_add_paths_agree_with_add_at(gen):
    for rows, n in [(5, 40), (300, 1000), (40, 200_000)]:  # one-hot, sorted, one-hot too large
        indices = gen.integers(0, rows, n)
        grad = gen.standard_normal((n, 4))
        expected = np.zeros((rows, 4))
        np.add.at(expected, indices, grad)
        np.testing.assert_allclose(kernel._scatter_add_rows(indices, grad, rows), expected,
                                   rtol=1e-10, atol=1e-10)


def test_embedding_shapes_and_dtypes(gen):
    table = ember.tensor(gen.standard_normal((10, 4)).astype(np.float32), requires_grad=True)
    for indices in (np.int32(3), np.array([1, 2], np.int32), np.arange(6).reshape(2, 3),
                    ember.tensor(np.array([[1.0, 9.0]]))):
        out = ember.embedding(indices, table)
        assert out.shape == np.shape(getattr(indices, "data", indices)) + (4,)
        assert out.dtype == np.float32
    out = ember.embedding(np.zeros((0, 3), np.int64), table)
    assert out.shape == (0, 3, 4)
    out.sum().backward()
    np.testing.assert_array_equal(table.grad, np.zeros((10, 4), np.float32))


def test_embedding_gradient_counts_each_lookup(gen):
    table = ember.tensor(np.zeros((4, 2), np.float32), requires_grad=True)
    ember.embedding([[1, 1, 3], [1, 0, 3]], table).sum().backward()
    np.testing.assert_array_equal(table.grad, [[1, 1], [3, 3], [0, 0], [2, 2]])
    assert table.grad.dtype == np.float32


def test_embedding_float_indices_with_integral_values(gen):
    table = gen.standard_normal((5, 2))
    out = ember.embedding(np.array([4.0, 0.0]), table)
    np.testing.assert_array_equal(out.numpy(), table[[4, 0]])


def test_docstring_examples_run():
    assert doctest.testmod(kernel).failed == 0


def test_index_errors_name_the_op_table_and_index():
    table = np.zeros((5, 3), np.float32)
    with pytest.raises(IndexError, match=r"embedding: index 7 is out of range for a table of 5 "
                                         r"rows \(valid indices are 0 to 4\)"):
        ember.embedding([[0, 7, 2]], table)
    with pytest.raises(IndexError, match="embedding: index -1 is out of range for a table of 5"):
        ember.embedding([-1, 2], table)
    with pytest.raises(IndexError, match="embedding: index 5 is out of range"):
        ember.embedding(5, table)


def test_type_and_shape_errors():
    table = np.zeros((5, 3), np.float32)
    with pytest.raises(TypeError, match="embedding: indices must be integers. Received a float "
                                        "index 1.5"):
        ember.embedding([0.0, 1.5], table)
    with pytest.raises(TypeError, match="embedding: indices must be integers. Received: "
                                        "dtype=bool"):
        ember.embedding(np.array([True]), table)
    with pytest.raises(ValueError, match=r"embedding: the table must have shape \(vocabulary, "
                                         r"depth\). Received: table.shape=\(15,\)"):
        ember.embedding([0], table.reshape(-1))
