# Inline expectations: `# reveal: DEVICE [grad]` after an assignment states the facts
# torchlint must infer for its target(s); `# reveal: none` that the target is not known to be a tensor.
import torch
import torch as t
import torch.nn as nn
from torch import Tensor, optim  # noqa: F401

a = torch.rand(3)  # reveal: cpu
b = torch.rand(3, device="cuda")  # reveal: cuda
c = a.cuda()  # reveal: cuda
d = a.to("cuda:1")  # reveal: cuda
e = c.cpu()  # reveal: cpu
f = t.zeros(2, device=torch.device("cuda"))  # reveal: cuda
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
g = a.to(device)  # reveal: maybe-cuda
h = g.detach()  # reveal: maybe-cuda
i = (g * 2 + a)[0]  # reveal: maybe-cuda
j, k = a.to(device), b.cpu()  # reveal: maybe-cuda, cpu
w = torch.randn(3, requires_grad=True)  # reveal: cpu grad
loss = (w * 2).sum()  # reveal: cpu grad
no_grad_copy = w.detach()  # reveal: cpu
use_cuda = not False and torch.cuda.is_available()
dev2 = "cuda" if use_cuda else "cpu"
m = torch.ones(2, device=dev2)  # reveal: maybe-cuda
n = torch.ones(2).to(a)  # reveal: cpu
o = torch.cat([b, b])  # reveal: cuda
p = a.to(torch.float16)  # reveal: cpu
q = torch.zeros_like(b)  # reveal: cuda
r = torch.tensor([1.0]).to(0)  # reveal: cuda


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)
        self.scale = nn.Parameter(torch.ones(1))  # reveal: cpu grad

    def forward(self, x):
        y = self.fc(x) * self.scale  # reveal: unknown grad
        return y


model = Net().to(device)
out = model(a.to(device))  # reveal: maybe-cuda grad
with torch.no_grad():
    pred = model(a)  # reveal: maybe-cuda
model.cpu()
later = model(a)  # reveal: cpu grad

if torch.cuda.is_available():
    s = a.cuda()
else:
    s = a  # reveal: cpu
u = s + 0  # reveal: maybe-cuda

if len(__name__) > 3:
    v = a.cuda()
else:
    v = a
x2 = v + 0  # reveal: unknown


def shadowed(torch):
    z = torch.rand(3)  # reveal: none
    return z


def uses_module_device(batch):
    moved = batch.to(device)  # reveal: none
    xs = torch.rand(2).to(device)  # reveal: maybe-cuda
    return moved, xs


def annotated(x: torch.Tensor, y: Tensor):
    z = x + y  # reveal: unknown
    return z


for step in range(3):
    before = a  # reveal: none
    a = a.cuda()  # reveal: none

# Images read or converted by torchvision are new CPU tensors.
import torchvision.io  # noqa: E402
import torchvision.transforms.functional as TF  # noqa: E402

pixels = [[0.5]]
image = TF.to_tensor(pixels)  # reveal: cpu
raw = torchvision.io.read_image("cat.png")  # reveal: cpu
