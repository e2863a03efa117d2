"""Scopes: which names a block binds, and what each name holds at the current point.

Names are keyed by their dotted text, so `self.fc` and `model.encoder` are tracked
like plain names; rebinding `model` forgets every `model.*` key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

import libcst as cst

from torchlint.infer.facts import UNKNOWN, Fact, join


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


class Env:
    """Name → Fact at one program point; copied at branches, joined where they meet."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Fact] | None = None) -> None:
        self.values: dict[str, Fact] = values if values is not None else {}

    def copy(self) -> Env:
        return Env(dict(self.values))

    def get(self, key: str) -> Fact | None:
        return self.values.get(key)

    def bind(self, key: str, fact: Fact) -> None:
        self.forget(key)
        self.values[key] = fact

    def forget(self, key: str) -> None:
        prefix = key + "."
        for name in [k for k in self.values if k == key or k.startswith(prefix)]:
            del self.values[name]

    def join(self, other: Env) -> Env:
        keys = self.values.keys() & other.values.keys()
        return Env({k: join(self.values[k], other.values[k]) for k in keys})

    def replace_with(self, other: Env) -> None:
        self.values = other.values


def join_all(envs: list[Env]) -> Env:
    result = envs[0]
    for env in envs[1:]:
        result = result.join(env)
    return result


class Scope:
    """A function, class or module body, with the names it binds and how often."""

    def __init__(self, kind: str, parent: Scope | None, bindings: Counter[str]) -> None:
        self.kind = kind  # "module", "function", "class"
        self.parent = parent
        self.bindings = bindings
        self.env = Env()
        self.final: Env | None = None  # the env once the body has been analysed
        self.no_grad = False

    def lookup(self, key: str) -> Fact:
        fact = self.env.get(key)
        if fact is not None:
            return fact
        root = key.split(".", 1)[0]
        if root in self.bindings or self.kind == "class":
            return UNKNOWN
        return self.outer_lookup(key)

    def outer_lookup(self, key: str) -> Fact:
        """A free name seen from a nested function: known only if bound once out there."""
        scope = self.parent
        while scope is not None and scope.kind == "class":
            scope = scope.parent
        if scope is None:
            return UNKNOWN
        root = key.split(".", 1)[0]
        if scope.bindings.get(root, 0) > 1:
            return UNKNOWN
        env = scope.final if scope.final is not None else scope.env
        fact = env.get(key)
        if fact is not None:
            return fact
        if root in scope.bindings:
            return UNKNOWN
        return scope.outer_lookup(key)


def target_names(target: cst.BaseExpression) -> Iterator[str]:
    """Every dotted name an assignment target binds."""
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)
    else:
        name = dotted_name(target)
        if name is not None:
            yield name


class _BindingCounter(cst.CSTVisitor):
    """Counts binding sites of names in one scope, not descending into nested scopes."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.depth = 0

    def _add(self, names: Iterable[str]) -> None:
        for name in names:
            self.counts[name] += 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.counts[node.name.value] += 1
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.counts[node.name.value] += 1
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return False

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return False

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return False

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._add(target_names(target.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._add(target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._add(target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self._add(target_names(node.target))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._add(target_names(node.asname.name))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._add(target_names(node.target))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._add(target_names(node.name.name))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self._add(target_names(alias.asname.name))
            else:
                self._add([_top_name(alias.name)])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            self._add(target_names(bound))

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.counts[item.name.value] += 2  # written elsewhere too: never stable

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self.counts[item.name.value] += 2


def _top_name(name: cst.BaseExpression) -> str:
    dotted = dotted_name(name) or ""
    return dotted.split(".", 1)[0]


def count_bindings(body: Iterable[cst.CSTNode], params: cst.Parameters | None = None) -> Counter[str]:
    counter = _BindingCounter()
    if params is not None:
        for param in all_params(params):
            counter.counts[param.name.value] += 1
    for node in body:
        node.visit(counter)
    return counter.counts


def all_params(params: cst.Parameters) -> list[cst.Param]:
    result = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        result.append(params.star_arg)
    if params.star_kwarg is not None:
        result.append(params.star_kwarg)
    return result
