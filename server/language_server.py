"""The server's state and its core loop: lint each document as it changes, publish (push) or answer
(pull) the findings, and drop any result the document or the configuration has moved past.

Everything here runs on the event loop; the engine itself runs in `server.worker`, and this process
does not even import it (LibCST and the rules) until it needs their documentation or an error.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from server.actions import workspace_edit
from server.configuration import Configuration
from server.convert import QuickFix, read_data, to_lsp
from server.documents import Document, Documents
from server.engine_process import EngineFailure, EngineProcess
from server.positions import UTF16, LineIndex
from server.protocol import TorchlintProtocol
from server.settings import SECTION, parse_settings
from torchlint import __version__
from torchlint.config import ConfigError
from torchlint.diagnostics import INTERNAL_ERROR_CODE, Applicability, Diagnostic

if TYPE_CHECKING:
    from torchlint.api import TensorBinding

CLIENT_TIMEOUT_S = 10.0
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class LintResult:
    uri: str
    serial: int  # which opening of the document
    version: int
    generation: int  # of the configuration
    diagnostics: list[Diagnostic]
    published: list[types.Diagnostic]

    @property
    def result_id(self) -> str:
        return f"{self.serial}.{self.version}.{self.generation}"


class TorchlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "torchlint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=TorchlintProtocol,
        )
        self.documents = Documents()
        self.config = Configuration()
        self.engine = EngineProcess()
        self.ready = asyncio.Event()  # set once the client's settings are in: no lint runs before
        self.init_options: object = None
        self.client_settings: object = None
        self._results: dict[str, LintResult] = {}
        self._facts: dict[str, tuple[tuple[int, int], list[TensorBinding]]] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._reported: set[str] = set()  # configuration errors shown since the last reload
        self._background: set[asyncio.Future[Any]] = set()

    # What the client can do.

    def supports(self, capability: str) -> bool:
        return bool(get_capability(self.client_capabilities, capability, None))  # type: ignore[call-overload]

    @property
    def encoding(self) -> str:
        return self.workspace.position_encoding or UTF16

    @property
    def pull_diagnostics(self) -> bool:
        """Pull (`textDocument/diagnostic`) when the client can; push otherwise, never both."""
        return get_capability(self.client_capabilities, "text_document.diagnostic", None) is not None

    @property
    def markdown(self) -> bool:
        formats = get_capability(self.client_capabilities, "text_document.hover.content_format", None) or []
        return types.MarkupKind.Markdown in formats

    # Messages to the user.

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def show(self, message: str, kind: types.MessageType) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        self.log(message, kind)

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run `work` alongside, keeping it referenced until it is done."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _request(self, what: str, request: Awaitable[Any]) -> Any:
        """A request to the client; None (and a log line) when it fails or does not answer."""
        try:
            return await asyncio.wait_for(request, CLIENT_TIMEOUT_S)
        except (asyncio.TimeoutError, JsonRpcException) as error:
            self.log(f"torchlint: {what} failed: {error!r}", types.MessageType.Warning)
            return None

    # Configuration.

    async def start(self) -> None:
        """After `initialized`: the engine process, file watching, the client's settings; then linting."""
        self.spawn(self._start_engine())
        self.spawn(self._register_for_changes())
        await self.fetch_client_settings()
        self.read_settings()
        self.ready.set()

    async def _start_engine(self) -> None:
        try:
            await self.engine.start()
        except EngineFailure as failure:
            self.log(f"torchlint: {failure}", types.MessageType.Error)

    async def _register_for_changes(self) -> None:
        registrations = []
        if self.supports("workspace.did_change_watched_files.dynamic_registration"):
            watcher = types.FileSystemWatcher(glob_pattern=f"**/{PYPROJECT}")
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[watcher])
            method = types.WORKSPACE_DID_CHANGE_WATCHED_FILES
            registrations.append(types.Registration(id=method, method=method, register_options=options))
        if self.supports("workspace.did_change_configuration.dynamic_registration"):
            method = types.WORKSPACE_DID_CHANGE_CONFIGURATION
            options = types.DidChangeConfigurationRegistrationOptions(section=SECTION)
            registrations.append(types.Registration(id=method, method=method, register_options=options))
        if registrations:
            params = types.RegistrationParams(registrations=registrations)
            registering = self.client_register_capability_async(params)
            await self._request("registering for file and settings changes", registering)

    async def fetch_client_settings(self) -> None:
        if not self.supports("workspace.configuration"):
            return
        params = types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        answer = await self._request("reading the editor settings", self.workspace_configuration_async(params))
        if answer:
            self.client_settings = answer[0]

    def read_settings(self) -> None:
        """The editor settings from every source (a bad value is shown and skipped), every pyproject.toml
        read again under them."""
        settings, problems = parse_settings(self.init_options, self.client_settings)
        for problem in problems:
            self.show(f"torchlint: {problem}", types.MessageType.Warning)
        self.config.reload(settings)
        self._reported.clear()

    def reload_config(self) -> None:
        """Every pyproject.toml read again."""
        self.config.reload()
        self._reported.clear()

    def refresh(self) -> None:
        """The configuration changed: every open document's findings (and hints) may have."""
        if self.pull_diagnostics:
            if self.supports("workspace.diagnostics.refresh_support"):
                self.spawn(self._request("diagnostic refresh", self.workspace_diagnostic_refresh_async(None)))
        else:
            for document in self.documents:
                self.schedule(document.uri, 0)
        if self.supports("workspace.inlay_hint.refresh_support"):
            self.spawn(self._request("inlay hint refresh", self.workspace_inlay_hint_refresh_async(None)))

    def _report_config_error(self, error: ConfigError) -> None:
        message = str(error)
        if message not in self._reported:
            self._reported.add(message)
            self.show(f"torchlint: {message}; using the default settings", types.MessageType.Error)

    # Linting.

    def is_current(self, result: LintResult) -> bool:
        document = self.documents.get(result.uri)
        return (
            document is not None
            and (document.serial, document.version) == (result.serial, result.version)
            and result.generation == self.config.generation
        )

    def current_result(self, uri: str) -> LintResult | None:
        result = self._results.get(uri)
        return result if result is not None and self.is_current(result) else None

    async def analyse(self, document: Document) -> LintResult:
        serial, version, text, generation = document.serial, document.version, document.text, self.config.generation
        plan, error = self.config.plan_for(document.path)
        if error is not None:
            self._report_config_error(error)
        try:
            diagnostics: list[Diagnostic] = await self.engine.call(
                "lint", text, document.name, plan, within_s=plan.timeout
            )
        except EngineFailure as failure:
            from torchlint.engine import internal_error  # the engine lives in the worker: imported on failure only

            crash = internal_error(document.name, failure)
            diagnostics = [replace(crash, detail=failure.detail or None)]  # the server's own stack says nothing
        for diagnostic in diagnostics:
            if diagnostic.code == INTERNAL_ERROR_CODE:
                detail = f"\n{diagnostic.detail}" if diagnostic.detail else ""
                self.log(f"torchlint: {document.name}: {diagnostic.message}{detail}", types.MessageType.Error)
        index = LineIndex(text, self.encoding)
        published = [to_lsp(diagnostic, index, version) for diagnostic in diagnostics]
        return LintResult(document.uri, serial, version, generation, diagnostics, published)

    async def result_for(self, document: Document) -> LintResult:
        """The findings for the document as it is now: cached, else computed (and cached if still current)."""
        cached = self.current_result(document.uri)
        if cached is not None:
            return cached
        await self.ready.wait()
        result = await self.analyse(document)
        if self.is_current(result):
            self._results[document.uri] = result
        return result

    def schedule(self, uri: str, delay_s: float) -> None:
        """Lint and publish after `delay_s`; a newer call for the same document replaces this one."""
        self.cancel(uri)
        self._pending[uri] = asyncio.ensure_future(self._lint_and_publish(uri, delay_s))

    def cancel(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()

    async def _lint_and_publish(self, uri: str, delay_s: float) -> None:
        try:
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            await self.ready.wait()
            document = self.documents.get(uri)
            if document is None:
                return
            result = await self.analyse(document)
            if not self.is_current(result):
                return  # the text or the configuration moved on meanwhile: a newer lint is on its way
            self._results[uri] = result
            params = types.PublishDiagnosticsParams(uri=uri, version=result.version, diagnostics=result.published)
            self.text_document_publish_diagnostics(params)
        except Exception:  # one document's failure must not stop the others
            self.log(f"torchlint: linting {uri} failed:\n{traceback.format_exc()}", types.MessageType.Error)
        finally:
            if self._pending.get(uri) is asyncio.current_task():
                del self._pending[uri]

    def close(self, uri: str) -> None:
        self.cancel(uri)
        self.documents.close(uri)
        self._results.pop(uri, None)
        self._facts.pop(uri, None)
        if not self.pull_diagnostics:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def pull(self, uri: str, previous_result_id: str | None) -> types.DocumentDiagnosticReport:
        document = self.documents.get(uri)
        if document is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result = await self.result_for(document)
        if not self.is_current(result):
            raise JsonRpcException(
                message="the document changed while it was being linted",
                code=types.LSPErrorCodes.ServerCancelled,
                data={"retriggerRequest": True},
            )
        if previous_result_id == result.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=result.published, result_id=result.result_id)

    # What else the engine knows.

    async def facts_for(self, document: Document) -> list[TensorBinding]:
        key, text = (document.serial, document.version), document.text
        cached = self._facts.get(document.uri)
        if cached is not None and cached[0] == key:
            return cached[1]
        timeout = self.config.plan_for(document.path)[0].timeout
        try:
            bindings: list[TensorBinding] = await self.engine.call("facts", text, timeout, within_s=timeout)
        except EngineFailure as failure:
            self.log(f"torchlint: tensor facts for {document.name} failed: {failure}", types.MessageType.Error)
            return []
        if (document.serial, document.version) == key:
            self._facts[document.uri] = (key, bindings)
        return bindings

    async def fix_all(self, document: Document) -> str:
        """The text with every safe fix applied."""
        plan, _ = self.config.plan_for(document.path)
        try:
            return await self.engine.call("fix_all", document.text, document.name, plan, within_s=plan.timeout)
        except EngineFailure as failure:
            self.log(f"torchlint: fixing {document.name} failed: {failure}", types.MessageType.Error)
            return document.text

    def carried_fixes(self, uri: str, diagnostic: types.Diagnostic) -> tuple[int, list[QuickFix]] | None:
        """A diagnostic's version and fixes: from its `data`, else (for a client that drops `data`) from
        the cached result that published it."""
        carried = read_data(diagnostic.data)
        if carried is not None:
            return carried
        result = self.current_result(uri)
        if result is None:
            return None
        for published in result.published:
            if published.code == diagnostic.code and published.range == diagnostic.range:
                return read_data(published.data)
        return None

    def workspace_edit(self, document: Document, edits: Sequence[types.TextEdit]) -> types.WorkspaceEdit:
        """Edits to the document as it is now (versioned where the client takes versions)."""
        versioned = self.supports("workspace.workspace_edit.document_changes")
        return workspace_edit(document.uri, document.version, edits, versioned)

    def has_safe_fix(self, uri: str) -> bool:
        result = self.current_result(uri)
        return result is not None and any(
            d.fix is not None and d.fix.applicability is Applicability.SAFE for d in result.diagnostics
        )
