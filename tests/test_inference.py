"""Tensor facts, checked against inline comments in tests/inference_cases (mypy's reveal_type, inline).

`# reveal: DEVICE [grad]` states devices and gradients; `# shape: SHAPE [DTYPE]; ...` shapes and dtypes.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from torchlint.api import TensorBinding, inferred_facts

CASES = sorted((Path(__file__).parent / "inference_cases").glob("*.py"))
_REVEAL = re.compile(r"#\s*reveal:\s*(?P<facts>.+)$")
_SHAPE = re.compile(r"#\s*shape:\s*(?P<facts>.+)$")


def expectations(source: str, pattern: re.Pattern[str] = _REVEAL, separator: str = ",") -> dict[int, list[str]]:
    return {
        number: [part.strip() for part in match["facts"].split(separator)]
        for number, line in enumerate(source.splitlines(), 1)
        if not line.startswith("#") and (match := pattern.search(line))
    }


def _with(pattern: re.Pattern[str], separator: str) -> list[Path]:
    return [c for c in CASES if expectations(c.read_text(encoding="utf-8"), pattern, separator)]


def _compare(expected: dict[int, list[str]], actual: dict[int, list[str]]) -> list[str]:
    mismatches = []
    for line, facts in expected.items():
        found = actual.get(line, [])
        if facts == ["none"]:
            if found:
                mismatches.append(f"line {line}: expected no tensor, got {found}")
        elif found != facts:
            mismatches.append(f"line {line}: expected {facts}, got {found}")
    return mismatches


def test_every_case_has_expectations() -> None:
    for case in CASES:
        source = case.read_text(encoding="utf-8")
        assert expectations(source) or expectations(source, _SHAPE, ";"), f"{case.name} proves nothing"


@pytest.mark.parametrize("case", _with(_REVEAL, ","), ids=lambda c: c.name)
def test_revealed_facts(case: Path) -> None:
    source = case.read_text(encoding="utf-8")
    bindings: dict[int, list[str]] = {}
    for binding in inferred_facts(source):
        described = binding.device + (" grad" if binding.requires_grad else "")
        bindings.setdefault(binding.start.line, []).append(described)
    mismatches = _compare(expectations(source), bindings)
    assert not mismatches, "\n".join(mismatches)


def _shape_of(binding: TensorBinding) -> str:
    shape = "unknown" if binding.shape is None else "[" + ", ".join(str(d) for d in binding.shape) + "]"
    return shape + (f" {binding.dtype}" if binding.dtype else "")


@pytest.mark.parametrize("case", _with(_SHAPE, ";"), ids=lambda c: c.name)
def test_revealed_shapes(case: Path) -> None:
    source = case.read_text(encoding="utf-8")
    bindings: dict[int, list[str]] = {}
    for binding in inferred_facts(source):
        bindings.setdefault(binding.start.line, []).append(_shape_of(binding))
    mismatches = _compare(expectations(source, _SHAPE, ";"), bindings)
    assert not mismatches, "\n".join(mismatches)


_RUNS = "Runs under torch"


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _names(element)]
    return [target.id] if isinstance(target, ast.Name) else []


def _module_level_assignments(tree: ast.Module) -> dict[int, list[str]]:
    """Line → the names `a = ...` or `a, (b, c) = ...` binds outside functions and classes (so bound when the
    file has run), in the order of their `# shape:` facts."""
    found: dict[int, list[str]] = {}
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            found[stmt.lineno] = _names(stmt.targets[0])
        elif isinstance(stmt, (ast.With, ast.If, ast.For, ast.While, ast.Try)):
            pending.extend(stmt.body)
    return found


@pytest.mark.parametrize("case", [c for c in CASES if _RUNS in c.read_text(encoding="utf-8")], ids=lambda c: c.name)
def test_revealed_shapes_are_real(case: Path) -> None:
    """The known shapes a case states are the ones torch gives when the case runs."""
    torch = pytest.importorskip("torch")
    source = case.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "case"}
    exec(compile(source, str(case), "exec"), namespace)
    names = _module_level_assignments(ast.parse(source))
    checked = 0
    for line, facts in expectations(source, _SHAPE, ";").items():
        for name, stated in zip(names.get(line, []), facts, strict=False):
            if stated == "unknown":
                continue
            value = namespace[name]
            assert isinstance(value, torch.Tensor), f"line {line}: {name} is not a tensor"
            shape = "unknown" if stated.startswith("unknown") else "[" + ", ".join(str(d) for d in value.shape) + "]"
            real = f"{shape} {str(value.dtype).removeprefix('torch.')}" if " " in stated.split("]")[-1] else shape
            assert stated == real, f"line {line}: {name}: stated {stated}, torch gives {real}"
            checked += 1
    assert checked, f"{case.name} states no known shape at module level"


@pytest.mark.parametrize("case", [c for c in CASES if _RUNS in c.read_text(encoding="utf-8")], ids=lambda c: c.name)
def test_inferred_layouts_are_real(case: Path) -> None:
    """Every stride torchlint infers for a module-level tensor is the one torch gives (and its contiguity)."""
    torch = pytest.importorskip("torch")
    from shape_programs import layout_problems

    source = case.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "case"}
    exec(compile(source, str(case), "exec"), namespace)
    assigned = _module_level_assignments(ast.parse(source))
    bound = Counter(name for names in assigned.values() for name in names)
    problems: list[str] = []
    checked = 0
    for binding in inferred_facts(source):
        if binding.name not in assigned.get(binding.start.line, []) or bound[binding.name] != 1:
            continue  # rebound later: the namespace holds another value
        value = namespace[binding.name]
        if binding.strides is None or binding.shape is None or not isinstance(value, torch.Tensor):
            continue
        problems.extend(layout_problems(binding, value))
        checked += 1
    assert not problems, "\n".join(problems)
    if "Layouts" in source:
        assert checked >= 20, f"{case.name}: only {checked} layouts checked"
