"""benchmarks/compare.py: `--corpus` replaces the default corpora, and each row is printed as soon as it is
measured (issue 21, item 10g). The peers are stand-in scripts, so nothing is installed."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANG_GUARD = 120  # seconds: only so that a regression cannot hang the suite

# The stand-in Fixit, the last tool measured, waits for the test to have read the rows before it: with
# rows printed only at the end, it is never released and says so.
FIXIT = """#!/bin/sh
i=0
while [ ! -e "{release}" ]; do
  i=$((i + 1))
  if [ "$i" -gt 300 ]; then echo never >> "{log}"; exit 0; fi
  sleep 0.1
done
echo released >> "{log}"
"""


def test_corpus_replaces_defaults_and_rows_stream(tmp_path: Path) -> None:
    bin_dir = tmp_path / "peers" / "bin"
    bin_dir.mkdir(parents=True)
    release, log = tmp_path / "release", tmp_path / "fixit.log"
    for tool in ("ruff", "torchfix"):
        (bin_dir / tool).write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "fixit").write_text(FIXIT.format(release=release, log=log))
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    corpus = tmp_path / "tiny"
    corpus.mkdir()
    (corpus / "m.py").write_text("import torch\na = torch.Tensor([1])\n")

    command = [sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--runs", "1", "--skip-latency"]
    command += ["--peers-venv", str(tmp_path / "peers"), "--corpus", f"tiny={corpus}"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    timer = threading.Timer(HANG_GUARD, process.kill)
    timer.start()
    rows = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            cells = line.split(" | ")
            if line.startswith("| ") and not line.startswith(("| corpus", "| ---")):
                rows.append((cells[0].removeprefix("| "), cells[2]))
                if cells[2] == "torchlint warm":
                    release.touch()
        process.wait()
    finally:
        timer.cancel()
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    # Only the named corpus (torch is installed, so torch.nn would be a default one), every tool once.
    assert rows == [("tiny", tool) for tool in ("ruff", "TorchFix", "torchlint cold", "torchlint warm", "Fixit")]
    assert log.read_text() == "released\n"
