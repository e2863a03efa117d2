"""The language server's parts, in process: positions, document edits, settings, configuration,
conversion, code-action edits, hover, inlay hints, and the engine process wrapper."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from lsprotocol import types

from torchlint.api import TensorBinding, inferred_facts
from torchlint.config import DEFAULT_TIMEOUT, Settings
from torchlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Severity
from torchlint.links import rule_url
from torchlint.server.actions import CommentMap, fix_title, wanted, whole_text_edit, workspace_edit
from torchlint.server.configuration import Configuration
from torchlint.server.convert import QuickFix, read_data, to_lsp
from torchlint.server.documents import Document, Documents, apply_change
from torchlint.server.engine_process import EngineFailure, EngineProcess
from torchlint.server.frames import encode
from torchlint.server.hover import binding_for, covers, hover_text, name_at, rule_documentation
from torchlint.server.inlay import shape_hints, shape_label
from torchlint.server.notebooks import CellView, Notebook, Notebooks, NotebookView
from torchlint.server.positions import UTF8, UTF16, UTF32, LineIndex, code_points, units
from torchlint.server.settings import DEFAULT_DEBOUNCE_MS, EditorSettings, parse_settings, pushed_section
from torchlint.server.worker import fix_all, lint, read_frame, serve

SAMPLE = 'import torch\nx = torch.rand(3, device="cuda")\ny = x.numpy()\n'


def lsp(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def span(start: types.Position, end: types.Position) -> types.Range:
    return types.Range(start=start, end=end)


# Positions.


@pytest.mark.parametrize(("encoding", "expected"), [(UTF8, 1 + 2 + 4), (UTF16, 1 + 1 + 2), (UTF32, 3)])
def test_units_per_encoding(encoding: str, expected: int) -> None:
    assert units("aé😀", encoding) == expected


@pytest.mark.parametrize(("encoding", "count", "expected"), [(UTF16, 2, 2), (UTF16, 3, 2), (UTF16, 4, 3), (UTF8, 3, 2)])
def test_code_points_never_split_a_character(encoding: str, count: int, expected: int) -> None:
    assert code_points("aé😀b", count, encoding) == expected


def test_line_index_breaks_lines_like_the_parser() -> None:
    text = "a = 1\r\nb\x0c = 2\rc\u2028 = 3\n😀 = 4"
    index = LineIndex(text, UTF16)
    assert index.lines == ["a = 1", "b\x0c = 2", "c\u2028 = 3", "😀 = 4"]
    assert index.to_lsp(Position(4, 5)) == lsp(3, 5)  # after the emoji's two UTF-16 units
    assert index.from_lsp(lsp(3, 2)) == Position(4, 2)
    assert index.offset(lsp(2, 1)) == text.index("\u2028")
    assert index.at_offset(text.index("b")) == lsp(1, 0)


def test_line_index_clamps_and_refuses_what_the_text_lacks() -> None:
    index = LineIndex("ab\ncd", UTF16)
    assert index.to_lsp(Position(2, 99)) == lsp(1, 2)
    assert index.to_lsp(Position(3, 1)) == lsp(1, 2)  # the line after the last one: the end
    assert index.from_lsp(lsp(2, 0)) is None
    assert index.from_lsp(lsp(0, 99)) == Position(1, 3)
    assert index.offset(lsp(5, 0)) == 5


# Documents.


@pytest.mark.parametrize(("encoding", "column"), [(UTF16, 9), (UTF8, 12)])
def test_incremental_change_counts_in_the_negotiated_encoding(encoding: str, column: int) -> None:
    text = 's = "é😀"; y = x\n'
    where = span(lsp(0, column), lsp(0, column))
    change = types.TextDocumentContentChangePartial(range=where, text="!")
    assert apply_change(text, change, encoding) == 's = "é😀"!; y = x\n'


def test_incremental_change_after_a_form_feed_lands_on_the_right_line() -> None:
    documents = Documents()
    documents.open("file:///a.py", 1, "a\x0cb\nc = 1\n")
    change = types.TextDocumentContentChangePartial(range=span(lsp(1, 4), lsp(1, 5)), text="2")
    document = documents.change("file:///a.py", 2, [change], UTF16)
    assert document is not None and document.text == "a\x0cb\nc = 2\n" and document.version == 2


def test_documents_know_paths_and_openings() -> None:
    documents = Documents()
    first = documents.open("file:///tmp/a%20b.py", 1, "")
    assert first.path == "/tmp/a b.py" and first.name == "/tmp/a b.py"
    again = documents.open("file:///tmp/a%20b.py", 1, "")
    assert again.serial != first.serial
    untitled = Document("untitled:Untitled-1", 1, "", 9)
    assert untitled.path is None and untitled.name == "untitled:Untitled-1"
    assert documents.change("file:///never.py", 2, [], UTF16) is None


@pytest.mark.parametrize(
    ("uri", "language", "lint_name", "python"),
    [
        ("file:///w/train.py", "python", "/w/train.py", True),
        ("file:///w/guide.md", "markdown", "/w/guide.md", False),
        ("file:///w/README", "markdown", "/w/README.md", False),
        ("untitled:Untitled-1", "markdown", "untitled:Untitled-1.md", False),
        ("file:///w/GUIDE.MARKDOWN", "plaintext", "/w/GUIDE.MARKDOWN", False),
        ("file:///w/book.ipynb", "json", None, False),
    ],
)
def test_documents_are_linted_as_python_or_markdown(
    uri: str, language: str, lint_name: str | None, python: bool
) -> None:
    document = Document(uri, 1, "", 1, language)
    assert (document.lint_name, document.is_python) == (lint_name, python)


# Notebooks.


def cell_item(uri: str, text: str, language: str = "python") -> types.TextDocumentItem:
    return types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)


def code_cell(uri: str) -> types.NotebookCell:
    return types.NotebookCell(kind=types.NotebookCellKind.Code, document=uri)


def notebook_change(cells: types.NotebookDocumentCellChanges | None) -> types.DidChangeNotebookDocumentParams:
    identifier = types.VersionedNotebookDocumentIdentifier(uri="file:///w/nb.ipynb", version=2)
    return types.DidChangeNotebookDocumentParams(
        notebook_document=identifier, change=types.NotebookDocumentChangeEvent(cells=cells, metadata={"k": 1})
    )


def open_notebook() -> tuple[Notebooks, Notebook]:
    notebooks = Notebooks()
    document = types.NotebookDocument(
        uri="file:///w/nb.ipynb",
        notebook_type="jupyter-notebook",
        version=1,
        cells=[code_cell("c1"), types.NotebookCell(kind=types.NotebookCellKind.Markup, document="m2"), code_cell("c3")],
    )
    items = [cell_item("c1", "a = 1\n"), cell_item("m2", "# Title", "markdown"), cell_item("c3", "b = a\n")]
    notebook = notebooks.open(
        types.DidOpenNotebookDocumentParams(notebook_document=document, cell_text_documents=items)
    )
    return notebooks, notebook


def test_notebook_json_keeps_every_cell_in_order() -> None:
    notebooks, notebook = open_notebook()
    assert notebooks.get("file:///w/nb.ipynb") is notebook and notebooks.owner("m2") is notebook
    assert notebooks.owner("elsewhere") is None and notebook.lint_name == "/w/nb.ipynb"
    assert json.loads(notebook.view().text) == {
        "cells": [
            {"cell_type": "code", "source": "a = 1\n"},
            {"cell_type": "markdown", "source": "# Title"},
            {"cell_type": "code", "source": "b = a\n"},
        ]
    }


def test_notebook_changes_structure_text_kind_and_language() -> None:
    notebooks, notebook = open_notebook()
    key = notebook.key
    assert notebooks.change(notebook_change(None), UTF16) is None and notebook.key == key  # metadata alone
    summary = types.ExecutionSummary(execution_order=1)
    unchanged = types.NotebookCell(kind=types.NotebookCellKind.Code, document="c1", execution_summary=summary)
    assert notebooks.change(notebook_change(types.NotebookDocumentCellChanges(data=[unchanged])), UTF16) is None

    edit = types.TextDocumentContentChangePartial(range=span(lsp(0, 4), lsp(0, 5)), text="2")
    text = types.NotebookDocumentCellContentChanges(
        document=types.VersionedTextDocumentIdentifier(uri="c1", version=5), changes=[edit]
    )
    moved = types.NotebookDocumentCellChangeStructure(  # c3 moved first, c4 new after it, m2 deleted
        array=types.NotebookCellArrayChange(start=0, delete_count=3, cells=[code_cell("c3"), code_cell("c4")]),
        did_open=[cell_item("c4", "c = 1\n")],
        did_close=[types.TextDocumentIdentifier(uri="m2")],
    )
    changes = types.NotebookDocumentCellChanges(structure=moved, text_content=[text])
    assert notebooks.change(notebook_change(changes), UTF16) is notebook and notebook.key != key
    assert notebook.order == ["c3", "c4"] and notebooks.owner("m2") is None and notebooks.owner("c1") is None
    assert [(c.uri, c.cell_type, c.text) for c in notebook.view().cells] == [
        ("c3", "code", "b = a\n"),
        ("c4", "code", "c = 1\n"),
    ]

    to_markup = types.NotebookCell(kind=types.NotebookCellKind.Markup, document="c4")
    reopened = types.NotebookDocumentCellChangeStructure(  # c3 becomes SQL: closed and opened again
        array=types.NotebookCellArrayChange(start=0, delete_count=1, cells=[code_cell("c3")]),
        did_open=[cell_item("c3", "select 1", "sql")],
        did_close=[types.TextDocumentIdentifier(uri="c3")],
    )
    changes = types.NotebookDocumentCellChanges(data=[to_markup], structure=reopened)
    assert notebooks.change(notebook_change(changes), UTF16) is notebook
    assert [c.cell_type for c in notebook.view().cells] == ["raw", "markdown"]
    assert notebooks.close(notebook.uri) is notebook and notebooks.get(notebook.uri) is None
    other = types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(uri="file:///other.ipynb", version=1),
        change=types.NotebookDocumentChangeEvent(),
    )
    assert notebooks.change(other, UTF16) is None


def test_notebook_findings_go_to_their_cells() -> None:
    view = NotebookView(
        (
            CellView("m1", 3, "# Title", "markdown"),
            CellView("c2", 4, 's = "é"; x = 1\n', "code"),
            CellView("c3", 5, "y = 2\n", "code"),
        )
    )
    here = Diagnostic("nb.ipynb", "TL101", "legacy", "m", Severity.WARNING, Position(1, 10), Position(1, 15), cell=2)
    whole = replace(here, code="TL003", start=Position(1, 1), end=Position(1, 1), cell=None)
    lost = replace(here, cell=9)
    found = view.split([here, whole, lost], UTF8)
    assert list(found) == ["m1", "c2", "c3"] and found["m1"] == (3, []) and found["c3"] == (5, [])
    version, items = found["c2"]
    assert version == 4 and [(d.code, d.range.start.character, d.data["version"]) for d in items] == [
        ("TL101", 10, 4),
        ("TL003", 0, 4),
    ]


# Settings and configuration.


def test_settings_defaults() -> None:
    settings, problems = parse_settings(None)
    assert settings == EditorSettings() and problems == []
    assert settings.debounce_ms == DEFAULT_DEBOUNCE_MS == 300 and settings.inlay_hints and settings.select is None


def test_settings_layers_sections_and_problems() -> None:
    settings, problems = parse_settings(
        {"debounceMs": 50, "select": "tl1,TL401"},
        {"torchlint": {"ignore": ["TL101"], "debounceMs": 0, "inlayHints": False, "select": None}},
    )
    assert settings == EditorSettings(select=("TL1", "TL401"), ignore=("TL101",), debounce_ms=0, inlay_hints=False)
    assert problems == []
    settings, problems = parse_settings(
        {"select": ["TL999"], "debounceMs": -1, "inlayHints": "yes", "debounce_ms": 5, "ignore": [1]}
    )
    assert settings == EditorSettings()
    assert len(problems) == 5
    assert any("TL999" in p for p in problems) and any("debounce_ms" in p for p in problems)


def test_settings_extend_select_and_snippet_mode(tmp_path: Path) -> None:
    settings, problems = parse_settings({"extendSelect": ["TL601"], "snippetMode": True})
    assert problems == [] and settings == EditorSettings(extend_select=("TL601",), snippet_mode=True)
    assert parse_settings({"snippetMode": "yes"})[0].snippet_mode is None
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nselect = ["TL1"]\n', encoding="utf-8")
    path = tmp_path / "a.py"
    config = Configuration()
    config.reload(settings)
    for resolved in (config.settings_for(str(path))[0], config.settings_for(None)[0]):
        assert resolved.snippet_mode and "TL601" in resolved.codes_for(path)
    assert "TL101" in config.settings_for(str(path))[0].codes_for(path)  # the file's select still counts
    config.reload(EditorSettings(snippet_mode=False))
    assert not config.settings_for(str(path))[0].snippet_mode and "TL601" not in config.settings_for(str(path))[
        0
    ].codes_for(path)


def test_pushed_settings_count_only_the_torchlint_table() -> None:
    assert pushed_section({"python": {"x": 1}, "torchlint": {"debounceMs": 5}}) == {"debounceMs": 5}
    assert pushed_section({"python": {"x": 1}}) is None and pushed_section(None) is None
    assert parse_settings(pushed_section({"python": {"x": 1}})) == (EditorSettings(), [])


def test_configuration_nearest_pyproject_under_the_editor(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.torchlint]\nignore = ["TL101"]\nper-file-timeout = 3\ntarget-torch-version = "2.1"\n', encoding="utf-8"
    )
    path = str(tmp_path / "pkg" / "train.py")
    config = Configuration()
    settings, error = config.settings_for(path)
    codes = settings.codes_for(Path(path))
    assert error is None and "TL401" in codes and "TL101" not in codes
    assert settings.per_file_timeout == 3.0 and settings.rule_options() == (("target-torch-version", "2.1"),)
    config.reload(EditorSettings(select=("TL4",)))
    assert config.generation == 1
    codes = config.settings_for(path)[0].codes_for(Path(path))
    assert codes and all(code.startswith("TL4") for code in codes)

    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\nselect = [\n", encoding="utf-8")
    assert config.settings_for(path)[1] is None  # cached until reloaded
    config.reload()
    settings, error = config.settings_for(path)
    assert error is not None and "not valid TOML" in str(error)
    assert settings == config.settings_for(None)[0] and settings.per_file_timeout == DEFAULT_TIMEOUT
    codes = settings.codes_for(Path(path))
    assert codes and all(code.startswith("TL4") for code in codes)


# Conversion.


def test_diagnostic_carries_code_link_version_and_fixes_in_client_units() -> None:
    text = 's = "é😀"; t = torch.Tensor(4)\n'
    column = text.index("torch") + 1
    fix = Fix("Use empty", Applicability.SAFE, (Edit(Position(1, column), Position(1, column + 12), "torch.empty"),))
    other = Fix(
        "Use zeros", Applicability.UNSAFE, (Edit(Position(1, column), Position(1, column + 12), "torch.zeros"),)
    )
    diagnostic = Diagnostic(
        "a.py", "TL102", "n", "msg", Severity.INFO, Position(1, column), Position(1, column + 15), fix, (other,)
    )
    converted = to_lsp(diagnostic, LineIndex(text, UTF16), version=7)
    assert converted.severity == types.DiagnosticSeverity.Information
    assert converted.code == "TL102" and converted.source == "torchlint"
    assert converted.code_description is not None
    assert converted.code_description.href == rule_url("TL102", "n")
    assert converted.range == span(lsp(0, column), lsp(0, column + 15))  # column - 1 + 1 for the emoji
    version, fixes = read_data(converted.data) or (None, [])
    assert version == 7
    edit = types.TextEdit(range=span(lsp(0, column), lsp(0, column + 12)), new_text="torch.empty")
    assert fixes[0] == QuickFix("Use empty", True, (edit,))
    assert [f.safe for f in fixes] == [True, False]
    assert [fix_title(f) for f in fixes] == ["Use empty", "Use zeros (unsafe)"]


@pytest.mark.parametrize(
    "data", [None, [], {"version": 1}, {"version": "1", "fixes": []}, {"version": 1, "fixes": [{}]}]
)
def test_damaged_data_is_ignored(data: object) -> None:
    assert read_data(data) is None


# Code-action edits.


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        ("x = 1\n", 1, (5, 5, "  # noqa: TL101")),
        ("x = 1   \n", 1, (5, 8, "  # noqa: TL101")),
        ("x = 1  # why\n", 1, (12, 12, "  # noqa: TL101")),
        ("x = 1  # noqa: TL401\n", 1, (20, 20, ", TL101")),
        ("x = 1  # NOQA:TL401,TL402  # more\n", 1, (25, 25, ", TL101")),
        ("x = 1  # noqa\n", 1, None),
        ("x = 1  # noqa: TL101\n", 1, None),
        ('x = f("""a\nb""")\n', 1, None),
        ("x = 1 + \\\n    2\n", 1, None),
        ("x = (1 +\n", 1, None),
    ],
)
def test_noqa_edit(source: str, line: int, expected: tuple[int, int, str] | None) -> None:
    """`expected`: 0-based start and end columns, and the text that replaces them."""
    edit = CommentMap(source).noqa_edit(line, "TL101")
    if expected is None:
        assert edit is None
    else:
        assert edit == (Position(line, expected[0] + 1), Position(line, expected[1] + 1), expected[2])


def test_kinds_asked_for() -> None:
    assert wanted("source.fixAll.torchlint", None)
    assert wanted("source.fixAll.torchlint", ["source"]) and wanted("source.fixAll.torchlint", ["source.fixAll"])
    assert not wanted("source.fixAll.torchlint", ["quickfix"]) and not wanted("source.fixAllX", ["source.fixAll"])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a = 1\r\nb = 2\r\n", "a = 1\r\nb = 3\r\n"),
        ("a\r\nb\r\n", "a\r\nx\r\nb\r\n"),
        ("a\r\n", "a\r\n\r\n"),
        ("é😀 = 1\n", "é😀 = 2\n"),
        ("same", "same"),
        ("", "new\n"),
    ],
)
def test_whole_text_edit_turns_old_into_new(old: str, new: str) -> None:
    index = LineIndex(old, UTF16)
    edit = whole_text_edit(old, new, index)
    start, end = index.offset(edit.range.start), index.offset(edit.range.end)
    assert old[:start] + edit.new_text + old[end:] == new


def test_workspace_edit_versioned_or_not() -> None:
    edit = types.TextEdit(range=span(lsp(0, 0), lsp(0, 0)), new_text="x")
    versioned = workspace_edit("file:///a.py", 3, [edit], document_changes=True)
    assert versioned.changes is None and versioned.document_changes is not None
    change = versioned.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 3
    plain = workspace_edit("file:///a.py", 3, [edit], document_changes=False)
    assert plain.changes == {"file:///a.py": [edit]} and plain.document_changes is None


# Hover and inlay hints.


def binding(name: str, line: int, column: int, shape: tuple | None = None) -> TensorBinding:
    return TensorBinding(name, Position(line, column), Position(line, column + len(name)), "cuda", True, shape, None)


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        ("y = self.w.data", 9, ("self.w", 4, 10)),
        ("y = self.w.data", 4, ("self", 4, 8)),
        ("y = self.w.data", 8, ("self", 4, 8)),  # on the dot
        ("y = éa + 1", 4, ("éa", 4, 6)),
        ("y = 1 + 2", 4, None),
        ("y = x", 3, None),
    ],
)
def test_name_at(text: str, column: int, expected: tuple[str, int, int] | None) -> None:
    assert name_at(text, column) == expected


def test_binding_for_takes_the_latest_one_at_or_before() -> None:
    bindings = [binding("x", 2, 1), binding("y", 3, 1), binding("x", 5, 1)]
    assert binding_for(bindings, "x", Position(4, 9)) == bindings[0]
    assert binding_for(bindings, "x", Position(5, 1)) == bindings[2]
    assert binding_for(bindings, "x", Position(1, 1)) is None
    assert binding_for(bindings, "z", Position(9, 1)) is None


def test_hover_text_and_ranges() -> None:
    finding = Diagnostic("a.py", "TL401", "n", "m", Severity.ERROR, Position(3, 5), Position(3, 14))
    empty = Diagnostic("a.py", "TL001", "syntax-error", "m", Severity.ERROR, Position(2, 3), Position(2, 3))
    assert covers(finding, Position(3, 5)) and covers(finding, Position(3, 13)) and not covers(finding, Position(3, 14))
    assert covers(empty, Position(2, 3)) and not covers(empty, Position(2, 4))
    text = hover_text([finding, finding], "x", binding("x", 2, 1))
    assert text is not None and text.startswith("```text\nx: Tensor cuda requires_grad\n```")
    assert text.count("# TL401 numpy-on-cuda-tensor") == 1
    assert (rule_documentation("TL001") or "").startswith("# TL001 syntax-error")
    assert rule_documentation("XX999") is None and hover_text([], None, None) is None
    plain_text = hover_text([finding], "x", binding("x", 2, 1), markdown=False)
    assert plain_text is not None and plain_text.startswith("x: Tensor cuda requires_grad\n\n# TL401")
    assert "```" not in plain_text and "~~~" not in plain_text and "\n---\n" not in plain_text
    assert "\n    preds = model(x.to(device)).argmax(1).cpu().numpy()\n" in plain_text  # indented, not fenced


def test_shape_label_formats_a_known_shape() -> None:
    assert shape_label((64, 2704)) == ": [64, 2704]"
    assert shape_label(("B", 3)) == ": [B, 3]"


def test_shape_hints_follow_each_target_with_a_known_shape() -> None:
    text = "a = f()\nxé = g()\nz = h()\n"
    bindings = [binding("a", 1, 1), binding("xé", 2, 1, (64, 2704)), binding("z", 3, 1, (3,))]
    hints = shape_hints(bindings, LineIndex(text, UTF8), span(lsp(0, 0), lsp(1, 99)))
    assert [(h.position, h.label, h.kind) for h in hints] == [(lsp(1, 3), ": [64, 2704]", types.InlayHintKind.Type)]


# The engine's process.


def only(*codes: str) -> Settings:
    return Settings(root=Path.cwd(), select=codes)


def test_worker_answers_each_request_and_reports_exceptions() -> None:
    requests = io.BytesIO(
        encode(("lint", (SAMPLE, "a.py", only("TL401"))))
        + encode(("facts", (SAMPLE, 20.0)))
        + encode(("fix_all", (SAMPLE, "a.py", only("TL401"))))
        + encode(("lint", (SAMPLE, "a.py", None)))
    )
    answers = io.BytesIO()
    serve(requests, answers)
    answers.seek(0)
    assert read_frame(answers) == "ready"
    (ok, found), (ok2, facts), (ok3, fixed), (ok4, failure) = [read_frame(answers) for _ in range(4)]
    assert ok and [d.code for d in found] == ["TL401"]
    assert ok2 and facts == inferred_facts(SAMPLE) and facts
    assert ok3 and "x.cpu().numpy()" in fixed
    assert not ok4 and "AttributeError" in failure
    assert read_frame(answers) is None


def test_worker_lints_and_fixes_markdown_as_the_cli_does() -> None:
    text = "Intro\n\n```python\nx = torch.rand(3, device='cuda')\ny = x.numpy()\n```\n"
    (finding,) = lint(text, "guide.md", only("TL401"))
    assert (finding.code, finding.start, finding.cell) == ("TL401", Position(5, 5), None)
    assert "\ny = x.cpu().numpy()\n```" in fix_all(text, "guide.md", only("TL401"))
    with pytest.raises(ValueError, match="not valid notebook JSON"):
        lint("{", "book.ipynb", only("TL401"))


# A worker with two extra requests: one that dies as a native crash would, one that never answers.
FAULTY_WORKER = """
import os, signal, time
from torchlint.server import worker
worker.HANDLERS["crash"] = lambda: os.kill(os.getpid(), signal.SIGSEGV)
worker.HANDLERS["hang"] = lambda: time.sleep(60)
worker.main()
"""


async def _faults() -> tuple[EngineFailure, EngineFailure, EngineFailure, list[Diagnostic]]:
    engine = EngineProcess([sys.executable, "-c", FAULTY_WORKER], grace_s=0)
    failures = []
    try:
        for kind, args, within_s in [
            ("crash", (), 20.0),
            ("hang", (), 0.5),
            ("lint", (SAMPLE, "a.py", None), 20.0),
        ]:
            with pytest.raises(EngineFailure) as failed:
                await engine.call(kind, *args, within_s=within_s)
            failures.append(failed.value)
        found = await engine.call("lint", SAMPLE, "a.py", only("TL401"), within_s=20.0)
        return failures[0], failures[1], failures[2], found
    finally:
        await engine.stop()


@pytest.mark.skipif(sys.platform == "win32", reason="a process killed by a signal is a POSIX notion")
def test_engine_process_failures_and_a_fresh_process_after_each() -> None:
    crashed, hung, raised, found = asyncio.run(_faults())
    assert str(crashed) == "the analysis process stopped (killed by SIGSEGV)"
    assert str(hung) == "the analysis gave no answer within 0.5 s and was stopped"
    assert str(raised) == "the analysis raised an exception" and "AttributeError" in raised.detail
    assert [d.code for d in found] == ["TL401"]


async def _stale_callers_do_not_mix_up_answers() -> list[list[str]]:
    """A caller cancelled mid-request leaves its answer to be read by its own exchange, not the next one."""
    engine = EngineProcess()
    try:
        first = asyncio.ensure_future(engine.call("lint", SAMPLE, "a.py", only("TL401"), within_s=20.0))
        await asyncio.sleep(0)
        first.cancel()
        second = await engine.call(
            "lint", "import torch\nb = torch.Tensor([1])\n", "b.py", only("TL101"), within_s=20.0
        )
        return [[d.code for d in second]]
    finally:
        await engine.stop()


def test_a_cancelled_request_does_not_hand_its_answer_to_the_next() -> None:
    assert asyncio.run(_stale_callers_do_not_mix_up_answers()) == [["TL101"]]
