"""The backward pass's order: ops run newest first (by creation number), each after every op
its output feeds, whatever order the graph's branches were built in."""

import numpy as np
import pytest
import torch
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

GEN = np.random.default_rng(11)


def late_consumer(x, lib):
    """h1 feeds an op built after a long side branch, and the final sum."""
    h1 = x * 2.0
    side = lib.tanh(x)
    for _ in range(5):
        side = side * 0.5 + x
    h2 = h1 * side  # created last, but consumes the oldest intermediate
    return h2 + h1 + lib.exp(side)


def test_late_consumer_of_an_early_intermediate_matches_torch():
    x = GEN.standard_normal((3, 2))
    compare_with_torch(lambda t: late_consumer(t, ember), lambda t: late_consumer(t, torch), x)
    numeric_gradcheck(lambda t: late_consumer(t, ember), x)


def test_branches_built_in_any_order_give_the_same_gradients():
    a_np, b_np = GEN.standard_normal(4), GEN.standard_normal(4)
    grads = []
    for order in ("ab", "ba"):
        a = ember.tensor(a_np, requires_grad=True)
        b = ember.tensor(b_np, requires_grad=True)
        branch = {}
        for name in order:
            t = a if name == "a" else b
            branch[name] = ember.sin(t) * t
        (branch["a"] * branch["b"]).sum().backward()
        grads.append((a.grad, b.grad))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])


def test_backward_on_a_leaf_seeds_its_own_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_a_graph_shared_by_two_outputs_is_released_by_the_first_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = ember.exp(x)
    (h * 2).sum().backward()
    y2 = (h * 3).sum()
    with pytest.raises(RuntimeError, match=r"\(Exp has already released its saved arrays\)"):
        y2.backward()


def test_ops_recorded_under_no_grad_get_no_creation_number():
    x = ember.tensor([1.0], requires_grad=True)
    with ember.no_grad():
        y = x * 2
    assert y._ctx is None
    z = x * 2
    w = z * 2
    assert w._ctx.seq > z._ctx.seq


def test_backward_into_separate_arrays_leaves_grad_alone():
    """``run_backward(..., into=)`` adds each listed leaf's gradient to the array given for it
    (a worker thread's private buffer) and touches neither ``.grad`` nor unlisted leaves."""
    from ember.autograd.backward import run_backward

    w = ember.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ember.tensor(np.array([0.5, -1.0]), requires_grad=True)
    target = np.full(2, 10.0)
    loss = ((w * w) + b).sum()
    run_backward(loss, np.array(0.5), into={w: target})
    np.testing.assert_array_equal(target, [11.0, 12.0])  # 10 + 0.5 * 2w
    assert w.grad is None and b.grad is None
