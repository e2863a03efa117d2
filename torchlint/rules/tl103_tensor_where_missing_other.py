from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.infer.evaluate import positional_args
from torchlint.rules.base import Rule


class TensorWhereMissingOther(Rule):
    code = "TL103"
    name = "tensor-where-missing-other"
    summary = "`x.where(cond)` and `torch.where(cond, x)` need `other`; only `torch.where(cond)` takes one argument"
    severity = Severity.ERROR
    what = (
        "Flags the method `x.where(cond)` with one argument on a tensor, and `torch.where(cond, x)` with exactly two."
    )
    why = (
        "`Tensor.where(condition, other)` requires `other` and raises TypeError without it. The "
        "one-argument form exists only as the function `torch.where(cond)`, which returns the "
        "indices where `cond` holds (like `nonzero(as_tuple=True)`), a different thing."
    )
    example = "clipped = scores.where(scores > 0)"
    use_instead = "clipped = scores.where(scores > 0, 0.0)  # or torch.where(scores > 0, scores, 0.0)"
    confirmed = "TypeError: where() received an invalid combination of arguments"
    requires = ("where",)
    fixable = True
    fix_safety = (
        'Unsafe: the fix passes `float("nan")` as `other` (`x.where(cond, float("nan"))`, '
        '`torch.where(cond, x, float("nan"))`): the value kept where `cond` holds and NaN elsewhere, '
        "what pandas' `where(cond)` (the usual source of the one-argument call) returns. The fill value "
        "is a guess: `0.0`, `-inf` or a tensor may be what was meant, and NaN turns an integer tensor "
        "into a float one. The fix never writes `torch.where(cond)`: that runs, but returns a tuple of "
        "index tensors, so every later use of the result would break."
    )

    def visit_Assign(self, node: cst.Assign, ctx: RuleContext) -> None:
        """Remember which name a call's result is bound to: the fix changes what that name holds."""
        targets = [t.target for t in node.targets]
        if len(targets) == 1 and isinstance(targets[0], cst.Name):
            ctx.cache.setdefault("tl103_targets", {})[id(node.value)] = targets[0].value

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        args = positional_args(node)
        keywords = [a for a in node.args if a.keyword is not None]
        if any(a.star for a in node.args) or keywords:
            return
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "where":
            if len(args) == 1 and ctx.fact(node.func.value).is_tensor:
                ctx.report(
                    node,
                    "`Tensor.where(condition, other)` needs `other`: this call raises TypeError; "
                    "pass the value to use where the condition is False",
                    fix=self._fill_nan(node, args[-1], ctx),
                )
                return
        if len(args) == 2 and ctx.qualname(node.func) == "torch.where":
            ctx.report(
                node,
                "`torch.where(cond, x)` raises TypeError: use `torch.where(cond, x, other)`, "
                "or `torch.where(cond)` for the indices",
                fix=self._fill_nan(node, args[-1], ctx),
            )

    def _fill_nan(self, node: cst.Call, last: cst.Arg, ctx: RuleContext) -> fixes.PendingFix:
        target = ctx.cache.get("tl103_targets", {}).get(id(node))
        return fixes.fix(
            'Pass `float("nan")` as `other` (keep the values where cond holds, NaN elsewhere)',
            Applicability.UNSAFE,
            fixes.insert_after(last.value, ', float("nan")'),
            rebinds=(target,) if target else (),
        )
