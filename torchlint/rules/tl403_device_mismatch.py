from __future__ import annotations

import libcst as cst

from torchlint.context import RuleContext
from torchlint.diagnostics import Severity
from torchlint.fixes import code
from torchlint.infer.evaluate import keyword_arg, positional_args
from torchlint.infer.facts import Device, Fact, Kind
from torchlint.patterns.modules import has_parameters, local_class
from torchlint.rules.base import Rule

# torch functions that require every tensor argument on one device, a 0-dim CPU tensor included.
_SAME_DEVICE_OPS = frozenset(
    {"cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "matmul", "mm", "bmm", "mv", "dot",
     "addmm", "baddbmm", "cdist", "outer"}
)  # fmt: skip
_SAME_DEVICE_LOSSES = ("torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss")
_LOSS_MODULES = ("CrossEntropyLoss", "NLLLoss")
_MOVING_FORWARD = ("device", ".to(", ".cuda(")
_ERROR = "RuntimeError: Expected all tensors to be on the same device"


class DeviceMismatch(Rule):
    code = "TL403"
    name = "device-mismatch"
    summary = "A CUDA tensor or model combined with a CPU tensor raises `Expected all tensors to be on the same device`"
    severity = Severity.ERROR
    what = (
        "Flags a model (an `nn` layer with parameters, an `nn.Sequential`, a module class of the file "
        "that owns parameters) moved to CUDA with `.to(device)`/`.cuda()` and called on a tensor that "
        "is on the CPU; `torch.cat`/`torch.stack`/`torch.matmul`... of a CUDA and a CPU tensor; and "
        "`F.cross_entropy`/`nn.CrossEntropyLoss` of CUDA outputs and CPU targets. Definite CUDA is an "
        "error; a model on CUDA whenever a GPU is present, given a tensor that is certainly on the CPU, "
        "is a warning. Elementwise arithmetic is not flagged (a 0-dim CPU tensor mixes with CUDA ones)."
    )
    why = (
        "Operations do not move data between devices implicitly: `model.to(device)` moves the "
        "parameters, not the inputs, and every input created after it (`torch.randn(...)`, "
        "`torch.tensor(...)`, `torch.from_numpy(...)`) starts on the CPU. The call fails with "
        "`RuntimeError: Expected all tensors to be on the same device, but found at least two devices, "
        "cuda:0 and cpu!`; with `device = 'cuda' if torch.cuda.is_available() else 'cpu'` it fails only "
        "on GPU machines."
    )
    example = 'model = Net().to("cuda")\nx = torch.randn(8, 16)\nout = model(x)'
    use_instead = 'model = Net().to("cuda")\nx = torch.randn(8, 16, device="cuda")  # or x.to("cuda")\nout = model(x)'
    confirmed = _ERROR
    fix_safety = (
        "No automatic fix: which side should move is a design decision (the input to the model's "
        "device, or the model to the input's), the right device expression is not always in scope at "
        "the call, and moving data adds a copy."
    )
    requires = ("cuda", ".to(", "device")

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        callee = ctx.fact(node.func)
        if callee.kind is Kind.MODULE:
            self._module_call(node, callee, ctx)
            return
        qualname = ctx.qualname(node.func)
        if qualname is None:
            return
        module, _, name = qualname.rpartition(".")
        if module == "torch" and name in _SAME_DEVICE_OPS:
            self._operands(node, f"`torch.{name}`", ctx)
        elif qualname in _SAME_DEVICE_LOSSES:
            self._loss(node, f"`F.{name}`", ctx)

    def _module_call(self, node: cst.Call, module: Fact, ctx: RuleContext) -> None:
        layer = (module.qualname or "").rsplit(".", 1)[-1]
        if (module.qualname or "").startswith("torch.nn.") and layer in _LOSS_MODULES:
            self._loss(node, f"`nn.{layer}`", ctx)
            return
        if not module.device.on_gpu or not has_parameters(module, ctx) or _moves_inputs(module, ctx):
            return
        args = positional_args(node)
        if not args:
            return
        tensor = ctx.fact(args[0].value)
        if not tensor.is_tensor or tensor.device is not Device.CPU:
            return
        name = code(node.func)
        where = "on CUDA" if module.device is Device.CUDA else "on CUDA whenever a GPU is present"
        moved = " (device from line {origin})" if module.device_origin is not None else ""
        severity = Severity.ERROR if module.device is Device.CUDA else Severity.WARNING
        when = "" if module.device is Device.CUDA else " on any machine with a GPU"
        ctx.report(
            node,
            f"`{name}` is {where}{moved} but its input `{code(args[0].value)}` is on the CPU: raises "
            f"`{_ERROR}`{when}; move the input with `.to(device)`",
            severity=severity,
            refs={"origin": module.device_origin} if module.device_origin is not None else None,
        )

    def _operands(self, node: cst.Call, what: str, ctx: RuleContext) -> None:
        operands: list[tuple[cst.BaseExpression, Fact]] = []
        for arg in node.args:
            if arg.keyword is not None or arg.star:
                continue
            if isinstance(arg.value, (cst.List, cst.Tuple)):
                operands.extend((e.value, ctx.fact(e.value)) for e in arg.value.elements)
            else:
                operands.append((arg.value, ctx.fact(arg.value)))
        self._mixed(node, what, operands, ctx)

    def _loss(self, node: cst.Call, what: str, ctx: RuleContext) -> None:
        args = positional_args(node)
        named = [keyword_arg(node, "input"), keyword_arg(node, "target")]
        values = [a.value for a in args[:2]] + [n.value for n in named if n is not None]
        self._mixed(node, what, [(v, ctx.fact(v)) for v in values], ctx)

    def _mixed(
        self, node: cst.Call, what: str, operands: list[tuple[cst.BaseExpression, Fact]], ctx: RuleContext
    ) -> None:
        cuda = next(((e, f) for e, f in operands if f.is_tensor and f.device is Device.CUDA), None)
        cpu = next(((e, f) for e, f in operands if f.is_tensor and f.device is Device.CPU), None)
        if cuda is None or cpu is None:
            return
        origin = cuda[1].device_origin
        placed = " (device from line {origin})" if origin is not None else ""
        ctx.report(
            node,
            f"{what} of `{code(cuda[0])}`, on CUDA{placed}, and `{code(cpu[0])}`, on the CPU: raises "
            f"`{_ERROR}`; move one of them with `.to(...)`",
            refs={"origin": origin} if origin is not None else None,
        )


def _moves_inputs(module: Fact, ctx: RuleContext) -> bool:
    """A module class of this file whose `forward` moves or places tensors itself."""
    cls = local_class(module, ctx)
    if cls is None:
        return False
    forward = next((s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "forward"), None)
    if forward is None:
        return True
    text = code(forward)
    return any(marker in text for marker in _MOVING_FORWARD)
