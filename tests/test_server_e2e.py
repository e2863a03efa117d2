"""The language server end to end: the real `torchlint server` process, driven over stdio by
pytest-lsp's client under two client profiles.

- push-utf16: Neovim 0.7's capabilities (push diagnostics only, UTF-16 positions, no
  `workspace/configuration`).
- pull-utf8: Neovim 0.11's (pull diagnostics, UTF-8 positions first, `workspace/configuration`,
  inlay hint refresh) with what VS Code adds: dynamic file-watcher registration, versioned
  workspace edits and diagnostic refresh.

Every wait is on a message, with a timeout; the debounce test alone sleeps, to count the
publishes after the debounce window.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from torchlint.api import inferred_facts

pytestmark = pytest.mark.asyncio

SERVER = [sys.executable, "-m", "torchlint", "server"]
WAIT_S = 20.0
RULE_URL = "https://github.com/torchlint/torchlint/blob/main/docs/rules.md#{}"  # the rule's section
FIX_ALL = "source.fixAll.torchlint"

SAMPLE = (
    "import torch\n"
    'x = torch.rand(3, device="cuda")\n'
    "y = x.numpy()\n"  # TL401 at 2:4 (0-based)
    "a = torch.Tensor([1, 2])\n"  # TL101 at 3:4
    "z = x + 1\n"
)
BIG = SAMPLE + "".join(f"w{i} = torch.zeros(4, device='cuda')\nv{i} = w{i}.numpy()\n" for i in range(600))
T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    name: str
    capabilities: Callable[[], types.ClientCapabilities]
    encoding: str
    pull: bool


def push_utf16() -> types.ClientCapabilities:
    return client_capabilities("neovim@v0.7.0")


def pull_utf8() -> types.ClientCapabilities:
    capabilities = client_capabilities("neovim@v0.11.0")
    workspace = capabilities.workspace
    assert workspace is not None and workspace.did_change_watched_files is not None
    assert workspace.workspace_edit is not None
    workspace.did_change_watched_files.dynamic_registration = True
    workspace.workspace_edit.document_changes = True
    workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return capabilities


PUSH = Profile("push-utf16", push_utf16, "utf-16", pull=False)
PULL = Profile("pull-utf8", pull_utf8, "utf-8", pull=True)


@pytest.fixture(params=[PUSH, PULL], ids=lambda profile: profile.name)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param


def units(text: str, encoding: str) -> int:
    """Code units of `text`, counted independently of the server's own helpers."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def offset(text: str, position: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    line, used = lines[position.line], 0
    for index, char in enumerate(line):
        if used >= position.character:
            return start + index
        used += units(char, encoding)
    return start + len(line)


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    spans = [(offset(text, e.range.start, encoding), offset(text, e.range.end, encoding), e.new_text) for e in edits]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


