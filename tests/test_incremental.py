"""Incremental linting (the language server's) gives exactly a full lint's findings after every edit."""

from __future__ import annotations

import sys
from pathlib import Path

from fixture_format import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchlint.engine import lint_source
from torchlint.incremental import ChunkCache, DocumentState, assemble
from torchlint.rules import ALL_RULES

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


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
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
