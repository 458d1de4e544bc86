#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance, on Node 22 from
# the npm `node` package) against `portkey-admin-mcp http` on loopback. The suite's client sends no
# credentials, so the server runs with MCP_AUTH_MODE=none on 127.0.0.1 only. Scenarios that call
# the demo server's fixtures (test_* tools, test:// resources, test_* prompts) cannot pass here.
#   scripts/http-conformance.sh [path/to/portkey-admin-mcp]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/portkey-admin-mcp}
command -v npm >/dev/null 2>&1 || { echo "http-conformance: npm is needed; skipped"; exit 0; }
[ -x "$bin" ] || cargo build --quiet
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund node@22 @modelcontextprotocol/conformance >/dev/null)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -i PATH="$PATH" MCP_AUTH_MODE=none MCP_ALLOW_UNAUTHENTICATED_HTTP=true MCP_PORT="$port" \
  RATE_LIMIT_ENABLED=false PORTKEY_API_KEY=pk-conformance-placeholder \
  "$bin" http 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
PATH="$work/node_modules/.bin:$PATH" conformance server --url "http://127.0.0.1:$port/mcp" -o "$work/out" | sed -n '/=== SUMMARY ===/,$p' || true
