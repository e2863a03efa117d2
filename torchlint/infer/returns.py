"""Whether a module class's `forward` may return something other than one tensor, read from its source.

Calling an instance of a module class of the analysed file is taken to give a tensor on the
module's device only where `forward` cannot return a container: feature extractors for style
transfer return a list of tensors, detection heads a tuple or dict. Iterating such a result is
iterating a Python list, not a CUDA tensor; when the source leaves it open, the call's result is
unknown. So is one whose `forward` returns a moved or converted value (`return logits.cpu()`).
"""

from __future__ import annotations

import libcst as cst

from torchlint.infer.scope import target_names
from torchlint.infer.traverse import nodes

_CONTAINERS = (cst.Tuple, cst.List, cst.Dict, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_CONTAINER_CALLS = frozenset({"list", "tuple", "dict", "set", "OrderedDict", "namedtuple", "zip", "map"})
_GROWING = frozenset({"append", "extend", "insert", "update"})
_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# Methods whose result is not on the module's device (or not a tensor at all).
_LEAVING_DEVICE = frozenset({"cpu", "cuda", "to", "numpy", "tolist", "item", "type"})


def forward_of(cls: cst.ClassDef) -> cst.FunctionDef | None:
    """The class body's own `forward` (the last one defined, as Python binds it)."""
    found = None
    for item in cls.body.body:
        if isinstance(item, cst.FunctionDef) and item.name.value == "forward":
            found = item
    return found


def may_return_container(function: cst.FunctionDef) -> bool:
    """Can `function` return anything but a single value that is not a container built in its body?

    True when it yields, returns nothing on some path it spells out (`return` alone), returns a tuple,
    list, dict or set display or comprehension, a `list(...)`/`dict(...)`-like call, or a name that it
    binds to one of those or grows with `.append(...)`.
    """
    own = list(nodes(function.body, skip=_NESTED))
    containers: set[str] = set()
    for node in own:
        if isinstance(node, (cst.Yield, cst.Await)):
            return True
        if isinstance(node, cst.Assign) and _is_container(node.value):
            for target in node.targets:
                containers.update(target_names(target.target))
        elif isinstance(node, cst.AnnAssign) and node.value is not None and _is_container(node.value):
            containers.update(target_names(node.target))
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in _GROWING and isinstance(node.func.value, cst.Name):
                containers.add(node.func.value.value)
    for node in own:
        if isinstance(node, cst.Return):
            value = node.value
            if value is None or _is_container(value):
                return True
            if isinstance(value, cst.Name) and value.value in containers:
                return True
    return False


def returns_elsewhere(function: cst.FunctionDef) -> bool:
    """Does `function` return a value it moved or converted (`return out.cpu()`, `.to(...)`, `.tolist()`)?"""
    for node in nodes(function.body, skip=_NESTED):
        if isinstance(node, cst.Return) and isinstance(node.value, cst.Call):
            func = node.value.func
            if isinstance(func, cst.Attribute) and func.attr.value in _LEAVING_DEVICE:
                return True
    return False


def _is_container(value: cst.BaseExpression) -> bool:
    if isinstance(value, _CONTAINERS):
        return True
    if isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Attribute):
            return func.attr.value in _CONTAINER_CALLS
        return isinstance(func, cst.Name) and func.value in _CONTAINER_CALLS
    return False
