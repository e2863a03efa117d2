from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.infer.scope import dotted_name
from torchlint.rules.base import Rule

# Tensor properties and the type of value calling them tries to call.
_PROPERTIES = {
    "dtype": "torch.dtype",
    "shape": "torch.Size",
    "device": "torch.device",
    "layout": "torch.layout",
    "is_cuda": "bool",
    "is_leaf": "bool",
    "requires_grad": "bool",
    "is_sparse": "bool",
    "is_quantized": "bool",
    "is_meta": "bool",
    "ndim": "int",
    "itemsize": "int",
    "nbytes": "int",
    "T": "Tensor",
    "mT": "Tensor",
    "H": "Tensor",
    "mH": "Tensor",
    "data": "Tensor",
    "grad": "Tensor",  # or None before the first backward
    "real": "Tensor",
    "imag": "Tensor",
}
# What to write instead, where the property has a method counterpart.
_INSTEAD = {"shape": "`{x}.shape` (or the method `{x}.size()`)", "ndim": "`{x}.ndim` (or the method `{x}.dim()`)"}


class PropertyCalled(Rule):
    code = "TL104"
    name = "property-called"
    summary = "`x.dtype()`, `x.shape()`, `x.device()`... call a tensor property: TypeError, not callable"
    severity = Severity.ERROR
    what = (
        "Flags a call of a tensor property on a known tensor: `x.dtype()`, `x.shape()`, `x.device()`, "
        "`x.is_cuda()`, `x.T()`, `x.grad()`, `x.requires_grad()`, `x.data()`, `x.ndim()` and the other "
        "attributes that are values, not methods. `x.size()` and `x.dim()` are methods and fine."
    )
    why = (
        "A property returns its value (a `torch.dtype`, a `torch.Size`, a bool, a tensor); calling "
        "that value raises `TypeError: 'torch.dtype' object is not callable`. NumPy habits (`a.shape`) "
        "and the method `x.size()` make the call form an easy slip, and it fails only when the line runs."
    )
    example = "if x.dtype() == torch.float16:\n    x = x.float()"
    use_instead = "if x.dtype == torch.float16:\n    x = x.float()"
    confirmed = "TypeError: 'torch.dtype' object is not callable"
    fixable = True
    fix_safety = (
        "Safe: the call always raises TypeError, so dropping the parentheses (`x.dtype()` -> `x.dtype`) "
        "only removes the crash; `x.shape(d)` becomes the method `x.size(d)`, which returns `x.shape[d]`. "
        "A property called with arguments other than `shape`'s one dim has no fix: what was meant is not known."
    )
    requires = tuple(f"{name}(" for name in _PROPERTIES)

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _PROPERTIES:
            return
        if not ctx.fact(func.value).is_tensor:
            return
        prop = func.attr.value
        receiver = dotted_name(func.value) or "x"
        value_type = _PROPERTIES[prop]
        instead = _INSTEAD.get(prop, "`{x}." + prop + "`").format(x=receiver)
        ctx.report(
            node,
            f"`{prop}` is a tensor property, not a method: calling it raises "
            f"`TypeError: '{value_type}' object is not callable`; use {instead}",
            fix=_fix(node, func),
        )


def _fix(node: cst.Call, func: cst.Attribute) -> fixes.PendingFix | None:
    receiver = fixes.code(func.value)
    if not node.args:
        return fixes.fix(
            f"Use the property `.{func.attr.value}`", Applicability.SAFE, fixes.replace(node, fixes.code(func))
        )
    if func.attr.value == "shape" and len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
        dim = fixes.code(node.args[0].value)
        return fixes.fix(
            "Use the method `.size(dim)`", Applicability.SAFE, fixes.replace(node, f"{receiver}.size({dim})")
        )
    return None
