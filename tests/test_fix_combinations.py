"""All fixes of a file applied together, then run under torch: the fixes never add a failure.

For every bad fixture (that runs without a GPU) and every example file:
- `--fix --unsafe-fixes` (every rule, every fix, iterated as the CLI does): the fixed program may
  raise only what the original raised at the same point (or what the fixture's `# fixed-runtime:`
  header says the fix makes it raise); `# pitfall` / `# after-fix:` lines are applied as for the
  single-rule snapshots;
- `--fix` (safe fixes only): behaviour is identical, output included, except that a crash may be
  gone; the run then goes on to its end, or to a crash at a line torchlint reported in the original.
Example files only define functions, so each comes with calls that drive them.
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

import pytest
from fixture_format import ROOT, parse
from program_batch import Outcome, Program, run_batch
from test_fix_snapshots import BAD, after_fix_program
from test_fixtures import TORCH

from torchlint.engine import lint_source
from torchlint.fixer import fix_source
from torchlint.rules import ALL_RULES

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# Statements run after each example file's definitions, each on its own (its outcome compared on its own).
_SETUP = "import os, tempfile\nimport torch\n"
DRIVERS = {
    "train_classifier.py": (
        _SETUP + "features, labels = make_data(4)",
        "print(evaluate(torch.randn(3, 8)))",
        "print(Scaler(2.0)(torch.ones(2)))",
        "loader = [(torch.randn(4, 8), torch.randint(0, 2, (4,)))] * 2\ntrain(Classifier(8, 2), loader, 1)",
        "finetune(Classifier(8, 2), [(torch.randn(4, 8), torch.randint(0, 2, (4,)))])",
    ),
    "more_pitfalls.py": (
        _SETUP + "print(collate([[1, 2], [3]], [0, 1]))",
        "batch = (torch.tensor([1, 2, 3]), torch.tensor([0, 2]), torch.tensor([1, 0]))\n"
        "model, history = train([batch], epochs=1)\nprint(len(history))",
        "print(calibrate(torch.tensor([30.0, -2.0]), torch.tensor([0.0, 0.0])))",
        "path = os.path.join(tempfile.mkdtemp(), 'm.pt')\n"
        "torch.save(TextClassifier(1000, 4).state_dict(), path)\nprint(serve([1, 2, 3], path).shape)",
        "print(export_embeddings(os.path.join(tempfile.mkdtemp(), 'e.npy')).shape)",
    ),
    "shape_errors.py": (_SETUP + "attention()", "preprocess()", "loss_of(None)"),
}
RUNNABLE_BAD = [p for p in BAD if parse(p).device != "cuda"]
CASES = [*RUNNABLE_BAD, *EXAMPLES]


def _fixed(path: Path, *, unsafe: bool) -> str:
    return fix_source(path.read_text(encoding="utf-8"), str(path), ALL_RULES, unsafe=unsafe).source


def _program(path: Path, source: str) -> Program:
    return Program(str(path), source, DRIVERS.get(path.name, ()) if path.parent.name == "examples" else ())


@cache
def _outcomes() -> dict[tuple[Path, str], list[Outcome]]:
    """Every case's original, safe-fixed and all-fixed run, in one torch process."""
    runs = []
    for path in CASES:
        original = path.read_text(encoding="utf-8")
        runs.append((path, "original", original))
        runs.append((path, "safe", _fixed(path, unsafe=False)))
        fixed = _fixed(path, unsafe=True)
        runs.append((path, "all", after_fix_program(fixed) if path.parent.name != "examples" else fixed))
    results = run_batch([_program(path, source) for path, _, source in runs], str(ROOT))
    return {(path, kind): outcome for (path, kind, _), outcome in zip(runs, results, strict=True)}


def corresponding_lines(before: str, after: str, line: int) -> set[int]:
    """The lines of `before` that line `line` of `after` comes from (a changed line: its whole changed block)."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if j1 <= line - 1 < j2:
            if tag == "equal":
                return {i1 + line - j1}
            return set(range(i1 + 1, i2 + 1)) or {i1, i1 + 1}
    return set()


def _same_point(original: Outcome, fixed: Outcome, before: str, after: str) -> bool:
    if original.type != fixed.type:
        return False
    if original.line is None or fixed.line is None:
        return original.line == fixed.line
    return original.line in corresponding_lines(before, after, fixed.line)


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


pytestmark = pytest.mark.skipif(not TORCH, reason="torch is not installed: the fixed programs run under it")


@pytest.mark.parametrize("path", CASES, ids=[_id(p) for p in CASES])
def test_all_fixes_together_add_no_failure(path: Path) -> None:
    before = path.read_text(encoding="utf-8")
    after = _fixed(path, unsafe=True)
    if path.parent.name != "examples":
        after = after_fix_program(after)
        expected = parse(path).after_fix().raises
    else:
        expected = None
    for index, (original, fixed) in enumerate(
        zip(_outcomes()[path, "original"], _outcomes()[path, "all"], strict=True)
    ):
        if fixed.type is None or _same_point(original, fixed, before, after):
            continue
        if index == 0 and expected is not None and fixed.type == expected[0] and expected[1] in fixed.message:
            continue
        where = "the program" if index == 0 else f"call {index}"
        pytest.fail(
            f"{where}: the fixed code raises {fixed.type} at line {fixed.line} ({fixed.message[:300]}); "
            f"the original: {original.type} at line {original.line}"
        )


@pytest.mark.parametrize("path", CASES, ids=[_id(p) for p in CASES])
def test_safe_fixes_together_keep_behaviour(path: Path) -> None:
    before = path.read_text(encoding="utf-8")
    after = _fixed(path, unsafe=False)
    reported = {d.start.line for d in lint_source(before, str(path), ALL_RULES)}
    for index, (original, fixed) in enumerate(
        zip(_outcomes()[path, "original"], _outcomes()[path, "safe"], strict=True)
    ):
        where = "the program" if index == 0 else f"call {index}"
        if _same_point(original, fixed, before, after):
            assert fixed.stdout == original.stdout, f"{where}: a safe fix changed the output"
            continue
        # A removed crash: the run goes on, to its end or to a crash torchlint reported in the original.
        assert original.type is not None, (
            f"{where}: a safe fix made a clean run raise {fixed.type} ({fixed.message[:300]})"
        )
        assert fixed.stdout.startswith(original.stdout), f"{where}: the output before the removed crash differs"
        if fixed.type is not None:
            lines = corresponding_lines(before, after, fixed.line) if fixed.line is not None else set()
            assert lines & reported, (
                f"{where}: after a removed crash, {fixed.type} at line {fixed.line} where nothing was reported "
                f"({fixed.message[:300]})"
            )


@pytest.mark.parametrize("path", EXAMPLES, ids=[_id(p) for p in EXAMPLES])
def test_examples_fixed_leave_no_fixable_finding(path: Path) -> None:
    fixed = _fixed(path, unsafe=True)
    assert [d.code for d in lint_source(fixed, str(path), ALL_RULES) if d.fix is not None] == []


def test_corresponding_lines() -> None:
    before = "a\nb\nc\n"
    assert corresponding_lines(before, "a\nb\nc\n", 2) == {2}
    assert corresponding_lines(before, "a\nwith x:\n    b\nc\n", 4) == {3}
    assert corresponding_lines(before, "a\nwith x:\n    b\nc\n", 3) == {2}
