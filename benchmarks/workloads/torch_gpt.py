"""The PyTorch char_gpt: the same model as ``ember.recipes.build_char_gpt`` (nanoGPT's shape),
initialized as Keras initializes it, trained with AdamW and global-norm clipping as
``keras.optimizers.AdamW(..., global_clipnorm=1.0)`` does. Imported only by char_gpt.py."""

import math
import time

import torch
import torch.nn.functional as F
from bench_common import profiled
from torch import nn
from torch_common import blas_name, glorot_uniform_


class Block(nn.Module):
    """Pre-norm block: ``x + attn(ln1(x))``, then ``x + down(gelu(up(ln2(x))))``."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width, eps=1e-5)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width, eps=1e-5)
        self.up = nn.Linear(width, 4 * width)
        self.down = nn.Linear(4 * width, width)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, D)
        x = x + self.out(y.transpose(1, 2).reshape(B, T, C))
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class CharGPT(nn.Module):
    def __init__(self, vocab_size, context, width, layers, heads):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, width)
        self.positions = nn.Parameter(torch.empty(context, width))
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(width, eps=1e-5)
        self.head = nn.Linear(width, vocab_size)
        self._keras_init(width, heads)

    def _keras_init(self, width, heads):
        with torch.no_grad():
            self.tokens.weight.uniform_(-0.05, 0.05)  # Embedding's "uniform"
            glorot_uniform_(self.positions, *self.positions.shape)
            for block in self.blocks:
                # Keras 3.15's MultiHeadAttention kernels are (C, heads, key_dim) for q/k/v and
                # (heads, key_dim, C) for the output; EinsumDense gives glorot_uniform the
                # einsum's input and output axes, so the fans are C and heads * key_dim = C.
                for chunk in block.qkv.weight.split(width):
                    glorot_uniform_(chunk, width, width)
                glorot_uniform_(block.out.weight, width, width)
                for linear in (block.up, block.down):
                    glorot_uniform_(linear.weight, linear.in_features, linear.out_features)
                for linear in (block.qkv, block.out, block.up, block.down):
                    linear.bias.zero_()
            glorot_uniform_(self.head.weight, self.head.in_features, self.head.out_features)
            self.head.bias.zero_()

    def forward(self, ids):
        T = ids.shape[1]
        x = self.tokens(ids) + self.positions[:T]  # (B, T, C)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))  # (B, T, vocab)


def _loss(model, x, y):
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def train(args, batches, val, config, adamw):
    """Train on ``batches`` timing each iteration; returns ``(version, figures)``."""
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    model = CharGPT(**config)
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(params, lr=adamw["learning_rate"],
                                  betas=(adamw["beta_1"], adamw["beta_2"]),
                                  eps=adamw["epsilon"], weight_decay=adamw["weight_decay"])
    setup_s = time.perf_counter() - start
    seconds, losses = [], []
    model.train()
    with profiled(args.profile_out):
        for x, y in batches:
            start = time.perf_counter()
            x, y = torch.from_numpy(x), torch.from_numpy(y)
            optimizer.zero_grad(set_to_none=True)
            loss = _loss(model, x, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, adamw["global_clipnorm"])
            optimizer.step()
            losses.append(loss.item())
            seconds.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        val_loss = sum(float(_loss(model, torch.from_numpy(x), torch.from_numpy(y)))
                       for x, y in val) / len(val)
    figures = {"blas_build": blas_name(), "threads": torch.get_num_threads(),
               "setup_s": setup_s, "seconds": seconds, "losses": losses, "val_loss": val_loss,
               "params": sum(p.numel() for p in params),
               "initial_loss_expected": math.log(config["vocab_size"])}
    return torch.__version__, figures
