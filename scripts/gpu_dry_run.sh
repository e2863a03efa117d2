#!/usr/bin/env bash
# The GPU kit's dry run on a CPU (docs/gpu.md): a throwaway venv holding only what the GPU machine has
# (torch, pytest, rich, PyYAML, numpy, pytest-xdist), a wheelhouse for its Python made by
# scripts/gpu_wheelhouse.py, then scripts/gpu_confirm.sh --allow-no-gpu, whose CUDA tests must skip.
#   bash scripts/gpu_dry_run.sh PYTHON [TORCH_REQUIREMENT]
# e.g. `bash scripts/gpu_dry_run.sh python3.11 torch==2.13.0` or `bash scripts/gpu_dry_run.sh python3.12`
# (no torch: PyPI's cp312 torch is the CUDA build, gigabytes). Run it from the dev environment, which
# gpu_wheelhouse.py reads the pins from; it reaches the package registry for the venv and the wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?usage: gpu_dry_run.sh PYTHON [TORCH_REQUIREMENT]}
TORCH=${2:-}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
version=$("$TARGET" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$TARGET" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q pytest rich pyyaml numpy pytest-xdist ${TORCH:+"$TORCH"}
python scripts/gpu_wheelhouse.py --python-version "$version" --dest "$WORK/wheels"
# As there: no pip configuration and, where `unshare -n` works (root), no network at all. Build outputs of
# the install from the tree land in the tree (ignored); the GPU machine's copy is thrown away.
OFFLINE=()
if unshare -n true 2>/dev/null; then OFFLINE=(unshare -n); else echo "unshare -n failed: the network stays up"; fi
"${OFFLINE[@]}" env -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
  PYTHON="$WORK/venv/bin/python" GPU_WHEELS="$WORK/wheels" bash scripts/gpu_confirm.sh --allow-no-gpu
