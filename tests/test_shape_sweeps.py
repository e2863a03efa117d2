"""Exhaustive small sweeps of the shape checker against torch (CPU), where the random programs of
test_shape_differential.py rarely reach every case.

- Layers and functions on inputs of every rank from 0 to 6. Each refuses a wrong rank in its own
  words: pooling kernels differ most (an IndexError for `avg_pool2d` on a matrix, a ValueError for
  an adaptive pool given a tuple of sizes; an all-ones adaptive average pool is a mean that takes
  any rank); attention checks query, key and value ranks.
- nll_loss and cross_entropy on every pair of input and target shapes, with class indices and with
  class probabilities.
- Indexing with ints, slices, None, Ellipsis and lists, 0-d tensors and empty ones included.
- torch.cat, hstack and vstack of every pair of ranks; torch.where of condition, input and other.

For each case: where torch raises, torchlint reports the expected code at that line with torch's
message (where the case is one torchlint claims to catch) or nothing; where torch runs, torchlint
reports nothing, and every shape it infers is the real one.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Collection

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from torchlint.api import inferred_facts, lint
from torchlint.rules import ALL_RULES

SHAPE_RULES = [rule for rule in ALL_RULES if rule.code.startswith("TL5") and rule.code != "TL509"]  # errors
HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"


def _sizes(shape: tuple[int, ...]) -> str:
    return ", ".join(map(str, shape)) or "()"


def _agree(setup: list[str], expr: str, codes: Collection[str], claimed: bool | tuple[str, ...] = True) -> None:
    """Run `y = expr` after `setup` (which binds no `y`) under torch and torchlint. `claimed`: whether
    torchlint must report torch's error (True, or where torch's message starts with one of these)."""
    namespace = {"torch": torch, "nn": nn, "F": F}
    exec("\n".join(setup), namespace)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real, error = tuple(eval(expr, namespace).shape), None
    except (RuntimeError, IndexError, ValueError, AssertionError) as raised:
        real, error = None, str(raised).split("\n", 1)[0]
    source = HEADER + "\n".join(setup) + f"\ny = {expr}\n"
    line = source.count("\n")
    findings = [(f.code, f.start.line, f.message) for f in lint(source, "<sweep>", SHAPE_RULES)]
    case = (setup, expr, error, findings)
    if error is None:
        assert findings == [], case
        inferred = [b.shape for b in inferred_facts(source) if b.name == "y"]
        assert inferred in ([real], [None]), (case, inferred, real)
        return
    must = claimed is True or (isinstance(claimed, tuple) and error.startswith(claimed))
    if findings or must:
        assert len(findings) == 1, case
        code, at, message = findings[0]
        assert code in codes and at == line and message.startswith(error.removesuffix(".")), case
        assert ".;" not in message, case


LAYER_CALLS = [
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
RANKS = [(), (3,), (2, 3), (2, 2, 3), (2, 2, 2, 3), (1, 2, 2, 2, 3), (1, 1, 2, 2, 2, 3)]


@pytest.mark.parametrize("call", LAYER_CALLS)
def test_layers_on_every_rank(call: str) -> None:
    for shape in RANKS:
        # A dim out of range may be the caller's (TL505) or the layer's own (TL506); anything else is TL506.
        _agree([f"x = torch.randn({_sizes(shape)})"], call, {"TL505", "TL506"})


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
def test_class_targets(call: str, target: str) -> None:
    for shape, target_shape in itertools.product(LOSS_SHAPES, repeat=2):
        setup = [f"x = torch.randn({_sizes(shape)})", f"t = {target.format(_sizes(target_shape))}"]
        _agree(setup, call, {"TL508"}, TARGET_SHAPE_ERRORS)


INDEX_SHAPES = [(), (3,), (3, 4), (2, 3, 4), (0, 2), (2, 0)]
INDEX_ITEMS = ["0", "-1", "2", "-4", "5", ":", "1:", "::2", "None", "...", "[0]", "[0, 2]", "[5]", "[-4, 1]"]


@pytest.mark.parametrize("shape", INDEX_SHAPES)
def test_indexing(shape: tuple[int, ...]) -> None:
    pairs = [", ".join(pair) for pair in itertools.product(INDEX_ITEMS, repeat=2)]
    for items in INDEX_ITEMS + pairs:
        if items.count("...") > 1:
            continue  # torch takes several; torchlint leaves them
        # Index lists of lengths that do not broadcast: torchlint stays silent.
        claimed = ("invalid index", "index", "slice()", "too many indices")
        _agree([f"x = torch.randn({_sizes(shape)})"], f"x[{items}]", {"TL505"}, claimed)


JOIN_SHAPES = [(), (3,), (2,), (1, 3), (2, 3), (2, 2), (2, 2, 3), (1, 2, 3)]


@pytest.mark.parametrize("join", ["torch.cat([a, b])", "torch.cat([a, b], dim=1)", "torch.hstack([a, b])",
                                  "torch.vstack([a, b])", "torch.stack([a, b])"])  # fmt: skip
def test_joins(join: str) -> None:
    for first, second in itertools.product(JOIN_SHAPES, repeat=2):
        setup = [f"a = torch.randn({_sizes(first)})", f"b = torch.randn({_sizes(second)}, dtype=torch.float64)"]
        _agree(setup, join, {"TL503", "TL505"})


WHERE_SHAPES = [(), (3,), (1,), (2, 3), (2, 1), (4, 1, 3), (3, 3)]


@pytest.mark.parametrize("form", ["torch.where(c > 0, a, b)", "a.where(c > 0, b)", "torch.where(c > 0, a, 0.0)"])
def test_where(form: str) -> None:
    for shapes in itertools.product(WHERE_SHAPES, repeat=3):
        setup = [f"{name} = torch.randn({_sizes(shape)})" for name, shape in zip("cab", shapes, strict=True)]
        _agree(setup, form, {"TL504"})


SPLIT_SHAPES = [(), (4,), (0,), (2, 4), (4, 3)]
SPLIT_SIZES = ["[4]", "[1, 3]", "[0, 4]", "[2, 2, 0]", "[1, 2]", "[5]", "[-1, 5]", "[3, -1]", "(2, 2)", "[3]"]


@pytest.mark.parametrize("dim", ["0", "1", "-1", "-2", "2"])
def test_split_sizes(dim: str) -> None:
    for shape, sizes in itertools.product(SPLIT_SHAPES, SPLIT_SIZES):
        setup = [f"x = torch.randn({_sizes(shape)})"]
        claimed = ("split_with_sizes", "Dimension out of range")
        _agree(setup, f"x.split({sizes}, {dim})[0]", {"TL502", "TL505"}, claimed)
        _agree(setup, f"torch.split(x, {sizes}, dim={dim})[-1]", {"TL502", "TL505"}, claimed)
