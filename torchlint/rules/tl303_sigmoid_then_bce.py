from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.diagnostics import Severity
from torchlint.patterns.activation import SIGMOID, final_activation
from torchlint.patterns.losses import loss_input
from torchlint.rules.base import Rule


class SigmoidThenBce(Rule):
    code = "TL303"
    name = "sigmoid-then-bce"
    summary = "`nn.BCELoss` on `sigmoid` outputs saturates; use `nn.BCEWithLogitsLoss` on the logits"
    severity = Severity.WARNING
    what = (
        "Flags `nn.BCELoss()(p, y)` and `F.binary_cross_entropy(p, y)` where `p` is the output of a "
        "sigmoid: `torch.sigmoid(...)`, `x.sigmoid()`, an `nn.Sigmoid` layer, an `nn.Sequential` ending "
        "in one, or a model of the file whose `forward` returns one."
    )
    why = (
        "In float32 the sigmoid rounds to exactly 1 once a logit passes about 17; `BCELoss` then "
        "clamps `log(0)` to -100: a confidently wrong prediction costs a flat 100 and its gradient is "
        "zero, so it is never corrected. `BCEWithLogitsLoss` takes the logits and computes "
        "the same loss with the log-sum-exp trick: finite, exact, and with a useful gradient."
    )
    example = "probs = torch.sigmoid(model(x))\nloss = nn.BCELoss()(probs, y)"
    use_instead = "loss = nn.BCEWithLogitsLoss()(model(x), y)  # torch.sigmoid only for reporting"
    confirmed = (
        "for a logit of 30 with target 0, BCELoss(sigmoid) is 100 with a zero gradient; "
        "BCEWithLogitsLoss is 30 with gradient 1"
    )
    requires = ("BCELoss", "binary_cross_entropy")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        value = loss_input(node, "binary_cross_entropy", "BCELoss", ctx)
        if value is None:
            return
        found = final_activation(value, ctx)
        if found is None or found[0] != SIGMOID:
            return
        ctx.report(
            node,
            "`BCELoss` on sigmoid outputs (sigmoid at line {origin}) saturates: past a logit of about 17 "
            "the loss is clamped at 100 and the gradient vanishes; use `nn.BCEWithLogitsLoss` "
            "(`F.binary_cross_entropy_with_logits`) on the logits",
            refs={"origin": found[1]},
        )
