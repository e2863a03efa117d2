from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.fixes import code
from torchlint.infer.scope import dotted_name
from torchlint.patterns.bindings import ancestors
from torchlint.patterns.grad import grad_mode_switched
from torchlint.patterns.leaf import is_leaf
from torchlint.rules.base import Rule

# In-place methods that torch allows on a leaf that requires grad.
_ALLOWED = frozenset({"requires_grad_", "share_memory_", "detach_", "retain_grad", "record_stream", "resize_"})
_MESSAGE = "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation"


class InplaceOnLeaf(Rule):
    code = "TL205"
    name = "inplace-on-leaf"
    summary = "An in-place op on a leaf tensor that requires grad (`w += 1`, `w.add_(1)`, `w[0] = 1`) raises"
    severity = Severity.ERROR
    what = (
        "Flags `w += ...` (and the other augmented assignments), `w.add_(...)` (any in-place method), and "
        "`w[...] = ...` where `w` is a leaf tensor that requires grad (an `nn.Parameter`, a tensor "
        "created with `requires_grad=True`, `t.detach().requires_grad_()`), outside `torch.no_grad()`."
    )
    why = (
        "Autograd cannot record an in-place change of a leaf it accumulates gradients into, and raises "
        "`RuntimeError: a leaf Variable that requires grad is being used in an in-place operation` (for "
        "indexing: `a view of a leaf Variable ...`). Manual parameter updates and initialisation must "
        "run under `torch.no_grad()`; computations should use out-of-place ops."
    )
    example = "w = torch.randn(3, requires_grad=True)\nloss.backward()\nw -= lr * w.grad"
    use_instead = "with torch.no_grad():\n    w -= lr * w.grad"
    confirmed = _MESSAGE
    requires = ("requires_grad", "Parameter")
    fixable = True
    fix_safety = (
        "Unsafe: the fix moves the statement under `with torch.no_grad():`, which is right for a "
        "parameter update or an initialisation (the usual case) and removes the RuntimeError; but if "
        "the in-place op was meant to be part of the computation autograd differentiates, the right "
        "code is out of place (`w = w + 1`), and under `no_grad` the change is not differentiated. "
        "Offered only where the change is a whole statement on one line."
    )

    def visit_AugAssign(self, node: cst.AugAssign, ctx: RuleContext) -> None:
        if self._leaf_requiring_grad(node.target, ctx):
            name = dotted_name(node.target)
            op = code(node.operator).strip()
            self._report(node, f"`{name} {op} ...`", ctx)

    def visit_Assign(self, node: cst.Assign, ctx: RuleContext) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Subscript) and self._leaf_requiring_grad(target.target.value, ctx):
                self._report(node, f"`{code(target.target)} = ...`", ctx, view=True)
                return

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if not method.endswith("_") or method.startswith("_") or method in _ALLOWED:
            return
        if self._leaf_requiring_grad(func.value, ctx):
            self._report(node, f"`{dotted_name(func.value)}.{method}(...)`", ctx)

    def _leaf_requiring_grad(self, target: cst.BaseExpression, ctx: RuleContext) -> bool:
        if ctx.no_grad or dotted_name(target) is None:
            return False
        fact = ctx.fact(target)
        if not fact.is_tensor or fact.requires_grad is not True or grad_mode_switched(target, ctx):
            return False
        return is_leaf(target, ctx)

    def _report(self, node: cst.CSTNode, what: str, ctx: RuleContext, *, view: bool = False) -> None:
        error = _MESSAGE.replace("a leaf", "a view of a leaf") if view else _MESSAGE
        statement = fixes.single_line_statement(node, ancestors(node, ctx)[:2])
        fix = None
        if statement is not None:
            torch, imports = ctx.torch_name()
            fix = fixes.fix(
                "Do it under `with torch.no_grad():`",
                Applicability.UNSAFE,
                fixes.wrap_in_block(
                    statement, f"with {torch}.no_grad():", fixes.statement_text(statement), ctx.module.default_indent
                ),
                *imports,
            )
        ctx.report(
            node,
            f"{what} changes a leaf tensor that requires grad in place: raises `{error}`; "
            "do it under `with torch.no_grad():` (a parameter update) or compute out of place",
            fix=fix,
        )
