"""Joins and splits: `cat`, `stack`, `hstack`/`vstack`, `split`, `chunk`, `unbind`."""

from __future__ import annotations

from torchlint.infer.facts import EACH, Fact, Kind
from torchlint.infer.ops.core import Args, Out, Result, elements_of, int_of, is_sequence, sizes_of, wrap
from torchlint.infer.shapes import (
    Dim,
    ShapeError,
    Unknown,
    add,
    all_known,
    contiguous_strides,
    differ,
    fmt_shape,
    is_contiguous,
    mul,
    promote,
    same,
    symbol,
)


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


def _split(a: Args) -> Result:
    x = a.tensor()
    sizes = a.fact(1, "split_size_or_sections")
    if sizes is None:
        sizes = a.fact(None, "split_size")
    if sizes is None:
        raise Unknown
    return split(x, sizes, a.dim(2, "dim", 0))


def _chunk(a: Args) -> Result:
    return chunk(a.tensor(), a.dim(1, "chunks"), a.dim(2, "dim", 0))


def _unbind(a: Args) -> Result:
    return unbind(a.tensor(), a.dim(1, "dim", 0))
