"""The import styles Keras scripts use, and ``keras.ops`` for custom layers."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import keras


@pytest.mark.parametrize("statement, expression", [
    ("import ember as tf", "tf.keras.layers.Dense"),
    ("from ember import keras", "keras.Sequential"),
    ("import ember.keras as keras", "keras.Model"),
    ("from ember.keras import layers, ops", "layers.Dense, ops.matmul"),
    ("from ember.keras import models, optimizers, losses, metrics, callbacks", "models.Sequential"),
])
def test_import_styles(statement, expression):
    namespace = {}
    exec(statement, namespace)
    assert eval(expression, namespace)


def test_import_ember_is_light():
    code = ("import sys, ember; heavy = [m for m in ('matplotlib', 'rich', 'sklearn', 'h5py', "
            "'torch', 'scipy', 'ember.keras') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_keras_ops_in_a_custom_layer():
    ops = keras.ops

    class Attention(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], input_shape[-1]),
                                     initializer="glorot_uniform")

        def call(self, x):
            scores = ops.matmul(x, ops.matmul(self.w, ops.transpose(x, (0, 2, 1))))
            scores = ops.where(ops.tril(ops.ones((4, 4))) > 0, scores, -1e9)
            weights = ops.softmax(scores, axis=-1)
            return ops.mean(ops.matmul(weights, x), axis=1)

    layer = Attention()
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")
    out = layer(x)
    assert out.shape == (2, 3)
    ops.sum(out).backward()
    assert layer.w.grad.shape == (3, 3)
    assert ops.shape(out) == (2, 3)
    parts = ops.split(ops.arange(6), 3)
    assert [p.numpy().tolist() for p in parts] == [[0, 1], [2, 3], [4, 5]]
    stacked = ops.concatenate([ops.zeros((1, 2)), ops.full_like(ops.zeros((1, 2)), 7.0)], axis=0)
    np.testing.assert_array_equal(stacked.numpy(), [[0, 0], [7, 7]])
    assert ops.cast(ops.ones((2,)), "int32").dtype == np.int32


def test_keras_ops_einsum_gradients_match_matmul():
    ops = keras.ops
    rng = np.random.default_rng(1)
    a = ember.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    ops.sum(ops.einsum("ij,jk->ik", a, b) ** 2).backward()
    expected_a = 2 * (a.numpy() @ b.numpy()) @ b.numpy().T
    np.testing.assert_allclose(a.grad, expected_a, rtol=1e-10)


def test_to_categorical_and_set_random_seed():
    np.testing.assert_array_equal(keras.utils.to_categorical([0, 2, 1], 3),
                                  np.eye(3, dtype="float32")[[0, 2, 1]])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        keras.utils.to_categorical([0, 2], 2)
    keras.utils.set_random_seed(5)
    first = keras.initializers.GlorotUniform()((3, 3))
    keras.utils.set_random_seed(5)
    np.testing.assert_array_equal(first, keras.initializers.GlorotUniform()((3, 3)))


def test_submodules_are_real_modules():
    for name in ("layers", "models", "losses", "optimizers", "metrics", "callbacks", "ops",
                 "utils", "backend", "activations", "initializers", "regularizers",
                 "constraints"):
        assert importlib.import_module(f"ember.keras.{name}") is getattr(keras, name)
