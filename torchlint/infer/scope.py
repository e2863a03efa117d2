"""Scopes: which names a block binds, and what each name holds at the current point.

Names are keyed by their dotted text, so `self.fc` and `model.encoder` are tracked
like plain names; rebinding `model` forgets every `model.*` key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator

import libcst as cst

from torchlint.infer.facts import UNKNOWN, Fact, join
from torchlint.infer.traverse import walk


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

    __slots__ = ("_dotted", "values")

    def __init__(self, values: dict[str, Fact] | None = None) -> None:
        self.values: dict[str, Fact] = values if values is not None else {}
        # The keys with a dot (`model.fc`), found when first needed: binding a name forgets its attributes
        # without a scan of every name (a module of thousands of names would make that quadratic).
        self._dotted: set[str] | None = None

    def copy(self) -> Env:
        return Env(dict(self.values))

    def get(self, key: str) -> Fact | None:
        return self.values.get(key)

    def bind(self, key: str, fact: Fact) -> None:
        self.forget(key)
        self.values[key] = fact
        if "." in key:
            self._dotted.add(key)  # type: ignore[union-attr]  # set by `forget`

    def forget(self, key: str) -> None:
        self.values.pop(key, None)
        dotted = self._dotted
        if dotted is None:
            dotted = self._dotted = {k for k in self.values if "." in k}
        dotted.discard(key)
        if dotted:
            prefix = key + "."
            for name in [k for k in dotted if k.startswith(prefix)]:
                del self.values[name]
                dotted.discard(name)

    def join(self, other: Env) -> Env:
        keys = self.values.keys() & other.values.keys()
        return Env({k: join(self.values[k], other.values[k]) for k in keys})

    def replace_with(self, other: Env) -> None:
        self.values = other.values
        self._dotted = None


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


def _function_names(node: cst.FunctionDef | cst.ClassDef) -> Iterator[str]:
    yield node.name.value


def _assign_names(node: cst.Assign) -> Iterator[str]:
    for target in node.targets:
        yield from target_names(target.target)


def _target_names(node: cst.AnnAssign | cst.AugAssign | cst.For | cst.NamedExpr) -> Iterator[str]:
    return target_names(node.target)


def _with_names(node: cst.WithItem) -> Iterator[str]:
    return target_names(node.asname.name) if node.asname is not None else iter(())


def _except_names(node: cst.ExceptHandler) -> Iterator[str]:
    return target_names(node.name.name) if node.name is not None else iter(())


def _import_names(node: cst.Import) -> Iterator[str]:
    for alias in node.names:
        yield from target_names(alias.asname.name) if alias.asname is not None else [_top_name(alias.name)]


def _import_from_names(node: cst.ImportFrom) -> Iterator[str]:
    if not isinstance(node.names, cst.ImportStar):
        for alias in node.names:
            yield from target_names(alias.asname.name if alias.asname is not None else alias.name)


def _declared_names(node: cst.Global | cst.Nonlocal) -> Iterator[str]:
    for item in node.names:  # written elsewhere too: never stable
        yield item.name.value
        yield item.name.value


_BINDERS = {
    cst.FunctionDef: _function_names, cst.ClassDef: _function_names, cst.Assign: _assign_names,
    cst.AnnAssign: _target_names, cst.AugAssign: _target_names, cst.For: _target_names,
    cst.NamedExpr: _target_names, cst.WithItem: _with_names, cst.ExceptHandler: _except_names,
    cst.Import: _import_names, cst.ImportFrom: _import_from_names, cst.Global: _declared_names,
    cst.Nonlocal: _declared_names,
}  # fmt: skip
_SCOPES = frozenset({cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp, cst.SetComp,
                     cst.DictComp, cst.GeneratorExp})  # fmt: skip
_LOOPS = frozenset({cst.For, cst.While})
# Calls after which a tensor's shape (or every float's dtype) is not what it was bound with.
_SHAPE_MUTATORS = frozenset(
    {"resize_", "resize_as_", "unsqueeze_", "squeeze_", "t_", "transpose_", "swapdims_", "swapaxes_", "set_",
     "as_strided_", "set_default_dtype", "set_default_tensor_type"}
)  # fmt: skip

# Hooks that may replace a module's input or output.
_HOOK_REGISTRARS = frozenset(
    {"register_forward_hook", "register_forward_pre_hook", "register_module_forward_hook",
     "register_module_forward_pre_hook"}
)  # fmt: skip


def _mutates_shapes(node: cst.Call) -> bool:
    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    return name in _SHAPE_MUTATORS or any(a.keyword is not None and a.keyword.value == "out" for a in node.args)


class BindingIndex:
    """One walk of the module: how often each scope binds each name, and what each loop rebinds."""

    def __init__(self, module: cst.Module | None, parts: list[BindingIndex] | None = None) -> None:
        """The index of `module`; or, with `parts` (`BindingIndex.of_statements` of each run of its
        top-level statements, in order), the same index put together from them."""
        self._scopes: dict[int, Counter[str]] = {}
        self._loops: dict[int, set[str]] = {}
        # For the shape checker: in-place resizes anywhere, attributes assigned on objects other than `self`,
        # and `setattr` calls (which may replace a module's layers).
        self.mutates_shapes = False
        self.attribute_writes: set[str] = set()
        self.dynamic_attributes = False
        self.hooks = False  # forward hooks registered: a module's output (or input) is not what forward says
        self.classes: list[cst.ClassDef] = []  # every class, at any depth, in source order
        # Each open scope with the loops open inside it.
        self._open: list[tuple[Counter[str], list[set[str]]]] = []
        self.module_counts: Counter[str] = Counter()  # bindings of the module scope (for `of_statements`)
        if parts is None:
            if module is not None:
                walk(module, self._enter, self._leave)
            return
        assert module is not None
        counts: Counter[str] = Counter()
        for part in parts:
            self._scopes.update(part._scopes)
            self._loops.update(part._loops)
            counts.update(part.module_counts)
            self.mutates_shapes = self.mutates_shapes or part.mutates_shapes
            self.attribute_writes |= part.attribute_writes
            self.dynamic_attributes = self.dynamic_attributes or part.dynamic_attributes
            self.hooks = self.hooks or part.hooks
            self.classes.extend(part.classes)
        self._scopes[id(module)] = counts

    @classmethod
    def of_statements(
        cls, statements: Iterable[cst.BaseStatement], visit: Callable[[cst.CSTNode], object] | None = None
    ) -> BindingIndex:
        """The share of some top-level statements in their module's index (the module scope's counts apart);
        `visit` is called with every node on the way, to save another walk."""
        index = cls(None)
        index._open.append((index.module_counts, []))
        enter = index._enter
        if visit is not None:

            def enter(node: cst.CSTNode) -> bool:
                visit(node)
                return index._enter(node)

        for statement in statements:
            walk(statement, enter, index._leave)
        index._open.pop()
        return index

    def classes_by_name(self) -> dict[str, list[cst.ClassDef]]:
        """The classes by name, as `patterns.modules.local_class` would find them walking the module."""
        table: dict[str, list[cst.ClassDef]] = {}
        for node in self.classes:
            table.setdefault(node.name.value, []).append(node)
        return table

    def summary(self) -> tuple:
        """What the index says about the whole file (as opposed to one scope or loop)."""
        return (self.mutates_shapes, frozenset(self.attribute_writes), self.dynamic_attributes, self.hooks)

    def scope(self, node: cst.CSTNode) -> Counter[str]:
        return self._scopes[id(node)]

    def loop(self, node: cst.For | cst.While) -> set[str]:
        return self._loops[id(node)]

    def _enter(self, node: cst.CSTNode) -> bool:
        cls = type(node)
        binder = _BINDERS.get(cls)
        if binder is not None and self._open:
            counts, loops = self._open[-1]
            for name in binder(node):
                counts[name] += 1
                for rebound in loops:
                    rebound.add(name)
                if "." in name:
                    root, _, attr = name.rpartition(".")
                    if attr == "data":
                        self.mutates_shapes = True
                    if root != "self":
                        self.attribute_writes.add(attr)
        elif cls is cst.Call:
            if not self.mutates_shapes and _mutates_shapes(node):  # type: ignore[arg-type]
                self.mutates_shapes = True
            func = node.func  # type: ignore[attr-defined]
            called = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if called == "setattr" and isinstance(func, cst.Name):
                self.dynamic_attributes = True
            elif called in _HOOK_REGISTRARS:
                self.hooks = True
            elif called == "register_buffer" and self._open:
                name = registered_buffer(node)  # type: ignore[arg-type]
                if name is not None:
                    self._open[-1][0][name] += 1  # binds `self.<name>`
        if cls in _SCOPES:
            if cls is cst.ClassDef:
                self.classes.append(node)  # type: ignore[arg-type]
            counts = Counter()
            if cls is cst.FunctionDef or cls is cst.Lambda:
                counts.update(p.name.value for p in all_params(node.params))  # type: ignore[attr-defined]
            self._scopes[id(node)] = counts
            self._open.append((counts, []))
        elif cls in _LOOPS:
            rebound: set[str] = set()
            self._loops[id(node)] = rebound
            self._open[-1][1].append(rebound)
        return True

    def _leave(self, node: cst.CSTNode) -> None:
        cls = type(node)
        if cls in _SCOPES:
            self._open.pop()
        elif cls in _LOOPS:
            self._open[-1][1].pop()


def registered_buffer(node: cst.Call) -> str | None:
    """`self.pe` for `self.register_buffer("pe", tensor)`; None for any other call."""
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "register_buffer"):
        return None
    owner = dotted_name(func.value)
    args = node.args
    if owner is None or len(args) < 2 or args[0].keyword is not None or not isinstance(args[0].value, cst.SimpleString):
        return None
    name = args[0].value.evaluated_value
    return f"{owner}.{name}" if isinstance(name, str) and name.isidentifier() else None


def _top_name(name: cst.BaseExpression) -> str:
    dotted = dotted_name(name) or ""
    return dotted.split(".", 1)[0]


def all_params(params: cst.Parameters) -> list[cst.Param]:
    result = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        result.append(params.star_arg)
    if params.star_kwarg is not None:
        result.append(params.star_kwarg)
    return result
