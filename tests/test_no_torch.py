"""Linting never imports torch: the whole CLI run works where `import torch` fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# `sys.modules["torch"] = None` makes every `import torch` raise ImportError, in workers too (fork).
BLOCKED = """
import sys
sys.modules["torch"] = None
sys.modules["numpy"] = None
from torchlint.cli import main
code = main(sys.argv[1:])
assert sys.modules["torch"] is None, "something replaced the torch block"
sys.exit(code)
"""


def test_full_lint_without_torch() -> None:
    args = ["check", "--output-format", "json", "-j", "2", "examples", "fixtures"]
    result = subprocess.run([sys.executable, "-c", BLOCKED, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    assert not [d for d in findings if d["code"] == "TL002"]
    assert {"TL101", "TL401", "TL201"} <= {d["code"] for d in findings}


def test_the_package_does_not_import_torch() -> None:
    code = "import sys, torchlint.cli, torchlint.api, torchlint.engine; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
