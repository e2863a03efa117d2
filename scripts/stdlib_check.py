"""Lint every .py file of this Python's standard library and test suite with all rules; never crash.

    python scripts/stdlib_check.py [-j N]

Prints files, findings, syntax errors (TL001), analysis limits (TL003), internal errors (TL002,
which must be 0), unreadable files, the wall time and the slowest files. Exits 1 on any internal error.
"""

from __future__ import annotations

import argparse
import sysconfig
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from torchlint.rule_codes import RULE_CODES
from torchlint.runner import FileTask, default_jobs, lint_file


def timed(path: str) -> tuple[str, float, list[str], str | None]:
    start = time.perf_counter()
    outcome = lint_file(FileTask(path, RULE_CODES, timeout=60.0))
    return path, time.perf_counter() - start, [d.code for d in outcome.diagnostics], outcome.error


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-j", "--jobs", type=int, default=default_jobs())
    args = parser.parse_args()
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(str(p) for p in root.rglob("*.py") if "site-packages" not in p.parts)
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(timed, files, chunksize=16))
    wall = time.perf_counter() - start
    codes = Counter(code for _, _, found, _ in results for code in found)
    unreadable = [(path, error) for path, _, _, error in results if error]
    internal = [path for path, _, found, _ in results if "TL002" in found]
    print(f"stdlib: {root}")
    print(f"files: {len(results)}  wall: {wall:.1f} s with {args.jobs} processes")
    print(f"findings: {sum(codes.values())}  by code: {dict(sorted(codes.items()))}")
    print(f"syntax errors (TL001): {codes['TL001']}  analysis limits (TL003): {codes['TL003']}")
    print(f"internal errors (TL002): {len(internal)}  unreadable: {len(unreadable)}")
    for path in internal:
        print(f"  internal error: {path}")
    for _, error in unreadable[:10]:
        print(f"  unreadable: {error}")
    print("slowest files:")
    for path, seconds, _, _ in sorted(results, key=lambda r: -r[1])[:5]:
        print(f"  {seconds:6.2f} s  {path}")
    return 1 if internal else 0


if __name__ == "__main__":
    raise SystemExit(main())
