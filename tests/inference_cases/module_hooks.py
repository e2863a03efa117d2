# A forward hook may replace a module's output: with one registered in the file, calls of the file's module
# classes are not analysed through forward. Runs under torch: test_inference.py checks the shapes there too.
import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


head = Head()
head.register_forward_hook(lambda module, inputs, output: output.t())
features = torch.randn(3, 4)  # shape: [3, 4] float32
scores = head(features)  # shape: unknown
