"""The language server under abuse, over a raw stdio pipe: malformed JSON-RPC, a flood of edits with
many documents open, and code that would do harm if it were ever run.

After every malformed message the server must have answered what JSON-RPC 2.0 says it must (an error
under the request's id, or id null when there is none) or dropped it (a notification), and must still
lint a newly opened document.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from torchlint.config import Settings
from torchlint.runner import lint_text

pytestmark = pytest.mark.asyncio

SERVER = [sys.executable, "-m", "torchlint", "server"]
WAIT_S = 30.0
SAMPLE = (
    "import torch\n"
    'x = torch.rand(3, device="cuda")\n'
    "y = x.numpy()\n"  # TL401 at 2:4 (0-based)
    "a = torch.Tensor([1, 2])\n"  # TL101 at 3:4
    "z = x + 1\n"
)
CAPABILITIES = {
    "general": {"positionEncodings": ["utf-16"]},
    "textDocument": {
        "publishDiagnostics": {"versionSupport": True},
        "hover": {"contentFormat": ["markdown", "plaintext"]},
        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source"]}}},
    },
}
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
T = TypeVar("T")


class Raw:
    """A bare JSON-RPC client: frames out as given, every message from the server kept; the server's own
    requests (settings, registrations) are answered with nothing."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.messages: list[dict[str, Any]] = []
        self.ids = itertools.count(1)
        self.versions: dict[str, int] = {}
        self._arrived = asyncio.Event()
        self.listening = asyncio.ensure_future(self._listen())

    async def frame(self, body: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await self.process.stdin.drain()

    async def send(self, message: dict[str, Any]) -> None:
        await self.frame(json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8"))

    async def notify(self, method: str, params: Any) -> None:
        await self.send({"method": method, "params": params})

    async def _listen(self) -> None:
        reader = self.process.stdout
        assert reader is not None
        while True:
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(await reader.readexactly(length))
            if "method" in message and "id" in message:
                items = message["params"].get("items", []) if message["method"] == "workspace/configuration" else None
                await self.send({"id": message["id"], "result": None if items is None else [None] * len(items)})
            self.messages.append(message)
            self._arrived.set()

    async def until(self, check: Callable[[], T], what: str) -> T:
        deadline = time.monotonic() + WAIT_S
        while True:
            self._arrived.clear()
            value = check()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.listening.done():
                raise AssertionError(f"no {what} within {WAIT_S:g} s (server exit code {self.process.returncode})")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 1.0))

    def responses(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if "method" not in m]

    async def response(self, number: int | None, after: int = 0) -> dict[str, Any]:
        """The answer to request `number` (None: an answer under id null, among those after the first `after`)."""
        return await self.until(
            lambda: next((m for m in self.responses()[after:] if m.get("id") == number), None), f"answer {number}"
        )

    async def request(self, method: str, params: Any) -> dict[str, Any]:
        number = next(self.ids)
        await self.send({"id": number, "method": method, "params": params})
        return await self.response(number)

    def publishes(self, uri: str) -> list[dict[str, Any]]:
        return [
            m["params"]
            for m in self.messages
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
        ]

    async def open(self, uri: str, text: str) -> None:
        self.versions[uri] = 1
        item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        await self.notify("textDocument/didOpen", {"textDocument": item})

    async def findings(self, uri: str) -> list[tuple[str, int, int]]:
        """(code, line, character) of the latest publish for the document's current version."""
        version = self.versions[uri]
        published = await self.until(
            lambda: next((p for p in reversed(self.publishes(uri)) if p.get("version") == version), None),
            f"diagnostics for version {version} of {uri}",
        )
        return [
            (d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in published["diagnostics"]
        ]


@contextlib.asynccontextmanager
async def server(init_options: object = None, env: dict[str, str] | None = None) -> AsyncIterator[Raw]:
    process = await asyncio.create_subprocess_exec(
        *SERVER, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env
    )
    raw = Raw(process)
    try:
        params = {"processId": os.getpid(), "capabilities": CAPABILITIES, "initializationOptions": init_options}
        assert "result" in await raw.request("initialize", params)
        await raw.notify("initialized", {})
        yield raw
        assert "result" in await raw.request("shutdown", None)
        await raw.notify("exit", None)
        assert await asyncio.wait_for(process.wait(), WAIT_S) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raw.listening.cancel()


def expected(text: str) -> list[tuple[str, int, int]]:
    """The CLI's findings for `text` (ASCII: columns are the same in every encoding)."""
    found = lint_text(text, "expected.py", Settings(root=Path.cwd())).diagnostics
    return [(d.code, d.start.line - 1, d.start.column - 1) for d in sorted(found, key=lambda d: d.sort_key)]


def rpc(version: str | None = "2.0", **fields: Any) -> bytes:
    """A message's body (`version` None: without the `jsonrpc` member)."""
    return json.dumps({**({"jsonrpc": version} if version else {}), **fields}).encode("utf-8")


HOVER = {"textDocument": {"uri": "file:///nowhere/open.py"}, "position": {"line": 0, "character": 0}}
NEVER = {"uri": "file:///never.py", "version": 2}
BAD_HOVER = {"textDocument": {"uri": 5}, "position": "x"}
BAD_OPEN = {"textDocument": {"uri": 5, "text": []}}
NOTEBOOK_CHANGE = {"notebookDocument": {"uri": "file:///never.ipynb", "version": 2}, "change": {"cells": {"data": []}}}
GARBAGE: list[tuple[str, bytes, int | None, int | None]] = [  # what is sent, then the error code and id expected
    ("not JSON", b'{"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {', PARSE_ERROR, None),
    ("not UTF-8", b'{"jsonrpc": "2.0", "id": 1, "method": "\xff\xfe"}', PARSE_ERROR, None),
    ("nested past any limit", b"[" * 200_000, PARSE_ERROR, None),
    ("a batch", b"[" + rpc(id=2, method="shutdown") + b"]", INVALID_REQUEST, None),
    ("a number", b"42", INVALID_REQUEST, None),
    ("no jsonrpc member", rpc(None, id=3, method="textDocument/hover", params=HOVER), INVALID_REQUEST, 3),
    ("JSON-RPC 1.0", rpc("1.0", id=4, method="textDocument/hover", params=HOVER), INVALID_REQUEST, 4),
    ("params of the wrong types", rpc(id=5, method="textDocument/hover", params=BAD_HOVER), INVALID_PARAMS, 5),
    ("no params", rpc(id=6, method="textDocument/hover"), INVALID_PARAMS, 6),
    ("an id that is an object", rpc(id={"a": 1}, method="textDocument/hover", params=HOVER), INVALID_REQUEST, None),
    ("an unknown method", rpc(id=7, method="torchlint/nonsense", params={}), METHOD_NOT_FOUND, 7),
    ("an unknown notification", rpc(method="torchlint/nonsense", params={}), None, None),
    ("an unknown $/ notification", rpc(method="$/nonsense", params={"x": []}), None, None),
    ("a notification of the wrong types", rpc(method="textDocument/didOpen", params=BAD_OPEN), None, None),
    (
        "a change to an unopened document",
        rpc(method="textDocument/didChange", params={"textDocument": NEVER, "contentChanges": [{"text": "x"}]}),
        None,
        None,
    ),
    ("a change to an unopened notebook", rpc(method="notebookDocument/didChange", params=NOTEBOOK_CHANGE), None, None),
    (
        "a close of an unopened document",
        rpc(method="textDocument/didClose", params={"textDocument": NEVER}),
        None,
        None,
    ),
    ("a cancel of an unknown request", rpc(method="$/cancelRequest", params={"id": 99_999}), None, None),
    ("an answer nobody asked for", rpc(id=424_242, result={"x": 1}), None, None),
]


async def test_malformed_messages_are_answered_or_dropped_and_the_server_goes_on(tmp_path: Path) -> None:
    async with server({"debounceMs": 0}) as raw:
        for number, (what, body, code, answer_id) in enumerate(GARBAGE):
            before = len(raw.responses())
            await raw.frame(body)
            if code is not None:
                answer = await raw.response(answer_id, after=before)
                assert answer.get("error", {}).get("code") == code, (what, answer)
                assert "id" in answer and "result" not in answer, (what, answer)
            uri = (tmp_path / f"after_{number}.py").as_uri()
            await raw.open(uri, SAMPLE)
            assert await raw.findings(uri) == [("TL401", 2, 4), ("TL101", 3, 4)], what
            assert len(raw.responses()) == before + (code is not None), (what, raw.responses()[before:])
        assert not [m for m in raw.messages if m.get("method") == "window/showMessage"]  # logged, never shown


async def test_requests_on_what_is_not_there_get_empty_answers(tmp_path: Path) -> None:
    uri, never = (tmp_path / "open.py").as_uri(), (tmp_path / "never.py").as_uri()
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 10**6, "character": 10**6}}
    async with server({"debounceMs": 0}) as raw:
        await raw.open(uri, SAMPLE)
        assert await raw.findings(uri) == expected(SAMPLE)

        def at(target: str, line: int, character: int) -> dict[str, Any]:
            return {"textDocument": {"uri": target}, "position": {"line": line, "character": character}}

        context = {"diagnostics": [], "only": ["quickfix"]}
        for method, params, answer in [
            ("textDocument/hover", at(never, 0, 0), None),
            ("textDocument/codeAction", {"textDocument": {"uri": never}, "range": whole, "context": context}, []),
            ("textDocument/inlayHint", {"textDocument": {"uri": never}, "range": whole}, []),
            ("textDocument/diagnostic", {"textDocument": {"uri": never}}, {"kind": "full", "items": []}),
            ("textDocument/hover", at(uri, 10**6, 0), None),
            ("textDocument/hover", at(uri, 2**31 - 1, 2**31 - 1), None),
            ("textDocument/hover", at(uri, 0, 10**6), None),
            ("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": whole, "context": context}, []),
        ]:
            assert (await raw.request(method, params)).get("result", "no result") == answer, (method, params)
        negative = await raw.request("textDocument/hover", at(uri, -1, -5))  # LSP positions are unsigned
        assert negative["error"]["code"] == INVALID_PARAMS and "result" not in negative
        hints = await raw.request("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": whole})
        assert isinstance(hints["result"], list)


