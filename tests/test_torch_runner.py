"""The fork server that runs fixtures under torch isolates each run as a fresh process would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_fixtures import TORCH
from torch_runner import run_under_torch

pytestmark = pytest.mark.skipif(not TORCH, reason="torch is not installed")


def test_each_run_starts_from_a_fresh_torch(tmp_path: Path) -> None:
    first = run_under_torch(
        "import torch\ntorch.set_default_dtype(torch.float64)\nx = torch.zeros(1)\n", tmp_path / "a.py"
    )
    assert first.returncode == 0, first.stderr
    second = run_under_torch(
        "import torch\nprint(torch.zeros(1).dtype, torch.get_default_dtype())\n", tmp_path / "b.py"
    )
    assert second.stdout.strip() == "torch.float32 torch.float32"


def test_exceptions_exit_codes_output_and_folder(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("here")
    ok = run_under_torch("import sys\nprint(open('data.txt').read(), __name__, sys.argv[1:])\n", tmp_path / "m.py")
    assert (ok.returncode, ok.stdout) == (0, f"here __main__ {[str(tmp_path / 'm.py')]}\n")
    raised = run_under_torch("x = 1\n\nraise ValueError('boom')\n", tmp_path / "r.py")
    assert raised.returncode == 3
    report = json.loads(raised.stderr.rsplit("FIXTURE-EXCEPTION ", 1)[1])
    assert report == {"type": "ValueError", "message": "boom", "line": 3}
    assert run_under_torch("import sys\nsys.exit(5)\n", tmp_path / "e.py").returncode == 5
    crashed = run_under_torch("import os\nos.abort()\n", tmp_path / "c.py")
    assert crashed.returncode < 0


def test_a_run_past_its_timeout_is_killed(tmp_path: Path) -> None:
    import subprocess

    with pytest.raises(subprocess.TimeoutExpired):
        run_under_torch("import time\ntime.sleep(60)\n", tmp_path / "s.py", timeout=0.5)
    assert run_under_torch("print('next')\n", tmp_path / "n.py").stdout == "next\n"
