"""torchlint's reading of IPython cells against IPython itself: `TransformerManager.transform_cell` is the oracle.

For every cell, generated or written like the ones found in tutorial notebooks, the lines torchlint keeps as Python
and the calls it puts in place of IPython syntax must be exactly IPython's output; the lines it keeps must be the
cell's own text from the column it records, so findings land where they are in the cell.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from torchlint.snippets.ipython import PYTHON_CELL_MAGICS, Cell, transform

inputtransformer2 = pytest.importorskip("IPython.core.inputtransformer2")
MANAGER = inputtransformer2.TransformerManager()

# Cells as tutorial notebooks and d2l-style books write them.
CELLS = [
    "%matplotlib inline\nimport torch\n",
    "!pip install torch torchvision\n",
    "!pip install -q \\\n    torch \\\n    torchvision\nimport torch\n",
    "files = !ls data/\nprint(files)\n",
    "out = !!nvidia-smi\n",
    "env = %env\nlisting = %sx ls\n",
    "%time y = x.sum()\n",
    "%%time\nfor epoch in range(2):\n    loss = train()\n",
    "%%capture\n!pip install transformers\nimport transformers\n",
    "%%writefile train.py\nimport torch\nprint(torch.__version__ % 2 ?)\n",
    "%%bash\nls -la\necho done\n",
    "%%html\n<b>hi</b>\n",
    "%%tab pytorch\n%matplotlib inline\nfrom d2l import torch as d2l\nimport torch\n",
    "%%tab mxnet, tensorflow\nfrom mxnet import np\n",
    "print('loss %.3f, acc %.3f'\n      % (loss, acc))\n",
    "x = 1  # what is this?\ny = 2 # why??\n",
    "torch.nn.Linear?\n",
    "torch.nn.Linear??\n",
    "?torch.nn.Linear\n",
    "x.shape?\nx[0]?\n",
    "if x:\n    %timeit f()\n    !echo hi\n",
    "def f():\n    return 1 \\\n        + 2\n",
    "    x = 1\n    y = x + 1\n",
    "\n\n\nx = 1\n",
    ">>> import torch\n>>> torch.ones(2)\n",
    "In [1]: import torch\n   ...: x = 1\n",
    "s = '''\n%not a magic\n!nor this\n'''\n",
    "a = f'{x!r}'\n",
    "%load_ext autoreload\n%autoreload 2\n",
    "%config InlineBackend.figure_format = 'retina'\n",
    "print(\n    %(a)s\n)\n",
    "/print a b\n,print a b\n;print a b\n",
    "%%time?\n",
    "  %%time\n  x = 1\n",
    "\n%%timeit -n 3\nx = sum(range(10))\n",
]
FRAGMENTS = [
    "x = 1", "%magic arg", "!cmd arg", "!!cmd", "y = !cmd", "z = %who_ls", "obj?", "obj.attr??", "?obj",
    "# comment?", "x = 2  # really?", "print('%d'", "      % 3)", "if x:", "    y = 3", "    %time y", "    !ls",
    "!cmd \\", "  continued \\", "  end", "f(1,", "  2)", "'''", "s = '%s ?'", ">>> a = 1", "... b", "In [3]: c",
    "x = (1 +", "%2)", "a = b = %foo", "\tx = 1", "", "   ", "%%time", "/f a", ",f a b", ";f a b", "x = 1 \\",
]  # fmt: skip


def _python_lines_are_the_cell(source: str, cell: Cell) -> None:
    original = (source if source.endswith("\n") else source + "\n").split("\n")
    assert len(cell.lines) == source.count("\n") + 1
    for n, line in enumerate(cell.lines):
        if line.dropped or line.special:
            continue
        assert original[n][line.shift :] == line.text or (not line.text and not original[n].strip()), (n, line)


def check_agrees(source: str) -> None:
    cell = transform(source)  # never raises, whatever the cell
    _python_lines_are_the_cell(source, cell)
    try:
        expected = MANAGER.transform_cell(source)
    except (SyntaxError, RuntimeError):
        return  # IPython refuses the cell itself
    if cell.magic is None:
        assert cell.ipython_text == expected
        return
    call = ast.parse(expected).body[0].value
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "run_cell_magic"
    name, argument, body = (ast.literal_eval(a) for a in call.args)
    assert (cell.magic, cell.magic_line, cell.python) == (name, argument, name in PYTHON_CELL_MAGICS)
    if not cell.python:
        assert all(line.dropped for line in cell.lines) and not cell.code.strip()
        return
    # The body runs as a cell of its own (IPython's `run_cell` / `transform_cell` on it).
    head = next(n for n, line in enumerate(cell.lines) if not line.dropped)
    if not body:  # IPython runs an empty body as "\n": nothing either way
        assert not any(line.text for line in cell.lines)
        return
    try:
        inner = MANAGER.transform_cell(body)
    except (SyntaxError, RuntimeError):
        return  # IPython refuses the body when the magic runs it
    if inner.startswith("get_ipython().run_cell_magic("):
        check_agrees(body)
        return
    assert "".join(line.text + "\n" for line in cell.lines[head + 1 :] if not line.dropped) == inner


@pytest.mark.parametrize("source", CELLS)
def test_cells_as_notebooks_write_them(source: str) -> None:
    check_agrees(source)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8), st.sampled_from(["", "  ", "\n"]))
@example(["print('%d'", "      % 3)"], "")
@example(["!cmd \\", "  continued \\", "  end", "x = 1"], "")
@example(["%%time", "x = 1", "      % 3)", "    y = 3"], "")
@example(["x = 1", "      % 3)", "    y = 3"], "")
def test_generated_cells(lines: list[str], lead: str) -> None:
    check_agrees(lead + "\n".join(lines))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="%!?x= ()[]\\\n#'\".,;/>:\tIn", max_size=40))
def test_arbitrary_text(source: str) -> None:
    check_agrees(source)


def test_only_real_ipython_syntax_is_replaced() -> None:
    cell = transform("print('%d items'\n      % n)\nx = 1  # why?\ny = !ls\n")
    assert [line.special for line in cell.lines[:4]] == [False, False, False, True]
    assert cell.lines[3].text == "y = get_ipython().getoutput('ls')"


def test_reading_cells_needs_no_ipython(tmp_path) -> None:
    source = "%matplotlib inline\nimport torch\na = torch.Tensor([1])"
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": source}]}))
    code = "import sys; sys.modules['IPython'] = None; from torchlint.cli import main; main(['check', 'nb.ipynb'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert "nb.ipynb:cell 1:3:5: TL101" in result.stdout, result.stderr


def _corpus_cells(folder: Path) -> list[str]:
    """Code cells of every notebook and Python fences of every Markdown file under `folder`."""
    from torchlint.snippets.markdown import PYTHON_TAGS, language

    parser = MarkdownIt("commonmark")
    cells = []
    for path in sorted(folder.rglob("*.ipynb")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        for cell in data.get("cells", []):
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                cells.append("".join(source) if isinstance(source, list) else str(source))
    for path in sorted(folder.rglob("*.md")):
        tokens = parser.parse(path.read_text(encoding="utf-8", errors="replace"))
        cells.extend(t.content for t in tokens if t.type == "fence" and language(t.info) in PYTHON_TAGS)
    return cells


@pytest.mark.skipif(not os.environ.get("TORCHLINT_CELL_CORPUS"), reason="set TORCHLINT_CELL_CORPUS to a folder")
def test_collected_corpus_cells() -> None:
    """Cells collected from public notebooks and books (not in the repository): TORCHLINT_CELL_CORPUS=folder."""
    cells = _corpus_cells(Path(os.environ["TORCHLINT_CELL_CORPUS"]))
    assert cells
    failures = []
    for source in cells:
        try:
            check_agrees(source)
        except AssertionError as error:
            failures.append((source[:200], str(error)[:300]))
    assert not failures, f"{len(failures)} of {len(cells)} cells disagree with IPython; first: {failures[:3]}"