async def test_stale_versions_and_edits_past_the_end_apply_as_sent(tmp_path: Path) -> None:
    """A version older than the last is still the client's text (versions are the client's business);
    a range past the end lands at the end."""
    uri = (tmp_path / "edited.py").as_uri()
    past_the_end = {"start": {"line": 99, "character": 0}, "end": {"line": 120, "character": 7}}
    after_x = {"start": {"line": 2, "character": 6}, "end": {"line": 2, "character": 6}}
    appended = SAMPLE + "b = torch.Tensor(2)\n"
    async with server({"debounceMs": 0}) as raw:
        await raw.open(uri, SAMPLE)
        await raw.findings(uri)
        for version, where, new, text in [
            (5, past_the_end, "b = torch.Tensor(2)\n", appended),
            (3, after_x, "cpu().", appended.replace("x.numpy()", "x.cpu().numpy()")),  # stale
        ]:
            change = {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": where, "text": new}],
            }
            await raw.notify("textDocument/didChange", change)
            raw.versions[uri] = version
            assert await raw.findings(uri) == expected(text) != [], text


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), from Linux's /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


BIG_LINES = 2_000
EDITS = 1_000
RSS_LIMIT_MB = 500.0


def check_publishes(published: list[dict[str, Any]], texts: dict[int, str]) -> None:
    """Each publish is for a version newer than the last one's (none out of order, none stale once a newer
    one is out) and holds exactly the findings of that version's text; the last is for the final text."""
    versions = [p["version"] for p in published]
    assert versions == sorted(set(versions)), versions
    assert versions[-1] == max(texts)
    for params in published[-3:]:  # the CLI's lint of each costs seconds: the last few suffice
        found = [
            (d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in params["diagnostics"]
        ]
        assert sorted(found) == sorted(expected(texts[params["version"]])), params["version"]


@pytest.mark.load
@pytest.mark.skipif(sys.platform != "linux", reason="reads peak memory from /proc")
@pytest.mark.parametrize("debounce_ms", [None, 0], ids=["default debounce", "no debounce"])
async def test_a_flood_of_edits_with_fifty_documents_open(tmp_path: Path, debounce_ms: int | None) -> None:
    """1,000 incremental edits in about a second on a 2,000-line file, 50 other files open, with the default
    debounce (the flood is linted about once, at its end) and with none (a lint per edit, the stale ones
    dropped): the hovers sent mid-flood are all answered, the publishes come in version order with each
    version's own findings and end with the final text's, and the server and its engine process stay under
    500 MB each at their peak. No duration is asserted: `benchmarks/lsp_latency.py` measures those."""
    big = (tmp_path / "big.py").as_uri()
    body = [f"n{k} = {k}\n" for k in range(BIG_LINES - SAMPLE.count("\n"))]
    text_lines = SAMPLE.splitlines(keepends=True) + body
    others = [(tmp_path / f"open_{k}.py").as_uri() for k in range(50)]
    options = None if debounce_ms is None else {"debounceMs": debounce_ms}
    async with server(options) as raw:
        for k, uri in enumerate(others):
            await raw.open(uri, SAMPLE + "".join(f"m{j} = torch.ones({k}, {j})\n" for j in range(40)))
        await raw.open(big, "".join(text_lines))
        for uri in [*others, big]:
            await raw.findings(uri)
        probe = {"textDocument": {"uri": others[7]}, "position": {"line": 1, "character": 0}}
        assert (await raw.request("textDocument/hover", probe))["result"] is not None  # facts computed, cached

        texts = {1: "".join(text_lines)}
        hovers = []
        started = time.monotonic()
        for k in range(EDITS):
            row = SAMPLE.count("\n") + k
            new = f"n{k} = torch.Tensor([{k}])" if k % 100 == 0 else f"n{k} = {k} + 1"
            where = {
                "start": {"line": row, "character": 0},
                "end": {"line": row, "character": len(text_lines[row]) - 1},
            }
            text_lines[row] = new + "\n"
            raw.versions[big] = k + 2
            texts[k + 2] = "".join(text_lines)
            change = {"textDocument": {"uri": big, "version": k + 2}, "contentChanges": [{"range": where, "text": new}]}
            await raw.notify("textDocument/didChange", change)
            if k % 100 == 50:
                number = next(raw.ids)
                await raw.send({"id": number, "method": "textDocument/hover", "params": probe})
                hovers.append(number)
            await asyncio.sleep(max(0.0, started + (k + 1) / EDITS - time.monotonic()))  # about a second in all

        assert await raw.findings(big) == expected(texts[EDITS + 1])
        for number in hovers:
            assert (await raw.response(number))["result"] is not None
        check_publishes(raw.publishes(big), texts)
        pids = [raw.process.pid, *children_of(raw.process.pid)]
        peaks = [peak_rss_mb(pid) for pid in pids]
        print(f"\npeak RSS: server {peaks[0]:.0f} MB, engine {', '.join(f'{p:.0f}' for p in peaks[1:])} MB")
        assert len(pids) == 2 and all(peak < RSS_LIMIT_MB for peak in peaks), peaks


async def test_hover_answers_from_the_latest_analysis_while_a_lint_runs(tmp_path: Path) -> None:
    """A hover sent while the document is being linted is answered before that lint's diagnostics, with the
    facts and findings of the last analysis; once the lint is done, hovers describe the new text."""
    uri = (tmp_path / "busy.py").as_uri()
    body = "".join(f"def f{k}(n):\n    w{k} = torch.rand(n, 3)\n    return w{k}.sum()\n\n\n" for k in range(400))
    text = SAMPLE + "\n\n" + body
    async with server({"debounceMs": 0}) as raw:
        await raw.open(uri, text)
        await raw.findings(uri)
        probe = {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 0}}
        assert "x: Tensor" in (await raw.request("textDocument/hover", probe))["result"]["contents"]["value"]

        raw.versions[uri] = 2  # a comment that makes every function be analysed again
        change = {"range": {"start": {"line": 5, "character": 0}, "end": {"line": 5, "character": 0}},
                  "text": "# set_default_device is not called here\n"}  # fmt: skip
        await raw.notify(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]}
        )
        number = next(raw.ids)
        await raw.send({"id": number, "method": "textDocument/hover", "params": probe})
        answer = await raw.response(number)
        published = await raw.findings(uri)

        answered = next(i for i, m in enumerate(raw.messages) if m.get("id") == number and "method" not in m)
        linted = next(
            i for i, m in enumerate(raw.messages)
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == 2
        )  # fmt: skip
        assert answered < linted
        assert "x: Tensor" in answer["result"]["contents"]["value"]  # the facts of the text before the edit
        assert published == expected(raw_text(text, change))


