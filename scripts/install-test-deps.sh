#!/usr/bin/env bash
# Installs what the VS Code tests need on a Debian 12 machine that reaches only the npm registry
# and Debian's packages (see shared/reference/vscode-test-host.md):
#   - Debian packages: a C toolchain and headers for code-server's native modules, ripgrep, chromium,
#     python3-grpcio and python3-debugpy (a Python component on gRPC C-core, debugged through debugpy),
#     golang-go, delve, golang-google-grpc-dev and golang-google-protobuf-dev (a Go component on grpc-go, built
#     in GOPATH mode from Debian's Go libraries and debugged through Delve), docker-compose (`flowctl translate` output is checked with `docker-compose config`);
#   - a Docker engine for the container tests: Debian's docker.io, and `dockerd` started in the
#     background when none answers (no systemd needed; log in .cache/dockerd.log); the test images are
#     built from local files by scripts/docker-test-images.sh when the tests first need them;
#   - code-server 4.100.3 (= VS Code 1.100.3) installed locally into .cache/code-server/ (git-ignored).
# Idempotent: a second run only checks and returns in about a second.
# Usage: bash scripts/install-test-deps.sh        (as root, or with sudo available)
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
RIPGREP_CACHE_NAME=vscode-ripgrep-cache-1.15.11
RIPGREP_ARCHIVE=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
APT_PACKAGES=(build-essential python3 pkg-config libkrb5-dev ripgrep chromium openssl python3-grpcio python3-debugpy golang-go delve golang-google-grpc-dev golang-google-protobuf-dev docker.io docker-compose)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CS_DIR="$ROOT/.cache/code-server"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
CS_MARKER="$CS_DIR/.installed-$CODE_SERVER_VERSION"
START=$SECONDS

log() { printf '[install-test-deps +%ss] %s\n' "$((SECONDS - START))" "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "install-test-deps: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

# --- 1. Debian packages: install only what is missing -------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "apt: done"
else
  log "apt: all present (${APT_PACKAGES[*]})"
fi
[ -x /usr/bin/chromium ] || { echo "install-test-deps: /usr/bin/chromium missing after apt install" >&2; exit 1; }

# --- 2. a Docker engine -------------------------------------------------------------------------
# The engine may be shared (other users' containers): this only starts one when none answers.
DOCKERD_LOG="$ROOT/.cache/dockerd.log"
engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if engine_answers; then
  log "docker: engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) answers"
else
  docker_problem=""
  if ! command -v dockerd >/dev/null; then
    docker_problem="dockerd is not installed"
  elif [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    docker_problem="no engine answers, and starting dockerd needs root (or sudo)"
  else
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    log "docker: no engine answers; starting dockerd in the background (log: $DOCKERD_LOG)"
    # setsid + nohup: the daemon outlives this script and ignores the terminal's Ctrl+C.
    as_root sh -c "setsid nohup dockerd >>'$DOCKERD_LOG' 2>&1 </dev/null &"
    for _ in $(seq 1 120); do
      engine_answers && break
      sleep 0.5
    done
    if engine_answers; then
      log "docker: engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) started"
    else
      docker_problem="dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:
$(tail -n 20 "$DOCKERD_LOG" 2>/dev/null)"
    fi
  fi
  if [ -n "$docker_problem" ]; then
    # The container tests then skip with this reason; CI sets FLOWCTL_REQUIRE_DOCKER=1 to fail instead.
    echo "install-test-deps: warning: no Docker engine for the container tests: $docker_problem" >&2
    [ "${FLOWCTL_REQUIRE_DOCKER:-}" = 1 ] && exit 1
  fi
fi

# --- 3. code-server, locally -------------------------------------------------------------------
# On its first start code-server writes a config file under XDG_CONFIG_HOME and logs that first,
# so ask for the version with throwaway XDG folders and pick the version line.
installed_version() {
  [ -x "$CS_BIN" ] || return 0
  mkdir -p "$CS_DIR/xdg"
  XDG_CONFIG_HOME="$CS_DIR/xdg" XDG_DATA_HOME="$CS_DIR/xdg" "$CS_BIN" --version 2>/dev/null |
    awk '/^[0-9]+\.[0-9]+\.[0-9]+ [0-9a-f]+/ {print $1; exit}'
}

if [ -f "$CS_MARKER" ] && [ "$(installed_version || true)" = "$CODE_SERVER_VERSION" ]; then
  log "code-server $CODE_SERVER_VERSION: already installed in .cache/code-server"
  exit 0
fi

log "code-server $CODE_SERVER_VERSION: installing into .cache/code-server (about a minute)"
rm -rf "$CS_DIR"
mkdir -p "$CS_DIR/tmp"

# Workaround 2: @vscode/ripgrep downloads rg from GitHub; pre-fill its download cache with Debian's rg.
mkdir -p "$CS_DIR/tmp/$RIPGREP_CACHE_NAME"
tar czf "$CS_DIR/tmp/$RIPGREP_CACHE_NAME/$RIPGREP_ARCHIVE" -C "$(dirname "$(command -v rg)")" rg

# A project of its own, so that npm 11's install-script policy can be stated for it.
cat >"$CS_DIR/package.json" <<EOF
{
  "name": "flowctl-test-code-server",
  "private": true,
  "description": "code-server for the VS Code extension tests; installed by scripts/install-test-deps.sh",
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true }
}
EOF

node_major="$(node -p 'process.versions.node.split(".")[0]')"
(
  cd "$CS_DIR"
  export TMPDIR="$CS_DIR/tmp"          # ripgrep cache lookup + node-gyp scratch stay inside .cache
  export npm_config_yes=true            # workaround 3: node-pty's postinstall runs `npx node-gyp`
  export npm_config_nodedir=/usr        # workaround 4: build against the local Node headers
  # code-server's postinstall runs nested `npm install`s (lib/vscode, its extensions) whose native
  # dependencies (node-pty, kerberos, argon2, …) must build; npm 11 blocks dependency scripts by default.
  export npm_config_dangerously_allow_all_scripts=true
  export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
  export npm_config_unsafe_perm=true    # its postinstall refuses to run as root without it
  # Its postinstall refuses a Node major other than 20 unless told which one to accept.
  if [ "$node_major" != "20" ]; then export FORCE_NODE_VERSION="$node_major"; fi
  npm install --no-save --foreground-scripts --loglevel=warn >"$CS_DIR/install.log" 2>&1 || {
    echo "install-test-deps: npm install of code-server failed; last lines of $CS_DIR/install.log:" >&2
    tail -n 60 "$CS_DIR/install.log" >&2
    exit 1
  }
)

got="$(installed_version || true)"
if [ "$got" != "$CODE_SERVER_VERSION" ]; then
  echo "install-test-deps: code-server --version printed '$got', expected $CODE_SERVER_VERSION" >&2
  tail -n 60 "$CS_DIR/install.log" >&2
  exit 1
fi
# The postinstall must have built the VS Code server's native modules; without them nothing starts.
for f in lib/vscode/node_modules/node-pty/build/Release/pty.node lib/vscode/node_modules/@vscode/ripgrep/bin/rg; do
  if [ ! -e "$CS_DIR/node_modules/code-server/$f" ]; then
    echo "install-test-deps: code-server's postinstall did not produce $f; see $CS_DIR/install.log" >&2
    exit 1
  fi
done
rm -rf "$CS_DIR/tmp"
touch "$CS_MARKER"
log "code-server $got installed ($(du -sh "$CS_DIR" | cut -f1) in .cache/code-server)"
