#!/usr/bin/env bash
# Drives the Streamable HTTP server with the official TypeScript MCP SDK (StreamableHTTPClientTransport)
# and the official Python SDK (streamable_http_client), installed from npm and PyPI into a temporary
# directory. Needs node (18 or later) and npm; the Python part needs python3 with venv.
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
cp scripts/http-sdk-check.mjs scripts/loopback.mjs "$work/"
node "$work/http-sdk-check.mjs" "$bin"
# The Python SDK's streamable HTTP client too, when python3 can make a virtual environment.
if command -v python3 >/dev/null 2>&1 && python3 -m venv "$work/py" >/dev/null 2>&1; then
  "$work/py/bin/pip" install --quiet mcp
  "$work/py/bin/python" scripts/http-python-sdk-check.py "$bin"
else
  echo "http-sdk-check: python3 with venv is needed for the Python SDK check; skipped"
fi