def raw_text(text: str, change: dict[str, Any]) -> str:
    """`text` with one change that inserts at the start of a line."""
    lines = text.splitlines(keepends=True)
    row = change["range"]["start"]["line"]
    return "".join([*lines[:row], change["text"], *lines[row:]])


async def test_analysed_code_is_never_run(tmp_path: Path) -> None:
    """A file and a notebook importing a module that would leave a mark, and leaving it themselves (at
    top level, in a class body, in a default argument): linted, hovered, fixed; no mark ever appears."""
    marker, modules = tmp_path / "was-run", tmp_path / "modules"
    modules.mkdir()
    mark = f"import pathlib; pathlib.Path({str(marker)!r}).touch()\n"
    (modules / "leaves_a_mark.py").write_text(mark, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(modules)}
    subprocess.run([sys.executable, "-c", "import leaves_a_mark"], env=env, check=True)
    assert marker.exists()  # the module does leave the mark: its absence below means something
    marker.unlink()

    source = (
        "import leaves_a_mark\n"
        "from leaves_a_mark import anything\n"
        + mark
        + f"class C:\n    {mark}"
        + f"def f(x=__import__('pathlib').Path({str(marker)!r}).touch()):\n    pass\n"
        + SAMPLE
    )
    (tmp_path / "evil.py").write_text(source, encoding="utf-8")
    uri, book = (tmp_path / "evil.py").as_uri(), (tmp_path / "evil.ipynb").as_uri()
    cell = f"vscode-notebook-cell:{tmp_path / 'evil.ipynb'}#W0"
    async with server({"debounceMs": 0}, env=env) as raw:
        await raw.open(uri, source)
        assert ("TL401", 9, 4) in await raw.findings(uri)
        notebook = {
            "uri": book,
            "notebookType": "jupyter-notebook",
            "version": 1,
            "cells": [{"kind": 2, "document": cell}],
        }
        item = {"uri": cell, "languageId": "python", "version": 1, "text": source}
        await raw.notify("notebookDocument/didOpen", {"notebookDocument": notebook, "cellTextDocuments": [item]})
        raw.versions[cell] = 1
        assert ("TL401", 9, 4) in await raw.findings(cell)
        hover = {"textDocument": {"uri": uri}, "position": {"line": 8, "character": 0}}
        assert (await raw.request("textDocument/hover", hover))["result"] is not None
        whole = {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}}
        fix_all = {"textDocument": {"uri": uri}, "range": whole, "context": {"diagnostics": [], "only": ["source"]}}
        assert (await raw.request("textDocument/codeAction", fix_all))["result"]
        hints = await raw.request("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": whole})
        assert hints["result"]
    assert not marker.exists()
