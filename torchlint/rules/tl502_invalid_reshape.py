from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.patterns.shapes import ShapeRule


class InvalidReshape(ShapeRule):
    code = "TL502"
    name = "invalid-reshape"
    summary = (
        "`reshape`/`view`/`unflatten` to a shape whose element count differs, or with more than one -1; "
        "`split` into sizes that do not add up"
    )
    what = (
        "Flags `x.reshape(...)`, `x.view(...)`, `x.view_as(y)`, `x.unflatten(...)` and `nn.Unflatten` when "
        "the number of elements of `x` is known and the requested shape cannot hold exactly that many, "
        "when more than one size is -1, or when a size is negative. Also flags `x.split([a, b], dim)` and "
        "`torch.split(x, [a, b], dim)` when the sizes do not add up to the size of `dim`, or one is negative."
    )
    why = (
        "torch raises `RuntimeError: shape '[4, 2]' is invalid for input of size 6`. The requested shape "
        "was usually computed for another batch size, image size or channel count than the one that "
        "reaches this line. `split` raises `split_with_sizes expects split_sizes to sum exactly to 96 ...` "
        "for the same reason."
    )
    example = "x = torch.randn(2, 3)\ny = x.reshape(4, 2)"
    use_instead = "x = torch.randn(2, 3)\ny = x.reshape(3, 2)  # or x.reshape(-1, 2)"
    confirmed = "RuntimeError: shape '[4, 2]' is invalid for input of size 6"
    fix_safety = (
        "No automatic fix: the element count disagrees with the requested shape, and whether the "
        "input or the shape is wrong (or a `-1` was meant) is a question of intent."
    )
    requires = ("reshape", "view", "unflatten", "Unflatten", "split")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self.check(node, ctx)
