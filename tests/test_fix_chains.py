"""Fix chains: a fix that changes what a name holds is applied alone, and the rest re-linted after it."""

from __future__ import annotations

from torchlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Severity
from torchlint.fixer import batch, fix_source
from torchlint.rules import RULES_BY_CODE


def _finding(code: str, line: int, rebinds: tuple[str, ...] = ()) -> Diagnostic:
    edit = Edit(Position(line, 1), Position(line, 1), "# fixed\n")
    fix = Fix("fix", Applicability.SAFE, (edit,), rebinds)
    return Diagnostic("x.py", code, "name", "message", Severity.ERROR, Position(line, 1), Position(line, 1), fix)


def test_a_rebinding_fix_is_applied_alone() -> None:
    plain, rebinding, other = _finding("TL401", 1), _finding("TL107", 2, ("x",)), _finding("TL107", 3, ("y",))
    assert batch([plain, rebinding, other]) == [rebinding]
    assert batch([plain, _finding("TL104", 4)]) == [plain, _finding("TL104", 4)]


WHERE_THEN_NUMPY = """\
import numpy as np
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
scores = torch.randn(4, device=device)
confident = scores.where(scores > 0.9)
print(np.asarray(confident))
"""


def test_where_fix_then_numpy_fix_in_separate_passes() -> None:
    rules = [RULES_BY_CODE["TL103"], RULES_BY_CODE["TL401"]]
    outcome = fix_source(WHERE_THEN_NUMPY, "x.py", rules, unsafe=True)
    assert 'confident = scores.where(scores > 0.9, float("nan"))' in outcome.source
    assert "np.asarray(confident.cpu())" in outcome.source
    assert outcome.fixed == 2 and outcome.diagnostics == []


REPEAT_THEN_ACCUMULATE = """\
import torch
import torch.nn.functional as F

model = torch.nn.Linear(4, 1)
total = 0.0
for _ in range(3):
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    loss = F.mse_loss(model(x), y)
    loss.backward()
    loss.repeat(2)
    total += loss
"""


def test_accumulation_fix_is_chosen_on_the_rebound_name() -> None:
    """TL204 picks `.item()` for a scalar loss; once TL107 rebinds `loss` to two values, `.item()` would raise."""
    rules = [RULES_BY_CODE["TL107"], RULES_BY_CODE["TL204"]]
    outcome = fix_source(REPEAT_THEN_ACCUMULATE, "x.py", rules, unsafe=True)
    assert "    loss = loss.repeat(2)\n    total += loss.detach()\n" in outcome.source
    namespace: dict = {}
    exec(compile(outcome.source, "fixed.py", "exec"), namespace)  # the fixed program must run
    assert namespace["total"].shape == (2,)
