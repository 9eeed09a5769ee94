"""SimpleRNN, LSTM and GRU against torch.nn.RNN/LSTM/GRU with the same weights (Keras layout
mapped to PyTorch's), outputs and gradients; masks, go_backwards, states, the per-step path."""

import numpy as np
import pytest
import torch
from helpers.layer_checks import compare_layer, config_round_trip, set_random_weights
from torch.func import functional_call

import ember
from ember.keras import layers

B, T, F, U = 3, 5, 4, 3


def seq(seed=0, shape=(B, T, F)):
    return np.random.default_rng(seed).standard_normal(shape)


def built(layer, seed=0):
    layer.build((None, T, F))
    set_random_weights(layer, seed)
    return layer


def torch_lstm(x, k, rk, b, h0=None, c0=None):
    """torch.nn.LSTM with Keras' weights: gate order i, f, c, o is PyTorch's i, f, g, o."""
    module = torch.nn.LSTM(F, U, batch_first=True, dtype=torch.float64)
    params = {"weight_ih_l0": k.T, "weight_hh_l0": rk.T, "bias_ih_l0": b,
              "bias_hh_l0": torch.zeros_like(b)}
    state = None if h0 is None else (h0[None], c0[None])
    out, (h, c) = functional_call(module, params, (x, state))
    return out, h[0], c[0]


def to_torch_gru(w):
    """Keras' z, r, h gate blocks (last axis) -> PyTorch's r, z, n order."""
    z, r, h = torch.chunk(w, 3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def torch_gru(x, k, rk, b, h0=None):
    module = torch.nn.GRU(F, U, batch_first=True, dtype=torch.float64)
    params = {"weight_ih_l0": to_torch_gru(k).T, "weight_hh_l0": to_torch_gru(rk).T,
              "bias_ih_l0": to_torch_gru(b[0]), "bias_hh_l0": to_torch_gru(b[1])}
    out, h = functional_call(module, params, (x, None if h0 is None else h0[None]))
    return out, h[0]


def test_lstm_matches_torch():
    layer = built(layers.LSTM(U, return_sequences=True, return_state=True, dtype="float64"))
    assert [w.shape for w in layer.weights] == [(F, 4 * U), (U, 4 * U), (4 * U,)]
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    compare_layer(layer, torch_lstm, [seq()], layer.weights)


def test_lstm_initial_state_and_go_backwards_match_torch():
    layer = built(layers.LSTM(U, go_backwards=True, return_sequences=True, return_state=True,
                              dtype="float64"))
    h0, c0 = seq(1, (B, U)), seq(2, (B, U))

    def torch_call(x, h0, c0, k, rk, b):
        return torch_lstm(torch.flip(x, [1]), k, rk, b, h0, c0)  # Keras returns reversed order

    compare_layer(lambda x, h, c: layer(x, initial_state=[h, c]), torch_call, [seq(), h0, c0],
                  layer.weights)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_gru_matches_torch(go_backwards):
    layer = built(layers.GRU(U, return_sequences=True, return_state=True,
                             go_backwards=go_backwards, dtype="float64"))
    assert [w.shape for w in layer.weights] == [(F, 3 * U), (U, 3 * U), (2, 3 * U)]

    def torch_call(x, h0, k, rk, b):
        return torch_gru(torch.flip(x, [1]) if go_backwards else x, k, rk, b, h0)

    compare_layer(lambda x, h: layer(x, initial_state=h), torch_call, [seq(), seq(3, (B, U))],
                  layer.weights)


def test_gru_reset_before_matches_its_formula():
    layer = built(layers.GRU(U, reset_after=False, use_bias=True, dtype="float64"))
    assert layer.cell.bias.shape == (3 * U,)

    def torch_call(x, k, rk, b):
        h = torch.zeros(B, U, dtype=torch.float64)
        for t in range(T):
            xp = x[:, t] @ k + b
            z = torch.sigmoid(xp[:, :U] + h @ rk[:, :U])
            r = torch.sigmoid(xp[:, U:2 * U] + h @ rk[:, U:2 * U])
            hh = torch.tanh(xp[:, 2 * U:] + (r * h) @ rk[:, 2 * U:])
            h = z * h + (1 - z) * hh
        return h

    compare_layer(layer, torch_call, [seq()], layer.weights)


def test_simple_rnn_matches_torch():
    layer = built(layers.SimpleRNN(U, return_sequences=True, dtype="float64"))

    def torch_call(x, k, rk, b):
        module = torch.nn.RNN(F, U, batch_first=True, dtype=torch.float64)
        params = {"weight_ih_l0": k.T, "weight_hh_l0": rk.T, "bias_ih_l0": b,
                  "bias_hh_l0": torch.zeros_like(b)}
        return functional_call(module, params, (x,))[0]

    compare_layer(layer, torch_call, [seq()], layer.weights)


def test_embedding_mask_zero_feeds_lstm_like_packed_torch():
    """Right-padded token ids: masked steps carry the state (PyTorch: packed sequences)."""
    tokens = np.array([[3, 1, 4, 0, 0], [2, 2, 2, 2, 5], [6, 0, 0, 0, 0]])
    lengths = (tokens != 0).sum(1)
    embed = layers.Embedding(7, F, mask_zero=True, dtype="float64")
    lstm = layers.LSTM(U, return_sequences=True, return_state=True, dtype="float64")
    embed.build(None)
    lstm.build((None, T, F))
    set_random_weights(embed, 1)
    set_random_weights(lstm, 2)

    def ember_call(tokens):
        return lstm(embed(tokens))

    def torch_call(tokens, table, k, rk, b):
        x = torch.nn.functional.embedding(tokens, table)
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths),
                                                         batch_first=True, enforce_sorted=False)
        module = torch.nn.LSTM(F, U, batch_first=True, dtype=torch.float64)
        params = {"weight_ih_l0": k.T, "weight_hh_l0": rk.T, "bias_ih_l0": b,
                  "bias_hh_l0": torch.zeros_like(b)}
        out, (h, c) = functional_call(module, params, (packed,))
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        # Keras: a masked step repeats the previous output (the carried state)
        idx = torch.tensor(np.minimum(np.arange(T)[None], lengths[:, None] - 1))
        out = torch.take_along_dim(out, idx[:, :, None], dim=1)
        return out, h[0], c[0]

    outs = compare_layer(ember_call, torch_call, [tokens], embed.weights + lstm.weights)
    np.testing.assert_array_equal(outs[0]._keras_mask.numpy(), tokens != 0)


