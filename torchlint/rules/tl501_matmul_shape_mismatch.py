from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.patterns.shapes import ShapeRule


class MatmulShapeMismatch(ShapeRule):
    code = "TL501"
    name = "matmul-shape-mismatch"
    summary = "`a @ b`, `torch.matmul`/`mm`/`bmm`/`mv`/`dot`/`einsum` on shapes that cannot be multiplied"
    what = (
        "Flags a matrix product whose operand shapes are known and incompatible: inner dimensions that "
        "differ, operands of the wrong rank for `mm` (2-D), `bmm` (3-D), `mv`, `dot` and `outer`, batch "
        "dimensions that do not broadcast, and `einsum` subscripts whose sizes disagree. Shapes come from "
        "factories, literals and the ops in between; the message repeats torch's error and says where "
        "each shape came from."
    )
    why = (
        "The product fails at runtime with `RuntimeError: mat1 and mat2 shapes cannot be multiplied` (or "
        "its `bmm`/`mv`/`dot` variants), usually deep into a run and after the data has been loaded. The "
        "usual cause is a transposed operand or a dimension computed for another input size."
    )
    example = "w = torch.randn(4, 5)\nx = torch.randn(2, 3)\ny = x @ w"
    use_instead = "w = torch.randn(3, 5)\nx = torch.randn(2, 3)\ny = x @ w"
    confirmed = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
    fix_safety = (
        "No automatic fix: which operand is wrong (a missing transpose, a wrong layer size, swapped "
        "arguments) is a question of intent; any rewrite that makes the shapes fit may compute "
        "something else."
    )
    requires = ("@", "matmul", "mm", "mv", "dot", "outer", "einsum", "linear")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self.check(node, ctx)

    def visit_BinaryOperation(self, node: cst.BinaryOperation, ctx: RuleContext) -> None:
        if isinstance(node.operator, cst.MatrixMultiply):
            self.check(node, ctx)
