"""What a name was assigned, found syntactically, for questions the facts of the analysis do not record.

Rules use it to ask what a name *can* hold (a leaf tensor, a softmax output, an
`nn.Sequential(...)`): `assigned_values` gives every value assigned in the scope the
name resolves to (if they all agree, so does the value at any point), `reaching_value`
the one assignment that reaches a statement in straight-line code.
"""

from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.scope import all_params, dotted_name, target_names
from torchlint.infer.traverse import children, nodes

_FUNCTIONS = (cst.FunctionDef, cst.Lambda)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_NEW_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, *_COMPREHENSIONS)


class Unknown(Exception):
    """A binding that is not a plain `name = value` (a parameter, loop target, import, unpacking...)."""


def parents(ctx: RuleContext) -> dict[int, cst.CSTNode]:
    """Node id → parent node for the whole module (built once per file, on first use)."""
    cached = ctx.cache.get("parents")
    if cached is None:
        cached = {}
        stack: list[cst.CSTNode] = [ctx.module]
        while stack:
            node = stack.pop()
            for child in children(node):
                cached[id(child)] = node
                stack.append(child)
        ctx.cache["parents"] = cached
    return cached


def ancestors(node: cst.CSTNode, ctx: RuleContext) -> list[cst.CSTNode]:
    """The nodes enclosing `node`, innermost first."""
    table = parents(ctx)
    result = []
    parent = table.get(id(node))
    while parent is not None:
        result.append(parent)
        parent = table.get(id(parent))
    return result


def _own_nodes(scope: cst.CSTNode) -> list[cst.CSTNode]:
    """Nodes of a scope's body, not entering nested functions, classes or comprehensions."""
    body = scope.body if isinstance(scope, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) else scope
    return list(nodes(body, skip=_NEW_SCOPES))  # type: ignore[arg-type]


def _values_in(scope: cst.CSTNode, key: str, *, ignore_augmented: bool) -> list[cst.BaseExpression]:
    """Values assigned to `key` in `scope`'s own body; raises Unknown for any other kind of binding."""
    values: list[cst.BaseExpression] = []
    for node in _own_nodes(scope):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if key in target_names(target.target):
                    if dotted_name(target.target) != key:
                        raise Unknown
                    values.append(node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None and dotted_name(node.target) == key:
                values.append(node.value)
        elif isinstance(node, cst.AugAssign):
            if dotted_name(node.target) == key and not ignore_augmented:
                raise Unknown
        elif isinstance(node, (cst.For, cst.NamedExpr)):
            if key in target_names(node.target):
                raise Unknown
        elif isinstance(node, cst.WithItem):
            if node.asname is not None and key in target_names(node.asname.name):
                raise Unknown
        elif isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal, cst.Del)):
            if key.split(".", 1)[0] in _names_of(node):
                raise Unknown
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node is not scope and node.name.value == key:
            raise Unknown
    return values


