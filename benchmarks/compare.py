"""Benchmark torchlint against TorchFix, Fixit and ruff on the same corpora.

    python benchmarks/compare.py [--runs 3] [--peers-venv PATH] [--corpus NAME=PATH ...] [--skip-latency]

Peers are installed (`pip install torchfix fixit ruff`) into their own virtual environment,
created at --peers-venv when missing. Corpora by default: torch's `nn` sources and torchvision's
sources (found through the installed packages, without importing them) and a generated tree of
5,000 small PyTorch files; `--corpus` replaces them. Each tool runs --runs times per corpus; the
table gives medians of wall time and of peak memory (the largest process's maximum RSS), and ratios
against TorchFix and ruff. "cold" runs start with no cache; "warm" runs follow a run that filled the
cache. Each row is printed as soon as it is measured.
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


def default_corpora(work: Path, only: list[str] | None) -> dict[str, Path]:
    """torch's `nn` and torchvision where installed, and the generated tree (made only when wanted)."""
    corpora: dict[str, Path] = {}
    torch_dir = package_dir("torch")
    if torch_dir is not None:
        corpora["torch.nn"] = torch_dir / "nn"
    vision = package_dir("torchvision")
    if vision is not None:
        corpora["torchvision"] = vision
    if not only or "generated-5000" in only:
        corpora["generated-5000"] = generated_tree(work)
    return corpora


def chosen_corpora(named: list[str], only: list[str] | None, work: Path) -> dict[str, Path]:
    """`--corpus NAME=PATH` replaces the default corpora; `--only` then keeps those named."""
    if named:
        corpora = {}
        for item in named:
            name, _, path = item.partition("=")
            corpora[name] = Path(path).resolve()
    else:
        corpora = default_corpora(work, only)
    return {name: path for name, path in corpora.items() if not only or name in only}


def print_row(name: str, files: int, tool: str, result: tuple[float, float], results: dict) -> None:
    """One table row, printed as soon as it is measured; a ratio to a tool not yet measured is `-`."""
    wall, peak = result
    torchfix = results.get("TorchFix", (None, None))[0]
    ruff = results.get("ruff", (None, None))[0]
    faster = f"{torchfix / wall:.1f}x faster" if torchfix else "-"
    slower = f"{wall / ruff:.1f}x ruff's time" if ruff else "-"
    print(f"| {name} | {files} | {tool} | {wall:.2f} | {peak:.0f} | {faster} | {slower} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers-venv", type=Path, default=Path(tempfile.gettempdir()) / "torchlint-peers")
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=PATH", help="replaces the defaults")
    parser.add_argument("--skip-slow-peers", action="store_true", help="leave out Fixit and TorchFix")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only these corpora (repeatable)")
    parser.add_argument("--skip-latency", action="store_true", help="leave out the language server's latency")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="torchlint-bench-"))
    corpora = chosen_corpora(args.corpus, args.only, work)
    bin_dir = ensure_peers(args.peers_venv)
    torchlint = [sys.executable, "-m", "torchlint", "check", "--exit-zero"]
    print(f"\n{args.runs} runs each, medians; {os.cpu_count()} cores; peak memory = largest process\n")
    print("| corpus | files | tool | wall (s) | peak RSS (MiB) | vs TorchFix | vs ruff |")
    print("| --- | --- | --- | --- | --- | --- | --- |", flush=True)
    for name, corpus in corpora.items():
        # Copy the corpus so caches and configs of its real location play no part.
        copy = work / "corpora" / name
        if not copy.exists():
            shutil.copytree(corpus, copy, ignore=shutil.ignore_patterns("__pycache__"))
        cache = copy.parent / ".torchlint_cache"
        files = sum(1 for _ in copy.rglob("*.py"))
        results: dict[str, tuple[float, float]] = {}
        fill = lambda copy=copy: measure([*torchlint, str(copy)], copy.parent)  # noqa: E731
        clear = lambda cache=cache: shutil.rmtree(cache, ignore_errors=True)  # noqa: E731
        # (tool, command, before each run, before the first): the references first, so that every
        # later row carries both ratios.
        steps = [("ruff", [str(bin_dir / "ruff"), "check", "--no-cache", "--exit-zero"], None, None)]
        if not args.skip_slow_peers:
            steps.append(("TorchFix", [str(bin_dir / "torchfix")], None, None))
        steps += [("torchlint cold", torchlint, clear, None), ("torchlint warm", torchlint, None, fill)]
        if not args.skip_slow_peers:
            steps.append(("Fixit", [str(bin_dir / "fixit"), "lint"], None, None))
        for tool, command, prepare, first in steps:
            if first is not None:
                first()
            results[tool] = run_tool(name, command, copy, args.runs, prepare)
            print_row(name, files, tool, results[tool], results)
    latency = ROOT / "benchmarks" / "lsp_latency.py"
    if latency.exists() and not args.skip_latency:
        print("\nLanguage server latency (didChange → publishDiagnostics):", flush=True)
        subprocess.run([sys.executable, str(latency)], check=False)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
