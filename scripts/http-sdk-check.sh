#!/usr/bin/env bash
# Drives the Streamable HTTP server with the official TypeScript MCP SDK (StreamableHTTPClientTransport),
# installed from npm into a temporary directory. Needs node (18 or later) and npm; skips without them.
#   scripts/http-sdk-check.sh [path/to/portkey-admin-mcp]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/portkey-admin-mcp}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "http-sdk-check: node and npm are needed; skipped"
  exit 0
fi
[ -x "$bin" ] || cargo build --quiet
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "@modelcontextprotocol/sdk@^1" >/dev/null)
cp scripts/http-sdk-check.mjs "$work/"
node "$work/http-sdk-check.mjs" "$bin"
