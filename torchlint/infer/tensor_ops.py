"""What torch ops do to shapes, dtypes and strides, and when they raise.

An op takes `Args` (the call's arguments as facts; the tensor itself first for a method)
and returns an `Out`, or a tuple of them for ops that return several tensors.  It raises
`ShapeError` when torch definitely raises, with torch's own message, and `Unknown` when
what is known does not settle the result: the checker then knows nothing about it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import libcst as cst

from torchlint.infer.facts import EACH, Device, Fact, Kind
from torchlint.infer.shapes import (
    CAST_METHODS,
    DEFAULT_FLOAT,
    DTYPE_NAMES,
    FLOATS,
    INTS,
    LEGACY_DTYPES,
    Dim,
    Shape,
    ShapeError,
    Unknown,
    add,
    all_known,
    broadcast,
    category,
    contiguous_strides,
    differ,
    exact_div,
    fmt_shape,
    fmt_x,
    is_contiguous,
    is_float,
    is_integral,
    iterator_strides,
    mul,
    non_overlapping_and_dense,
    product,
    promote,
    result_type,
    same,
    symbol,
    view_strides,
)


class Out(NamedTuple):
    shape: Shape | None
    dtype: str | None
    strides: Shape | None = None


Result = Out | tuple[Out, ...]
Located = tuple[Fact, cst.BaseExpression | None]
_MISSING = object()


def dtype_of(fact: Fact) -> str | None:
    """`torch.float16` (or `x.dtype` when known) as "float16"; None when not a known dtype."""
    if fact.kind is Kind.IMPORT and fact.qualname is not None and fact.qualname.startswith("torch."):
        return DTYPE_NAMES.get(fact.qualname[len("torch.") :])
    return None


def literal_bool(node: cst.BaseExpression | None) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def int_of(fact: Fact) -> Dim:
    if fact.kind is Kind.INT and fact.value is not None and fact.dtype != "bool":
        return fact.value  # type: ignore[return-value]
    raise Unknown


# A list literal's fact (`value` of a SEQUENCE): its elements hold until it is bound to a name, which
# may then be appended to or assigned into; a named list's elements are not trusted for shapes.
LIST = "list"
NAMED_LIST = "named-list"


def elements_of(fact: Fact) -> tuple[Fact, ...] | None:
    """A sequence's elements as far as shapes may trust them."""
    if fact.kind not in (Kind.SEQUENCE, Kind.SIZE) or fact.value in (NAMED_LIST, EACH):
        return None
    return fact.elements


def sizes_of(fact: Fact) -> tuple[Dim, ...]:
    """The dims a sequence, a torch.Size or a single int stands for."""
    if fact.kind is Kind.SIZE and fact.shape is not None:
        return fact.shape
    if fact.kind is Kind.SEQUENCE:
        elements = elements_of(fact)
        if elements is None:
            raise Unknown
        return tuple(int_of(e) for e in elements)
    return (int_of(fact),)


def is_sequence(fact: Fact) -> bool:
    return fact.kind in (Kind.SIZE, Kind.SEQUENCE)


class Args:
    """The arguments of one call as facts (with their nodes, for literals)."""

    def __init__(self, positional: list[Located], keywords: dict[str, Located], complete: bool) -> None:
        self.positional = positional
        self.keywords = keywords
        self.complete = complete  # False after an unresolved *args or **kwargs

    def find(self, index: int | None, name: str | None) -> Located | None:
        if name is not None and name in self.keywords:
            return self.keywords[name]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        if not self.complete:
            raise Unknown
        return None

    def count(self) -> int:
        if not self.complete:
            raise Unknown
        return len(self.positional)

    def fact(self, index: int | None, name: str | None = None) -> Fact | None:
        found = self.find(index, name)
        return found[0] if found is not None else None

    def tensor(self, index: int | None = 0, name: str | None = "input") -> Fact:
        """A tensor argument whose shape is known."""
        fact = self.fact(index, name)
        if fact is None or not fact.is_tensor or fact.shape is None:
            raise Unknown
        return fact

    def dim(self, index: int | None, name: str | None, default: object = _MISSING) -> Dim:
        fact = self.fact(index, name)
        if fact is None or _is_none(self.find(index, name)):
            if default is _MISSING:
                raise Unknown
            return default  # type: ignore[return-value]
        return int_of(fact)

    def dims(self, index: int | None, name: str | None) -> tuple[Dim, ...] | None:
        """An int or a sequence of ints; None when absent (or `None`)."""
        found = self.find(index, name)
        if found is None or _is_none(found):
            return None
        return sizes_of(found[0])

    def flag(self, index: int | None, name: str | None, default: bool) -> bool:
        found = self.find(index, name)
        if found is None:
            return default
        value = literal_bool(found[1])
        if value is None:
            raise Unknown
        return value

    def string(self, index: int | None, name: str | None) -> str | None:
        found = self.find(index, name)
        if found is None:
            return None
        node = found[1]
        if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
            return node.evaluated_value
        raise Unknown

    def dtype(self, index: int | None, name: str | None = "dtype") -> str | None:
        found = self.find(index, name)
        if found is None or _is_none(found):
            return None
        dtype = dtype_of(found[0])
        if dtype is None:
            raise Unknown
        return dtype

    def sizes(self, start: int, name: str = "size") -> tuple[Dim, ...]:
        """Sizes given as varargs (`view(2, 3)`), one sequence (`view((2, 3))`) or `size=`."""
        if name in self.keywords:
            return sizes_of(self.keywords[name][0])
        count = self.count()
        if count == start + 1 and is_sequence(self.positional[start][0]):
            return sizes_of(self.positional[start][0])
        if count <= start:
            raise Unknown  # no sizes at all: a TypeError
        return tuple(int_of(f) for f, _ in self.positional[start:])


def _is_none(found: Located | None) -> bool:
    return found is not None and isinstance(found[1], cst.Name) and found[1].value == "None"


# -- helpers ----------------------------------------------------------------------------


