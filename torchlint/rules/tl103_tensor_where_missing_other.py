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
        "Unsafe: `x.where(cond)` becomes `torch.where(cond)`, which runs but returns the indices where "
        "`cond` holds, not a masked tensor; only a person knows which was meant. `torch.where(cond, x)` "
        "has no automatic fix."
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        args = positional_args(node)
        keywords = [a for a in node.args if a.keyword is not None]
        if any(a.star for a in node.args):
            return
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "where":
            if len(args) == 1 and not keywords and ctx.fact(node.func.value).is_tensor:
                torch, imports = ctx.torch_name()
                ctx.report(
                    node,
                    "`Tensor.where(condition, other)` needs `other`: this call raises TypeError; "
                    "pass the value to use where the condition is False",
                    fix=fixes.fix(
                        "Use `torch.where(cond)` (returns the indices where cond holds)",
                        Applicability.UNSAFE,
                        fixes.replace(node, f"{torch}.where({fixes.code(args[0].value)})"),
                        *imports,
                    ),
                )
                return
        if len(args) == 2 and not keywords and ctx.qualname(node.func) == "torch.where":
            ctx.report(
                node,
                "`torch.where(cond, x)` raises TypeError: use `torch.where(cond, x, other)`, "
                "or `torch.where(cond)` for the indices",
            )
