"""The shape checker against torch on many random programs: agreement, silence and op coverage.

    python benchmarks/shape_differential.py [--programs 50000] [--jobs 2] [--seed 0]

Programs come from tests/shape_programs.py (the generator tests/test_shape_differential.py drives
with hypothesis), here from seeded `random.Random`s, run under torch on the CPU in worker processes.
Reported: agreement (programs where torchlint agrees with torch: no false finding, the right code
and torch's message where it reports a failure, every inferred shape, dtype and stride the real one), the
silence rate (programs where torchlint knew no shape and reported nothing), how many of torch's
failures torchlint reported, and per op: lines generated, failures at it and failures reported.
Disagreements are printed (first 20) with their programs; the exit code is 1 when there is any.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from shape_programs import RandomChoices, check, generate


def _run(seeds: range) -> dict:
    stats: dict = {
        "programs": 0, "agree": 0, "silent": 0, "raised": 0, "shape_failures": 0, "reported": 0, "bindings": 0,
        "known": 0, "layouts": 0, "lines": Counter(), "failures": Counter(), "caught": Counter(), "disagreements": [],
    }  # fmt: skip
    for seed in seeds:
        program = generate(RandomChoices(seed))
        verdict = check(program)
        stats["programs"] += 1
        stats["bindings"] += verdict.bindings
        stats["known"] += verdict.known
        stats["layouts"] += verdict.layouts
        stats["lines"].update(program.ops)
        if verdict.disagreements:
            stats["disagreements"].append((seed, program.source, verdict.disagreements))
        else:
            stats["agree"] += 1
        if verdict.known == 0 and not verdict.reported:
            stats["silent"] += 1
        if program.failure is not None:
            line, _, _, codes = program.failure
            op = program.ops[line - 1 - len(program.lines) + len(program.ops)]
            stats["raised"] += 1
            stats["failures"][op] += 1
            stats["shape_failures"] += bool(codes)
            if verdict.reported:
                stats["reported"] += 1
                stats["caught"][op] += 1
    return stats


def _merge(parts: list[dict]) -> dict:
    total = parts[0]
    for part in parts[1:]:
        for key, value in part.items():
            total[key] = total[key] + value
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--programs", type=int, default=50_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    args = parser.parse_args()
    chunk = 500
    ranges = [
        range(start, min(start + chunk, args.seed + args.programs))
        for start in range(args.seed, args.seed + args.programs, chunk)
    ]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        stats = _merge(pool.map(_run, ranges))
    elapsed = time.perf_counter() - started
    n = stats["programs"]
    print(f"{n} programs in {elapsed:.0f}s ({n / elapsed:.0f}/s), {sum(stats['lines'].values())} generated lines")
    print(f"agreement: {stats['agree']}/{n} = {stats['agree'] / n:.4%}")
    print(f"silence rate (no shape known, nothing reported): {stats['silent'] / n:.2%}")
    print(f"tensor assignments with a known shape: {stats['known']}/{stats['bindings']}")
    print(f"... with known strides (each compared with torch's): {stats['layouts']}/{stats['bindings']}")
    print(
        f"torch raised in {stats['raised']} programs ({stats['shape_failures']} with a shape error); torchlint "
        f"reported {stats['reported']} ({stats['reported'] / max(stats['shape_failures'], 1):.1%} of the shape errors)"
    )
    print("\nop coverage (generated lines, torch failures at the op, failures torchlint reported):")
    for op, count in sorted(stats["lines"].items()):
        print(f"  {op:<22} {count:>7} {stats['failures'][op]:>7} {stats['caught'][op]:>7}")
    for seed, source, problems in stats["disagreements"][:20]:
        print(f"\n--- seed {seed}: {problems}\n{source}")
    return 1 if stats["disagreements"] else 0


if __name__ == "__main__":
    sys.exit(main())
