"""Custom training with ember: a hand-written loop, and an overridden ``train_step``.

Run: python examples/custom_training.py

In ember, gradients come from the engine itself: ``loss.backward()`` fills ``variable.grad`` for
every trainable weight, and ``optimizer.apply(grads, variables)`` updates them (then clears the
gradients, so each step starts fresh, as in Keras).
"""

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

import ember
from ember import keras

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
ember.set_random_seed(0)


def make_model():
    return keras.Sequential([
        keras.layers.Dense(16, input_shape=(4,), activation="relu"),
        keras.layers.Dense(3, activation="softmax")])


# 1. A hand-written loop: forward, loss, backward, optimizer step.
model = make_model()
optimizer = keras.optimizers.Adam(learning_rate=0.01)
loss_fn = keras.losses.SparseCategoricalCrossentropy()
for _ in range(200):
    loss = loss_fn(y_train, model(X_train, training=True))
    loss.backward()
    optimizer.apply([v.grad for v in model.trainable_weights], model.trainable_weights)
accuracy = np.mean(model.predict(X_test, verbose=0).argmax(axis=1) == y_test)
print(f"custom loop: loss {loss.item():.4f}, test accuracy {accuracy:.3f}")


# 2. Overriding train_step keeps fit()'s batching, callbacks and progress bar.
class ClippedModel(keras.Sequential):
    """Clips every gradient to [-1, 1] before the update."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred)
        loss.backward()
        variables = self.trainable_weights
        grads = [np.clip(v.grad, -1.0, 1.0) for v in variables]
        self.optimizer.apply(grads, variables)
        for metric in self.metrics:  # Keras' loss tracker is the metric named "loss"
            if metric.name == "loss":
                metric.update_state(loss)
        return self.compute_metrics(x, y, y_pred)


model = ClippedModel(make_model().layers)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=50, verbose=0)
print("train_step override: test loss and accuracy", model.evaluate(X_test, y_test, verbose=0))
