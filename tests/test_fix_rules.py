"""Where a rule's fix is offered, and whether it is safe, beyond what the fixture snapshots show."""

from __future__ import annotations

import pytest

from torchlint.diagnostics import Applicability
from torchlint.engine import lint_source
from torchlint.fixer import fix_source
from torchlint.rules import RULES_BY_CODE


def _fixes(source: str, code: str) -> list:
    return [d.fix for d in lint_source(source, "x.py", [RULES_BY_CODE[code]]) if d.code == code]


HEADER = "import torch\ndevice = 'cpu'\n"


@pytest.mark.parametrize(
    "body",
    [
        "def f():\n    x = torch.ones(2)\n    x.to(device)\n    return x + 1\n",
        "def f(x: torch.Tensor):\n    x.to(device)\n    return x + 1\n",
        "x = torch.ones(2)\nx.float()\nprint(x)\n",
    ],
)
def test_tl107_assign_back(body: str) -> None:
    (fix,) = _fixes(HEADER + body, "TL107")
    assert fix is not None and fix.applicability is Applicability.UNSAFE
    assert fix.rebinds == ("x",)


@pytest.mark.parametrize(
    "body",
    [
        "x = torch.ones(2)\ndef f():\n    x.to(device)\n",  # a global read: `x = ...` would make it local
        "x = [torch.ones(2)]\nx[0].to(device)\n",  # not a plain name
    ],
)
def test_tl107_no_fix(body: str) -> None:
    assert _fixes(HEADER + body, "TL107") == [None]


W = "import torch\nw = torch.ones(3, requires_grad=True)\n"


@pytest.mark.parametrize(
    ("line", "expected", "fixed"),
    [
        ("print(w.data.norm())\n", Applicability.SAFE, "print(w.detach().norm())\n"),
        ("copy = w.data\n", Applicability.UNSAFE, "copy = w.detach()\n"),
        (
            "with torch.no_grad():\n    w.data.zero_()\n",
            Applicability.UNSAFE,
            "with torch.no_grad():\n    w.zero_()\n",
        ),
        ("w.data.zero_()  # reset\n", Applicability.UNSAFE, "with torch.no_grad():\n    w.zero_()  # reset\n"),
    ],
)
def test_tl206_reads_and_writes(line: str, expected: Applicability, fixed: str) -> None:
    (fix,) = _fixes(W + line, "TL206")
    assert fix is not None and fix.applicability is expected
    assert fix_source(W + line, "x.py", [RULES_BY_CODE["TL206"]], unsafe=True).source == W + fixed


def test_tl205_fix_only_for_a_whole_one_line_statement() -> None:
    assert [f is not None for f in _fixes(W + "w.add_(1); print(w)\n", "TL205")] == [False]
    (fix,) = _fixes(W + "w.add_(1)\n", "TL205")
    assert fix is not None and fix.applicability is Applicability.UNSAFE


BCE = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nz = torch.randn(4)\ny = torch.rand(4)\n"


@pytest.mark.parametrize(
    ("body", "fixed"),
    [
        (
            "p = torch.sigmoid(z)\nloss = F.binary_cross_entropy(p, y)\n",
            "p = z\nloss = F.binary_cross_entropy_with_logits(p, y)\n",
        ),
        ("crit = nn.BCELoss()\nloss = crit(z.sigmoid(), y)\n", "crit = nn.BCEWithLogitsLoss()\nloss = crit(z, y)\n"),
        ("p = torch.sigmoid(z)\nloss = F.binary_cross_entropy(p, y)\nprint(p)\n", None),  # p has another use
        (  # another function's `p` is another variable
            "def f(z, y):\n    p = torch.sigmoid(z)\n    return F.binary_cross_entropy(p, y)\n\n\n"
            "def g(p):\n    return p\n",
            "def f(z, y):\n    p = z\n    return F.binary_cross_entropy_with_logits(p, y)\n\n\n"
            "def g(p):\n    return p\n",
        ),
        ("crit = nn.BCELoss()\nloss = crit(z.sigmoid(), y)\nother = crit(y, y)\n", None),  # so has crit
    ],
)
def test_tl303_only_where_the_sigmoid_and_the_loss_have_no_other_use(body: str, fixed: str | None) -> None:
    (fix,) = _fixes(BCE + body, "TL303")
    if fixed is None:
        assert fix is None
        return
    assert fix is not None and fix.applicability is Applicability.UNSAFE
    assert fix_source(BCE + body, "x.py", [RULES_BY_CODE["TL303"]], unsafe=True).source == BCE + fixed


def test_tl302_drops_the_softmax_only_where_nothing_else_reads_it() -> None:
    source = BCE + "t = torch.tensor([1, 0, 2, 1])\nlogits = torch.randn(4, 3)\n"
    fixed = fix_source(
        source + "loss = F.cross_entropy(logits.softmax(dim=1), t)\n", "x.py", [RULES_BY_CODE["TL302"]], unsafe=True
    )
    assert fixed.source.endswith("loss = F.cross_entropy(logits, t)\n")
    shared = "probs = F.softmax(logits, dim=1)\nloss = F.cross_entropy(probs, t)\npred = probs.argmax(1)\n"
    assert _fixes(source + shared, "TL302") == [None]


def test_tl104_shape_with_a_dim_becomes_size() -> None:
    source = "import torch\nx = torch.zeros(2, 3)\nn = x.shape(1)\nd = x.dtype(0)\n"
    fixed = fix_source(source, "x.py", [RULES_BY_CODE["TL104"]])
    assert fixed.source == "import torch\nx = torch.zeros(2, 3)\nn = x.size(1)\nd = x.dtype(0)\n"
    assert [d.fix for d in fixed.diagnostics] == [None]  # what `dtype(0)` meant is not known


def test_tl601_adds_weights_only_for_old_torch() -> None:
    source = "import torch\nstate = torch.load('m.pt', map_location='cpu')\n"
    options = {"target-torch-version": "2.4"}
    fixed = fix_source(source, "x.py", [RULES_BY_CODE["TL601"]], unsafe=True, options=options)
    assert fixed.source == "import torch\nstate = torch.load('m.pt', map_location='cpu', weights_only=True)\n"
    assert fixed.diagnostics == []
