"""What torch ops do to shapes, dtypes and strides: the dispatch from an op's name to its rule.

The rules live by op family in `torchlint/infer/ops/`: `elementwise`, `linalg` (matrix products),
`views` (views and reshapes), `joins` (joins and splits), `reductions`, `indexing`, sharing `core`
(`Out`, `Args` and helpers). An op takes `Args` (the call's arguments as facts; the tensor itself
first for a method) and returns an `Out`, or a tuple of them for ops that return several tensors.
It raises `ShapeError` when torch definitely raises, with torch's own message, and `Unknown` when
what is known does not settle the result: the checker then knows nothing about it. `__all__` is
this module's interface to the evaluator, the layers and the sources.
"""

from __future__ import annotations

from collections.abc import Callable

from torchlint.infer.ops.core import (
    LIST,
    NAMED_LIST,
    Args,
    Located,
    Out,
    Result,
    elements_of,
    int_of,
    is_sequence,
    iterated,
    literal_bool,
    sizes_of,
    wrap,
)
from torchlint.infer.ops.elementwise import (
    _UNARY_FLOAT,
    _UNARY_SAME,
    AUGMENTED,
    BINARY_OPS,
    OPERATORS,
    _binary,
    _cast_method,
    _masked_fill,
    _moved,
    _new_sized,
    _size_preserving,
    _to,
    _type,
    _unary,
    _where,
    _where_method,
    elementwise,
    in_place,
    unary,
)
from torchlint.infer.ops.indexing import (
    _gather,
    _index_select,
)
from torchlint.infer.ops.joins import (
    _chunk,
    _joined,
    _split,
    _tensor_list,
    _unbind,
    hstack,
    vstack,
)
from torchlint.infer.ops.linalg import (
    _bmm,
    _dot,
    _einsum,
    _matmul,
    _mm,
    _mv,
    _outer,
    linear,
    matmul,
)
from torchlint.infer.ops.reductions import (
    _argsort,
    _cumulative,
    _reduction,
    _softmax,
    _sort,
    _topk,
    softmax,
)
from torchlint.infer.ops.views import (
    _contiguous,
    _expand,
    _expand_as,
    _flatten,
    _movedim,
    _narrow,
    _permute,
    _repeat,
    _reshape,
    _select,
    _squeeze,
    _t,
    _transpose,
    _unflatten,
    _unsqueeze,
    _view,
    _view_as,
    flatten,
    permute,
    transpose,
    unflatten,
)
from torchlint.infer.shapes import (
    CAST_METHODS,
    Unknown,
)

__all__ = [
    "AUGMENTED",
    "FUNCTIONS",
    "LIST",
    "METHODS",
    "NAMED_LIST",
    "OPERATORS",
    "Args",
    "Located",
    "Out",
    "Result",
    "elements_of",
    "elementwise",
    "flatten",
    "in_place",
    "int_of",
    "is_sequence",
    "iterated",
    "linear",
    "literal_bool",
    "matmul",
    "permute",
    "sizes_of",
    "softmax",
    "tensor_method",
    "torch_function",
    "transpose",
    "unary",
    "unflatten",
    "wrap",
]


def _with_tensor(name: str, a: Args) -> Result:
    """Ops named like a Tensor method (`x.name(...)` or `torch.name(x, ...)`)."""
    handler = METHODS.get(name)
    if handler is None:
        raise Unknown
    return handler(a)


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


def torch_function(name: str, a: Args) -> Result:
    handler = FUNCTIONS.get(name)
    if handler is not None:
        return handler(a)
    if name in ("view", "new_zeros", "new_ones", "new_empty", "new_full", "expand", "repeat", "type", "to"):
        raise Unknown
    return _with_tensor(name, a)


def tensor_method(name: str, a: Args) -> Result:
    return _with_tensor(name, a)
