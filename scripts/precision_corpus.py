"""Lint real PyTorch code with every rule and count findings per rule and per package (docs/precision.md).

    python scripts/precision_corpus.py                      # torch, torchvision, timm, transformers
    python scripts/precision_corpus.py --select TL2,TL403   # only some rules
    python scripts/precision_corpus.py --sample 30          # also print up to 30 findings per rule to review
    python scripts/precision_corpus.py --select TL5 --shapes  # also count tensor assignments with a known shape
    python scripts/precision_corpus.py --trees /work/corpus17/*  # any source trees, one column each

The corpus is not part of the repository: torch is the installed package, the others are source
trees under `--corpus` (default /work/corpus/src), or the trees given with `--trees` (each named
by its folder; their notebooks are linted too). Findings are also written as JSON (`--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from torchlint.api import inferred_facts  # noqa: E402
from torchlint.config import check_selectors  # noqa: E402
from torchlint.rule_codes import RULE_CODES  # noqa: E402
from torchlint.runner import FileOutcome, FileTask, lint_file  # noqa: E402

SOURCE_PACKAGES = ("torchvision", "timm", "transformers", "examples")  # examples: a pytorch/examples checkout


def torch_root() -> Path | None:
    """The installed torch package's folder, found without importing torch."""
    for entry in sys.path:
        candidate = Path(entry) / "torch" / "__init__.py"
        if candidate.is_file():
            return candidate.parent
    return None


def packages(corpus: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    root = torch_root()
    if root is not None:
        found["torch"] = root
    for name in SOURCE_PACKAGES:
        if (corpus / name).is_dir():
            found[name] = corpus / name
    return found


def python_files(folder: Path, suffixes: tuple[str, ...] = (".py",)) -> list[Path]:
    files = []
    for here, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".git", ".ipynb_checkpoints"))
        files.extend(Path(here) / name for name in sorted(filenames) if name.endswith(suffixes))
    return files


def _task(task: FileTask) -> FileOutcome:
    return lint_file(task)


def _shape_counts(path: str) -> tuple[int, int, str | None]:
    """(tensor assignments, those with a known shape, the error if inference raised) for one file."""
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0, 0, None
    try:
        bindings = inferred_facts(source)
    except Exception as error:  # a crash is what this counts
        return 0, 0, f"{type(error).__name__}: {error}"
    return len(bindings), sum(b.shape is not None for b in bindings), None


def selected_codes(select: str | None) -> tuple[str, ...]:
    if not select:
        return RULE_CODES
    selectors = check_selectors(select.split(","), "--select")
    return tuple(c for c in RULE_CODES if any(s == "ALL" or c.startswith(s) for s in selectors))


def line_count(path: str) -> int:
    try:
        return len(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return 0


def source_line(path: str, line: int, cell: int | None = None) -> str:
    """The finding's line; in a notebook, the line of its cell (1-based among all cells)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        if cell is not None:
            source = json.loads(text)["cells"][cell - 1]["source"]
            text = source if isinstance(source, str) else "".join(source)
        return text.splitlines()[line - 1].strip()
    except (OSError, IndexError, KeyError, ValueError):
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus/src"))
    parser.add_argument("--select", help="rule codes or prefixes, comma-separated (default: all rules)")
    parser.add_argument("--packages", help="comma-separated subset of torch,torchvision,timm,transformers,examples")
    parser.add_argument(
        "--trees", type=Path, nargs="+", help="source trees to lint instead of the packages (.py and .ipynb files)"
    )
    parser.add_argument("--shapes", action="store_true", help="also count tensor assignments with a known shape")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    default_out = Path(tempfile.gettempdir()) / "torchlint-corpus.json"
    parser.add_argument("--out", type=Path, default=default_out, help="where to write the findings (JSON)")
    parser.add_argument("--sample", type=int, default=0, help="print up to N findings per rule (seeded sample)")
    args = parser.parse_args(argv)

    codes = selected_codes(args.select)
    suffixes: tuple[str, ...] = (".py",)
    if args.trees:
        found = {tree.name: tree for tree in sorted(args.trees) if tree.is_dir()}
        suffixes = (".py", ".ipynb")
    else:
        found = packages(args.corpus)
    if args.packages:
        found = {name: path for name, path in found.items() if name in args.packages.split(",")}
    tasks: list[FileTask] = []
    owner: dict[str, str] = {}
    for name, folder in found.items():
        for file in python_files(folder, suffixes):
            tasks.append(FileTask(str(file), codes))
            owner[str(file)] = name
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(_task, tasks, chunksize=16))
    elapsed = time.perf_counter() - start

    records = [
        {
            "package": owner[d.path],
            "path": d.path,
            "cell": d.cell,
            "line": d.start.line,
            "code": d.code,
            "message": d.message,
        }
        for outcome in outcomes
        for d in outcome.diagnostics
    ]
    args.out.write_text(json.dumps(records, indent=1))
    counts = Counter((r["code"], r["package"]) for r in records)
    names = list(found)
    failed = [o for o in outcomes if o.error is not None]
    print(f"{len(tasks)} files in {elapsed:.0f}s ({len(failed)} unreadable); findings written to {args.out}")
    print("| Rule | " + " | ".join(names) + " | total |")
    print("| --- |" + " --- |" * (len(names) + 1))
    for code in sorted({c for c, _ in counts} | set(codes)):
        row = [counts[(code, name)] for name in names]
        print(f"| {code} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |")
    if args.trees:
        print("\n| Repository | Files | Lines | Findings | Per rule |")
        print("| --- | --- | --- | --- | --- |")
        for name in names:
            mine = [t.path for t in tasks if owner[t.path] == name]
            per_rule = Counter(r["code"] for r in records if r["package"] == name)
            rules = ", ".join(f"{code} {n}" for code, n in sorted(per_rule.items()))
            print(f"| {name} | {len(mine)} | {sum(line_count(p) for p in mine)} | {sum(per_rule.values())} | {rules} |")
    if args.shapes:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            shape_counts = list(pool.map(_shape_counts, [t.path for t in tasks], chunksize=16))
        print("\n| Package | Tensor assignments | With a known shape | Inference crashes |")
        print("| --- | --- | --- | --- |")
        for name in names:
            mine = [c for t, c in zip(tasks, shape_counts, strict=True) if owner[t.path] == name]
            crashes = sum(c[2] is not None for c in mine)
            print(f"| {name} | {sum(c[0] for c in mine)} | {sum(c[1] for c in mine)} | {crashes} |")
        for task, (_, _, error) in zip(tasks, shape_counts, strict=True):
            if error is not None:
                print(f"crash: {task.path}: {error}")
    if args.sample:
        rng = random.Random(0)
        for code in sorted({r["code"] for r in records}):
            mine = [r for r in records if r["code"] == code]
            shown = mine if len(mine) <= args.sample else rng.sample(mine, args.sample)
            print(f"\n## {code}: {len(mine)} findings, {len(shown)} shown")
            for r in sorted(shown, key=lambda r: (r["path"], r["cell"] or 0, r["line"])):
                where = f"{r['path']}:" + (f"cell {r['cell']}:" if r["cell"] else "") + str(r["line"])
                print(f"{where}: {source_line(r['path'], r['line'], r['cell'])}\n    {r['message'][:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
