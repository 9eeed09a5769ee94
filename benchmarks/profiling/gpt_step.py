"""Profile char_gpt's training step (ember.recipes.build_char_gpt, batch 12, context 64).

Times ``--iters`` train_on_batch calls (min / median ms), then runs ``--profile`` more under
cProfile and prints the top functions by own time, so the kernels and the engine's bookkeeping
can be read apart.

    python benchmarks/profiling/gpt_step.py [--iters 20] [--profile 5] [--top 30]
"""

import argparse
import cProfile
import pstats

import numpy as np
from timing import per_call_ms

import ember
from ember import keras
from ember.recipes import build_char_gpt

CONFIG = {"vocab_size": 65, "context": 64, "width": 128, "layers": 4, "heads": 4}


def make_step(batch):
    ember.set_random_seed(0)
    model = build_char_gpt(**CONFIG)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.1,
                                                   global_clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.integers(0, CONFIG["vocab_size"], (batch, CONFIG["context"])).astype(np.int32)
    y = rng.integers(0, CONFIG["vocab_size"], (batch, CONFIG["context"])).astype(np.int32)
    return lambda: model.train_on_batch(x, y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--profile", type=int, default=5)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--batch", type=int, default=12)
    args = parser.parse_args(argv)
    step = make_step(args.batch)
    times = per_call_ms(step, args.iters, warmup=3)
    print(f"train_on_batch: min {min(times):.2f} ms, median {np.median(times):.2f} ms "
          f"over {args.iters}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.profile):
            step()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
