"""Where shapes come from: torch factories, literal data, legacy constructors, and indexing."""

from __future__ import annotations

import math
from typing import NoReturn

import libcst as cst

from torchlint.infer.facts import Fact, Kind
from torchlint.infer.shapes import (
    DEFAULT_FLOAT,
    LEGACY_DTYPES,
    Dim,
    Shape,
    ShapeError,
    Unknown,
    all_known,
    broadcast,
    contiguous_strides,
    is_contiguous,
    is_float,
    mul,
    promote,
    same,
    symbol,
)
from torchlint.infer.tensor_ops import Args, Out, elements_of, int_of, is_sequence, literal_bool, sizes_of

_SIZED = frozenset({"zeros", "ones", "empty", "rand", "randn"})
_LIKE = frozenset({"zeros_like", "ones_like", "empty_like", "rand_like", "randn_like", "full_like", "randint_like"})
_ODD_KEYWORDS = frozenset({"out", "layout", "names", "memory_format"})


def _fresh(shape: Shape, dtype: str | None) -> Out:
    return Out(shape, dtype, contiguous_strides(shape))


def _checked(sizes: tuple[Dim, ...]) -> tuple[Dim, ...]:
    if any(isinstance(d, int) and d < 0 for d in sizes):
        raise Unknown
    return sizes


def factory(name: str, a: Args) -> Out:
    """`torch.<name>(...)` for the factories whose result shape the arguments give."""
    if _ODD_KEYWORDS & set(a.keywords):
        raise Unknown
    dtype = a.dtype(None, "dtype")
    if name in _SIZED:
        if name in ("rand", "randn") and dtype is not None and not is_float(dtype):
            raise Unknown
        return _fresh(_checked(a.sizes(0)), dtype or DEFAULT_FLOAT)
    if name == "full":
        size, fill = a.fact(0, "size"), a.fact(1, "fill_value")
        if size is None or fill is None or not is_sequence(size):
            raise Unknown
        return _fresh(_checked(sizes_of(size)), dtype or _scalar_dtype(fill))
    if name in _LIKE:
        x = a.tensor(0, "input")
        assert x.shape is not None
        result = dtype or x.dtype
        if name in ("rand_like", "randn_like") and result is not None and not is_float(result):
            raise Unknown
        strides = contiguous_strides(x.shape) if is_contiguous(x.shape, x.strides) else None
        return Out(x.shape, result, strides)
    if name == "arange":
        return _arange(a, dtype)
    if name in ("linspace", "logspace"):
        steps = a.dim(2, "steps")
        return _fresh(_checked((steps,)), dtype or DEFAULT_FLOAT)
    if name == "eye":
        n = a.dim(0, "n")
        m = a.dim(1, "m", n)
        return _fresh(_checked((n, m)), dtype or DEFAULT_FLOAT)
    if name == "randint":
        return _randint(a, dtype)
    if name == "randperm":
        return _fresh(_checked((a.dim(0, "n"),)), dtype or "int64")
    if name in ("tensor", "as_tensor", "asarray"):
        data = a.fact(0, "data")
        if data is None:
            raise Unknown
        if data.is_tensor:
            if data.shape is None:
                raise Unknown
            return _fresh(data.shape, dtype or data.dtype)
        shape, inferred = data_shape(data)
        return _fresh(shape, dtype or inferred)
    raise Unknown


def _scalar_dtype(fact: Fact) -> str:
    if fact.kind is Kind.INT:
        return "bool" if fact.dtype == "bool" else "int64"
    if fact.kind is Kind.FLOAT:
        return DEFAULT_FLOAT
    raise Unknown


def _number(found: tuple[Fact, cst.BaseExpression | None] | None) -> int | float | Dim:
    if found is None:
        raise Unknown
    fact, node = found
    if fact.kind is Kind.INT:
        return int_of(fact)
    if fact.kind is Kind.FLOAT and node is not None:
        negative = isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus)
        literal = node.expression if negative else node  # type: ignore[attr-defined]
        if isinstance(literal, cst.Float):
            value = float(literal.value)
            return -value if negative else value
    raise Unknown


def _arange(a: Args, dtype: str | None) -> Out:
    count = a.count()
    if count == 1 and not ({"start", "step"} & set(a.keywords)):
        start, end, step = 0, _number(a.find(0, "end")), 1
    else:
        start = _number(a.find(0, "start"))
        end = _number(a.find(1, "end"))
        step = _number(a.find(2, "step")) if a.find(2, "step") is not None else 1
    values = (start, end, step)
    floats = any(isinstance(v, float) for v in values)
    result = dtype or (DEFAULT_FLOAT if floats else "int64")
    if all(isinstance(v, (int, float)) for v in values):
        if step == 0:
            raise Unknown
        length = math.ceil((end - start) / step)  # type: ignore[operator]
        if length < 0:
            raise Unknown
        return _fresh((length,), result)
    if start == 0 and step == 1 and not floats:
        return _fresh((end,), result)  # type: ignore[arg-type]
    raise Unknown


