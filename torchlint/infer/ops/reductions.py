"""Reductions and scans: `sum`, `mean`, `max`..., `softmax`, `cumsum`, `sort`, `topk`."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from torchlint.infer.facts import Fact, Kind
from torchlint.infer.ops.core import Args, Out, Result, int_of, iterated, literal_bool, same_layout, wrap
from torchlint.infer.ops.elementwise import elementwise
from torchlint.infer.shapes import (
    Dim,
    Shape,
    ShapeError,
    Unknown,
    contiguous_strides,
    is_contiguous,
    is_float,
    is_integral,
)


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


def _reduction(name: str) -> Callable[[Args], Result]:
    return lambda a: reduction(name, a)
