"""What every op rule shares: an op's result (`Out`), its arguments as facts (`Args`), and small helpers."""

from __future__ import annotations

from typing import NamedTuple

import libcst as cst

from torchlint.infer.facts import EACH, Fact, Kind
from torchlint.infer.shapes import (
    DEFAULT_FLOAT,
    DTYPE_NAMES,
    Dim,
    Shape,
    ShapeError,
    Unknown,
    contiguous_strides,
    is_contiguous,
    iterator_strides,
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


def _dims_varargs(a: Args, start: int, name: str = "dims") -> tuple[Dim, ...]:
    if name in a.keywords:
        return sizes_of(a.keywords[name][0])
    return a.sizes(start, name)


def _two_tensors(a: Args, second: str) -> tuple[Fact, Fact]:
    return a.tensor(), a.tensor(1, second)
