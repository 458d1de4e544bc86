"""Drives `portkey-admin-mcp http` with the official Python MCP SDK's streamable HTTP client: list,
call, the read-only surface of a read-only token, and session end. Portkey is a small recording
stand-in on 127.0.0.1. Run with the `mcp` package installed:
    python3 scripts/http-python-sdk-check.py [path/to/portkey-admin-mcp]
"""

import asyncio
import http.server
import json
import os
import re
import subprocess
import sys
import threading

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

try:
    import httpx2 as httpx
except ImportError:  # older SDKs
    import httpx

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/debug/portkey-admin-mcp"
# How many tools the binary declares, so the checks carry no fixed count.
TOOLS = json.loads(subprocess.run([BIN, "tools", "--json"], env={"PATH": os.environ.get("PATH", "")}, capture_output=True, check=True).stdout)["tool_count"]
TOKEN = "py-writer-token-0123456789"
RO_TOKEN = "py-reader-token-0123456789"
KEY = "pk-python-check-key-0123456789"
seen = []
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(f"{'ok  ' if ok else 'FAIL'} {name} {'' if ok else detail}")


class StandIn(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        seen.append((self.command, self.path, self.headers.get("x-portkey-api-key")))
        body = b'{"object":"list","total":1,"data":[{"id":"ws-1","slug":"ws-a","name":"A"}]}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


async def session_for(url, token, body):
    client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with client, streamable_http_client(url, http_client=client) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await body(session)


async def main():
    portkey = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=portkey.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{portkey.server_address[1]}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PORTKEY_API_KEY": KEY,
        "PORTKEY_BASE_URL": f"{base}/v1",
        "PORTKEY_ALLOW_INSECURE_HTTP": "true",
        "PORTKEY_ALLOW_PRIVATE_BASE_URL": "true",
        "MCP_AUTH_TOKEN": TOKEN,
        "MCP_READ_ONLY_AUTH_TOKEN": RO_TOKEN,
        "MCP_PORT": "0",
    }
    server = subprocess.Popen([BIN, "http"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    match = re.search(r"MCP endpoint (\S+)", line)
    if not match:
        print(f"server did not start: {line}")
        server.kill()
        return 1
    url = match.group(1)
    try:
        async def writer(session):
            tools = await session.list_tools()
            check("tools/list lists every tool", len(tools.tools) == TOOLS, f"got {len(tools.tools)}")
            result = await session.call_tool("list_workspaces", {"page_size": 5})
            structured = getattr(result, "structured_content", None) or getattr(result, "structuredContent", None)
            ok = (structured or {}).get("ok") is True
            check("tools/call returns an ok envelope", ok, str(result)[:300])
            check("the server's key reached Portkey", any(k == KEY for (_, p, k) in seen if p.startswith("/v1/admin/workspaces")))

        await session_for(url, TOKEN, writer)

        async def reader(session):
            tools = await session.list_tools()
            names = [t.name for t in tools.tools]
            check("a read-only token sees only reading tools", 0 < len(names) < TOOLS and not any(n.startswith("delete_") for n in names), f"got {len(names)}")

        await session_for(url, RO_TOKEN, reader)
    except Exception as e:  # noqa: BLE001
        check("no unexpected error", False, repr(e))
    finally:
        server.terminate()
        code = server.wait(timeout=20)
        check("SIGTERM ends the server cleanly", code == 0, f"exit {code}")
        portkey.shutdown()
    print(f"python-sdk-check: {results['passed']} passed, {results['failed']} failed")
    return 0 if results["failed"] == 0 else 1


sys.exit(asyncio.run(main()))
