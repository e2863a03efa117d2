from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability
from torchlint.patterns.shapes import ShapeRule


class ViewOnNonContiguous(ShapeRule):
    code = "TL507"
    name = "view-on-non-contiguous"
    summary = "`view` of a transposed, permuted or expanded tensor where its strides cannot give that shape"
    what = (
        "Flags `x.view(...)` (and `view_as`, `unflatten`) when `x`'s memory layout is known (it comes "
        "from `t()`, `transpose`, `permute`, `expand`, `mT`, slicing with a step... of a tensor with known "
        "strides) and no view of that memory has the requested shape: torch's own stride computation "
        "fails. A `view` that only splits or merges contiguous dimensions is not flagged."
    )
    why = (
        "`view` never copies; when the elements of the new shape are not evenly spaced in memory torch "
        "raises `RuntimeError: view size is not compatible with input tensor's size and stride (at least "
        "one dimension spans across two contiguous subspaces). Use .reshape(...) instead.`"
    )
    example = "x = torch.randn(4, 8, 16)\ny = x.transpose(1, 2).view(4, -1)"
    use_instead = "x = torch.randn(4, 8, 16)\ny = x.transpose(1, 2).reshape(4, -1)  # or .contiguous().view(4, -1)"
    confirmed = (
        "RuntimeError: view size is not compatible with input tensor's size and stride (at least one "
        "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
    )
    requires = ("view", "unflatten")
    fixable = True
    fix_safety = (
        "Safe: `reshape` returns the same values in the same shape; where `view` would have worked it is a "
        "view too, and here, where `view` raises, it copies. Only the crash goes away."
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self.check(node, ctx)

    def fix_for(self, node: cst.CSTNode) -> fixes.PendingFix | None:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "view":
            return fixes.fix(
                "Use `reshape` (copies only when it must)", Applicability.SAFE, fixes.replace(node.func.attr, "reshape")
            )
        return None
