"""The one finding record that every front (CLI, JSON, language server) renders."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

SYNTAX_ERROR_CODE = "TL001"
INTERNAL_ERROR_CODE = "TL002"
# Appended to a finding whose fix was not applied because the result would not parse.
UNPARSABLE = " (fix not applied: the fixed file would not parse)"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applicability(enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Position:
    """1-based line, 1-based column (in characters)."""

    line: int
    column: int


@dataclass(frozen=True)
class Edit:
    start: Position
    end: Position
    replacement: str


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]
    # Names whose value the fix changes (`x.to(d)` -> `x = x.to(d)`): findings derived from their old
    # facts are stale once it applies, so the fixer applies it alone and re-lints (see fixer.py).
    rebinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    path: str
    code: str
    name: str
    message: str
    severity: Severity
    start: Position
    end: Position
    fix: Fix | None = None
    # Further fixes offered by the editor only (e.g. `torch.zeros` beside `torch.empty`).
    alternatives: tuple[Fix, ...] = ()
    # Extra detail shown with --verbose (e.g. an internal traceback).
    detail: str | None = field(default=None, compare=False)
    # Notebooks: the 1-based code cell; `start`/`end` are then relative to that cell.
    cell: int | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.start.line, self.start.column, self.code)

    @property
    def location(self) -> str:
        """`path:line:col`, or `path:cell N:line:col` in a notebook."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.start.line}:{self.start.column}"

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "severity": self.severity.value,
            "line": self.start.line,
            "column": self.start.column,
            "end_line": self.end.line,
            "end_column": self.end.column,
            "fix_available": self.fix is not None,
            "cell": self.cell,
        }
