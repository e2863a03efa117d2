# Inline expectations: `# shape: SHAPE [DTYPE]` after an assignment states the shape (and dtype) torchlint
# must infer for each target, `;`-separated; `unknown` for a tensor of unknown shape, `none` for no tensor.
import torch
import torch.nn as nn
import torch.nn.functional as F

a = torch.randn(64, 3, 32, 32)  # shape: [64, 3, 32, 32] float32
b = torch.zeros((2, 3), dtype=torch.float64)  # shape: [2, 3] float64
c = torch.ones([4])  # shape: [4] float32
d = torch.full((2, 2), 7)  # shape: [2, 2] int64
e = torch.arange(10)  # shape: [10] int64
f = torch.arange(0.0, 1.0, 0.25)  # shape: [4] float32
g = torch.linspace(0, 1, steps=5)  # shape: [5] float32
h = torch.eye(3, 4)  # shape: [3, 4] float32
i = torch.randint(0, 10, (8, 2))  # shape: [8, 2] int64
j = torch.tensor([[1, 2, 3], [4, 5, 6]])  # shape: [2, 3] int64
k = torch.tensor([[1.0, 2], [3, 4]])  # shape: [2, 2] float32
flags = torch.tensor([True, False])  # shape: [2] bool
legacy = torch.Tensor([0, 1, 2])  # shape: [3] float32
legacy_sizes = torch.Tensor(2, 5)  # shape: [2, 5] float32
like = torch.zeros_like(i)  # shape: [8, 2] int64
new = a.new_ones(5, 5)  # shape: [5, 5] float32
sized = torch.empty(a.shape)  # shape: [64, 3, 32, 32] float32

# Arithmetic broadcasts; comparisons are bool; true division of ints is float.
s = a + torch.randn(3, 1, 1)  # shape: [64, 3, 32, 32] float32
t = torch.randn(5, 1) * torch.randn(1, 4)  # shape: [5, 4] float32
u = j > 2  # shape: [2, 3] bool
v = j / 2  # shape: [2, 3] float32
w = j * 2.5  # shape: [2, 3] float32

# Matrix products.
mm = torch.randn(2, 3) @ torch.randn(3, 4)  # shape: [2, 4] float32
mv = torch.randn(2, 3) @ torch.randn(3)  # shape: [2] float32
batched = torch.randn(7, 2, 3) @ torch.randn(3, 4)  # shape: [7, 2, 4] float32
broadcast_batch = torch.matmul(torch.randn(1, 2, 3), torch.randn(5, 3, 4))  # shape: [5, 2, 4] float32
dot = torch.dot(torch.randn(3), torch.randn(3))  # shape: [] float32
scores = torch.einsum("bqd,bkd->bqk", torch.randn(2, 5, 8), torch.randn(2, 7, 8))  # shape: [2, 5, 7] float32

# Reshaping, with one -1 resolved.
row = torch.arange(9)  # shape: [9] int64
square = row.reshape(3, 3)  # shape: [3, 3] int64
flat = a.view(64, -1)  # shape: [64, 3072] float32
flattened = torch.flatten(a, 1)  # shape: [64, 3072] float32
unflat = flat.unflatten(1, (3, -1))  # shape: [64, 3, 1024] float32
squeezed = torch.randn(2, 1, 3).squeeze(1)  # shape: [2, 3] float32
unsqueezed = c.unsqueeze(0)  # shape: [1, 4] float32
permuted = a.permute(0, 2, 3, 1)  # shape: [64, 32, 32, 3] float32
transposed = b.t()  # shape: [3, 2] float64
moved = a.movedim(1, -1)  # shape: [64, 32, 32, 3] float32
expanded = torch.randn(3, 1).expand(3, 4)  # shape: [3, 4] float32
repeated = c.repeat(2, 2)  # shape: [2, 8] float32

