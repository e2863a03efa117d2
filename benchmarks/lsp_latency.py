"""Language server latency: from a `didChange` to the `publishDiagnostics` for that version.

Starts `torchlint server` over stdio (debounce 0), opens a generated PyTorch training script of
each size, then makes one-line edits one at a time, timing each until its diagnostics arrive.
"engine ms" is the engine alone on the same text, in this process: the rest is the server's
share. `--profile` also runs cProfile over that engine call for a 1,000-line file.

    python benchmarks/lsp_latency.py [--edits 50] [--sizes 200,1000,5000] [--profile]
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
import sys
import time
from pathlib import Path
from typing import Any

TARGET_MS = {1000: 100.0}  # p95 goal per file size
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


async def measure(connection: Connection, lines: int, edits: int) -> tuple[int, int, list[float]]:
    text = generate(lines)
    uri = Path(f"/tmp/torchlint-bench-{lines}.py").as_uri()
    item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
    await connection.notify("textDocument/didOpen", {"textDocument": item})
    findings = len((await connection.publish_for(uri, 1))["diagnostics"])
    row = text[: text.index(EDITED_LINE_MARK)].count("\n")
    timings = []
    for version in range(2, edits + 2):
        new = f"    total = 0.{version}\n"
        change = {
            "range": {"start": {"line": row, "character": 0}, "end": {"line": row + 1, "character": 0}},
            "text": new,
        }
        started = time.perf_counter()
        await connection.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        await connection.publish_for(uri, version)
        timings.append((time.perf_counter() - started) * 1000)
    await connection.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return text.count("\n"), findings, timings


async def run(sizes: list[int], edits: int) -> None:
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
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, {edits} edits per size")
    print(f"{'lines':>6} {'findings':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'engine ms':>9}  target")
    for size in sizes:
        lines, findings, timings = await measure(connection, size, edits)
        p50, p95 = percentile(timings, 0.50), percentile(timings, 0.95)
        goal = TARGET_MS.get(size)
        verdict = "" if goal is None else f"p95 <= {goal:g} ms: {'met' if p95 <= goal else 'MISSED'}"
        engine = engine_ms(size)
        print(f"{lines:>6} {findings:>8} {p50:>8.1f} {p95:>8.1f} {max(timings):>8.1f} {engine:>9.1f}  {verdict}")
    await connection.request("shutdown", None)
    await connection.notify("exit", None)
    await process.wait()
    connection.listening.cancel()


def engine_ms(lines: int, runs: int = 5) -> float:
    """The engine alone, in this process: the median time of the lint the server's worker runs."""
    from torchlint.config import Settings
    from torchlint.server.worker import lint

    source, settings = generate(lines), Settings(root=Path.cwd())  # every rule
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        lint(source, "bench.py", settings)
        timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 0.5)


def profile_engine(lines: int) -> None:
    """cProfile of the engine call the server's worker makes for one lint."""
    from torchlint.config import Settings
    from torchlint.server.worker import lint

    source, settings = generate(lines), Settings(root=Path.cwd())  # every rule
    lint(source, "bench.py", settings)  # warm up imports and caches
    profiler = cProfile.Profile()
    profiler.enable()
    lint(source, "bench.py", settings)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(f"\ncProfile of one lint of {source.count(chr(10))} lines (what the server's engine process runs):")
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--sizes", default="200,1000,5000")
    parser.add_argument("--profile", action="store_true", help="also profile the engine on 1,000 lines")
    args = parser.parse_args()
    asyncio.run(run([int(size) for size in args.sizes.split(",")], args.edits))
    if args.profile:
        profile_engine(1000)


if __name__ == "__main__":
    main()
