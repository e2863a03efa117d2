from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.patterns.shapes import ShapeRule


class DimOutOfRange(ShapeRule):
    code = "TL505"
    name = "dim-out-of-range"
    summary = "A `dim` argument, index or `permute` order that does not exist for the tensor's rank"
    what = (
        "Flags, for a tensor of known rank: `dim=` arguments out of range (`sum`, `mean`, `softmax`, "
        "`squeeze`, `unsqueeze`, `transpose`, `flatten`, `cat`, `size(d)`, ...); `permute` orders of the "
        "wrong length or with repeated dims, and reductions over a repeated dim; `t()` on more than two "
        "dimensions and `.mT` on fewer; more indices than dimensions; integer and list indices out of "
        "bounds for a known size; and any index into a 0-d tensor (`loss[0]` on a reduced loss)."
    )
    why = (
        "torch raises `IndexError: Dimension out of range (expected to be in range of [-1, 0], but got "
        "1)` or `IndexError: too many indices for tensor of dimension 2`. The tensor has fewer dimensions "
        "than the code assumes: a missing batch dimension, or one already reduced away."
    )
    example = "x = torch.Tensor([0, 1, 2])\ny = x.squeeze(1)"
    use_instead = "x = torch.Tensor([0, 1, 2])\ny = x.unsqueeze(1)"
    confirmed = "IndexError: Dimension out of range (expected to be in range of [-1, 0], but got 1)"
    fix_safety = (
        "No automatic fix: the intended dimension is not known; clamping or wrapping the index would "
        "silently pick some other dimension."
    )
    requires = ("torch",)  # nearly every op and many layers take a dim, positionally or by default

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self.check(node, ctx)

    def visit_Subscript(self, node: cst.Subscript, ctx: RuleContext) -> None:
        self.check(node, ctx)

    def visit_Attribute(self, node: cst.Attribute, ctx: RuleContext) -> None:
        if node.attr.value in ("mT", "mH"):
            self.check(node, ctx)
