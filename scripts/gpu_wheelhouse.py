"""Download, here, the wheels that the GPU machine lacks, for scripts/gpu_confirm.sh to install there offline.

    python scripts/gpu_wheelhouse.py [--python-version 3.12] [--dest .gpu-wheels]

The GPU machine (docs/gpu.md) has torch, pytest, rich, PyYAML and numpy but no network. This takes
torchlint's runtime requirements, closed over their own requirements with the markers evaluated for the
target Python on Linux x86-64, leaves out what that machine already has (PREINSTALLED), pins the rest to
the versions installed in this environment (the ones the test suite runs with here), and downloads one
binary wheel of each, plus setuptools to build torchlint from the working tree there. Run it from the
environment made by `pip install -e ".[test]"`; prints every wheel and the total size.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# On the GPU machine already, in versions that meet torchlint's loose minimums (rich>=13, pyyaml>=5.2):
# carrying them would only shadow the machine's copies. attrs and typing-extensions are there too, but
# cattrs needs recent ones (attrs>=25.4, typing-extensions>=4.14), so they travel.
PREINSTALLED = {"torch", "pytest", "rich", "markdown-it-py", "mdurl", "pygments", "pyyaml", "numpy"}
BUILD_BACKEND = "setuptools"  # pyproject's build-system: torchlint is installed from the tree there
PLATFORMS = [f"manylinux_2_{n}_x86_64" for n in (17, 27, 28)] + ["manylinux2014_x86_64", "manylinux1_x86_64"]


def _environment(python_version: str) -> dict[str, str]:
    return {
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "extra": "",
    }


def requirement_closure(root: str, python_version: str) -> list[str]:
    """Canonical names of `root`'s runtime requirements, transitively, for the target Python on Linux."""
    environment = _environment(python_version)
    seen: set[str] = set()
    pending = [root]
    while pending:
        name = pending.pop()
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here: pinned_wheels says so
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            dependency = canonicalize_name(requirement.name)
            if dependency not in seen:
                seen.add(dependency)
                pending.append(dependency)
    return sorted(seen)


def pinned_wheels(python_version: str) -> list[str]:
    names = [name for name in requirement_closure("torchlint", python_version) if name not in PREINSTALLED]
    pins = []
    for name in [*names, BUILD_BACKEND]:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            sys.exit(f"{name} is not installed here: run this from the environment of `pip install -e '.[test]'`")
    return pins


def download(pins: list[str], python_version: str, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.whl"):
        old.unlink()  # one version of each: two would stop the install there
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
    command += ["--python-version", python_version, "--implementation", "cp", *platforms, "-d", str(dest), *pins]
    subprocess.run(command, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-version", default="3.12", help="the GPU machine's Python (default: 3.12)")
    parser.add_argument("--dest", type=Path, default=ROOT / ".gpu-wheels", help="default: .gpu-wheels/")
    args = parser.parse_args()
    pins = pinned_wheels(args.python_version)
    print(f"wheels for CPython {args.python_version}, manylinux x86-64: {' '.join(pins)}")
    download(pins, args.python_version, args.dest)
    wheels = sorted(args.dest.glob("*.whl"))
    missing = [pin for pin in pins if not any(_wheel_name(w) == pin.split("==")[0] for w in wheels)]
    if missing or len(wheels) != len(pins):
        print(f"expected one wheel for each of {pins}, found {[w.name for w in wheels]}", file=sys.stderr)
        return 1
    total = 0
    for wheel in wheels:
        size = wheel.stat().st_size
        total += size
        print(f"{size / 2**20:8.2f} MiB  {wheel.name}")
    print(f"{total / 2**20:8.2f} MiB  total in {args.dest} ({len(wheels)} wheels; the device tool carries 64 MiB)")
    return 0


def _wheel_name(wheel: Path) -> str:
    return canonicalize_name(wheel.name.split("-")[0])


if __name__ == "__main__":
    raise SystemExit(main())
