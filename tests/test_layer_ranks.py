"""Layers and functions called on inputs of every rank from 0 to 6, against torch (CPU).

Each refuses a wrong rank in its own words: pooling kernels differ most (an IndexError for
`avg_pool2d` on a matrix, a ValueError for an adaptive pool given a tuple of sizes, and an
all-ones adaptive average pool is a mean that takes any rank); attention checks query, key and
value ranks. For every call and rank: where torch raises,
torchlint reports TL506 at that line with torch's message; where it runs, torchlint reports
nothing and infers the real shape.
"""

from __future__ import annotations

import itertools
import warnings

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from torchlint.api import inferred_facts, lint
from torchlint.rules import ALL_RULES

SHAPE_RULES = [rule for rule in ALL_RULES if rule.code.startswith("TL5")]
CALLS = [
    "nn.MaxPool1d(1)(x)",
    "nn.MaxPool2d(1)(x)",
    "nn.MaxPool2d(2, 1, padding=1, ceil_mode=True)(x)",
    "nn.MaxPool3d(1)(x)",
    "nn.AvgPool1d(1)(x)",
    "nn.AvgPool2d(1)(x)",
    "nn.AvgPool3d(1)(x)",
    "nn.AdaptiveAvgPool1d(1)(x)",
    "nn.AdaptiveAvgPool2d(2)(x)",
    "nn.AdaptiveAvgPool2d((2, 1))(x)",
    "nn.AdaptiveAvgPool2d((1, 1))(x)",
    "nn.AdaptiveAvgPool3d(2)(x)",
    "nn.AdaptiveMaxPool1d(1)(x)",
    "nn.AdaptiveMaxPool2d(1)(x)",
    "nn.AdaptiveMaxPool2d((2, 1))(x)",
    "nn.AdaptiveMaxPool3d(1)(x)",
    "F.max_pool1d(x, 1)",
    "F.max_pool2d(x, 2, 1)",
    "F.avg_pool1d(x, 1)",
    "F.avg_pool2d(x, 1)",
    "F.adaptive_avg_pool2d(x, (2, 1))",
    "F.adaptive_avg_pool2d(x, 1)",
    "F.adaptive_max_pool2d(x, 1)",
    "nn.GroupNorm(1, 2)(x)",
    "nn.MultiheadAttention(3, 1)(x, x, x)[0]",
    "nn.MultiheadAttention(3, 1, batch_first=True)(x, x, x)[0]",
    "nn.MultiheadAttention(3, 1)(x, x, torch.randn(2, 3))[0]",
    "nn.Conv1d(2, 1, 1)(x)",
    "nn.Conv2d(2, 1, 1)(x)",
    "nn.Linear(3, 2)(x)",
    "nn.LayerNorm(3)(x)",
    "nn.BatchNorm1d(2)(x)",
    "nn.BatchNorm2d(2)(x)",
    "nn.Flatten()(x)",
    "nn.Softmax(dim=1)(x)",
    "nn.Embedding(4, 2)(torch.zeros_like(x, dtype=torch.long))",
    "nn.LSTM(3, 2)(x)[0]",
    "nn.GRU(3, 2, batch_first=True)(x)[0]",
]
SHAPES = [(), (3,), (2, 3), (2, 2, 3), (2, 2, 2, 3), (1, 2, 2, 2, 3), (1, 1, 2, 2, 2, 3)]


@pytest.mark.parametrize("call", CALLS)
def test_every_rank_agrees_with_torch(call: str) -> None:
    for shape in SHAPES:
        source = (
            "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
            f"x = torch.randn({', '.join(map(str, shape)) or '()'})\ny = {call}\n"
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                real = tuple(eval(call, {"torch": torch, "nn": nn, "F": F, "x": torch.randn(shape)}).shape)
            error = None
        except (RuntimeError, IndexError, ValueError, AssertionError) as raised:
            real, error = None, str(raised).split("\n", 1)[0]
        findings = [(f.code, f.start.line, f.message) for f in lint(source, "<rank>", SHAPE_RULES)]
        if error is not None:
            assert len(findings) == 1, (call, shape, error, findings)
            code, line, message = findings[0]
            # A dim out of range may be the caller's (TL505) or the layer's own (TL506); anything else is TL506.
            expected = {"TL505", "TL506"} if error.startswith("Dimension") else {"TL506"}
            assert code in expected and line == 5, (call, shape, findings)
            assert message.startswith(error), (call, shape, error, message)
        else:
            assert findings == [], (call, shape, findings)
            inferred = [b.shape for b in inferred_facts(source) if b.name == "y"]
            assert inferred == [real], (call, shape, inferred, real)


LOSSES = [
    "F.cross_entropy(x, t)",
    "F.nll_loss(x, t)",
    "nn.CrossEntropyLoss()(x, t)",
    "nn.NLLLoss(reduction='none')(x, t)",
]
LOSS_SHAPES = [(), (3,), (2,), (1,), (3, 4), (2, 4), (3, 1), (3, 5), (3, 4, 5), (3, 4, 6), (2, 4, 5), (3, 5, 2),
               (3, 4, 5, 2), (3, 5, 2, 2), (3, 4, 5, 2, 2)]  # fmt: skip
# torch's words for a target of the wrong shape, which torchlint must report (dtype errors it may leave).
TARGET_SHAPE_ERRORS = (
    "Expected input batch_size", "0D or 1D target tensor expected", "For 1D input, 1D target must have size 1",
    "Expected target size", "only batches of spatial targets supported", "Expected 1 or more dimensions",
)  # fmt: skip


@pytest.mark.parametrize("call", LOSSES)
@pytest.mark.parametrize("target", ["torch.zeros({}, dtype=torch.long)", "torch.rand({})"])
def test_class_targets_agree_with_torch(call: str, target: str) -> None:
    for shape, target_shape in itertools.product(LOSS_SHAPES, repeat=2):
        made = target.format(", ".join(map(str, target_shape)) or "()")
        lines = [f"x = torch.randn({', '.join(map(str, shape)) or '()'})", f"t = {made}"]
        source = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n" + "\n".join(lines) + "\n"
        namespace = {"torch": torch, "nn": nn, "F": F}
        exec("\n".join(lines), namespace)
        try:
            real, error = tuple(eval(call, namespace).shape), None
        except (RuntimeError, IndexError, ValueError) as raised:
            real, error = None, str(raised).split("\n", 1)[0]
        findings = [(f.code, f.start.line, f.message) for f in lint(source + f"y = {call}\n", "<loss>", SHAPE_RULES)]
        case = (call, shape, made, error, findings)
        if error is None:
            assert findings == [], case
            inferred = [b.shape for b in inferred_facts(source + f"y = {call}\n") if b.name == "y"]
            assert inferred in ([real], [None]), case
        elif findings or error.startswith(TARGET_SHAPE_ERRORS):
            assert len(findings) == 1 and findings[0][:2] == ("TL508", 6) and findings[0][2].startswith(error), case
