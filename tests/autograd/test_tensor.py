"""The engine: tensor creation and dtypes, operators, indexing, the backward pass, no_grad."""

import numpy as np
import pytest
import torch
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember
from ember import Function, Tensor

# ----- creation and dtypes -------------------------------------------------------------------


@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32),
    ([1.0, 2.0], np.float32),
    ([[1, 2], [3, 4]], np.int64),
    (3, np.int64),
    ([True, False], np.bool_),
    (np.zeros(3, np.float64), np.float64),
    (np.zeros(3, np.float32), np.float32),
    (np.zeros(3, np.int32), np.int32),
    (np.float64(2.0), np.float64),
])
def test_creation_dtype(data, dtype):
    assert ember.tensor(data).dtype == dtype


def test_creation_with_dtype_and_from_tensor():
    t = ember.tensor([1, 2], dtype="float64")
    assert t.dtype == np.float64
    u = ember.tensor(t)
    assert u.dtype == np.float64 and np.array_equal(u.numpy(), [1.0, 2.0])


def test_tensor_facts():
    t = ember.tensor(np.arange(6.0).reshape(2, 3))
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert ember.tensor([2.5]).item() == 2.5
    assert float(ember.tensor(2.5)) == 2.5 and int(ember.tensor(3)) == 3
    assert np.asarray(t).dtype == np.float64
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert repr(ember.tensor([1.0], requires_grad=True)) == (
        "tensor([1.], dtype=float32, requires_grad=True)")


def test_object_data_is_refused():
    with pytest.raises(TypeError, match="Cannot make a tensor from object"):
        ember.tensor(object())


@pytest.mark.parametrize("data", [[1, 2], np.arange(3), [True]])
def test_int_and_bool_tensors_never_require_grad(data):
    with pytest.raises(TypeError, match="Only float tensors can require gradients. "
                                        "Received: dtype="):
        ember.tensor(data, requires_grad=True)
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert not ember.argmax(x).requires_grad
    assert not (x > 1).requires_grad
    assert not ember.cast(x, "int32").requires_grad


def test_float64_is_kept_through_ops_and_gradients():
    x = ember.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (ember.exp(x) * 2.0 + 1).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, 2 * np.exp([1.0, 2.0]))


# ----- operators -----------------------------------------------------------------------------

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
B = np.array([2.0, -0.5, 1.5])

OPERATORS = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: abs(a) ** b),
]


@pytest.mark.parametrize("name, op", OPERATORS)
@pytest.mark.parametrize("other", ["tensor", "ndarray", "scalar"])
def test_operators_and_reflected_forms(name, op, other):
    b = {"tensor": B, "ndarray": B, "scalar": 1.5}[other]
    # forward and reflected: ember on the left, then ember on the right
    left = op(ember.tensor(A, requires_grad=True), ember.tensor(b) if other == "tensor" else b)
    right = op(b if other != "tensor" else ember.tensor(b), ember.tensor(np.abs(A) + 0.5))
    assert isinstance(left, Tensor) and isinstance(right, Tensor)
    np.testing.assert_allclose(left.numpy(), op(A, b))
    np.testing.assert_allclose(right.numpy(), op(b, np.abs(A) + 0.5))
    # gradients against torch, with both operands differentiable
    compare_with_torch(op, op, A, B)
    compare_with_torch(lambda x: op(x, 1.5), lambda x: op(x, 1.5), A)
    compare_with_torch(lambda x: op(2.5, x), lambda x: op(2.5, x), np.abs(A) + 0.5)


def test_reflected_operators_with_float32_keep_float32():
    x = ember.tensor([1.0, 2.0])
    for value in (2.0, 2, np.float64(2.0), np.array([2.0, 3.0]), np.array([2, 3])):
        for result in (x + value, value + x, value - x, value * x, value / x, x ** value):
            assert result.dtype == np.float32, (value, result.dtype)


def test_mixed_tensor_dtypes_promote_and_keep_gradient_dtypes():
    i = ember.tensor([1, 2])
    f32 = ember.tensor([1.0, 2.0], requires_grad=True)
    f64 = ember.tensor(np.array([3.0, 4.0]), requires_grad=True)
    assert (i + 1.5).dtype == np.float32 and (1.5 * i).dtype == np.float32
    assert (i * f32).dtype == np.float32 and (i + 1).dtype == np.int64
    y = (i * f32 * f64).sum()
    assert y.dtype == np.float64
    y.backward()
    assert f32.grad.dtype == np.float32 and f64.grad.dtype == np.float64
    np.testing.assert_allclose(f32.grad, [3.0, 8.0])
    np.testing.assert_allclose(f64.grad, [1.0, 4.0])


