"""The layer-vs-PyTorch check: same inputs and weights, compare outputs and every gradient.

``compare_layer(ember_call, torch_call, inputs, weights)`` runs ``ember_call(*tensors)`` and
``torch_call(*torch_inputs, *torch_weights)`` (the torch weights are leaf tensors made from the
ember variables' values, in the same layout: the torch side transposes them itself, so their
gradients compare directly). Backward runs on ``sum(output * w)`` for one random ``w`` per
output, then input gradients and weight gradients are compared.
"""

import numpy as np
import torch

import ember


def compare_layer(ember_call, torch_call, inputs, weights, rtol=1e-6, atol=1e-8, seed=0,
                  grad=True):
    gen = np.random.default_rng(seed)
    inputs = [np.asarray(a) for a in inputs]
    float_in = [a.dtype.kind == "f" for a in inputs]
    e_inputs = [ember.tensor(a, requires_grad=grad and f) for a, f in zip(inputs, float_in)]
    t_inputs = [torch.tensor(a, requires_grad=grad and f) for a, f in zip(inputs, float_in)]
    for v in weights:
        v.grad = None
    e_out = ember_call(*e_inputs)
    t_weights = [torch.tensor(np.array(v.data), requires_grad=grad) for v in weights]
    t_out = torch_call(*t_inputs, *t_weights)
    e_outs = list(e_out) if isinstance(e_out, (list, tuple)) else [e_out]
    t_outs = list(t_out) if isinstance(t_out, (list, tuple)) else [t_out]
    assert len(e_outs) == len(t_outs), f"{len(e_outs)} outputs vs torch {len(t_outs)}"
    for k, (eo, to) in enumerate(zip(e_outs, t_outs)):
        expected = to.detach().numpy()
        assert tuple(eo.shape) == expected.shape, f"output {k}: {eo.shape} != {expected.shape}"
        np.testing.assert_allclose(eo.numpy(), expected, rtol=rtol, atol=atol,
                                   err_msg=f"output {k} differs from PyTorch")
    if not grad:
        return e_outs
    ws = [gen.standard_normal(eo.shape) for eo in e_outs]
    e_loss = sum((eo * ember.tensor(w.astype(eo.dtype))).sum() for eo, w in zip(e_outs, ws))
    t_loss = sum((to * torch.tensor(w.astype(eo.dtype))).sum()
                 for eo, to, w in zip(e_outs, t_outs, ws))
    e_loss.backward()
    t_loss.backward()
    for i, (et, tt, f) in enumerate(zip(e_inputs, t_inputs, float_in)):
        if f:
            assert et.grad is not None, f"input {i}: ember gave no gradient"
            np.testing.assert_allclose(et.grad, tt.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"input {i}: gradient differs from PyTorch")
    for v, tw in zip(weights, t_weights):
        assert v.grad is not None, f"weight {v.name}: ember gave no gradient"
        expected = np.zeros(tw.shape) if tw.grad is None else tw.grad.numpy()
        np.testing.assert_allclose(v.grad, expected, rtol=rtol, atol=atol,
                                   err_msg=f"weight {v.name}: gradient differs from PyTorch")
    return e_outs


def set_random_weights(layer, seed=0, scale=0.5):
    """Give every weight of a built layer random normal values (float64 layers)."""
    gen = np.random.default_rng(seed)
    layer.set_weights([gen.standard_normal(w.shape) * scale for w in layer.get_weights()])


def config_round_trip(layer):
    """``from_config(get_config())`` rebuilds an equal config (and the config is JSON-able)."""
    import json

    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    return clone