def wrap(dim: Dim, ndim: int) -> int:
    """A dim argument made non-negative, or torch's IndexError when out of range."""
    if not isinstance(dim, int):
        raise Unknown
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise ShapeError("TL505", f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def scalar_dtype(fact: Fact) -> str:
    if fact.kind is Kind.INT:
        return "bool" if fact.dtype == "bool" else "int64"
    if fact.kind is Kind.FLOAT:
        return DEFAULT_FLOAT
    raise Unknown


def same_layout(x: Fact, shape: Shape, dtype: str | None) -> Out:
    """A new tensor laid out like a contiguous input (anything else: strides unknown)."""
    strides = contiguous_strides(shape) if is_contiguous(x.shape or (), x.strides) else None
    return Out(shape, dtype, strides)


def iterated(shape: Shape, tensors: list[Fact], dtype: str | None) -> Out:
    """The output of a TensorIterator op (elementwise, casts, `clone`): laid out as its inputs are."""
    operands = [(f.shape, f.strides) for f in tensors if f.shape is not None]
    if len(operands) != len(tensors):
        return Out(shape, dtype)
    return Out(shape, dtype, iterator_strides(shape, operands))  # type: ignore[arg-type]


# -- elementwise ---------------------------------------------------------------------------

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


# -- matrix products ------------------------------------------------------------------------


def _mm_error(a: Shape, b: Shape) -> ShapeError:
    return ShapeError("TL501", f"mat1 and mat2 shapes cannot be multiplied ({fmt_x(a)} and {fmt_x(b)})")


def _mv_error(mat: Shape, vec: Shape) -> ShapeError:
    return ShapeError("TL501", f"size mismatch, got input ({mat[0]}), mat ({fmt_x(mat)}), vec ({fmt_x(vec)})")


def _same_dtype(x: Fact, y: Fact) -> str | None:
    if x.dtype is not None and y.dtype is not None:
        if x.dtype != y.dtype or x.dtype == "bool":
            raise Unknown
    return x.dtype or y.dtype


def mm(x: Fact, y: Fact) -> Out:
    a, b = x.shape, y.shape
    assert a is not None and b is not None
    if len(a) != 2:
        raise ShapeError("TL501", "self must be a matrix")
    if len(b) != 2:
        raise ShapeError("TL501", "mat2 must be a matrix")
    dtype = _same_dtype(x, y)
    if differ(a[1], b[0]):
        raise _mm_error(a, b)
    return Out((a[0], b[1]), dtype, contiguous_strides((a[0], b[1])))


def mv(x: Fact, y: Fact) -> Out:
    a, b = x.shape, y.shape
    assert a is not None and b is not None
    if len(a) != 2 or len(b) != 1:
        raise ShapeError("TL501", f"vector + matrix @ vector expected, got 1, {len(a)}, {len(b)}")
    dtype = _same_dtype(x, y)
    if differ(a[1], b[0]):
        raise _mv_error(a, b)
    return Out((a[0],), dtype, (1,))


def dot(x: Fact, y: Fact) -> Out:
    a, b = x.shape, y.shape
    assert a is not None and b is not None
    if len(a) != 1 or len(b) != 1:
        raise ShapeError("TL501", f"1D tensors expected, but got {len(a)}D and {len(b)}D tensors")
    dtype = _same_dtype(x, y)
    if differ(a[0], b[0]):
        raise ShapeError(
            "TL501",
            f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] to have the same number of "
            f"elements, but got {a[0]} and {b[0]} elements respectively",
        )
    return Out((), dtype, ())


def bmm(x: Fact, y: Fact) -> Out:
    a, b = x.shape, y.shape
    assert a is not None and b is not None
    if len(a) != 3:
        raise ShapeError("TL501", "batch1 must be a 3D tensor")
    if len(b) != 3:
        raise ShapeError("TL501", "batch2 must be a 3D tensor")
    dtype = _same_dtype(x, y)
    if differ(a[0], b[0]) or differ(a[2], b[1]):
        if not (all_known(a) and all_known(b)):
            raise Unknown
        raise ShapeError(
            "TL501",
            f"Expected size for first two dimensions of batch2 tensor to be: [{a[0]}, {a[2]}] but got: "
            f"[{b[0]}, {b[1]}].",
        )
    shape = (a[0], a[1], b[2])
    return Out(shape, dtype, contiguous_strides(shape))


def _folds(x: Fact, y: Fact) -> bool:
    """ATen's should_fold: whether matmul folds the larger operand into a matrix (messages differ)."""
    a, b = x.shape, y.shape
    assert a is not None and b is not None
    larger = len(a) >= len(b)
    big = x if larger else y
    big_dims = len(big.shape)  # type: ignore[arg-type]
    if not (big_dims >= 3 and min(len(a), len(b)) <= 2):
        return False
    small_grad = y.requires_grad if larger else x.requires_grad
    if small_grad is None:
        raise Unknown
    if small_grad:
        return True
    if len(a) == 2:
        return False
    shape, strides = big.shape, big.strides
    assert shape is not None
    if strides is None:
        raise Unknown
    if not larger:
        shape = (*shape[:-2], shape[-1], shape[-2])
        strides = (*strides[:-2], strides[-1], strides[-2])
    if any(d == 0 for d in shape):
        return True
    for i in range(big_dims - 2):
        expected = mul(strides[i + 1], shape[i + 1])
        if not same(strides[i], expected):
            if isinstance(strides[i], int) and isinstance(expected, int):
                return False
            raise Unknown
    return True


def matmul(x: Fact, y: Fact) -> Out:
    a, b = x.shape, y.shape
    assert a is not None and b is not None
    if 0 in a or 0 in b:
        try:
            return _product(x, y)
        except ShapeError:
            raise Unknown from None  # empty operands take other paths, with other messages
    return _product(x, y)


def _product(x: Fact, y: Fact) -> Out:
    a, b = x.shape, y.shape
    assert a is not None and b is not None
    if not a or not b:
        raise ShapeError(
            "TL501", f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D"
        )
    if len(a) == 1 and len(b) == 1:
        return dot(x, y)
    if len(a) == 2 and len(b) == 1:
        return mv(x, y)
    if len(a) == 1 and len(b) == 2:
        dtype = _same_dtype(x, y)
        if differ(a[0], b[0]):
            raise _mm_error((1, a[0]), b)
        return Out((b[1],), dtype, (1,))
    if len(a) == 2 and len(b) == 2:
        return mm(x, y)
    dtype = _same_dtype(x, y)
    if _folds(x, y):
        if len(a) >= len(b):
            rows = product(a[:-1])
            if len(b) == 2:
                if differ(a[-1], b[0]):
                    raise _mm_error((rows, a[-1]), b)
                shape = (*a[:-1], b[1])
            else:
                if differ(a[-1], b[0]):
                    raise _mv_error((rows, a[-1]), b)
                shape = a[:-1]
        else:
            big = (*b[:-2], b[-1], b[-2])
            rows = product(big[:-1])
            small = (a[1], a[0]) if len(a) == 2 else a
            if differ(big[-1], small[0]):
                if len(a) == 2:
                    raise _mm_error((rows, big[-1]), small)
                raise _mv_error((rows, big[-1]), small)
            shape = (*b[:-2], a[0], b[-1]) if len(a) == 2 else (*b[:-2], b[-1])
        return Out(shape, dtype, contiguous_strides(shape))
    n = (a[-2],) if len(a) > 1 else ()
    p = (b[-1],) if len(b) > 1 else ()
    m1, m2 = a[-1], (b[-2] if len(b) > 1 else b[0])
    try:
        batch = broadcast(a[:-2], b[:-2])
    except ShapeError as error:
        raise ShapeError("TL501", error.message) from None
    if differ(m1, m2):
        if not (all_known(a[:-2]) and all_known(b[:-2])):
            raise Unknown  # the batch dims are checked first and may not broadcast
        size = product(batch)
        raise ShapeError(
            "TL501",
            f"Expected size for first two dimensions of batch2 tensor to be: [{size}, {m1}] but got: [{size}, {m2}].",
        )
    shape = (*batch, *n, *p)
    return Out(shape, dtype, contiguous_strides(shape))