def test_unary_operators_and_methods():
    compare_with_torch(lambda x: -x, lambda x: -x, A)
    compare_with_torch(lambda x: abs(x), lambda x: abs(x), A)
    compare_with_torch(lambda x: +x * 1, lambda x: +x * 1, A)
    compare_with_torch(lambda x: x.T, lambda x: x.T, A)
    compare_with_torch(lambda x: x.reshape(3, 2), lambda x: x.reshape(3, 2), A)
    compare_with_torch(lambda x: x.reshape((6,)), lambda x: x.reshape((6,)), A)
    compare_with_torch(lambda x: x.transpose(1, 0), lambda x: x.permute(1, 0), A)
    compare_with_torch(lambda x: x.sum(axis=0), lambda x: x.sum(dim=0), A)
    compare_with_torch(lambda x: x.mean(), lambda x: x.mean(), A)
    compare_with_torch(lambda x: x.max(axis=1, keepdims=True),
                       lambda x: x.amax(dim=1, keepdim=True), A)
    compare_with_torch(lambda x: x.min(axis=1), lambda x: x.amin(dim=1), A)
    compare_with_torch(lambda x: x.exp().log(), lambda x: x.exp().log(), A)
    compare_with_torch(lambda a, b: a @ b, lambda a, b: a @ b, A, A.T)
    compare_with_torch(lambda a: B @ a.T, lambda a: torch.tensor(B) @ a.T, A)
    assert ember.tensor(A).astype("float32").dtype == np.float32


@pytest.mark.parametrize("op, ref", [
    (lambda a, b: a == b, np.equal), (lambda a, b: a != b, np.not_equal),
    (lambda a, b: a < b, np.less), (lambda a, b: a <= b, np.less_equal),
    (lambda a, b: a > b, np.greater), (lambda a, b: a >= b, np.greater_equal),
])
def test_comparisons(op, ref):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    for left, right in ((ember.tensor(a), ember.tensor(b)), (ember.tensor(a), b),
                        (a, ember.tensor(b)), (ember.tensor(a), 2.0)):
        out = op(left, right)
        assert isinstance(out, Tensor) and out.dtype == np.bool_ and not out.requires_grad
        expected = ref(a, b) if not isinstance(right, float) else ref(a, 2.0)
        np.testing.assert_array_equal(out.numpy(), expected)


def test_tensors_hash_by_identity():
    a, b = ember.tensor([1.0]), ember.tensor([1.0])
    assert len({a, b, a}) == 2


# ----- indexing ------------------------------------------------------------------------------

X = np.arange(24.0).reshape(4, 6) / 7


@pytest.mark.parametrize("index", [
    1, -1, slice(1, 3), (slice(None), 2), (1, slice(None, None, 2)), (Ellipsis, 0),
    (None, 1), np.array([0, 2, 3]), np.array([3, 3, 0, 3]), (np.array([0, 0]), np.array([1, 1])),
    (slice(None), np.array([5, 0, 5])), X[:, 0] > 1, X > 1.5, [1, 1, 2],
], ids=lambda i: type(i).__name__)
def test_getitem_matches_torch(index):
    def torch_index(i):
        if isinstance(i, tuple):
            return tuple(torch_index(j) for j in i)
        return torch.from_numpy(i) if isinstance(i, np.ndarray) else i

    compare_with_torch(lambda x: x[index], lambda x: x[torch_index(index)], X)


def test_getitem_repeated_indices_accumulate():
    x = ember.tensor(np.zeros(4), requires_grad=True)
    x[np.array([1, 1, 1, 3])].sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 3.0, 0.0, 1.0])


def test_getitem_with_tensor_indices():
    x = ember.tensor(X, requires_grad=True)
    (x[ember.tensor([2, 2])].sum() + x[x > 3].sum()).backward()
    expected = (X > 3).astype(float)
    expected[2] += 2
    np.testing.assert_array_equal(x.grad, expected)


def test_getitem_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"getitem: index 9 is out of bounds .* \(tensor shape "
                                         r"\(4, 6\)\)"):
        ember.tensor(X)[9]


# ----- the backward pass ---------------------------------------------------------------------


def test_tensor_used_twice_accumulates():
    x = ember.tensor([2.0, 3.0], requires_grad=True)
    y = x * x + x  # x feeds three edges
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [5.0, 7.0])


def test_diamond_graph_matches_torch():
    def f(x, lib):
        a = lib.exp(x)
        return (a * x + a / (x + 3)) * a

    compare_with_torch(lambda x: f(x, ember), lambda x: f(x, torch), A)
    numeric_gradcheck(lambda x: f(x, ember), A)


