"""Notebooks, Markdown fences and standard input: linted as programs, reported in the document's positions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_format import FIXTURES
from test_fixtures import TORCH, _check_runtime, _run

from torchlint.cli import main
from torchlint.rules import ALL_RULES
from torchlint.snippets import ipython, markdown, notebook
from torchlint.snippets.aliases import DEFAULT_ALIASES
from torchlint.snippets.documents import document_facts, lint_document, program_of

SNIPPETS = FIXTURES / "snippets"
_EXPECT = re.compile(r"expect:\s*(?P<codes>TL\d{3}(?:\s*,\s*TL\d{3})*)")
_RAISES = re.compile(r"# runtime: raises (?P<type>\w+): (?P<message>.+)")


def _codes(line: str) -> list[str]:
    match = _EXPECT.search(line)
    return [c.strip() for c in match["codes"].split(",")] if match else []


DOCUMENTS = sorted(p for p in SNIPPETS.iterdir() if p.suffix in (".md", ".ipynb"))


@pytest.mark.parametrize("document", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_document_findings_exactly(document: Path) -> None:
    """Every `# expect:` comment, and nothing else, in the document's own lines (cell-relative in notebooks)."""
    text = document.read_text(encoding="utf-8")
    if document.suffix == ".ipynb":
        sources: dict[int | None, str] = dict(notebook.Notebook.parse(text, str(document)).cells)
    else:
        sources = {None: text}
    expected = {
        (cell, n, code)
        for cell, source in sources.items()
        for n, line in enumerate(source.split("\n"), 1)
        for code in _codes(line)
    }
    found = {(d.cell, d.start.line, d.code) for d in lint_document(text, str(document), ALL_RULES, DEFAULT_ALIASES)}
    assert found == expected


def _runtime(program: str) -> tuple[str, tuple[str, str] | None]:
    match = _RAISES.search(program)
    return ("raises", (match["type"], match["message"])) if match else ("ok", None)


class _Header:
    def __init__(self, program: str) -> None:
        self.runtime, self.raises = _runtime(program)
        if self.raises:
            self.runtime = f"raises {self.raises[0]}: {self.raises[1]}"


# Snippets use the conventional names unimported, as a course notebook's environment provides them; IPython syntax
# has become IPython's own calls (`get_ipython().run_line_magic(...)`), which a shell with no magics ignores.
PREAMBLE = (
    "; ".join(f"import {module} as {name}" for name, module in DEFAULT_ALIASES.items())
    + '; get_ipython = lambda: type("Shell", (), {"__getattr__": lambda self, name: lambda *a, **k: None})(); '
)


def run_document(document: Path) -> None:
    """Run the document's program (its analysed cells or fences, in order) and check its `# runtime:` header."""
    text = document.read_text(encoding="utf-8")
    program = program_of(text, str(document)).text
    assert "# runtime:" in program
    result = _run(PREAMBLE + program, document)
    _check_runtime(_Header(program), result, document.name)  # type: ignore[arg-type]


