"""How rules describe a fix: edits anchored on syntax nodes, resolved to positions by the engine.

A rule knows nodes, not columns; anchoring edits on nodes keeps every rule's fix code
declarative, and lets the engine turn them into line/column edits once positions exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from torchlint.diagnostics import Applicability

START, END, LINE_START, NEXT_LINE = "start", "end", "line_start", "next_line"
INDENT = "{indent}"  # replaced by the indentation of the anchor node's line


@dataclass(frozen=True)
class Anchor:
    node: cst.CSTNode
    at: str  # START | END of the node, LINE_START of its first line, NEXT_LINE after its last line


@dataclass(frozen=True)
class PendingEdit:
    start: Anchor
    end: Anchor
    text: str


@dataclass(frozen=True)
class PendingFix:
    title: str
    applicability: Applicability
    edits: tuple[PendingEdit, ...]
    rebinds: tuple[str, ...] = ()


def replace(node: cst.CSTNode, text: str) -> PendingEdit:
    return PendingEdit(Anchor(node, START), Anchor(node, END), text)


def insert_before(node: cst.CSTNode, text: str) -> PendingEdit:
    return PendingEdit(Anchor(node, START), Anchor(node, START), text)


def insert_after(node: cst.CSTNode, text: str) -> PendingEdit:
    return PendingEdit(Anchor(node, END), Anchor(node, END), text)


def insert_line_before(statement: cst.CSTNode, line: str) -> PendingEdit:
    """A new line, indented like `statement`, just above it."""
    return PendingEdit(Anchor(statement, LINE_START), Anchor(statement, LINE_START), INDENT + line + "\n")


def insert_line_after(statement: cst.CSTNode, line: str) -> PendingEdit:
    """A new line, indented like `statement`, just below it."""
    return PendingEdit(Anchor(statement, NEXT_LINE), Anchor(statement, NEXT_LINE), INDENT + line + "\n")


def delete_lines(statement: cst.CSTNode) -> PendingEdit:
    return PendingEdit(Anchor(statement, LINE_START), Anchor(statement, NEXT_LINE), "")


def append(expression: cst.BaseExpression, text: str) -> PendingEdit:
    """`text` (a method chain such as `.cpu()`) after `expression`, parenthesised where it binds looser."""
    if isinstance(expression, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        return insert_after(expression, text)
    return replace(expression, f"({code(expression)}){text}")


def wrap_in_block(statement: cst.SimpleStatementLine, header: str, body: str, unit: str) -> PendingEdit:
    """Replace the one-line `statement` by `header` (`with torch.no_grad():`) and `body` indented under it.

    `unit` is one level of the file's indentation (LibCST's `Module.default_indent`).
    """
    return PendingEdit(
        Anchor(statement, LINE_START), Anchor(statement, NEXT_LINE), f"{INDENT}{header}\n{INDENT}{unit}{body}\n"
    )


def single_line_statement(node: cst.CSTNode, parents: list[cst.CSTNode]) -> cst.SimpleStatementLine | None:
    """The statement line that is just `node` (`x += 1`, or a call `x.add_(1)`), written on one line."""
    if len(parents) < 2:
        return None
    small, line = (parents[0], parents[1]) if isinstance(node, cst.Call) else (node, parents[0])
    if isinstance(node, cst.Call) and not (isinstance(small, cst.Expr) and small.value is node):
        return None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or line.body[0] is not small:
        return None
    return line if "\n" not in statement_text(line) else None


def fix(title: str, applicability: Applicability, *edits: PendingEdit, rebinds: tuple[str, ...] = ()) -> PendingFix:
    """`rebinds`: the names whose value the fix changes (the fixer applies such a fix alone)."""
    return PendingFix(title, applicability, edits, rebinds)


def code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def statement_text(statement: cst.SimpleStatementLine) -> str:
    """A statement line as written, trailing comment included, without its indentation or newline."""
    return code(statement.with_changes(leading_lines=())).strip()
