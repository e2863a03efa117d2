"""The content cache: hits skip the analysis (and LibCST), bad entries are never trusted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from torchlint.cache import FOLDER
from torchlint.cli import main

SOURCE = "import torch\na = torch.Tensor([1, 2])\n"
ROOT = Path(__file__).resolve().parent.parent

# Runs the CLI in a fresh interpreter and reports whether LibCST was imported, in that process or in
# the worker processes it forks (they inherit the import hook, which leaves a mark in a file).
PROBE = """
import os, sys
MARK = sys.argv.pop(1)
class Probe:
    def find_spec(self, name, path=None, target=None):
        if name == "libcst":
            with open(MARK, "a") as mark:
                mark.write(f"{os.getpid()}\\n")
        return None
sys.meta_path.insert(0, Probe())
from torchlint.cli import main
code = main(sys.argv[1:])
print("LIBCST-IMPORTED" if os.path.exists(MARK) else "LIBCST-NOT-IMPORTED")
sys.exit(code)
"""


def probe(cwd: Path, *args: str) -> tuple[int, str]:
    mark = cwd / "libcst-imported.txt"
    mark.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(mark), "check", "-j", "1", *args], cwd=cwd, capture_output=True, text=True
    )
    return result.returncode, result.stdout


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(SOURCE)
    return tmp_path


def entries(root: Path) -> list[Path]:
    return sorted((root / FOLDER).rglob("*.json"))


def test_warm_run_hits_without_importing_libcst(project: Path) -> None:
    cold = probe(project, "m.py")
    assert cold[0] == 1 and "m.py:2:5: TL101" in cold[1] and "LIBCST-IMPORTED" in cold[1]
    assert (project / FOLDER / ".gitignore").read_text().strip().endswith("*")
    warm = probe(project, "m.py")
    assert warm[0] == 1 and "m.py:2:5: TL101" in warm[1]
    assert "LIBCST-NOT-IMPORTED" in warm[1]


def test_same_findings_from_cache(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--output-format", "json", "m.py"])
    cold = json.loads(capsys.readouterr().out)
    main(["check", "--output-format", "json", "m.py"])
    assert json.loads(capsys.readouterr().out) == cold
    assert len(entries(project)) == 1


def test_key_includes_content_and_rules(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "m.py"])
    main(["check", "--select", "TL1", "m.py"])
    (project / "m.py").write_text(SOURCE + "b = torch.Tensor(3)\n")
    main(["check", "m.py"])
    assert "TL102" in capsys.readouterr().out
    assert len(entries(project)) == 3


@pytest.mark.parametrize("garbage", ["{not json", '{"version": "0.0.0", "key": "x"}', "[]", ""])
def test_corrupt_or_foreign_entries_are_ignored_and_rewritten(
    project: Path, capsys: pytest.CaptureFixture[str], garbage: str
) -> None:
    main(["check", "m.py"])
    capsys.readouterr()
    (entry,) = entries(project)
    entry.write_text(garbage)
    code = main(["check", "--output-format", "json", "m.py"])
    assert code == 1
    assert [d["code"] for d in json.loads(capsys.readouterr().out)] == ["TL101"]
    assert json.loads(entry.read_text())["diagnostics"][0]["code"] == "TL101"


def test_entry_of_other_content_is_not_trusted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "m.py"])
    (entry,) = entries(project)
    forged = json.loads(entry.read_text())
    forged["diagnostics"] = []
    forged["key"] = "0" * 64  # an entry that claims other content: a miss, not "no findings"
    entry.write_text(json.dumps(forged))
    capsys.readouterr()
    assert main(["check", "m.py"]) == 1
    assert "TL101" in capsys.readouterr().out


def test_no_cache(project: Path) -> None:
    main(["check", "--no-cache", "m.py"])
    assert not (project / FOLDER).exists()
