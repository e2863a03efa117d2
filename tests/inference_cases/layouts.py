# Layouts: inline `# shape:` expectations as in shapes.py. Runs under torch: test_inference.py checks the shapes
# there, and every stride torchlint infers for a module-level tensor against `Tensor.stride()`.
import torch
import torch.nn as nn

tokens = torch.randn(4, 5, 8)  # shape: [4, 5, 8] float32
gru = nn.GRU(8, 16, batch_first=True)
out, hidden = gru(tokens)  # shape: [4, 5, 16] float32; [1, 4, 16] float32
time_major = nn.LSTM(8, 16)
seq, (h_n, c_n) = time_major(tokens)  # shape: [4, 5, 16] float32; [1, 5, 16] float32; [1, 5, 16] float32
flat_seq = seq.view(4, -1)  # shape: [4, 80] float32
flat_out = out.reshape(4, -1)  # shape: [4, 80] float32
matrix = torch.randn(3, 4)  # shape: [3, 4] float32
columns = matrix.t()  # shape: [4, 3] float32
mask = columns.eq(0)  # shape: [4, 3] bool
shifted = columns + 1  # shape: [4, 3] float32
doubled = columns.double()  # shape: [4, 3] float64
every_other = torch.randn(4, 6)[:, ::2]  # shape: [4, 3] float32
negated = -every_other  # shape: [4, 3] float32
chosen = torch.where(columns > 0, columns, every_other)  # shape: [4, 3] float32
filled = columns.masked_fill(mask, 1.0)  # shape: [4, 3] float32
ordered = columns.sort(0).values  # shape: [4, 3] float32
tiled = torch.randn(3, 1).expand(3, 4)  # shape: [3, 4] float32
summed = tiled + matrix  # shape: [3, 4] float32
raveled = matrix.t().ravel()  # shape: [12] float32
attention = nn.MultiheadAttention(8, 2)
attended, weights = attention(tokens, tokens, tokens)  # shape: [4, 5, 8] float32; [5, 4, 4] float32
images = torch.randn(2, 3, 8, 8)  # shape: [2, 3, 8, 8] float32
features = nn.Conv2d(3, 4, 3)(images)  # shape: [2, 4, 6, 6] float32
embedded = nn.Embedding(10, 4)(torch.randint(0, 10, (2, 3)).t())  # shape: [3, 2, 4] float32
