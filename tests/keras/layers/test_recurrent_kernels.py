"""The fused recurrent kernels (ember.ops.kernels.recurrent) against float64 central
differences: every input's gradient, with masks, go_backwards and recurrent dropout."""

import numpy as np
import pytest
from helpers.checks import numeric_gradcheck

import ember
from ember.ops.kernels.recurrent import gru, lstm, simple_rnn

B, T, F, U = 3, 4, 3, 2
GEN = np.random.default_rng(0)
X = GEN.standard_normal((B, T, F))
H0, C0 = GEN.standard_normal((B, U)), GEN.standard_normal((B, U))
MASK = np.array([[1, 1, 0, 0], [0, 1, 1, 1], [1, 1, 1, 1]], bool)
RDROP = (GEN.random((B, U)) > 0.3) / 0.7
OPTIONS = [dict(mask=None, go_backwards=False, recurrent_dropout_mask=None),
           dict(mask=MASK, go_backwards=True, recurrent_dropout_mask=None),
           dict(mask=MASK, go_backwards=False, recurrent_dropout_mask=RDROP)]


def weights(gates, bias_shape):
    return (GEN.standard_normal((F, gates * U)) * 0.5, GEN.standard_normal((U, gates * U)) * 0.5,
            GEN.standard_normal(bias_shape) * 0.5)


@pytest.mark.parametrize("options", OPTIONS)
def test_lstm_gradients(options):
    k, r, b = weights(4, (4 * U,))

    def fn(x, k, r, b, h0, c0):
        seq, _, c = lstm(x, k, r, b, h0, c0, **options)
        return ember.concatenate([seq.reshape(B, -1), c], axis=1)

    numeric_gradcheck(fn, X, k, r, b, H0, C0)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_gradients(options, reset_after):
    k, r, b = weights(3, (2, 3 * U) if reset_after else (3 * U,))
    numeric_gradcheck(lambda x, k, r, b, h0: gru(x, k, r, b, h0, reset_after=reset_after,
                                                 **options)[0], X, k, r, b, H0)
    numeric_gradcheck(lambda x, k, r, h0: gru(x, k, r, None, h0, reset_after=reset_after,
                                              activation="relu",
                                              recurrent_activation="hard_sigmoid",
                                              **options)[0], X, k, r, H0)


@pytest.mark.parametrize("options", OPTIONS)
def test_simple_rnn_gradients(options):
    k, r, b = weights(1, (U,))
    numeric_gradcheck(lambda x, k, r, b, h0: simple_rnn(x, k, r, b, h0, **options)[0],
                      X, k, r, b, H0)


def test_float32_stays_float32_and_errors():
    k, r, b = (w.astype("float32") for w in weights(4, (4 * U,)))
    seq, h, c = lstm(X.astype("float32"), k, r, b)
    assert seq.dtype == h.dtype == c.dtype == np.float32
    with pytest.raises(ValueError, match=r"lstm: the kernel must have shape \(3, 8\)"):
        lstm(X, k[:, :4], r)
    with pytest.raises(ValueError, match=r"gru: the bias must have shape \(2, 6\)"):
        gru(X, k[:, :6], r[:, :6], np.zeros(6))
    with pytest.raises(ValueError, match="simple_rnn: activation must be one of"):
        simple_rnn(X, k[:, :2], r[:, :2], activation="gelu")
    with pytest.raises(ValueError, match=r"the mask must have shape \(batch, timesteps\)"):
        simple_rnn(X, k[:, :2], r[:, :2], mask=np.ones((B, T + 1), bool))
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 2\)"):
        gru(X, k[:, :6], r[:, :6], h0=np.zeros((2, 2)))
