#!/usr/bin/env python3
"""Regenerates scripts/startup-order.txt: the functions a stdio session runs, for the linker to put first.

The kernel maps a binary's code 64 KiB at a time around each page a process touches, so code that
runs at start-up, spread over the whole binary, keeps most of it resident. scripts/dist.sh hands this
list to the linker (lld's --symbol-ordering-file) for the static x86_64 Linux build, which puts these
functions together at the start of .text: a server that has started and listed its tools then keeps
about 1.5 MB of its code resident instead of about 5 MB.

What this script does:
  1. builds the static x86_64 Linux binary with scripts/dist.sh (symbol names depend on the compiler,
     the profile, the target and the crate versions, so the list must come from that very build; dist.sh also
     writes the link map, which names what the stripped binary holds at each address),
  2. runs it under valgrind's callgrind over stdio against a loopback stand-in of the Portkey API:
     initialize, tools/list, then a few tool calls (reads, a write, a refused one, an API error),
  3. writes the mangled name of every symbol whose code ran, one a line, sorted.

Regenerate the list after a compiler, version or dependency update (dist.sh says how much of the list
its build still matches); a stale list only makes the layout worse, never the binary wrong.

usage: scripts/startup-order.py [--skip-build]   (needs valgrind, and rust-lld: the default linker of
x86_64-unknown-linux-gnu from Rust 1.90)
       scripts/startup-order.py --matched LINK_MAP   says how much of the list a build's link map
                                                     holds (dist.sh runs it after linking)
"""

import bisect
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = "x86_64-unknown-linux-gnu"
OUT = os.path.join(ROOT, "scripts", "startup-order.txt")
CONFIG = {"id": "c", "slug": "s", "name": "n", "status": "active", "config": '{"retry": {"attempts": 3}}'}


class StandIn(http.server.BaseHTTPRequestHandler):
    """Answers every request with one config, or 404 for a slug named `missing`."""

    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        status, body = (404, {"error": "not found"}) if "missing" in self.path else (200, CONFIG)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


def build():
    subprocess.run(["bash", "scripts/dist.sh", "--target", TARGET, "--only", ""], cwd=ROOT, check=True)


def symbols(link_map):
    """(start, end, name) of every symbol in lld's link map (written with --no-demangle), sorted."""
    out = []
    with open(link_map, errors="replace") as f:
        for line in f:
            parts = line.split()
            # VMA LMA Size Align Symbol: a symbol line (sections and input files look otherwise).
            if len(parts) != 5 or parts[4].startswith(".") or "/" in parts[4] or ":(" in parts[4]:
                continue
            try:
                start, size = int(parts[0], 16), int(parts[2], 16)
            except ValueError:
                continue
            if size:
                out.append((start, start + size, parts[4]))
    out.sort()
    return out


def session():
    """The messages of one stdio session, one JSON-RPC message a line."""
    def call(i, name, args):
        return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": name, "arguments": args}}
    return [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "order", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
        call(3, "get_config", {"slug": "s"}),
        call(4, "get_config", {"slug": "s"}),
        call(5, "list_configs", {}),
        call(6, "update_config", {"slug": "s", "name": "n"}),
        call(7, "get_config", {"slug": 42}),
        call(8, "get_config", {"slug": "missing"}),
    ]


def profile(binary):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PORTKEY_API_KEY": "pk-order-0123456789",
        "PORTKEY_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "PORTKEY_ALLOW_INSECURE_HTTP": "true",
        "PORTKEY_ALLOW_PRIVATE_BASE_URL": "true",
    }
    messages = session()
    expected = sum(1 for m in messages if "id" in m)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--demangle=no", "--dump-instr=yes", "--compress-pos=no",
             f"--callgrind-out-file={out}", binary],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        answered = 0
        # One message at a time, each after the previous answer, as a client would.
        for m in messages:
            proc.stdin.write((json.dumps(m) + "\n").encode())
            proc.stdin.flush()
            if "id" in m:
                line = proc.stdout.readline()
                if not line:
                    break
                answered += 1
        proc.stdin.close()
        proc.wait(timeout=120)
        server.shutdown()
        if answered != expected:
            sys.exit(f"startup-order: {answered} of {expected} answers came back")
        addresses = set()
        with open(out) as f:
            for line in f:
                # With --dump-instr and --compress-pos=no every cost line starts with the address of
                # an instruction that ran, as laid out in the file (the binary is stripped; the
                # link map names what is there).
                first = line.split(None, 1)[0] if line.strip() else ""
                if first.startswith("0x"):
                    addresses.add(int(first, 16))
    return addresses


def names_of(addresses, table):
    starts = [s for s, _, _ in table]
    names = set()
    for a in addresses:
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0 and a < table[i][1]:
            names.add(table[i][2])
    return sorted(names)


def matched(link_map):
    """Says on stderr how many of the listed symbols a build holds, and warns when the list is stale."""
    with open(OUT) as f:
        wanted = {line.strip() for line in f if line.strip()}
    found = wanted & {name for _, _, name in symbols(link_map)}
    print(f"startup order: {len(found)} of {len(wanted)} listed symbols are in this build", file=sys.stderr)
    if len(found) < 0.8 * len(wanted):
        print("dist.sh: warning: the startup order is stale (the compiler, a version or a dependency changed); "
              "run scripts/startup-order.py and commit scripts/startup-order.txt", file=sys.stderr)


def main():
    if sys.argv[1:2] == ["--matched"] and len(sys.argv) == 3:
        matched(sys.argv[2])
        return
    release = os.path.join(ROOT, "target", TARGET, "release")
    binary = os.path.join(release, "portkey-admin-mcp")
    link_map = binary + ".map"
    if "--skip-build" not in sys.argv[1:]:
        build()
    if not os.path.exists(link_map):
        sys.exit(f"startup-order: {link_map} is missing: build with scripts/dist.sh first")
    names = names_of(profile(binary), symbols(link_map))
    if not names:
        sys.exit("startup-order: no symbol of the link map ran; is the map from this binary?")
    with open(OUT, "w") as f:
        f.write("".join(n + "\n" for n in names))
    print(f"startup-order: {len(names)} functions written to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
