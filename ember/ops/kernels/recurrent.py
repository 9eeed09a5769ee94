"""Fused recurrent kernels: LSTM, GRU and simple RNN over a whole sequence, one op each.

Forward: the input projection of every timestep is one GEMM before the loop; each step is one
GEMM of the previous state with the recurrent kernel for all gates (two for GRU without
``reset_after``). Backward is hand-written backpropagation through time over the saved gate
values: one GEMM per step for the state gradient, then the kernel, recurrent kernel, bias and
input gradients as one GEMM (or sum) each over all timesteps.

Weights use Keras' layout: kernel (features, gates * units), recurrent kernel
(units, gates * units), gate order i, f, c, o (LSTM) and z, r, h (GRU). Internally arrays are
time-major in processing order (reversed when ``go_backwards``). A mask (batch, time) carries
the state over masked steps, as Keras does.
"""

import numpy as np

from ...autograd.function import Function
from .._convert import constant, to_tensor

__all__ = ["gru", "lstm", "simple_rnn", "RECURRENT_ACTIVATIONS"]


def _sigmoid(z):
    # 0.5 * (1 + tanh(z / 2)): stable for any z, one transcendental call
    out = np.multiply(z, 0.5)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def _hard_sigmoid(z):
    return np.clip(z / 6 + 0.5, 0, 1).astype(z.dtype, copy=False)


# name -> (f(z), f'(z) written in terms of y = f(z))
RECURRENT_ACTIVATIONS = {
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "sigmoid": (_sigmoid, lambda y: y * (1 - y)),
    "relu": (lambda z: np.maximum(z, 0), lambda y: (y > 0).astype(y.dtype)),
    "linear": (lambda z: z, lambda y: np.ones_like(y)),
    "hard_sigmoid": (_hard_sigmoid, lambda y: (((y > 0) & (y < 1)) / 6).astype(y.dtype)),
}


class _Recurrent(Function):
    """Shared set-up: time-major processing-order inputs, the input GEMM, masks, and the
    gradients that are the same for every cell (kernel, bias, inputs)."""

    def prepare(self, x, kernel, bias, mask, go_backwards, rdrop, activation, recurrent):
        xt = x.transpose(1, 0, 2)  # (T, B, F)
        if go_backwards:
            xt = xt[::-1]
        self.xt = np.ascontiguousarray(xt)
        self.go_backwards = go_backwards
        steps, batch, features = self.xt.shape
        proj = self.xt.reshape(steps * batch, features) @ kernel  # one GEMM for all timesteps
        proj = proj.reshape(steps, batch, -1)
        if bias is not None:
            proj += bias
        self.mask = None
        if mask is not None:
            m = mask.T[::-1] if go_backwards else mask.T  # (T, B)
            self.mask = np.ascontiguousarray(m[:, :, None]).astype(x.dtype)
        self.rdrop = rdrop
        self.act, self.dact = RECURRENT_ACTIVATIONS[activation]
        self.ract, self.dract = RECURRENT_ACTIVATIONS[recurrent]
        self.kernel = kernel
        return proj

    def carry(self, s, new, old):
        """The state after step ``s``: ``new`` where the step is unmasked, else ``old``."""
        if self.mask is None:
            return new
        m = self.mask[s]
        return old + m * (new - old)

    def split_grad(self, s, total):
        """(gradient into the step's new state, gradient carried past a masked step)."""
        if self.mask is None:
            return total, None
        m = self.mask[s]
        return total * m, total * (1 - m)

    def input_grads(self, d_proj, bias_shape):
        """Gradients of x, the kernel and the input bias from d(projection) (T, B, G)."""
        steps, batch, width = d_proj.shape
        flat = d_proj.reshape(steps * batch, width)
        gx = gk = gb = None
        if self.needs_input_grad[0]:
            gx = (flat @ self.kernel.T).reshape(steps, batch, -1)
            if self.go_backwards:
                gx = gx[::-1]
            gx = np.ascontiguousarray(gx.transpose(1, 0, 2))
        if self.needs_input_grad[1]:
            gk = self.xt.reshape(steps * batch, -1).T @ flat
        if bias_shape is not None:
            gb = flat.sum(axis=0)
        return gx, gk, gb

    def previous_states(self, states, h0):
        """(T, B, U) states entering each step, recurrent dropout applied."""
        prev = np.concatenate([h0[None], states[:-1]], axis=0)
        if self.rdrop is not None:
            prev *= self.rdrop
        return prev

    def dropped(self, h):
        return h if self.rdrop is None else h * self.rdrop


