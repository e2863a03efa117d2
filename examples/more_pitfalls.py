"""A text classifier's training and serving code with more pitfalls torchlint catches (run `torchlint examples/`)."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class TextClassifier(nn.Module):
    def __init__(self, vocab: int, classes: int):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, 64)
        self.head = nn.Linear(64, classes)

    def forward(self, tokens, offsets):
        return F.softmax(self.head(self.embed(tokens, offsets)), dim=1)


def collate(token_lists, label_list):
    tokens = torch.tensor([t for ts in token_lists for t in ts])
    offsets = torch.tensor([0] + [len(ts) for ts in token_lists[:-1]]).cumsum(dim=0)
    labels = torch.LongTensor(label_list)  # TL106: dtype implied by the class
    return tokens, offsets, labels


def train(loader, epochs: int = 3):
    model = TextClassifier(1000, 4).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    temperature = torch.ones(1, requires_grad=True)
    history = []
    for _ in range(epochs):
        for tokens, offsets, labels in loader:
            optimizer.zero_grad()
            scores = model(tokens.to(device), offsets.to(device))
            loss = criterion(scores, labels.to(device))  # TL302: softmax, then CrossEntropyLoss's own
            loss.backward()
            optimizer.step()
            history.append(loss)  # TL204: keeps every iteration's graph
        for p in model.parameters():
            p.data.clamp_(-1.0, 1.0)  # TL206: invisible to autograd
    temperature.clamp_(min=0.05)  # TL205: in-place on a leaf that requires grad
    return model, history


def calibrate(logits: torch.Tensor, targets: torch.Tensor):
    probs = torch.sigmoid(logits)
    return F.binary_cross_entropy(probs, targets)  # TL303: use BCEWithLogitsLoss on the logits


def serve(token_ids, checkpoint_path):
    model = TextClassifier(1000, 4)
    model.load_state_dict(torch.load(checkpoint_path, weights_only=False))  # TL601: runs pickled code
    model.to(device)
    tokens = torch.tensor(token_ids)
    offsets = torch.tensor([0])
    return model(tokens, offsets)  # TL403: the model is on the GPU, the input is not


def export_embeddings(path):
    model = TextClassifier(1000, 4).to(device)
    table = torch.arange(10)
    offsets = torch.arange(10, device=device)
    table.to(device)  # TL107: the result is dropped
    print("table", table.shape())  # TL104: `shape` is not a method
    probs = model.forward(table, offsets)  # TL304: skips the module's hooks
    np.save(path, probs.numpy())  # TL203, TL401: the output requires grad and may be on the GPU
    return torch.permute(model.embed.weight.detach(), 1, 0)  # TL105: dims as one tuple
