#!/usr/bin/env bash
# Sets up Plasma on a fresh Debian 12 machine and runs it in the foreground on its embedded defaults:
# SQLite state and everything else under a local prefix (./.plasma), native accounts, local-process servers.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then echo "quickstart: run as root (it installs Debian packages): sudo $0" >&2; exit 1; fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then echo "quickstart: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; fi

export DEBIAN_FRONTEND=noninteractive
missing=()
for pkg in jupyterhub python3-notebook python3-ipykernel python3-setproctitle libpam0g-dev python3 make g++; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "quickstart: installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export npm_config_nodedir=${npm_config_nodedir:-/usr}
[ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund
# The web UI (dist/ui), built once and again when its sources change.
node scripts/build-ui-if-needed.mjs

export PLASMA_PREFIX=${PLASMA_PREFIX:-$PWD/.plasma}
plasma() { node bin/plasma.mjs "$@"; }
if ! plasma users list --json 2>/dev/null | grep -q '"name"'; then
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
  printf '%s' "$password" | plasma users add admin --admin --password-stdin >/dev/null
  mkdir -p "$PLASMA_PREFIX/config"
  [ -f "$PLASMA_PREFIX/config/config.yaml" ] || printf 'auth:\n  admin_users: [admin]\n' > "$PLASMA_PREFIX/config/config.yaml"
  echo "quickstart: created the admin account: user 'admin', password '$password' (shown once; change it with: plasma users passwd admin)"
fi
echo "quickstart: state and config live in $PLASMA_PREFIX"
exec node bin/plasma.mjs up
