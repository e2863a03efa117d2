from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.patterns.shapes import ShapeRule


class BroadcastMismatch(ShapeRule):
    code = "TL504"
    name = "broadcast-mismatch"
    summary = "Elementwise ops and `expand` on shapes that do not broadcast together"
    what = (
        "Flags arithmetic, comparisons and elementwise torch functions (`+`, `*`, `torch.add`, "
        "`torch.maximum`, ...) whose tensor operands have known shapes that do not broadcast (aligned from "
        "the right, each pair of sizes must be equal or contain a 1); in-place updates (`x += y`, "
        "`x.add_(y)`) whose broadcast result is larger than `x`; and `expand`/`expand_as`/`repeat` with "
        "sizes the tensor cannot take."
    )
    why = (
        "torch raises `RuntimeError: The size of tensor a (3) must match the size of tensor b (4) at "
        "non-singleton dimension 1`. The usual cause is a missing `unsqueeze` or `keepdim=True`, or a "
        "reduction over the wrong dimension."
    )
    example = "x = torch.randn(8, 3)\nmean = x.mean(dim=1)\ncentered = x - mean"
    use_instead = "x = torch.randn(8, 3)\nmean = x.mean(dim=1, keepdim=True)\ncentered = x - mean"
    confirmed = (
        "RuntimeError: The size of tensor a (3) must match the size of tensor b (8) at non-singleton dimension 1"
    )
    fix_safety = (
        "No automatic fix: the usual causes (a missing `keepdim=True`, an `unsqueeze`, a transposed "
        "operand) each need a different edit, and picking one by shapes alone may broadcast into a "
        "wrong result."
    )
    requires = ("+", "-", "*", "/", "%", "<", ">", "=", "expand", "repeat", "add", "mul", "sub", "div")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self.check(node, ctx)

    def visit_BinaryOperation(self, node: cst.BinaryOperation, ctx: RuleContext) -> None:
        if not isinstance(node.operator, cst.MatrixMultiply):
            self.check(node, ctx)

    def visit_Comparison(self, node: cst.Comparison, ctx: RuleContext) -> None:
        self.check(node, ctx)

    def visit_AugAssign(self, node: cst.AugAssign, ctx: RuleContext) -> None:
        self.check(node, ctx)
