"""char_gpt: a character GPT on Tiny Shakespeare (ember.recipes.build_char_gpt's model): token
embedding (uniform +-0.05) + learned position embedding (glorot_uniform), 4 pre-norm blocks of
LayerNormalization(eps 1e-5) -> causal MultiHeadAttention(4 heads, key_dim 32, biases) ->
residual, LayerNormalization -> Dense(512, gelu) -> Dense(128) -> residual; final LayerNormalization
and Dense(65) logits. Width 128, context 64, batch 12, no dropout. AdamW(lr 1e-3, betas 0.9/0.99,
weight_decay 0.1 on every variable, epsilon 1e-7, global_clipnorm 1.0), sparse categorical
cross-entropy from logits. Batches are random windows of the first 90% of the text drawn from
RandomState(seed), the same for every framework; validation = 20 fixed batches of the last 10%.

Run alone: python benchmarks/workloads/char_gpt.py --framework {ember,torch,keras}
It prints one JSON line: ``step_ms`` is the median of --iters timed iterations after --warmup.
ember and Keras step with ``train_on_batch``; ``--loop custom`` runs ember's hand-written loop
(``model(x, training=True)``, the loss, ``loss.backward()``, ``optimizer.apply``) instead.
"""

import statistics
import sys
import time

import numpy as np
from bench_common import (
    lm_batches,
    parse_args,
    profiled,
    report,
    shakespeare,
    timed_import,
    train_step_flops,
)

NAME = "char_gpt"
DEFAULTS = {"batch_size": 12, "iters": 30, "warmup": 5}
CONFIG = {"vocab_size": 65, "context": 64, "width": 128, "layers": 4, "heads": 4}
ADAMW = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.99, "weight_decay": 0.1,
         "epsilon": 1e-7, "global_clipnorm": 1.0}
VAL_BATCHES = 20


def forward_gemms(batch, vocab_size=65, context=64, width=128, layers=4, heads=4):
    """The forward pass's matrix products ``(m, k, n, count)`` for ``batch`` sequences."""
    rows, head = batch * context, width // heads
    block = [
        (rows, width, 3 * width, 1),                  # query, key, value projections
        (context, head, context, batch * heads),      # scores q @ k^T, per sequence and head
        (context, context, head, batch * heads),      # attention weights @ v
        (rows, width, width, 1),                      # attention output projection
        (rows, width, 4 * width, 1),                  # MLP up
        (rows, 4 * width, width, 1),                  # MLP down
    ]
    return block * layers + [(rows, width, vocab_size, 1)]  # logits


def flops_per_step(batch_size=DEFAULTS["batch_size"]):
    """Matmul FLOPs of one training iteration (forward 2mkn per GEMM, backward twice that;
    the causal mask's unused half of the scores is counted, as dense kernels compute it)."""
    return train_step_flops(forward_gemms(batch_size))


def build_keras(keras, vocab_size, context, width, layers, heads):
    """``ember.recipes.build_char_gpt`` written for Keras 3 (same layers, names, initializers)."""

    class PositionEmbedding(keras.layers.Layer):
        def __init__(self, sequence_length, **kwargs):
            super().__init__(**kwargs)
            self.sequence_length = sequence_length

        def build(self, input_shape):
            self.position_embeddings = self.add_weight(
                shape=(self.sequence_length, input_shape[-1]), initializer="glorot_uniform",
                name="embeddings")

        def call(self, inputs):
            table = self.position_embeddings[: keras.ops.shape(inputs)[-2]]  # (T, C)
            return keras.ops.broadcast_to(table, keras.ops.shape(inputs))  # (B, T, C)

    layer = keras.layers
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (B, T)
    tokens = layer.Embedding(vocab_size, width, name="token_embedding")(ids)  # (B, T, C)
    x = tokens + PositionEmbedding(context, name="position_embedding")(tokens)
    for i in range(layers):
        h = layer.LayerNormalization(epsilon=1e-5, name=f"block{i}_ln1")(x)
        h = layer.MultiHeadAttention(heads, width // heads,
                                     name=f"block{i}_attention")(h, h, use_causal_mask=True)
        x = x + h
        h = layer.LayerNormalization(epsilon=1e-5, name=f"block{i}_ln2")(x)
        h = layer.Dense(4 * width, activation="gelu", name=f"block{i}_mlp_up")(h)
        x = x + layer.Dense(width, name=f"block{i}_mlp_down")(h)
    x = layer.LayerNormalization(epsilon=1e-5, name="final_ln")(x)
    logits = layer.Dense(vocab_size, name="logits")(x)  # (B, T, vocab)
    return keras.Model(ids, logits, name="char_gpt")


