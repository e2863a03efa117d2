"""Leaf tensors: values created by a factory or `nn.Parameter`, not computed by an operation."""

from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.torch_api import FACTORIES, LEGACY_CONSTRUCTORS
from torchlint.patterns.bindings import assigned_values

_PARAMETER = ("torch.nn.Parameter", "torch.nn.parameter.Parameter")
_ALIASING = ("as_tensor", "asarray")  # return their argument itself when it is already a tensor
_DETACHING = ("detach", "clone", "float", "double", "to", "cpu", "cuda", "contiguous")


def is_leaf_value(value: cst.BaseExpression, ctx: RuleContext) -> bool:
    """`nn.Parameter(...)`, `torch.zeros(..., requires_grad=True)`, `t.detach().requires_grad_()`."""
    if not isinstance(value, cst.Call):
        return False
    qualname = ctx.qualname(value.func)
    if qualname is not None:
        module, _, name = qualname.rpartition(".")
        factory = module == "torch" and name in FACTORIES and name not in _ALIASING
        return qualname in _PARAMETER or qualname in LEGACY_CONSTRUCTORS or factory
    func = value.func
    if isinstance(func, cst.Attribute) and func.attr.value == "requires_grad_":
        return _detached(func.value, ctx)
    return False


def _detached(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A value with no autograd history: a factory call, or a chain ending in `.detach()` (then copies)."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _DETACHING:
        if expr.func.attr.value == "detach":
            return True
        expr = expr.func.value
    return is_leaf_value(expr, ctx)


def is_leaf(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
    """Every value assigned to the name `expr` where it resolves is a leaf (in-place updates aside)."""
    values = assigned_values(expr, ctx, ignore_augmented=True)
    return values is not None and all(is_leaf_value(v, ctx) for v in values)
