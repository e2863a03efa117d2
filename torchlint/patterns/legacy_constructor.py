"""`torch.Tensor(...)` and the typed legacy constructors: data or a size?"""

from __future__ import annotations

import enum

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.evaluate import positional_args
from torchlint.infer.facts import Kind
from torchlint.infer.torch_api import LEGACY_CONSTRUCTORS

DTYPE_OF = {
    "Tensor": "float32", "FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
    "BFloat16Tensor": "bfloat16", "ByteTensor": "uint8", "CharTensor": "int8", "ShortTensor": "int16",
    "IntTensor": "int32", "LongTensor": "int64", "BoolTensor": "bool",
}  # fmt: skip


class Argument(enum.Enum):
    DATA = "data"
    SIZE = "size"


def legacy_constructor(node: cst.Call, ctx: RuleContext) -> str | None:
    """The constructor's qualified name when `node` calls one."""
    qualname = ctx.qualname(node.func)
    return qualname if qualname in LEGACY_CONSTRUCTORS else None


def _is_data(arg: cst.BaseExpression, ctx: RuleContext) -> bool:
    if isinstance(arg, (cst.List, cst.Tuple, cst.ListComp)):
        return True
    return ctx.fact(arg).kind in (Kind.TENSOR, Kind.NDARRAY, Kind.SEQUENCE)


def _is_size(arg: cst.BaseExpression, ctx: RuleContext) -> bool:
    return isinstance(arg, cst.Integer) or ctx.fact(arg).kind in (Kind.INT, Kind.SIZE)


def classify(node: cst.Call, ctx: RuleContext) -> Argument | None:
    """DATA for `torch.Tensor([1, 2])`, SIZE for `torch.Tensor(2, 3)`, None when analysis cannot tell."""
    args = positional_args(node)
    starred = [a for a in node.args if a.star == "*"]
    if starred and not args:
        return Argument.SIZE if len(starred) == 1 else None
    if len(args) == 1 and not starred:
        value = args[0].value
        if _is_data(value, ctx):
            return Argument.DATA
        return Argument.SIZE if _is_size(value, ctx) else None
    if len(args) + len(starred) >= 2 and not any(_is_data(a.value, ctx) for a in args):
        return Argument.SIZE
    return None
