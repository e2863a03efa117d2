"""Elementwise ops: unary, binary and comparison ops with broadcasting, `where`, `masked_fill`, casts."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from torchlint.infer.facts import Fact, Kind
from torchlint.infer.ops.core import (
    Args,
    Out,
    Result,
    _is_none,
    dtype_of,
    is_sequence,
    iterated,
    same_layout,
    scalar_dtype,
    sizes_of,
)
from torchlint.infer.shapes import (
    DEFAULT_FLOAT,
    FLOATS,
    INTS,
    LEGACY_DTYPES,
    Dim,
    Shape,
    ShapeError,
    Unknown,
    all_known,
    broadcast,
    category,
    contiguous_strides,
    differ,
    fmt_shape,
    is_float,
    is_integral,
    non_overlapping_and_dense,
    result_type,
)

_UNARY_FLOAT = frozenset(
    ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos",
     "atan", "sinh", "cosh", "tanh", "sigmoid", "erf", "erfc", "erfinv", "reciprocal", "lgamma", "digamma", "logit"]
)  # fmt: skip


_UNARY_SAME = frozenset(
    ["abs", "neg", "negative", "floor", "ceil", "round", "trunc", "frac", "sign", "sgn", "square", "relu", "relu6",
     "clone", "detach", "nan_to_num", "positive", "conj", "hardtanh", "leaky_relu", "elu", "selu", "celu", "gelu",
     "silu", "mish", "hardswish", "hardsigmoid", "softplus", "softsign", "tanhshrink", "logsigmoid", "dropout",
     "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d", "normalize", "flip", "fliplr",
     "flipud", "roll", "clamp", "clip", "clamp_min", "clamp_max", "tril", "triu"]
)  # fmt: skip


# Unary ops that do not lay their output out as TensorIterator does.
_NOT_ITERATED = frozenset(
    ["flip", "fliplr", "flipud", "roll", "tril", "triu", "normalize", "logsigmoid", "alpha_dropout",
     "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d", "conj"]
)  # fmt: skip


_FLOAT_ONLY = frozenset(
    ["gelu", "silu", "mish", "hardswish", "hardsigmoid", "softplus", "elu", "selu", "celu", "leaky_relu", "logsigmoid",
     "dropout", "normalize", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d",
     "hardtanh", "relu6", "softsign", "tanhshrink"]
)  # fmt: skip


def unary(name: str, a: Args) -> Out:
    x = a.fact(0, "input")
    if x is None or not x.is_tensor:
        raise Unknown
    if name in ("clamp", "clip", "clamp_min", "clamp_max"):
        for index, key in ((1, "min"), (2, "max")):
            bound = a.fact(index, key)
            if bound is not None and bound.kind not in (Kind.INT, Kind.FLOAT) and not _is_none(a.find(index, key)):
                raise Unknown
    dtype = x.dtype
    if name in _UNARY_FLOAT and is_integral(dtype):
        dtype = DEFAULT_FLOAT
    if name in _FLOAT_ONLY and dtype is not None and not is_float(dtype):
        raise Unknown
    if name in ("neg", "negative") and dtype == "bool":
        raise Unknown
    if x.shape is None:
        return Out(None, dtype)
    if name in ("tril", "triu") and len(x.shape) < 2:
        raise Unknown
    if name in ("detach", "positive") or (name == "conj" and dtype in FLOATS + INTS + ("bool",)):
        return Out(x.shape, dtype, x.strides)  # the input itself, or a view of it
    if name in _NOT_ITERATED:
        return same_layout(x, x.shape, dtype)
    return iterated(x.shape, [x], dtype)


_COMPARISONS = frozenset(
    ["eq", "ne", "lt", "le", "gt", "ge", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "greater", "less"]
)


_BITWISE = frozenset(
    ["bitwise_and", "bitwise_or", "bitwise_xor", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__"]
)


_LOGICAL = frozenset(["logical_and", "logical_or", "logical_xor"])


def elementwise(name: str, operands: list[Fact]) -> Out:
    """A broadcasting op over tensors and Python scalars (`operands` in argument order)."""
    tensors = [f for f in operands if f.is_tensor]
    if not tensors or any(not f.is_tensor and f.kind not in (Kind.INT, Kind.FLOAT) for f in operands):
        raise Unknown
    dtype = _elementwise_dtype(name, operands)  # dtype errors come first
    shape: Shape | None = ()
    for f in tensors:
        shape = None if f.shape is None or shape is None else broadcast(shape, f.shape)
    if shape is None:
        return Out(None, dtype)
    return iterated(shape, tensors, dtype)


def _elementwise_dtype(name: str, operands: list[Fact]) -> str | None:
    if any(f.is_tensor and f.dtype is None for f in operands):
        return "bool" if name in _COMPARISONS or name in _LOGICAL else None
    promoted = result_type(
        [(f.dtype, len(f.shape) if f.shape is not None else 1) for f in operands if f.is_tensor],  # type: ignore[misc]
        [scalar_dtype(f) for f in operands if not f.is_tensor],
    )
    if name in _COMPARISONS or name in _LOGICAL:
        return "bool"
    if name in _BITWISE:
        if not is_integral(promoted):
            raise Unknown
        return promoted
    if promoted == "bool" and name not in ("add", "mul", "maximum", "minimum", "where"):
        raise Unknown
    if name in ("div", "true_divide") and is_integral(promoted):
        return DEFAULT_FLOAT
    if name == "sub" and any(f.dtype == "bool" or (f.kind is Kind.INT and f.dtype == "bool") for f in operands):
        raise Unknown
    if name == "pow" and is_integral(promoted):
        exponent = operands[1]
        if not (exponent.kind is Kind.INT and isinstance(exponent.value, int) and exponent.value >= 0):
            raise Unknown
    return promoted


BINARY_OPS = {
    "add": "add", "sub": "sub", "subtract": "sub", "mul": "mul", "multiply": "mul", "div": "div",
    "divide": "div", "true_divide": "div", "floor_divide": "floor_divide", "remainder": "remainder",
    "fmod": "remainder", "pow": "pow", "maximum": "maximum", "minimum": "minimum", "atan2": "div",
    "eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge", "greater": "gt", "less": "lt",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
    "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
}  # fmt: skip


OPERATORS = {
    cst.Add: "add", cst.Subtract: "sub", cst.Multiply: "mul", cst.Divide: "div", cst.FloorDivide: "floor_divide",
    cst.Modulo: "remainder", cst.Power: "pow", cst.BitAnd: "bitwise_and", cst.BitOr: "bitwise_or",
    cst.BitXor: "bitwise_xor", cst.LeftShift: "bitwise_and", cst.RightShift: "bitwise_and",
    cst.LessThan: "lt", cst.LessThanEqual: "le", cst.GreaterThan: "gt", cst.GreaterThanEqual: "ge",
    cst.Equal: "eq", cst.NotEqual: "ne",
}  # fmt: skip


AUGMENTED = {
    cst.AddAssign: "add", cst.SubtractAssign: "sub", cst.MultiplyAssign: "mul", cst.DivideAssign: "div",
    cst.FloorDivideAssign: "floor_divide", cst.ModuloAssign: "remainder", cst.PowerAssign: "pow",
}  # fmt: skip


def binary(name: str, a: Args) -> Out:
    x = a.fact(0, "input")
    other = a.fact(1, "other")
    if x is None or other is None or (a.count() > 2 and name not in ("add", "sub")):
        raise Unknown
    if set(a.keywords) - {"input", "other", "alpha", "rounding_mode"}:
        raise Unknown
    if "alpha" in a.keywords and (name not in ("add", "sub") or a.keywords["alpha"][0].kind is not Kind.INT):
        raise Unknown
    operation = BINARY_OPS[name]
    if "rounding_mode" in a.keywords:
        if name not in ("div", "divide") or a.string(None, "rounding_mode") not in ("floor", "trunc"):
            raise Unknown
        operation = "floor_divide"  # ints stay ints
    return elementwise(operation, [x, other])


def in_place(name: str, target: Fact, other: Fact) -> Out:
    """`target op= other` on a tensor: the result must keep the target's shape and dtype."""
    out = elementwise(name, [target, other])
    if target.shape is not None and out.shape is not None and len(out.shape) != len(target.shape):
        if all_known(out.shape):
            raise ShapeError(
                "TL504",
                f"output with shape {fmt_shape(target.shape)} doesn't match the broadcast shape {fmt_shape(out.shape)}",
            )
        raise Unknown
    if target.shape is not None and out.shape is not None:
        for have, need in zip(target.shape, out.shape, strict=True):
            if differ(have, need):
                raise ShapeError(
                    "TL504",
                    f"output with shape {fmt_shape(target.shape)} doesn't match the broadcast shape "
                    f"{fmt_shape(out.shape)}",
                )
    if target.dtype is not None and out.dtype is not None and out.dtype != target.dtype:
        if category(out.dtype) > category(target.dtype):
            raise Unknown
    return Out(target.shape, target.dtype, target.strides)


