#!/usr/bin/env python3
"""Measures what tools/list costs a client's context: compact JSON bytes of each tool entry
(name, description, inputSchema, outputSchema, annotations), summed per domain.

usage: scripts/tools-bytes.py [BINARY]   (default target/release/portkey-admin-mcp)
Reference figures (TypeScript portkey-admin-mcp 0.12.0) are printed beside ours.
"""
import json, os, subprocess, sys

REF = {"configs": 9394, "collections": 6217, "labels": 6926, "partials": 9022, "prompts": 31598,
       "keys": 26684, "secret-references": 24144, "providers": 9014, "integrations": 30469, "deployments": 10963,
       "guardrails": 25886, "limits": 21465, "mcp-integrations": 17708, "mcp-servers": 17295,
       "users": 15330, "workspaces": 25738, "audit": 2156, "analytics": 125480, "logging": 17025, "tracing": 3315}

def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/portkey-admin-mcp"
    env = {"PATH": os.environ.get("PATH", ""), "PORTKEY_API_KEY": "pk-measure"}
    catalog = json.loads(subprocess.run([binary, "tools", "--json"], env=env, capture_output=True, check=True).stdout)
    domain_of = {t["name"]: d["domain"] for d in catalog["domains"] for t in d["tools"]}
    msgs = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "m", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    ]
    p = subprocess.Popen([binary], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for m in msgs:
        p.stdin.write((json.dumps(m) + "\n").encode()); p.stdin.flush()
    tools = None
    while tools is None:
        line = p.stdout.readline()
        if not line: break
        msg = json.loads(line)
        if msg.get("id") == 2: tools = msg["result"]["tools"]
    p.kill()
    per = {}
    for t in tools:
        entry = {k: t[k] for k in ("name", "description", "inputSchema", "outputSchema", "annotations") if k in t}
        n = len(json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode())
        d = domain_of.get(t["name"], "?")
        per[d] = per.get(d, 0) + n
    total_ours = total_ref = 0
    print(f"{'domain':20} {'ours':>8} {'reference':>10} {'ratio':>6}")
    for d, n in per.items():
        r = REF.get(d, 0)
        total_ours += n; total_ref += r
        print(f"{d:20} {n:8} {r:10} {n / r if r else 0:6.2f}")
    print(f"{'all':20} {total_ours:8} {total_ref:10} {total_ours / total_ref if total_ref else 0:6.2f}  ({len(tools)} tools)")

main()