class LSTMSequence(_Recurrent):
    """Output (B, T, 2U): the hidden state h and cell state c after every step."""

    def forward(self, x, kernel, recurrent_kernel, *rest, has_bias, mask, go_backwards, rdrop,
                activation, recurrent_activation):
        bias = rest[0] if has_bias else None
        h, c = rest[-2], rest[-1]
        self.has_bias, self.h0, self.c0 = has_bias, h, c
        proj = self.prepare(x, kernel, bias, mask, go_backwards, rdrop, activation,
                            recurrent_activation)
        steps, batch = proj.shape[:2]
        u = recurrent_kernel.shape[0]
        out = np.empty((steps, batch, 2 * u), proj.dtype)  # time-major [h | c]
        gates = proj  # activated in place, step by step: (T, B, 4U)
        tc = np.empty((steps, batch, u), proj.dtype)  # activation(c_new)
        for s in range(steps):
            z = gates[s]
            z += self.dropped(h) @ recurrent_kernel  # one GEMM for the four gates
            z[:, :2 * u] = self.ract(z[:, :2 * u])
            z[:, 2 * u:3 * u] = self.act(z[:, 2 * u:3 * u])
            z[:, 3 * u:] = self.ract(z[:, 3 * u:])
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            c_new = f * c + i * g
            tc[s] = self.act(c_new)
            h_new = o * tc[s]
            c = self.carry(s, c_new, c)
            h = self.carry(s, h_new, h)
            out[s, :, :u] = h
            out[s, :, u:] = c
        self.gates, self.tc, self.out, self.recurrent_kernel = gates, tc, out, recurrent_kernel
        return out.transpose(1, 0, 2)

    def backward(self, g):
        g = g.transpose(1, 0, 2)  # (T, B, 2U)
        gates, tc, out, rk = self.gates, self.tc, self.out, self.recurrent_kernel
        steps = gates.shape[0]
        u = rk.shape[0]
        rk_t = np.ascontiguousarray(rk.T)
        dh = np.zeros_like(self.h0)
        dc = np.zeros_like(self.c0)
        dz_all = np.empty_like(gates)
        # per step on (B, U) blocks: measured faster than precomputing the gate factors for
        # all steps at once (those large temporaries cost more memory traffic than they save)
        for s in range(steps - 1, -1, -1):
            i, f, gg, o = (gates[s, :, k * u:(k + 1) * u] for k in range(4))
            c_prev = out[s - 1, :, u:] if s else self.c0
            dh_new, dh_keep = self.split_grad(s, g[s, :, :u] + dh)
            dc_in, dc_keep = self.split_grad(s, g[s, :, u:] + dc)
            dc_new = dc_in + dh_new * o * self.dact(tc[s])
            dz = dz_all[s]
            dz[:, :u] = dc_new * gg * self.dract(i)
            dz[:, u:2 * u] = dc_new * c_prev * self.dract(f)
            dz[:, 2 * u:3 * u] = dc_new * i * self.dact(gg)
            dz[:, 3 * u:] = dh_new * tc[s] * self.dract(o)
            dc = dc_new * f
            dh = self.dropped(dz @ rk_t)
            if dh_keep is not None:
                dc += dc_keep
                dh += dh_keep
        gx, gk, gb = self.input_grads(dz_all, () if self.has_bias else None)
        grk = None
        if self.needs_input_grad[2]:
            prev = self.previous_states(out[:, :, :u], self.h0)
            grk = prev.reshape(-1, u).T @ dz_all.reshape(-1, 4 * u)
        grads = [gx, gk, grk] + ([gb] if self.has_bias else []) + [dh, dc]
        return tuple(grads)


