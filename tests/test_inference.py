"""Tensor facts, checked against `# reveal:` comments in tests/inference_cases (mypy's reveal_type, inline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from torchlint.api import inferred_facts

CASES = sorted((Path(__file__).parent / "inference_cases").glob("*.py"))
_REVEAL = re.compile(r"#\s*reveal:\s*(?P<facts>.+)$")


def expectations(source: str) -> dict[int, list[str]]:
    return {
        number: [part.strip() for part in match["facts"].split(",")]
        for number, line in enumerate(source.splitlines(), 1)
        if not line.startswith("#") and (match := _REVEAL.search(line))
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_revealed_facts(case: Path) -> None:
    source = case.read_text(encoding="utf-8")
    expected = expectations(source)
    assert expected, "a case file without expectations proves nothing"
    bindings: dict[int, list[str]] = {}
    for binding in inferred_facts(source):
        described = binding.device + (" grad" if binding.requires_grad else "")
        bindings.setdefault(binding.start.line, []).append(described)
    mismatches = []
    for line, facts in expected.items():
        actual = bindings.get(line, [])
        if facts == ["none"]:
            if actual:
                mismatches.append(f"line {line}: expected no tensor, got {actual}")
        elif actual != facts:
            mismatches.append(f"line {line}: expected {facts}, got {actual}")
    assert not mismatches, "\n".join(mismatches)
