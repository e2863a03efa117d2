"""Helpers of scripts/gpu_confirm.sh, run on the GPU machine: environment, fixture report, test summary.

    python scripts/gpu_kit.py env [--allow-no-gpu]    torch, CUDA and GPU; torchlint's requirements satisfied
    python scripts/gpu_kit.py report                   what each `# device: cuda` fixture raised on the device
    python scripts/gpu_kit.py summary JUNIT.xml [--allow-no-gpu]   every CUDA test's result and the totals

Each exits 1 when the GPU run would not confirm anything: a missing or unsatisfied requirement, no GPU
(unless --allow-no-gpu, for the dry run on a CPU), a failed test, or a skipped one on a GPU.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import platform
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _gpu() -> tuple[bool, str]:
    try:
        import torch
    except ImportError as error:
        return False, f"torch: not importable ({error})"
    lines = [f"torch {torch.__version__} at {Path(torch.__file__).parent}", f"torch.version.cuda: {torch.version.cuda}"]
    available = torch.cuda.is_available()
    if available:
        for index in range(torch.cuda.device_count()):
            name = torch.cuda.get_device_name(index)
            lines.append(f"GPU {index}: {name}, compute capability {torch.cuda.get_device_capability(index)}")
    else:
        lines.append("GPU: none (torch.cuda.is_available() is False)")
    return available, "\n".join(lines)


def unsatisfied(root: str) -> list[str]:
    """Problems with `root`'s runtime requirements, transitively, in this interpreter; each with its version."""
    problems: list[str] = []
    seen: set[str] = set()
    pending = [root]
    while pending:
        name = pending.pop()
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            try:
                version = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                problems.append(f"{name} needs {requirement}: not installed")
                continue
            if not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{name} needs {requirement}: {version} is installed")
            if requirement.name not in seen:
                seen.add(requirement.name)
                pending.append(requirement.name)
    return problems


def env(allow_no_gpu: bool) -> int:
    print(f"python {platform.python_version()} at {sys.executable}")
    available, text = _gpu()
    print(text)
    import torchlint

    print(f"torchlint {metadata.version('torchlint')} installed; imported from {Path(torchlint.__file__).parent}")
    problems = unsatisfied("torchlint")
    for problem in problems:
        print(f"REQUIREMENT: {problem}")
    if problems:
        return 1
    print("torchlint's runtime requirements: all satisfied")
    if not available and not allow_no_gpu:
        print("NO GPU: nothing would be confirmed (pass --allow-no-gpu for a dry run)")
        return 1
    return 0


def report(fixtures: list | None = None) -> list[str]:
    """Runs fixtures (default: every `# device: cuda` one) as the tests do; their headers beside what they did."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fixture_format import all_fixtures
    from test_fixtures import _run

    if fixtures is None:
        fixtures = [f for f in all_fixtures() if f.device == "cuda"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda f: _run(f.path.read_text(encoding="utf-8"), f.path), fixtures))
    lines = []
    for fixture, result in zip(fixtures, results, strict=True):
        if result.returncode == 3:
            got = json.loads(result.stderr.rsplit("FIXTURE-EXCEPTION ", 1)[1])
            outcome = f"raised {got['type']}: {got['message'].splitlines()[0]} (line {got['line']})"
        else:
            outcome = "exit 0" if result.returncode == 0 else f"exit {result.returncode}: {result.stderr[-300:]!r}"
        lines += [fixture.id, f"    header: {fixture.runtime}", f"    device: {outcome}"]
    return lines


def summary(junit: Path, allow_no_gpu: bool) -> int:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{Path(case.get('classname', '').replace('.', '/')).name}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            state, detail = "failed", ""
        elif (skipped := case.find("skipped")) is not None:
            state, detail = "skipped", f" ({skipped.get('message', '')})"
        else:
            state, detail = "passed", ""
        counts[state] += 1
        print(f"{state.upper():8} {name}{detail}")
    total = sum(counts.values())
    print(f"CUDA tests: {total} run: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    if total == 0 or counts["failed"]:
        return 1
    if counts["skipped"] and not allow_no_gpu:
        print("a CUDA test was skipped on the GPU machine: it confirmed nothing")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    env_parser = commands.add_parser("env")
    env_parser.add_argument("--allow-no-gpu", action="store_true")
    commands.add_parser("report")
    summary_parser = commands.add_parser("summary")
    summary_parser.add_argument("junit", type=Path)
    summary_parser.add_argument("--allow-no-gpu", action="store_true")
    args = parser.parse_args()
    if args.command == "env":
        return env(args.allow_no_gpu)
    if args.command == "report":
        print("\n".join(report()))
        return 0
    return summary(args.junit, args.allow_no_gpu)


if __name__ == "__main__":
    raise SystemExit(main())
