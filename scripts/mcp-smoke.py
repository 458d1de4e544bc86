#!/usr/bin/env python3
"""Drives one MCP session over stdio through any command: initialize, tools/list (every page),
optionally one tools/call, then closes stdin and expects a clean exit. Prints one JSON line
with what it saw; exits non-zero, saying why, on anything unexpected.

usage: mcp-smoke.py [--call TOOL [--args JSON] [--expect ok|error] [--expect-text TEXT]]
                    [--min-tools N] [--label NAME] -- COMMAND [ARG...]

Used by scripts/artifacts-check.sh on every built artifact; needs only the standard library.
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time

PROTOCOL = "2025-06-18"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--call")
    ap.add_argument("--args", default="{}")
    ap.add_argument("--expect", choices=["ok", "error"], default="ok")
    ap.add_argument("--expect-text", default="")
    ap.add_argument("--min-tools", type=int, default=1)
    ap.add_argument("--label", default="")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    opts = ap.parse_args()
    cmd = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    if not cmd:
        sys.exit("mcp-smoke: no command given")

    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ
    )
    lines = queue.Queue()
    stderr_chunks = []

    def read_stdout():
        for raw in proc.stdout:
            lines.put(raw)
        lines.put(None)

    def read_stderr():
        for raw in proc.stderr:
            stderr_chunks.append(raw.decode("utf-8", "replace"))

    threading.Thread(target=read_stdout, daemon=True).start()
    threading.Thread(target=read_stderr, daemon=True).start()

    def fail(why):
        try:
            proc.kill()
        except OSError:
            pass
        tail = "".join(stderr_chunks)[-2000:]
        sys.exit(f"mcp-smoke {opts.label}: {why}\n--- stderr ---\n{tail}")

    def send(msg):
        proc.stdin.write((json.dumps(msg) + "\n").encode())
        proc.stdin.flush()

    def answer(want_id):
        deadline = time.monotonic() + opts.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"no answer to request {want_id} within {opts.timeout}s")
            try:
                raw = lines.get(timeout=left)
            except queue.Empty:
                continue
            if raw is None:
                fail(f"stdout closed before the answer to request {want_id}")
            try:
                msg = json.loads(raw)
            except ValueError:
                fail(f"stdout carried a line that is not JSON: {raw[:200]!r}")
            if msg.get("jsonrpc") != "2.0":
                fail(f"stdout carried a line that is not JSON-RPC 2.0: {raw[:200]!r}")
            if msg.get("id") == want_id:
                if "error" in msg:
                    fail(f"request {want_id} failed: {msg['error']}")
                return msg["result"]

    send({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": PROTOCOL, "capabilities": {},
                   "clientInfo": {"name": "mcp-smoke", "version": "1"}},
    })
    init = answer(1)
    init_ms = round((time.monotonic() - started) * 1000)
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    tools, cursor, next_id = [], None, 2
    while True:
        params = {"cursor": cursor} if cursor else {}
        send({"jsonrpc": "2.0", "id": next_id, "method": "tools/list", "params": params})
        page = answer(next_id)
        next_id += 1
        tools.extend(page.get("tools", []))
        cursor = page.get("nextCursor")
        if not cursor:
            break
    if len(tools) < opts.min_tools:
        fail(f"tools/list gave {len(tools)} tools, expected at least {opts.min_tools}")

    summary = {
        "label": opts.label,
        "server": init.get("serverInfo", {}),
        "protocol": init.get("protocolVersion"),
        "tools": len(tools),
        "initialize_ms": init_ms,
    }
    if opts.call:
        send({"jsonrpc": "2.0", "id": next_id, "method": "tools/call",
              "params": {"name": opts.call, "arguments": json.loads(opts.args)}})
        result = answer(next_id)
        envelope = result.get("structuredContent") or {}
        ok = envelope.get("ok") is True
        text = json.dumps(envelope)
        if ok != (opts.expect == "ok"):
            fail(f"{opts.call} answered {text[:600]}, expected ok={opts.expect == 'ok'}")
        if opts.expect_text and opts.expect_text not in text:
            fail(f"{opts.call} answered {text[:600]}, without {opts.expect_text!r}")
        summary["call"] = {"tool": opts.call, "ok": ok,
                           "message": (envelope.get("error") or {}).get("message", "")[:200]}

    proc.stdin.close()
    try:
        code = proc.wait(timeout=opts.timeout)
    except subprocess.TimeoutExpired:
        fail("did not exit after stdin closed")
    if code != 0:
        fail(f"exit code {code} after stdin closed")
    summary["total_ms"] = round((time.monotonic() - started) * 1000)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