@pytest.mark.skipif(not TORCH, reason="torch is not installed: runtime confirmation needs it")
@pytest.mark.parametrize("document", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_extracted_programs_run_under_torch(document: Path) -> None:
    run_document(document)


def test_ipython_syntax_becomes_ipython_calls_in_place() -> None:
    source = "%matplotlib inline\nx = 1\n!pip install torch\nif x:\n    %time y = 2\nz?\n"
    assert ipython.transform(source).code == (
        "get_ipython().run_line_magic('matplotlib', 'inline')\nx = 1\nget_ipython().system('pip install torch')\n"
        "if x:\n    get_ipython().run_line_magic('time', 'y = 2')\nget_ipython().run_line_magic('pinfo', 'z')\n"
    )
    assert ipython.transform("%%time\nx = 1\n").code == "\nx = 1\n"
    assert not ipython.transform("%%bash\nx = 1\n").python


def _write_notebook(path: Path, sources: list[str]) -> None:
    cells = [{"cell_type": "markdown", "id": "md", "metadata": {}, "source": ["# t"]}] + [
        {"cell_type": "code", "execution_count": i, "id": f"c{i}", "metadata": {"tags": ["x"]},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["out\n"]}],
         "source": source.splitlines(keepends=True)}
        for i, source in enumerate(sources, 1)
    ]  # fmt: skip
    data = {"cells": cells, "metadata": {"z": 1, "a": 2}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def test_names_flow_across_cells_and_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = tmp_path / "nb.ipynb"
    _write_notebook(nb, ["import torch\nx = torch.rand(3, device='cuda')\n", "y = 1\n", "z = 2\narr = x.numpy()\n"])
    assert main(["check", "--no-cache", str(nb)]) == 1
    out = capsys.readouterr().out
    assert f"{nb}:cell 4:2:7: TL401" in out
    assert "moved to CUDA at line 2 of cell 2" in out
    main(["check", "--no-cache", "--output-format", "json", str(nb)])
    (finding,) = json.loads(capsys.readouterr().out)
    assert (finding["cell"], finding["line"], finding["column"]) == (4, 2, 7)


def test_notebook_fix_rewrites_only_changed_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = tmp_path / "nb.ipynb"
    _write_notebook(nb, ["import torch\n%matplotlib inline\n", "a = torch.Tensor([1, 2])\n", "b = 1  # untouched\n"])
    before = json.loads(nb.read_text(encoding="utf-8"))
    main(["check", "--no-cache", "--fix", str(nb)])
    text = nb.read_text(encoding="utf-8")
    after = json.loads(text)
    assert after["cells"][2]["source"] == ["a = torch.tensor([1, 2], dtype=torch.float32)\n"]
    for key in ("metadata", "nbformat", "nbformat_minor"):
        assert after[key] == before[key]
    for old, new in zip(before["cells"], after["cells"], strict=True):
        assert (old["id"], old["metadata"], old.get("outputs")) == (new["id"], new["metadata"], new.get("outputs"))
    assert after["cells"][1] == before["cells"][1] and after["cells"][3] == before["cells"][3]
    expected = json.dumps(before | {"cells": after["cells"]}, indent=1, ensure_ascii=False) + "\n"
    assert text == expected  # same layout: indent, key order, trailing newline


def test_last_expression_of_a_cell_is_a_display(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = tmp_path / "nb.ipynb"
    _write_notebook(nb, ["import torch\nx = torch.rand(2)\nx.float()\nx.cpu()\n"])
    main(["check", "--no-cache", "--select", "TL107", "--output-format", "json", str(nb)])
    assert [(d["cell"], d["line"]) for d in json.loads(capsys.readouterr().out)] == [(2, 3)]


def test_markdown_positions_prompts_and_fragments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# T\n\n```pycon\n>>> import torch\n>>> t = torch.Tensor([1])\n>>> t\ntensor([1.])\n```\n\n"
        "1. step\n\n   ```python\n   u = torch.Tensor(2)\n   ```\n\n```py\nbroken(\n```\n\n"
        "```js\nlet x = torch.Tensor([1]);\n```\n"
    )
    main(["check", "--no-cache", "--output-format", "json", str(doc)])
    found = [(d["line"], d["column"], d["code"]) for d in json.loads(capsys.readouterr().out)]
    assert found == [(5, 9, "TL101"), (13, 8, "TL102"), (17, 7, "TL001")]


def test_discovery_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _write_notebook(tmp_path / "nb.ipynb", ["import torch\na = torch.Tensor([1])\n"])
    (tmp_path / "doc.md").write_text("```python\na = torch.Tensor([1])\n```\n")
    (tmp_path / "snip.py").write_text("a = torch.Tensor([1])\n")

    def paths() -> set[str]:
        main(["check", "--no-cache", "--output-format", "json", "."])
        return {d["path"] for d in json.loads(capsys.readouterr().out)}

    assert paths() == {"nb.ipynb"}
    (tmp_path / "pyproject.toml").write_text(
        "[tool.torchlint]\ninclude-notebooks = false\ninclude-markdown = true\nsnippet-mode = true\n"
    )
    assert paths() == {"doc.md", "snip.py"}
    (tmp_path / "pyproject.toml").write_text(
        '[tool.torchlint]\nsnippet-mode = true\nsnippet-aliases = { th = "torch" }\n'
    )
    (tmp_path / "snip.py").write_text("a = th.Tensor([1])\nb = torch.Tensor([1])\n")
    main(["check", "--no-cache", "--output-format", "json", "snip.py"])
    assert [d["line"] for d in json.loads(capsys.readouterr().out)] == [1]
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nsnippet-aliases = { "not a name" = "torch" }\n')
    assert main(["check", "snip.py"]) == 2
    assert "snippet-aliases" in capsys.readouterr().err


def test_stdin(tmp_path: Path) -> None:
    def run(source: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "torchlint", "check", *args], input=source, capture_output=True, text=True,
            cwd=tmp_path,
        )  # fmt: skip

    result = run("import torch\na = torch.Tensor([1])\n", "-", "--stdin-filename", "pkg/m.py")
    assert result.returncode == 1 and "pkg/m.py:2:5: TL101" in result.stdout
    result = run("```python\na = torch.Tensor([1])\n```\n", "-", "--stdin-filename", "t.md")
    assert "t.md:2:5: TL101" in result.stdout
    result = run("import torch\na = torch.Tensor([1])\n", "--fix", "-")
    assert result.stdout == "import torch\na = torch.tensor([1], dtype=torch.float32)\n"


