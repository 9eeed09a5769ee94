"""An Embedding(mask_zero=True) + LSTM sequence classifier on a task where order matters.

The task ("which marker comes first?") is generated deterministically from ``--seed``: each
sequence holds 6 to 24 tokens, padded at the end with 0 to a common length. Its tokens are
distractors (3..11) plus 1 to 3 copies of marker A (token 1) and 1 to 3 copies of marker B
(token 2) at random positions; the label is 1 when the first marker is an A, 0 when it is a B.
Counting tokens is not enough: knowing only the counts, the best guess ("the marker with more
copies comes first") is right about 62% of the time (``count_baseline``); the LSTM must read
the order. The padding is masked (``mask_zero=True``), so the prediction does not depend on
how much padding follows a sequence.

The model: Embedding(12, 16, mask_zero=True) - LSTM(32) - Dense(1, sigmoid), Adam(1e-2), binary
cross-entropy, 4,000 training and 1,000 test sequences, 10 epochs. Target: test accuracy >= 0.98.

Run:

    OPENBLAS_NUM_THREADS=1 python examples/lstm_classifier.py

Options: ``--epochs``, ``--train``, ``--test``, ``--units``, ``--batch-size``,
``--learning-rate``, ``--seed``. ``main(argv)`` returns the accuracies and timings.
"""

import argparse
import time

import numpy as np

import ember
from ember import keras

PAD, MARKER_A, MARKER_B = 0, 1, 2
VOCAB_SIZE = 12  # 0 padding, 1 and 2 the markers, 3..11 distractors


def make_sequences(count, rng, min_length=6, max_length=24, max_markers=3):
    """``count`` sequences (int32, padded with 0 at the end to ``max_length``) and their labels
    (1 when the first marker is an A). Also returns the lengths and the marker counts."""
    if min_length < 2 * max_markers:
        raise ValueError(f"make_sequences: `min_length` must leave room for 2 x max_markers = "
                         f"{2 * max_markers} markers. Received: min_length={min_length}")
    x = np.zeros((count, max_length), np.int32)
    y = np.zeros(count, np.int32)
    lengths = rng.integers(min_length, max_length + 1, size=count)
    counts = rng.integers(1, max_markers + 1, size=(count, 2))  # copies of A and of B
    for i, (length, (n_a, n_b)) in enumerate(zip(lengths, counts)):
        tokens = rng.integers(MARKER_B + 1, VOCAB_SIZE, size=length)
        places = rng.permutation(length)[:n_a + n_b]  # distinct positions of the markers
        tokens[places[:n_a]] = MARKER_A
        tokens[places[n_a:]] = MARKER_B
        x[i, :length] = tokens
        y[i] = places[:n_a].min() < places[n_a:].min()
    return x, y, lengths, counts


def count_baseline(counts, y):
    """The accuracy of the best rule that sees only the marker counts: for each pair of counts,
    predict the label most frequent among the sequences with those counts."""
    correct = 0
    for pair in np.unique(counts, axis=0):
        same = (counts == pair).all(axis=1)
        correct += max(y[same].sum(), (1 - y[same]).sum())
    return correct / len(y)


def build_model(units=32, embedding_dim=16):
    """Embedding(mask_zero=True) - LSTM - Dense(1, sigmoid) over (batch, time) token ids."""
    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        keras.layers.Embedding(VOCAB_SIZE, embedding_dim, mask_zero=True),  # (B, T, E), mask
        keras.layers.LSTM(units),  # (B, units): the state after each sequence's last token
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="marker_order_lstm")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train", type=int, default=4000, help="training sequences")
    parser.add_argument("--test", type=int, default=1000, help="test sequences")
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    return parser.parse_args(argv)


def main(argv=None):
    """Generate the task, train and evaluate; returns a dict with ``test_accuracy``,
    ``count_baseline``, ``epoch_seconds`` and the fit ``history``."""
    args = parse_args(argv)
    ember.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_train, y_train, _, _ = make_sequences(args.train, rng)
    x_test, y_test, lengths, counts = make_sequences(args.test, rng)
    baseline = count_baseline(counts, y_test)
    print(f"{args.train} training and {args.test} test sequences of 6 to 24 tokens "
          f"(padded to {x_train.shape[1]}); {y_test.mean():.1%} of the test labels are 1; "
          f"the best guess from the marker counts alone scores {baseline:.3f}")

    model = build_model(args.units)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    epoch_seconds, started = [], []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: started.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: epoch_seconds.append(time.perf_counter() - started[-1]))
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        callbacks=[timer], verbose=args.verbose)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)

    predicted = model.predict(x_test, batch_size=500, verbose=0)[:, 0] > 0.5
    short = lengths <= 12
    print(f"Median epoch: {np.median(epoch_seconds):.2f} s")
    print(f"Test accuracy: {test_accuracy:.4f} (loss {test_loss:.4f}); sequences of <= 12 "
          f"tokens: {np.mean(predicted[short] == y_test[short]):.4f}, longer: "
          f"{np.mean(predicted[~short] == y_test[~short]):.4f}")
    return {"test_accuracy": test_accuracy, "test_loss": test_loss, "count_baseline": baseline,
            "epoch_seconds": epoch_seconds, "history": history.history, "model": model}


if __name__ == "__main__":
    main()
