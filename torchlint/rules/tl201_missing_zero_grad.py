from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.patterns.training_loop import ALL, loop_events
from torchlint.rules.base import Rule


class MissingZeroGrad(Rule):
    code = "TL201"
    name = "missing-zero-grad"
    summary = "A training loop steps an optimizer but never clears its gradients"
    severity = Severity.WARNING
    what = (
        "Flags a loop whose body calls `.backward()` and `optimizer.step()` but never clears that "
        "optimizer's gradients (`optimizer.zero_grad()`, `model.zero_grad()`, `p.grad = None`, or a "
        "helper of the same file that does so). Every optimizer that steps in the loop must be "
        "cleared in it. Reported at the `.backward()` call. An optimizer is a `torch.optim` object, or "
        "a name that reads like one (`optimizer`, `opt_d`) and is not made by another framework "
        "(`keras.optimizers.SGD(...)`, `gluon.Trainer(...)`)."
    )
    why = (
        "`backward()` adds into `.grad`; it does not overwrite. Without a clear per iteration, "
        "each step uses the sum of every gradient so far, and training diverges or crawls. A single "
        "`zero_grad()` before the loop clears only the first iteration. Deliberate accumulation "
        "(a conditional `zero_grad()` in the loop, or micro-batches in an inner loop) is not flagged, "
        "nor is an optimizer built in the loop body over parameters that are new in each iteration, "
        "nor distributed autograd (`dist_autograd.backward`), whose gradients live in a per-iteration context."
    )
    example = "for x, y in loader:\n    loss = loss_fn(model(x), y)\n    loss.backward()\n    optimizer.step()"
    use_instead = (
        "for x, y in loader:\n"
        "    optimizer.zero_grad()\n"
        "    loss = loss_fn(model(x), y)\n"
        "    loss.backward()\n"
        "    optimizer.step()"
    )
    confirmed = "with lr=0, the gradient after the second step is exactly twice the first step's gradient"
    requires = ("backward",)
    fixable = True
    fix_safety = (
        "Unsafe: inserting `optimizer.zero_grad()` as the first statement of the loop body changes what "
        "every step computes (that is the point), and accumulation may have been meant in a way the "
        "analysis did not see."
    )

    def visit_For(self, node: cst.For, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_While(self, node: cst.While, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, loop: cst.For | cst.While, ctx: RuleContext) -> None:
        events = loop_events(loop, ctx)
        if not events.backwards or not events.steps or ALL in events.clears:
            return
        uncleared: dict[int, tuple[cst.Call, list[str]]] = {}
        for order, key, _ in events.steps:
            if key in events.clears:
                continue
            before = [call for at, call in events.backwards if at < order]
            backward = before[-1] if before else events.backwards[0][1]
            names = uncleared.setdefault(id(backward), (backward, []))[1]
            if key not in names:
                names.append(key)
        for backward, names in uncleared.values():
            listed = ", ".join(f"`{n}`" for n in names)
            clears = " and ".join(f"`{n}.zero_grad()`" for n in names)
            ctx.report(
                backward,
                f"Gradients accumulate across iterations: {listed} steps in this loop but its "
                f"gradients are never cleared in it; call {clears} once per iteration",
                fix=_fix(loop, names),
            )


def _fix(loop: cst.For | cst.While, names: list[str]) -> fixes.PendingFix | None:
    if not isinstance(loop.body, cst.IndentedBlock) or not loop.body.body:
        return None
    first = loop.body.body[0]
    text = "".join(f"{fixes.INDENT}{name}.zero_grad()\n" for name in names)
    edit = fixes.PendingEdit(fixes.Anchor(first, fixes.LINE_START), fixes.Anchor(first, fixes.LINE_START), text)
    return fixes.fix("Clear the gradients at the start of each iteration", Applicability.UNSAFE, edit)
