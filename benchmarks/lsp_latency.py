"""Language server latency: from a `didChange` to the `publishDiagnostics` for that version.

Starts `torchlint server` over stdio (debounce 0) and, for each size, opens a generated PyTorch
training script (timing the open until its first diagnostics), then makes one-line edits one at a
time, each inside a different function of the file, timing each until its diagnostics arrive.
"full ms" is a full lint of the same text (the CLI's path, in this process: what every edit cost
before the server linted incrementally) and "ratio" is the edits' p95 over it. Then, on the largest
file, an edit that makes the whole file be analysed again, and hovers sent while that lint runs:
their p95. Each figure is the median over --runs runs (a new server each). `--profile` also runs
cProfile over one full lint of a 1,000-line file.

    python benchmarks/lsp_latency.py [--runs 3] [--edits 50] [--sizes 200,1000,5000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import json
import math
import os
import platform
import pstats
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGET_MS = {1000: 100.0, 5000: 250.0}  # edit p95 goal per file size
RATIO_GOAL = 1 / 3  # edit p95 over a full lint, at the largest size
OPEN_GOAL_MS = {5000: 1500.0}
HOVER_GOAL_MS = 50.0
HOVERS = 20
TIMEOUT_S = 120.0
EDITED_LINE_MARK = "    total = 0.0\n"

HEADER = '''"""Generated training script for the latency benchmark."""

import torch
import torch.nn as nn
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
'''

BLOCK = '''

class Encoder{i}(nn.Module):
    """A small convolutional encoder."""

    def __init__(self, channels: int = 3, hidden: int = 64) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, hidden, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm2d(hidden)
        self.head = nn.Linear(hidden * 32 * 32, 10)
        self.scale = nn.Parameter(torch.ones(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm(self.conv(x)))
        h = h * self.scale.view(1, -1, 1, 1)
        return self.head(h.flatten(1))


def make_batch_{i}(batch_size: int = 64):
    images = torch.randn(batch_size, 3, 32, 32, device=device)
    labels = torch.randint(0, 10, (batch_size,), device=device)
    weights = torch.Tensor([1.0, 2.0, 0.5])
    return images, labels, weights


def train_{i}(epochs: int = 2) -> float:
    model = Encoder{i}().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    total = 0.0
    for epoch in range(epochs):
        images, labels, _ = make_batch_{i}()
        optimizer.zero_grad()
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
    scores = torch.rand(16, device="cuda")
    host = scores.numpy()
    return total / epochs + float(host.sum())
'''


def generate(lines: int) -> str:
    """A realistic script (modules, data, training loops, a few findings) of about `lines` lines."""
    parts = [HEADER]
    for i in itertools.count():
        if sum(part.count("\n") for part in parts) >= lines:
            break
        parts.append(BLOCK.format(i=i))
    return "".join(parts)


class Connection:
    """A bare JSON-RPC client over the server's stdio: requests, notifications, and the publishes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.writer, self.reader = process.stdin, process.stdout
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.published: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.listening = asyncio.ensure_future(self._listen())

    async def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await self.writer.drain()

    async def _listen(self) -> None:
        while True:
            length = 0
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(await self.reader.readexactly(length))
            if "method" not in message:
                self.pending.pop(message["id"]).set_result(message.get("result"))
            elif "id" in message:  # a request from the server (settings, registrations): nothing to add
                answer = (
                    [None] * len(message["params"]["items"]) if message["method"] == "workspace/configuration" else None
                )
                await self._send({"id": message["id"], "result": answer})
            elif message["method"] == "textDocument/publishDiagnostics":
                self.published.put_nowait(message["params"])

    async def request(self, method: str, params: Any) -> Any:
        number = next(self.ids)
        self.pending[number] = asyncio.get_running_loop().create_future()
        await self._send({"id": number, "method": method, "params": params})
        return await asyncio.wait_for(self.pending[number], TIMEOUT_S)

    async def notify(self, method: str, params: Any) -> None:
        await self._send({"method": method, "params": params})

    async def publish_for(self, uri: str, version: int) -> dict[str, Any]:
        while True:
            params = await asyncio.wait_for(self.published.get(), TIMEOUT_S)
            if params["uri"] == uri and params.get("version") == version:
                return params


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Figures:
    lines: int
    findings: int
    open_ms: float
    p50: float
    p95: float
    full_ms: float
    hover_p95: float | None = None
    hovers: int = 0  # answered before the lint's diagnostics

    @property
    def ratio(self) -> float:
        return self.p95 / self.full_ms


def edit_rows(text: str) -> list[int]:
    """The row of the `total = 0.0` line of every function that has one (one per generated block)."""
    return [number for number, line in enumerate(text.split("\n")) if line + "\n" == EDITED_LINE_MARK]


async def measure(connection: Connection, lines: int, edits: int, hover: bool) -> Figures:
    text = generate(lines)
    uri = Path(f"/tmp/torchlint-bench-{lines}.py").as_uri()
    item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
    started = time.perf_counter()
    await connection.notify("textDocument/didOpen", {"textDocument": item})
    findings = len((await connection.publish_for(uri, 1))["diagnostics"])
    open_ms = (time.perf_counter() - started) * 1000
    rows = edit_rows(text)
    timings = []
    for version in range(2, edits + 2):
        row = rows[(version * 7) % len(rows)]  # a different function each time, all over the file
        change = {
            "range": {"start": {"line": row, "character": 0}, "end": {"line": row + 1, "character": 0}},
            "text": f"    total = 0.{version}\n",
        }
        started = time.perf_counter()
        await connection.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        await connection.publish_for(uri, version)
        timings.append((time.perf_counter() - started) * 1000)
    figures = Figures(text.count("\n"), findings, open_ms, percentile(timings, 0.5), percentile(timings, 0.95),
                      full_ms(text))  # fmt: skip
    if hover:
        figures.hover_p95, figures.hovers = await hover_during_lint(connection, uri, text, edits + 2)
    await connection.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return figures


