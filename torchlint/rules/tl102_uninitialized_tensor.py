from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.patterns.legacy_constructor import DTYPE_OF, Argument, classify, legacy_constructor, non_cpu_device
from torchlint.rules.base import Rule


class UninitializedTensor(Rule):
    code = "TL102"
    name = "uninitialized-tensor"
    summary = "`torch.Tensor(4, 6)` holds uninitialised memory; use `torch.empty` or `torch.zeros`"
    severity = Severity.WARNING
    what = (
        "Flags `torch.Tensor(...)` and the typed legacy constructors called with sizes: "
        "`torch.Tensor(4, 6)`, `torch.Tensor(n)`, `torch.FloatTensor(3)`, `torch.Tensor(*shape)`, "
        "`torch.Tensor(x.size())`, `torch.Tensor(size=(4, 6))`. With a `device=` that is not the CPU "
        "the call raises, and the message says so."
    )
    why = (
        "With sizes, the legacy constructor allocates memory without initialising it: the values "
        "are whatever was there before. `torch.Tensor(3)` is three garbage numbers, not the value 3 "
        "(that is `torch.Tensor([3])`, one value 3.0), a classic surprise. The legacy constructor "
        "makes CPU tensors only: `torch.Tensor(4, 6, device='cuda')` raises `RuntimeError: legacy "
        "constructor expects device type: cpu`."
    )
    example = "weights = torch.Tensor(4, 6)"
    use_instead = "weights = torch.zeros(4, 6)  # or torch.empty(4, 6) when every value is written next"
    confirmed = "torch.Tensor(3) has shape (3,) (three uninitialised values), torch.Tensor([3]) is tensor([3.])"
    requires = ("Tensor",)
    fixable = True
    fix_safety = (
        "Safe: `torch.empty` with the same sizes (and the dtype/device the typed constructor implied) "
        "allocates the same uninitialised memory, now explicitly. The editor also offers `torch.zeros`, "
        "marked unsafe because the values change."
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        filled = ctx.cache.setdefault("tl102_filled", set())
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value.endswith("_") and isinstance(func.value, cst.Call):
            filled.add(id(func.value))  # `torch.Tensor(n).uniform_()`: written at once (outer calls come first)
        qualname = legacy_constructor(node, ctx)
        if qualname is None or id(node) in filled or classify(node, ctx) is not Argument.SIZE:
            return
        args = ", ".join(
            fixes.code(a.value) if not a.star else "*" + fixes.code(a.value) for a in node.args if a.keyword is None
        ) or ", ".join(f"size={fixes.code(a.value)}" for a in node.args if a.keyword and a.keyword.value == "size")
        torch, imports = ctx.torch_name()
        dtype = DTYPE_OF[qualname.rsplit(".", 1)[-1]]
        extra = (f", dtype={torch}.{dtype}" if dtype != "float32" else "") + (
            ', device="cuda"' if qualname.startswith("torch.cuda.") else ""
        )

        def rewrite(factory: str, applicability: Applicability, title: str) -> fixes.PendingFix:
            edits = [fixes.replace(node.func, f"{torch}.{factory}"), *imports]
            if extra:
                edits.append(fixes.insert_after(node.args[-1], extra))
            return fixes.fix(title, applicability, *edits)

        raises = non_cpu_device(node, ctx)
        written = fixes.code(node.func)  # the constructor as the file spells it (`torch.Tensor`, `Tensor`, `th.Tensor`)
        message = (
            f"`{written}({args}, device=...)` raises `RuntimeError: legacy constructor expects device type: "
            f"cpu`{raises}: the legacy constructor makes CPU tensors only; use `{torch}.empty({args}, device=...)` "
            f"or `{torch}.zeros({args}, device=...)`"
            if raises is not None
            else f"`{written}({args})` allocates uninitialised memory (sizes, not values); "
            f"use `{torch}.empty({args}{extra})` if that is meant, else `{torch}.zeros({args}{extra})`"
        )
        if ctx.qualname(node.func) != qualname:  # a conditional alias: its device is not known, so no fix
            ctx.report(node, message)
            return
        ctx.report(
            node,
            message,
            fix=rewrite("empty", Applicability.SAFE, "Use `torch.empty(...)` (same memory, now explicit)"),
            alternatives=(
                rewrite("zeros", Applicability.UNSAFE, "Use `torch.zeros(...)` (initialised: values change)"),
            ),
        )
