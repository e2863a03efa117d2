from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.infer.facts import Device
from torchlint.patterns.numpy_conversion import converted_tensor
from torchlint.rules.base import Rule


class NumpyOnCudaTensor(Rule):
    code = "TL401"
    name = "numpy-on-cuda-tensor"
    summary = "`.numpy()` on a tensor that is (or may be) on CUDA raises TypeError; call `.cpu()` first"
    severity = Severity.ERROR
    what = (
        "Flags `.numpy()`, `np.array(t)` and `np.asarray(t)` on a tensor that is on a CUDA device, or "
        "may be (its device is `cuda` whenever a GPU is present), with no `.cpu()` in between. "
        "Definite CUDA is an error; maybe-CUDA is a warning."
    )
    why = (
        "NumPy arrays live in host memory; a CUDA tensor cannot be viewed as one and torch raises "
        "`TypeError: can't convert cuda:0 device type tensor to numpy`. Code written with "
        "`device = 'cuda' if torch.cuda.is_available() else 'cpu'` passes on a laptop and fails on "
        "the first GPU machine."
    )
    example = "preds = model(x.to(device)).argmax(1).numpy()"
    use_instead = "preds = model(x.to(device)).argmax(1).cpu().numpy()"
    confirmed = "TypeError: can't convert cuda:0 device type tensor to numpy"
    requires = ("numpy",)
    fixable = True
    fix_safety = (
        "Safe: inserting `.cpu()` (and `.detach()` when the tensor requires grad) only removes the "
        "crash: on a CPU tensor it is a no-op, on a CUDA tensor it copies to host memory, which "
        "`.numpy()` needs."
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        converted = converted_tensor(node, ctx)
        if converted is not None:
            self._check(node, *converted, ctx)

    def _check(self, node: cst.Call, tensor: cst.BaseExpression, what: str, ctx: RuleContext) -> None:
        fact = ctx.fact(tensor)
        if not fact.is_tensor or not fact.device.on_gpu:
            return
        refs = {"origin": fact.device_origin} if fact.device_origin is not None else {}
        move = ".detach().cpu()" if fact.requires_grad else ".cpu()"
        fix = fixes.fix(f"Insert `{move}` before the conversion", Applicability.SAFE, fixes.append(tensor, move))
        if fact.device is Device.CUDA:
            where = " (moved to CUDA at line {origin})" if refs else ""
            ctx.report(
                node,
                f"{what} on a CUDA tensor{where} raises `TypeError: can't convert cuda:0 device type "
                "tensor to numpy`; call `.cpu()` first",
                refs=refs,
                fix=fix,
            )
        else:
            where = " (device chosen at line {origin})" if refs else ""
            ctx.report(
                node,
                f"{what} on a tensor that is on CUDA whenever a GPU is present{where}: raises "
                "`TypeError: can't convert cuda:0 device type tensor to numpy` on any GPU machine; "
                "call `.cpu()` first",
                severity=Severity.WARNING,
                refs=refs,
                fix=fix,
            )
