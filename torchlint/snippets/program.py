"""A document's code as one Python program, with the way back to the document's own positions."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from torchlint.diagnostics import SYNTAX_ERROR_CODE, Diagnostic, Edit, Fix, Position, Severity


@dataclass(frozen=True)
class Origin:
    """Where one program line came from: a cell (notebooks) or None, the line there, and a column shift."""

    cell: int | None
    line: int
    column_offset: int = 0


@dataclass
class Program:
    text: str
    origins: list[Origin]  # one per program line
    displays: frozenset[int] = frozenset()  # program lines where a displayed expression starts
    problems: list[Diagnostic] = field(default_factory=list)  # blocks that do not parse
    analysed: int = 0  # cells or fences that were read as Python (parsed or not); the others are not code here

    def label(self, line: int) -> str:
        """How a message names a program line: `3`, or `3 of cell 2` in a notebook."""
        origin = self.origins[min(line, len(self.origins)) - 1]
        return str(origin.line) if origin.cell is None else f"{origin.line} of cell {origin.cell}"

    def to_document(self, diagnostic: Diagnostic) -> Diagnostic:
        """The finding in the document's coordinates (cell-relative for notebooks)."""
        origin = self.origins[min(diagnostic.start.line, len(self.origins)) - 1]
        start = self.position(diagnostic.start, origin.cell)
        end = self.position(diagnostic.end, origin.cell)
        fix = self._fix(diagnostic.fix, origin.cell) if diagnostic.fix else None
        alternatives = tuple(f for f in (self._fix(a, origin.cell) for a in diagnostic.alternatives) if f)
        return replace(diagnostic, start=start, end=end, cell=origin.cell, fix=fix, alternatives=alternatives)

    def position(self, position: Position, cell: int | None = None) -> Position:
        """A program position in the document (cell-relative in notebooks)."""
        return self._locate(position, cell)[1]

    def _locate(self, position: Position, cell: int | None) -> tuple[int | None, Position]:
        """(cell, position there). Column 1 of a cell's first line is also the end of the cell before:
        it is given to `cell` when that is the one it borders."""
        if position.line > len(self.origins):
            last = self.origins[-1]
            return last.cell, Position(last.line + 1, 1)
        origin = self.origins[position.line - 1]
        if position.column == 1 and position.line > 1 and origin.cell != cell:
            before = self.origins[position.line - 2]
            if before.cell == cell:
                return before.cell, Position(before.line + 1, 1)
        return origin.cell, Position(origin.line, position.column + origin.column_offset)

    def _fix(self, fix: Fix, cell: int | None) -> Fix | None:
        """A fix whose edits all stay in the finding's cell, in document coordinates; else None."""
        edits = []
        for edit in fix.edits:
            start_cell, start = self._locate(edit.start, cell)
            end_cell, end = self._locate(edit.end, cell)
            if start_cell != cell or end_cell != cell:
                return None
            edits.append(Edit(start, end, edit.replacement))
        return Fix(fix.title, fix.applicability, tuple(edits), fix.rebinds)


def syntax_problem(path: str, line: int, column: int, message: str, cell: int | None = None) -> Diagnostic:
    where = Position(line, column)
    return Diagnostic(
        path, SYNTAX_ERROR_CODE, "syntax-error", f"Syntax error: {message}", Severity.ERROR, where, where, cell=cell
    )


def parse_problem(code: str) -> tuple[int, int, str] | None:
    """(line, column, message) when `code` does not parse on its own, by CPython's parser."""
    try:
        ast.parse(code)
    except SyntaxError as error:
        return error.lineno or 1, max(error.offset or 1, 1), error.msg
    except (ValueError, RecursionError, MemoryError) as error:
        return 1, 1, str(error)
    return None


def displayed_lines(code: str, *, last_only: bool) -> list[int]:
    """Lines (1-based, in `code`) of top-level bare expressions that a REPL would display."""
    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    expressions = [s.lineno for s in body if isinstance(s, ast.Expr) and not isinstance(s.value, ast.Constant)]
    if last_only:
        return [body[-1].lineno] if body and isinstance(body[-1], ast.Expr) else []
    return expressions