def outer(x: Fact, y: Fact) -> Out:
    a, b = x.shape, y.shape
    assert a is not None and b is not None
    if len(a) != 1:
        raise ShapeError("TL501", f"outer: Expected 1-D argument self, but got {len(a)}-D")
    if len(b) != 1:
        raise ShapeError("TL501", f"outer: Expected 1-D argument vec2, but got {len(b)}-D")
    dtype = promote(x.dtype, y.dtype) if x.dtype is not None and y.dtype is not None else None
    return Out((a[0], b[0]), dtype, contiguous_strides((a[0], b[0])))


def linear(x: Fact, weight: Shape, bias: Shape | None, dtype: str | None) -> Out:
    """F.linear / nn.Linear: (*, in) @ (out, in).T."""
    shape = x.shape
    assert shape is not None
    if not shape:
        raise Unknown
    if len(weight) != 2:
        raise Unknown
    if differ(shape[-1], weight[1]):
        rows = product(shape[:-1]) if len(shape) > 1 else 1
        raise _mm_error((rows, shape[-1]), (weight[1], weight[0]))
    out = (*shape[:-1], weight[0])
    if bias is not None:
        try:
            out = broadcast(out, bias)
        except ShapeError:
            raise Unknown from None
    return Out(out, dtype)


def einsum(equation: str, operands: list[Fact]) -> Out:
    equation = equation.replace(" ", "")
    if "->" in equation:
        lhs, rhs = equation.split("->", 1)
    else:
        lhs, rhs = equation, None
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise ShapeError("TL501", "einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise ShapeError("TL501", "einsum(): more operands were provided than specified in the equation")
    sizes: dict[str, Dim] = {}
    ellipsis: Shape = ()
    counts: dict[str, int] = {}
    for index, (term, fact) in enumerate(zip(terms, operands, strict=True)):
        shape = fact.shape
        if shape is None:
            raise Unknown
        letters = term.replace("...", "")
        if not letters.isalpha() or len(set(letters)) != len(letters) or term.count("...") > 1:
            raise Unknown
        if "..." not in term and len(letters) != len(shape):
            raise ShapeError(
                "TL501",
                f"einsum(): the number of subscripts in the equation ({len(letters)}) does not match the number "
                f"of dimensions ({len(shape)}) for operand {index} and no ellipsis was given",
            )
        if "..." in term:
            before, after = term.split("...")
            if len(letters) > len(shape):
                raise Unknown
            middle = shape[len(before) : len(shape) - len(after)]
            try:
                ellipsis = broadcast(ellipsis, middle)
            except ShapeError:
                raise Unknown from None
            dims = list(zip(before, shape[: len(before)], strict=True)) + list(
                zip(after, shape[len(shape) - len(after) :], strict=False)
            )
        else:
            dims = list(zip(letters, shape, strict=True))
        for letter, size in dims:
            counts[letter] = counts.get(letter, 0) + 1
            seen = sizes.get(letter)
            if seen is None or seen == 1:
                sizes[letter] = size
            elif size != 1 and not same(seen, size):
                if isinstance(seen, int) and isinstance(size, int):
                    raise ShapeError(
                        "TL501",
                        f"einsum(): subscript {letter} has size {size} for operand {index} which does not broadcast "
                        f"with previously seen size {seen}",
                    )
                raise Unknown
    if rhs is None:
        out_letters = "".join(sorted(k for k, v in counts.items() if v == 1))
        prefix: Shape = ellipsis
    else:
        if rhs.replace("...", "") and not rhs.replace("...", "").isalpha():
            raise Unknown
        out_letters = rhs.replace("...", "")
        if any(letter not in sizes for letter in out_letters) or len(set(out_letters)) != len(out_letters):
            raise Unknown
        prefix = ellipsis if "..." in rhs else ()
        if "..." in rhs and not rhs.startswith("..."):
            before = rhs.split("...")[0]
            shape = tuple(sizes[c] for c in before) + ellipsis + tuple(sizes[c] for c in rhs.split("...")[1])
            return Out(shape, _einsum_dtype(operands), contiguous_strides(shape))
    shape = (*prefix, *(sizes[c] for c in out_letters))
    return Out(shape, _einsum_dtype(operands), None)


def _einsum_dtype(operands: list[Fact]) -> str | None:
    dtypes = {f.dtype for f in operands}
    if None in dtypes:
        return None
    if len(dtypes) != 1:
        raise Unknown
    return dtypes.pop()


# -- reshaping ------------------------------------------------------------------------------


def infer_size(requested: tuple[Dim, ...], numel: Dim) -> Shape:
    """`reshape`'s -1 resolution and size check (torch's infer_size)."""
    shown = "[" + ", ".join(str(d) for d in requested) + "]"
    unknown_at = None
    known: Dim = 1
    for i, d in enumerate(requested):
        if d == -1:
            if unknown_at is not None:
                raise ShapeError("TL502", "only one dimension can be inferred")
            unknown_at = i
        elif isinstance(d, int) and d < 0:
            raise ShapeError("TL502", f"invalid shape dimension {d} at index {i} of shape {shown}")
        else:
            known = mul(known, d)
    if unknown_at is None:
        if isinstance(known, int) and isinstance(numel, int) and known != numel:
            raise ShapeError("TL502", f"shape '{shown}' is invalid for input of size {numel}")
        return requested  # where the sizes multiply up, which is when the line runs on
    if isinstance(known, int) and isinstance(numel, int):
        if known == 0:
            if numel == 0:
                raise ShapeError(
                    "TL502",
                    f"cannot reshape tensor of 0 elements into shape {shown} because the unspecified dimension size "
                    "-1 can be any value and is ambiguous",
                )
            raise ShapeError("TL502", f"shape '{shown}' is invalid for input of size {numel}")
        if numel % known:
            raise ShapeError("TL502", f"shape '{shown}' is invalid for input of size {numel}")
        inferred: Dim = numel // known
    else:
        quotient = exact_div(numel, known)
        inferred = symbol() if quotient is None else quotient
    return (*requested[:unknown_at], inferred, *requested[unknown_at + 1 :])


def reshape(x: Fact, requested: tuple[Dim, ...], *, view: bool) -> Out:
    shape = x.shape
    assert shape is not None
    new = infer_size(requested, product(shape))
    if x.strides is None:
        return Out(new, x.dtype)
    if is_contiguous(shape, x.strides):
        return Out(new, x.dtype, contiguous_strides(new))  # any shape views contiguous memory
    try:
        strides = view_strides(shape, x.strides, new)
    except Unknown:
        return Out(new, x.dtype)
    if strides is None:
        if view:
            raise ShapeError(
                "TL507",
                "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                "across two contiguous subspaces). Use .reshape(...) instead.",
            )
        strides = contiguous_strides(new)  # reshape copies
    return Out(new, x.dtype, strides)


