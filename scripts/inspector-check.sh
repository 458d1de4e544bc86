#!/usr/bin/env bash
# Lists the server's tools through the official MCP Inspector CLI with `--strict` and fails on any
# schema-portability finding, warnings included (the Inspector itself exits non-zero only on errors).
#
# usage: scripts/inspector-check.sh [BINARY]     (default target/debug/portkey-admin-mcp)
#   INSPECTOR_VERSION  npm version to install (default 2.12.0: `--strict` arrived in the 2.x CLI)
#   INSPECTOR_DIR      a directory where the package is already installed (skips npm install)
#   INSPECTOR_REQUIRED=1  fail, instead of skipping, when node or the package is unavailable
#
# What `--strict` checks in 2.12.0 (core/json/schemaLint.ts): every inputSchema and outputSchema,
# at any depth, for `untyped-schema` (a schema with no validating keyword, e.g. `{}`),
# `boolean-schema` (a bare true/false where a schema is expected; booleans under
# `additionalProperties` are fine), `type-union` (`type` as an array) and `remote-ref`.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/portkey-admin-mcp}
version=${INSPECTOR_VERSION:-2.12.0}

skip() {
  if [ "${INSPECTOR_REQUIRED:-0}" = 1 ]; then
    echo "inspector-check: FAIL: $1" >&2
    exit 1
  fi
  echo "inspector-check: SKIP: $1"
  exit 0
}

command -v node >/dev/null 2>&1 || skip "node not found"
[ -x "$binary" ] || { echo "inspector-check: FAIL: $binary is not built (cargo build)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir=${INSPECTOR_DIR:-}
if [ -z "$dir" ]; then
  command -v npm >/dev/null 2>&1 || skip "npm not found"
  dir=$work/inspector
  mkdir -p "$dir"
  if ! (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error \
      "@modelcontextprotocol/inspector@$version" >"$work/npm.log" 2>&1); then
    tail -5 "$work/npm.log" >&2
    skip "could not install @modelcontextprotocol/inspector@$version"
  fi
fi
cli=$dir/node_modules/.bin/mcp-inspector
[ -x "$cli" ] || skip "no mcp-inspector in $dir/node_modules/.bin"

status=0
PORTKEY_API_KEY=pk-inspector-check "$cli" --cli -e PORTKEY_API_KEY=pk-inspector-check \
  "$(realpath "$binary")" --method tools/list --strict >"$work/out.json" 2>"$work/err.txt" || status=$?
tools=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log((r.tools || []).length)' "$work/out.json" 2>/dev/null || echo 0)
findings=$(grep -cE '^(Warning|Error): tool ' "$work/err.txt" || true)
installed=$(node -p 'require(process.argv[1]).version' "$dir/node_modules/@modelcontextprotocol/inspector/package.json" 2>/dev/null || echo "?")
if [ "$status" -ne 0 ] || [ "$findings" -ne 0 ] || [ "$tools" -eq 0 ]; then
  cat "$work/err.txt" >&2
  echo "inspector-check: FAIL: inspector $installed --strict, exit $status, $tools tools, $findings findings" >&2
  exit 1
fi
echo "inspector-check: ok: inspector $installed tools/list --strict: $tools tools, 0 errors, 0 warnings"
