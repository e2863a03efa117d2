# What a call of a module class of this file returns: its forward analysed with the call's inputs.
# Inline `# shape:` expectations as in shapes.py. Runs under torch: test_inference.py checks them there too.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, channels, width=8):
        super().__init__()
        self.conv = nn.Conv2d(channels, width, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block(3, width=4)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        x = self.pool(self.block(x))  # shape: [2, 4, 8, 8]
        x = x.flatten(1)
        if self.training:
            return self.head(x)
        return self.head(x)


net = Net()
images = torch.randn(2, 3, 16, 16)
logits = net(images)  # shape: [2, 10] float32
again = net.forward(images)  # shape: [2, 10] float32
block_out = Block(3)(images)  # shape: [2, 8, 16, 16] float32
with torch.no_grad():
    frozen = net(images)  # shape: [2, 10] float32
by_keyword = net(x=images)  # shape: unknown


class TwoWays(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x
        return x.t()


class MaybeNone(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x + 1


class OwnCall(nn.Module):
    def forward(self, x):
        return x

    def __call__(self, x):
        return x.t()


class Replaced(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj_replaced = nn.Linear(3, 3)

    def forward(self, x):
        return self.proj_replaced(x)


square = torch.randn(3, 3)
wide = torch.randn(2, 3)
either = TwoWays()(wide)  # shape: unknown float32
none_or_tensor = MaybeNone()(square)  # shape: unknown
own = OwnCall()(wide)  # shape: unknown
replaced = Replaced()
replaced.proj_replaced = nn.Linear(3, 5)
projected = replaced(wide)  # shape: unknown

# Under autocast, float results may be float16 or bfloat16: their dtypes are not known (nor, in forward
# above, the dtype its analyses for all calls agree on).
with torch.autocast("cpu"):
    mixed = net(images)  # shape: [2, 10]
    products = wide @ square  # shape: [2, 3]
counts = torch.zeros(2, 3, dtype=torch.long)
with torch.autocast("cpu"):
    still_long = counts + 1  # shape: [2, 3] int64


def doubled(forward):
    return lambda self, x: torch.cat([forward(self, x), forward(self, x)])


class Decorated(nn.Module):
    @doubled
    def forward(self, x):
        return x


twice = Decorated()(wide)  # shape: unknown


# A forward that returns a tuple: each element as forward computed it.
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 5, batch_first=True)
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        out, (h, c) = self.rnn(x)
        return self.head(out[:, -1]), (h, c), x.shape[0]


sequence = torch.randn(4, 7, 3)
prediction, (h_n, c_n), batch = Encoder()(sequence)  # shape: [4, 2] float32; [1, 4, 5] float32; [1, 4, 5] float32
