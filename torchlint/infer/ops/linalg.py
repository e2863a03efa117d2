"""Matrix products: `mm`, `mv`, `dot`, `bmm`, `matmul`, `outer`, `linear`, `einsum`."""

from __future__ import annotations

from torchlint.infer.facts import Fact, Kind
from torchlint.infer.ops.core import Args, Out, Result, _two_tensors
from torchlint.infer.ops.joins import _tensor_list
from torchlint.infer.shapes import (
    Dim,
    Shape,
    ShapeError,
    Unknown,
    all_known,
    broadcast,
    contiguous_strides,
    differ,
    fmt_x,
    mul,
    product,
    promote,
    same,
)


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