class GRUSequence(_Recurrent):
    """Output (B, T, U): the hidden state after every step."""

    def forward(self, x, kernel, recurrent_kernel, *rest, has_bias, reset_after, mask,
                go_backwards, rdrop, activation, recurrent_activation):
        bias = rest[0] if has_bias else None
        h = rest[-1]
        u = recurrent_kernel.shape[0]
        self.has_bias, self.reset_after, self.h0 = has_bias, reset_after, h
        in_bias = rec_bias = None
        if bias is not None:
            in_bias, rec_bias = (bias[0], bias[1]) if reset_after else (bias, None)
        proj = self.prepare(x, kernel, in_bias, mask, go_backwards, rdrop, activation,
                            recurrent_activation)
        steps, batch = proj.shape[:2]
        out = np.empty((steps, batch, u), proj.dtype)
        zr = np.empty((steps, batch, 2 * u), proj.dtype)  # z and r gates
        hh = np.empty((steps, batch, u), proj.dtype)  # candidate state
        extra = np.empty((steps, batch, u), proj.dtype)  # reset_after: U_h h (+ b); else r * h
        for s in range(steps):
            hd = self.dropped(h)
            if reset_after:
                rec = hd @ recurrent_kernel  # one GEMM for the three gates
                if rec_bias is not None:
                    rec += rec_bias
                zr[s] = self.ract(proj[s, :, :2 * u] + rec[:, :2 * u])
                extra[s] = rec[:, 2 * u:]
                hh[s] = self.act(proj[s, :, 2 * u:] + zr[s, :, u:] * extra[s])
            else:
                zr[s] = self.ract(proj[s, :, :2 * u] + hd @ recurrent_kernel[:, :2 * u])
                extra[s] = zr[s, :, u:] * hd
                hh[s] = self.act(proj[s, :, 2 * u:] + extra[s] @ recurrent_kernel[:, 2 * u:])
            z = zr[s, :, :u]
            h_new = hh[s] + z * (h - hh[s])
            h = self.carry(s, h_new, h)
            out[s] = h
        self.zr, self.hh, self.extra, self.out = zr, hh, extra, out
        self.recurrent_kernel = recurrent_kernel
        return out.transpose(1, 0, 2)

    def backward(self, g):
        g = g.transpose(1, 0, 2)
        zr, hh, extra, out, rk = self.zr, self.hh, self.extra, self.out, self.recurrent_kernel
        steps = out.shape[0]
        u = rk.shape[0]
        d_proj = np.empty((steps, out.shape[1], 3 * u), out.dtype)
        d_rec = np.empty_like(d_proj) if self.reset_after else None
        dh = np.zeros_like(self.h0)
        for s in range(steps - 1, -1, -1):
            z, r = zr[s, :, :u], zr[s, :, u:]
            h_prev = out[s - 1] if s else self.h0
            dh_new, dh_keep = self.split_grad(s, g[s] + dh)
            da = dh_new * (1 - z) * self.dact(hh[s])  # pre-activation of the candidate
            dp = d_proj[s]
            dp[:, :u] = dh_new * (h_prev - hh[s]) * self.dract(z)
            dp[:, 2 * u:] = da
            if self.reset_after:
                dp[:, u:2 * u] = da * extra[s] * self.dract(r)
                dr = d_rec[s]
                dr[:, :2 * u] = dp[:, :2 * u]
                dr[:, 2 * u:] = da * r
                dhd = dr @ rk.T
            else:
                d_rh = da @ rk[:, 2 * u:].T
                hd = self.dropped(h_prev)
                dp[:, u:2 * u] = d_rh * hd * self.dract(r)
                dhd = d_rh * r + dp[:, :2 * u] @ rk[:, :2 * u].T
            dh = dh_new * z + self.dropped(dhd)
            if dh_keep is not None:
                dh += dh_keep
        gx, gk, gb = self.input_grads(d_proj, () if self.has_bias else None)
        grk = None
        prev = None
        if self.needs_input_grad[2]:
            prev = self.previous_states(out, self.h0).reshape(-1, u)
        if self.needs_input_grad[2]:
            if self.reset_after:
                grk = prev.T @ d_rec.reshape(-1, 3 * u)
            else:
                grk = np.empty_like(rk)
                grk[:, :2 * u] = prev.T @ d_proj[:, :, :2 * u].reshape(-1, 2 * u)
                grk[:, 2 * u:] = extra.reshape(-1, u).T @ d_proj[:, :, 2 * u:].reshape(-1, u)
        grads = [gx, gk, grk]
        if self.has_bias:
            if self.reset_after:
                gb = np.stack([gb, d_rec.reshape(-1, 3 * u).sum(axis=0)])
            grads.append(gb)
        grads.append(dh)
        return tuple(grads)


