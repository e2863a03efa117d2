"""Views and reshapes: `view`/`reshape`, `flatten`, `squeeze`, `permute`, `transpose`, `expand`, `narrow`..."""

from __future__ import annotations

from torchlint.infer.facts import Device, Fact
from torchlint.infer.ops.core import (
    Args,
    Out,
    Result,
    _dims_varargs,
    _two_tensors,
    dtype_of,
    is_sequence,
    sizes_of,
    wrap,
)
from torchlint.infer.shapes import (
    Dim,
    Shape,
    ShapeError,
    Unknown,
    all_known,
    contiguous_strides,
    exact_div,
    fmt_shape,
    is_contiguous,
    mul,
    product,
    same,
    symbol,
    view_strides,
)


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


def _contiguous(a: Args) -> Result:
    x = a.tensor()
    return Out(x.shape, x.dtype, contiguous_strides(x.shape))  # type: ignore[arg-type]


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
