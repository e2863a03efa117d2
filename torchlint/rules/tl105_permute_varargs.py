from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.fixes import code
from torchlint.infer.evaluate import positional_args
from torchlint.rules.base import Rule


class PermuteVarargs(Rule):
    code = "TL105"
    name = "permute-varargs"
    summary = "`torch.permute(x, 1, 0, 2)` raises TypeError: the function takes the dims as one sequence"
    severity = Severity.ERROR
    what = (
        "Flags the function form `torch.permute(x, d0, d1, ...)` called with the dimensions as separate "
        "arguments, and `torch.permute(x, d)` with a single integer dimension."
    )
    why = (
        "The method accepts both spellings (`x.permute(1, 0, 2)` and `x.permute((1, 0, 2))`), the "
        "function only one: `torch.permute(input, dims)` with `dims` a tuple or list. Varargs raise "
        "`TypeError: permute() takes 2 positional arguments but 4 were given`."
    )
    example = "y = torch.permute(x, 2, 0, 1)"
    use_instead = "y = torch.permute(x, (2, 0, 1))  # or x.permute(2, 0, 1)"
    confirmed = "TypeError: permute() takes 2 positional arguments but 4 were given"
    fixable = True
    fix_safety = (
        "Safe: the call always raises TypeError; wrapping the dims in one tuple "
        "(`torch.permute(x, 1, 0)` -> `torch.permute(x, (1, 0))`) is the call the function accepts, "
        "with the same dims in the same order."
    )
    requires = ("permute",)

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        args = positional_args(node)
        if any(a.star for a in node.args) or len(args) < 2 or len(args) < len(node.args):
            return
        if len(args) == 2 and not _is_int_literal(args[1].value):
            return
        if ctx.qualname(node.func) != "torch.permute":
            return
        dims = ", ".join(code(a.value) for a in args[1:])
        tensor = code(args[0].value)
        as_tuple = f"({dims},)" if len(args) == 2 else f"({dims})"
        fix = fixes.fix(
            "Pass the dims as one tuple",
            Applicability.SAFE,
            fixes.PendingEdit(
                fixes.Anchor(args[1].value, fixes.START), fixes.Anchor(args[-1].value, fixes.END), as_tuple
            ),
        )
        permute = code(node.func)  # as the file spells it: `torch.permute`, `th.permute`, `permute`
        if len(args) == 2:
            ctx.report(
                node,
                f"`{permute}` takes its dims as one sequence: this call raises TypeError "
                f"(`dims` must be a tuple of ints, not int); use `{permute}({tensor}, ({dims},))`",
                fix=fix,
            )
            return
        ctx.report(
            node,
            f"`{permute}` takes its dims as one sequence: this call raises `TypeError: permute() takes "
            f"2 positional arguments but {len(args)} were given`; use `{permute}({tensor}, ({dims}))` "
            f"or `{tensor}.permute({dims})`",
            fix=fix,
        )


def _is_int_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, cst.Integer)
