"""Bidirectional and TimeDistributed: against PyTorch's bidirectional LSTM and per-step math."""

import numpy as np
import pytest
import torch
from helpers.layer_checks import compare_layer, config_round_trip, set_random_weights
from torch.func import functional_call

from ember import keras
from ember.keras import layers

B, T, F, U = 2, 4, 3, 2


def test_bidirectional_lstm_matches_torch():
    layer = layers.Bidirectional(layers.LSTM(U, return_sequences=True, dtype="float64"),
                                 dtype="float64")
    layer.build((None, T, F))
    set_random_weights(layer)
    assert layer.forward_layer.name.startswith("forward_lstm")
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert len(layer.weights) == 6  # forward kernel, recurrent, bias, then backward

    def torch_call(x, k, rk, b, kb, rkb, bb):
        module = torch.nn.LSTM(F, U, batch_first=True, bidirectional=True, dtype=torch.float64)
        zeros = torch.zeros_like(b)
        params = {"weight_ih_l0": k.T, "weight_hh_l0": rk.T, "bias_ih_l0": b, "bias_hh_l0": zeros,
                  "weight_ih_l0_reverse": kb.T, "weight_hh_l0_reverse": rkb.T,
                  "bias_ih_l0_reverse": bb, "bias_hh_l0_reverse": zeros}
        return functional_call(module, params, (x,))[0]

    x = np.random.default_rng(0).standard_normal((B, T, F))
    compare_layer(layer, torch_call, [x], layer.weights)


@pytest.mark.parametrize("merge_mode", ["sum", "mul", "ave", None])
def test_bidirectional_merge_modes_and_states(merge_mode):
    x = np.random.default_rng(1).standard_normal((B, T, F)).astype("float32")
    layer = layers.Bidirectional(layers.GRU(U, return_sequences=True, return_state=True),
                                 merge_mode=merge_mode)
    result = layer(x)
    forward, backward = layer.forward_layer(x), layer.backward_layer(x)
    y, y_rev = forward[0].numpy(), backward[0].numpy()[:, ::-1]
    expected = {"sum": y + y_rev, "mul": y * y_rev, "ave": (y + y_rev) / 2}
    if merge_mode is None:
        np.testing.assert_allclose(result[0].numpy(), y, rtol=1e-6)
        np.testing.assert_allclose(result[1].numpy(), y_rev, rtol=1e-6)
        states = result[2:]
    else:
        np.testing.assert_allclose(result[0].numpy(), expected[merge_mode], rtol=1e-6)
        states = result[1:]
    assert len(states) == 2  # forward h, backward h
    np.testing.assert_allclose(states[1].numpy(), backward[1].numpy(), rtol=1e-6)


def test_bidirectional_with_mask_and_initial_state():
    tokens = np.array([[1, 2, 3, 0], [4, 0, 0, 0]])
    embed = layers.Embedding(5, F, mask_zero=True)
    layer = layers.Bidirectional(layers.LSTM(U))
    out = layer(embed(tokens)).numpy()
    # the backward half reads only the real steps: same as running it on the trimmed sequence
    trimmed = layer.backward_layer(embed(tokens[1:, :1])).numpy()
    np.testing.assert_allclose(out[1, U:], trimmed[0], rtol=1e-5, atol=1e-6)
    states = [np.full((2, U), v, "float32") for v in (0.1, 0.2, 0.3, 0.4)]
    with_state = layer(embed(tokens), initial_state=states).numpy()
    assert not np.allclose(with_state, out)


def test_time_distributed_dense_and_conv():
    x = np.random.default_rng(2).standard_normal((B, T, F))
    layer = layers.TimeDistributed(layers.Dense(5, dtype="float64"), dtype="float64")
    layer.build((None, T, F))
    set_random_weights(layer)
    compare_layer(layer, lambda x, k, b: x @ k + b, [x], layer.weights)
    images = np.ones((2, 3, 6, 6, 1), "float32")
    conv = layers.TimeDistributed(layers.Conv2D(4, 3))
    assert conv(images).shape == (2, 3, 4, 4, 4)
    model = keras.Sequential([keras.Input((3, 6, 6, 1)), conv])
    assert model.output_shape == (None, 3, 4, 4, 4)


def test_wrapper_configs_round_trip():
    bi = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="sum")
    clone = config_round_trip(bi)
    assert clone.forward_layer.name == bi.forward_layer.name
    assert clone.backward_layer.go_backwards
    config_round_trip(layers.TimeDistributed(layers.Dense(2)))


def test_wrapper_error_messages():
    with pytest.raises(ValueError, match="Invalid merge mode. Received: max"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="Please initialize `Bidirectional` layer with a "
                                         "`keras.layers.Layer` instance"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match="Forward layer and backward layer should have "
                                         "different `go_backwards` value"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match='expected to have the same value for attribute '
                                         '"return_sequences"'):
        layers.Bidirectional(layers.LSTM(2),
                             backward_layer=layers.LSTM(2, go_backwards=True,
                                                        return_sequences=True))
    with pytest.raises(ValueError, match="should be passed an `input_shape` with at least 3 "
                                         "dimensions"):
        layers.TimeDistributed(layers.Dense(2))(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="isn't a supported layer type"):
        layers.TimeDistributed(lambda x: x)
