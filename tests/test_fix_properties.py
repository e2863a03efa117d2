"""Properties of `--fix` on random files made of fixture snippets and unrelated code."""

from __future__ import annotations

import difflib

import libcst as cst
from fixture_format import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchlint.engine import lint_source
from torchlint.fixer import apply_fixes, fix_source
from torchlint.rules import ALL_RULES

SNIPPETS = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("TL*/*.py")) if ".fixed" not in p.name]
UNRELATED = [
    "def helper(a, b=2):\n    return a * b  # unrelated\n",
    "class Config:\n    lr = 0.1\n    name = 'x'\n",
    "values = [i ** 2 for i in range(10)]\n",
    "# a comment line\n\n\n",
    "if __name__ == '__main__':\n    print('hi')\n",
    'text = """multi\nline\nstring"""\n',
    "try:\n    import numpy as np\nexcept ImportError:\n    np = None\n",
]

parts = st.lists(st.sampled_from(SNIPPETS) | st.sampled_from(UNRELATED), min_size=1, max_size=4)


def _parses(source: str) -> bool:
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError:
        return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts)
def test_fix_keeps_parsing_is_idempotent_and_stays_in_its_ranges(chunks: list[str]) -> None:
    source = "\n".join(chunks)
    assert _parses(source)
    fixed = fix_source(source, "random.py", ALL_RULES, unsafe=True)
    assert _parses(fixed.source)
    again = fix_source(fixed.source, "random.py", ALL_RULES, unsafe=True)
    assert again.source == fixed.source and again.fixed == 0

    # One pass: every line that changes lies inside some applied fix's edit range.
    fixes = [d.fix for d in lint_source(source, "random.py", ALL_RULES) if d.fix is not None]
    one_pass, _ = apply_fixes(source, fixes)
    touched = {line for fix in fixes for edit in fix.edits for line in range(edit.start.line, edit.end.line + 1)}
    before = source.splitlines()
    matcher = difflib.SequenceMatcher(a=before, b=one_pass.splitlines(), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            changed = set(range(i1 + 1, i2 + 1))
            assert changed <= touched, f"lines {sorted(changed - touched)} changed outside any fix"
