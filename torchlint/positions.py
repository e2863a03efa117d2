"""Line/column positions for the few nodes a run reports, without generating code for the whole module.

LibCST computes positions by regenerating the source of the entire module, which costs as much
as the parse. Findings sit in a handful of statements; CPython's `ast` (already built to check
the syntax) gives each statement's line, so only the innermost statements holding reported nodes
are regenerated, each starting at its own line and indentation: the statements of a function's,
class's, loop's or `with`'s body are matched one to one with the body's `ast` statements.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from torchlint.infer.traverse import nodes as walk_nodes

# Compound statements whose (indented) body maps one to one onto the `body` of their `ast` counterpart.
_BODIES = (cst.FunctionDef, cst.ClassDef, cst.For, cst.While, cst.With)


def _full(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def body_lines(
    statements: Sequence[cst.BaseStatement], tree_body: Sequence[ast.stmt]
) -> list[tuple[int, ast.stmt]] | None:
    """For each LibCST statement: the line where its own code (leading lines included) starts, and its
    first `ast` statement; None where the two bodies do not line up."""
    found = iter(tree_body)
    lines = []
    for statement in statements:
        try:
            if isinstance(statement, cst.SimpleStatementLine):
                first = next(found)
                for _ in statement.body[1:]:
                    next(found)
                node, line = first, first.lineno
            else:
                node = next(found)
                decorators = getattr(node, "decorator_list", None)
                line = decorators[0].lineno if decorators else node.lineno
                if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.decorators:
                    line -= len(statement.decorators[0].leading_lines)
        except StopIteration:
            return None
        lines.append((line - len(statement.leading_lines), node))
    if next(found, None) is not None:
        return None
    return lines


def statement_lines(module: cst.Module, tree: ast.Module) -> list[int] | None:
    """The line where each top-level LibCST statement's own code (leading lines included) starts."""
    lines = body_lines(module.body, tree.body)
    return None if lines is None else [line for line, _ in lines]


def _generate(statement: cst.BaseStatement, line: int, indents: list[str], module: cst.Module, into: dict) -> None:
    provider = PositionProvider()
    state = PositionProvidingCodegenState(
        default_indent=module.default_indent, default_newline=module.default_newline, provider=provider
    )
    state.line = line
    state.indent_tokens = list(indents)
    statement._codegen(state)
    into.update(provider._computed)


def locate_in(
    statement: cst.BaseStatement,
    tree: ast.stmt,
    line: int,
    indents: list[str],
    wanted: set[int],
    module: cst.Module,
    into: dict,
) -> None:
    """Positions of the `wanted` nodes (ids, all inside `statement`), regenerating as little as possible."""
    body = getattr(statement, "body", None)
    tree_body = getattr(tree, "body", None)
    if isinstance(statement, _BODIES) and isinstance(body, cst.IndentedBlock) and isinstance(tree_body, list):
        inner = body_lines(body.body, tree_body)
        if inner is not None:
            parts = []
            for child, (child_line, child_tree) in zip(body.body, inner, strict=True):
                contained = {id(n) for n in walk_nodes(child)} & wanted
                if contained:
                    parts.append((child, child_tree, child_line, contained))
            if sum(len(p[3]) for p in parts) == len(wanted):  # none in the statement's own header or footer
                deeper = [*indents, body.indent if body.indent is not None else module.default_indent]
                for child, child_tree, child_line, contained in parts:
                    locate_in(child, child_tree, child_line, deeper, contained, module, into)
                return
    _generate(statement, line, indents, module, into)


def positions(
    module: cst.Module, tree: ast.Module | None, wanted: Iterable[cst.CSTNode]
) -> Mapping[cst.CSTNode, CodeRange]:
    """Positions of (at least) the `wanted` nodes; every node's, the slow way, if `tree` does not line up."""
    starts = body_lines(module.body, tree.body) if tree is not None else None
    if starts is None:
        return _full(module)
    pending = {id(node) for node in wanted}
    result: dict[cst.CSTNode, CodeRange] = {}
    for statement, (line, node) in zip(module.body, starts, strict=True):
        if not pending:
            break
        contained = {id(n) for n in walk_nodes(statement)} & pending
        if not contained:
            continue
        locate_in(statement, node, line, [], contained, module, result)
        pending -= contained
    if pending:  # a node outside the module's statements (the module itself, say)
        return _full(module)
    return result
