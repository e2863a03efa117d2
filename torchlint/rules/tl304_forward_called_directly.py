from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.fixes import code
from torchlint.infer.facts import Kind
from torchlint.rules.base import Rule


class ForwardCalledDirectly(Rule):
    code = "TL304"
    name = "forward-called-directly"
    summary = "`model.forward(x)` skips the module's hooks; call `model(x)`"
    severity = Severity.WARNING
    what = (
        "Flags `m.forward(...)` where `m` is a known module (an `nn` layer, a module class of the file, "
        "an `nn.Module`-annotated parameter). `self.forward(...)` inside the class and "
        "`super().forward(...)` are not flagged."
    )
    why = (
        "`nn.Module.__call__` runs the forward pre-hooks and hooks, backward hooks and the machinery "
        "built on them (hook-based feature extractors, pruning and weight-norm reparametrisations, "
        "quantisation observers, `torch.compile` and profiler integration) around `forward`. Calling "
        "`forward` directly silently skips all of it."
    )
    example = "features = backbone.forward(images)"
    use_instead = "features = backbone(images)"
    confirmed = "a registered forward hook does not fire for `model.forward(x)` and fires for `model(x)`"
    fixable = True
    fix_safety = (
        "Unsafe: `m.forward(x)` becomes `m(x)`, so the module's registered hooks start to run; that is "
        "the point, but a hook with side effects (logging, pruning masks, observers) changes what the "
        "call does, and code that called `forward` to avoid a hook on purpose breaks."
    )
    requires = (".forward(",)

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "forward":
            return
        if ctx.fact(func.value).kind is not Kind.MODULE:
            return
        module = code(func.value)
        ctx.report(
            node,
            f"`{module}.forward(...)` bypasses `nn.Module.__call__`: forward hooks, pre-hooks and backward "
            f"hooks do not run; call `{module}(...)`",
            fix=fixes.fix(f"Call `{module}(...)`", Applicability.UNSAFE, fixes.replace(func, module)),
        )
