from __future__ import annotations

import re

import libcst as cst

from torchlint import fixes
from torchlint.context import RuleContext
from torchlint.diagnostics import Applicability, Severity
from torchlint.infer.evaluate import positional_args, string_value
from torchlint.patterns.legacy_constructor import DTYPE_OF, Argument, classify, legacy_constructor
from torchlint.rules.base import Rule

_TYPE_STRING = re.compile(r"torch\.(cuda\.)?([A-Za-z0-9]+Tensor)$")


class LegacyTypedConstructor(Rule):
    code = "TL106"
    name = "legacy-typed-constructor"
    summary = "`torch.cuda.FloatTensor(...)`, `torch.LongTensor(...)`, `.type(torch.cuda.FloatTensor)` are legacy"
    severity = Severity.WARNING
    what = (
        "Flags the typed legacy tensor classes used as constructors (`torch.FloatTensor(...)`, "
        "`torch.LongTensor(...)`, `torch.cuda.FloatTensor(...)` and friends) and as conversion targets "
        "(`x.type(torch.cuda.FloatTensor)`, `x.type('torch.LongTensor')`). Calls that TL101 (data) or "
        "TL102 (sizes) already report are left to them."
    )
    why = (
        "The class name fixes both the dtype and the device, invisibly: `torch.LongTensor(values)` "
        "truncates floats, `x.type(torch.LongTensor)` also moves a CUDA tensor back to the CPU, and "
        "`torch.cuda.FloatTensor(...)` raises `TypeError: type torch.cuda.FloatTensor not available` "
        "on every machine without CUDA. These classes are deprecated; the factories take `dtype=` and "
        "`device=` explicitly."
    )
    example = "buf = torch.cuda.FloatTensor(values)\nids = x.type(torch.LongTensor)"
    use_instead = 'buf = torch.tensor(values, dtype=torch.float32, device="cuda")\nids = x.to(torch.long)'
    confirmed = "TypeError: type torch.cuda.FloatTensor not available (CPU-only torch)"
    requires = ("Tensor",)
    fixable = True
    fix_safety = (
        '`.type(torch.cuda.FloatTensor)` becomes `.to(device="cuda", dtype=torch.float32)` (`"cpu"` for '
        "the CPU classes): safe, the same conversion with the dtype and device written out. A constructor "
        "whose arguments are sizes (`torch.FloatTensor(n).uniform_()`) becomes `torch.empty(sizes, "
        "dtype=..., device=...)`: safe, the same uninitialised memory. A constructor whose one argument "
        "analysis cannot classify (`torch.LongTensor(values)` with `values` a parameter) becomes "
        "`torch.tensor(values, dtype=..., device=...)`: unsafe, since an integer there was a size (the "
        "fixed call makes a one-element tensor) and a tensor was shared, not copied. Without CUDA, "
        '`device="cuda"` still fails, with `Torch not compiled with CUDA enabled` instead of the '
        "legacy class's TypeError. Calls with keyword or starred arguments, or none, have no fix."
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        filled = ctx.cache.setdefault("tl106_filled", set())
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value.endswith("_") and isinstance(func.value, cst.Call):
            filled.add(id(func.value))  # `torch.FloatTensor(n).uniform_()`: TL102 leaves it (outer calls come first)
        if isinstance(func, cst.Attribute) and func.attr.value == "type":
            self._type_call(node, ctx)
            return
        qualname = legacy_constructor(node, ctx)
        if qualname is None or qualname == "torch.Tensor":
            return
        kind = classify(node, ctx)
        if kind is Argument.DATA or (kind is Argument.SIZE and id(node) not in filled):
            return
        ctx.report(
            node,
            f"`{qualname}(...)` is a legacy typed constructor: {_implicit(qualname)}",
            fix=_constructor_fix(node, qualname, kind, ctx),
        )

    def _type_call(self, node: cst.Call, ctx: RuleContext) -> None:
        args = positional_args(node)
        if len(args) != 1 or len(node.args) != 1:
            return
        target = args[0].value
        qualname = ctx.qualname(target) or string_value(target)
        match = _TYPE_STRING.match(qualname) if qualname is not None else None
        if qualname is None or match is None or match.group(2) not in DTYPE_OF or qualname == "torch.Tensor":
            return
        dtype = DTYPE_OF[qualname.rsplit(".", 1)[-1]]
        device = "cuda" if qualname.startswith("torch.cuda.") else "cpu"
        torch, imports = ctx.torch_name()
        ctx.report(
            node,
            f"`.type({qualname})` converts through a legacy tensor class: it sets dtype {dtype} and "
            f"moves the tensor to {'CUDA' if device == 'cuda' else 'the CPU'} implicitly; use "
            f'`.to(torch.{dtype})` or `.to("{device}", torch.{dtype})`',
            fix=fixes.fix(
                f'Use `.to(device="{device}", dtype=torch.{dtype})`',
                Applicability.SAFE,
                fixes.replace(node.func.attr, "to"),  # type: ignore[attr-defined]
                fixes.replace(target, f'device="{device}", dtype={torch}.{dtype}'),
                *imports,
            ),
        )


def _constructor_fix(node: cst.Call, qualname: str, kind: Argument | None, ctx: RuleContext) -> fixes.PendingFix | None:
    """`torch.empty(sizes, ...)` for sizes, `torch.tensor(arg, ...)` for one argument of unknown kind."""
    if not node.args or any(a.keyword is not None or a.star for a in node.args):
        return None
    torch, imports = ctx.torch_name()
    dtype = DTYPE_OF[qualname.rsplit(".", 1)[-1]]
    extra = f", dtype={torch}.{dtype}" + (', device="cuda"' if qualname.startswith("torch.cuda.") else "")
    if kind is Argument.SIZE:
        factory, applicability, title = "empty", Applicability.SAFE, "Use `torch.empty(...)` (same memory)"
    elif len(node.args) == 1:
        factory, applicability = "tensor", Applicability.UNSAFE
        title = "Use `torch.tensor(...)` (right if the argument is data, not a size)"
    else:
        return None
    return fixes.fix(
        title,
        applicability,
        fixes.replace(node.func, f"{torch}.{factory}"),
        fixes.insert_after(node.args[-1].value, extra),
        *imports,
    )


def _implicit(qualname: str) -> str:
    dtype = DTYPE_OF[qualname.rsplit(".", 1)[-1]]
    if qualname.startswith("torch.cuda."):
        return (
            f"dtype {dtype} and device cuda are implied by the class (it raises `TypeError: type {qualname} "
            f"not available` without CUDA); use `torch.tensor(data, dtype=torch.{dtype}, device=...)` or "
            f"`torch.empty(size, dtype=torch.{dtype}, device=...)`"
        )
    return (
        f"dtype {dtype} is implied by the class (values are converted to it silently); use "
        f"`torch.tensor(data, dtype=torch.{dtype})`, `torch.empty(size, dtype=torch.{dtype})` "
        f"or `x.to(torch.{dtype})`"
    )