class Client(LanguageClient):
    """pytest-lsp's client that also keeps every publish, registration and refresh it receives."""

    def __init__(self, profile: Profile, configuration: dict[str, Any] | None) -> None:
        super().__init__(converter_factory=default_converter, configuration=configuration)
        self.profile = profile
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []
        self.inlay_refreshes = 0
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.negotiated: str | None = None  # the position encoding the server chose
        self.server_capabilities: types.ServerCapabilities | None = None
        self._arrived = asyncio.Event()

    def arrived(self) -> None:
        self._arrived.set()

    async def until(self, check: Callable[[], T], what: str) -> T:
        """Wait for `check()` to return something truthy, re-checking as each message arrives."""
        deadline = time.monotonic() + WAIT_S
        while True:
            self._arrived.clear()
            value = check()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {WAIT_S:g} s waiting for {what}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    def publishes(self, uri: str) -> list[types.PublishDiagnosticsParams]:
        return [p for p in self.published if p.uri == uri]

    def open(self, uri: str, text: str, language_id: str = "python") -> None:
        self.texts[uri], self.versions[uri] = text, 1
        item = types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
        self.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))

    def change(self, uri: str, text: str) -> int:
        """Replace the whole text; returns the new version."""
        change = types.TextDocumentContentChangeWholeDocument(text=text)
        return self._send_change(uri, text, change)

    def edit(self, uri: str, where: types.Range, new_text: str) -> int:
        """An incremental change, its range in the negotiated encoding."""
        text = self.texts[uri]
        start, end = offset(text, where.start, self.profile.encoding), offset(text, where.end, self.profile.encoding)
        change = types.TextDocumentContentChangePartial(range=where, text=new_text)
        return self._send_change(uri, text[:start] + new_text + text[end:], change)

    def _send_change(self, uri: str, text: str, change: types.TextDocumentContentChangeEvent) -> int:
        self.texts[uri] = text
        self.versions[uri] += 1
        identifier = types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri])
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(text_document=identifier, content_changes=[change])
        )
        return self.versions[uri]

    def close(self, uri: str) -> None:
        identifier = types.TextDocumentIdentifier(uri=uri)
        self.text_document_did_close(types.DidCloseTextDocumentParams(text_document=identifier))

    async def findings(
        self, uri: str, where: Callable[[list[types.Diagnostic]], bool] = lambda found: True
    ) -> list[types.Diagnostic]:
        """The findings for the current text: the latest publish for this version that satisfies `where`
        (push), or a pull (whose answer must satisfy it)."""
        version = self.versions[uri]
        if self.profile.pull:
            report = await self.pull(uri)
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            found = list(report.items)
            assert where(found), found
            return found

        def latest() -> tuple[list[types.Diagnostic]] | None:  # in a tuple: an empty list is an answer too
            mine = self.publishes(uri)
            if mine and mine[-1].version == version and where(list(mine[-1].diagnostics)):
                return (list(mine[-1].diagnostics),)
            return None

        (found,) = await self.until(latest, f"diagnostics for version {version} of {uri}")
        return found

    async def pull(self, uri: str, previous: str | None = None) -> types.DocumentDiagnosticReport:
        identifier = types.TextDocumentIdentifier(uri=uri)
        params = types.DocumentDiagnosticParams(text_document=identifier, previous_result_id=previous)
        return await asyncio.wait_for(self.text_document_diagnostic_async(params), WAIT_S)

    async def actions(
        self, uri: str, diagnostics: list[types.Diagnostic], only: list[str] | None = None
    ) -> list[types.CodeAction]:
        where = (
            diagnostics[0].range
            if diagnostics
            else types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
        )
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=where,
            context=types.CodeActionContext(diagnostics=diagnostics, only=only),
        )
        answer = await asyncio.wait_for(self.text_document_code_action_async(params), WAIT_S)
        assert answer is not None
        return [action for action in answer if isinstance(action, types.CodeAction)]

    def apply(self, uri: str, edit: types.WorkspaceEdit | None) -> str:
        """The text after `edit` (checking its version when it has one); the document is not changed."""
        assert edit is not None
        if self.profile.pull:  # this profile declares versioned edits
            assert edit.document_changes is not None and edit.changes is None
            (change,) = edit.document_changes
            assert isinstance(change, types.TextDocumentEdit)
            assert change.text_document.uri == uri and change.text_document.version == self.versions[uri]
            edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
        else:
            assert edit.changes is not None and edit.document_changes is None
            edits = list(edit.changes[uri])
        return apply_edits(self.texts[uri], edits, self.profile.encoding)

    async def hover(self, uri: str, line: int, character: int) -> types.Hover | None:
        position = types.Position(line=line, character=character)
        params = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
        return await asyncio.wait_for(self.text_document_hover_async(params), WAIT_S)

    async def inlay_hints(self, uri: str) -> list[types.InlayHint] | None:
        everything = types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=10_000, character=0)
        )
        params = types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=uri), range=everything)
        answer = await asyncio.wait_for(self.text_document_inlay_hint_async(params), WAIT_S)
        return None if answer is None else list(answer)


def on_publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.published.append(params)
    client.arrived()


def on_register(client: Client, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)
    client.arrived()


def on_inlay_refresh(client: Client, params: None) -> None:
    client.inlay_refreshes += 1
    client.arrived()


def on_diagnostic_refresh(client: Client, params: None) -> None:
    client.diagnostic_refresh_count += 1
    client.arrived()


def on_log(client: Client, params: types.LogMessageParams) -> None:
    client.log_messages.append(params)
    client.arrived()


def on_show(client: Client, params: types.ShowMessageParams) -> None:
    client.messages.append(params)
    client.arrived()


FEATURES = {
    **DEFAULT_CLIENT_FEATURES,
    types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: on_publish,
    types.CLIENT_REGISTER_CAPABILITY: on_register,
    types.WORKSPACE_INLAY_HINT_REFRESH: on_inlay_refresh,
    types.WORKSPACE_DIAGNOSTIC_REFRESH: on_diagnostic_refresh,
    types.WINDOW_LOG_MESSAGE: on_log,
    types.WINDOW_SHOW_MESSAGE: on_show,
}


def initialize_params(profile: Profile, init_options: object, folders: list[Path]) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=profile.capabilities(),
        initialization_options=init_options,
        root_uri=folders[0].as_uri() if folders else None,
        workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders] or None,
    )


@contextlib.asynccontextmanager
async def session(
    profile: Profile,
    *,
    init_options: object = None,
    configuration: dict[str, Any] | None = None,
    folders: list[Path] | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Client]:
    client = Client(profile, {"": configuration} if configuration is not None else None)
    register_lsp_features(client, FEATURES)
    await client.start_io(*SERVER, env=env)
    try:
        params = initialize_params(profile, init_options, folders or [])
        result = await asyncio.wait_for(client.initialize_session(params), WAIT_S)
        client.negotiated = result.capabilities.position_encoding
        client.server_capabilities = result.capabilities
        yield client
        await asyncio.wait_for(client.shutdown_session(), WAIT_S)
        assert client._server is not None and client._server.returncode == 0  # a clean exit
    finally:
        server = client._server  # pytest-lsp's stop() waits for the process: end it if the test failed
        if server is not None and server.returncode is None:
            server.kill()
        await client.stop()


