from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.patterns.activation import SOFTMAX, final_activation
from torchlint.patterns.activation_removal import drop_activation
from torchlint.patterns.losses import loss_input
from torchlint.rules.base import Rule


class DoubleSoftmax(Rule):
    code = "TL302"
    name = "double-softmax"
    summary = "Softmax outputs fed to `nn.CrossEntropyLoss`, which applies log-softmax itself: flat gradients"
    severity = Severity.WARNING
    what = (
        "Flags `nn.CrossEntropyLoss()(p, y)` and `F.cross_entropy(p, y)` where `p` is the output of a "
        "softmax: `F.softmax(...)`, `x.softmax(...)`, an `nn.Softmax` layer, an `nn.Sequential` ending "
        "in one, or a model of the file whose `forward` returns one. A `log_softmax` output is not "
        "flagged: log-softmax is idempotent, so cross-entropy of it equals cross-entropy of the logits."
    )
    why = (
        "`CrossEntropyLoss` expects raw logits and applies `log_softmax` itself. Given probabilities in "
        "[0, 1], it softmaxes them again: the loss can never get near 0, and its gradients are squashed "
        "(the softmax Jacobian multiplies them), so training is slow or stalls, without any error."
    )
    example = (
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return F.softmax(self.fc(x), dim=1)\n\n\n"
        "loss = nn.CrossEntropyLoss()(Net()(x), y)"
    )
    use_instead = (
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return self.fc(x)  # logits; softmax only to report probabilities"
    )
    confirmed = (
        "the logits' gradient through softmax + CrossEntropyLoss is several times smaller than "
        "through CrossEntropyLoss alone"
    )
    requires = ("softmax", "Softmax")
    fixable = True
    fix_safety = (
        "Unsafe: the fix removes the softmax call (`F.softmax(z, dim=1)` -> `z`), so the loss gets the "
        "logits; the loss value and the gradients change, as intended, and a learning rate tuned for "
        "the flattened gradients may need retuning. Offered only where the softmax is a call in the "
        "same scope as the loss and its output reaches nothing else (directly, or through a name "
        "assigned once and read once). A softmax in a model's `forward` or an `nn.Softmax` layer feeds "
        "every caller of the model (predictions, metrics), so it has no automatic fix."
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        value = loss_input(node, "cross_entropy", "CrossEntropyLoss", ctx)
        if value is None:
            return
        found = final_activation(value, ctx)
        if found is None or found[0] != SOFTMAX:
            return
        ctx.report(
            node,
            "Cross-entropy of softmax outputs (softmax at line {origin}): `CrossEntropyLoss` applies "
            "log-softmax itself, so the probabilities are softmaxed twice and the gradients flatten; "
            "pass the logits (drop the softmax)",
            refs={"origin": found[1]},
            fix=_fix(found[1], value, ctx),
        )


def _fix(activation: cst.CSTNode, value: cst.BaseExpression, ctx: RuleContext) -> fixes.PendingFix | None:
    edit = drop_activation(activation, value, ctx)
    return fixes.fix("Drop the softmax: pass the logits", Applicability.UNSAFE, edit) if edit else None
