"""The server's state and its core loop: lint each document (or notebook) as it changes, publish (push)
or answer (pull) the findings, and drop any result the document or the configuration has moved past.

A notebook is linted as one program, its findings published on its cells' documents; a pull client
re-pulls only the cells it edits, so when another cell's findings change it is asked to pull again.

Everything here runs on the event loop; the engine itself runs in `torchlint.server.worker`, and this process
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
from pygls.exceptions import FeatureRequestError, JsonRpcException, JsonRpcParseError
from pygls.lsp.server import LanguageServer

from torchlint import __version__
from torchlint.config import ConfigError, Settings
from torchlint.diagnostics import INTERNAL_ERROR_CODE, Applicability, Diagnostic

from .actions import workspace_edit
from .configuration import Configuration
from .convert import Published, QuickFix, read_data
from .documents import Document, Documents
from .engine_process import EngineFailure, EngineProcess
from .notebooks import CELL_LANGUAGES, NOTEBOOK_TYPE, Notebook, Notebooks
from .positions import UTF16
from .protocol import TorchlintProtocol
from .settings import SECTION, parse_settings

if TYPE_CHECKING:
    from pygls.server import ServerErrors

    from torchlint.api import TensorBinding

CLIENT_TIMEOUT_S = 10.0
PYPROJECT = "pyproject.toml"
NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithNotebook(
            notebook=NOTEBOOK_TYPE, cells=[types.NotebookCellLanguage(language=language) for language in CELL_LANGUAGES]
        )
    ],
    save=True,
)
Target = Document | Notebook  # what one lint reads


@dataclass(frozen=True)
class LintResult:
    uri: str  # of the document or the notebook
    key: tuple[int, int]  # which opening, which text (see `Document.key`, `Notebook.key`)
    generation: int  # of the configuration
    diagnostics: list[Diagnostic]
    published: dict[str, Published]  # by document URI: the document's own, or each cell's of a notebook

    @property
    def result_id(self) -> str:
        return f"{self.key[0]}.{self.key[1]}.{self.generation}"


class TorchlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "torchlint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=NOTEBOOK_SYNC,
            protocol_cls=TorchlintProtocol,
        )
        self.documents = Documents()
        self.notebooks = Notebooks()
        self.config = Configuration()
        self.engine = EngineProcess()
        self.ready = asyncio.Event()  # set once the client's settings are in: no lint runs before
        self.init_options: object = None
        self.client_settings: object = None
        self._results: dict[str, LintResult] = {}
        self._facts: dict[str, tuple[tuple[int, int], list[TensorBinding]]] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._refreshing: set[str] = set()  # documents whose facts are being computed in the background
        self._shown: dict[str, dict[str, Published]] = {}  # by notebook: what the client has of each cell
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

    def report_server_error(self, error: Exception, source: ServerErrors) -> None:
        """An error outside a request's answer: a frame that is not JSON at all (all that pygls reports while
        reading one) gets JSON-RPC's Parse Error; each is logged, not shown: it is the client's bug or ours."""
        if source is FeatureRequestError:
            return  # the request was answered with it
        if source is JsonRpcException:
            assert isinstance(self.protocol, TorchlintProtocol)
            self.protocol.refuse(None, JsonRpcParseError())
        self.log(f"torchlint: {error!r}", types.MessageType.Error)

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
            for target in [*self.documents, *self.notebooks]:
                self.schedule(target.uri, 0)
        if self.supports("workspace.inlay_hint.refresh_support"):
            self.spawn(self._request("inlay hint refresh", self.workspace_inlay_hint_refresh_async(None)))

    def _report_config_error(self, error: ConfigError) -> None:
        message = str(error)
        if message not in self._reported:
            self._reported.add(message)
            self.show(f"torchlint: {message}; using the default settings", types.MessageType.Error)

    # Linting.

    def target(self, uri: str) -> Target | None:
        return self.documents.get(uri) or self.notebooks.get(uri)

    def is_current(self, result: LintResult) -> bool:
        target = self.target(result.uri)
        return target is not None and target.key == result.key and result.generation == self.config.generation

    def current_result(self, uri: str) -> LintResult | None:
        result = self._results.get(uri)
        return result if result is not None and self.is_current(result) else None

    async def analyse(self, target: Target) -> LintResult:
        key, generation, view = target.key, self.config.generation, target.view()
        settings, error = self.config.settings_for(target.path)
        if error is not None:
            self._report_config_error(error)
        name = target.lint_name
        diagnostics = [] if name is None else await self._lint(view.text, name, target.name, settings)
        return LintResult(target.uri, key, generation, diagnostics, view.split(diagnostics, self.encoding))

    async def _lint(self, text: str, name: str, shown_as: str, settings: Settings) -> list[Diagnostic]:
        """The engine's findings; a TL002 (and a log line) when it gives none."""
        try:
            diagnostics: list[Diagnostic] = await self.engine.call(
                "lint", text, name, settings, within_s=settings.per_file_timeout
            )
        except EngineFailure as failure:
            from torchlint.engine import internal_error  # the engine lives in the worker: imported on failure only

            crash = internal_error(shown_as, failure)
            diagnostics = [replace(crash, detail=failure.detail or None)]  # the server's own stack says nothing
        for diagnostic in diagnostics:
            if diagnostic.code == INTERNAL_ERROR_CODE:
                detail = f"\n{diagnostic.detail}" if diagnostic.detail else ""
                self.log(f"torchlint: {shown_as}: {diagnostic.message}{detail}", types.MessageType.Error)
        return diagnostics

    async def result_for(self, target: Target) -> LintResult:
        """The findings for the document as it is now: cached, else computed (and cached if still current)."""
        cached = self.current_result(target.uri)
        if cached is not None:
            return cached
        await self.ready.wait()
        result = await self.analyse(target)
        if self.is_current(result):
            self._results[target.uri] = result
        return result

    async def latest_result(self, target: Target) -> LintResult | None:
        """For hover: the findings of the current text if known or quickly had; None, rather than waiting,
        while a lint of the document is on its way or the engine is busy."""
        cached = self.current_result(target.uri)
        if cached is not None:
            return cached
        if target.uri in self._pending or self.engine.busy:
            return None
        return await self.result_for(target)

    def schedule(self, uri: str, delay_s: float) -> None:
        """Lint and publish after `delay_s`; a newer call for the same document replaces this one."""
        self.cancel(uri)
        self._pending[uri] = asyncio.ensure_future(self._lint_and_publish(uri, delay_s))

    def cancel(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        for uri in list(self._pending):
            self.cancel(uri)

    async def _lint_and_publish(self, uri: str, delay_s: float) -> None:
        try:
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            await self.ready.wait()
            target = self.target(uri)
            if target is None:
                return
            result = await self.analyse(target)
            if not self.is_current(result):
                return  # the text or the configuration moved on meanwhile: a newer lint is on its way
            self._results[uri] = result
            if isinstance(target, Document):
                (published,) = result.published.values()
                self._send(uri, published)
            elif self.pull_diagnostics:
                self._ask_for_pulls(uri, result)
            else:
                self._publish_cells(uri, result)
        except Exception:  # one document's failure must not stop the others
            self.log(f"torchlint: linting {uri} failed:\n{traceback.format_exc()}", types.MessageType.Error)
        finally:
            if self._pending.get(uri) is asyncio.current_task():
                del self._pending[uri]

    def _send(self, uri: str, published: Published) -> None:
        params = types.PublishDiagnosticsParams(uri=uri, version=published.version, diagnostics=published.items)
        self.text_document_publish_diagnostics(params)

    def _clear(self, uri: str) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def _publish_cells(self, notebook: str, result: LintResult) -> None:
        """Push each cell whose findings changed (a cell never sent any has none), and clear the cells the
        notebook no longer has."""
        shown = self._shown.setdefault(notebook, {})
        for uri in shown.keys() - result.published.keys():
            if shown.pop(uri).items:
                self._clear(uri)
        for uri, published in result.published.items():
            before = shown.get(uri)
            if published.items != (before.items if before is not None else []):
                self._send(uri, published)
            shown[uri] = published

    def _ask_for_pulls(self, notebook: str, result: LintResult) -> None:
        """Pull: when a cell the client has findings for (an unedited one: it re-pulls those it edits) now has
        others, ask for a diagnostic refresh."""
        shown = self._shown.setdefault(notebook, {})
        if any(shown[uri] != published for uri, published in result.published.items() if uri in shown):
            shown.update(result.published)
            if self.supports("workspace.diagnostics.refresh_support"):
                self.spawn(self._request("diagnostic refresh", self.workspace_diagnostic_refresh_async(None)))

    def close(self, uri: str) -> None:
        self.cancel(uri)
        self.documents.close(uri)
        self._results.pop(uri, None)
        self._facts.pop(uri, None)
        if not self.pull_diagnostics:
            self._clear(uri)

    def close_notebook(self, uri: str) -> None:
        self.cancel(uri)
        self.notebooks.close(uri)
        self._results.pop(uri, None)
        shown = self._shown.pop(uri, {})
        if not self.pull_diagnostics:
            for cell, published in shown.items():
                if published.items:
                    self._clear(cell)

    async def pull(self, uri: str, previous_result_id: str | None) -> types.DocumentDiagnosticReport:
        """The findings of a document, or of a notebook cell."""
        target = self.documents.get(uri) or self.notebooks.owner(uri)
        if target is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result = await self.result_for(target)
        if not self.is_current(result):
            raise JsonRpcException(
                message="the document changed while it was being linted",
                code=types.LSPErrorCodes.ServerCancelled,
                data={"retriggerRequest": True},
            )
        published = result.published.get(uri, Published(0, []))
        if isinstance(target, Notebook):
            self._shown.setdefault(target.uri, {})[uri] = published
        if previous_result_id == result.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=published.items, result_id=result.result_id)

    # What else the engine knows.

    async def facts_for(self, document: Document) -> list[TensorBinding]:
        """What the engine inferred about each tensor name (none in a document that is not all Python).

        Hover and inlay hints never wait for a lint in progress: while the engine is busy they get the
        latest facts computed for the document (of an earlier text, or none yet), and the facts of the
        current text are computed once the engine is free (the client then asked to refresh its hints)."""
        if not document.is_python:
            return []
        cached = self._facts.get(document.uri)
        if cached is not None and cached[0] == document.key:
            return cached[1]
        if self.engine.busy:
            if document.uri not in self._refreshing:
                self._refreshing.add(document.uri)
                self.spawn(self._refresh_facts(document))
            return cached[1] if cached is not None else []
        return await self._compute_facts(document)

    async def _refresh_facts(self, document: Document) -> None:
        try:
            await self._compute_facts(document)
        finally:
            self._refreshing.discard(document.uri)
        if self.supports("workspace.inlay_hint.refresh_support"):
            await self._request("inlay hint refresh", self.workspace_inlay_hint_refresh_async(None))

    async def _compute_facts(self, document: Document) -> list[TensorBinding]:
        key, text = document.key, document.text
        timeout = self.config.settings_for(document.path)[0].per_file_timeout
        try:
            bindings: list[TensorBinding] = await self.engine.call("facts", text, timeout, within_s=timeout)
        except EngineFailure as failure:
            self.log(f"torchlint: tensor facts for {document.name} failed: {failure}", types.MessageType.Error)
            return []
        if document.key == key:
            self._facts[document.uri] = (key, bindings)
        return bindings

    async def fix_all(self, document: Document) -> str:
        """The text with every safe fix applied."""
        settings, _ = self.config.settings_for(document.path)
        name = document.lint_name
        if name is None:
            return document.text
        try:
            return await self.engine.call("fix_all", document.text, name, settings, within_s=settings.per_file_timeout)
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
        for published in result.published[uri].items:
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
