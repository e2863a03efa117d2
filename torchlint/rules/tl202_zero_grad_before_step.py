from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.infer.scope import dotted_name
from torchlint.patterns.training_loop import blocks_of, contains_backward, is_optimizer, statement_call
from torchlint.rules.base import Rule


class ZeroGradBeforeStep(Rule):
    code = "TL202"
    name = "zero-grad-before-step"
    summary = "`zero_grad()` between `backward()` and `step()` wipes the gradients before they are used"
    severity = Severity.ERROR
    what = (
        "Flags `optimizer.zero_grad()` placed after `loss.backward()` and before `optimizer.step()` "
        "of the same optimizer in one iteration, with no `backward()` in between."
    )
    why = (
        "The step then sees zero (or None) gradients: the parameters never change and nothing "
        "learns, with no error. Clear gradients before the backward pass, not after it."
    )
    example = "loss.backward()\noptimizer.zero_grad()\noptimizer.step()"
    use_instead = "optimizer.zero_grad()\nloss.backward()\noptimizer.step()"
    confirmed = "the weights are unchanged after the loop: every step ran on cleared gradients"
    requires = ("zero_grad",)
    fixable = True
    fix_safety = (
        "Unsafe: moving `zero_grad()` above the `backward()` call makes the step use fresh gradients, "
        "which changes training; a person should confirm no other gradient was meant to survive."
    )

    def visit_For(self, node: cst.For, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_While(self, node: cst.While, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, loop: cst.For | cst.While, ctx: RuleContext) -> None:
        for block in blocks_of(loop):
            self._check_block(block, ctx)

    def _check_block(self, block: list[cst.BaseStatement], ctx: RuleContext) -> None:
        last_backward: cst.BaseStatement | None = None
        for index, stmt in enumerate(block):
            if contains_backward(stmt):
                last_backward = stmt
                continue
            call = statement_call(stmt)
            if last_backward is None or call is None or not _is_method(call, "zero_grad"):
                continue
            receiver = call.func.value  # type: ignore[attr-defined]
            key = dotted_name(receiver)
            if key is None or not is_optimizer(receiver, ctx):
                continue
            for later in block[index + 1 :]:
                if contains_backward(later):
                    break
                step = statement_call(later)
                if step is not None and _is_method(step, "step") and dotted_name(step.func.value) == key:  # type: ignore[attr-defined]
                    ctx.report(
                        call,
                        f"`{key}.zero_grad()` runs after `backward()` and before `{key}.step()`: "
                        "the step sees cleared gradients and nothing learns; move it before `backward()`",
                        fix=fixes.fix(
                            "Move `zero_grad()` before `backward()`",
                            Applicability.UNSAFE,
                            fixes.delete_lines(stmt),
                            fixes.insert_line_before(last_backward, fixes.statement_text(stmt)),
                        ),
                    )
                    break


def _is_method(call: cst.Call, name: str) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == name
