#!/usr/bin/env bash
# Judges every tool against Portkey's OpenAPI description: Prism mocks the API from the spec (one
# answering its examples, one generating answers), validates every request the server sends, and
# scripts/prism_check.py reports, per tool, whether the spec describes its paths, whether its requests
# are spec-valid and whether it reads the answers. Details: the docstring of scripts/prism_check.py.
#
# usage: scripts/prism-check.sh [--binary PATH] [--spec OPENAPI.yaml] [--json FILE] [--tool NAME]...
#                               [--strict] [--quiet]
#   --binary  the server to judge (default: target/debug/portkey-admin-mcp, built here with cargo)
#   --spec    Portkey's OpenAPI description (default: $PORTKEY_OPENAPI, else shared/portkey-openapi.yaml
#             in the parent folder or its parent)
# environment: PRISM_DIR (where Prism is installed, default .prism/), PRISM_VERSION (default 5.14.2).
# Needs node (18 or newer) and npm; Prism is installed with npm on first use. Exit status as the driver's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

PRISM_VERSION=${PRISM_VERSION:-5.14.2}
PRISM_DIR=${PRISM_DIR:-$root/.prism}

binary="" spec=${PORTKEY_OPENAPI:-} pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --spec) spec=${2:?--spec needs a path}; shift 2 ;;
    --json | --tool) pass+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --strict | --quiet) pass+=("$1"); shift ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "prism-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if ! command -v node >/dev/null 2>&1; then
  echo "prism-check: node not found: install Node.js 18 or newer (Prism runs on it)" >&2
  exit 2
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "prism-check: node $(node --version) is too old: Prism $PRISM_VERSION needs Node.js 18 or newer" >&2
  exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "prism-check: python3 not found: the driver needs Python 3" >&2
  exit 2
fi

if [ -z "$spec" ]; then
  for candidate in ../shared/portkey-openapi.yaml ../../shared/portkey-openapi.yaml; do
    if [ -f "$candidate" ]; then spec=$candidate; break; fi
  done
fi
if [ -z "$spec" ] || [ ! -f "$spec" ]; then
  echo "prism-check: Portkey's OpenAPI description not found: pass --spec FILE or set PORTKEY_OPENAPI" >&2
  exit 2
fi

prism="$PRISM_DIR/node_modules/.bin/prism"
installed="$PRISM_DIR/node_modules/@stoplight/prism-cli/package.json"
if [ ! -x "$prism" ] || ! grep -q "\"version\": \"$PRISM_VERSION\"" "$installed" 2>/dev/null; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "prism-check: npm not found: it installs @stoplight/prism-cli@$PRISM_VERSION into $PRISM_DIR" >&2
    exit 2
  fi
  echo "prism-check: installing @stoplight/prism-cli@$PRISM_VERSION into $PRISM_DIR" >&2
  mkdir -p "$PRISM_DIR"
  npm install --prefix "$PRISM_DIR" --save-exact --no-audit --no-fund --loglevel=error \
    "@stoplight/prism-cli@$PRISM_VERSION" >&2
fi

if [ -z "$binary" ]; then
  cargo build --locked --quiet
  binary=target/debug/portkey-admin-mcp
fi

exec python3 scripts/prism_check.py --prism "$prism" --spec "$spec" --binary "$binary" "${pass[@]}"