def _randint(a: Args, dtype: str | None) -> Out:
    size = a.fact(None, "size")
    if size is None:
        positional = [f for f, _ in a.positional]
        if len(positional) not in (2, 3) or not a.complete:
            raise Unknown
        size = positional[-1]
    if not is_sequence(size):
        raise Unknown
    return _fresh(_checked(sizes_of(size)), dtype or "int64")


def data_shape(fact: Fact) -> tuple[Shape, str]:
    """The shape and dtype torch.tensor gives a nested list of Python numbers."""
    if fact.kind is Kind.INT:
        if fact.value is None and fact.dtype is None:
            return (), "int64"
        return (), "bool" if fact.dtype == "bool" else "int64"
    if fact.kind is Kind.FLOAT:
        return (), DEFAULT_FLOAT
    elements = elements_of(fact)
    if fact.kind is not Kind.SEQUENCE or elements is None:
        raise Unknown
    if not elements:
        return (0,), DEFAULT_FLOAT
    inner = [data_shape(e) for e in elements]
    shapes = {s for s, _ in inner}
    if len(shapes) != 1:
        raise Unknown
    dtype: str | None = None
    for _, d in inner:
        dtype = promote(dtype, d)
    assert dtype is not None
    return (len(elements), *shapes.pop()), dtype


def legacy(name: str, a: Args) -> Out:
    """`torch.Tensor(...)` and the typed constructors: data, sizes, a torch.Size or a tensor."""
    dtype = LEGACY_DTYPES.get(name, None) or DEFAULT_FLOAT
    if a.keywords or not a.complete:
        raise Unknown
    facts = [f for f, _ in a.positional]
    if not facts:
        return _fresh((0,), dtype)
    first = facts[0]
    if len(facts) == 1 and first.kind is Kind.SEQUENCE:
        shape, _ = data_shape(first)
        return _fresh(shape, dtype)
    if len(facts) == 1 and first.kind is Kind.SIZE:
        return _fresh(_checked(sizes_of(first)), dtype)
    if len(facts) == 1 and first.is_tensor:
        if first.shape is None or first.dtype != dtype:
            raise Unknown
        return Out(first.shape, dtype, first.strides)
    if all(f.kind is Kind.INT and f.dtype != "bool" for f in facts):
        return _fresh(_checked(tuple(int_of(f) for f in facts)), dtype)
    raise Unknown


# -- indexing ------------------------------------------------------------------------------

Item = tuple  # ("int", dim) | ("slice", start, stop, step) | ("none",) | ("ellipsis",) | ("list", n) | ("tensor", fact)


def index_item(fact: Fact, node: cst.BaseExpression | None, *, in_tuple: bool) -> Item:
    """One subscript element as an indexing item."""
    if isinstance(node, cst.Ellipsis):
        return ("ellipsis",)
    if isinstance(node, cst.Name) and node.value == "None":
        return ("none",)
    if literal_bool(node) is not None:
        raise Unknown
    if fact.kind is Kind.INT and fact.value is not None:
        return ("int", fact.value)
    if fact.is_tensor:
        return ("tensor", fact)
    elements = elements_of(fact)
    if fact.kind is Kind.SEQUENCE and elements is not None and (in_tuple or isinstance(node, cst.List)):
        values = [e.value for e in elements]
        if elements and all(e.kind is Kind.INT and e.dtype != "bool" and e.value is not None for e in elements):
            return ("list", tuple(values))
    raise Unknown


