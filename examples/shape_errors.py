"""Shape mistakes torchlint finds before the first run; `torchlint shapes examples/shape_errors.py` shows shapes."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # computed for 32x32 images
        self.fc2 = nn.Linear(120, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))  # TL506: the images are 64x64, so x is [64, 2704]
        return self.fc2(x)


def attention():
    batch = torch.randn(8, 10, 64)
    keys = torch.randn(8, 12, 64)
    scores = batch @ keys  # TL501: keys must be transposed
    heads = torch.randn(8, 4, 10, 16)
    merged = heads.transpose(1, 2).view(8, 10, 64)  # TL507: view of transposed memory
    return scores, merged


def preprocess():
    images = torch.randn(16, 3, 28, 28)
    flat = images.reshape(16, 3 * 32 * 32)  # TL502: 2352 values per image, not 3072
    centered = images - images.mean(dim=(2, 3))  # TL504: mean without keepdim=True
    both = torch.cat([images, torch.randn(16, 1, 32, 32)], dim=1)  # TL503: 28 against 32
    probs = F.softmax(images.flatten(1), dim=2)  # TL505: the flattened images have two dims
    return flat, centered, both, probs


def loss_of(features):
    head = nn.Linear(32, 1)
    labels = torch.randint(0, 2, (16,)).float()
    logits = head(torch.randn(16, 32))
    return F.binary_cross_entropy_with_logits(logits, labels)  # TL508: [16, 1] against [16]


def regression_loss():
    head = nn.Linear(32, 1)
    targets = torch.randn(16)
    return F.mse_loss(head(torch.randn(16, 32)), targets)  # TL509: [16, 1] against [16] broadcast to [16, 16]


net = SmallNet()
out = net(torch.randn(64, 3, 64, 64))