class SimpleRNNSequence(_Recurrent):
    """Output (B, T, U): the hidden state after every step."""

    def forward(self, x, kernel, recurrent_kernel, *rest, has_bias, mask, go_backwards, rdrop,
                activation):
        bias = rest[0] if has_bias else None
        h = rest[-1]
        self.has_bias, self.h0 = has_bias, h
        proj = self.prepare(x, kernel, bias, mask, go_backwards, rdrop, activation, "linear")
        for s in range(proj.shape[0]):
            a = proj[s]
            a += self.dropped(h) @ recurrent_kernel
            a[...] = self.act(a)
            h = self.carry(s, a, h)
        self.new = proj  # the activated new states
        out = proj if self.mask is None else self._carried(proj)
        self.out, self.recurrent_kernel = out, recurrent_kernel
        return out.transpose(1, 0, 2)

    def _carried(self, new):
        out = np.empty_like(new)
        h = self.h0
        for s in range(new.shape[0]):
            h = self.carry(s, new[s], h)
            out[s] = h
        return out

    def backward(self, g):
        g = g.transpose(1, 0, 2)
        new, out, rk = self.new, self.out, self.recurrent_kernel
        u = rk.shape[0]
        d_pre = np.empty_like(new)
        dh = np.zeros_like(self.h0)
        for s in range(new.shape[0] - 1, -1, -1):
            dh_new, dh_keep = self.split_grad(s, g[s] + dh)
            d_pre[s] = dh_new * self.dact(new[s])
            dh = self.dropped(d_pre[s] @ rk.T)
            if dh_keep is not None:
                dh += dh_keep
        gx, gk, gb = self.input_grads(d_pre, () if self.has_bias else None)
        grk = None
        if self.needs_input_grad[2]:
            prev = self.previous_states(out, self.h0)
            grk = prev.reshape(-1, u).T @ d_pre.reshape(-1, u)
        return tuple([gx, gk, grk] + ([gb] if self.has_bias else []) + [dh])


# ----- public functions -------------------------------------------------------------------------


def _check(op, x, kernel, recurrent_kernel, bias, gates, bias_shape, activations):
    if x.ndim != 3:
        raise ValueError(f"{op}: expected inputs of shape (batch, timesteps, features). "
                         f"Received: x.shape={x.shape}")
    units = recurrent_kernel.shape[0] if recurrent_kernel.ndim == 2 else -1
    if kernel.shape != (x.shape[-1], gates * units):
        raise ValueError(f"{op}: the kernel must have shape {(x.shape[-1], gates * units)}. "
                         f"Received: kernel.shape={kernel.shape}")
    if recurrent_kernel.shape != (units, gates * units):
        raise ValueError(f"{op}: the recurrent kernel must have shape {(units, gates * units)}. "
                         f"Received: recurrent_kernel.shape={recurrent_kernel.shape}")
    if bias is not None and bias.shape != bias_shape:
        raise ValueError(f"{op}: the bias must have shape {bias_shape}. "
                         f"Received: bias.shape={bias.shape}")
    for name, value in activations.items():
        if value not in RECURRENT_ACTIVATIONS:
            raise ValueError(f"{op}: {name} must be one of {sorted(RECURRENT_ACTIVATIONS)}. "
                             f"Received: {name}={value!r}")
    return units


def _state(value, batch, units, dtype, op, name):
    if value is None:
        return constant(np.zeros((batch, units), dtype))
    value = to_tensor(value)
    if value.shape != (batch, units):
        raise ValueError(f"{op}: {name} must have shape {(batch, units)}. "
                         f"Received: {name}.shape={value.shape}")
    return value


def _options(x, mask, recurrent_dropout_mask, op):
    if mask is not None:
        mask = np.asarray(mask.data if hasattr(mask, "data") else mask).astype(bool)
        if mask.shape != x.shape[:2]:
            raise ValueError(f"{op}: the mask must have shape (batch, timesteps) = "
                             f"{x.shape[:2]}. Received: mask.shape={mask.shape}")
    rdrop = recurrent_dropout_mask
    if rdrop is not None:
        rdrop = np.asarray(rdrop.data if hasattr(rdrop, "data") else rdrop, x.dtype)
    return mask, rdrop


