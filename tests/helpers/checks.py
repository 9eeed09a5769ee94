"""The two shared op checks: finite differences in float64, and PyTorch as an oracle.

Every differentiable op and layer goes through them (tinygrad's ``helper_test_op`` idea).
"""

import numpy as np

import ember


def numeric_gradcheck(fn, *arrays, directions=3, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """Compare ember's gradient of ``sum(fn(*tensors) * w)`` with central differences.

    ``arrays`` are float64; the check runs along random directions in input space (Chainer's
    way), so it stays cheap for large inputs while still testing every component's gradient.
    """
    gen = np.random.default_rng(seed)
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    tensors = [ember.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out = out[0] if isinstance(out, (list, tuple)) else out
    weight = gen.standard_normal(out.shape)

    def scalar(*xs):
        with ember.no_grad():
            y = fn(*[ember.tensor(x) for x in xs])
            y = y[0] if isinstance(y, (list, tuple)) else y
        return float(np.sum(y.numpy() * weight))

    (out * ember.tensor(weight)).sum().backward()
    for i, t in enumerate(tensors):
        assert t.grad is not None, f"input {i} received no gradient"
        assert t.grad.shape == arrays[i].shape, f"input {i}: grad shape {t.grad.shape}"
        assert t.grad.dtype == np.float64, f"input {i}: grad dtype {t.grad.dtype}"
        for _ in range(directions):
            d = gen.standard_normal(arrays[i].shape)
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[i] = plus[i] + eps * d
            minus[i] = minus[i] - eps * d
            numeric = (scalar(*plus) - scalar(*minus)) / (2 * eps)
            analytic = float(np.sum(t.grad * d))
            assert np.isclose(analytic, numeric, rtol=rtol, atol=atol), (
                f"input {i}: analytic directional derivative {analytic} != numeric {numeric}"
            )


def compare_with_torch(ember_fn, torch_fn, *arrays, rtol=1e-5, atol=1e-6, grad=True, seed=0):
    """Run the same inputs through ember and PyTorch; compare outputs and input gradients.

    ``arrays`` may include integer arrays (labels, indices): they are passed along but get no
    gradient.
    """
    import torch

    gen = np.random.default_rng(seed)
    arrays = [np.asarray(a) for a in arrays]
    differentiable = [a.dtype.kind == "f" for a in arrays]
    e_inputs = [ember.tensor(a, requires_grad=grad and d) for a, d in zip(arrays, differentiable)]
    t_inputs = [torch.tensor(a, requires_grad=grad and d) for a, d in zip(arrays, differentiable)]
    e_out = ember_fn(*e_inputs)
    t_out = torch_fn(*t_inputs)
    e_outs = e_out if isinstance(e_out, (list, tuple)) else [e_out]
    t_outs = t_out if isinstance(t_out, (list, tuple)) else [t_out]
    assert len(e_outs) == len(t_outs)
    for k, (eo, to) in enumerate(zip(e_outs, t_outs)):
        expected = to.detach().numpy()
        assert eo.shape == expected.shape, f"output {k}: shape {eo.shape} != torch {expected.shape}"
        np.testing.assert_allclose(eo.numpy(), expected, rtol=rtol, atol=atol,
                                   err_msg=f"output {k} differs from PyTorch")
    if not grad:
        return
    weights = [gen.standard_normal(eo.shape) for eo in e_outs]
    e_loss = sum((eo * ember.tensor(w.astype(eo.dtype))).sum() for eo, w in zip(e_outs, weights))
    t_loss = sum((to * torch.tensor(w.astype(eo.dtype))).sum()
                 for eo, to, w in zip(e_outs, t_outs, weights))
    e_loss.backward()
    t_loss.backward()
    for i, (et, tt, d) in enumerate(zip(e_inputs, t_inputs, differentiable)):
        if not d:
            continue
        assert et.grad is not None, f"input {i}: ember gave no gradient"
        np.testing.assert_allclose(et.grad, tt.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"input {i}: gradient differs from PyTorch")