def _names_of(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    if isinstance(node, cst.Import):
        for alias in node.names:
            target = alias.asname.name if alias.asname is not None else alias.name
            names.add((dotted_name(target) or "").split(".", 1)[0])  # type: ignore[arg-type]
    elif isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return {"*"}
        for alias in node.names:
            target = alias.asname.name if alias.asname is not None else alias.name
            names.add(dotted_name(target) or "")  # type: ignore[arg-type]
    elif isinstance(node, (cst.Global, cst.Nonlocal)):
        names.update(item.name.value for item in node.names)
    elif isinstance(node, cst.Del):
        names.update(n.split(".", 1)[0] for n in target_names(node.target))
    return names


def scope_binds(scope: cst.CSTNode, root: str) -> bool:
    if isinstance(scope, _FUNCTIONS) and root in {p.name.value for p in all_params(scope.params)}:
        return True
    body = scope.body if isinstance(scope, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) else scope
    return _rebinds(body, root)  # type: ignore[arg-type]


def assigned_values(
    expr: cst.BaseExpression, ctx: RuleContext, *, ignore_augmented: bool = False
) -> list[cst.BaseExpression] | None:
    """Every value the name `expr` (`x`, `self.fc`) is assigned where it resolves; None when unknowable.

    `self.attr` resolves to the assignments of every method of the enclosing class. None when
    the name is a parameter, a loop or `with` target, imported, unpacked, or never assigned.
    `ignore_augmented` skips `x += ...` bindings (an in-place update of the same value).
    """
    key = dotted_name(expr)
    if key is None:
        return None
    root = key.split(".", 1)[0]
    outer = ancestors(expr, ctx)
    if any(isinstance(n, _COMPREHENSIONS) and root in _comprehension_names(n) for n in outer):
        return None
    enclosing = [n for n in outer if isinstance(n, (*_FUNCTIONS, cst.ClassDef, cst.Module))]
    try:
        if "." in key:
            method = next((n for n in enclosing if isinstance(n, cst.FunctionDef)), None)
            if method is None or _first_param(method) != root:
                return None  # `model.encoder`: its value follows `model`'s, which this look-up does not track
            owner = enclosing[enclosing.index(method) + 1]
            if not isinstance(owner, cst.ClassDef):
                return None
            return _class_values(owner, key[len(root) :], ignore_augmented) or None
        for scope in enclosing:
            if isinstance(scope, cst.ClassDef):
                continue
            if isinstance(scope, _FUNCTIONS) and root in {p.name.value for p in all_params(scope.params)}:
                return None
            if scope_binds(scope, root):
                return _values_in(scope, key, ignore_augmented=ignore_augmented) or None
    except Unknown:
        return None
    return None


def _comprehension_names(node: cst.BaseComp | cst.DictComp) -> set[str]:
    names: set[str] = set()
    comp_for: cst.CompFor | None = node.for_in
    while comp_for is not None:
        names.update(target_names(comp_for.target))
        comp_for = comp_for.inner_for_in
    return names


def _first_param(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _class_values(owner: cst.ClassDef, suffix: str, ignore_augmented: bool) -> list[cst.BaseExpression]:
    values: list[cst.BaseExpression] = []
    for item in owner.body.body:
        if isinstance(item, cst.FunctionDef):
            self_name = _first_param(item)
            if self_name is not None:
                values.extend(_values_in(item, self_name + suffix, ignore_augmented=ignore_augmented))
    return values


def reaching_value(expr: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression | None:
    """The value of the plain name `expr` from the last `name = value` before its statement, in straight-line code.

    Only for a statement directly in a function's (or the module's) body, where every earlier
    statement runs before it: `x = self.fc(x)` then `return x`. None when the last statement
    binding the name does anything else (a branch, a loop, an unpacking) or there is none.
    """
    if not isinstance(expr, cst.Name):
        return None
    outer = ancestors(expr, ctx)
    index = next((i for i, n in enumerate(outer) if isinstance(n, cst.BaseStatement)), None)
    if index is None or index + 1 >= len(outer):
        return None
    statement, block = outer[index], outer[index + 1]
    if isinstance(block, cst.IndentedBlock):
        owner = outer[index + 2] if index + 2 < len(outer) else None
        if not isinstance(owner, cst.FunctionDef):
            return None
    elif not isinstance(block, cst.Module):
        return None
    body = list(block.body)
    position = next((i for i, s in enumerate(body) if s is statement), None)
    if position is None:
        return None
    for earlier in reversed(body[:position]):
        if not _rebinds(earlier, expr.value):
            continue
        if isinstance(earlier, cst.SimpleStatementLine) and len(earlier.body) == 1:
            small = earlier.body[0]
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Name) and target.value == expr.value:
                    return small.value
        return None
    return None


def _rebinds(root: cst.CSTNode, name: str) -> bool:
    """Does anything under `root` (not inside nested scopes) bind `name`?"""
    for node in nodes(root, skip=_NEW_SCOPES):
        if isinstance(node, cst.Assign):
            if any(name in target_names(t.target) for t in node.targets):
                return True
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For, cst.NamedExpr)):
            if name in target_names(node.target):
                return True
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            if name in target_names(node.asname.name):
                return True
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.name.value == name:
            return True
        elif isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal, cst.Del)):
            if name in _names_of(node) or "*" in _names_of(node):
                return True
    return False
