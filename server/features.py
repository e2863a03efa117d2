"""The LSP methods the server answers, each a thin handler over `TorchlintServer` and the helpers.

Document notifications are plain functions, so they run in the order they arrive; requests that
need the engine are coroutines, so a slow lint never holds up the next message.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from torchlint.diagnostics import Position
from torchlint.rule_codes import RULE_CODES

from . import actions
from .convert import SOURCE
from .documents import Document
from .hover import binding_for, covers, hover_text, name_at
from .inlay import shape_hints
from .language_server import PYPROJECT, TorchlintServer
from .positions import LineIndex
from .settings import pushed_section

CODE_ACTION_KINDS = [types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND]
FIX_ALL_TITLE = "Fix all auto-fixable torchlint problems"


def create_server() -> TorchlintServer:
    server = TorchlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: TorchlintServer, params: types.InitializeParams) -> None:
        ls.init_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TorchlintServer, params: types.InitializedParams) -> None:
        await ls.start()

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: TorchlintServer, params: None) -> None:
        ls.cancel_all()
        await ls.engine.stop()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TorchlintServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.documents.open(item.uri, item.version, item.text, item.language_id)
        if not ls.pull_diagnostics:
            ls.schedule(item.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TorchlintServer, params: types.DidChangeTextDocumentParams) -> None:
        identifier = params.text_document
        document = ls.documents.change(identifier.uri, identifier.version, params.content_changes, ls.encoding)
        if document is not None and not ls.pull_diagnostics:
            ls.schedule(document.uri, ls.config.editor.debounce_ms / 1000)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: TorchlintServer, params: types.DidSaveTextDocumentParams) -> None:
        if ls.documents.get(params.text_document.uri) is not None and not ls.pull_diagnostics:
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TorchlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.close(params.text_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(ls: TorchlintServer, params: types.DidOpenNotebookDocumentParams) -> None:
        notebook = ls.notebooks.open(params)
        if not ls.pull_diagnostics:
            ls.schedule(notebook.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_did_change(ls: TorchlintServer, params: types.DidChangeNotebookDocumentParams) -> None:
        notebook = ls.notebooks.change(params, ls.encoding)
        if notebook is not None:  # a pull client too: its other cells' findings may change
            ls.schedule(notebook.uri, ls.config.editor.debounce_ms / 1000)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_did_save(ls: TorchlintServer, params: types.DidSaveNotebookDocumentParams) -> None:
        if ls.notebooks.get(params.notebook_document.uri) is not None and not ls.pull_diagnostics:
            ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(ls: TorchlintServer, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.close_notebook(params.notebook_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False),
    )
    async def diagnostic(ls: TorchlintServer, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        return await ls.pull(params.text_document.uri, params.previous_result_id)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: TorchlintServer, params: types.DidChangeConfigurationParams) -> None:
        if ls.supports("workspace.configuration"):
            await ls.fetch_client_settings()
        else:
            ls.client_settings = pushed_section(params.settings)
        ls.read_settings()
        ls.refresh()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: TorchlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.rsplit("/", 1)[-1] == PYPROJECT for change in params.changes):
            ls.reload_config()
            ls.refresh()

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: TorchlintServer, params: types.HoverParams) -> types.Hover | None:
        document = ls.documents.get(params.text_document.uri)
        if document is None:
            return None
        index = LineIndex(document.text, ls.encoding)
        at = index.from_lsp(params.position)
        if at is None:
            return None
        key = document.key
        result = await ls.latest_result(document)
        findings = [d for d in result.diagnostics if covers(d, at)] if result is not None and result.key == key else []
        name = name_at(index.lines[at.line - 1], at.column - 1)
        binding = None
        if name is not None:
            binding = binding_for(await ls.facts_for(document), name[0], at)
        text = hover_text(findings, name[0] if name else None, binding, ls.markdown)
        if text is None:
            return None
        if binding is not None and name is not None:
            where = index.range(Position(at.line, name[1] + 1), Position(at.line, name[2] + 1))
        else:
            where = index.range(findings[0].start, findings[0].end)
        kind = types.MarkupKind.Markdown if ls.markdown else types.MarkupKind.PlainText
        return types.Hover(contents=types.MarkupContent(kind=kind, value=text), range=where)

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def inlay_hint(ls: TorchlintServer, params: types.InlayHintParams) -> list[types.InlayHint] | None:
        if not ls.config.editor.inlay_hints:
            return None
        document = ls.documents.get(params.text_document.uri)
        if document is None:
            return []
        index = LineIndex(document.text, ls.encoding)
        return shape_hints(await ls.facts_for(document), index, params.range)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=CODE_ACTION_KINDS, resolve_provider=False),
    )
    async def code_action(ls: TorchlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        document = ls.documents.get(params.text_document.uri)
        if document is None or not ls.supports("text_document.code_action.code_action_literal_support"):
            return []
        only, version = params.context.only, document.version
        index = LineIndex(document.text, ls.encoding)
        found = []
        if actions.wanted(types.CodeActionKind.QuickFix, only):
            found += _quick_fixes(ls, document, index, params.context.diagnostics)
        if actions.wanted(actions.FIX_ALL_KIND, only) and (only is not None or ls.has_safe_fix(document.uri)):
            text = document.text
            fixed = await ls.fix_all(document)
            if fixed != text and document.version == version:
                edit = ls.workspace_edit(document, [actions.whole_text_edit(text, fixed, index)])
                found.append(types.CodeAction(title=FIX_ALL_TITLE, kind=actions.FIX_ALL_KIND, edit=edit))
        return found

    return server


def _quick_fixes(
    ls: TorchlintServer, document: Document, index: LineIndex, diagnostics: Sequence[types.Diagnostic]
) -> list[types.CodeAction]:
    """Each finding's fixes (the first, when safe, preferred), then "Disable TLxxx for this line"."""
    found = []
    comments: actions.CommentMap | None = None
    silenced: set[tuple[int, str]] = set()
    for diagnostic in diagnostics:
        if diagnostic.source != SOURCE:
            continue
        carried = ls.carried_fixes(document.uri, diagnostic)
        if carried is not None and carried[0] != document.version:
            continue  # computed for an older text: its positions no longer hold
        for number, fix in enumerate(carried[1] if carried else []):
            found.append(
                types.CodeAction(
                    title=actions.fix_title(fix),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=ls.workspace_edit(document, fix.edits),
                    is_preferred=number == 0 and fix.safe,
                )
            )
        code, line = str(diagnostic.code), diagnostic.range.start.line + 1
        if code not in RULE_CODES or (line, code) in silenced or not document.is_python:
            continue  # a Markdown document is not Python as a whole: no suppression comment is offered there
        silenced.add((line, code))
        comments = comments or actions.CommentMap(document.text)
        noqa = comments.noqa_edit(line, code)
        if noqa is not None:
            edit = types.TextEdit(range=index.range(noqa[0], noqa[1]), new_text=noqa[2])
            found.append(
                types.CodeAction(
                    title=f"Disable {code} for this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=ls.workspace_edit(document, [edit]),
                )
            )
    return found
