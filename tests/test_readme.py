"""The README stays true: its rule table is the registry's, its test command is CI's, its example shows every rule."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from torchlint.docs import quick_start_output, rule_table, update_readme
from torchlint.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_rule_table_matches_registry() -> None:
    match = re.search(r"<!-- rules-table:[^\n]*-->\n(.*?)<!-- /rules-table -->", README, re.S)
    assert match, "README.md has no generated rules table"
    assert match.group(1) == rule_table(), (
        "stale rule table: regenerate with `python -m torchlint.docs --update-readme`"
    )


def test_quick_start_output_is_what_the_command_prints() -> None:
    """The quick start's sample is a real run of `torchlint examples/`, exactly; others change the rules
    and examples in parallel, so regenerate it rather than edit it."""
    match = re.search(
        r"<!-- quick-start-output:[^\n]*-->\n```text\n(.*?)```\n<!-- /quick-start-output -->", README, re.S
    )
    assert match, "README.md has no generated quick-start output"
    output = quick_start_output(ROOT)
    assert output.startswith("examples/") and "Found " in output
    assert match.group(1) == output, (
        "stale quick-start output: regenerate with `python -m torchlint.docs --update-readme`"
    )
    assert update_readme(README, output) == README  # the regenerator changes nothing in a current README


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in script and 'eval "$command"' in script
    block = re.search(r"<!-- test-command[^\n]*-->\n```sh\n(.+?)\n```", README, re.S)
    assert block and block.group(1).strip().startswith("python -m pytest")


def test_examples_show_every_rule() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "torchlint", "check", "--output-format", "json", "examples"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    import json

    codes = {d["code"] for d in json.loads(result.stdout)}
    assert codes == {rule.code for rule in ALL_RULES}


def test_cpu_torch_hint_is_two_working_steps() -> None:
    """torch's CPU index on its own line: with `--index-url` beside `.[test]`, pip would look for the
    test extras (pytest, pygls...) on download.pytorch.org only, and fail."""
    block = re.search(r"<!-- cpu-torch[^\n]*-->\n```sh\n(.+?)\n```", README, re.S)
    assert block, "README.md has no CPU-torch block"
    steps = block.group(1).splitlines()
    pinned = re.search(r'pip install "?(torch==[\d.]+)"? -e', README)
    assert pinned, "README.md has no pinned torch in its set-up command"
    assert steps == [
        f"pip install {pinned.group(1)} --index-url https://download.pytorch.org/whl/cpu",
        'pip install -e ".[test]"',
    ]
    assert not any("download.pytorch.org" in line and "[test]" in line for line in README.splitlines())
