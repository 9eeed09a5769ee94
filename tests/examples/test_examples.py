"""The examples as tests, on reduced sizes: each example's ``main(argv)`` runs in-process and
must learn (a test accuracy, a validation loss far below the uniform guess), and the pieces the
examples add (the LSTM task generator, the GPT's validation loss) are checked against
reference formulas."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import keras
from ember.recipes import build_char_gpt

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lstm_example():
    return load_example("lstm_classifier")


# ----- MNIST convnet ---------------------------------------------------------------------------


@pytest.mark.slow
def test_mnist_convnet_learns_on_3000_images(shared_data, capsys):
    example = load_example("mnist_convnet")
    result = example.main(["--data", str(shared_data), "--limit", "3000", "--epochs", "2",
                           "--batch-size", "32", "--verbose", "0"])
    out = capsys.readouterr().out
    assert "MNIST: 3000 training and 2000 test images of 28x28 pixels" in out
    assert result["test_accuracy"] >= 0.92, out  # 0.933 measured (seed 0); chance is 0.1
    assert f"Test accuracy: {result['test_accuracy']:.4f}" in out
    assert len(result["epoch_seconds"]) == 2
    losses = result["history"]["loss"]
    assert len(losses) == 2 and losses[1] < losses[0] < np.log(10)


# ----- character GPT ---------------------------------------------------------------------------


@pytest.mark.slow
def test_char_gpt_validation_loss_falls_far_below_uniform_in_60_iterations(shared_data, capsys):
    example = load_example("char_gpt")
    result = example.main(["--data", str(shared_data), "--iterations", "60",
                           "--eval-interval", "30", "--length", "40", "--prompt", "ROMEO:"])
    out = capsys.readouterr().out
    uniform = np.log(65)  # 4.17
    # Keras' initializers give logits of std ~1.1 at first, so the first loss is above uniform
    assert result["initial_val_loss"] > uniform
    assert result["val_loss"] < 3.0, out  # 2.65 measured; PyTorch's recipe: 2.47 at 200
    assert [row["iteration"] for row in result["history"]] == [30, 60]
    assert result["history"][1]["val_loss"] < result["history"][0]["val_loss"]
    assert result["ms_per_iteration"] > 0
    assert "Validation loss after 60 iterations" in out
    sample = result["sample"]
    assert sample.startswith("ROMEO:") and len(sample) == len("ROMEO:") + 40
    assert sample in out


def test_char_gpt_validation_loss_is_the_mean_cross_entropy(rng):
    example = load_example("char_gpt")
    model = build_char_gpt(11, context=8, width=16, layers=1, heads=2)
    x = rng.integers(0, 11, (6, 8)).astype(np.int32)
    y = rng.integers(0, 11, (6, 8)).astype(np.int32)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    value = example.validation_loss(model, loss_fn, x, y, batch_size=3)
    with ember.no_grad():
        logits = model(x, training=False).numpy().astype(np.float64)  # (6, 8, 11)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    expected = -np.take_along_axis(log_probs, y[..., None], axis=-1).mean()
    assert value == pytest.approx(expected, rel=1e-5)


# ----- LSTM classifier -------------------------------------------------------------------------


def test_lstm_task_labels_say_which_marker_comes_first(lstm_example, rng):
    x, y, lengths, counts = lstm_example.make_sequences(300, rng)
    assert x.shape == (300, 24) and x.dtype == np.int32
    for row, label, length, (n_a, n_b) in zip(x, y, lengths, counts):
        assert (row[length:] == 0).all() and (row[:length] > 0).all()
        assert (row == 1).sum() == n_a and (row == 2).sum() == n_b
        assert label == (list(row).index(1) < list(row).index(2))
    assert 6 <= lengths.min() and lengths.max() <= 24
    with pytest.raises(ValueError, match=r"`min_length` must leave room for 2 x max_markers = 6 "
                                         r"markers\. Received: min_length=5"):
        lstm_example.make_sequences(3, rng, min_length=5)


def test_lstm_task_cannot_be_solved_from_counts(lstm_example):
    x, y, _, counts = lstm_example.make_sequences(20000, np.random.default_rng(0))
    # With n_a copies of A and n_b of B at random places, A comes first with probability
    # n_a / (n_a + n_b): the best count-only rule scores E[max(n_a, n_b) / (n_a + n_b)].
    expected = np.mean([max(a, b) / (a + b) for a in (1, 2, 3) for b in (1, 2, 3)])  # 0.615
    assert lstm_example.count_baseline(counts, y) == pytest.approx(expected, abs=0.01)
    assert abs(y.mean() - 0.5) < 0.02


@pytest.mark.slow
def test_lstm_classifier_learns_the_order(lstm_example, capsys):
    result = lstm_example.main(["--train", "3000", "--test", "500", "--epochs", "5",
                                "--verbose", "0"])
    out = capsys.readouterr().out
    assert result["count_baseline"] < 0.7
    assert result["test_accuracy"] >= 0.95, out  # 0.998 measured (seed 0)
    assert f"Test accuracy: {result['test_accuracy']:.4f}" in out
    # the padding is masked: more padding after a sequence changes nothing
    model = result["model"]
    x, _, _, _ = lstm_example.make_sequences(50, np.random.default_rng(1))
    padded = np.pad(x, ((0, 0), (0, 16)))
    np.testing.assert_allclose(model.predict(padded, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
