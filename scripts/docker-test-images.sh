#!/usr/bin/env bash
# Builds the container images the Docker tests use, locally and only when their content changed
# (nothing is ever pulled: registries are not reachable on test machines).
#
#   flowctl-test/node:<major>        a minimal root filesystem: this machine's `node` binary and the
#                                    libraries `ldd` lists, imported with `docker import`;
#   flowctl-test/demo:<content-hash> FROM that base, with the bundled SDK components of examples/demo
#                                    (dist/examples/demo/components/*.js, from `npm run build`) in /app
#                                    and the .proto files they load in /app/proto.
#
# Each image also carries a tag with the hash of what went into it, so a second run only hashes the
# inputs and asks the engine whether that tag exists (about a second). Test images older than a day
# that no container uses are removed (images of other worktrees built meanwhile stay). Builds are serialised with a lock file, so tests
# running in parallel build once.
#
# Prints the two image references on stdout, one per line: base first, then demo.
# Usage: bash scripts/docker-test-images.sh   (needs a reachable Docker engine and `npm run build`)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_REPO=flowctl-test/node
DEMO_REPO=flowctl-test/demo
LABEL=flowctl-test=1
DEMO_SRC="$ROOT/dist/examples/demo/components"
LOCK="${TMPDIR:-/tmp}/flowctl-test-images.lock"

log() { printf '[docker-test-images] %s\n' "$*" >&2; }
die() { printf 'docker-test-images: %s\n' "$*" >&2; exit 1; }

command -v docker >/dev/null || die "the docker CLI is not installed (bash scripts/install-test-deps.sh installs docker.io)"
docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1 ||
  die "no Docker engine answers (start it: bash scripts/install-test-deps.sh, or dockerd as root)"
ls "$DEMO_SRC"/*.js >/dev/null 2>&1 || die "$DEMO_SRC/*.js not found: run \`npm run build\` first"

exec 9>"$LOCK"
flock 9

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Old test images: only ours (label), only unused, and only older than a day. The engine is shared by
# several worktrees whose builds differ: pruning every other tag at once removed images another test
# run was about to use.
prune() {
  docker image prune --all --force --filter "label=$LABEL" --filter "until=24h" >/dev/null 2>&1 || true
}

# --- the base: node and its shared libraries ----------------------------------------------------
NODE="$(readlink -f "$(command -v node)")"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
mapfile -t LIBS < <(ldd "$NODE" | awk '/=> \// {print $3} /^[ \t]*\/[^ ]+ \(/ {print $1}' | sort -u)
[ "${#LIBS[@]}" -gt 0 ] || die "ldd listed no libraries for $NODE (a static node needs none, but this looks wrong)"
BASE_HASH="$( { node -v; sha256sum "$NODE" "${LIBS[@]}" | awk '{print $1}'; printf '%s\n' "${LIBS[@]}"; echo v3; } | sha256sum | cut -c1-16)"
BASE_HASHED="$BASE_REPO:$NODE_MAJOR-$BASE_HASH"
BASE="$BASE_REPO:$NODE_MAJOR"

if has_image "$BASE_HASHED"; then
  log "base $BASE_HASHED: present"
else
  log "base $BASE_HASHED: building from $NODE and ${#LIBS[@]} libraries"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/rootfs/usr/local/bin" "$work/rootfs/app" "$work/rootfs/tmp" "$work/rootfs/etc"
  chmod 1777 "$work/rootfs/tmp"
  cp "$NODE" "$work/rootfs/usr/local/bin/node"
  for lib in "${LIBS[@]}"; do cp -L --parents "$lib" "$work/rootfs/"; done
  printf 'root:x:0:0:root:/root:/usr/local/bin/node\nnobody:x:65534:65534:nobody:/nonexistent:/usr/local/bin/node\n' >"$work/rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$work/rootfs/etc/group"
  tar -C "$work/rootfs" -c . | docker import \
    -c 'WORKDIR /app' -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c "LABEL $LABEL" \
    -m "flowctl test base: node $(node -v) from this machine" - "$BASE_HASHED" >/dev/null
  rm -rf "$work"
  trap - EXIT
fi
docker tag "$BASE_HASHED" "$BASE"

# --- the demo components on top -----------------------------------------------------------------
DEMO_HASH="$( { echo "$BASE_HASH"; (cd "$DEMO_SRC" && sha256sum ./*.js); (cd "$ROOT" && find proto -type f -name '*.proto' -print0 | sort -z | xargs -0 sha256sum); echo v3; } | sha256sum | cut -c1-16)"
DEMO="$DEMO_REPO:$DEMO_HASH"
if has_image "$DEMO"; then
  log "demo $DEMO: present"
else
  log "demo $DEMO: building FROM $BASE_HASHED"
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  mkdir "$ctx/components"
  cp "$DEMO_SRC"/*.js "$ctx/components/"
  cp -r "$ROOT/proto" "$ctx/components/proto"
  cat >"$ctx/Dockerfile" <<EOF
FROM $BASE_HASHED
COPY components/ /app/
WORKDIR /app
LABEL $LABEL
CMD ["node", "/app/ticker.js"]
EOF
  # The classic builder: the engine here is 20.10 and buildx may be missing from the CLI.
  DOCKER_BUILDKIT=0 docker build -q -t "$DEMO" "$ctx" >/dev/null 2>"$ctx/build.err" || {
    cat "$ctx/build.err" >&2
    die "docker build of $DEMO failed"
  }
  rm -rf "$ctx"
  trap - EXIT
fi
prune

echo "$BASE"
echo "$DEMO"