def where(a: Args) -> Out:
    cond, x, y = a.fact(0, "condition"), a.fact(1, "input"), a.fact(2, "other")
    if cond is None or x is None or y is None or not cond.is_tensor:
        raise Unknown
    if cond.dtype != "bool":
        raise Unknown  # torch checks the condition's dtype first
    shape = elementwise("where", [cond, x, y]).shape  # broadcast in this order, as torch words its message
    dtype = elementwise("where", [x, y]).dtype if x.is_tensor or y.is_tensor else None
    if shape is None:
        return Out(None, dtype)
    return iterated(shape, [f for f in (cond, x, y) if f.is_tensor], dtype)


def masked_fill(a: Args) -> Out:
    x, mask = a.tensor(), a.tensor(1, "mask")
    try:
        shape = broadcast(x.shape, mask.shape)  # type: ignore[arg-type]
    except ShapeError:
        raise Unknown from None
    if shape != x.shape or (mask.dtype is not None and mask.dtype != "bool"):
        raise Unknown
    return Out(x.shape, x.dtype, contiguous_strides(x.shape))  # type: ignore[arg-type]  # a contiguous clone


def _to(a: Args) -> Result:
    """`.to(...)`: dtype from a dtype argument or another tensor; shape unchanged."""
    x = a.fact(0, "input")
    assert x is not None
    dtype = x.dtype
    requested = a.dtype(None, "dtype") if "dtype" in a.keywords else None
    for fact, _node in a.positional[1:]:
        if dtype_of(fact) is not None:
            requested = dtype_of(fact)
        elif fact.is_tensor:
            if fact.dtype is None:
                raise Unknown
            requested = fact.dtype
        elif fact.kind not in (Kind.DEVICE, Kind.INT) and not isinstance(_node, cst.SimpleString):
            raise Unknown
    return cast(x, requested or dtype)


