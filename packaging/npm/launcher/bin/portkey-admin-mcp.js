#!/usr/bin/env node
// Starts the native portkey-admin-mcp binary that npm installed for this platform (one of the
// optional dependencies, picked by their "os" and "cpu" fields) and gets out of its way: the
// child inherits stdin, stdout and stderr, gets the arguments unchanged, receives the signals this
// process receives, and its exit code or signal becomes this process's.
"use strict";

const { spawn } = require("node:child_process");
const { constants } = require("node:os");

const PACKAGES = {
  "linux x64": "portkey-admin-mcp-rs-linux-x64",
  "linux arm64": "portkey-admin-mcp-rs-linux-arm64",
  "darwin x64": "portkey-admin-mcp-rs-darwin-x64",
  "darwin arm64": "portkey-admin-mcp-rs-darwin-arm64",
  "win32 x64": "portkey-admin-mcp-rs-win32-x64",
};

function fail(message) {
  process.stderr.write(`portkey-admin-mcp: ${message}\n`);
  process.exit(1);
}

function binaryPath() {
  const override = process.env.PORTKEY_ADMIN_MCP_BINARY;
  if (override) return override;
  const platform = `${process.platform} ${process.arch}`;
  const pkg = PACKAGES[platform];
  if (!pkg) {
    fail(
      `no prebuilt binary for ${platform}. Prebuilt: ${Object.keys(PACKAGES).join(", ")}. ` +
        "Elsewhere, build it with a Rust toolchain: cargo install --locked portkey-admin-mcp",
    );
  }
  const exe = process.platform === "win32" ? "portkey-admin-mcp.exe" : "portkey-admin-mcp";
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    return fail(
      `the package ${pkg}, which carries the binary for ${platform}, is not installed. ` +
        "It is an optional dependency: reinstall without --no-optional / --omit=optional.",
    );
  }
}

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit", windowsHide: true });

const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"].filter(
  (sig) => process.platform !== "win32" || sig !== "SIGQUIT",
);
const relay = (sig) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(sig);
};
for (const sig of forwarded) process.on(sig, relay);

child.on("error", (err) => fail(`could not start the binary: ${err.message}`));
child.on("exit", (code, signal) => {
  for (const sig of forwarded) process.removeListener(sig, relay);
  if (signal) {
    // Die of the same signal, so the caller sees what the server saw; where that signal does
    // not end a Node.js process (SIGPIPE), exit with the shell's 128 + number instead.
    process.exitCode = 128 + (constants.signals[signal] || 0);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 1 : code);
});
