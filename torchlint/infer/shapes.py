"""Shape algebra: dims that are ints, symbols or small integer expressions; broadcasting; dtypes.

A dim is an `int` when it is known, else an `Expr`: a polynomial over symbols (a
parameter's size, a name bound to an unknown int) and floor-divisions, kept in a
normal form so that `B*T` and `T*B` are the same dim.  Two dims are *definitely*
different only when their difference is a non-zero constant; everything else that
is not provably equal is unknown, and the checker stays silent about it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

_ids = itertools.count(1)


@dataclass(frozen=True)
class Sym:
    """An unknown non-negative int; `name` is for display, `uid` tells two `n`s apart."""

    name: str
    uid: int

    @property
    def key(self) -> tuple:
        return (0, self.name, self.uid)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class FloorDiv:
    """`num // den` that does not simplify (an opaque atom of the polynomial)."""

    num: Dim
    den: Dim

    @property
    def key(self) -> tuple:
        return (1, str(self), 0)

    def __str__(self) -> str:
        return f"{_operand(self.num)}//{_operand(self.den)}"


def _operand(d: Dim) -> str:
    return f"({d})" if isinstance(d, Expr) and (len(d.terms) > 1 or d.terms[0][1] != 1) else str(d)


Atom = Sym | FloorDiv
Monomial = tuple[Atom, ...]


@dataclass(frozen=True)
class Expr:
    """A polynomial with integer coefficients and at least one non-constant term."""

    terms: tuple[tuple[Monomial, int], ...]

    def __str__(self) -> str:
        text = ""
        for monomial, coefficient in self.terms:
            body = "*".join(str(a) for a in monomial)
            magnitude = abs(coefficient)
            if not body:
                part = str(magnitude)
            elif magnitude == 1:
                part = body
            else:
                part = f"{magnitude}*{body}"
            if not text:
                text = part if coefficient > 0 else f"-{part}"
            else:
                text += f" + {part}" if coefficient > 0 else f" - {part}"
        return text


Dim = int | Expr
Shape = tuple[Dim, ...]


ANONYMOUS = "?"  # how a dim known to exist but not named prints


def symbol(name: str = ANONYMOUS) -> Expr:
    """A fresh unknown dim."""
    return Expr((((Sym(name, next(_ids)),), 1),))


def is_anonymous(dim: Dim) -> bool:
    return isinstance(dim, Expr) and len(dim.terms) == 1 and _single_symbol(dim) == ANONYMOUS


def _single_symbol(dim: Expr) -> str | None:
    monomial, coefficient = dim.terms[0]
    if coefficient == 1 and len(monomial) == 1 and isinstance(monomial[0], Sym):
        return monomial[0].name
    return None


def _terms(dim: Dim) -> dict[Monomial, int]:
    if isinstance(dim, int):
        return {(): dim} if dim else {}
    return dict(dim.terms)


def _make(terms: dict[Monomial, int]) -> Dim:
    cleaned = {m: c for m, c in terms.items() if c}
    if not cleaned:
        return 0
    if set(cleaned) == {()}:
        return cleaned[()]
    ordered = sorted(cleaned.items(), key=lambda item: (not item[0], [a.key for a in item[0]]))
    return Expr(tuple(ordered))


def add(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    terms = _terms(a)
    for monomial, coefficient in _terms(b).items():
        terms[monomial] = terms.get(monomial, 0) + coefficient
    return _make(terms)


def neg(a: Dim) -> Dim:
    if isinstance(a, int):
        return -a
    return _make({m: -c for m, c in a.terms})


def sub(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a - b
    return add(a, neg(b))


def mul(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    terms: dict[Monomial, int] = {}
    for ma, ca in _terms(a).items():
        for mb, cb in _terms(b).items():
            monomial = tuple(sorted(ma + mb, key=lambda atom: atom.key))
            terms[monomial] = terms.get(monomial, 0) + ca * cb
    return _make(terms)


def product(dims: tuple[Dim, ...] | list[Dim]) -> Dim:
    result: Dim = 1
    for d in dims:
        result = mul(result, d)
    return result


def floordiv(a: Dim, b: Dim) -> Dim | None:
    """`a // b` (a size's floor division: `b` is positive); None for a known divisor that is not."""
    if isinstance(b, Expr):
        quotient = exact_div(a, b)  # a multiple of b divides exactly (b is not 0 where the code runs)
        return quotient if quotient is not None else Expr((((FloorDiv(a, b),), 1),))
    if b <= 0:
        return None
    if isinstance(a, int):
        return a // b
    terms = _terms(a)
    constant = terms.pop((), 0)
    if all(c % b == 0 for c in terms.values()):
        # (b*P + c) // b == P + c // b for every integer P.
        return add(_make({m: c // b for m, c in terms.items()}), constant // b)
    if b == 1:
        return a
    return Expr((((FloorDiv(a, b),), 1),))


def exact_div(a: Dim, b: Dim) -> Dim | None:
    """`a / b` when `b` divides `a` as a polynomial (a single-term divisor); else None."""
    if isinstance(a, int) and isinstance(b, int):
        return a // b if b and a % b == 0 else None
    divisor = _terms(b)
    if len(divisor) != 1:
        return None
    ((monomial, coefficient),) = divisor.items()
    result: dict[Monomial, int] = {}
    for m, c in _terms(a).items():
        rest = list(m)
        for atom in monomial:
            if atom not in rest:
                return None
            rest.remove(atom)
        if c % coefficient:
            return None
        result[tuple(rest)] = c // coefficient
    return _make(result)


def same(a: Dim, b: Dim) -> bool:
    """Provably equal."""
    return a == b or sub(a, b) == 0


def differ(a: Dim, b: Dim) -> bool:
    """Provably different: the difference is a non-zero constant."""
    diff = sub(a, b)
    return isinstance(diff, int) and diff != 0


def fmt_shape(shape: Shape) -> str:
    """`[64, 3, 32, 32]`, as torch prints sizes."""
    return "[" + ", ".join(str(d) for d in shape) + "]"


def fmt_size(shape: Shape) -> str:
    """`torch.Size([4, 1])`."""
    return f"torch.Size({fmt_shape(shape)})"


def fmt_x(shape: Shape) -> str:
    """`64x2704`, as torch's matmul messages print a matrix."""
    return "x".join(str(d) for d in shape)


def all_known(shape: Shape) -> bool:
    return all(isinstance(d, int) for d in shape)


class ShapeError(Exception):
    """An op that definitely fails at runtime: the rule code and torch's own message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unknown(Exception):
    """The op's result cannot be determined from what is known."""


def broadcast(a: Shape, b: Shape) -> Shape:
    """Both shapes broadcast together, or ShapeError with torch's message."""
    n = max(len(a), len(b))
    result: list[Dim] = []
    undecided = False  # a pair checked before might fail first, with its own message
    for i in range(n - 1, -1, -1):  # torch checks from the last dim
        x = a[i - n + len(a)] if i >= n - len(a) else 1
        y = b[i - n + len(b)] if i >= n - len(b) else 1
        if same(x, y) or y == 1:
            result.append(x)
        elif x == 1:
            result.append(y)
        elif isinstance(x, int) and isinstance(y, int):
            if undecided:
                raise Unknown
            raise ShapeError(
                "TL504",
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}",
            )
        else:
            undecided = True
            if isinstance(y, int):
                result.append(y)  # x is 1 or y: either way the result is y
            elif isinstance(x, int):
                result.append(x)
            else:
                result.append(symbol())
    return tuple(reversed(result))


def contiguous_strides(shape: Shape) -> Shape:
    strides: list[Dim] = []
    running: Dim = 1
    for d in reversed(shape):
        strides.append(running)
        running = mul(running, d) if d != 0 else running
    return tuple(reversed(strides))


def is_contiguous(shape: Shape, strides: Shape | None) -> bool | None:
    """torch's `is_contiguous()` (size-1 dims ignored); None when it cannot be decided."""
    if strides is None:
        return None
    if any(d == 0 for d in shape):
        return True
    expected: Dim = 1
    for d, s in zip(reversed(shape), reversed(strides), strict=True):
        if d == 1:
            continue
        if not same(s, expected):
            return False if isinstance(s, int) and isinstance(expected, int) else None
        expected = mul(expected, d)
    return True


def non_overlapping_and_dense(shape: Shape, strides: Shape) -> bool | None:
    """torch's `is_non_overlapping_and_dense()`: the elements fill their memory exactly, in some order."""
    if not (all_known(shape) and all_known(strides)):
        return None
    if len(shape) == 1:
        return shape[0] < 2 or strides[0] == 1  # type: ignore[operator]
    order = sorted((i for i in range(len(shape)) if shape[i] >= 2), key=lambda i: strides[i])  # type: ignore[operator]
    required = 1
    for i in order:
        if strides[i] != required:
            return False
        required *= shape[i]  # type: ignore[assignment]
    return True


def iterator_strides(shape: Shape, operands: list[tuple[Shape, Shape | None]]) -> Shape | None:
    """The strides TensorIterator gives the output of an elementwise op on these operands (shape, strides).

    All inputs of one shape laid out alike (contiguous, or dense in one same order) give that layout;
    otherwise the output is dense, its dims ordered as the inputs' strides order them (broadcast dims
    do not vote).  None when a stride is unknown.
    """
    if any(strides is None for _, strides in operands):
        return None
    if all(is_contiguous(s, t) for s, t in operands):  # type: ignore[arg-type]
        return contiguous_strides(shape)
    if not all_known(shape) or not all(all_known(s) and all_known(t) for s, t in operands):  # type: ignore[arg-type]
        return None
    if all(s == shape for s, _ in operands) and all(non_overlapping_and_dense(s, t) for s, t in operands):  # type: ignore[arg-type]
        first = operands[0][1]
        if all(t == first for _, t in operands):
            return first
    n = len(shape)
    broadcast_strides = []
    for s, t in operands:
        lead = n - len(s)
        row = [0] * n
        for i, (d, st) in enumerate(zip(s, t, strict=True)):  # type: ignore[arg-type]
            row[lead + i] = 0 if d == 1 and shape[lead + i] != 1 else st
        broadcast_strides.append(row)

    def should_swap(dim0: int, dim1: int) -> int:
        for row in broadcast_strides:
            s0, s1 = row[dim0], row[dim1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if shape[dim0] > shape[dim1]:  # type: ignore[operator]
                return 1
        return 0

    perm = list(range(n - 1, -1, -1))
    for i in range(1, n):
        dim1 = i
        for dim0 in range(i - 1, -1, -1):
            comparison = should_swap(perm[dim0], perm[dim1])
            if comparison > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif comparison < 0:
                break
    if perm == list(range(n - 1, -1, -1)):
        return contiguous_strides(shape)
    result: list[Dim] = [0] * n
    running = 1
    for d in perm:
        result[d] = running
        running *= shape[d]  # type: ignore[operator]
    return tuple(result)


def view_strides(shape: Shape, strides: Shape, new: Shape) -> Shape | None:
    """torch's `computeStride`: strides of `view(new)`, or None when the view is impossible.

    Raises Unknown when a symbolic size or stride leaves the answer open.
    """
    if not (all_known(shape) and all_known(strides) and all_known(new)):
        raise Unknown
    old_sizes = [int(d) for d in shape]
    old_strides = [int(s) for s in strides]
    sizes = [int(d) for d in new]
    if not old_sizes:
        return tuple(1 for _ in sizes)
    numel = 1
    for d in old_sizes:
        numel *= d
    if numel == 0:
        return tuple(strides) if old_sizes == sizes else contiguous_strides(new)
    result = [0] * len(sizes)
    view_d = len(sizes) - 1
    chunk_base_stride = old_strides[-1] if old_strides else 1
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_sizes) - 1, -1, -1):
        tensor_numel *= old_sizes[tensor_d]
        if tensor_d == 0 or (
            old_sizes[tensor_d - 1] != 1 and old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride
        ):
            while view_d >= 0 and (view_numel < tensor_numel or sizes[view_d] == 1):
                result[view_d] = view_numel * chunk_base_stride
                view_numel *= sizes[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(result)


# -- dtypes ----------------------------------------------------------------------------

FLOATS = ("float16", "bfloat16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
COMPLEX = ("complex32", "complex64", "complex128")
DEFAULT_FLOAT = "float32"

DTYPE_NAMES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16", "int64": "int64", "long": "int64",
    "int32": "int32", "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
    "bool": "bool", "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128",
    "cdouble": "complex128",
}  # fmt: skip
# Tensor methods that convert to a dtype.
CAST_METHODS = {
    "float": "float32", "double": "float64", "half": "float16", "bfloat16": "bfloat16", "long": "int64",
    "int": "int32", "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool", "cfloat": "complex64",
    "cdouble": "complex128",
}  # fmt: skip
# The legacy constructors' dtypes.
LEGACY_DTYPES = {
    "Tensor": None, "FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
    "BFloat16Tensor": "bfloat16", "ByteTensor": "uint8", "CharTensor": "int8", "ShortTensor": "int16",
    "IntTensor": "int32", "LongTensor": "int64", "BoolTensor": "bool",
}  # fmt: skip


def category(dtype: str) -> int:
    if dtype == "bool":
        return 0
    if dtype in INTS:
        return 1
    if dtype in FLOATS:
        return 2
    return 3


def is_float(dtype: str | None) -> bool:
    return dtype in FLOATS


def is_integral(dtype: str | None, *, include_bool: bool = True) -> bool:
    return dtype in INTS or (include_bool and dtype == "bool")


def promote(a: str | None, b: str | None) -> str | None:
    """torch.promote_types, with None for undefined."""
    if a is None or b is None:
        return a if b is None else b
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:
        high, low = (a, b) if ca > cb else (b, a)
        if category(high) == 3 and category(low) == 2:
            return "complex128" if low == "float64" or high == "complex128" else high
        return high
    if ca == 1:
        if "uint8" in (a, b):
            other = b if a == "uint8" else a
            return "int16" if other == "int8" else other
        return max(a, b, key=INTS.index)
    if ca == 2:
        if {a, b} == {"float16", "bfloat16"}:
            return "float32"
        return max(a, b, key=FLOATS.index)
    return max(a, b, key=COMPLEX.index)


def _combine(higher: str | None, lower: str | None) -> str | None:
    """c10's combine_categories."""
    if higher is not None and category(higher) == 3:
        return higher
    if lower is not None and category(lower) == 3:
        if higher is not None and category(higher) == 2:
            return "complex128" if higher == "float64" else "complex64"
        return lower
    if higher is not None and category(higher) == 2:
        return higher
    if higher == "bool" or (lower is not None and category(lower) == 2):
        return promote(higher, lower)
    return higher if higher is not None else lower


def result_type(tensors: list[tuple[str, int]], scalars: list[str]) -> str:
    """torch.result_type: `tensors` as (dtype, ndim), Python scalars as "bool", "int64", "float32", ..."""
    dim_result = zero_result = wrapped = None
    for dtype, ndim in tensors:
        if ndim > 0:
            dim_result = promote(dim_result, dtype)
        else:
            zero_result = promote(zero_result, dtype)
    for dtype in scalars:
        wrapped = promote(wrapped, dtype)
    result = _combine(dim_result, _combine(zero_result, wrapped))
    assert result is not None
    return result