def flatten(x: Fact, start: Dim, end: Dim) -> Out:
    shape = x.shape
    assert shape is not None
    s, e = wrap(start, len(shape)), wrap(end, len(shape))
    if s > e:
        raise ShapeError("TL505", "flatten() has invalid args: start_dim cannot come after end_dim")
    if not shape:
        return reshape(x, (1,), view=False)
    if s == e:
        return Out(shape, x.dtype, x.strides)
    return reshape(x, (*shape[:s], product(shape[s : e + 1]), *shape[e + 1 :]), view=False)


def unflatten(x: Fact, dim: Dim, sizes: tuple[Dim, ...]) -> Out:
    shape = x.shape
    assert shape is not None
    d = wrap(dim, len(shape))
    if not shape:
        raise Unknown
    try:
        parts = infer_size(sizes, shape[d])
    except ShapeError:
        shown = "[" + ", ".join(str(s) for s in sizes) + "]"
        raise ShapeError(
            "TL502",
            f"unflatten: Provided sizes {shown} don't multiply up to the size of dim {d} ({shape[d]}) in the input "
            "tensor",
        ) from None
    return reshape(x, (*shape[:d], *parts, *shape[d + 1 :]), view=True)


def squeeze(x: Fact, dims: tuple[Dim, ...] | None) -> Out:
    shape, strides = x.shape, x.strides
    assert shape is not None
    if dims is None:
        if not all_known(shape):
            raise Unknown
        keep = [i for i, d in enumerate(shape) if d != 1]
    else:
        wrapped = {wrap(d, len(shape)) for d in dims}
        if not shape:
            return Out((), x.dtype, ())
        for i in wrapped:
            if not isinstance(shape[i], int):
                raise Unknown
        keep = [i for i in range(len(shape)) if not (i in wrapped and shape[i] == 1)]
    return Out(tuple(shape[i] for i in keep), x.dtype, tuple(strides[i] for i in keep) if strides is not None else None)


def unsqueeze(x: Fact, dim: Dim) -> Out:
    shape, strides = x.shape, x.strides
    assert shape is not None
    d = wrap(dim, len(shape) + 1)
    new = (*shape[:d], 1, *shape[d:])
    if strides is None:
        return Out(new, x.dtype)
    inserted = mul(shape[d], strides[d]) if d < len(shape) else 1
    return Out(new, x.dtype, (*strides[:d], inserted, *strides[d:]))


def permute(x: Fact, order: tuple[Dim, ...]) -> Out:
    shape, strides = x.shape, x.strides
    assert shape is not None
    if len(order) != len(shape):
        raise ShapeError(
            "TL505",
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {len(shape)} is not equal to len(dims) = {len(order)}",
        )
    wrapped = [wrap(d, len(shape)) for d in order]
    if len(set(wrapped)) != len(wrapped):
        raise ShapeError("TL505", "permute(): duplicate dims are not allowed.")
    return Out(
        tuple(shape[i] for i in wrapped),
        x.dtype,
        tuple(strides[i] for i in wrapped) if strides is not None else None,
    )


def transpose(x: Fact, d0: Dim, d1: Dim) -> Out:
    shape = x.shape
    assert shape is not None
    i, j = wrap(d0, len(shape)), wrap(d1, len(shape))
    if not shape:
        return Out((), x.dtype, x.strides)
    order = list(range(len(shape)))
    order[i], order[j] = order[j], order[i]
    return permute(x, tuple(order))


def movedim(x: Fact, source: tuple[Dim, ...], destination: tuple[Dim, ...]) -> Out:
    shape = x.shape
    assert shape is not None
    if len(source) != len(destination) or not shape:
        raise Unknown
    src = [wrap(d, len(shape)) for d in source]
    dst = [wrap(d, len(shape)) for d in destination]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise Unknown
    order: list[int | None] = [None] * len(shape)
    for s, d in zip(src, dst, strict=True):
        order[d] = s
    rest = iter(i for i in range(len(shape)) if i not in src)
    full = tuple(o if o is not None else next(rest) for o in order)
    return permute(x, full) if shape else Out((), x.dtype, x.strides)


def expand(x: Fact, sizes: tuple[Dim, ...]) -> Out:
    shape, strides = x.shape, x.strides
    assert shape is not None
    if not shape and any(isinstance(d, int) and d < 0 for d in sizes):
        raise Unknown  # a 0-dim tensor fails with another message
    if len(sizes) < len(shape):
        raise ShapeError(
            "TL504",
            f"expand({_type_name(x)}{{{fmt_shape(shape)}}}, size={fmt_shape(sizes)}): "
            f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions "
            f"in the tensor ({len(shape)})",
        )
    lead = len(sizes) - len(shape)
    result: list[Dim] = []
    result_strides: list[Dim] = []
    for i in range(len(sizes) - 1, -1, -1):  # torch checks from the last dim
        size = sizes[i]
        if i < lead:
            if size == -1:
                raise ShapeError(
                    "TL504",
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}",
                )
            if isinstance(size, int) and size < 0:
                raise Unknown
            result.append(size)
            result_strides.append(0)
            continue
        have = shape[i - lead]
        stride = strides[i - lead] if strides is not None else 0
        if size == -1 or same(size, have):
            result.append(have)
            result_strides.append(stride)
        elif have == 1:
            if isinstance(size, int) and size < 0:
                raise Unknown
            result.append(size)
            result_strides.append(0)
        elif isinstance(size, int) and isinstance(have, int):
            raise ShapeError(
                "TL504",
                f"The expanded size of the tensor ({size}) must match the existing size ({have}) at non-singleton "
                f"dimension {i}.  Target sizes: {fmt_shape(sizes)}.  Tensor sizes: {fmt_shape(shape)}",
            )
        else:
            raise Unknown
    result.reverse()
    result_strides.reverse()
    return Out(tuple(result), x.dtype, tuple(result_strides) if strides is not None else None)


