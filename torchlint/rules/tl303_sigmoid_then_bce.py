from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.patterns.activation import SIGMOID, final_activation
from torchlint.patterns.activation_removal import drop_activation, used_once
from torchlint.patterns.bindings import assigned_values
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
    fixable = True
    fix_safety = (
        "Unsafe: the fix removes the sigmoid call (`torch.sigmoid(z)` -> `z`) and makes the loss "
        "`F.binary_cross_entropy_with_logits` / `nn.BCEWithLogitsLoss` (same arguments), so the same "
        "loss is computed stably; values change where the sigmoid saturated, as intended. Offered only "
        "where both are in one file, the sigmoid is a call whose output reaches nothing but the loss "
        "(directly, or through a name assigned once and read once), and the loss is `F.binary_cross_entropy`, "
        "`nn.BCELoss(...)(...)` or a name bound once to `nn.BCELoss(...)` and called once. A sigmoid in a "
        "model's `forward` or an `nn.Sigmoid` layer feeds every caller of the model, so it has no "
        "automatic fix."
    )

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
            fix=_fix(node, found[1], value, ctx),
        )


def _fix(
    loss: cst.Call, activation: cst.CSTNode, value: cst.BaseExpression, ctx: RuleContext
) -> fixes.PendingFix | None:
    rename = _with_logits(loss, ctx)
    drop = drop_activation(activation, value, ctx)
    if rename is None or drop is None:
        return None
    return fixes.fix("Use BCE with logits and drop the sigmoid", Applicability.UNSAFE, drop, rename)


def _with_logits(loss: cst.Call, ctx: RuleContext) -> fixes.PendingEdit | None:
    """The edit renaming the loss to its with-logits twin: the function, or the `BCELoss` constructor."""
    func = loss.func
    if isinstance(func, cst.Attribute) and func.attr.value == "binary_cross_entropy":
        return fixes.replace(func.attr, "binary_cross_entropy_with_logits")
    constructor = func
    if isinstance(func, cst.Name) and used_once(func, ctx):
        constructor = assigned_values(func, ctx)[0]  # type: ignore[index]
    if isinstance(constructor, cst.Call) and isinstance(constructor.func, cst.Attribute):
        if constructor.func.attr.value == "BCELoss" and ctx.qualname(constructor.func) in _BCE_LOSS:
            return fixes.replace(constructor.func.attr, "BCEWithLogitsLoss")
    return None


_BCE_LOSS = ("torch.nn.BCELoss", "torch.nn.modules.loss.BCELoss")
