"""The GPU kit (scripts/gpu_*, docs/gpu.md) stays complete on a CPU, so that a GPU run fails only for GPU reasons."""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from pathlib import Path

import pytest
from fixture_format import FIXTURES, parse
from test_fixtures import TORCH

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import gpu_kit  # noqa: E402
import gpu_wheelhouse  # noqa: E402


def test_the_kit_runs_every_test_file_with_a_cuda_mark() -> None:
    script = (ROOT / "scripts" / "gpu_confirm.sh").read_text(encoding="utf-8")
    listed = re.search(r"^CUDA_TEST_FILES=\((.*)\)$", script, re.M)
    assert listed, "gpu_confirm.sh names its test files in CUDA_TEST_FILES=(...)"
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != Path(__file__).name]
    marked = {f"tests/{p.name}" for p in tests if "pytest.mark.cuda" in p.read_text(encoding="utf-8")}
    assert marked, "no test file has a cuda mark"
    missing = marked - set(listed.group(1).split())
    assert not missing, f"not run by the kit: {sorted(missing)}"


def test_wheelhouse_brings_the_requirements_the_gpu_machine_lacks() -> None:
    pins = dict(pin.split("==") for pin in gpu_wheelhouse.pinned_wheels("3.12"))
    # Not on the GPU machine at all (docs/gpu.md): without these, torchlint does not import there.
    assert {"libcst", "pygls", "lsprotocol", "cattrs"} <= pins.keys()
    assert "setuptools" in pins, "torchlint is built from the tree there, offline"
    assert not pins.keys() & gpu_wheelhouse.PREINSTALLED


def test_requirement_closure_follows_markers_of_the_target_python() -> None:
    assert "pyyaml" in gpu_wheelhouse.requirement_closure("libcst", "3.12")  # pyyaml>=5.2; python_version < "3.13"
    assert "pyyaml" not in gpu_wheelhouse.requirement_closure("libcst", "3.13")


def test_unsatisfied_requirements_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert gpu_kit.unsatisfied("torchlint") == []
    info = tmp_path / "kit_probe-1.0.dist-info"
    info.mkdir()
    requires = ["libcst>=999", "no-such-dist-kit-probe", "pytest; extra == 'test'"]
    header = "Metadata-Version: 2.1\nName: kit-probe\nVersion: 1.0\n"
    (info / "METADATA").write_text(header + "".join(f"Requires-Dist: {r}\n" for r in requires), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    problems = gpu_kit.unsatisfied("kit-probe")
    assert problems == [
        f"kit-probe needs libcst>=999: {metadata.version('libcst')} is installed",
        "kit-probe needs no-such-dist-kit-probe: not installed",
    ]


def _junit(tmp_path: Path, cases: str) -> Path:
    path = tmp_path / "junit.xml"
    path.write_text(f'<testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>', encoding="utf-8")
    return path


PASSED = '<testcase classname="tests.test_fixtures" name="test_runtime_behaviour[TL402/bad_a.py]"/>'
SKIPPED = '<testcase classname="tests.test_fixtures" name="t[b]"><skipped message="needs a CUDA GPU"/></testcase>'
FAILED = '<testcase classname="tests.test_fixtures" name="t[c]"><failure message="boom"/></testcase>'


def test_summary_fails_on_a_failure_a_skip_on_the_gpu_or_no_test(tmp_path: Path, capsys) -> None:
    assert gpu_kit.summary(_junit(tmp_path, PASSED), allow_no_gpu=False) == 0
    assert "PASSED   test_fixtures::test_runtime_behaviour[TL402/bad_a.py]" in capsys.readouterr().out
    assert gpu_kit.summary(_junit(tmp_path, PASSED + SKIPPED), allow_no_gpu=False) == 1
    assert gpu_kit.summary(_junit(tmp_path, PASSED + SKIPPED), allow_no_gpu=True) == 0
    assert "1 passed, 0 failed, 1 skipped" in capsys.readouterr().out
    assert gpu_kit.summary(_junit(tmp_path, PASSED + FAILED), allow_no_gpu=True) == 1
    assert gpu_kit.summary(_junit(tmp_path, ""), allow_no_gpu=True) == 1


@pytest.mark.skipif(not TORCH, reason="torch is not installed: runtime confirmation needs it")
def test_report_shows_each_header_beside_what_the_fixture_did() -> None:
    fixtures = [parse(FIXTURES / "TL101" / name) for name in ("bad_index_from_list_name.py", "good_subclass.py")]
    lines = gpu_kit.report(fixtures)
    assert lines[:2] == [
        "TL101/bad_index_from_list_name.py",
        "    header: raises IndexError: tensors used as indices must be long",
    ]
    assert re.fullmatch(r"    device: raised IndexError: tensors used as indices must be long.* \(line \d+\)", lines[2])
    assert lines[3:] == ["TL101/good_subclass.py", "    header: ok", "    device: exit 0"]