def _type_name(x: Fact) -> str:
    """How torch names a CPU tensor's type in messages: `torch.FloatTensor`, `CPUBoolType`."""
    names = {
        "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
        "bfloat16": "CPUBFloat16Type", "int64": "torch.LongTensor", "int32": "torch.IntTensor",
        "int16": "torch.ShortTensor", "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "CPUBoolType",
    }  # fmt: skip
    if x.device is not Device.CPU or x.dtype not in names:
        raise Unknown
    return names[x.dtype]


def repeat(x: Fact, sizes: tuple[Dim, ...]) -> Out:
    shape = x.shape
    assert shape is not None
    if len(sizes) < len(shape):
        raise ShapeError(
            "TL504", "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    if any(isinstance(s, int) and s < 0 for s in sizes):
        raise Unknown
    padded = (1,) * (len(sizes) - len(shape)) + tuple(shape)
    result = tuple(mul(d, s) for d, s in zip(padded, sizes, strict=True))
    return Out(result, x.dtype, contiguous_strides(result))


def narrow(x: Fact, dim: Dim, start: Dim, length: Dim) -> Out:
    shape = x.shape
    assert shape is not None
    d = wrap(dim, len(shape))
    if not shape or not (isinstance(start, int) and isinstance(length, int) and isinstance(shape[d], int)):
        raise Unknown
    begin = start + shape[d] if start < 0 else start
    if begin < 0 or length < 0 or begin + length > shape[d]:
        raise Unknown
    return Out((*shape[:d], length, *shape[d + 1 :]), x.dtype, x.strides)


def select(x: Fact, dim: Dim, index: Dim) -> Out:
    shape, strides = x.shape, x.strides
    assert shape is not None
    if not shape:
        raise Unknown
    d = wrap(dim, len(shape))
    size = shape[d]
    if not isinstance(index, int) or not isinstance(size, int) or not -size <= index < size:
        raise Unknown
    return Out(
        (*shape[:d], *shape[d + 1 :]), x.dtype, (*strides[:d], *strides[d + 1 :]) if strides is not None else None
    )


# -- joining and splitting ---------------------------------------------------------------


def each_tensor(fact: Fact | None) -> Fact | None:
    """The element of a list whose elements are all alike (of unknown number), when it is a tensor of known shape."""
    if fact is None or fact.kind is not Kind.SEQUENCE or fact.value != EACH or not fact.elements:
        return None
    element = fact.elements[0]
    return element if element.is_tensor and element.shape else None


def cat_each(x: Fact, dim: Dim) -> Out:
    """`torch.cat` of a list of tensors like `x` (where it runs on, the list is not empty)."""
    shape = x.shape
    assert shape is not None
    d = wrap(dim, len(shape))
    result = (*shape[:d], mul(symbol(), shape[d]) if shape[d] != 0 else 0, *shape[d + 1 :])
    return Out(result, x.dtype, contiguous_strides(result) if is_contiguous(shape, x.strides) else None)


def stack_each(x: Fact, dim: Dim) -> Out:
    shape = x.shape
    assert shape is not None
    d = wrap(dim, len(shape) + 1)
    result = (*shape[:d], symbol(), *shape[d:])
    return Out(result, x.dtype, contiguous_strides(result))


def _joined(a: Args, name: str) -> Result:
    tensors = a.fact(0, "tensors")
    alike = each_tensor(tensors)
    dim = a.dim(1, "axis" if name == "concatenate" else "dim", 0)
    if alike is not None:
        return stack_each(alike, dim) if name == "stack" else cat_each(alike, dim)
    items = _tensor_list(tensors)
    return stack(items, dim) if name == "stack" else cat(items, dim)


def _tensor_list(fact: Fact | None) -> list[Fact]:
    elements = elements_of(fact) if fact is not None and fact.kind is Kind.SEQUENCE else None
    if elements is None:
        raise Unknown
    items = list(elements)
    if not items or any(not f.is_tensor or f.shape is None for f in items):
        raise Unknown
    return items


def _join_dtype(items: list[Fact]) -> str | None:
    if any(f.dtype is None for f in items):
        return None
    dtype: str | None = None
    for f in items:
        dtype = promote(dtype, f.dtype)
    return dtype


def cat(items: list[Fact], dim: Dim) -> Out:
    shapes = [f.shape for f in items]
    for number, shape in enumerate(shapes):
        if shape == ():
            raise ShapeError("TL503", f"zero-dimensional tensor (at position {number}) cannot be concatenated")
    if any(s == (0,) for s in shapes):
        raise Unknown  # legacy empty tensors are skipped
    first = shapes[0]
    assert first is not None
    d = wrap(dim, len(first))
    total: Dim = 0
    undecided = False  # a pair checked before may fail first, with its own message
    for number, shape in enumerate(shapes):
        assert shape is not None
        if len(shape) != len(first):
            if undecided:
                raise Unknown
            raise ShapeError("TL503", f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}")
        for i, (expected, got) in enumerate(zip(first, shape, strict=True)):
            if i == d or same(expected, got):
                continue
            if not differ(expected, got):
                undecided = True
            elif undecided:
                raise Unknown
            else:
                raise ShapeError(
                    "TL503",
                    f"Sizes of tensors must match except in dimension {d}. Expected size {expected} but got size "
                    f"{got} for tensor number {number} in the list.",
                )
        total = add(total, shape[d])
    result = (*first[:d], total, *first[d + 1 :])
    layouts = [is_contiguous(f.shape, f.strides) for f in items]  # type: ignore[arg-type]
    return Out(result, _join_dtype(items), contiguous_strides(result) if all(layouts) else None)


def stack(items: list[Fact], dim: Dim) -> Out:
    first = items[0].shape
    assert first is not None
    d = wrap(dim, len(first) + 1)
    for number, f in enumerate(items):
        shape = f.shape
        assert shape is not None
        if len(shape) != len(first) or any(differ(a, b) for a, b in zip(first, shape, strict=True)):
            raise ShapeError(
                "TL503",
                f"stack expects each tensor to be equal size, but got {fmt_shape(first)} at entry 0 and "
                f"{fmt_shape(shape)} at entry {number}",
            )
        if not all(same(a, b) for a, b in zip(first, shape, strict=True)):
            raise Unknown
    result = (*first[:d], len(items), *first[d:])
    return Out(result, _join_dtype(items), contiguous_strides(result))


def _at_least(items: list[Fact], rank: int) -> list[Fact]:
    """`torch.atleast_1d`/`atleast_2d`: 1s put in front up to `rank` dims."""
    lifted = []
    for f in items:
        shape = f.shape
        assert shape is not None
        lifted.append(f.but(shape=(1,) * (rank - len(shape)) + shape, strides=None) if len(shape) < rank else f)
    return lifted


def hstack(items: list[Fact]) -> Out:
    lifted = _at_least(items, 1)
    return cat(lifted, 0 if len(lifted[0].shape) == 1 else 1)  # type: ignore[arg-type]


def vstack(items: list[Fact]) -> Out:
    out = cat(_at_least(items, 2), 0)
    return Out(out.shape, out.dtype, None)


def split(x: Fact, size_or_sections: Fact, dim: Dim) -> tuple[Out, ...]:
    shape = x.shape
    assert shape is not None
    if not shape:
        raise Unknown
    d = wrap(dim, len(shape))
    total = shape[d]
    if not isinstance(total, int):
        raise Unknown
    if is_sequence(size_or_sections):
        sections = sizes_of(size_or_sections)
        if not all_known(sections):
            raise Unknown
        shown = "[" + ", ".join(str(s) for s in sections) + "]"
        if any(s < 0 for s in sections):  # type: ignore[operator]
            raise ShapeError(
                "TL502",
                f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={shown}",
            )
        if sum(sections) != total:  # type: ignore[arg-type]
            raise ShapeError(
                "TL502",
                f"split_with_sizes expects split_sizes to sum exactly to {total} (input tensor's size at dimension "
                f"{dim}), but got split_sizes={shown}",
            )
        parts = list(sections)
    else:
        step = int_of(size_or_sections)
        if not isinstance(step, int) or step <= 0 or total == 0:
            raise Unknown
        parts = [min(step, total - start) for start in range(0, total, step)]
    if len(parts) > 64:
        raise Unknown
    return tuple(Out((*shape[:d], p, *shape[d + 1 :]), x.dtype, x.strides) for p in parts)


def chunk(x: Fact, chunks: Dim, dim: Dim) -> tuple[Out, ...]:
    shape = x.shape
    assert shape is not None
    if not shape:
        raise Unknown
    d = wrap(dim, len(shape))
    total = shape[d]
    if not isinstance(total, int) or not isinstance(chunks, int) or chunks <= 0 or total == 0:
        raise Unknown
    step = -(-total // chunks)
    parts = [min(step, total - start) for start in range(0, total, step)]
    return tuple(Out((*shape[:d], p, *shape[d + 1 :]), x.dtype, x.strides) for p in parts)


def unbind(x: Fact, dim: Dim) -> tuple[Out, ...]:
    shape = x.shape
    assert shape is not None
    if not shape:
        raise Unknown
    d = wrap(dim, len(shape))
    count = shape[d]
    if not isinstance(count, int) or count > 64:
        raise Unknown
    strides = x.strides
    rest = (*shape[:d], *shape[d + 1 :])
    rest_strides = (*strides[:d], *strides[d + 1 :]) if strides is not None else None
    return tuple(Out(rest, x.dtype, rest_strides) for _ in range(count))


# -- reductions --------------------------------------------------------------------------


def reduce_shape(shape: Shape, dims: tuple[Dim, ...] | None, keepdim: bool) -> Shape:
    if dims is None:
        if keepdim:
            raise Unknown
        return ()
    if not dims:
        raise Unknown
    wrapped = [wrap(d, len(shape)) for d in dims]
    for i, d in enumerate(wrapped):
        if d in wrapped[:i]:
            raise ShapeError("TL505", f"dim {d} appears multiple times in the list of dims")
    if not shape:
        return ()
    if any(shape[i] == 0 or not isinstance(shape[i], int) for i in wrapped) and not keepdim:
        if any(shape[i] == 0 for i in wrapped):
            raise Unknown
    if keepdim:
        return tuple(1 if i in wrapped else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in wrapped)


_SUM_LIKE = frozenset({"sum", "nansum", "prod"})
_FLOAT_REDUCTIONS = frozenset({"mean", "nanmean", "std", "var", "norm", "logsumexp"})
_ORDER_REDUCTIONS = frozenset({"max", "min", "amax", "amin", "argmax", "argmin"})


def reduction(name: str, a: Args) -> Result:
    x = a.tensor()
    shape = x.shape
    assert shape is not None
    dtype_arg = a.dtype(None, "dtype") if "dtype" in a.keywords else None
    if name in ("max", "min"):
        second = a.fact(1, "dim")
        if second is not None and second.is_tensor:
            return elementwise("maximum", [x, second])
        if second is None:
            if a.count() > 1 or "keepdim" in a.keywords or any(s == 0 for s in shape):
                raise Unknown
            return Out((), x.dtype, ())
        dims: tuple[Dim, ...] | None = (int_of(second),)
        keepdim = a.flag(2, "keepdim", False)
        values = reduce_shape(shape, dims, keepdim)
        return (
            Out(values, x.dtype, contiguous_strides(values)),
            Out(values, "int64", contiguous_strides(values)),
        )
    if name in ("std", "var"):
        second = a.fact(1, "dim")
        if second is not None and literal_bool(a.find(1, "dim")[1]) is not None:  # type: ignore[index]
            if a.count() > 2:
                raise Unknown
            dims, keepdim = None, False
        else:
            dims = a.dims(1, "dim")
            keepdim = a.flag(3, "keepdim", False)
    elif name == "norm":
        p = a.fact(1, "p")
        if (
            p is not None
            and p.kind not in (Kind.INT, Kind.FLOAT)
            and not isinstance(a.find(1, "p")[1], cst.SimpleString)
        ):  # type: ignore[index]
            raise Unknown
        dims = a.dims(2, "dim")
        keepdim = a.flag(3, "keepdim", False)
    elif name in ("sum", "nansum", "mean", "nanmean", "logsumexp", "amax", "amin", "all", "any", "count_nonzero"):
        dims = a.dims(1, "dim")
        keepdim = a.flag(2, "keepdim", False)
        if name == "count_nonzero" and "keepdim" in a.keywords:
            raise Unknown
    else:  # prod, argmax, argmin
        dims = a.dims(1, "dim")
        if dims is not None and len(dims) != 1:
            raise Unknown
        keepdim = a.flag(2, "keepdim", False)
    if dims is None and name in ("amax", "amin", "logsumexp"):
        raise Unknown
    if name in _ORDER_REDUCTIONS and any(s == 0 for s in shape):
        raise Unknown
    dtype = _reduction_dtype(name, x.dtype, dtype_arg)
    result = reduce_shape(shape, dims, keepdim)
    return Out(result, dtype, contiguous_strides(result) if is_contiguous(shape, x.strides) else None)


def _reduction_dtype(name: str, dtype: str | None, requested: str | None) -> str | None:
    if requested is not None:
        return requested
    if name in ("argmax", "argmin") and dtype == "bool":
        raise Unknown
    if name in ("argmax", "argmin", "count_nonzero"):
        return "int64"
    if name in ("all", "any"):
        return "uint8" if dtype == "uint8" else "bool"
    if dtype is None:
        return None
    if name in _SUM_LIKE and is_integral(dtype):
        return "int64"
    if name in _FLOAT_REDUCTIONS and not is_float(dtype):
        raise Unknown
    if name in ("amax", "amin") and dtype == "bool":
        raise Unknown
    return dtype


def softmax(x: Fact, dim: Dim | None, dtype: str | None) -> Out:
    shape = x.shape
    assert shape is not None
    if dim is not None:
        wrap(dim, len(shape))
    result_dtype = dtype or x.dtype
    if result_dtype is not None and not is_float(result_dtype):
        raise Unknown
    return same_layout(x, shape, result_dtype)


def cumulative(x: Fact, dim: Dim, dtype: str | None) -> Out:
    shape = x.shape
    assert shape is not None
    wrap(dim, len(shape))
    result = dtype or ("int64" if is_integral(x.dtype) else x.dtype)
    return same_layout(x, shape, result)


# -- dispatch ----------------------------------------------------------------------------


def _with_tensor(name: str, a: Args) -> Result:
    """Ops named like a Tensor method (`x.name(...)` or `torch.name(x, ...)`)."""
    handler = METHODS.get(name)
    if handler is None:
        raise Unknown
    return handler(a)


def _dims_varargs(a: Args, start: int, name: str = "dims") -> tuple[Dim, ...]:
    if name in a.keywords:
        return sizes_of(a.keywords[name][0])
    return a.sizes(start, name)


def _two_tensors(a: Args, second: str) -> tuple[Fact, Fact]:
    return a.tensor(), a.tensor(1, second)


def _split(a: Args) -> Result:
    x = a.tensor()
    sizes = a.fact(1, "split_size_or_sections")
    if sizes is None:
        sizes = a.fact(None, "split_size")
    if sizes is None:
        raise Unknown
    return split(x, sizes, a.dim(2, "dim", 0))


def _sort(a: Args) -> Result:
    x = a.tensor()
    shape = x.shape
    assert shape is not None
    dim = a.fact(1, "dim")
    if dim is not None and dim.kind is Kind.INT:
        wrap(int_of(dim), len(shape))
    elif dim is not None and literal_bool(a.find(1, "dim")[1]) is None:  # type: ignore[index]
        raise Unknown
    values, indices = iterated(shape, [x], x.dtype), iterated(shape, [x], "int64")  # laid out as the input
    return (values, indices)


def _topk(a: Args) -> Result:
    x = a.tensor()
    shape = x.shape
    assert shape is not None
    k = a.dim(1, "k")
    d = wrap(a.dim(2, "dim", -1), len(shape))
    if not shape or not isinstance(k, int) or not isinstance(shape[d], int) or not 0 <= k <= shape[d]:
        raise Unknown
    result = (*shape[:d], k, *shape[d + 1 :])
    return (Out(result, x.dtype, contiguous_strides(result)), Out(result, "int64", contiguous_strides(result)))


def _index_select(a: Args) -> Result:
    x, index = a.tensor(), a.tensor(2, "index")
    shape = x.shape
    assert shape is not None and index.shape is not None
    d = wrap(a.dim(1, "dim"), len(shape))
    if len(index.shape) > 1 or not shape:
        raise Unknown
    length = index.shape[0] if index.shape else 1
    result = (*shape[:d], length, *shape[d + 1 :])
    return Out(result, x.dtype, contiguous_strides(result))


def _gather(a: Args) -> Result:
    x, index = a.tensor(), a.tensor(2, "index")
    assert x.shape is not None and index.shape is not None
    wrap(a.dim(1, "dim"), len(x.shape))
    if len(index.shape) != len(x.shape):
        raise Unknown
    return Out(index.shape, x.dtype, None)


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


def _view(a: Args) -> Result:
    x = _any_tensor(a)
    first = a.fact(1, "size")
    if first is not None and (dtype_of(first) is not None or "dtype" in a.keywords):
        raise Unknown
    if x.shape is None:
        return _sized(x, a.sizes(1))
    return reshape(x, a.sizes(1), view=True)


def _any_tensor(a: Args) -> Fact:
    """The receiver, a tensor whose shape may be unknown."""
    x = a.fact(0, "input")
    if x is None or not x.is_tensor:
        raise Unknown
    return x


def _sized(x: Fact, requested: tuple[Dim, ...]) -> Out:
    """`x.view(B, 512)` of a tensor of unknown shape: the shape it asks for, where the line runs on."""
    if sum(d == -1 for d in requested) > 1 or any(isinstance(d, int) and d < -1 for d in requested):
        raise Unknown
    return Out(tuple(symbol() if d == -1 else d for d in requested), x.dtype)


def _squeeze(a: Args) -> Result:
    x = a.tensor()
    return squeeze(x, a.dims(1, "dim"))


def _flatten(a: Args) -> Result:
    x = a.tensor()
    return flatten(x, a.dim(1, "start_dim", 0), a.dim(2, "end_dim", -1))


def _unflatten(a: Args) -> Result:
    x = a.tensor()
    sizes = a.fact(2, "sizes")
    if sizes is None or not is_sequence(sizes):
        raise Unknown
    return unflatten(x, a.dim(1, "dim"), sizes_of(sizes))


def _transpose(a: Args) -> Result:
    return transpose(a.tensor(), a.dim(1, "dim0"), a.dim(2, "dim1"))


def _t(a: Args) -> Result:
    x = a.tensor()
    assert x.shape is not None
    if len(x.shape) > 2:
        raise ShapeError("TL505", f"t() expects a tensor with <= 2 dimensions, but self is {len(x.shape)}D")
    if len(x.shape) < 2:
        return Out(x.shape, x.dtype, x.strides)
    return transpose(x, 0, 1)


def _movedim(a: Args) -> Result:
    x = a.tensor()
    source, destination = a.dims(1, "source"), a.dims(2, "destination")
    if source is None or destination is None:
        raise Unknown
    return movedim(x, source, destination)


def _narrow(a: Args) -> Result:
    return narrow(a.tensor(), a.dim(1, "dim"), a.dim(2, "start"), a.dim(3, "length"))


def _select(a: Args) -> Result:
    return select(a.tensor(), a.dim(1, "dim"), a.dim(2, "index"))


def _expand_as(a: Args) -> Result:
    x, other = _two_tensors(a, "other")
    return expand(x, other.shape)  # type: ignore[arg-type]


def _view_as(a: Args, *, view: bool) -> Result:
    x, other = _two_tensors(a, "other")
    return reshape(x, other.shape, view=view)  # type: ignore[arg-type]


def _chunk(a: Args) -> Result:
    return chunk(a.tensor(), a.dim(1, "chunks"), a.dim(2, "dim", 0))


def _unbind(a: Args) -> Result:
    return unbind(a.tensor(), a.dim(1, "dim", 0))


def _softmax(a: Args) -> Result:
    x = a.tensor()
    dim = a.fact(1, "dim")
    if dim is None:
        raise Unknown
    return softmax(x, int_of(dim), a.dtype(2, "dtype"))


def _cumulative(a: Args) -> Result:
    return cumulative(a.tensor(), a.dim(1, "dim"), a.dtype(None, "dtype"))


def _argsort(a: Args) -> Result:
    x = a.tensor()
    assert x.shape is not None
    wrap(a.dim(1, "dim", -1), len(x.shape))
    return iterated(x.shape, [x], "int64")  # sort's indices, laid out as the input


def _contiguous(a: Args) -> Result:
    x = a.tensor()
    return Out(x.shape, x.dtype, contiguous_strides(x.shape))  # type: ignore[arg-type]


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


def _reduction(name: str) -> Callable[[Args], Result]:
    return lambda a: reduction(name, a)


def _matmul(a: Args) -> Result:
    return matmul(*_two_tensors(a, "other"))


def _mm(a: Args) -> Result:
    return mm(*_two_tensors(a, "mat2"))


def _bmm(a: Args) -> Result:
    return bmm(*_two_tensors(a, "mat2"))


def _mv(a: Args) -> Result:
    return mv(*_two_tensors(a, "vec"))


def _dot(a: Args) -> Result:
    return dot(*_two_tensors(a, "tensor"))


def _outer(a: Args) -> Result:
    return outer(*_two_tensors(a, "vec2"))


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


def _reshape(a: Args) -> Result:
    x = _any_tensor(a)
    sizes = sizes_of(a.keywords["shape"][0]) if "shape" in a.keywords else a.sizes(1, "shape")
    if x.shape is None:
        return _sized(x, sizes)
    return reshape(x, sizes, view=False)


def _permute(a: Args) -> Result:
    return permute(a.tensor(), _dims_varargs(a, 1))


def _expand(a: Args) -> Result:
    return expand(a.tensor(), a.sizes(1))


def _repeat(a: Args) -> Result:
    return repeat(a.tensor(), _dims_varargs(a, 1, "repeats"))


def _unsqueeze(a: Args) -> Result:
    return unsqueeze(a.tensor(), a.dim(1, "dim"))


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


METHODS: dict[str, Callable[[Args], Result]] = {
    "view": _view,
    "reshape": _reshape,
    "view_as": lambda a: _view_as(a, view=True),
    "reshape_as": lambda a: _view_as(a, view=False),
    "flatten": _flatten,
    "ravel": lambda a: flatten(a.tensor().but(strides=_contiguous(a).strides), 0, -1),  # type: ignore[union-attr]
    "unflatten": _unflatten,
    "squeeze": _squeeze,
    "unsqueeze": _unsqueeze,
    "transpose": _transpose,
    "swapaxes": lambda a: transpose(a.tensor(), a.dim(1, "axis0"), a.dim(2, "axis1")),
    "swapdims": _transpose,
    "t": _t,
    "permute": _permute,
    "movedim": _movedim,
    "moveaxis": _movedim,
    "expand": _expand,
    "expand_as": _expand_as,
    "repeat": _repeat,
    "narrow": _narrow,
    "select": _select,
    "split": _split,
    "chunk": _chunk,
    "unbind": _unbind,
    "contiguous": _contiguous,
    "matmul": _matmul,
    "mm": _mm,
    "bmm": _bmm,
    "mv": _mv,
    "dot": _dot,
    "outer": _outer,
    "ger": _outer,
    "softmax": _softmax,
    "log_softmax": _softmax,
    "cumsum": _cumulative,
    "cumprod": _cumulative,
    "sort": _sort,
    "argsort": _argsort,
    "topk": _topk,
    "index_select": _index_select,
    "gather": _gather,
    "masked_fill": _masked_fill,
    "where": _where_method,
    "to": _to,
    "type": _type,
    "cpu": _moved,
    "cuda": _moved,
    "requires_grad_": _size_preserving,
    "new_zeros": _new_sized("new_zeros"),
    "new_ones": _new_sized("new_ones"),
    "new_empty": _new_sized("new_empty"),
    "new_full": _new_sized("new_full"),
    "zero_": _size_preserving,
    "fill_": _size_preserving,
    "uniform_": _size_preserving,
    "normal_": _size_preserving,
    "copy_": _size_preserving,
    "clamp_": _size_preserving,
    "float": _cast_method("float32"),
}
METHODS.update({name: _cast_method(dtype) for name, dtype in CAST_METHODS.items()})
METHODS.update({name: _unary(name) for name in _UNARY_FLOAT | _UNARY_SAME})
METHODS.update({name: _binary(name) for name in BINARY_OPS})
METHODS.update(
    {
        name: _reduction(name)
        for name in [
            "sum",
            "nansum",
            "mean",
            "nanmean",
            "prod",
            "std",
            "var",
            "norm",
            "max",
            "min",
            "amax",
            "amin",
            "argmax",
            "argmin",
            "all",
            "any",
            "logsumexp",
            "count_nonzero",
        ]
    }
)

# torch.<name>(...) functions that are not simply the method with the tensor first.
FUNCTIONS: dict[str, Callable[[Args], Result]] = {
    "where": _where,
    "cat": lambda a: _joined(a, "cat"),
    "concat": lambda a: _joined(a, "concat"),
    "concatenate": lambda a: _joined(a, "concatenate"),
    "stack": lambda a: _joined(a, "stack"),
    "hstack": lambda a: hstack(_tensor_list(a.fact(0, "tensors"))),
    "vstack": lambda a: vstack(_tensor_list(a.fact(0, "tensors"))),
    "einsum": lambda a: _einsum(a),
}


def _einsum(a: Args) -> Result:
    equation = a.string(0, "equation")
    if equation is None:
        raise Unknown
    operands = [f for f, _ in a.positional[1:]]
    if a.count() == 2 and operands[0].kind is Kind.SEQUENCE:
        operands = _tensor_list(operands[0])
    if any(not f.is_tensor or f.shape is None for f in operands):
        raise Unknown
    return einsum(equation, operands)


def torch_function(name: str, a: Args) -> Result:
    handler = FUNCTIONS.get(name)
    if handler is not None:
        return handler(a)
    if name in ("view", "new_zeros", "new_ones", "new_empty", "new_full", "expand", "repeat", "type", "to"):
        raise Unknown
    return _with_tensor(name, a)


def tensor_method(name: str, a: Args) -> Result:
    return _with_tensor(name, a)
