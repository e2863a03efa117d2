from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.diagnostics import Severity
from torchlint.infer.evaluate import keyword_arg, positional_args
from torchlint.infer.facts import Fact
from torchlint.infer.shapes import Shape, ShapeError, Unknown, broadcast, differ, fmt_shape, fmt_size, product
from torchlint.patterns.losses import loss_input
from torchlint.rules.base import Rule

# Elementwise regression losses: torch broadcasts input against target (and only warns when their sizes differ).
_LOSSES = (("mse_loss", "MSELoss"), ("l1_loss", "L1Loss"), ("smooth_l1_loss", "SmoothL1Loss"),
           ("huber_loss", "HuberLoss"))  # fmt: skip


class LossBroadcast(Rule):
    code = "TL509"
    name = "loss-broadcast"
    summary = "A regression loss whose input and target broadcast to a bigger shape (`[N, 1]` against `[N]`)"
    severity = Severity.WARNING
    what = (
        "Flags `F.mse_loss`, `F.l1_loss`, `F.smooth_l1_loss`, `F.huber_loss` and calls of `nn.MSELoss`, "
        "`nn.L1Loss`, `nn.SmoothL1Loss`, `nn.HuberLoss` whose input and target shapes are known, differ, and "
        "broadcast to a shape other than the input's: every prediction is compared with several targets."
    )
    why = (
        "These losses broadcast instead of failing. A single-output head gives `[N, 1]` predictions; against "
        "`[N]` targets they broadcast to `[N, N]`, and the loss averages every prediction's error against every "
        "target. Training runs, the loss goes down a little, and the model learns to predict the mean. torch "
        "only prints a `UserWarning` (`Using a target size (torch.Size([N])) that is different to the input size "
        "(torch.Size([N, 1]))...`), easily lost in a log."
    )
    example = "pred = head(x)  # [N, 1]\nloss = F.mse_loss(pred, y)  # y: [N]"
    use_instead = "pred = head(x).squeeze(1)  # [N]\nloss = F.mse_loss(pred, y)"
    confirmed = (
        "UserWarning: Using a target size (torch.Size([4])) that is different to the input size "
        "(torch.Size([4, 1])); the loss is the mean over [4, 4] pairs, not the 4 squared errors"
    )
    fix_safety = (
        "No automatic fix: squeezing the input or unsqueezing the target are both plausible, and which one "
        "is meant depends on the model."
    )
    requires = ("mse_loss", "MSELoss", "l1_loss", "L1Loss", "huber_loss", "HuberLoss")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        if not any(loss_input(node, functional, module, ctx) is not None for functional, module in _LOSSES):
            return
        args = positional_args(node)
        given = [a.value for a in args[:2]]
        for name in ("input", "target")[len(given) :]:
            found = keyword_arg(node, name)
            if found is None:
                return
            given.append(found.value)
        x, target = ctx.fact(given[0]), ctx.fact(given[1])
        result = _broadcast_input(x, target)
        if result is None:
            return
        s, t = x.shape, target.shape
        assert s is not None and t is not None
        ctx.report(
            node,
            f"input {fmt_shape(s)} and target {fmt_shape(t)} broadcast to {fmt_shape(result)}: each prediction is "
            f"compared with several targets (torch only warns: Using a target size ({fmt_size(t)}) that is "
            f"different to the input size ({fmt_size(s)})); give both the same shape (`.squeeze(-1)` the one "
            "ending in 1)",
        )


def _broadcast_input(x: Fact, target: Fact) -> Shape | None:
    """The broadcast shape, when it provably holds more elements than the input (so torch warns, too)."""
    s, t = x.shape, target.shape
    if not (x.is_tensor and target.is_tensor) or s is None or t is None:
        return None
    try:
        result = broadcast(s, t)
    except (ShapeError, Unknown):
        return None  # TL508 where it raises
    return result if differ(product(result), product(s)) else None
