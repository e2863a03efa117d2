"""Differential testing of the shape checker against torch itself (CPU).

Hypothesis drives `shape_programs.generate`: random straight-line programs over factories, elementwise
ops, matrix products, reshapes, indexing, reductions, joins, nn layers and losses, built from the real
shapes as they run. For each one, torchlint must agree with torch: where torch raised it reports
nothing or the line's shape code at that line with torch's own message; elsewhere nothing; and every
shape, dtype and stride it inferred is the real one. No disagreement is tolerated.

Each chunk has its own fixed seed, so the suite checks the same 2,200 programs on every run and its
verdict never depends on luck; `benchmarks/shape_differential.py --seed N` explores other programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from shape_programs import check, generate

T = TypeVar("T")
CHUNKS = 4
EXAMPLES = 550  # per chunk: 2,200 programs in all


class HypothesisChoices:
    """The generator's choices, drawn from hypothesis (so failures shrink to short programs)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def pick(self, options: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(options))

    def chance(self, probability: float) -> bool:
        return self.data.draw(st.integers(0, 999)) < probability * 1000


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_torchlint_agrees_with_torch(chunk: int) -> None:
    totals = {"programs": 0, "raised": 0, "reported": 0, "bindings": 0, "known": 0, "layouts": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @seed(chunk)
    @given(st.data())
    def agree(data: st.DataObject) -> None:
        program = generate(HypothesisChoices(data))
        verdict = check(program)
        assert not verdict.disagreements, program.source + "\n".join(verdict.disagreements)
        totals["programs"] += 1
        totals["raised"] += program.failure is not None
        totals["reported"] += verdict.reported
        totals["bindings"] += verdict.bindings
        totals["known"] += verdict.known
        totals["layouts"] += verdict.layouts

    agree()
    assert totals["programs"] >= EXAMPLES
    # The agreement is not silence: most failures are caught and most shapes are known.
    assert totals["reported"] >= 0.4 * totals["raised"], totals
    assert totals["known"] >= 0.6 * totals["bindings"], totals
    assert totals["layouts"] >= 0.7 * totals["known"], totals  # layouts are compared, not merely unknown