def lstm(x, kernel, recurrent_kernel, bias=None, h0=None, c0=None, mask=None,
         go_backwards=False, activation="tanh", recurrent_activation="sigmoid",
         recurrent_dropout_mask=None):
    """Run an LSTM over x (B, T, F); returns ``(outputs (B, T, U), h_T, c_T)``.

    Keras' layout: kernel (F, 4U), recurrent kernel (U, 4U), bias (4U,), gates i, f, c, o.

    >>> import numpy as np
    >>> from ember.ops.kernels.recurrent import lstm
    >>> x = np.ones((2, 5, 3), "float32")
    >>> k, r = np.full((3, 8), 0.1, "float32"), np.zeros((2, 8), "float32")
    >>> outputs, h, c = lstm(x, k, r)
    >>> outputs.shape, h.shape
    ((2, 5, 2), (2, 2))
    """
    op = "lstm"
    x, kernel, recurrent_kernel = to_tensor(x), to_tensor(kernel), to_tensor(recurrent_kernel)
    bias = None if bias is None else to_tensor(bias)
    units = recurrent_kernel.shape[0]
    _check(op, x, kernel, recurrent_kernel, bias, 4, (4 * units,),
           {"activation": activation, "recurrent_activation": recurrent_activation})
    h0 = _state(h0, x.shape[0], units, x.dtype, op, "h0")
    c0 = _state(c0, x.shape[0], units, x.dtype, op, "c0")
    mask, rdrop = _options(x, mask, recurrent_dropout_mask, op)
    inputs = [x, kernel, recurrent_kernel] + ([bias] if bias is not None else []) + [h0, c0]
    both = LSTMSequence.apply(*inputs, has_bias=bias is not None, mask=mask,
                              go_backwards=bool(go_backwards), rdrop=rdrop,
                              activation=activation, recurrent_activation=recurrent_activation)
    from ..shape import getitem

    outputs = getitem(both, (slice(None), slice(None), slice(0, units)))
    return outputs, getitem(outputs, (slice(None), -1)), getitem(both, (slice(None), -1,
                                                                        slice(units, None)))


def gru(x, kernel, recurrent_kernel, bias=None, h0=None, mask=None, go_backwards=False,
        activation="tanh", recurrent_activation="sigmoid", reset_after=True,
        recurrent_dropout_mask=None):
    """Run a GRU over x (B, T, F); returns ``(outputs (B, T, U), h_T)``.

    Keras' layout: kernel (F, 3U), recurrent kernel (U, 3U), gates z, r, h; the bias is (2, 3U)
    (input and recurrent biases) with ``reset_after=True``, else (3U,).

    >>> import numpy as np
    >>> from ember.ops.kernels.recurrent import gru
    >>> x = np.ones((2, 5, 3), "float32")
    >>> k, r = np.full((3, 6), 0.1, "float32"), np.zeros((2, 6), "float32")
    >>> outputs, h = gru(x, k, r)
    >>> outputs.shape
    (2, 5, 2)
    """
    op = "gru"
    x, kernel, recurrent_kernel = to_tensor(x), to_tensor(kernel), to_tensor(recurrent_kernel)
    bias = None if bias is None else to_tensor(bias)
    units = recurrent_kernel.shape[0]
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    _check(op, x, kernel, recurrent_kernel, bias, 3, bias_shape,
           {"activation": activation, "recurrent_activation": recurrent_activation})
    h0 = _state(h0, x.shape[0], units, x.dtype, op, "h0")
    mask, rdrop = _options(x, mask, recurrent_dropout_mask, op)
    inputs = [x, kernel, recurrent_kernel] + ([bias] if bias is not None else []) + [h0]
    outputs = GRUSequence.apply(*inputs, has_bias=bias is not None, reset_after=bool(reset_after),
                                mask=mask, go_backwards=bool(go_backwards), rdrop=rdrop,
                                activation=activation, recurrent_activation=recurrent_activation)
    from ..shape import getitem

    return outputs, getitem(outputs, (slice(None), -1))


def simple_rnn(x, kernel, recurrent_kernel, bias=None, h0=None, mask=None, go_backwards=False,
               activation="tanh", recurrent_dropout_mask=None):
    """Run a fully connected RNN over x (B, T, F); returns ``(outputs (B, T, U), h_T)``.

    >>> import numpy as np
    >>> from ember.ops.kernels.recurrent import simple_rnn
    >>> x = np.ones((2, 5, 3), "float32")
    >>> k, r = np.full((3, 4), 0.1, "float32"), np.zeros((4, 4), "float32")
    >>> outputs, h = simple_rnn(x, k, r)
    >>> h.shape
    (2, 4)
    """
    op = "simple_rnn"
    x, kernel, recurrent_kernel = to_tensor(x), to_tensor(kernel), to_tensor(recurrent_kernel)
    bias = None if bias is None else to_tensor(bias)
    units = recurrent_kernel.shape[0]
    _check(op, x, kernel, recurrent_kernel, bias, 1, (units,), {"activation": activation})
    h0 = _state(h0, x.shape[0], units, x.dtype, op, "h0")
    mask, rdrop = _options(x, mask, recurrent_dropout_mask, op)
    inputs = [x, kernel, recurrent_kernel] + ([bias] if bias is not None else []) + [h0]
    outputs = SimpleRNNSequence.apply(*inputs, has_bias=bias is not None, mask=mask,
                                      go_backwards=bool(go_backwards), rdrop=rdrop,
                                      activation=activation)
    from ..shape import getitem

    return outputs, getitem(outputs, (slice(None), -1))
