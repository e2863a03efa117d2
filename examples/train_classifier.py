"""A small training script with the pitfalls torchlint is built to catch (run `torchlint examples/`)."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Classifier(nn.Module):
    def __init__(self, in_features: int, classes: int):
        self.hidden = nn.Linear(in_features, 32)  # TL301: before super().__init__()
        super().__init__()
        self.out = nn.Linear(32, classes)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


class Scaler(nn.Module):
    def __init__(self, factor: float):  # TL301: never calls super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def make_data(n: int):
    features = torch.Tensor(n, 8)  # TL102: uninitialised memory
    labels = torch.Tensor([0, 1] * (n // 2))  # TL101: float32 labels
    return features, labels.long()


def train(model, loader, epochs: int = 2):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            loss.backward()  # TL201: gradients never cleared
            optimizer.step()


def finetune(model, loader):
    optimizer = torch.optim.Adam(model.parameters())
    for x, y in loader:
        loss = F.cross_entropy(model(x.to(device)), y.to(device))
        loss.backward()
        optimizer.zero_grad()  # TL202: wipes the gradients before the step
        optimizer.step()


def evaluate(x):
    model = Classifier(8, 2).to(device)
    scores = model(x.to(device)).detach()
    confident = scores.where(scores > 0.9)  # TL103: `other` is missing
    for score in scores:  # TL402: one sync per element on a GPU
        print(float(score.max()))
    return np.asarray(confident), scores.numpy()  # TL401 twice: tensors on the GPU
