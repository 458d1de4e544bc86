#!/usr/bin/env bash
# Two instances sharing Redis, driven by the official TypeScript MCP SDK through a round-robin
# proxy (scripts/redis-sdk-check.mjs). Needs node 18+, npm and redis-server.
#   scripts/redis-sdk-check.sh [path/to/portkey-admin-mcp]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/portkey-admin-mcp}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "redis-sdk-check: node and npm are needed; skipped"
  exit 0
fi
command -v redis-server >/dev/null 2>&1 || { echo "redis-sdk-check: install redis-server (apt-get install redis-server)" >&2; exit 1; }
[ -x "$bin" ] || cargo build --quiet
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "@modelcontextprotocol/sdk@^1" >/dev/null)
cp scripts/redis-sdk-check.mjs scripts/loopback.mjs "$work/"
node "$work/redis-sdk-check.mjs" "$bin"
