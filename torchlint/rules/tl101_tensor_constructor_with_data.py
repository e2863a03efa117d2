from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.infer.evaluate import positional_args
from torchlint.patterns.legacy_constructor import DTYPE_OF, Argument, classify, legacy_constructor, non_cpu_device
from torchlint.rules.base import Rule


class TensorConstructorWithData(Rule):
    code = "TL101"
    name = "tensor-constructor-with-data"
    summary = "`torch.Tensor(data)` ignores the data's dtype; use `torch.tensor(data)`"
    severity = Severity.WARNING
    what = (
        "Flags the legacy constructors `torch.Tensor(data)`, `torch.FloatTensor(data)`, "
        "`torch.LongTensor(data)`, `torch.cuda.FloatTensor(data)`... called with data "
        "(a list, tuple, comprehension, tensor, or a NumPy array: `np.array(...)`, `np.random.randn(...)`, "
        "a name inside `if isinstance(x, np.ndarray):`), also through the GAN-zoo alias "
        "`Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor` (reported without a fix: which "
        "device it picks is not known). With a `device=` that is not the CPU the call raises, and the "
        "message says so."
    )
    why = (
        "The legacy constructor picks its dtype from its class, not from the data: "
        "`torch.Tensor([1, 2])` is float32 while `torch.tensor([1, 2])` is int64. It takes no "
        "`dtype=` or `requires_grad=` argument, and with a single integer it means a size, "
        "not a value (`torch.Tensor(3)` is three uninitialised numbers). A float64 NumPy array comes "
        "out float32, silently. It accepts `device=` only for the CPU: `torch.Tensor(data, "
        "device='cuda')` raises `RuntimeError: legacy constructor expects device type: cpu`."
    )
    example = "labels = torch.Tensor([0, 1, 1])  # float32, silently"
    use_instead = "labels = torch.tensor([0, 1, 1])  # int64; or dtype=torch.float32 to keep float"
    confirmed = "torch.Tensor([1, 2]).dtype is torch.float32 while torch.tensor([1, 2]).dtype is torch.int64"
    requires = ("Tensor",)
    fixable = True
    fix_safety = (
        "Safe for literal data (a list, tuple or comprehension written in the call): the fix passes the "
        "dtype the legacy constructor produced, so values and dtype are unchanged. Unsafe for other data "
        "(a name, an array): the fix writes `torch.tensor(data)`, whose dtype follows the data (int64 for "
        "integer lists, the array's dtype for NumPy arrays), which is usually what was meant but changes "
        "behaviour."
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        qualname = legacy_constructor(node, ctx)
        if qualname is None or classify(node, ctx) is not Argument.DATA:
            return
        written = fixes.code(node.func)  # the constructor as the file spells it (`torch.Tensor`, `Tensor`, `th.Tensor`)
        torch = ctx.torch_alias() or "torch"
        if ctx.fact(positional_args(node)[0].value).is_tensor:
            ctx.report(
                node,
                f"`{written}(t)` on a tensor returns an alias sharing `t`'s memory and dtype, not a "
                "converted copy; use `t.float()`/`t.to(dtype)` to convert, `t.clone()` to copy",
            )
            return
        dtype = DTYPE_OF[qualname.rsplit(".", 1)[-1]]
        device = ', device="cuda"' if qualname.startswith("torch.cuda.") else ""
        # Through a conditional alias (`Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor`) the
        # device is not known: the message says so and there is no fix.
        aliased = ctx.qualname(node.func) != qualname
        raises = non_cpu_device(node, ctx)
        if raises is not None:
            message = (
                f"`{written}(data, device=...)` raises `RuntimeError: legacy constructor expects device "
                f"type: cpu`{raises}: the legacy constructor makes CPU tensors only; use "
                f"`{torch}.tensor(data, dtype={torch}.{dtype}, device=...)`"
            )
        else:
            message = (
                f"`{written}(data)` ignores the data's dtype and always makes {dtype}; "
                f"use `{torch}.tensor(data, dtype={torch}.{dtype}{', device=...' if aliased else device})`"
            )
        ctx.report(node, message, fix=None if aliased else self._fix(node, dtype, device, ctx))

    def _fix(self, node: cst.Call, dtype: str, device: str, ctx: RuleContext) -> fixes.PendingFix:
        torch, imports = ctx.torch_name()
        data = positional_args(node)[0].value
        if isinstance(data, (cst.List, cst.Tuple, cst.ListComp)):
            return fixes.fix(
                f"Use `torch.tensor(..., dtype=torch.{dtype})` (keeps the dtype the old call produced)",
                Applicability.SAFE,
                fixes.replace(node.func, f"{torch}.tensor"),
                fixes.insert_after(node.args[-1], f", dtype={torch}.{dtype}{device}"),
                *imports,
            )
        extra = [fixes.insert_after(node.args[-1], device)] if device else []
        return fixes.fix(
            "Use `torch.tensor(...)`: the dtype follows the data (check that this is what was meant)",
            Applicability.UNSAFE,
            fixes.replace(node.func, f"{torch}.tensor"),
            *extra,
            *imports,
        )
