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