def test_a_bad_notebook_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = tmp_path / "nb.ipynb"
    nb.write_text("{not json")
    assert main(["check", "--no-cache", str(nb)]) == 2
    assert "not valid notebook JSON" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("info", "tag"),
    [
        ("python", "python"),
        ("py title='x.py'", "py"),
        ("{.python .input}", "python"),
        ("{.python .input  n=3}", "python"),
        ("{.python}", "python"),
        ("{python}", "python"),
        ("{python echo=false}", "python"),
        ("{code-cell} ipython3", "ipython3"),
        ("{code-block} python", "python"),
        ("{code-cell}", ""),
        ("{r}", "r"),
        ("", ""),
    ],
)
def test_fence_languages(info: str, tag: str) -> None:
    assert markdown.language(info) == tag


def test_book_fences_quotes_and_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```{code-cell} ipython3\n!pip install torch\na = torch.Tensor([1])\n```\n\n"
        "> ```{python}\n> b = torch.Tensor([1])\n> ```\n\n"
        "<!--\n```python\nc = torch.Tensor([1])\n```\n-->\n\n"
        "```{.python .input}\n%%bash\nd = torch.Tensor([1])\n```\n"
    )
    main(["check", "--no-cache", "--output-format", "json", str(doc)])
    found = [(d["line"], d["column"], d["code"]) for d in json.loads(capsys.readouterr().out)]
    assert found == [(3, 5, "TL101"), (7, 7, "TL101")]


def test_snippet_tabs_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "doc.md").write_text(
        "```{.python .input}\n%%tab pytorch\na = torch.Tensor([1])\n```\n\n"
        "```{.python .input}\n%%tab jax\nb = torch.Tensor([1])\n```\n\n"
        "```{.python .input}\n#@tab all\nc = torch.Tensor([1])\n```\n\n"
        "```{.python .input}\nd = torch.Tensor([1])\n```\n"
    )

    def lines() -> list[int]:
        main(["check", "--no-cache", "--output-format", "json", "doc.md"])
        return [d["line"] for d in json.loads(capsys.readouterr().out)]

    assert lines() == [3, 13]  # the PyTorch and `all` tabs; unmarked code belongs to the book's default tab
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nsnippet-tabs = ["jax"]\n')
    assert lines() == [8, 13]
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nsnippet-tabs = "pytorch"\n')
    assert main(["check", "doc.md"]) == 2
    assert "snippet-tabs" in capsys.readouterr().err


def test_notebook_positions_in_dedented_cells_and_syntax_errors(tmp_path: Path, capsys) -> None:
    nb = tmp_path / "nb.ipynb"
    _write_notebook(nb, ["  import torch\n  a = torch.Tensor([1])\n", "!ls \\\n  -la\nb = (\n"])
    main(["check", "--no-cache", "--output-format", "json", str(nb)])
    found = [(d["cell"], d["line"], d["column"], d["code"]) for d in json.loads(capsys.readouterr().out)]
    assert found == [(2, 2, 7, "TL101"), (3, 3, 5, "TL001")]


