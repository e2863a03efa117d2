from __future__ import annotations

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.infer.scope import dotted_name
from torchlint.patterns.grad import grad_mode_switched, requires_grad
from torchlint.patterns.numpy_conversion import converted_tensor
from torchlint.rules.base import Rule


class NumpyOnRequiresGrad(Rule):
    code = "TL203"
    name = "numpy-on-requires-grad"
    summary = "`.numpy()` on a tensor that requires grad raises RuntimeError; call `.detach()` first"
    severity = Severity.ERROR
    what = (
        "Flags `.numpy()`, `np.array(t)` and `np.asarray(t)` on a tensor that requires grad (an "
        "`nn.Parameter`, a tensor created with `requires_grad=True`, a model output, a loss or anything "
        "computed from them) with no `.detach()` in between, outside `torch.no_grad()` (and "
        "`torch.set_grad_enabled(...)`, whose mode is not known)."
    )
    why = (
        "A NumPy array cannot carry autograd history, and torch refuses to drop it silently: "
        "`RuntimeError: Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
        "instead.` Logging and plotting code written for evaluation (under `no_grad`) fails when it "
        "is reused in the training loop."
    )
    example = "preds = model(x).argmax(1)\nplt.plot(loss.numpy())"
    use_instead = "plt.plot(loss.detach().cpu().numpy())  # or loss.item() for a scalar"
    confirmed = "RuntimeError: Can't call numpy() on Tensor that requires grad"
    fixable = True
    fix_safety = (
        "Safe: the conversion always raises RuntimeError; inserting `.detach()` before it gives the same "
        "values without the autograd history, which a NumPy array cannot hold. Where the tensor is (or may "
        "be) on CUDA as well, the fix inserts `.detach().cpu()`, as TL401's does."
    )
    requires = ("numpy",)

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        if ctx.no_grad:
            return
        converted = converted_tensor(node, ctx)
        if converted is not None:
            self._check(node, *converted, ctx)

    def _check(self, node: cst.Call, tensor: cst.BaseExpression, what: str, ctx: RuleContext) -> None:
        if not requires_grad(tensor, ctx) or grad_mode_switched(node, ctx):
            return
        name = dotted_name(tensor)
        subject = f"`{name}`" if name is not None else "this tensor"
        fix = f"`{name}.detach().numpy()`" if name is not None else "`.detach()` before `.numpy()`"
        move = ".detach().cpu()" if ctx.fact(tensor).device.on_gpu else ".detach()"
        ctx.report(
            node,
            f"{what} on {subject}, which requires grad, raises `RuntimeError: Can't call numpy() on Tensor "
            f"that requires grad`; use {fix} (or `.item()` for a scalar)",
            fix=fixes.fix(f"Insert `{move}` before the conversion", Applicability.SAFE, fixes.append(tensor, move)),
        )
