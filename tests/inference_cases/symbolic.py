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


class Positional(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("pe", torch.zeros(100, 64))

    def forward(self, x):
        table = self.pe  # shape: [100, 64] float32
        return x + table


frames = [torch.randn(3, 8, 8) for _ in range(4)]
clip = torch.stack(frames)  # shape: [?, 3, 8, 8] float32
steps = []
for i in range(3):
    steps.append(torch.randn(2, 5))
joined = torch.cat(steps, dim=1)  # shape: [2, 5*?] float32
steps[0] = torch.randn(7)
rejoined = torch.cat(steps)  # shape: unknown
