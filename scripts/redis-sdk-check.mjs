// The official TypeScript SDK's StreamableHTTPClientTransport against two instances sharing Redis,
// through a small round-robin proxy without sticky sessions (each request goes to the next
// instance; a refused connection is retried on the other, as nginx's proxy_next_upstream does).
// One session is opened, listed and called across both instances; one instance is then killed and
// the same client and session carry on; finally the session ends everywhere.
//   node redis-sdk-check.mjs <portkey-admin-mcp binary>   (run by scripts/redis-sdk-check.sh)
import { spawn } from "node:child_process";
import http from "node:http";
import { freePort, listStandIn, redisStores, startRedis, toolCount, waitHealthy } from "./loopback.mjs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const bin = process.argv[2];
const TOKEN = "sdk-redis-token-0123456789";
let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name} ${ok ? "" : detail}`);
}

const { server: portkey, base: portkeyBase } = await listStandIn();

const redis = await startRedis();

async function instance() {
  const port = await freePort();
  const child = spawn(bin, ["http"], {
    env: {
      PORTKEY_API_KEY: "pk-sdk-redis-key-0123456789",
      PORTKEY_BASE_URL: `${portkeyBase}/v1`,
      PORTKEY_ALLOW_INSECURE_HTTP: "true",
      PORTKEY_ALLOW_PRIVATE_BASE_URL: "true",
      MCP_AUTH_TOKEN: TOKEN,
      MCP_PORT: String(port),
      MCP_TRUST_PROXY: "loopback",
      ...redisStores(redis),
    },
    stdio: ["ignore", "ignore", "ignore"],
  });
  await waitHealthy(`http://127.0.0.1:${port}`, child, 200);
  return { child, port, served: 0 };
}
const upstreams = [await instance(), await instance()];

// The proxy: round robin, no stickiness, the other instance on a refused connection.
let turn = 0;
const proxy = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const first = turn++ % 2;
    const attempt = (i, left) => {
      const up = upstreams[i];
      const fwd = http.request(
        { host: "127.0.0.1", port: up.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          up.served++;
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
        },
      );
      fwd.on("error", () => {
        if (left > 0 && !res.headersSent) attempt((i + 1) % 2, left - 1);
        else res.destroy();
      });
      fwd.end(body);
    };
    attempt(first, 1);
  });
});
await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
const url = new URL(`http://127.0.0.1:${proxy.address().port}/mcp`);

const transport = new StreamableHTTPClientTransport(url, {
  requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
});
const client = new Client({ name: "redis-sdk-check", version: "1" });
client.onerror = () => {};
try {
  await client.connect(transport);
  check("the SDK opens a session through the proxy", Boolean(transport.sessionId));
  const tools = await client.listTools();
  check("tools/list", tools.tools.length === toolCount(bin), `${tools.tools.length}`);
  let ok = 0;
  for (let i = 0; i < 6; i++) {
    const r = await client.callTool({ name: "list_workspaces", arguments: {} });
    if (r.structuredContent?.ok === true) ok++;
  }
  check("6 calls of one session, spread over both instances", ok === 6 && upstreams.every((u) => u.served > 0),
    `ok=${ok} served=${upstreams.map((u) => u.served)}`);

  upstreams[0].child.kill("SIGKILL");
  await new Promise((r) => upstreams[0].child.on("exit", r));
  const before = upstreams[1].served;
  ok = 0;
  for (let i = 0; i < 6; i++) {
    const r = await client.callTool({ name: "list_workspaces", arguments: {} });
    if (r.structuredContent?.ok === true) ok++;
  }
  check("one instance killed: the same client and session carry on with the other", ok === 6 && upstreams[1].served >= before + 6, `ok=${ok}`);

  const session = transport.sessionId;
  await transport.terminateSession();
  const after = await fetch(url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TOKEN}`, accept: "application/json, text/event-stream", "content-type": "application/json",
      "mcp-session-id": session, "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 99, method: "tools/list", params: {} }),
  });
  check("the ended session is gone", after.status === 404, `${after.status}`);
} catch (e) {
  check("the SDK run", false, e?.stack ?? String(e));
} finally {
  await client.close().catch(() => {});
  for (const u of upstreams) if (u.child.exitCode === null) u.child.kill("SIGKILL");
  redis.child.kill("SIGKILL");
  proxy.close();
  portkey.close();
}
console.log(`redis-sdk-check: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