async def hover_during_lint(connection: Connection, uri: str, text: str, version: int) -> tuple[float, int]:
    """Hovers sent while a lint of the whole file runs (a comment naming `set_default_device` added: the
    file-wide answers rules take from the text change, so every function is analysed again): the p95 of
    their answers' times."""
    probe = {"textDocument": {"uri": uri}, "position": {"line": text.split("\n").index("import torch"), "character": 8}}
    await connection.request("textDocument/hover", probe)  # the facts of the text, computed once
    change = {"range": {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 0}},
              "text": "# no set_default_device here\n"}  # fmt: skip
    await connection.notify(
        "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
    )
    published = asyncio.ensure_future(connection.publish_for(uri, version))
    timings, early = [], 0
    for _ in range(HOVERS):
        started = time.perf_counter()
        await connection.request("textDocument/hover", probe)
        timings.append((time.perf_counter() - started) * 1000)
        if published.done():  # this one was answered after the lint (a server that waits for it)
            break
        early += 1
        await asyncio.sleep(0.02)
    await published
    return percentile(timings, 0.95), early


async def run_once(sizes: list[int], edits: int) -> list[Figures]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "torchlint", "server", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    connection = Connection(process)
    capabilities = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}
    await connection.request(
        "initialize",
        {"processId": os.getpid(), "capabilities": capabilities, "initializationOptions": {"debounceMs": 0}},
    )
    await connection.notify("initialized", {})
    results = [await measure(connection, size, edits, size == max(sizes)) for size in sizes]
    await connection.request("shutdown", None)
    await connection.notify("exit", None)
    await process.wait()
    connection.listening.cancel()
    return results


def median_figures(runs: list[Figures]) -> Figures:
    def middle(values: list[float]) -> float:
        return statistics.median(values)

    hovers = [r.hover_p95 for r in runs if r.hover_p95 is not None]
    return Figures(runs[0].lines, runs[0].findings, middle([r.open_ms for r in runs]), middle([r.p50 for r in runs]),
                   middle([r.p95 for r in runs]), middle([r.full_ms for r in runs]),
                   middle(hovers) if hovers else None, min(r.hovers for r in runs))  # fmt: skip


def verdicts(figures: Figures, largest: bool) -> str:
    said = []
    goal = TARGET_MS.get(figures.lines // 1000 * 1000 or figures.lines)
    if goal is not None:
        said.append(f"p95 <= {goal:g} ms: {'met' if figures.p95 <= goal else 'MISSED'}")
    if largest:
        said.append(f"ratio <= 1/3: {'met' if figures.ratio <= RATIO_GOAL else 'MISSED'}")
    goal = OPEN_GOAL_MS.get(figures.lines // 1000 * 1000)
    if goal is not None:
        said.append(f"open <= {goal:g} ms: {'met' if figures.open_ms <= goal else 'MISSED'}")
    if figures.hover_p95 is not None:
        met = "met" if figures.hover_p95 <= HOVER_GOAL_MS else "MISSED"
        said.append(f"hover <= {HOVER_GOAL_MS:g} ms: {met} ({figures.hovers} answered before the lint's diagnostics)")
    return "; ".join(said)


def run(sizes: list[int], edits: int, runs: int) -> None:
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, load average "
          f"{os.getloadavg()[0]:.1f}, {edits} edits per size, median of {runs} runs")  # fmt: skip
    every = [asyncio.run(run_once(sizes, edits)) for _ in range(runs)]
    print(f"{'lines':>6} {'findings':>8} {'open ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'full ms':>8} {'ratio':>6} "
          f"{'hover p95':>9}  goals")  # fmt: skip
    for index, size in enumerate(sizes):
        f = median_figures([results[index] for results in every])
        hover = f"{f.hover_p95:>9.1f}" if f.hover_p95 is not None else f"{'':>9}"
        print(f"{f.lines:>6} {f.findings:>8} {f.open_ms:>8.0f} {f.p50:>8.1f} {f.p95:>8.1f} {f.full_ms:>8.0f} "
              f"{f.ratio:>6.3f} {hover}  {verdicts(f, size == max(sizes))}")  # fmt: skip


def full_ms(source: str, runs: int = 3) -> float:
    """A full lint of `source` (the CLI's, every rule), in this process: the median time."""
    from torchlint.config import Settings
    from torchlint.runner import lint_text

    settings = Settings(root=Path.cwd())
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        lint_text(source, "bench.py", settings)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def profile_engine(lines: int) -> None:
    """cProfile of the engine call the server's worker makes for one lint."""
    from torchlint.config import Settings
    from torchlint.runner import lint_text

    source, settings = generate(lines), Settings(root=Path.cwd())  # every rule
    lint_text(source, "bench.py", settings)  # warm up imports and caches
    profiler = cProfile.Profile()
    profiler.enable()
    lint_text(source, "bench.py", settings)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(f"\ncProfile of one full lint of {source.count(chr(10))} lines:")
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--sizes", default="200,1000,5000")
    parser.add_argument("--profile", action="store_true", help="also profile the engine on 1,000 lines")
    args = parser.parse_args()
    run([int(size) for size in args.sizes.split(",")], args.edits, args.runs)
    if args.profile:
        profile_engine(1000)


if __name__ == "__main__":
    main()
