"""Fixes that hand a loss the logits: drop the softmax or sigmoid that feeds it, where nothing else reads it.

Only what is visible in the loss's own file and scope chain is touched: the activation must be a call
(`torch.sigmoid(z)`, `z.softmax(dim=1)`) reached from the loss's input through shape-only methods,
indexing and names bound once and read once (`probs = torch.sigmoid(z)` then `bce(probs, y)`).
An activation inside a model's `forward` feeds every caller of the model, so it is never removed.
"""

from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.infer.evaluate import positional_args
from torchlint.infer.traverse import nodes
from torchlint.patterns.activation import SHAPE_ONLY
from torchlint.patterns.bindings import ancestors, assigned_values, scope_binds

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)
_DEPTH = 6


def drop_activation(
    activation: cst.CSTNode, loss_input: cst.BaseExpression, ctx: RuleContext
) -> fixes.PendingEdit | None:
    """The edit replacing the activation call by its input, when its output reaches only `loss_input`."""
    if not isinstance(activation, cst.Call) or not _feeds_only(loss_input, activation, ctx):
        return None
    inner = _activation_input(activation, ctx)
    if inner is None:
        return None
    text = fixes.code(inner)
    return fixes.replace(activation, text if isinstance(inner, _ATOMS) else f"({text})")


def used_once(name: cst.Name, ctx: RuleContext) -> bool:
    """Is `name` bound once and read once where it lives: the function binding it (nested code included),
    else the whole file? Any other occurrence of the identifier, an attribute's included, says no."""
    values = assigned_values(name, ctx)
    if values is None or len(values) != 1:
        return False
    scope = next(
        (n for n in ancestors(name, ctx) if isinstance(n, cst.FunctionDef) and scope_binds(n, name.value)), ctx.module
    )
    counts = ctx.cache.setdefault("name_counts", {})
    if id(scope) not in counts:
        found: dict[str, int] = {}
        for node in nodes(scope):
            if isinstance(node, cst.Name):
                found[node.value] = found.get(node.value, 0) + 1
        counts[id(scope)] = found
    return counts[id(scope)].get(name.value) == 2


def _feeds_only(expr: cst.BaseExpression, activation: cst.Call, ctx: RuleContext) -> bool:
    for _ in range(_DEPTH):
        if expr is activation:
            return True
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in SHAPE_ONLY:
            expr = expr.func.value
        elif isinstance(expr, cst.Subscript):
            expr = expr.value
        elif isinstance(expr, cst.Name) and used_once(expr, ctx):
            expr = assigned_values(expr, ctx)[0]  # type: ignore[index]
        else:
            return False
    return False


def _activation_input(call: cst.Call, ctx: RuleContext) -> cst.BaseExpression | None:
    """`z` of `torch.sigmoid(z)`, `F.softmax(z, dim=1)` or `z.sigmoid()`."""
    func = call.func
    if ctx.qualname(func) is None and isinstance(func, cst.Attribute):
        return func.value
    args = positional_args(call)
    return args[0].value if args else None
