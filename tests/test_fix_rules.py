"""Where a rule's fix is offered, and whether it is safe, beyond what the fixture snapshots show."""

from __future__ import annotations

import pytest

from torchlint.diagnostics import Applicability
from torchlint.engine import lint_source
from torchlint.rules import RULES_BY_CODE


def _fixes(source: str, code: str) -> list:
    return [d.fix for d in lint_source(source, "x.py", [RULES_BY_CODE[code]]) if d.code == code]


HEADER = "import torch\ndevice = 'cpu'\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("def f():\n    x = torch.ones(2)\n    x.to(device)\n    return x + 1\n", Applicability.SAFE),
        ("def f(x: torch.Tensor):\n    x.to(device)\n    return x + 1\n", Applicability.UNSAFE),
        ("def f():\n    x = torch.ones(2)\n    y = x\n    x.to(device)\n    return y\n", Applicability.UNSAFE),
        ("def f():\n    x = torch.ones(2)\n    x.to(device)\n    return x\n", Applicability.UNSAFE),
        ("def f(keep):\n    x = torch.ones(2)\n    keep.append(x)\n    x.to(device)\n", Applicability.UNSAFE),
        ("x = torch.ones(2)\nx.float()\nprint(x)\n", Applicability.UNSAFE),
        ("x = torch.ones(2)\nx.float()\nprint(x.sum())\n", Applicability.SAFE),
        ("x = torch.ones(2)\nx.float()\nz = x * 2\n", Applicability.SAFE),
    ],
)
def test_tl107_assign_back_safety(body: str, expected: Applicability) -> None:
    (fix,) = _fixes(HEADER + body, "TL107")
    assert fix is not None and fix.applicability is expected
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
