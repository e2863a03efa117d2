"""The shape algebra: symbolic dims, broadcasting, view strides and dtype promotion (the last two against torch)."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torchlint.infer.shapes import (
    ShapeError,
    Unknown,
    add,
    broadcast,
    contiguous_strides,
    differ,
    exact_div,
    floordiv,
    is_contiguous,
    mul,
    product,
    promote,
    result_type,
    same,
    sub,
    symbol,
    view_strides,
)

B, T, H = symbol("B"), symbol("T"), symbol("H")


def test_polynomials_have_one_normal_form() -> None:
    assert mul(B, T) == mul(T, B)
    assert str(mul(mul(B, T), 4)) == "4*B*T"
    assert sub(add(B, 3), B) == 3
    assert product([B, 2, T, 3]) == mul(6, mul(B, T))
    assert str(add(mul(B, T), -1)) == "B*T - 1"


def test_floor_division() -> None:
    assert floordiv(add(mul(2, H), 4), 2) == add(H, 2)
    assert floordiv(add(mul(4, H), 3), 2) == add(mul(2, H), 1)  # (4H + 3) // 2 == 2H + 1
    conv = add(floordiv(sub(H, 3), 2), 1)  # a conv's output size
    assert str(conv) == "(H - 3)//2 + 1"
    assert floordiv(H, 1) == H
    assert floordiv(7, 2) == 3
    assert floordiv(7, 0) is None
    assert str(floordiv(H, B)) == "H//B"  # a head size: dim // num_heads
    assert floordiv(mul(B, H), B) == H
    assert str(floordiv(add(H, 1), mul(2, B))) == "(H + 1)//(2*B)"


def test_exact_division_resolves_minus_one() -> None:
    assert exact_div(mul(mul(B, T), 12), mul(B, 3)) == mul(T, 4)
    assert exact_div(mul(B, T), H) is None
    assert exact_div(add(B, 1), B) is None
    assert exact_div(12, 5) is None


def test_only_constant_differences_are_definite() -> None:
    assert differ(3, 4) and differ(B, add(B, 1))
    assert not differ(B, 3) and not differ(B, T) and not differ(mul(2, B), B)
    assert same(add(B, T), add(T, B)) and not same(B, T)


def test_broadcasting_with_symbols() -> None:
    assert broadcast((B, 1, 3), (4, 1)) == (B, 4, 3)
    assert broadcast((B, 3), (3,)) == (B, 3)
    assert broadcast((B,), (5,)) == (5,)  # B is 1 or 5: the result is 5 either way
    with pytest.raises(ShapeError, match=r"tensor a \(3\) must match the size of tensor b \(4\)"):
        broadcast((2, 3), (4,))
    with pytest.raises(Unknown):
        broadcast((2, B), (3, 4))  # B might fail first, with another message


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(shapes, st.data())
def test_view_strides_agree_with_torch(shape: list[int], data: st.DataObject) -> None:
    base = torch.empty(shape)
    order = data.draw(st.permutations(range(len(shape))))
    x = base.permute(*order)
    if data.draw(st.booleans()):
        x = x[..., :: data.draw(st.integers(1, 2))]
    target: tuple[int, ...] = ()
    rest = x.numel()
    for _ in range(data.draw(st.integers(0, 2))):
        d = data.draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        target, rest = (*target, d), rest // d
    target = (*target, rest)
    strides = view_strides(tuple(x.shape), x.stride(), target)
    try:
        view = x.view(target)
    except RuntimeError:
        assert strides is None
    else:
        assert strides == view.stride()
    assert is_contiguous(tuple(x.shape), x.stride()) == x.is_contiguous()
    assert contiguous_strides(tuple(base.shape)) == base.stride()


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def test_promotion_agrees_with_torch() -> None:
    for a, b in itertools.product(DTYPES, repeat=2):
        expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert f"torch.{promote(a, b)}" == str(expected), (a, b)


def test_result_type_agrees_with_torch() -> None:
    scalars = {"bool": True, "int64": 2, "float32": 2.5}
    for a, (kind, scalar) in itertools.product(DTYPES, scalars.items()):
        tensor = torch.zeros(2, dtype=getattr(torch, a))
        zero_dim = torch.zeros((), dtype=getattr(torch, a))
        assert f"torch.{result_type([(a, 1)], [kind])}" == str(torch.result_type(tensor, scalar)), (a, kind)
        for b in DTYPES:
            other = torch.zeros((), dtype=getattr(torch, b))
            assert f"torch.{result_type([(a, 1), (b, 0)], [])}" == str(torch.result_type(tensor, other)), (a, b)
        assert f"torch.{result_type([(a, 0)], [kind])}" == str(torch.result_type(zero_dim, scalar)), (a, kind)
