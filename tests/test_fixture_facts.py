"""No fact torchlint infers on a shape fixture differs from torch's: each TL5 fixture runs here, and every
module-level tensor it binds once (before the line that raises, in a bad fixture) has the inferred shape,
dtype and strides."""

from __future__ import annotations

import ast
import traceback
import warnings
from collections import Counter
from pathlib import Path

import pytest
from fixture_format import FIXTURES
from shape_programs import layout_problems

from torchlint.api import inferred_facts

SHAPE_FIXTURES = [p for p in sorted(FIXTURES.glob("TL5*/*.py")) if not p.name.endswith(".fixed.py")]


def _assigned_once(tree: ast.Module) -> dict[str, int]:
    """Module-level names bound exactly once, by a plain assignment, with its line."""
    lines: dict[str, int] = {}
    counts: Counter[str] = Counter()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.For) else []
        for target in targets:
            for name in [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]:
                counts[name] += 1
                lines[name] = node.lineno
    return {name: line for name, line in lines.items() if counts[name] == 1}


@pytest.mark.parametrize("path", SHAPE_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_inferred_facts_are_torchs(path: Path) -> None:
    torch = pytest.importorskip("torch")
    source = path.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "fixture"}
    failed_at = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, str(path), "exec"), namespace)
    except Exception as error:  # a bad fixture: facts hold up to the line that raises
        failed_at = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)][-1]
    once = _assigned_once(ast.parse(source))
    problems: list[str] = []
    for binding in inferred_facts(source):
        line = binding.start.line
        if once.get(binding.name) != line or (failed_at is not None and line >= failed_at):
            continue
        value = namespace.get(binding.name)
        if not isinstance(value, torch.Tensor) or binding.shape is None:
            continue
        real = tuple(value.shape)
        if len(real) != len(binding.shape) or any(
            isinstance(d, int) and d != r for d, r in zip(binding.shape, real, strict=True)
        ):
            problems.append(f"line {line}: {binding.name} shape {binding.shape}, real {real}")
            continue
        if binding.dtype is not None and str(value.dtype) != f"torch.{binding.dtype}":
            problems.append(f"line {line}: {binding.name} dtype {binding.dtype}, real {value.dtype}")
        if binding.strides is not None:
            problems.extend(layout_problems(binding, value))
    assert not problems, "\n".join(problems)
