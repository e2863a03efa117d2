"""`torch.Tensor(...)` and the typed legacy constructors: data or a size?"""

from __future__ import annotations

import enum

import libcst as cst

from torchlint.context import RuleContext
from torchlint.infer.evaluate import keyword_arg, positional_args
from torchlint.infer.facts import Device, Kind
from torchlint.infer.torch_api import LEGACY_CONSTRUCTORS
from torchlint.patterns.bindings import ancestors, assigned_values

DTYPE_OF = {
    "Tensor": "float32", "FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
    "BFloat16Tensor": "bfloat16", "ByteTensor": "uint8", "CharTensor": "int8", "ShortTensor": "int16",
    "IntTensor": "int32", "LongTensor": "int64", "BoolTensor": "bool",
}  # fmt: skip


class Argument(enum.Enum):
    DATA = "data"
    SIZE = "size"


def legacy_constructor(node: cst.Call, ctx: RuleContext, *, aliases: bool = True) -> str | None:
    """The constructor's qualified name when `node` calls one (with `aliases`, also through a conditional alias)."""
    qualname = ctx.qualname(node.func)
    if qualname in LEGACY_CONSTRUCTORS:
        return qualname
    return aliased_constructor(node, ctx) if aliases else None


def aliased_constructor(node: cst.Call, ctx: RuleContext) -> str | None:
    """`Tensor(...)` after `Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor` (GAN zoos): the
    shortest (CPU) constructor's name when every value the name is given picks between legacy constructors
    of one dtype."""
    if not isinstance(node.func, cst.Name):
        return None
    fact = ctx.fact(node.func)
    if fact.kind is not Kind.IMPORT or fact.qualname is not None:
        return None  # the two imports joined keep their kind and lose their name: only then look further
    scope = next((n for n in ancestors(node, ctx) if isinstance(n, (cst.FunctionDef, cst.Module))), None)
    cache = ctx.cache.setdefault("aliased_constructors", {})
    key = (node.func.value, id(scope))
    if key not in cache:
        cache[key] = _alias_target(node.func, ctx)
    return cache[key]


def _alias_target(name: cst.Name, ctx: RuleContext) -> str | None:
    values = assigned_values(name, ctx)
    if not values or not all(isinstance(v, cst.IfExp) for v in values):
        return None
    names = {ctx.qualname(branch) for v in values for branch in (v.body, v.orelse)}  # type: ignore[attr-defined]
    if not names or not names <= LEGACY_CONSTRUCTORS:  # type: ignore[operator]
        return None
    if len({DTYPE_OF[n.rsplit(".", 1)[-1]] for n in names}) != 1:  # type: ignore[union-attr]
        return None  # `torch.cuda.FloatTensor if cuda else torch.Tensor` is one dtype; FloatTensor/LongTensor is not
    return min(names, key=len)  # type: ignore[arg-type]


def _is_data(arg: cst.BaseExpression, ctx: RuleContext) -> bool:
    if isinstance(arg, (cst.List, cst.Tuple, cst.ListComp)):
        return True
    return ctx.fact(arg).kind in (Kind.TENSOR, Kind.NDARRAY, Kind.SEQUENCE) or checked_ndarray(arg, ctx)


def checked_ndarray(arg: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A name used in the body of an `if isinstance(name, np.ndarray):` (the test holds there)."""
    if not isinstance(arg, cst.Name):
        return False
    child: cst.CSTNode = arg
    for parent in ancestors(arg, ctx):
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(parent, cst.If) and child is parent.body and _tests_ndarray(parent.test, arg.value, ctx):
            return True
        child = parent
    return False


def _tests_ndarray(test: cst.BaseExpression, name: str, ctx: RuleContext) -> bool:
    """`isinstance(name, np.ndarray)`, possibly one operand of an `and`."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _tests_ndarray(test.left, name, ctx) or _tests_ndarray(test.right, name, ctx)
    if not isinstance(test, cst.Call) or not isinstance(test.func, cst.Name) or test.func.value != "isinstance":
        return False
    args = positional_args(test)
    if len(args) != 2 or not isinstance(args[0].value, cst.Name) or args[0].value.value != name:
        return False
    return ctx.is_builtin("isinstance") and ctx.qualname(args[1].value) == "numpy.ndarray"


def non_cpu_device(node: cst.Call, ctx: RuleContext) -> str | None:
    """How a legacy constructor's `device=` argument makes it raise: "" (always) or " whenever a GPU is
    present"; None when the device is the CPU or not known."""
    given = keyword_arg(node, "device")
    if given is None:
        return None
    value = given.value
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        if isinstance(text, str) and text.split(":", 1)[0] in ("cuda", "meta", "mps", "xpu"):
            return ""
        return None
    device = ctx.fact(value).device
    if device in (Device.CUDA, Device.META):
        return ""
    return " whenever a GPU is present" if device is Device.MAYBE_CUDA else None


def _is_size(arg: cst.BaseExpression, ctx: RuleContext) -> bool:
    return isinstance(arg, cst.Integer) or ctx.fact(arg).kind in (Kind.INT, Kind.SIZE)


def classify(node: cst.Call, ctx: RuleContext) -> Argument | None:
    """DATA for `torch.Tensor([1, 2])`, SIZE for `torch.Tensor(2, 3)`, None when analysis cannot tell."""
    args = positional_args(node)
    starred = [a for a in node.args if a.star == "*"]
    if not args and not starred and keyword_arg(node, "size") is not None:
        return Argument.SIZE
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
