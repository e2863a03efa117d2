"""Indexing ops: `index_select`, `gather`."""

from __future__ import annotations

from torchlint.infer.ops.core import Args, Out, Result, wrap
from torchlint.infer.shapes import (
    Unknown,
    contiguous_strides,
)


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
