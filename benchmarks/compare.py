"""Benchmark torchlint against TorchFix, Fixit and ruff on the same corpora.

    python benchmarks/compare.py [--runs 3] [--peers-venv PATH] [--corpus NAME=PATH ...]

Peers are installed (`pip install torchfix fixit ruff`) into their own virtual environment,
created at --peers-venv when missing. Corpora by default: torch's `nn` sources and torchvision's
sources (found through the installed packages, without importing them) and a generated tree of
5,000 small PyTorch files. Each tool runs --runs times per corpus; the table gives medians of
wall time and of peak memory (the largest process's maximum RSS), and ratios against TorchFix
and ruff. "cold" runs start with no cache; "warm" runs follow a run that filled the cache.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATED_FILES = 5000

TEMPLATE = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Block{i}(nn.Module):
    def __init__(self, width: int = {width}):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.norm = nn.LayerNorm(width)

    def forward(self, x):
        return self.norm(F.relu(self.fc(x)) + x)


def train_{i}(model, loader, device):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for x, y in loader:
        optimizer.zero_grad()
        x, y = x.to(device), y.to(device)
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    labels = torch.tensor([0, 1, 2])
    return labels.cpu().numpy()
"""


def package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def generated_tree(folder: Path) -> Path:
    tree = folder / "generated"
    if not tree.exists():
        for i in range(GENERATED_FILES):
            sub = tree / f"pkg{i // 100}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"m{i}.py").write_text(TEMPLATE.format(i=i, width=16 + i % 64))
    return tree


def ensure_peers(venv: Path) -> Path:
    bin_dir = venv / "bin"
    if not all((bin_dir / tool).exists() for tool in ("torchfix", "fixit", "ruff")):
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", "torchfix", "fixit", "ruff"], check=True)
    return bin_dir


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of the largest process of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss / 1024


def run_tool(name: str, command: list[str], corpus: Path, runs: int, prepare=None) -> tuple[float, float]:
    times, memory = [], []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        elapsed, peak = measure([*command, str(corpus)], corpus.parent)
        times.append(elapsed)
        memory.append(peak)
    return statistics.median(times), statistics.median(memory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers-venv", type=Path, default=Path(tempfile.gettempdir()) / "torchlint-peers")
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--skip-slow-peers", action="store_true", help="leave out Fixit and TorchFix")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only these corpora (repeatable)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="torchlint-bench-"))
    corpora: dict[str, Path] = {}
    torch_dir = package_dir("torch")
    if torch_dir is not None:
        corpora["torch.nn"] = torch_dir / "nn"
    vision = package_dir("torchvision")
    if vision is not None:
        corpora["torchvision"] = vision
    for item in args.corpus:
        name, _, path = item.partition("=")
        corpora[name] = Path(path).resolve()
    if not args.only or "generated-5000" in args.only:
        corpora["generated-5000"] = generated_tree(work)
    if args.only:
        corpora = {name: path for name, path in corpora.items() if name in args.only}

    bin_dir = ensure_peers(args.peers_venv)
    torchlint = [sys.executable, "-m", "torchlint", "check", "--exit-zero"]
    rows = []
    for name, corpus in corpora.items():
        # Copy the corpus so caches and configs of its real location play no part.
        copy = work / "corpora" / name
        if not copy.exists():
            shutil.copytree(corpus, copy, ignore=shutil.ignore_patterns("__pycache__"))
        cache = copy.parent / ".torchlint_cache"
        files = sum(1 for _ in copy.rglob("*.py"))
        results: dict[str, tuple[float, float]] = {}
        results["torchlint cold"] = run_tool(
            name, torchlint, copy, args.runs, prepare=lambda c=cache: shutil.rmtree(c, ignore_errors=True)
        )
        measure([*torchlint, str(copy)], copy.parent)  # fill the cache
        results["torchlint warm"] = run_tool(name, torchlint, copy, args.runs)
        results["ruff"] = run_tool(name, [str(bin_dir / "ruff"), "check", "--no-cache", "--exit-zero"], copy, args.runs)
        if not args.skip_slow_peers:
            results["TorchFix"] = run_tool(name, [str(bin_dir / "torchfix")], copy, args.runs)
            results["Fixit"] = run_tool(name, [str(bin_dir / "fixit"), "lint"], copy, args.runs)
        rows.append((name, files, results))

    print(f"\n{args.runs} runs each, medians; {os.cpu_count()} cores; peak memory = largest process\n")
    print("| corpus | files | tool | wall (s) | peak RSS (MiB) | vs TorchFix | vs ruff |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, files, results in rows:
        torchfix = results.get("TorchFix", (None, None))[0]
        ruff = results["ruff"][0]
        for tool, (wall, peak) in results.items():
            faster = f"{torchfix / wall:.1f}x faster" if torchfix else "-"
            slower = f"{wall / ruff:.1f}x ruff's time"
            print(f"| {name} | {files} | {tool} | {wall:.2f} | {peak:.0f} | {faster} | {slower} |")
    latency = ROOT / "benchmarks" / "lsp_latency.py"
    if latency.exists():
        print("\nLanguage server latency (didChange → publishDiagnostics):")
        sys.stdout.flush()
        subprocess.run([sys.executable, str(latency)], check=False)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
