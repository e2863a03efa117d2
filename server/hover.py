"""Hover: the rule documentation of a finding, and what torchlint inferred about a tensor name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from torchlint.diagnostics import Diagnostic, Position

if TYPE_CHECKING:
    from torchlint.api import TensorBinding

NAME = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
SEPARATOR = "\n\n---\n\n"
FENCE = re.compile(r"^\s*(```|~~~)")


def name_at(text: str, column: int) -> tuple[str, int, int] | None:
    """The dotted name under 0-based `column` of a line, cut after the part under it (`self.w` on the
    `w` of `self.w.data`), with its start and end columns."""
    for match in NAME.finditer(text):
        if match.start() <= column < match.end():
            dot = text.find(".", column, match.end())
            end = match.end() if dot == -1 else dot
            if end == match.start():
                return None
            return text[match.start() : end], match.start(), end
    return None


def binding_for(bindings: Sequence[TensorBinding], name: str, at: Position) -> TensorBinding | None:
    """The binding of `name` that starts last at or before `at`: its assignment, or the latest one above a use."""
    candidates = [b for b in bindings if b.name == name and b.start <= at]
    return max(candidates, key=lambda b: b.start, default=None)


def covers(diagnostic: Diagnostic, at: Position) -> bool:
    """Whether a finding's range holds `at` (an empty range holds its own position)."""
    return diagnostic.start <= at < diagnostic.end or diagnostic.start == at


def rule_documentation(code: str) -> str | None:
    from torchlint.docs import BUILTIN, explain  # the rules and LibCST: imported at the first hover
    from torchlint.rules import RULES_BY_CODE

    rule = RULES_BY_CODE.get(code)
    if rule is not None:
        return explain(rule)
    for builtin, name, summary in BUILTIN:
        if builtin == code:
            return f"# {code} {name}\n\n{summary}\n"
    return None


def plain(markdown: str) -> str:
    """Markdown for a client that shows hovers as plain text (eglot without markdown-mode): no fence lines,
    the code they held indented instead."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        else:
            lines.append(f"    {line}" if fenced and line else line)
    return "\n".join(lines)


def hover_text(
    findings: Sequence[Diagnostic], name: str | None, binding: TensorBinding | None, markdown: bool = True
) -> str | None:
    """The hovered spot, in Markdown or plain text: the tensor's facts first, then each finding's rule."""
    parts = []
    if name is not None and binding is not None:
        facts = f"{name}: {binding.describe()}"
        parts.append(f"```text\n{facts}\n```" if markdown else facts)
    for code in dict.fromkeys(d.code for d in findings):
        documentation = rule_documentation(code)
        if documentation is not None:
            parts.append((documentation if markdown else plain(documentation)).rstrip("\n"))
    return (SEPARATOR if markdown else "\n\n").join(parts) if parts else None