def summary(found: list[types.Diagnostic]) -> list[tuple[object, int, int]]:
    return [(d.code, d.range.start.line, d.range.start.character) for d in found]


def codes(found: list[types.Diagnostic]) -> list[object]:
    return [d.code for d in found]


async def test_findings_on_open_change_and_close(profile: Profile, tmp_path: Path) -> None:
    uri = (tmp_path / "train.py").as_uri()
    async with session(profile) as client:
        client.open(uri, SAMPLE)
        found = await client.findings(uri)
        assert summary(found) == [("TL401", 2, 4), ("TL101", 3, 4)]
        numpy, legacy = found
        assert numpy.severity == types.DiagnosticSeverity.Error
        assert legacy.severity == types.DiagnosticSeverity.Warning
        for diagnostic in found:
            assert diagnostic.source == "torchlint"
            assert diagnostic.code_description is not None
            name = {"TL401": "numpy-on-cuda-tensor", "TL101": "tensor-constructor-with-data"}[str(diagnostic.code)]
            assert diagnostic.code_description.href == RULE_URL.format(f"{str(diagnostic.code).lower()}-{name}")
            assert diagnostic.data["version"] == 1
        assert (numpy.range.end.line, numpy.range.end.character) == (2, 13)
        if not profile.pull:
            assert client.publishes(uri)[-1].version == 1

        version = client.change(uri, SAMPLE.replace("x.numpy()", "x.cpu().numpy()"))
        found = await client.findings(uri)
        assert summary(found) == [("TL101", 3, 4)]
        assert found[0].data["version"] == version == 2

        if profile.pull:
            first = await client.pull(uri)
            assert isinstance(first, types.RelatedFullDocumentDiagnosticReport) and first.result_id
            again = await client.pull(uri, previous=first.result_id)
            assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
            assert again.result_id == first.result_id

        client.close(uri)
        if profile.pull:
            report = await client.pull(uri)
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport) and list(report.items) == []
            assert client.published == []  # pull, so never a push
        else:
            cleared = await client.until(
                lambda: len(client.publishes(uri)[-1].diagnostics) == 0, "the close to clear the findings"
            )
            assert cleared


async def test_a_result_for_an_older_version_is_never_published(tmp_path: Path) -> None:
    """A lint still running when the next edit arrives is dropped: only versions 1 and 3 are published."""
    uri = (tmp_path / "big.py").as_uri()
    async with session(PUSH, init_options={"debounceMs": 0}) as client:
        client.open(uri, SAMPLE)
        await client.findings(uri)
        client.change(uri, BIG)  # version 2: slow to lint
        client.change(uri, SAMPLE)  # version 3 arrives while version 2 is linted
        found = await client.findings(uri)
        assert codes(found) == ["TL401", "TL101"]
        assert [p.version for p in client.publishes(uri)] == [1, 3]


async def test_a_pull_overtaken_by_an_edit_asks_to_be_retried(tmp_path: Path) -> None:
    uri = (tmp_path / "big.py").as_uri()
    async with session(PULL) as client:
        client.open(uri, SAMPLE)
        await client.findings(uri)  # the server has its settings: nothing but the lint delays the next pull
        client.change(uri, BIG)
        params = types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        pulling = asyncio.ensure_future(client.text_document_diagnostic_async(params))
        await asyncio.sleep(0)  # one step of that task sends the request; the edit follows while it is linted
        client.change(uri, SAMPLE)
        with pytest.raises(JsonRpcException) as cancelled:
            await asyncio.wait_for(pulling, WAIT_S)
        assert cancelled.value.code == types.LSPErrorCodes.ServerCancelled
        assert cancelled.value.data == {"retriggerRequest": True}
        assert codes(await client.findings(uri)) == ["TL401", "TL101"]


async def test_a_burst_of_edits_is_linted_once(tmp_path: Path) -> None:
    uri = (tmp_path / "burst.py").as_uri()
    debounce_s = 0.6
    async with session(PUSH, init_options={"torchlint": {"debounceMs": debounce_s * 1000}}) as client:
        client.open(uri, SAMPLE)
        await client.findings(uri)
        for i in range(20):
            last = client.change(uri, SAMPLE + f"n = {i}\n")
        sent = time.monotonic()
        await client.findings(uri)
        assert time.monotonic() - sent >= debounce_s
        await asyncio.sleep(debounce_s + 0.5)  # any further publish would have arrived by now
        assert [p.version for p in client.publishes(uri)] == [1, last] == [1, 21]


