"""Positions from regenerating only the reported statements equal LibCST's whole-module positions."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from fixture_format import FIXTURES
from libcst.metadata import MetadataWrapper, PositionProvider

from torchlint.infer.traverse import nodes
from torchlint.positions import positions

ROOT = Path(__file__).resolve().parent.parent
TRICKY = '''"""Module docstring."""
# a header comment

import torch  # trailing


@decorator
# a comment between decorators
@other(1,
       2)
def f(x):  # c
    return x; y = 1


class C:

    a = 1
x = 1; y = torch.Tensor(3); z = (
    4,
)
if x:
    pass
elif y:
    pass
async def g():
    await h()
'''


def sources() -> list[tuple[str, str]]:
    files = sorted(FIXTURES.glob("TL*/*.py"))[:40] + sorted((ROOT / "torchlint").rglob("*.py"))[:20]
    return [(p.name, p.read_text(encoding="utf-8")) for p in files] + [
        ("tricky", TRICKY),
        ("crlf", TRICKY.replace("\n", "\r\n")),
    ]


@pytest.mark.parametrize(("name", "source"), sources(), ids=[n for n, _ in sources()])
def test_partial_positions_match_full(name: str, source: str) -> None:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    wanted = [n for statement in module.body for n in nodes(statement)]
    found = positions(module, ast.parse(source), wanted)
    mismatched = [n for n in wanted if found[n] != expected[n]]
    assert not mismatched, f"{len(mismatched)} nodes differ, first: {cst.Module([]).code_for_node(mismatched[0])!r}"


def test_only_needed_statements_are_regenerated() -> None:
    module = cst.parse_module(TRICKY)
    target = module.body[-3]  # the `x = 1; y = ...` line
    found = positions(module, ast.parse(TRICKY), [target])
    assert found[target].start.line == 18
    assert module.body[0] not in found


NESTED = """import torch


class Model(torch.nn.Module):
  def forward(self, x):  # two-space indents
    for i in range(3):
        with torch.no_grad():
            y = torch.Tensor(3); z = (
  1)
        # between
        while x:
            x = x - 1
    return x


@decorator

def f(a,
      b):
    if a:
        return torch.Tensor(a)
    try:
        pass
    except E:
        q = 1
"""


@pytest.mark.parametrize(("name", "source"), [*sources()[:10], ("nested", NESTED)], ids=lambda v: str(v)[:20])
def test_positions_of_inner_statements_match_full(name: str, source: str) -> None:
    """Only the innermost statement holding the wanted nodes is regenerated, at its own line and indent."""
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    tree = ast.parse(source)
    inner = [n for n in nodes(module) if isinstance(n, cst.SimpleStatementLine)][:60]
    for statement in inner:
        wanted = list(nodes(statement))[1:]
        found = positions(module, tree, wanted)
        assert [found[n] for n in wanted] == [expected[n] for n in wanted], module.code_for_node(statement)
