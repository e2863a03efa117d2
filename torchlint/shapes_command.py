"""`torchlint shapes FILE`: the source, each tensor assignment annotated with its inferred shape (like reveal_type)."""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst

from torchlint.api import inferred_facts


def annotate(source: str) -> str:
    """`source` with `# name: Tensor[...] dtype device` after each line that binds a tensor."""
    notes: dict[int, list[str]] = {}
    for binding in inferred_facts(source):
        notes.setdefault(binding.start.line, []).append(f"{binding.name}: {binding.describe()}")
    lines = []
    for number, line in enumerate(source.splitlines(), 1):
        lines.append(f"{line}  # {'; '.join(notes[number])}" if number in notes else line)
    return "\n".join(lines) + "\n"


def run(path: str) -> int:
    """Print the annotated file; 2 when it cannot be read or does not parse."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"torchlint: error: {error}", file=sys.stderr)
        return 2
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        print(f"torchlint: error: {path}: syntax error at line {error.editor_line}", file=sys.stderr)
        return 2
    sys.stdout.write(annotate(source))
    return 0