async def test_quick_fix_suppression_and_fix_all(profile: Profile, tmp_path: Path) -> None:
    uri = (tmp_path / "fixes.py").as_uri()
    async with session(profile) as client:
        client.open(uri, SAMPLE)
        found = await client.findings(uri)
        legacy = next(d for d in found if d.code == "TL101")

        offered = await client.actions(uri, [legacy])
        assert all(a.kind == types.CodeActionKind.QuickFix for a in offered if a.kind != FIX_ALL)
        disable = next(a for a in offered if a.title == "Disable TL101 for this line")
        text = client.apply(uri, disable.edit)
        assert text.splitlines()[3] == "a = torch.Tensor([1, 2])  # noqa: TL101"
        client.change(uri, text)
        found = await client.findings(uri)
        assert codes(found) == ["TL401"]

        numpy = found[0]
        offered = await client.actions(uri, [numpy])
        fix = next(a for a in offered if a.is_preferred)
        assert list(fix.diagnostics or []) == [numpy] and "(unsafe)" not in fix.title
        text = client.apply(uri, fix.edit)
        assert text.splitlines()[2] == "y = x.cpu().numpy()"
        client.change(uri, text)
        assert await client.findings(uri) == []

        client.change(uri, SAMPLE)
        await client.findings(uri)
        (fix_all,) = await client.actions(uri, [], only=["source.fixAll"])
        assert fix_all.kind == FIX_ALL
        client.change(uri, client.apply(uri, fix_all.edit))
        assert await client.findings(uri) == []


async def test_noqa_list_extended_and_unsafe_fixes_labelled(profile: Profile, tmp_path: Path) -> None:
    uri, uninitialised = (tmp_path / "noqa.py").as_uri(), (tmp_path / "empty.py").as_uri()
    text = SAMPLE.replace("a = torch.Tensor([1, 2])", "a = torch.Tensor([1, 2])  # keep  # noqa: TL999")
    async with session(profile) as client:
        client.open(uri, text)
        found = await client.findings(uri)
        legacy = next(d for d in found if d.code == "TL101")
        offered = await client.actions(uri, [legacy], only=[types.CodeActionKind.QuickFix])
        disable = next(a for a in offered if a.title == "Disable TL101 for this line")
        fixed = client.apply(uri, disable.edit)
        assert fixed.splitlines()[3] == "a = torch.Tensor([1, 2])  # keep  # noqa: TL999, TL101"
        client.change(uri, fixed)
        assert codes(await client.findings(uri)) == ["TL401"]

        client.open(uninitialised, "import torch\nb = torch.Tensor(4, 6)\n")
        (finding,) = await client.findings(uninitialised)
        offered = await client.actions(uninitialised, [finding], only=[types.CodeActionKind.QuickFix])
        unsafe = [a for a in offered if a.title.endswith(" (unsafe)")]
        safe = [a for a in offered if a.is_preferred]
        assert len(unsafe) == 1 and len(safe) == 1 and not unsafe[0].is_preferred
        assert client.apply(uninitialised, unsafe[0].edit).splitlines()[1] == "b = torch.zeros(4, 6)"
        assert client.apply(uninitialised, safe[0].edit).splitlines()[1] == "b = torch.empty(4, 6)"


async def test_hover_shows_rule_docs_and_tensor_facts(profile: Profile, tmp_path: Path) -> None:
    uri = (tmp_path / "hover.py").as_uri()
    x = next(b for b in inferred_facts(SAMPLE) if b.name == "x")
    async with session(profile) as client:
        client.open(uri, SAMPLE)
        await client.findings(uri)

        on_finding = await client.hover(uri, 2, 8)  # inside `x.numpy()`, on `numpy`
        assert on_finding is not None and isinstance(on_finding.contents, types.MarkupContent)
        assert on_finding.contents.kind == types.MarkupKind.Markdown
        assert on_finding.contents.value.startswith("# TL401 numpy-on-cuda-tensor")
        assert "## What it does" in on_finding.contents.value and "## Use instead" in on_finding.contents.value
        assert on_finding.range == types.Range(
            start=types.Position(line=2, character=4), end=types.Position(line=2, character=13)
        )

        on_use = await client.hover(uri, 4, 4)  # `z = x + 1`: a later use of `x`
        assert on_use is not None and isinstance(on_use.contents, types.MarkupContent)
        assert f"x: {x.describe()}" in on_use.contents.value and "TL" not in on_use.contents.value
        assert on_use.range == types.Range(
            start=types.Position(line=4, character=4), end=types.Position(line=4, character=5)
        )

        on_target = await client.hover(uri, 1, 0)
        assert on_target is not None and isinstance(on_target.contents, types.MarkupContent)
        assert f"x: {x.describe()}" in on_target.contents.value

        on_both = await client.hover(uri, 2, 4)  # the `x` of `x.numpy()`: facts, then the rule
        assert on_both is not None and isinstance(on_both.contents, types.MarkupContent)
        assert on_both.contents.value.index(x.describe()) < on_both.contents.value.index("# TL401")

        assert await client.hover(uri, 0, 6) is None  # the space in `import torch`