def cast(x: Fact, dtype: str | None) -> Out:
    if x.shape is None:
        return Out(None, dtype)
    if dtype is not None and dtype == x.dtype:
        return Out(x.shape, dtype, x.strides)
    return iterated(x.shape, [x], dtype)


def _type(a: Args) -> Result:
    x = a.fact(0, "input")
    assert x is not None
    target = a.fact(1, "dtype")
    if target is None or target.kind is not Kind.IMPORT or target.qualname is None:
        raise Unknown
    name = target.qualname.rsplit(".", 1)[-1]
    dtype = dtype_of(target) or LEGACY_DTYPES.get(name)
    if dtype is None:
        raise Unknown
    return cast(x, dtype)


def _cast_method(dtype: str) -> Callable[[Args], Result]:
    def handler(a: Args) -> Result:
        x = a.fact(0, "input")
        assert x is not None
        if a.count() > 1 or "memory_format" in a.keywords:
            raise Unknown
        return cast(x, dtype)

    return handler


def _unary(name: str) -> Callable[[Args], Result]:
    return lambda a: unary(name, a)


def _binary(name: str) -> Callable[[Args], Result]:
    return lambda a: binary(name, a)


def _masked_fill(a: Args) -> Result:
    value = a.fact(2, "value")
    if value is None or value.kind not in (Kind.INT, Kind.FLOAT):
        raise Unknown
    return masked_fill(a)


def _where(a: Args) -> Result:
    if a.count() != 3:
        raise Unknown
    # `x.where(cond, y)` puts the tensor first; torch.where(cond, x, y) the condition.
    return where(a)


def _where_method(a: Args) -> Result:
    if a.count() != 3:
        raise Unknown
    x, cond, other = a.positional
    return where(Args([cond, x, other], {}, True))


def _new_sized(name: str) -> Callable[[Args], Result]:
    def handler(a: Args) -> Result:
        x = a.fact(0, "input")
        assert x is not None
        if name == "new_full":  # the size is one sequence, the fill value follows
            size = a.fact(1, "size")
            if size is None or not is_sequence(size):
                raise Unknown
            sizes = sizes_of(size)
        else:
            sizes = a.sizes(1)
        _check_sizes(sizes)
        return Out(sizes, a.dtype(None, "dtype") or x.dtype, contiguous_strides(sizes))

    return handler


def _check_sizes(sizes: tuple[Dim, ...]) -> None:
    if any(isinstance(d, int) and d < 0 for d in sizes):
        raise Unknown


def _size_preserving(a: Args) -> Result:
    x = a.fact(0, "input")
    assert x is not None
    return Out(x.shape, x.dtype, x.strides)


def _moved(a: Args) -> Result:
    """`.cpu()`, `.cuda()`: the tensor itself or a copy, which keeps a dense layout only."""
    x = a.fact(0, "input")
    assert x is not None
    if x.shape is None or x.strides is None or not non_overlapping_and_dense(x.shape, x.strides):
        return Out(x.shape, x.dtype)
    return Out(x.shape, x.dtype, x.strides)
