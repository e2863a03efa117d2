#!/usr/bin/env bash
# Confirms every CUDA fixture on a GPU machine that has torch, pytest and rich but no network (docs/gpu.md).
#   bash scripts/gpu_confirm.sh [--allow-no-gpu]
# Installs .gpu-wheels/ (made here by scripts/gpu_wheelhouse.py) and torchlint from this tree into a
# target folder on PYTHONPATH, so that the machine's own torch is the one tested, prints torch, CUDA and
# the GPU, runs every cuda-marked test, reports what each `# device: cuda` fixture raised, and exits
# non-zero on any failure, and on a skipped CUDA test unless --allow-no-gpu (the dry run on a CPU).
set -uo pipefail
cd "$(dirname "$0")/.."

ALLOW=()
if [ "${1:-}" = "--allow-no-gpu" ]; then ALLOW=(--allow-no-gpu); fi
PYTHON=${PYTHON:-python3}
WHEELS=${GPU_WHEELS:-.gpu-wheels}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ARTIFACTS=${OUT:-$WORK}
# Every test file with a cuda mark; tests/test_gpu_kit.py checks that none is missing.
CUDA_TEST_FILES=(tests/test_fixtures.py tests/test_fix_snapshots.py tests/test_sync_debug.py)

step() { printf '\n== %s\n' "$*"; }

step "install $WHEELS and torchlint into $WORK/site"
if ! compgen -G "$WHEELS/*.whl" >/dev/null; then
  echo "no wheels in $WHEELS: run 'python scripts/gpu_wheelhouse.py' here first and carry $WHEELS" >&2
  exit 2
fi
PIP=("$PYTHON" -m pip install --quiet --no-index --find-links "$WHEELS" --no-deps --no-compile --target "$WORK/site")
"${PIP[@]}" "$WHEELS"/*.whl || exit 2
# Built from the tree in an isolated environment whose setuptools comes from the wheelhouse too.
"${PIP[@]}" . || exit 2
export PYTHONPATH="$WORK/site${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$WORK/site/bin:$PATH"
ls "$WHEELS"

step "environment"
"$PYTHON" scripts/gpu_kit.py env "${ALLOW[@]}" || exit 1
torchlint --version || exit 1

step "pytest -m cuda ${CUDA_TEST_FILES[*]}"
PARALLEL=()
if "$PYTHON" -c "import xdist" 2>/dev/null; then PARALLEL=(-n 4); fi
"$PYTHON" -m pytest -p no:cacheprovider -m cuda -v -rA "${PARALLEL[@]}" \
  --junitxml "$ARTIFACTS/gpu-junit.xml" "${CUDA_TEST_FILES[@]}"
pytest_status=$?

step "what each device fixture did"
if "$PYTHON" -c "import sys, torch; sys.exit(not torch.cuda.is_available())" 2>/dev/null; then
  "$PYTHON" scripts/gpu_kit.py report
else
  echo "not run: no GPU here"
fi

step "summary"
"$PYTHON" scripts/gpu_kit.py summary "$ARTIFACTS/gpu-junit.xml" "${ALLOW[@]}"
summary_status=$?
if [ "$pytest_status" -ne 0 ] || [ "$summary_status" -ne 0 ]; then
  echo "GPU CONFIRMATION FAILED (pytest exit $pytest_status)"
  exit 1
fi
if [ ${#ALLOW[@]} -gt 0 ]; then
  echo "DRY RUN PASSED: the kit works; a CPU confirms nothing on CUDA"
else
  echo "GPU CONFIRMATION PASSED"
fi