def plaintext_hover() -> types.ClientCapabilities:
    """A client that shows hovers as plain text, as eglot 1.9 without markdown-mode does."""
    capabilities = push_utf16()
    assert capabilities.text_document is not None
    capabilities.text_document.hover = types.HoverClientCapabilities(content_format=[types.MarkupKind.PlainText])
    return capabilities


async def test_hover_in_plain_text_has_no_markdown(tmp_path: Path) -> None:
    uri = (tmp_path / "hover.py").as_uri()
    x = next(b for b in inferred_facts(SAMPLE) if b.name == "x")
    async with session(Profile("plaintext-hover", plaintext_hover, "utf-16", pull=False)) as client:
        client.open(uri, SAMPLE)
        await client.findings(uri)
        on_both = await client.hover(uri, 2, 4)  # the `x` of `x.numpy()`: facts, then the rule
        assert on_both is not None and isinstance(on_both.contents, types.MarkupContent)
        assert on_both.contents.kind == types.MarkupKind.PlainText
        assert on_both.contents.value.startswith(f"x: {x.describe()}\n\n# TL401 numpy-on-cuda-tensor")
        assert "```" not in on_both.contents.value and "\n---\n" not in on_both.contents.value


async def test_inlay_hints_answered_and_switchable(profile: Profile, tmp_path: Path) -> None:
    uri = (tmp_path / "hints.py").as_uri()
    expected = [
        (b.end.line - 1, b.end.column - 1, ": [" + ", ".join(map(str, b.shape)) + "]")
        for b in inferred_facts(SAMPLE)
        if b.shape
    ]
    off = {"torchlint": {"inlayHints": False}}
    options, configuration = (None, off) if profile.pull else (off, None)
    async with session(profile, init_options=options, configuration=configuration) as client:
        client.open(uri, SAMPLE)
        await client.findings(uri)
        assert await client.inlay_hints(uri) is None  # switched off

        if profile.pull:
            client.set_configuration({"inlayHints": True}, section="torchlint")
            client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
            await client.until(lambda: client.inlay_refreshes, "an inlay hint refresh")
        else:
            published = len(client.publishes(uri))
            settings = {"torchlint": {"inlayHints": True}}
            client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
            await client.until(lambda: len(client.publishes(uri)) > published, "a re-lint under the new settings")
        hints = await client.inlay_hints(uri)
        assert hints is not None
        assert [(h.position.line, h.position.character, h.label) for h in hints] == expected


async def test_configuration_per_folder_reloaded_when_pyproject_changes(profile: Profile, tmp_path: Path) -> None:
    configured, plain = tmp_path / "configured", tmp_path / "plain"
    configured.mkdir()
    plain.mkdir()
    pyproject = configured / "pyproject.toml"
    pyproject.write_text('[tool.torchlint]\nignore = ["TL101"]\n', encoding="utf-8")
    here, there = (configured / "pkg" / "train.py").as_uri(), (plain / "train.py").as_uri()
    async with session(profile, folders=[configured, plain]) as client:
        client.open(here, SAMPLE)
        client.open(there, SAMPLE)
        assert codes(await client.findings(here)) == ["TL401"]
        assert codes(await client.findings(there)) == ["TL401", "TL101"]
        if profile.pull:
            watcher = await client.until(
                lambda: [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES],
                "the pyproject.toml watcher",
            )
            assert watcher[0].register_options["watchers"] == [{"globPattern": "**/pyproject.toml"}]

        def changed(text: str) -> None:
            pyproject.write_text(text, encoding="utf-8")
            event = types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)
            client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[event]))

        changed('[tool.torchlint]\nselect = ["TL1"]\n')
        if profile.pull:
            await client.until(lambda: client.diagnostic_refresh_count, "a diagnostic refresh")
        assert codes(await client.findings(here, lambda found: codes(found) == ["TL101"])) == ["TL101"]

        changed('[tool.torchlint]\nselect = ["TL999"]\n')
        both = await client.findings(here, lambda found: codes(found) == ["TL401", "TL101"])
        assert codes(both) == ["TL401", "TL101"]  # the defaults
        error = await client.until(
            lambda: [m for m in client.messages if "TL999" in m.message], "the configuration error"
        )
        assert error[0].type == types.MessageType.Error and "using the default settings" in error[0].message


async def test_editor_settings_override_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nselect = ["TL1"]\n', encoding="utf-8")
    uri = (tmp_path / "train.py").as_uri()
    configuration = {"torchlint": {"select": ["TL4"]}}
    async with session(PULL, configuration=configuration, init_options={"debounceMs": "soon"}) as client:
        client.open(uri, SAMPLE)
        assert codes(await client.findings(uri)) == ["TL401"]
        problem = await client.until(lambda: [m for m in client.messages if "debounceMs" in m.message], "a warning")
        assert problem[0].type == types.MessageType.Warning


