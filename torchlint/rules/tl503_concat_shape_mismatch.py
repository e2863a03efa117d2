from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.patterns.shapes import ShapeRule


class ConcatShapeMismatch(ShapeRule):
    code = "TL503"
    name = "concat-shape-mismatch"
    summary = "`torch.cat`/`stack`/`hstack`/`vstack` of tensors whose other dimensions (or ranks) differ"
    what = (
        "Flags `torch.cat`, `torch.concat`, `torch.stack`, `torch.hstack` and `torch.vstack` of a list or "
        "tuple literal of tensors with known shapes when the tensors differ in rank, differ in a dimension "
        "other than the one joined (`cat`), or differ at all (`stack`); and `cat` of a 0-d tensor (a "
        "reduced loss or a `.sum()`), which has no dimension to join along."
    )
    why = (
        "torch raises `RuntimeError: Sizes of tensors must match except in dimension 1` or `stack expects "
        "each tensor to be equal size`; a feature vector of the wrong width, or a tensor missing a batch "
        "dimension, is the usual cause."
    )
    example = "a = torch.randn(2, 3)\nb = torch.randn(2, 4)\nc = torch.cat([a, b])"
    use_instead = "a = torch.randn(2, 3)\nb = torch.randn(2, 4)\nc = torch.cat([a, b], dim=1)"
    confirmed = (
        "RuntimeError: Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 "
        "for tensor number 1 in the list."
    )
    fix_safety = (
        "No automatic fix: making the tensors fit (resizing, cropping, padding, another `dim`) "
        "changes the data; only a person knows which tensor is wrong."
    )
    requires = ("cat", "stack", "concat")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self.check(node, ctx)
