"""A fast walk over LibCST trees.

`CSTNode.visit` rebuilds every node it passes (it is the transformer machinery), which
costs several times the parse.  Reading dataclass fields directly, and skipping the
whitespace and punctuation nodes no analysis looks at, keeps a full pass cheap.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterator

import libcst as cst

_PUNCTUATION = frozenset(
    {"lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header", "footer",
     "indent", "newline", "colon", "dot", "equal", "operator", "lbracket", "rbracket", "lbrace", "rbrace",
     "asynchronous", "arrow", "star_tok", "whitespace"}
)  # fmt: skip
_GETTERS: dict[type, Callable[[cst.CSTNode], tuple]] = {}
_NODE_TYPES: dict[type, bool] = {}


def _getter(cls: type) -> Callable[[cst.CSTNode], tuple]:
    """A function returning the child-holding fields of a node of `cls`, as one tuple (built once per class)."""
    names = tuple(
        f.name for f in dataclasses.fields(cls) if f.name not in _PUNCTUATION and not f.name.startswith("whitespace")
    )
    if not names:
        getter: Callable[[cst.CSTNode], tuple] = lambda node: ()  # noqa: E731
    elif len(names) == 1:
        single = operator.attrgetter(names[0])
        getter = lambda node: (single(node),)  # noqa: E731
    else:
        getter = operator.attrgetter(*names)
    _GETTERS[cls] = getter
    return getter


def _is_node(cls: type) -> bool:
    known = _NODE_TYPES.get(cls)
    if known is None:
        known = _NODE_TYPES[cls] = issubclass(cls, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    cls = type(node)
    getter = _GETTERS.get(cls) or _getter(cls)
    known = _NODE_TYPES
    result = []
    for value in getter(node):
        kind = type(value)
        if kind is tuple or kind is list:
            result.extend([item for item in value if known.get(type(item)) or _is_node(type(item))])
        elif known.get(kind) or (kind not in known and _is_node(kind)):
            result.append(value)
    return result


_LEAVE = object()


def walk(
    root: cst.CSTNode,
    enter: Callable[[cst.CSTNode], bool],
    leave: Callable[[cst.CSTNode], None] | None = None,
    leaving: frozenset[type] | None = None,
) -> None:
    """Pre-order walk without recursion; `enter` returns False to skip a node's children. `leave` is called
    after a node's children: for every node, or only for those of the `leaving` types."""
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if item is _LEAVE:
            leave(stack.pop())  # type: ignore[misc,arg-type]
            continue
        node: cst.CSTNode = item  # type: ignore[assignment]
        if not enter(node):
            continue
        if leave is not None and (leaving is None or type(node) in leaving):
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
