"""The README's Emacs setup, run in real Emacs with eglot: batch mode opens a file with a TL102 and a
TL501 and writes what flymake received and what the hover on a tensor name said.

Debian 12's Emacs 28 needs `elpa-eglot` (eglot 1.9); a missing Emacs or eglot is a skip with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
WAIT_S = 60  # the first lint starts the engine process

DEMO = """import torch

x = torch.Tensor(4, 6)
w = torch.zeros(5, 3)
y = x @ w
"""

# Loaded after the snippet: eglot on the file, wait for two findings, hover on `x` in `y = x @ w`, write JSON.
HARNESS = """
(require 'eglot)
(require 'json)
(find-file (expand-file-name "demo.py"))
(call-interactively #'eglot)
(with-timeout (WAIT_S nil)
  (while (< (length (flymake-diagnostics)) 2)
    (accept-process-output nil 0.2)))
(let* ((found (mapcar (lambda (d)
                        (vector (line-number-at-pos (flymake-diagnostic-beg d)) (flymake-diagnostic-text d)))
                      (flymake-diagnostics)))
       (hover (progn (goto-char (point-min)) (forward-line 4) (forward-char 4)
                     (jsonrpc-request (eglot-current-server) :textDocument/hover
                                      (eglot--TextDocumentPositionParams))))
       (contents (plist-get hover :contents)))
  (with-temp-file (getenv "TORCHLINT_EMACS_OUT")
    (insert (json-encode (list (cons "diagnostics" (vconcat found))
                               (cons "kind" (plist-get contents :kind))
                               (cons "hover" (plist-get contents :value)))))))
(kill-emacs 0)
""".replace("WAIT_S", str(WAIT_S))


def emacs_with_eglot() -> str:
    emacs = shutil.which("emacs")
    if emacs is None:
        pytest.skip("Emacs is absent (Debian 12: apt-get install emacs-nox elpa-eglot)")
    probe = subprocess.run([emacs, "--batch", "-q", "--eval", "(require 'eglot)"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("eglot is absent (Emacs 28: apt-get install elpa-eglot)")
    return emacs


def snippet() -> str:
    match = re.search(r"<!-- emacs-eglot -->\n```elisp\n(.*?)```", README, re.S)
    assert match, "README has no Emacs snippet"
    return match.group(1)


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> dict:
    emacs = emacs_with_eglot()
    base = tmp_path_factory.mktemp("emacs")
    project = base / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.torchlint]\n", encoding="utf-8")
    (project / "demo.py").write_text(DEMO, encoding="utf-8")
    (base / "init.el").write_text(snippet(), encoding="utf-8")
    (base / "harness.el").write_text(HARNESS, encoding="utf-8")
    out = base / "received.json"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # its `torchlint`
    env["TORCHLINT_EMACS_OUT"] = str(out)
    env["HOME"] = str(base)  # no user configuration
    result = subprocess.run(
        [emacs, "--batch", "-q", "-l", str(base / "init.el"), "-l", str(base / "harness.el")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_S * 2 + 30,
        check=False,
    )
    assert out.exists(), f"Emacs wrote nothing (exit {result.returncode}): {result.stdout}{result.stderr}"
    return json.loads(out.read_text(encoding="utf-8"))


def test_eglot_gets_findings_and_shapes(received: dict) -> None:
    found = {(line, re.search(r"\[(TL\d+)\]", text).group(1)) for line, text in received["diagnostics"]}  # type: ignore[union-attr]
    assert found == {(3, "TL102"), (5, "TL501")}, received
    assert "x: Tensor[4, 6] float32 cpu" in received["hover"]


def test_eglot_plain_text_hover_has_no_markdown_fences(received: dict) -> None:
    """eglot 1.9 without markdown-mode asks for plain text, and shows the fences as they are."""
    assert received["kind"] == "plaintext"
    assert "```" not in received["hover"]