async def test_positions_on_non_ascii_lines(profile: Profile, tmp_path: Path) -> None:
    uri = (tmp_path / "unicode.py").as_uri()
    prefix = 's = "é😀"; y = '
    text = SAMPLE.replace("y = x.numpy()", prefix + "x.numpy()")
    column = units(prefix, profile.encoding)
    assert column == {"utf-16": 15, "utf-8": 18}[profile.encoding]
    async with session(profile) as client:
        assert client.negotiated == profile.encoding
        client.open(uri, text)
        numpy = (await client.findings(uri))[0]
        assert numpy.code == "TL401"
        assert (numpy.range.start.line, numpy.range.start.character) == (2, column)
        assert (numpy.range.end.line, numpy.range.end.character) == (2, column + len("x.numpy()"))

        facts = await client.hover(uri, 2, column)
        assert facts is not None and isinstance(facts.contents, types.MarkupContent)
        assert "x: Tensor" in facts.contents.value

        after_x = types.Position(line=2, character=column + 1)
        client.edit(uri, types.Range(start=after_x, end=after_x), ".cpu()")  # incremental, in client units
        assert client.texts[uri].splitlines()[2] == prefix + "x.cpu().numpy()"
        assert codes(await client.findings(uri)) == ["TL101"]


async def test_utf8_is_chosen_whenever_offered(tmp_path: Path) -> None:
    """Emacs (eglot) offers UTF-32 first, then UTF-8: the server takes UTF-8."""
    emacs = Profile("emacs", lambda: client_capabilities("emacs@v29.1"), "utf-8", pull=False)
    capabilities = emacs.capabilities()
    assert capabilities.general is not None and tuple(capabilities.general.position_encodings or ()) == (
        "utf-32",
        "utf-8",
        "utf-16",
    )
    uri = (tmp_path / "unicode.py").as_uri()
    async with session(emacs) as client:
        assert client.negotiated == "utf-8"
        client.open(uri, SAMPLE.replace("y = x.numpy()", "é = 1; y = x.numpy()"))
        numpy = (await client.findings(uri))[0]
        assert (numpy.code, numpy.range.start.line, numpy.range.start.character) == ("TL401", 2, 12)


async def test_syntax_errors_and_unknown_documents(profile: Profile, tmp_path: Path) -> None:
    uri, unknown = (tmp_path / "broken.py").as_uri(), (tmp_path / "never_opened.py").as_uri()
    async with session(profile) as client:
        client.open(uri, "import torch\nx = torch.rand(3\n")
        (error,) = await client.findings(uri)
        assert error.code == "TL001" and error.severity == types.DiagnosticSeverity.Error
        assert error.message.startswith("Syntax error")
        docs = await client.hover(uri, error.range.start.line, error.range.start.character)
        assert docs is not None and isinstance(docs.contents, types.MarkupContent)
        assert docs.contents.value.startswith("# TL001 syntax-error")

        assert await client.hover(uri, 99, 0) is None
        assert await client.hover(unknown, 0, 0) is None
        assert await client.actions(unknown, []) == []
        assert await client.inlay_hints(unknown) == []
        if profile.pull:
            report = await client.pull(unknown)
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport) and list(report.items) == []


MARKDOWN = """# Tutorial

Prose that Python would not tokenize: don't.

```python
x = torch.rand(3, device="cuda")
y = x.numpy()
```

A fragment:

```python
def broken(:
```

   ```py
   a = torch.Tensor([1, 2])
   ```
"""


async def test_markdown_fences_are_linted_in_document_lines(profile: Profile, tmp_path: Path) -> None:
    """Python fences form one program (snippet aliases: `torch` unimported), findings on the Markdown's own
    lines and columns (an indented fence shifts them); a fence that does not parse is a TL001."""
    uri, untitled = (tmp_path / "tutorial.md").as_uri(), "untitled:Untitled-1"
    expected = [("TL401", 6, 4), ("TL001", 12, 11), ("TL101", 16, 7)]
    async with session(profile) as client:
        client.open(uri, MARKDOWN, language_id="markdown")
        found = await client.findings(uri)
        assert summary(found) == expected
        assert found[0].range.end == types.Position(line=6, character=13)
        client.open(untitled, MARKDOWN, language_id="markdown")  # no suffix: the language says Markdown
        assert summary(await client.findings(untitled)) == expected

        offered = await client.actions(uri, [found[2]], only=[types.CodeActionKind.QuickFix])
        assert offered and not [a for a in offered if a.title.startswith("Disable")]
        (fix_all,) = await client.actions(uri, [], only=["source.fixAll"])
        fixed = client.apply(uri, fix_all.edit)
        assert "y = x.cpu().numpy()\n" in fixed and "   a = torch.tensor([1, 2], dtype=torch.float32)\n" in fixed
        client.change(uri, fixed)
        assert summary(await client.findings(uri)) == [("TL001", 12, 11)]