def _slice_length(size: Dim, start: Dim | None, stop: Dim | None, step: Dim | None) -> Dim:
    if step is not None and (not isinstance(step, int) or step <= 0):
        raise Unknown
    step = step or 1
    if start in (None, 0) and stop is None:
        if step == 1:
            return size
    if not isinstance(size, int):
        if start in (None, 0) and stop is not None and same(stop, size) and step == 1:
            return size
        return symbol()
    bounds = []
    for value, default in ((start, 0), (stop, size)):
        if value is None:
            bounds.append(default)
            continue
        if not isinstance(value, int):
            return symbol()
        if value < 0:
            value += size
        bounds.append(min(max(value, 0), size))
    begin, end = bounds
    return max(0, -(-(end - begin) // step))


def _refuse_zero_dim(items: list[Item]) -> NoReturn:
    """torch's words for indexing a 0-dim tensor (`loss[0]` on a reduced loss is the usual case)."""
    if any(item[0] == "tensor" for item in items):
        raise Unknown
    if len(items) == 1 and items[0][0] == "slice":
        raise ShapeError("TL505", "slice() cannot be applied to a 0-dim tensor.")
    if len(items) == 1 and items[0][0] == "int":
        value = items[0][1]
        if not isinstance(value, int):
            raise Unknown
        if value == 0:
            raise ShapeError(
                "TL505",
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                "convert a 0-dim tensor to a number",
            )
        raise ShapeError("TL505", f"index {value} is out of bounds for dimension 0 with size 0")
    raise ShapeError("TL505", "too many indices for tensor of dimension 0")


def index(x: Fact, items: list[Item]) -> Out:
    """`x[items]` under torch's indexing rules."""
    shape, strides = x.shape, x.strides
    assert shape is not None
    consumed = 0
    for item in items:
        if item[0] in ("int", "slice", "list"):
            consumed += 1
        elif item[0] == "tensor":
            tensor = item[1]
            if tensor.shape is None or tensor.dtype is None:
                raise Unknown
            consumed += len(tensor.shape) if tensor.dtype in ("bool", "uint8") else 1
    if sum(1 for item in items if item[0] == "ellipsis") > 1:
        raise Unknown
    if not shape and consumed:
        _refuse_zero_dim(items)
    if consumed > len(shape):
        raise ShapeError("TL505", f"too many indices for tensor of dimension {len(shape)}")
    dims: list[Dim] = []
    dim_strides: list[Dim] = []
    advanced: list[Shape] = []
    advanced_at: list[int] = []  # result positions where advanced indices stood
    lists: list[tuple[list[int], int]] = []  # list indices with their dim's size
    dim = 0
    for position, item in enumerate(items):
        kind = item[0]
        if kind == "ellipsis":
            for _ in range(len(shape) - consumed):
                dims.append(shape[dim])
                dim_strides.append(strides[dim] if strides is not None else 0)
                dim += 1
        elif kind == "none":
            dims.append(1)
            stride = mul(shape[dim], strides[dim]) if strides is not None and dim < len(shape) else 1
            dim_strides.append(stride)
        elif kind == "int":
            size, value = shape[dim], item[1]
            if isinstance(size, int) and isinstance(value, int) and not -size <= value < size:
                raise ShapeError("TL505", f"index {value} is out of bounds for dimension {position} with size {size}")
            dim += 1
        elif kind == "slice":
            dims.append(_slice_length(shape[dim], item[1], item[2], item[3]))
            step = item[3] if item[3] is not None else 1
            dim_strides.append(mul(strides[dim], step) if strides is not None else 0)
            dim += 1
        elif kind == "list":
            size = shape[dim]
            if not isinstance(size, int) or any(not isinstance(v, int) for v in item[1]):
                raise Unknown
            lists.append((item[1], size))
            advanced.append((len(item[1]),))
            advanced_at.append(len(dims))
            dim += 1
        else:
            tensor = item[1]
            if tensor.dtype in ("bool", "uint8"):
                width = len(tensor.shape)
                covered = shape[dim : dim + width]
                if (
                    width == 0
                    or len(covered) != width
                    or not all(same(a, b) for a, b in zip(covered, tensor.shape, strict=True))
                ):
                    raise Unknown
                advanced.append((symbol(),))
                dim += width
            elif tensor.dtype in ("int64", "int32"):
                advanced.append(tensor.shape)
                dim += 1
            else:
                raise Unknown
            advanced_at.append(len(dims))
    while dim < len(shape):
        dims.append(shape[dim])
        dim_strides.append(strides[dim] if strides is not None else 0)
        dim += 1
    if not advanced:
        return Out(tuple(dims), x.dtype, tuple(dim_strides) if strides is not None else None)
    joined: Shape = ()
    try:
        for part in advanced:
            joined = broadcast(joined, part)
    except ShapeError:
        raise Unknown from None
    adjacent = all(at == advanced_at[0] for at in advanced_at)
    at = advanced_at[0] if adjacent else 0
    result = (*dims[:at], *joined, *dims[at:])
    _check_list_bounds(lists, result, len(lists) == len(advanced))
    return Out(result, x.dtype, None)


def _check_list_bounds(lists: list[tuple[list[int], int]], result: Shape, only_lists: bool) -> None:
    """Indices out of bounds in list indices, reported as torch's kernel finds the first: element by element
    of the broadcast index, list by list within an element; a dim of size 0 is refused before."""
    if any(size == 0 and values for values, size in lists):
        raise ShapeError("TL505", "index is out of bounds for dimension with size 0")
    if all(-size <= v < size for values, size in lists for v in values):
        return
    if not only_lists or not all_known(result) or 0 in result:
        raise Unknown  # other advanced indices take part, or no element is ever read
    length = max(len(values) for values, _ in lists)
    for element in range(length):
        for number, (values, size) in enumerate(lists):
            v = values[element if len(values) > 1 else 0]
            if not -size <= v < size:
                raise ShapeError("TL505", f"index {v} is out of bounds for dimension {number} with size {size}")
