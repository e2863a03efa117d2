"""Incremental linting (the language server's) gives exactly a full lint's findings after every edit."""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
import pytest
from fixture_format import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchlint.context import RuleContext
from torchlint.engine import lint_source
from torchlint.incremental import ChunkCache, DocumentState, assemble
from torchlint.infer.traverse import nodes
from torchlint.rules import ALL_RULES
from torchlint.rules.base import Rule

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from lsp_latency import generate  # noqa: E402

FILES = [p for p in sorted(FIXTURES.glob("TL*/*.py")) if ".fixed" not in p.name] + sorted(
    (ROOT / "examples").rglob("*.py")
)
TEXTS = [p.read_text(encoding="utf-8") for p in FILES] + [generate(300)]
SNIPPETS = ["x", " ", "(", ")", ":", "torch.", "\n", "    ", "1", "#", '"', "def f():\n", "class C:\n", "return x\n",
            "import torch\n", "model = Net()\n", "nn.Module", "self.fc = nn.Linear(3, 4)\n"]  # fmt: skip


def edit(text: str, data: st.DataObject) -> str:
    """One random edit: insert, delete or replace a line (a copy of another line), or characters."""
    lines = text.splitlines(keepends=True) or [""]
    row = data.draw(st.integers(0, len(lines) - 1))
    kind = data.draw(st.sampled_from(["insert line", "delete line", "replace line", "insert", "delete"]))
    if kind == "insert line":
        lines.insert(row, data.draw(st.sampled_from(lines)))
    elif kind == "delete line":
        del lines[row]
    elif kind == "replace line":
        lines[row] = data.draw(st.sampled_from([*lines, *SNIPPETS]))
    else:
        line = lines[row]
        column = data.draw(st.integers(0, len(line)))
        if kind == "insert":
            lines[row] = line[:column] + data.draw(st.sampled_from(SNIPPETS)) + line[column:]
        else:
            lines[row] = line[:column] + line[column + data.draw(st.integers(1, 3)) :]
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(TEXTS), st.data())
def test_incremental_findings_equal_a_full_lint_after_every_edit(text: str, data: st.DataObject) -> None:
    state = DocumentState()
    for _ in range(data.draw(st.integers(1, 6))):
        assert state.lint(text, "doc.py", ALL_RULES, None) == lint_source(text, "doc.py", ALL_RULES)
        text = edit(text, data)
    assert state.lint(text, "doc.py", ALL_RULES, None) == lint_source(text, "doc.py", ALL_RULES)


def test_an_edit_inside_one_function_reanalyses_only_that_function() -> None:
    text = generate(400)
    state = DocumentState()
    state.lint(text, "doc.py", ALL_RULES, None)
    before = dict(state.stats)
    edited = text.replace("    total = 0.0\n", "    total = 1.0\n", 1)
    assert state.lint(edited, "doc.py", ALL_RULES, None) == lint_source(edited, "doc.py", ALL_RULES)
    analysed = state.stats["analysed"] - before["analysed"]
    replayed = state.stats["replayed"] - before["replayed"]
    assert 0 < analysed <= 3 < replayed


def test_pieces_put_together_equal_a_whole_parse() -> None:
    import libcst as cst

    for text in TEXTS:
        assembled = assemble(text, ChunkCache())
        if assembled is not None:
            assert assembled.module.deep_equals(cst.parse_module(text)), text[:80]


SUBCLASSED = """import torch
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.rand(3, 5))


class Sub(Base):
    def reset(self):
        pass
"""


def test_a_subclass_rebinding_an_attribute_reanalyses_the_base_class() -> None:
    """`Base.forward` trusts `self.fc` while one method binds it; an edit in another class (a subclass that
    rebinds it) changes that, though nothing in `Base` changed and it names nothing that did."""
    state = DocumentState()
    edited = SUBCLASSED.replace("        pass\n", "        self.fc = nn.Linear(5, 2)\n")
    for text in (SUBCLASSED, edited, SUBCLASSED):
        assert state.lint(text, "doc.py", ALL_RULES, None) == lint_source(text, "doc.py", ALL_RULES)
    assert lint_source(SUBCLASSED, "doc.py", ALL_RULES) != lint_source(edited, "doc.py", ALL_RULES)


# An edit in one function that changes what other, unchanged functions find, through a file-wide answer.
FILE_WIDE = {
    "a text a rule tests the whole file for": (
        "import torch\nimport torch.nn as nn\n\n\ndef f():\n    return 1\n\n\n"
        "def g():\n    model = nn.Linear(3, 2)\n    out = model(torch.rand(1, 3))\n    return out.numpy()\n",
        ("    return 1\n", "    return 1  # p.requires_grad = False\n"),
    ),
    "an in-place resize anywhere (the binding index's file-wide flags)": (
        "import torch\n\n\ndef f(w):\n    return w\n\n\n"
        "def g():\n    a = torch.rand(3, 4)\n    b = torch.rand(5, 6)\n    return a @ b\n",
        ("    return w\n", "    w.resize_(2)\n    return w\n"),
    ),
    "the name torch is imported as (written by fixes)": (
        "import torch\n\n\ndef g():\n    x = torch.Tensor(3)\n    return x\n",
        ("import torch\n", "import torch as T\nimport torch\n"),
    ),
    "a class defined in a function (it changes another class's attributes)": (
        "import torch\nimport torch.nn as nn\n\n\ndef f():\n    class Local(Base):\n        def reset(self):\n"
        "            pass\n\n    return Local\n\n\nclass Base(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n"
        "        return self.fc(torch.rand(3, 5))\n",
        ("            pass\n", "            self.fc = nn.Linear(5, 2)\n"),
    ),
}


@pytest.mark.parametrize(("text", "change"), FILE_WIDE.values(), ids=list(FILE_WIDE))
def test_file_wide_answers_changed_by_an_edit_are_not_replayed(text: str, change: tuple[str, str]) -> None:
    edited = text.replace(*change)
    assert lint_source(text, "doc.py", ALL_RULES) != lint_source(edited, "doc.py", ALL_RULES)
    state = DocumentState()
    for version in (text, edited, text):
        assert state.lint(version, "doc.py", ALL_RULES, None) == lint_source(version, "doc.py", ALL_RULES)


class CountsReturns(Rule):
    """A rule with a file-wide answer in the rules' cache that the incremental engine does not know."""

    code, name, summary = "TL999", "counts-returns", "test rule"

    def visit_Return(self, node: cst.Return, ctx: RuleContext) -> None:
        if "returns" not in ctx.cache:
            ctx.cache["returns"] = sum(isinstance(n, cst.Return) for n in nodes(ctx.module))
        ctx.report(node, f"one of {ctx.cache['returns']} returns")


def test_a_rule_caching_an_unknown_file_wide_answer_gets_a_full_analysis() -> None:
    text = "import torch\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n"
    edited = text.replace("    return 1\n", "    if torch:\n        return 0\n    return 1\n")
    state, rules = DocumentState(), [CountsReturns()]
    for version in (text, edited, text):
        assert state.lint(version, "doc.py", rules, None) == lint_source(version, "doc.py", rules)
