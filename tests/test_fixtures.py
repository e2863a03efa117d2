"""Every rule is confirmed: its fixtures lint as annotated and behave under real torch as their header says."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from fixture_format import Fixture, all_fixtures, meta_stand_in
from torch_runner import run_under_torch

from torchlint.engine import lint_source
from torchlint.rules import ALL_RULES, RULES_BY_CODE

FIXTURES = all_fixtures()


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _torch_installed() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


CUDA = _cuda_available()
TORCH = _torch_installed()


def _params(fixtures: list[Fixture], *, device_marks: bool) -> list:
    params = []
    for fixture in fixtures:
        marks = [pytest.mark.cuda] if device_marks and fixture.device == "cuda" else []
        params.append(pytest.param(fixture, id=fixture.id, marks=marks))
    return params


@pytest.mark.parametrize("fixture", _params(FIXTURES, device_marks=False))
def test_lint_expectations(fixture: Fixture) -> None:
    source = fixture.path.read_text(encoding="utf-8")
    found = {(d.start.line, d.code) for d in lint_source(source, str(fixture.path), ALL_RULES)}
    assert found == set(fixture.expected), (
        f"missing: {sorted(fixture.expected - found)}; unexpected: {sorted(found - fixture.expected)}"
    )


def _run(source: str, path: Path) -> subprocess.CompletedProcess:
    return run_under_torch(source, path)


def _check_runtime(fixture: Fixture, result: subprocess.CompletedProcess, what: str) -> None:
    raises = fixture.raises
    if raises is None:
        assert fixture.runtime == "ok", f"bad runtime header {fixture.runtime!r}"
        assert result.returncode == 0, f"{what} should run clean but failed:\n{result.stderr[-3000:]}"
        return
    exc_type, message = raises
    assert result.returncode == 3, f"{what} should raise {exc_type} but exited {result.returncode}:\n{result.stderr}"
    report = json.loads(result.stderr.rsplit("FIXTURE-EXCEPTION ", 1)[1])
    assert report["type"] == exc_type, f"{what}: expected {exc_type}, got {report}"
    assert message in report["message"], f"{what}: {message!r} not in {report['message']!r}"


@pytest.mark.skipif(not TORCH, reason="torch is not installed: runtime confirmation needs it")
@pytest.mark.parametrize("fixture", _params(FIXTURES, device_marks=True))
def test_runtime_behaviour(fixture: Fixture) -> None:
    if fixture.device == "cuda" and not CUDA:
        pytest.skip("needs a CUDA GPU (torch.cuda.is_available() is False here)")
    result = _run(fixture.path.read_text(encoding="utf-8"), fixture.path)
    _check_runtime(fixture, result, fixture.id)


STAND_INS = [f for f in FIXTURES if f.stand_in == "meta"]


@pytest.mark.skipif(not TORCH, reason="torch is not installed: runtime confirmation needs it")
@pytest.mark.parametrize("fixture", _params(STAND_INS, device_marks=False))
def test_meta_stand_in(fixture: Fixture) -> None:
    """CUDA fixtures whose failure the meta device reproduces are run on CPU too."""
    source = meta_stand_in(fixture.path.read_text(encoding="utf-8"))
    assert '"meta"' in source
    result = _run(source, fixture.path)
    _check_runtime(fixture, result, f"{fixture.id} (meta stand-in)")


def test_every_rule_is_confirmed_by_fixtures() -> None:
    bad = Counter(f.code for f in FIXTURES if f.path.name.startswith("bad_"))
    good = Counter(f.code for f in FIXTURES if f.path.name.startswith("good_"))
    for rule in ALL_RULES:
        assert bad[rule.code] >= 2 and good[rule.code] >= 2, (
            f"{rule.code}: {bad[rule.code]} bad, {good[rule.code]} good"
        )
    for fixture in FIXTURES:
        assert fixture.code in RULES_BY_CODE, f"{fixture.id}: no such rule"
        codes = {code for _, code in fixture.expected}
        if fixture.path.name.startswith("bad_"):
            assert fixture.code in codes, f"{fixture.id} expects no {fixture.code} finding"
        else:
            assert fixture.code not in codes, f"{fixture.id} is a good fixture but expects {fixture.code}"


def test_stand_in_substitution() -> None:
    source = 'x = torch.rand(2, device="cuda")\ny = x.cuda()\nd = "cuda:0" if torch.cuda.is_available() else "cpu"'
    assert meta_stand_in(source) == (
        'x = torch.rand(2, device="meta")\ny = x.to("meta")\nd = "meta" if True else "cpu"'
    )


SHAPE_FAILURES = [f for f in FIXTURES if f.code.startswith("TL5") and f.raises is not None]


@pytest.mark.parametrize("fixture", _params(SHAPE_FAILURES, device_marks=False))
def test_shape_message_is_torchs(fixture: Fixture) -> None:
    """A shape finding states torch's own error: the runtime header's message is part of it."""
    assert fixture.raises is not None
    source = fixture.path.read_text(encoding="utf-8")
    messages = [d.message for d in lint_source(source, str(fixture.path), ALL_RULES) if d.code == fixture.code]
    assert messages, f"{fixture.id}: no {fixture.code} finding"
    for message in messages:
        stated = fixture.raises[1].removesuffix(".")  # torch's final period gives way to the shapes' origins
        assert stated in message, f"{stated!r} not in {message!r}"