def with_notebooks(profile: Profile) -> Profile:
    def capabilities() -> types.ClientCapabilities:
        capabilities = profile.capabilities()
        capabilities.notebook_document = types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        )
        return capabilities

    return Profile(profile.name, capabilities, profile.encoding, profile.pull)


NOTEBOOK_CELLS = [
    (types.NotebookCellKind.Code, "python", 'import torch\ndev = torch.device("cuda")\n'),
    (types.NotebookCellKind.Markup, "markdown", "# Notes\n"),
    (types.NotebookCellKind.Code, "python", "x = torch.rand(3, device=dev)\ny = x.numpy()\n"),  # TL401: `dev`, cell 1
    (types.NotebookCellKind.Code, "python", 's = "é😀"; a = torch.Tensor([1, 2])\n'),  # TL101
]


async def test_notebook_cells_are_one_program_published_per_cell(profile: Profile, tmp_path: Path) -> None:
    """Code cells in order form one program (cell 3 uses cell 1's device); each finding goes to its cell's
    document, cell-relative, in the client's encoding; edits, new and deleted cells update them; closing
    the notebook clears them."""
    notebook = tmp_path / "train.ipynb"
    cells = [f"vscode-notebook-cell:{notebook}#W{n}" for n in range(len(NOTEBOOK_CELLS) + 1)]
    column = units('s = "é😀"; a = ', profile.encoding)
    async with session(with_notebooks(profile)) as client:
        assert client.server_capabilities is not None
        sync = client.server_capabilities.notebook_document_sync
        assert isinstance(sync, types.NotebookDocumentSyncOptions) and sync.save
        (selector,) = sync.notebook_selector
        assert selector.notebook == "jupyter-notebook" and "python" in [c.language for c in selector.cells or []]
        version = itertools.count(2)

        def change(cells_change: types.NotebookDocumentCellChanges) -> None:
            identifier = types.VersionedNotebookDocumentIdentifier(uri=notebook.as_uri(), version=next(version))
            event = types.NotebookDocumentChangeEvent(cells=cells_change)
            client.notebook_document_did_change(
                types.DidChangeNotebookDocumentParams(notebook_document=identifier, change=event)
            )

        async def findings(uri: str, where: Callable[[list[types.Diagnostic]], bool]) -> list[types.Diagnostic]:
            """A cell's findings once they satisfy `where`: the latest push, or a pull."""
            if profile.pull:
                report = await client.pull(uri)
                assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
                assert where(list(report.items)), report.items
                return list(report.items)

            def latest() -> tuple[list[types.Diagnostic]] | None:
                mine = client.publishes(uri)
                return (list(mine[-1].diagnostics),) if mine and where(list(mine[-1].diagnostics)) else None

            (found,) = await client.until(latest, f"findings of {uri}")
            return found

        client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                notebook_document=types.NotebookDocument(
                    uri=notebook.as_uri(),
                    notebook_type="jupyter-notebook",
                    version=1,
                    cells=[
                        types.NotebookCell(kind=kind, document=uri)
                        for uri, (kind, _, _) in zip(cells, NOTEBOOK_CELLS, strict=False)
                    ],
                ),
                cell_text_documents=[
                    types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
                    for uri, (_, language, text) in zip(cells, NOTEBOOK_CELLS, strict=False)
                ],
            )
        )
        numpy = await findings(cells[2], lambda found: codes(found) == ["TL401"])
        assert summary(numpy) == [("TL401", 1, 4)] and "line 2 of cell 1" in numpy[0].message
        legacy = await findings(cells[3], lambda found: codes(found) == ["TL101"])
        assert summary(legacy) == [("TL101", 0, column)]
        assert legacy[0].range.end.character == column + len("torch.Tensor([1, 2])")
        if profile.pull:
            assert await findings(cells[0], lambda found: True) == []
        else:
            assert {p.uri for p in client.published} == {cells[2], cells[3]}  # a clean cell is sent nothing

        # Cell 1's device is now the CPU: cell 3's finding goes (a pull client is asked to pull again).
        refreshes = client.diagnostic_refresh_count
        cuda = types.Range(start=types.Position(line=1, character=20), end=types.Position(line=1, character=24))
        edit = types.TextDocumentContentChangePartial(range=cuda, text="cpu")
        cell_1 = types.VersionedTextDocumentIdentifier(uri=cells[0], version=2)
        content = types.NotebookDocumentCellContentChanges(document=cell_1, changes=[edit])
        change(types.NotebookDocumentCellChanges(text_content=[content]))
        if profile.pull:
            await client.until(lambda: client.diagnostic_refresh_count > refreshes, "a diagnostic refresh")
        assert await findings(cells[2], lambda found: found == []) == []

        # Cell 4 deleted (cleared: its finding is gone), a new last cell with a finding of its own.
        added = types.TextDocumentItem(uri=cells[4], language_id="python", version=1, text="b = torch.Tensor([3])\n")
        structure = types.NotebookDocumentCellChangeStructure(
            array=types.NotebookCellArrayChange(
                start=3,
                delete_count=1,
                cells=[types.NotebookCell(kind=types.NotebookCellKind.Code, document=added.uri)],
            ),
            did_open=[added],
            did_close=[types.TextDocumentIdentifier(uri=cells[3])],
        )
        change(types.NotebookDocumentCellChanges(structure=structure))
        assert summary(await findings(cells[4], lambda found: codes(found) == ["TL101"])) == [("TL101", 0, 4)]
        if not profile.pull:  # a pull client drops a closed document's findings itself
            assert await findings(cells[3], lambda found: found == []) == []

        client.notebook_document_did_close(
            types.DidCloseNotebookDocumentParams(
                notebook_document=types.NotebookDocumentIdentifier(uri=notebook.as_uri()),
                cell_text_documents=[types.TextDocumentIdentifier(uri=uri) for uri in [*cells[:3], cells[4]]],
            )
        )
        assert await findings(cells[4], lambda found: found == []) == []


