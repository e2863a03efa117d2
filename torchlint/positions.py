"""Line/column positions for the few nodes a run reports, without generating code for the whole module.

LibCST computes positions by regenerating the source of the entire module, which costs as much
as the parse. Findings sit in a handful of top-level statements; CPython's `ast` (already built
to check the syntax) gives each top-level statement's line, so only those statements are
regenerated, each starting at its own line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from torchlint.infer.traverse import nodes as walk_nodes


def _full(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def statement_lines(module: cst.Module, tree: ast.Module) -> list[int] | None:
    """The line where each top-level LibCST statement's own code (leading lines included) starts."""
    statements = iter(tree.body)
    lines = []
    for statement in module.body:
        try:
            if isinstance(statement, cst.SimpleStatementLine):
                first = next(statements)
                for _ in statement.body[1:]:
                    next(statements)
                line = first.lineno
            else:
                node = next(statements)
                decorators = getattr(node, "decorator_list", None)
                line = decorators[0].lineno if decorators else node.lineno
                if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.decorators:
                    line -= len(statement.decorators[0].leading_lines)
        except StopIteration:
            return None
        lines.append(line - len(statement.leading_lines))
    if next(statements, None) is not None:
        return None
    return lines


def positions(
    module: cst.Module, tree: ast.Module | None, wanted: Iterable[cst.CSTNode]
) -> Mapping[cst.CSTNode, CodeRange]:
    """Positions of (at least) the `wanted` nodes; every node's, the slow way, if `tree` does not line up."""
    starts = statement_lines(module, tree) if tree is not None else None
    if starts is None:
        return _full(module)
    pending = {id(node) for node in wanted}
    result: dict[cst.CSTNode, CodeRange] = {}
    for statement, line in zip(module.body, starts, strict=True):
        if not pending:
            break
        contained = {id(n) for n in walk_nodes(statement)} & pending
        if not contained:
            continue
        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent, default_newline=module.default_newline, provider=provider
        )
        state.line = line
        statement._codegen(state)
        result.update(provider._computed)
        pending -= contained
    if pending:  # a node outside the module's statements (the module itself, say)
        return _full(module)
    return result
