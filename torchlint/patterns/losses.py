"""Loss calls: `F.cross_entropy(input, target)`, `criterion(input, target)` with a known loss module."""

from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.evaluate import keyword_arg, positional_args
from torchlint.infer.facts import Kind


def loss_input(call: cst.Call, functional: str, module: str, ctx: RuleContext) -> cst.BaseExpression | None:
    """The `input` argument when `call` is `torch.nn.functional.<functional>(...)` or a `torch.nn.<module>` call."""
    qualname = ctx.qualname(call.func)
    if qualname != f"torch.nn.functional.{functional}":
        callee = ctx.fact(call.func)
        names = (f"torch.nn.{module}", f"torch.nn.modules.loss.{module}")
        if callee.kind is not Kind.MODULE or callee.qualname not in names:
            return None
    args = positional_args(call)
    if args:
        return args[0].value
    named = keyword_arg(call, "input")
    return named.value if named is not None else None