def test_masked_sequence_outputs_and_zero_output_for_mask():
    x = seq()
    mask = np.ones((B, T), bool)
    mask[0, 3:] = False
    mask[1, :2] = False  # left padding: outputs are zeros until the first real step
    h0 = seq(4, (B, U))
    layer = built(layers.GRU(U, return_sequences=True, dtype="float64"))
    out = layer(x, mask=mask, initial_state=h0).numpy()
    np.testing.assert_array_equal(out[1, :2], 0.0)
    np.testing.assert_array_equal(out[0, 3], out[0, 2])
    zeros = built(layers.GRU(U, return_sequences=True, zero_output_for_mask=True,
                             dtype="float64"))
    out = zeros(x, mask=mask).numpy()
    np.testing.assert_array_equal(out[0, 3:], 0.0)
    assert np.abs(out[0, :3]).min() > 0


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_fused_kernel_equals_the_per_step_cell_path(cls):
    """A custom activation callable forces the per-step path; results must be identical."""
    from ember.keras import activations

    x, h0 = seq(5), seq(6, (B, U))
    mask = np.ones((B, T), bool)
    mask[0, 2:] = False
    mask[2, :1] = False
    fused = built(cls(U, return_sequences=True, go_backwards=True, dtype="float64"))
    looped = built(cls(U, activation=lambda z: activations.tanh(z), return_sequences=True,
                       go_backwards=True, dtype="float64"))
    looped.set_weights(fused.get_weights())
    states = [h0, h0] if cls is layers.LSTM else [h0]
    results = []
    for layer in (fused, looped):
        xt = ember.tensor(x, requires_grad=True)
        out = layer(xt, mask=mask, initial_state=states)
        (out * ember.tensor(np.arange(out.size).reshape(out.shape) / 10.0)).sum().backward()
        results.append((out.numpy(), xt.grad, [w.grad.copy() for w in layer.weights]))
        for w in layer.weights:
            w.grad = None
    (a, ga, wa), (b, gb, wb) = results
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ga, gb, rtol=1e-10, atol=1e-12)
    for p, q in zip(wa, wb):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


def test_rnn_with_a_custom_cell():
    from ember.keras import ops

    class MinimalRNNCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0],
                                                                  self.recurrent_kernel)
            return output, [output]

    layer = layers.RNN(MinimalRNNCell(U, dtype="float64"), return_sequences=True,
                       dtype="float64")
    x = seq(7)
    out = layer(x).numpy()
    k, r = (w.numpy() for w in layer.weights)
    h = np.zeros((B, U))
    for t in range(T):
        h = x[:, t] @ k + h @ r
        np.testing.assert_allclose(out[:, t], h, rtol=1e-12)