JUPYTEXT_HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     name: python3
# ---
"""
PERCENT_BODY = """
# %% [markdown]
# Tensors, displayed as in a notebook.

# %%
import torch
x = torch.rand(2)
x.float()

# %%
x.float()
y = torch.Tensor([1.0])
"""


def test_jupytext_percent_cells_display_their_last_expression(tmp_path: Path, capsys) -> None:
    script = tmp_path / "tutorial.py"
    script.write_text(JUPYTEXT_HEADER + PERCENT_BODY)
    main(["check", "--no-cache", "--output-format", "json", str(script)])
    found = [(d["line"], d["code"]) for d in json.loads(capsys.readouterr().out)]
    assert found == [(20, "TL107"), (21, "TL101")]  # line 17 is cell 2's display; line 20 is not cell 3's last


def test_sphinx_gallery_and_plain_percent_scripts_are_plain_python(tmp_path: Path, capsys) -> None:
    gallery = tmp_path / "plot_tensors.py"
    gallery.write_text('"""\nTensors\n=======\n"""\n' + PERCENT_BODY + "\n" + "#" * 70 + "\n# More text\n\nx.float()\n")
    main(["check", "--no-cache", "--output-format", "json", str(gallery)])
    found = [(d["line"], d["code"]) for d in json.loads(capsys.readouterr().out)]
    assert found == [(12, "TL107"), (15, "TL107"), (16, "TL101"), (21, "TL107")]


def test_document_facts_in_cell_positions() -> None:
    text = json.dumps({"cells": [
        {"cell_type": "markdown", "source": "# t"},
        {"cell_type": "code", "source": "%matplotlib inline\nx = torch.zeros(2, 3)"},
        {"cell_type": "code", "source": "  !ls\n  y = x.T"},
    ]})  # fmt: skip
    found = [(b.cell, b.start.line, b.start.column, b.name, b.shape) for b in
             document_facts(text, "nb.ipynb", DEFAULT_ALIASES)]  # fmt: skip
    assert found == [(2, 2, 1, "x", (2, 3)), (3, 2, 3, "y", (3, 2))]


def test_quarto_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "report.qmd"
    doc.write_text("---\ntitle: r\njupyter: python3\n---\n\n```{python}\n#| echo: false\na = torch.Tensor([1])\n```\n")
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\ninclude-markdown = true\n")
    main(["check", "--no-cache", "--output-format", "json", str(tmp_path)])
    assert [(d["path"], d["line"], d["code"]) for d in json.loads(capsys.readouterr().out)] == [(str(doc), 8, "TL101")]


def test_unmarked_cells_of_a_tabbed_book_follow_its_default_tab(tmp_path: Path, capsys) -> None:
    chapter = tmp_path / "chapter_one"
    chapter.mkdir()
    doc = chapter / "index.md"
    doc.write_text(
        "```{.python .input}\n%%tab mxnet\nfrom mxnet import np\n```\n\n"
        "```{.python .input}\na = torch.Tensor([1])\n```\n"
    )

    def lines() -> list[int]:
        main(["check", "--no-cache", "--output-format", "json", str(doc)])
        return [d["line"] for d in json.loads(capsys.readouterr().out)]

    assert lines() == []  # which tab unmarked cells are of, nothing says: left out
    (tmp_path / "config.ini").write_text("[project]\nname = book\n\n[build]\ntabs = pytorch, mxnet\n")
    assert lines() == [7]  # d2lbook's default tab is the first: PyTorch
    (tmp_path / "config.ini").write_text("[build]\ntabs = mxnet, pytorch\n")
    assert lines() == []


def test_markdown_with_crlf_line_endings_keeps_columns() -> None:
    text = "> ```python\r\n> a = torch.Tensor([1])\r\n> ```\r\n"
    found = [(d.start.line, d.start.column, d.code) for d in lint_document(text, "x.md", ALL_RULES, DEFAULT_ALIASES)]
    assert found == [(2, 7, "TL101")]