def _data(args):
    train_ids, val_ids, vocab_size = shakespeare()
    if vocab_size != CONFIG["vocab_size"]:
        raise ValueError(f"char_gpt: expected a 65-character vocabulary; got {vocab_size}")
    batches = lm_batches(train_ids, args.warmup + args.iters, args.batch_size,
                         CONFIG["context"], args.seed)
    val = lm_batches(val_ids, VAL_BATCHES, args.batch_size, CONFIG["context"], args.seed + 1)
    if args.limit is not None:  # smoke tests: validate on the first LIMIT windows only
        x_val = np.concatenate([x for x, _ in val])[:args.limit]
        y_val = np.concatenate([y for _, y in val])[:args.limit]
        val = [(x_val, y_val)]
    return batches, val


def _figures(seconds, losses, warmup, val_loss):
    timed = seconds[warmup:]
    return {
        "step_ms": 1000.0 * statistics.median(timed),
        "step_ms_mean": 1000.0 * statistics.fmean(timed),
        "step_ms_min": 1000.0 * min(timed),
        "step_ms_max": 1000.0 * max(timed),
        "first_step_ms": 1000.0 * seconds[0],
        "fit_s": sum(seconds),
        "first_loss": losses[0],
        "train_loss": statistics.fmean(losses[-5:]),
        "val_loss": val_loss,
    }


def run_keras_api(args):
    """ember or Keras: compile, then one ``train_on_batch`` (or ember's custom step) per batch."""
    import keras_api

    batches, val = _data(args)
    keras, version, import_s, extra = keras_api.import_keras(args.framework, args.seed)
    start = time.perf_counter()
    if args.framework == "ember":
        from ember.recipes import build_char_gpt

        model = build_char_gpt(**CONFIG)
    else:
        model = build_keras(keras, **CONFIG)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.AdamW(**ADAMW)
    model.compile(optimizer=optimizer, loss=loss_fn)
    setup_s = time.perf_counter() - start
    custom = args.framework == "ember" and args.loop == "custom"
    seconds, losses = [], []
    with profiled(args.profile_out):
        for x, y in batches:
            x, y = x.astype(np.int32), y.astype(np.int32)
            start = time.perf_counter()
            if custom:
                loss = loss_fn(y, model(x, training=True))
                loss.backward()
                variables = model.trainable_variables
                optimizer.apply([v.grad for v in variables], variables)
                losses.append(float(loss.item()))
            else:
                losses.append(float(model.train_on_batch(x, y)))
            seconds.append(time.perf_counter() - start)
    x_val = np.concatenate([x for x, _ in val]).astype(np.int32)
    y_val = np.concatenate([y for _, y in val]).astype(np.int32)
    val_loss = float(model.evaluate(x_val, y_val, batch_size=args.batch_size, verbose=0))
    figures = {**extra, "loop": "custom" if custom else "train_on_batch", "setup_s": setup_s,
               **_figures(seconds, losses, args.warmup, val_loss),
               "params": int(model.count_params())}
    return version, import_s, figures


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, **DEFAULTS)
    if args.framework == "torch":
        _, import_s = timed_import("torch")
        import torch_gpt

        batches, val = _data(args)
        version, result = torch_gpt.train(args, batches, val, CONFIG, ADAMW)
        timing = _figures(result.pop("seconds"), result.pop("losses"), args.warmup,
                          result.pop("val_loss"))
        figures = {**result, **timing}
    else:
        version, import_s, figures = run_keras_api(args)
    return report(NAME, args, version, import_s, **figures)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
