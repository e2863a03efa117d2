"""Does a tensor expression require grad?  The facts' answer, checked against what they do not model."""

from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.facts import Kind
from torchlint.patterns.bindings import ancestors, assigned_values
from torchlint.patterns.modules import PARAMETRIC_LAYERS, torch_layer

# Tensor methods (and torch functions) whose result never requires grad: integer, boolean or index results.
NON_DIFFERENTIABLE = frozenset(
    {"argmax", "argmin", "argsort", "long", "int", "bool", "byte", "char", "short", "eq", "ne", "lt", "le",
     "gt", "ge", "isnan", "isinf", "isfinite", "nonzero", "bucketize", "searchsorted", "logical_and",
     "logical_or", "logical_not", "logical_xor", "detach", "signbit", "equal", "multinomial", "randint_like"}
)  # fmt: skip
_FROZEN_MARKERS = ("requires_grad_(False)", "requires_grad = False", "requires_grad=False")
_GRAD_MODE_SWITCHES = (
    "torch.set_grad_enabled",
    "torch.autograd.set_grad_enabled",
    "torch.autograd.grad_mode.set_grad_enabled",
)


def grad_mode_switched(node: cst.CSTNode, ctx: RuleContext) -> bool:
    """Under `with torch.set_grad_enabled(...)`, or in a file that calls it as a statement: grad mode unknown."""
    if "set_grad_enabled" not in _source(ctx):
        return False
    for parent in ancestors(node, ctx):
        if isinstance(parent, cst.With) and any(_switches(item.item, ctx) for item in parent.items):
            return True
    return any(
        isinstance(stmt, cst.SimpleStatementLine)
        and any(isinstance(small, cst.Expr) and _switches(small.value, ctx) for small in stmt.body)
        for stmt in ctx.module.body
    )


def _switches(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
    return isinstance(expr, cst.Call) and ctx.qualname(expr.func) in _GRAD_MODE_SWITCHES


def requires_grad(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
    """True when `expr` is a tensor that certainly requires grad here (outside `no_grad`)."""
    fact = ctx.fact(expr)
    return fact.is_tensor and fact.requires_grad is True and _differentiable(expr, ctx, 4)


def _frozen_file(ctx: RuleContext) -> bool:
    """A file that freezes parameters somewhere: a model's output may not require grad."""
    cached = ctx.cache.get("frozen_file")
    if cached is None:
        code = _source(ctx)
        cached = any(marker in code for marker in _FROZEN_MARKERS)
        ctx.cache["frozen_file"] = cached
    return cached


def _source(ctx: RuleContext) -> str:
    """The file's text (generated once from the tree, on first use)."""
    cached = ctx.cache.get("source")
    if cached is None:
        cached = ctx.cache["source"] = ctx.module.code
    return cached


def _differentiable(expr: cst.BaseExpression, ctx: RuleContext, depth: int) -> bool:
    """False where the facts say "requires grad" but the expression cannot (an argmax, a frozen model...)."""
    if depth == 0:
        return True
    if isinstance(expr, cst.Call):
        return _call_differentiable(expr, ctx, depth)
    if isinstance(expr, (cst.Name, cst.Attribute)) and ctx.fact(expr).requires_grad is True:
        if isinstance(expr, cst.Attribute) and expr.attr.value in ("T", "mT", "H", "mH", "real", "imag"):
            return _differentiable(expr.value, ctx, depth - 1)
        values = assigned_values(expr, ctx)
        if values is None:
            return True
        return all(_differentiable(v, ctx, depth - 1) for v in values)
    if isinstance(expr, cst.BinaryOperation):
        return _differentiable(expr.left, ctx, depth - 1) or _differentiable(expr.right, ctx, depth - 1)
    if isinstance(expr, cst.Subscript):
        return _differentiable(expr.value, ctx, depth - 1)
    return True


def _call_differentiable(call: cst.Call, ctx: RuleContext, depth: int) -> bool:
    func = call.func
    qualname = ctx.qualname(func)
    if qualname is not None:
        return qualname.rsplit(".", 1)[-1] not in NON_DIFFERENTIABLE
    callee = ctx.fact(func)
    if callee.kind is Kind.MODULE:
        layer = torch_layer(callee)
        parametric = layer in PARAMETRIC_LAYERS or layer == "Sequential" if layer is not None else True
        if parametric and not _frozen_file(ctx):
            return True
        inputs = [a.value for a in call.args if a.keyword is None and not a.star]
        return any(ctx.fact(v).requires_grad is True and _differentiable(v, ctx, depth - 1) for v in inputs)
    if isinstance(func, cst.Attribute):
        if func.attr.value in NON_DIFFERENTIABLE:
            return False
        if ctx.fact(func.value).is_tensor:
            return _differentiable(func.value, ctx, depth - 1)
    return True