def test_dropout_masks_are_fixed_per_sequence_and_only_in_training():
    x = seq(8).astype("float32")
    layer = layers.LSTM(U, dropout=0.5, recurrent_dropout=0.5, seed=3)
    inference = layer(x).numpy()
    np.testing.assert_array_equal(inference, layer(x, training=False).numpy())
    trained = layer(x, training=True).numpy()
    assert not np.allclose(trained, inference)
    # the fused path and the per-step path draw the same masks from the same seed
    cell = layers.LSTM(U, dropout=0.5, recurrent_dropout=0.5, seed=3,
                       activation=lambda z: ember.ops.tanh(z))
    cell.build((None, T, F))
    cell.set_weights(layer.get_weights())
    other = layers.LSTM(U, dropout=0.5, recurrent_dropout=0.5, seed=3)
    other.build((None, T, F))
    other.set_weights(layer.get_weights())
    np.testing.assert_allclose(cell(x, training=True).numpy(), other(x, training=True).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_stateful_lstm_carries_state_between_calls():
    x = seq(9).astype("float32")
    stateful = layers.LSTM(U, stateful=True)
    whole = layers.LSTM(U)
    stateful.build((None, T, F))
    whole.build((None, 2 * T, F))
    whole.set_weights(stateful.get_weights())
    stateful(x)
    second = stateful(x[:, ::-1]).numpy()
    np.testing.assert_allclose(second, whole(np.concatenate([x, x[:, ::-1]], 1)).numpy(),
                               rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(x).numpy(), whole(x).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="stateful with a batch size of 3, but it received a "
                                         "batch of 2"):
        stateful(x[:2])


def test_lstm_defaults_unit_forget_bias_and_config():
    layer = layers.LSTM(4)
    layer.build((None, 3, 2))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0] * 4 + [1] * 4 + [0] * 8)
    assert layer.cell.name == "lstm_cell" and layer.units == 4
    assert type(layer.recurrent_initializer).__name__ == "OrthogonalInitializer"
    assert type(layer.kernel_initializer).__name__ == "GlorotUniform"
    config = layer.get_config()
    for key in ("units", "activation", "recurrent_activation", "unit_forget_bias",
                "return_sequences", "go_backwards", "zero_output_for_mask", "dropout", "seed"):
        assert key in config
    assert "cell" not in config
    for instance in (layer, layers.GRU(3, reset_after=False, return_state=True),
                     layers.SimpleRNN(2, activation="relu", dropout=0.1),
                     layers.RNN(layers.LSTMCell(3), return_sequences=True)):
        config_round_trip(instance)


def test_rnn_shapes_in_models():
    from ember import keras

    inputs = keras.Input((None,), dtype="int64")
    x = layers.Embedding(10, 4, mask_zero=True)(inputs)
    x = layers.LSTM(5, return_sequences=True)(x)
    outputs = layers.GRU(3)(x)
    model = keras.Model(inputs, outputs)
    assert model.output_shape == (None, 3)
    tokens = np.array([[1, 2, 0], [3, 0, 0]])
    assert model(tokens).shape == (2, 3)
    seq_out, h, c = layers.LSTM(2, return_sequences=True, return_state=True)(
        keras.Input((7, 3)))
    assert (seq_out.shape, h.shape, c.shape) == ((None, 7, 2), (None, 2), (None, 2))


def test_recurrent_error_messages():
    with pytest.raises(ValueError, match="received an invalid value for argument `units`, "
                                         "expected a positive integer, got 0"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layers.GRU(2)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"expects 2 initial state tensor\(s\)"):
        layers.LSTM(2)(np.ones((1, 3, 2), "float32"), initial_state=[np.zeros((1, 2))])
    with pytest.raises(ValueError, match=r"an initial state must have shape \(batch, "
                                         r"state_size\) = \(1, 2\)"):
        layers.GRU(2)(np.ones((1, 3, 2), "float32"), initial_state=[np.zeros((1, 3))])
    with pytest.raises(ValueError, match="should have a `state_size` attribute"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match=r"the mask must have shape \(batch, timesteps\)"):
        layers.LSTM(2)(np.ones((1, 3, 2), "float32"), mask=np.ones((1, 4), bool))
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.LSTM(2, use_cudnn="yes")
