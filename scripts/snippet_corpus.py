"""Lint a corpus of tutorial notebooks and Markdown books and count what the snippet front makes of it
(docs/snippets.md): cells and fences analysed, TL001 on code IPython can run, findings per rule.

    python scripts/snippet_corpus.py CORPUS_DIR --out after.json
    PYTHONPATH=/path/to/older/checkout python scripts/snippet_corpus.py CORPUS_DIR --out before.json
    python scripts/snippet_corpus.py CORPUS_DIR --sample 10        # also print findings to review

Every `.ipynb` under CORPUS_DIR is a notebook; Markdown files are taken from folders named `chapter_*` (the
d2l-en book's layout). The corpus is not part of the repository. A TL001 counts as "on valid code" when IPython
itself (`TransformerManager`, needs IPython) turns the cell into Python that parses: then the cell was valid and
the linter failed to read it. Works with older checkouts of torchlint too (the script only uses
`lint_document`), so before and after are measured the same way.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import sys
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

if "PYTHONPATH" not in os.environ:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from IPython.core.inputtransformer2 import TransformerManager
from markdown_it import MarkdownIt

from torchlint.rules import ALL_RULES
from torchlint.snippets import markdown, notebook
from torchlint.snippets.aliases import DEFAULT_ALIASES
from torchlint.snippets.documents import lint_document

try:  # a book's default tab, as `torchlint check` reads it (older checkouts know no tabs)
    from torchlint.snippets.d2lbook import default_tab
except ImportError:
    default_tab = None

MANAGER = TransformerManager()
PARSER = MarkdownIt("commonmark")


def documents(corpus: Path) -> list[Path]:
    found = sorted(corpus.rglob("*.ipynb"))
    found += sorted(p for p in corpus.rglob("*.md") if any(part.startswith("chapter_") for part in p.parts))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def analysed(text: str, path: str) -> int:
    """Cells or fences the linter reads as Python: the newer `Program.analysed`, or counted as the older front
    read them (every code cell; every fence its own fence scanner tagged Python)."""
    if path.endswith(".ipynb"):
        book = notebook.Notebook.parse(text, path)
        program = notebook.program_of(book, path, *_tab_arguments(path))
        return program.analysed if hasattr(program, "analysed") else len(book.cells)
    program = markdown.program_of(text, path, *_tab_arguments(path))
    if hasattr(program, "analysed"):
        return program.analysed
    count = 0
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = markdown._FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].lstrip().startswith(match["fence"][0] * len(match["fence"])):
            end += 1
        count += markdown._language(match["info"]) in markdown.PYTHON_TAGS
        i = end + 1
    return count


def _tab_arguments(path: str) -> tuple:
    """(snippet tabs, default tab) where this checkout knows tabs; nothing for older ones."""
    if default_tab is None:
        return ()
    from torchlint.snippets.cells import DEFAULT_TABS

    return (DEFAULT_TABS, default_tab(path))


def ipython_valid(source: str) -> bool:
    """Does IPython turn this cell into Python that parses?"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(MANAGER.transform_cell(source))
    except (SyntaxError, ValueError, RuntimeError):
        return False
    return True


def snippet_at(text: str, path: str, cell: int | None, line: int) -> str:
    """The cell (notebooks) or fence content (Markdown) a finding is in."""
    if path.endswith(".ipynb"):
        return notebook.Notebook.parse(text, path).cells.get(cell, "")
    for token in PARSER.parse(text):
        if token.type == "fence" and token.map and token.map[0] < line <= token.map[1]:
            return token.content
    return ""


def measure(path: Path) -> dict:
    text = path.read_text(encoding="utf-8", errors="replace")
    name = str(path)
    try:
        count = analysed(text, name)
        found = lint_document(text, name, ALL_RULES, DEFAULT_ALIASES, None, *_tab_arguments(name))
    except notebook.NotebookError as error:
        return {"path": name, "error": str(error), "analysed": 0, "findings": []}
    findings = []
    for d in found:
        item = {"code": d.code, "cell": d.cell, "line": d.start.line, "column": d.start.column, "message": d.message}
        if d.code == "TL001":
            snippet = snippet_at(text, name, d.cell, d.start.line)
            item["valid"] = ipython_valid(snippet) if snippet.strip() else None  # None: not in a fence at all
            item["snippet"] = snippet[:400]
        findings.append(item)
    return {"path": name, "analysed": count, "findings": findings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sample", type=int, default=0, help="print up to N findings per rule to review")
    parser.add_argument("-j", type=int, default=1)
    args = parser.parse_args()
    paths = documents(args.corpus)
    with ProcessPoolExecutor(args.j) as pool:
        results = list(pool.map(measure, paths, chunksize=4))
    per_rule: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for result in results:
        kinds["notebooks" if result["path"].endswith(".ipynb") else "markdown"] += 1
        kinds["analysed " + ("cells" if result["path"].endswith(".ipynb") else "fences")] += result["analysed"]
        per_rule.update(f["code"] for f in result["findings"])
        tl001 = [f for f in result["findings"] if f["code"] == "TL001"]
        kinds["TL001 on valid code"] += sum(1 for f in tl001 if f["valid"])
        kinds["TL001 outside any fence"] += sum(1 for f in tl001 if f["valid"] is None)
    for key, value in sorted(kinds.items()):
        print(f"{key}: {value}")
    print("errors:", sum(1 for r in results if r.get("error")))
    for code, count in sorted(per_rule.items()):
        print(f"{code}: {count}")
    if args.sample:
        rng = random.Random(0)
        for code in sorted(per_rule):
            items = [(r["path"], f) for r in results for f in r["findings"] if f["code"] == code]
            for path, f in rng.sample(items, min(args.sample, len(items))):
                where = f"{path}:cell {f['cell']}:{f['line']}" if f["cell"] else f"{path}:{f['line']}"
                print(f"--- {code} {where}:{f['column']} {f['message'][:160]}")
                if "snippet" in f:
                    print(f"    valid={f['valid']}: {f['snippet'][:200]!r}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
