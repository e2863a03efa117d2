"""The wheel holds exactly the torchlint namespace: every source module, and no top-level `server`."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _wheel(tmp_path: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("torchlint-*.whl")
    return wheel


def test_wheel_installs_only_the_torchlint_namespace(tmp_path: Path) -> None:
    names = zipfile.ZipFile(_wheel(tmp_path / "dist")).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"torchlint"}
    sources = {f"torchlint/{p.relative_to(ROOT / 'torchlint').as_posix()}" for p in (ROOT / "torchlint").rglob("*.py")}
    sources |= {f"torchlint/server/{p.name}" for p in (ROOT / "server").glob("*.py")}
    assert sources <= set(names), f"missing from the wheel: {sorted(sources - set(names))}"


def test_installed_wheel_starts_its_own_server_package(tmp_path: Path) -> None:
    """Installed elsewhere, with an unrelated `server` package first on the path, the server still imports."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(_wheel(tmp_path))],
        check=True,
        capture_output=True,
    )
    decoy = tmp_path / "project" / "server"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise ImportError('the project\\'s own server package')\n")
    code = (
        "import torchlint.server.main, torchlint.server.engine_process as e; "
        "print(torchlint.server.main.__file__); print(e.worker_command()[-1])"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "project"), str(target)])}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path / "project", env=env, capture_output=True, text=True, check=True
    )
    main_file, worker_code = result.stdout.splitlines()
    assert Path(main_file).is_relative_to(target / "torchlint" / "server")
    assert repr(str(target)) in worker_code and "from torchlint.server.worker import main" in worker_code
