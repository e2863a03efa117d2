"""`--fix`, `--unsafe-fixes`, `--diff`, `--fix-only`: what is written, what is reported, what is never touched."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from torchlint import writer
from torchlint.cli import main

SOURCE = """\
import torch  # keep this comment


labels = torch.Tensor([0, 1])   # odd spacing stays
for step in range(3):
    loss = (torch.ones(2, requires_grad=True) * 2).sum()
    loss.backward()
    optimizer.step()
"""
SAFE_FIXED = SOURCE.replace("torch.Tensor([0, 1])", "torch.tensor([0, 1], dtype=torch.float32)")
ALL_FIXED = SAFE_FIXED.replace("for step in range(3):\n", "for step in range(3):\n    optimizer.zero_grad()\n")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "train.py"
    path.write_text(SOURCE)
    return path


def test_fix_applies_safe_fixes_only(target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--fix", "train.py"], capsys)
    assert target.read_text() == SAFE_FIXED
    assert code == 1  # TL201 remains
    assert "train.py:7:5: TL201" in out
    assert "Found 2 problems (1 fixed, 1 remaining)." in out
    assert "1 hidden fix can be enabled with --unsafe-fixes." in out


def test_unsafe_fixes(target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--fix", "--unsafe-fixes", "train.py"], capsys)
    assert target.read_text() == ALL_FIXED
    assert code == 0
    assert "(2 fixed, 0 remaining)" in out
    code, out, _ = run(["check", "--fix", "--unsafe-fixes", "train.py"], capsys)
    assert target.read_text() == ALL_FIXED  # idempotent
    assert code == 0


def test_diff_changes_nothing(target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", "--diff", "train.py"], capsys)
    assert target.read_text() == SOURCE
    assert code == 1
    assert out.startswith("--- train.py\n+++ train.py\n")
    assert "-labels = torch.Tensor([0, 1])   # odd spacing stays" in out
    assert "+labels = torch.tensor([0, 1], dtype=torch.float32)   # odd spacing stays" in out
    assert "Would fix 1 problem." in err
    target.write_text(SAFE_FIXED)
    assert run(["check", "--diff", "train.py"], capsys)[0] == 0


def test_fix_only_exits_zero_with_remaining_findings(target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--fix-only", "train.py"], capsys)
    assert code == 0
    assert target.read_text() == SAFE_FIXED
    assert out.strip() == "Fixed 1 problem."


def test_import_added_once_when_torch_is_not_bound(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_text('"""Doc."""\nfrom torch import Tensor\n\na = Tensor(2, 3)\nb = Tensor([1.0])\nc = Tensor(4)\n')
    run(["check", "--fix", str(path)], capsys)
    assert path.read_text() == (
        '"""Doc."""\nfrom torch import Tensor\nimport torch\n\n'
        "a = torch.empty(2, 3)\nb = torch.tensor([1.0], dtype=torch.float32)\nc = torch.empty(4)\n"
    )


def test_alias_is_reused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_text("import torch as T\nx = T.LongTensor(3)\n")
    run(["check", "--fix", str(path)], capsys)
    assert path.read_text() == "import torch as T\nx = T.empty(3, dtype=T.int64)\n"


def test_crlf_and_permissions_are_kept(target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target.write_bytes(SOURCE.replace("\n", "\r\n").encode())
    os.chmod(target, 0o640)
    run(["check", "--fix", "train.py"], capsys)
    assert target.read_bytes() == SAFE_FIXED.replace("\n", "\r\n").encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_read_only_file_is_left_intact(target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(target, 0o444)
    code, _, err = run(["check", "--fix", "train.py"], capsys)
    assert code == 2
    assert "is read-only" in err
    assert target.read_text() == SOURCE
    assert [p.name for p in target.parent.iterdir()] == ["train.py"]  # no temp file left behind


def test_file_changed_during_run_is_not_overwritten(
    target: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writer.write_if_unchanged

    def edit_first(path: Path, original: bytes, new: bytes) -> None:
        path.write_text("# edited by the user meanwhile\n" + SOURCE)
        real(path, original, new)

    monkeypatch.setattr("torchlint.runner.write_if_unchanged", edit_first)
    code, _, err = run(["check", "--fix", "-j", "1", "train.py"], capsys)
    assert code == 2
    assert "changed on disk while torchlint ran" in err
    assert target.read_text() == "# edited by the user meanwhile\n" + SOURCE


def test_failed_write_leaves_the_original(
    target: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("torchlint.writer.os.replace", full_disk)
    code, _, err = run(["check", "--fix", "-j", "1", "train.py"], capsys)
    assert code == 2
    assert "No space left on device" in err
    assert target.read_text() == SOURCE
    assert [p.name for p in target.parent.iterdir()] == ["train.py"]