def engine_process_of(server: int) -> int:
    """The one child of the server process: its engine process (found through Linux's /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server:
                return int(stat.parent.name)
    raise AssertionError(f"process {server} has no child")


@pytest.mark.skipif(sys.platform != "linux", reason="finds the engine process through /proc")
async def test_an_engine_process_that_stops_answering_is_a_finding_and_the_server_goes_on(tmp_path: Path) -> None:
    """A stopped engine process takes requests and answers none, as a native hang would: past the file's
    time bound (plus the grace period) it is killed, the file gets TL002, and the next lint restarts it."""
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\nper-file-timeout = 0.5\n", encoding="utf-8")
    stuck, fine = (tmp_path / "stuck.py").as_uri(), (tmp_path / "fine.py").as_uri()
    async with session(PUSH) as client:
        client.open(fine, SAMPLE)
        await client.findings(fine)
        assert client._server is not None
        engine = engine_process_of(client._server.pid)
        os.kill(engine, signal.SIGSTOP)
        client.open(stuck, SAMPLE)
        (internal,) = await client.findings(stuck)
        assert internal.code == "TL002" and internal.severity == types.DiagnosticSeverity.Error
        assert internal.message.endswith("the analysis gave no answer within 2.5 s and was stopped")
        logged = await client.until(
            lambda: [m for m in client.log_messages if "stuck.py" in m.message], "the failure in the log"
        )
        assert logged[0].type == types.MessageType.Error
        client.change(fine, SAMPLE + "w = 1\n")
        assert codes(await client.findings(fine)) == ["TL401", "TL101"]
        assert engine_process_of(client._server.pid) != engine


async def test_the_server_never_imports_torch(tmp_path: Path) -> None:
    """Every `import torch` in the server or its engine process hits a stand-in that leaves a mark and fails."""
    shim, marker = tmp_path / "shim", tmp_path / "torch-was-imported"
    (shim / "torch").mkdir(parents=True)
    (shim / "torch" / "__init__.py").write_text(
        "import os, pathlib\n"
        "pathlib.Path(os.environ['TORCHLINT_TORCH_MARKER']).touch()\n"
        "raise ImportError('torch is blocked in this test')\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(shim), "TORCHLINT_TORCH_MARKER": str(marker)}
    probe = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0 and marker.exists()  # the stand-in does catch an import
    marker.unlink()

    uri = (tmp_path / "train.py").as_uri()
    async with session(PUSH, env=env) as client:
        client.open(uri, SAMPLE)
        assert codes(await client.findings(uri)) == ["TL401", "TL101"]
        assert await client.hover(uri, 1, 0) is not None
        assert await client.actions(uri, [], only=[FIX_ALL])
        assert await client.inlay_hints(uri) is not None
    assert not marker.exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _connect(client: Client, port: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            await client.start_tcp("127.0.0.1", port)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_tcp_transport(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(*SERVER, "--tcp", str(port), stderr=asyncio.subprocess.DEVNULL)
    client = Client(PUSH, None)
    register_lsp_features(client, FEATURES)
    try:
        await _connect(client, port)
        await asyncio.wait_for(client.initialize_session(initialize_params(PUSH, None, [])), WAIT_S)
        uri = (tmp_path / "train.py").as_uri()
        client.open(uri, SAMPLE)
        assert codes(await client.findings(uri)) == ["TL401", "TL101"]
        await asyncio.wait_for(client.shutdown_async(None), WAIT_S)
        client.exit(None)
        assert await asyncio.wait_for(process.wait(), WAIT_S) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.wait_for(client.stop(), WAIT_S)
