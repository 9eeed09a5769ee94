"""A character-level GPT on Tiny Shakespeare, written with ember's Keras API (nanoGPT style).

The model is ``ember.recipes.build_char_gpt`` (the same builder as ``ember train
shakespeare-gpt``): token + position embeddings, ``--layers`` pre-LayerNorm blocks of causal
multi-head self-attention (``MultiHeadAttention(use_causal_mask=True)``) and a GELU MLP of 4x
the width, a final LayerNormalization and a Dense head giving logits over the 65 characters.
It trains with a hand-written loop (``model(x, training=True)``, ``loss.backward()``,
``optimizer.apply``) on random windows of the first 90% of the text, with AdamW (learning rate
1e-3, beta_1 0.9, beta_2 0.99, weight decay 0.1, global_clipnorm 1.0) and sparse categorical
cross-entropy from logits. The validation loss is the mean over 20 batches of windows spread
evenly over the last 10% of the text. At the end it writes text from a prompt, sampling each
character from the softmax of the logits divided by ``--temperature``.

Run (on a machine shared by many processes, one BLAS thread is much faster):

    OPENBLAS_NUM_THREADS=1 python examples/char_gpt.py --data /work/shared/data

Options: ``--iterations`` (2000), ``--eval-interval``, ``--batch-size`` (12), ``--context`` (64),
``--width`` (128), ``--layers`` (4), ``--heads`` (4), ``--learning-rate``, ``--prompt``,
``--length``, ``--temperature``, ``--seed``, ``--data`` (the folder or the file of
``tinyshakespeare/input.txt``). ``main(argv)`` returns the losses, timings and generated text.
"""

import argparse
import time

import numpy as np

import ember
from ember import datasets, keras
from ember.models.gpt import generate_ids, random_batches, windows
from ember.recipes import build_char_gpt


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None,
                        help="folder holding tinyshakespeare/input.txt, or the text file itself")
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--eval-interval", type=int, default=200,
                        help="iterations between two validation losses")
    parser.add_argument("--eval-batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--prompt", default="ROMEO:")
    parser.add_argument("--length", type=int, default=300, help="characters to generate")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def validation_loss(model, loss_fn, x_val, y_val, batch_size):
    """The mean loss over the validation windows, one batch of ``batch_size`` at a time."""
    losses = []
    with ember.no_grad():
        for start in range(0, len(x_val), batch_size):
            logits = model(x_val[start:start + batch_size], training=False)  # (B, T, vocab)
            losses.append(loss_fn(y_val[start:start + batch_size], logits).item())
    return float(np.mean(losses))


def train(model, optimizer, loss_fn, stream, iterations, evaluate, eval_interval):
    """The training loop; ``evaluate()`` gives the validation loss every ``eval_interval``
    iterations and after the last. Returns (history rows, seconds spent in training steps)."""
    weights = model.trainable_weights
    history, recent, step_seconds = [], [], 0.0
    for iteration in range(1, iterations + 1):
        x, y = next(stream)  # (B, T) ids and the next character of each
        start = time.perf_counter()
        loss = loss_fn(y, model(x, training=True))  # logits (B, T, vocab)
        loss.backward()
        optimizer.apply([w.grad for w in weights], weights)
        step_seconds += time.perf_counter() - start
        recent.append(loss.item())
        if iteration % eval_interval == 0 or iteration == iterations:
            row = {"iteration": iteration, "train_loss": float(np.mean(recent)),
                   "val_loss": evaluate(), "ms_per_iteration": 1000 * step_seconds / iteration}
            history.append(row)
            recent = []
            print(f"iteration {iteration:5d}: train loss {row['train_loss']:.4f}, "
                  f"val loss {row['val_loss']:.4f} ({row['ms_per_iteration']:.0f} ms/iteration)",
                  flush=True)
    return history, step_seconds


def main(argv=None):
    """Train, report the validation loss and generate text; returns a dict with
    ``initial_val_loss``, ``val_loss``, ``history``, ``ms_per_iteration`` and ``sample``."""
    args = parse_args(argv)
    ember.set_random_seed(args.seed)
    text = datasets.load_shakespeare(args.data)
    vocab = text.vocab
    print(f"Tiny Shakespeare: {len(text.train):,} training and {len(text.val):,} validation "
          f"characters, {len(vocab)} symbols")
    x_val, y_val = windows(text.val, args.context, count=args.eval_batches * args.batch_size)
    stream = random_batches(text.train, args.context, args.batch_size,
                            np.random.default_rng(args.seed))

    model = build_char_gpt(len(vocab), context=args.context, width=args.width,
                           layers=args.layers, heads=args.heads, dropout=args.dropout)
    print(f"{model.name}: {model.count_params():,} parameters, {args.layers} layers, "
          f"{args.heads} heads, width {args.width}, context {args.context}")
    optimizer = keras.optimizers.AdamW(learning_rate=args.learning_rate, beta_1=0.9,
                                       beta_2=0.99, weight_decay=args.weight_decay,
                                       global_clipnorm=1.0)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def evaluate():
        return validation_loss(model, loss_fn, x_val, y_val, args.batch_size)

    initial = evaluate()
    print(f"iteration     0: val loss {initial:.4f} (uniform guess: {np.log(len(vocab)):.4f})")
    history, seconds = train(model, optimizer, loss_fn, stream, args.iterations, evaluate,
                             args.eval_interval)
    ms_per_iteration = 1000 * seconds / max(args.iterations, 1)
    val_loss = history[-1]["val_loss"] if history else initial
    print(f"Validation loss after {args.iterations} iterations: {val_loss:.4f} "
          f"({ms_per_iteration:.0f} ms per iteration, {seconds:.0f} s of training)")

    sample = ""
    if args.length > 0:
        ids = generate_ids(model, vocab.encode(args.prompt), args.length,
                           temperature=args.temperature, rng=np.random.default_rng(args.seed))
        sample = args.prompt + vocab.decode(ids)
        print(f"--- sample (temperature {args.temperature}) ---\n{sample}\n---")
    return {"initial_val_loss": initial, "val_loss": val_loss, "history": history,
            "ms_per_iteration": ms_per_iteration, "sample": sample}


if __name__ == "__main__":
    main()