def test_leaf_gradients_accumulate_across_backward_calls():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    grad_buffer = x.grad
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [5.0, 7.0])
    assert x.grad is grad_buffer  # accumulated in place
    x.zero_grad()
    assert x.grad is None


def test_ten_thousand_op_chain():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0 + 0.5
    y.backward()
    assert y.item() == pytest.approx(5001.0)
    assert x.grad == pytest.approx(1.0)


def test_second_backward_is_refused():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time "
                                           r"\(Sum has already released its saved arrays\)\. "
                                           r"Compute the forward pass again"):
        y.backward()


def test_non_scalar_backward_needs_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"backward\(\) without a grad argument needs a "
                                           r"one-element tensor\. Received a tensor of shape "
                                           r"\(2,\): pass grad= of that shape\."):
        y.backward()
    with pytest.raises(ValueError, match=r"backward\(\): grad must have the tensor's shape "
                                         r"\(2,\)\. Received: grad.shape=\(3,\)"):
        y.backward(np.ones(3))
    y.backward(ember.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [2.0, 20.0])


def test_backward_without_grad_requirement():
    with pytest.raises(RuntimeError, match="backward\\(\\) called on a tensor that does not "
                                           "require grad"):
        (ember.tensor([1.0]) * 2).backward()


def test_engine_checks_gradient_shape_and_dtype():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            return g.sum(axis=0)

    x = ember.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(3,\) "
                                           r"and dtype float64 for an input of shape \(2, 3\) "
                                           r"and dtype float64"):
        Broken.apply(x).sum().backward()


def test_only_inputs_that_need_grad_get_one():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0])
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad, [3.0, 4.0])


# ----- no_grad and detach --------------------------------------------------------------------


def test_no_grad_as_context_manager():
    x = ember.tensor([1.0], requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2
        with ember.enable_grad():
            z = x * 2
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y._ctx is None
    assert z.requires_grad


def test_no_grad_as_decorator_restores_state_on_error():
    @ember.no_grad()
    def double(t):
        return t * 2

    @ember.no_grad()
    def fail():
        raise KeyError("boom")

    x = ember.tensor([1.0], requires_grad=True)
    assert not double(x).requires_grad
    with pytest.raises(KeyError):
        fail()
    assert ember.is_grad_enabled() and (x * 2).requires_grad


def test_detach_shares_values_and_cuts_the_graph():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 3).detach()
    assert not d.requires_grad and d._ctx is None
    y = (d * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad, [3.0, 6.0])  # no gradient through d


# ----- variables and flat parameter buffers --------------------------------------------------


def test_variable_assign_in_place_and_errors():
    v = ember.Variable(np.zeros((2, 2), np.float32), name="kernel")
    buffer = v.data
    v.assign(np.ones((2, 2)))
    v.assign_add(np.ones((2, 2)))
    v.assign_sub(ember.tensor(np.full((2, 2), 0.5)))
    assert v.data is buffer and v.requires_grad
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 1.5))
    with pytest.raises(ValueError, match=r"^Variable 'kernel': expected a value of shape "
                                         r"\(2, 2\)\. Received: value.shape=\(3,\)$"):
        v.assign(np.ones(3))
    frozen = ember.Variable(np.ones(2), trainable=False)
    assert not frozen.requires_grad
    assert not ember.Variable(np.ones(2, np.int32)).requires_grad


def test_flat_parameters_gradients_accumulate_into_the_flat_buffer():
    a = ember.Variable(np.ones((2, 3), np.float32), name="a")
    b = ember.Variable(np.full(4, 2.0, np.float32), name="b")
    flat = ember.FlatParameters([a, b])
    assert len(flat) == 10 and flat.is_intact()
    for _ in range(2):
        ((a * 3).sum() + (b * b).sum()).backward()
    np.testing.assert_array_equal(flat.grad, [6.0] * 6 + [8.0] * 4)
    assert flat.is_intact()
    flat.data[:] = 0  # the variables see writes to the buffer
    assert a.numpy().sum() == 0 and flat.view(flat.grad, 1).shape == (4,)
    flat.zero_grad()
    assert not b.grad.any()


def test_flat_parameters_need_one_dtype():
    with pytest.raises(ValueError, match=r"^FlatParameters: all variables need one dtype\. "
                                         r"Received: "):
        ember.FlatParameters([ember.Variable(np.ones(2)), ember.Variable(np.ones(2, "float32"))])


def test_backend_argument_errors():
    with pytest.raises(TypeError, match=r"^set_random_seed: expected an int\. Received: "
                                        r"seed=1\.5$"):
        ember.set_random_seed(1.5)
    with pytest.raises(ValueError, match=r"^set_floatx: expected a float dtype\. Received: "
                                         r"dtype=int32$"):
        ember.backend.set_floatx("int32")
