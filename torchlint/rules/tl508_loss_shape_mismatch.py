from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.patterns.shapes import ShapeRule


class LossShapeMismatch(ShapeRule):
    code = "TL508"
    name = "loss-shape-mismatch"
    summary = "A loss called with input and target shapes that it rejects (batch sizes, BCE sizes)"
    what = (
        "Flags `F.cross_entropy`/`nn.CrossEntropyLoss` and `F.nll_loss`/`nn.NLLLoss` whose input and "
        "target batch sizes are known and differ, or whose target of class indices has the wrong rank or "
        "size for the input (`[N, H, W]` for an `[N, C, H, W]` input); `F.binary_cross_entropy`/`nn.BCELoss` and "
        "`F.binary_cross_entropy_with_logits`/`nn.BCEWithLogitsLoss` whose input and target sizes differ "
        "(`[N, 1]` against `[N]` included); and `F.mse_loss`/`F.l1_loss` whose shapes do not broadcast."
    )
    why = (
        "torch raises `ValueError: Expected input batch_size (4) to match target batch_size (5).` or "
        "`ValueError: Target size (torch.Size([4])) must be the same as input size (torch.Size([4, 1]))`. "
        "A single-logit head (`nn.Linear(d, 1)`) scored against a 1-D label vector is the usual cause."
    )
    example = "logits = head(x)  # [N, 1]\nloss = F.binary_cross_entropy_with_logits(logits, labels)  # labels: [N]"
    use_instead = "logits = head(x).squeeze(1)  # [N]\nloss = F.binary_cross_entropy_with_logits(logits, labels)"
    confirmed = "ValueError: Target size (torch.Size([4])) must be the same as input size (torch.Size([4, 1]))"
    fix_safety = (
        "No automatic fix: aligning input and target (a `squeeze`, a `view`, a different target "
        "encoding) depends on what the labels mean; a reshape that makes the sizes match may pair the "
        "wrong elements."
    )
    requires = ("loss", "Loss", "cross_entropy")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self.check(node, ctx)