# Joining and splitting.
joined = torch.cat([b, b], dim=1)  # shape: [2, 6] float64
stacked = torch.stack([c, c, c])  # shape: [3, 4] float32
left, right = flat.chunk(2, dim=1)  # shape: [64, 1536] float32; [64, 1536] float32
first, second, third = torch.split(row, [2, 3, 4])  # shape: [2] int64; [3] int64; [4] int64

# Indexing: ints drop dims, slices keep them (steps count), None adds one, lists and masks are advanced.
picked = square[(0, 1), (2, 2)]  # shape: [2] int64
element = square[0, 0]  # shape: [] int64
column = a[:, 0]  # shape: [64, 32, 32] float32
strided = a[::2, :, 1:9:3]  # shape: [32, 3, 3, 32] float32
added = c[None, :, None]  # shape: [1, 4, 1] float32
last = a[..., -1]  # shape: [64, 3, 32] float32
rows = square[[0, 2]]  # shape: [2, 3] int64
masked = square[square > 4]  # shape: [?] int64

# Reductions.
total = a.sum()  # shape: [] float32
per_channel = a.mean(dim=(0, 2, 3))  # shape: [3] float32
kept = a.sum(dim=1, keepdim=True)  # shape: [64, 1, 32, 32] float32
best = flat.max(dim=1).values  # shape: [64] float32
labels = flat.argmax(1)  # shape: [64] int64
probs = F.softmax(flat, dim=-1)  # shape: [64, 3072] float32
counts = j.sum(0)  # shape: [3] int64
converted = j.float()  # shape: [2, 3] float32
halved = a.to(torch.float16)  # shape: [64, 3, 32, 32] float16

# Sizes flow through names: a name bound to an unknown int is a symbol.
batch = a.shape[0]
steps = len(row)
zeros = torch.zeros(batch, steps)  # shape: [64, 9] float32


def tokens(x: torch.Tensor):
    B, C, H, W = x.shape
    seq = x.reshape(B, C, H * W).transpose(1, 2)  # shape: [B, H*W, C]
    merged = seq.reshape(B * H * W, -1)  # shape: [B*H*W, C]
    pooled = F.max_pool2d(x, 3, 2)  # shape: [B, C, (H - 3)//2 + 1, (W - 3)//2 + 1]
    half = x[:, : C // 2]  # shape: [B, ?, H, W]
    width = x.size(-1)
    grid = torch.zeros(width, width)  # shape: [W, W] float32
    return seq, merged, pooled, half, grid


# Layers: configured in __init__, applied in forward; a call with a known input is analysed through forward.
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(16 * 16 * 16, 10)

    def forward(self, x):
        x = self.features(x)  # shape: [8, 16, 16, 16] float32
        x = x.flatten(1)  # shape: [8, 4096] float32
        return self.head(x)


net = Net()
logits = net(torch.randn(8, 3, 32, 32))  # shape: [8, 10] float32
conv = nn.Conv2d(3, 8, kernel_size=5, stride=2, padding=2)
conved = conv(a)  # shape: [64, 8, 16, 16] float32
lstm = nn.LSTM(32, 20, num_layers=2, batch_first=True)
out, (hn, cn) = lstm(torch.randn(4, 7, 32))  # shape: [4, 7, 20] float32; [2, 4, 20] float32; [2, 4, 20] float32
embedded = nn.Embedding(100, 16)(i)  # shape: [8, 2, 16] float32

# Branches keep what both sides agree on; loops forget what their body rebinds.
if len(__name__) > 3:
    branch = torch.zeros(2, 3)
    other = torch.zeros(2, 3)
else:
    branch = torch.ones(2, 3)
    other = torch.ones(3, 2)
after = branch + 1  # shape: [2, 3] float32
unsure = other + 1  # shape: unknown float32
for _ in range(3):
    grown = torch.zeros(1)
    grown = torch.cat([grown, grown])  # shape: [2] float32
n_items = len(__name__)
unknown_size = torch.zeros(n_items)  # shape: [n_items] float32
