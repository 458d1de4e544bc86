#!/usr/bin/env python3
"""Side-by-side load benchmark: this server beside the TypeScript reference (portkey-admin-mcp 0.12.0).

Both servers are driven over stdio with the same load against the same loopback stand-in of the
Portkey API (127.0.0.1 only), and measured from the outside through /proc (Linux only):

  start-up   spawn -> initialize -> complete tools/list, median of --starts cold starts
  idle RSS   VmRSS once tools/list has answered
  CPU/call   the server process's user+sys time (/proc/<pid>/stat) across the load, divided by the calls
  bursts     --bursts bursts of --burst pipelined get_config calls, then --waves calls in waves of --wave
  RSS        VmHWM (peak during the load) and VmRSS one second after the last answer (what the
             process keeps once the load has passed; both servers get the same second)
  upstream   the most requests the stand-in held open at the same time
  throughput calls per second during the waves

Usage:
  scripts/bench-vs-reference.py [--ours BINARY ...] [--reference DIR] [--rounds N]

--reference is the installed package directory (holding build/index.js); without it the script looks
in $PORTKEY_REFERENCE_DIR and /tmp/refpkg/node_modules/portkey-admin-mcp. To install it:
  mkdir /tmp/refpkg && cd /tmp/refpkg && npm install portkey-admin-mcp@0.12.0
The reference's column is skipped, with a message saying why, when node or the package is missing.
Prints figures only; nothing here is a pass/fail check.
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

KEY = "pk-bench-SECRET-key-0123456789"
# Portkey returns a config's body as a JSON string; the reference parses it and fails on anything else.
CONFIG = {"id": "c", "slug": "s", "name": "n", "status": "active", "config": '{"retry": {"attempts": 3}}'}
TICK = os.sysconf("SC_CLK_TCK")


class StandIn:
    """A keep-alive HTTP/1.1 server answering every request with one config, counting requests open."""

    def __init__(self, delay_s):
        self.delay = delay_s
        self.open = 0
        self.peak = 0
        self.count = 0
        self.body = json.dumps(CONFIG).encode()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._conn, "127.0.0.1", 0, backlog=4096)
        )
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    def reset(self):
        self.peak = self.open
        self.count = 0

    async def _conn(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                length = 0
                while True:
                    h = await reader.readline()
                    if not h or h in (b"\r\n", b"\n"):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    if k.strip().lower() == "content-length":
                        length = int(v.strip() or 0)
                if length:
                    await reader.readexactly(length)
                self.open += 1
                self.count += 1
                self.peak = max(self.peak, self.open)
                try:
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                        + str(len(self.body)).encode()
                        + b"\r\n\r\n"
                        + self.body
                    )
                    await writer.drain()
                finally:
                    self.open -= 1
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


class Server:
    """One server process driven over stdio; answers are matched to requests by id."""

    def __init__(self, argv, env):
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 1
        self.answers = {}
        self.cond = threading.Condition()
        self.errors = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "id" not in msg or "method" in msg:
                continue
            result = msg.get("result")
            if result is None or (isinstance(result, dict) and result.get("isError")):
                self.errors += 1
            with self.cond:
                self.answers[msg["id"]] = msg
                self.cond.notify_all()

    def send(self, messages):
        data = "".join(json.dumps(m) + "\n" for m in messages).encode()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def requests(self, method, params, n=1):
        ids = list(range(self.next_id, self.next_id + n))
        self.next_id += n
        self.send([{"jsonrpc": "2.0", "id": i, "method": method, "params": params} for i in ids])
        deadline = time.monotonic() + 120
        with self.cond:
            while not all(i in self.answers for i in ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{method}: no answer within 120 s")
                self.cond.wait(left)
            out = [self.answers.pop(i) for i in ids]
        return out

    def start(self):
        self.requests(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        )
        self.send([{"jsonrpc": "2.0", "method": "notifications/initialized"}])
        tools = self.requests("tools/list", {})[0]["result"]["tools"]
        return len(tools)

    def calls(self, n):
        return self.requests("tools/call", {"name": "get_config", "arguments": {"slug": "bench"}}, n)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of the line; 12 and 13 after the command name.
        return (int(fields[11]) + int(fields[12])) / TICK

    def status_kib(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def measure(name, argv, env, api, args):
    starts = []
    tools = 0
    for _ in range(args.starts):
        t0 = time.perf_counter()
        s = Server(argv, env)
        tools = s.start()
        starts.append(time.perf_counter() - t0)
        s.stop()

    s = Server(argv, env)
    s.start()
    time.sleep(0.3)
    idle = s.status_kib("VmRSS")
    s.calls(1)
    for _ in range(args.warmup):
        s.calls(1)
    s.errors = 0
    api.reset()
    cpu0 = s.cpu_seconds()
    t0 = time.perf_counter()
    for _ in range(args.bursts):
        s.calls(args.burst)
    t1 = time.perf_counter()
    for _ in range(args.waves // args.wave):
        s.calls(args.wave)
    t2 = time.perf_counter()
    cpu = s.cpu_seconds() - cpu0
    calls = args.bursts * args.burst + (args.waves // args.wave) * args.wave
    peak = s.status_kib("VmHWM")
    time.sleep(args.settle)
    final = s.status_kib("VmRSS")
    row = {
        "name": name,
        "tools": tools,
        "startup_ms": statistics.median(starts) * 1e3,
        "idle_mb": idle / 1024,
        "cpu_us": cpu / calls * 1e6,
        "peak_mb": peak / 1024,
        "final_mb": final / 1024,
        "upstream_peak": api.peak,
        "upstream_requests": api.count,
        "calls": calls,
        "errors": s.errors,
        "burst_s": t1 - t0,
        "throughput": (args.waves // args.wave) * args.wave / (t2 - t1),
    }
    s.stop()
    return row


def median_row(rows):
    """One row per figure's median over the rounds (the errors are summed)."""
    out = dict(rows[0])
    for k, v in rows[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = statistics.median(r[k] for r in rows)
    out["errors"] = sum(r["errors"] for r in rows)
    return out


def ratios(rows):
    """The reference's figures over each build's, one line a build."""
    ref = [r for r in rows if r["name"].startswith("reference")]
    lines = []
    for a in (r for r in rows if ref and not r["name"].startswith("reference")):
        b = ref[0]
        lines.append("reference / {}: start-up {:.1f}x, idle RSS {:.1f}x, CPU per call {:.1f}x, RSS after the load {:.1f}x".format(
            a["name"], b["startup_ms"] / a["startup_ms"], b["idle_mb"] / a["idle_mb"],
            b["cpu_us"] / max(a["cpu_us"], 1e-9), b["final_mb"] / a["final_mb"]))
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--ours", action="append",
                   help="a build of this server to measure; repeat to compare builds (default: "
                        "target/release/portkey-admin-mcp, and the static release build of "
                        "scripts/dist.sh when target/x86_64-unknown-linux-gnu/release has one)")
    p.add_argument("--reference", default=os.environ.get("PORTKEY_REFERENCE_DIR", "/tmp/refpkg/node_modules/portkey-admin-mcp"))
    p.add_argument("--starts", type=int, default=11)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--bursts", type=int, default=5)
    p.add_argument("--burst", type=int, default=1000)
    p.add_argument("--waves", type=int, default=2000)
    p.add_argument("--wave", type=int, default=100)
    p.add_argument("--upstream-delay-ms", type=float, default=2.0,
                   help="how long the stand-in holds each request before answering (default 2)")
    p.add_argument("--settle", type=float, default=1.0,
                   help="seconds to wait after the last answer before reading the RSS after the load (default 1)")
    p.add_argument("--rounds", type=int, default=1,
                   help="measure every server this many times, taking turns, and print the median "
                        "of each figure (and each round's ratios): on a shared machine one round can "
                        "be off by a tenth or more (default 1)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON as well")
    args = p.parse_args()

    if not os.path.exists("/proc/self/stat"):
        print("skipped: this benchmark reads /proc and needs Linux")
        return 0

    api = StandIn(args.upstream_delay_ms / 1e3)
    base = f"http://127.0.0.1:{api.port}/v1"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PORTKEY_API_KEY": KEY,
        "PORTKEY_BASE_URL": base,
        "PORTKEY_ALLOW_PRIVATE_BASE_URL": "true",
        "PORTKEY_ALLOW_INSECURE_HTTP": "true",
    }

    servers = []  # (name, argv)
    builds = args.ours or [
        os.path.join(here, "..", "target", "release", "portkey-admin-mcp"),
        os.path.join(here, "..", "target", "x86_64-unknown-linux-gnu", "release", "portkey-admin-mcp"),
    ]
    for i, path in enumerate(builds):
        ours = os.path.abspath(path)
        if not os.access(ours, os.X_OK):
            if args.ours or i == 0:
                print(f"skipped ours: {ours} not built (cargo build --release)")
            continue
        name = "ours" if i == 0 else f"ours #{i + 1}"
        if "x86_64-unknown-linux-gnu" in ours and not args.ours:
            name = "ours, static (dist.sh)"
        servers.append((name, [ours]))

    node = shutil.which("node")
    entry = os.path.join(args.reference, "build", "index.js")
    if node is None:
        print("skipped the reference: node is not installed")
    elif not os.path.exists(entry):
        print(f"skipped the reference: {entry} not found (npm install portkey-admin-mcp@0.12.0)")
    else:
        servers.append(("reference 0.12.0 (Node " + subprocess.run(
            [node, "--version"], capture_output=True, text=True).stdout.strip() + ")",
            [node, entry]))

    if not servers:
        return 0
    rounds = [[measure(name, argv, env, api, args) for name, argv in servers]
              for _ in range(max(args.rounds, 1))]
    rows = [median_row([r[i] for r in rounds]) for i in range(len(servers))]
    load = f"{args.bursts} bursts of {args.burst} pipelined get_config, then {args.waves} in waves of {args.wave}"
    print(f"load: {load}; stand-in delay {args.upstream_delay_ms:g} ms; {os.cpu_count()} cores")
    lines = [
        ("tools", "{tools}"),
        (f"start-up to tools/list (median of {args.starts})", "{startup_ms:.1f} ms"),
        ("idle RSS", "{idle_mb:.1f} MB"),
        ("CPU per call (user+sys)", "{cpu_us:.0f} us"),
        ("peak RSS during the load", "{peak_mb:.1f} MB"),
        (f"RSS {args.settle:g} s after the load", "{final_mb:.1f} MB"),
        ("peak simultaneous upstream requests", "{upstream_peak}"),
        ("throughput in waves", "{throughput:.0f} calls/s"),
        ("burst phase wall time", "{burst_s:.2f} s"),
        ("calls / upstream requests / errors", "{calls} / {upstream_requests} / {errors}"),
    ]
    width = max(len(label) for label, _ in lines)
    print(" " * (width + 2) + " | ".join(f"{r['name']:>28}" for r in rows))
    for label, fmt in lines:
        print(f"{label:<{width}}  " + " | ".join(f"{fmt.format(**r):>28}" for r in rows))
    if len(rounds) > 1:
        print(f"(each figure is the median of {len(rounds)} rounds; the servers took turns)")
    for i, rnd in enumerate(rounds if len(rounds) > 1 else []):
        for line in ratios(rnd):
            print(f"round {i + 1}: {line}")
    for line in ratios(rows):
        print(line)
    for r in rows:
        if r["errors"]:
            print(f"warning: {r['name']} answered {r['errors']} calls with an error; its figures are not comparable")
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
