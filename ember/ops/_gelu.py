"""GELU, x * Phi(x): exact (erf) or with Keras' tanh approximation, forward and derivative.

Exact GELU in float32 uses a fitted tanh form of Phi, about as accurate as float32 allows, in
a third fewer array passes than an erf approximation; float64 keeps SciPy's exact erf (for
gradient checks).
"""

import math

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ._convert import to_tensor

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _erf(x):
    """Exact erf (SciPy's where installed), in x's dtype."""
    try:
        from scipy.special import erf

        return erf(x).astype(x.dtype, copy=False)
    except ImportError:
        return np.vectorize(math.erf, otypes=[x.dtype])(x)


def _horner(u, coefficients):
    """sum(c * u**k) (coefficients from the highest power down) by Horner's rule, in place on
    one new array."""
    out = u * coefficients[0]
    out += coefficients[1]
    for c in coefficients[2:]:
        out *= u
        out += c
    return out


# Exact GELU in float32: Phi(x) = (1 + tanh(x * R(x^2))) / 2, where x * R(x^2) approximates
# atanh(erf(x / sqrt(2))) with R of degree 6, fitted to the smallest maximum error in Phi
# over |x| <= 6 (linear programming on a fine grid; beyond 6, tanh is 1 in float32 and x is
# clipped). The error in Phi is 4e-8 in exact
# arithmetic, 1.1e-7 evaluated in float32: within 1 ulp of Phi near 1, like the erf-based
# rational approximation (Eigen's, 2.3e-7) it replaces, in 19 array passes instead of 28.
# R's constant term is sqrt(2 / pi) and its next 0.0363 (~ 0.044715 * sqrt(2 / pi)): it
# refines Keras' tanh approximation, which is this formula with R of degree 1.
_GELU_R = (1.7289300694274196e-09, -1.3141980693948448e-07, 3.954491485823593e-06,
           -5.5244472543803805e-05, -3.277838870104518e-05, 0.036333286576610044,
           0.7978848933409355)
_GELU_CLIP = 6.0
_GELU_A = 0.044715
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _gelu_forward(x, approximate, with_derivative):
    """``(x * Phi(x), dGELU/dx or None)``; Phi is exact (erf) for float64 inputs.

    The float32 exact path works in three new arrays, reused once their contents are spent:
    writing into a buffer just used is cheaper than into fresh memory.
    """
    if approximate:  # tanh(sqrt(2 / pi) * (x + 0.044715 * x**3))
        t = x * x
        t *= _GELU_A * _SQRT_2_OVER_PI
        t += _SQRT_2_OVER_PI
        t *= x
        np.tanh(t, out=t)
        cdf = t * 0.5
        cdf += 0.5
    elif x.dtype.itemsize > 4:
        cdf = _erf(x * (1 / math.sqrt(2)))
        cdf += 1
        cdf *= 0.5
    else:  # tanh(x * R(x^2)), R fitted above
        xc = x.clip(-_GELU_CLIP, _GELU_CLIP)
        u = np.multiply(xc, xc)
        t = _horner(u, _GELU_R)
        t *= xc
        np.tanh(t, out=t)
        cdf = np.multiply(t, 0.5, out=xc)
        cdf += 0.5
        y = np.multiply(x, cdf, out=u)
        return y, (_gelu_exact_derivative(x, cdf, out=t) if with_derivative else None)
    y = x * cdf
    if not with_derivative:
        return y, None
    if not approximate:
        return y, _gelu_exact_derivative(x, cdf)
    # 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * sqrt(2 / pi) * (1 + 3 * 0.044715 * x**2)
    np.multiply(t, t, out=t)
    np.subtract(1, t, out=t)
    t *= x
    t *= 0.5
    d_inner = x * x
    d_inner *= 3 * _GELU_A * _SQRT_2_OVER_PI
    d_inner += _SQRT_2_OVER_PI
    t *= d_inner
    t += cdf
    return y, t


def _gelu_exact_derivative(x, cdf, out=None):
    """Phi(x) + x * pdf(x), pdf = exp(-x**2 / 2) / sqrt(2 pi)."""
    d = np.multiply(x, x, out=out)
    d *= -0.5
    np.exp(d, out=d)
    d *= x
    d *= _INV_SQRT_2PI
    d += cdf
    return d


def gelu_with_derivative(x, approximate, with_derivative):
    """``(gelu(x) in x's dtype, its derivative or None)``; float16 is computed in float32."""
    work = x.astype(np.float32) if x.dtype.itemsize < 4 else x
    y, d = _gelu_forward(work, approximate, with_derivative)
    return y.astype(x.dtype, copy=False), d


def gelu_grad(d, g):
    """The input's gradient from the saved derivative ``d``, which it overwrites (an op's
    backward runs once)."""
    d *= g
    return d.astype(g.dtype, copy=False)


class Gelu(Function):
    """x * Phi(x), exact or with Keras' tanh approximation.

    When the graph is recorded, the forward also computes the derivative (while x is still in
    cache), so backward is one multiply. float16 is computed in float32.
    """

    def forward(self, x, approximate=True):
        y, self.d = gelu_with_derivative(x, approximate, is_grad_enabled())
        return y

    def backward(self, g):
        return gelu_grad(self.d, g)


def gelu(x, approximate=True):
    """Gaussian error linear unit, ``x * Phi(x)``; ``approximate=True`` (Keras' default) uses
    tanh, ``False`` the exact normal CDF.

    >>> import ember
    >>> print(ember.gelu(ember.tensor([-1.0, 0.0, 1.0]), approximate=False).numpy().round(4))
    [-0.1587  0.      0.8413]
    """
    return Gelu.apply(to_tensor(x), approximate=approximate)
