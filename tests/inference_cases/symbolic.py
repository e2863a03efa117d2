# Symbolic dims: inline `# shape:` expectations as in shapes.py. Sizes read from a parameter (`B, T, C = x.shape`,
# `x.size(0)`) make it a tensor of that rank whose dims are those names, for the rest of the function.
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(1000, 64)
        self.proj = nn.Linear(64, 128)

    def forward(self, tokens, features, extra):
        B, T = tokens.shape
        h = self.emb(tokens)  # shape: [B, T, 64] float32
        p = self.proj(h)  # shape: [B, T, 128] float32
        flat = p.view(B * T, 128)  # shape: [B*T, 128] float32
        n = features.size(0)
        rows = features.reshape(n, 16, 8)  # shape: [n, 16, 8]
        last = extra.shape[-1]
        cols = extra.view(-1, last)  # shape: [?, last]
        return flat, rows, cols


def helper(values):
    count = values.size(0)
    grid = values.view(count, 2, 2)  # shape: [count, 2, 2]
    return grid


def not_a_module_method(array):
    rows, cols = array.shape
    doubled = array * 2  # shape: none
    return doubled
