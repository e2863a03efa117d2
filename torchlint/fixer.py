"""Applying fixes to a source text: non-overlapping edits, re-linted until nothing more applies.

The CLI (`--fix`, `--diff`) and the language server's fix-all both come through here.
A fix that changes what a name holds (`Fix.rebinds`) is applied alone, and first: the other
findings were derived from that name's old facts, so they are re-linted before any of them
applies (as ruff isolates fixes, iterating up to its limit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import libcst as cst

from torchlint.diagnostics import UNPARSABLE, Applicability, Diagnostic, Fix, Position
from torchlint.engine import lint_source
from torchlint.infer.facts import Fact
from torchlint.rules.base import Rule
from torchlint.source import LINE_BREAK

MAX_PASSES = 100  # ruff's iteration limit; each fix that rebinds a name takes a pass of its own


def line_starts(source: str) -> list[int]:
    """Offsets where each line starts, breaking lines as the parser does (\\r\\n, \\r, \\n)."""
    return [0] + [m.end() for m in LINE_BREAK.finditer(source)]


def offset(starts: list[int], source: str, position: Position) -> int:
    if position.line > len(starts):
        return len(source)
    return min(starts[position.line - 1] + position.column - 1, len(source))


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


def apply_fixes(source: str, fixes: Iterable[Fix]) -> tuple[str, int]:
    """Apply every fix whose edits overlap no edit already taken; returns the text and how many applied."""
    starts = line_starts(source)
    taken: list[tuple[int, int, str]] = []
    applied = 0
    for fix in fixes:
        spans = [(offset(starts, source, e.start), offset(starts, source, e.end), e.replacement) for e in fix.edits]
        new = [span for span in spans if span not in taken]  # an identical edit (an added import) is shared
        if any(_overlaps(span, other) for span in new for other in taken):
            continue
        taken.extend(new)
        applied += 1
    for start, end, text in sorted(taken, key=lambda s: (s[0], s[1]), reverse=True):
        source = source[:start] + text + source[end:]
    return source, applied


def batch(candidates: list[Diagnostic]) -> list[Diagnostic]:
    """What one pass applies: the first fix that rebinds a name, alone; else every candidate."""
    for diagnostic in candidates:
        if diagnostic.fix is not None and diagnostic.fix.rebinds:
            return [diagnostic]
    return candidates


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True  # two different insertions at one point: their order would be arbitrary
    if a[0] < b[1] and b[0] < a[1]:
        return True
    return (a[0] == a[1] and b[0] < a[0] < b[1]) or (b[0] == b[1] and a[0] < b[0] < a[1])


def _parses(source: str) -> bool:
    try:
        cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    return True


@dataclass
class FixOutcome:
    source: str
    fixed: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)  # what remains after fixing

    def hidden_unsafe(self) -> int:
        return sum(1 for d in self.diagnostics if d.fix is not None and d.fix.applicability is Applicability.UNSAFE)


def fix_source(
    source: str,
    path: str,
    rules: Sequence[Rule],
    *,
    unsafe: bool = False,
    seed: dict[str, Fact] | None = None,
    options: Mapping[str, str] | None = None,
) -> FixOutcome:
    """Fix everything fixable, in passes, never producing a file that does not parse."""

    def lint(text: str) -> list[Diagnostic]:
        return lint_source(text, path, rules, seed=seed, options=options)

    current, fixed = source, 0
    refused: set[tuple[str, int, int]] = set()
    diagnostics = lint(current)
    for _ in range(MAX_PASSES):
        candidates = batch([d for d in diagnostics if applicable(d.fix, unsafe) and _key(d) not in refused])
        if not candidates:
            break
        new, applied = apply_fixes(current, [d.fix for d in candidates])  # type: ignore[misc]
        if not _parses(new):
            new, applied = _apply_one_by_one(current, candidates, refused)
        if applied == 0:
            break
        current, fixed = new, fixed + applied
        diagnostics = lint(current)
    remaining = [_note_refused(d) if _key(d) in refused else d for d in diagnostics]
    return FixOutcome(current, fixed, remaining)


def _key(d: Diagnostic) -> tuple[str, int, int]:
    return (d.code, d.start.line, d.start.column)


def _apply_one_by_one(source: str, candidates: list[Diagnostic], refused: set) -> tuple[str, int]:
    """The first fix that keeps the file parsable (the others are re-linted first); bad ones are refused."""
    for diagnostic in candidates:
        new, count = apply_fixes(source, [diagnostic.fix])  # type: ignore[list-item]
        if count and _parses(new):
            return new, 1
        refused.add(_key(diagnostic))
    return source, 0


def _note_refused(d: Diagnostic) -> Diagnostic:
    return replace(d, message=d.message + UNPARSABLE)
