"""A fast walk over LibCST trees.

`CSTNode.visit` rebuilds every node it passes (it is the transformer machinery), which
costs several times the parse.  Reading dataclass fields directly, and skipping the
whitespace and punctuation nodes no analysis looks at, keeps a full pass cheap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import libcst as cst

_PUNCTUATION = frozenset(
    {"lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header", "footer",
     "indent", "newline", "colon", "dot", "equal", "operator", "lbracket", "rbracket", "lbrace", "rbrace",
     "asynchronous", "arrow", "star_tok", "whitespace"}
)  # fmt: skip
_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _PUNCTUATION and not f.name.startswith("whitespace")
        )
        _FIELDS[cls] = names
    return names


_IS_NODE: dict[type, bool] = {}


def _is_node(cls: type) -> bool:
    known = _IS_NODE.get(cls)
    if known is None:
        known = _IS_NODE[cls] = issubclass(cls, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    result = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        cls = type(value)
        if cls is tuple or cls is list:
            result.extend(item for item in value if _is_node(type(item)))
        elif _is_node(cls):
            result.append(value)
    return result


_LEAVE = object()


def walk(
    root: cst.CSTNode,
    enter: Callable[[cst.CSTNode], bool],
    leave: Callable[[cst.CSTNode], None] | None = None,
) -> None:
    """Pre-order walk without recursion; `enter` returns False to skip a node's children."""
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if item is _LEAVE:
            leave(stack.pop())  # type: ignore[misc,arg-type]
            continue
        node: cst.CSTNode = item  # type: ignore[assignment]
        if not enter(node):
            continue
        if leave is not None:
            stack.append(node)
            stack.append(_LEAVE)
        stack.extend(reversed(children(node)))


def nodes(root: cst.CSTNode, *, skip: tuple[type, ...] = ()) -> Iterator[cst.CSTNode]:
    """Every node below (and including) `root` in source order, not entering `skip` types below it."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if node is not root and isinstance(node, skip):
            continue
        stack.extend(reversed(children(node)))
