// Drives `portkey-admin-mcp http` with the official TypeScript SDK's StreamableHTTPClientTransport:
// list, call, elicitation (a destructive call confirmed by the client), the read-only surface of a
// read-only token, a refused token, session end, and shutdown on SIGTERM. Portkey is a small
// recording stand-in on 127.0.0.1; nothing leaves the machine.
import { spawn } from "node:child_process";
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { toolCount } from "./loopback.mjs";

const bin = process.argv[2];
const TOOLS = toolCount(bin);
const TOKEN = "sdk-writer-token-0123456789";
const RO_TOKEN = "sdk-reader-token-0123456789";
let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

// The Portkey stand-in: records requests, answers a generic item or list.
const seen = [];
const portkey = http.createServer((req, res) => {
  seen.push({ method: req.method, url: req.url, key: req.headers["x-portkey-api-key"] });
  req.resume();
  req.on("end", () => {
    const item = { id: "ws-1", slug: "ws-a", name: "A", object: "workspace" };
    const body = req.method === "GET" ? { object: "list", total: 1, data: [item] } : { success: true, ...item };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
});
await new Promise((r) => portkey.listen(0, "127.0.0.1", r));
const portkeyBase = `http://127.0.0.1:${portkey.address().port}`;

const server = spawn(bin, ["http"], {
  env: {
    PATH: process.env.PATH,
    PORTKEY_API_KEY: "pk-sdk-check-key-0123456789",
    PORTKEY_BASE_URL: `${portkeyBase}/v1`,
    PORTKEY_PUBLIC_BASE_URL: portkeyBase,
    PORTKEY_ALLOW_INSECURE_HTTP: "true",
    PORTKEY_ALLOW_PRIVATE_BASE_URL: "true",
    PORTKEY_CONFIRM_DESTRUCTIVE: "true",
    MCP_AUTH_TOKEN: TOKEN,
    MCP_READ_ONLY_AUTH_TOKEN: RO_TOKEN,
    MCP_PORT: "0",
  },
  stdio: ["ignore", "ignore", "pipe"],
});
let stderr = "";
const endpoint = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30000);
  server.stderr.on("data", (d) => {
    stderr += d.toString();
    const m = stderr.match(/MCP endpoint (\S+)/);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  server.on("exit", (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
});

function connect(token, capabilities = {}) {
  const client = new Client({ name: "sdk-check", version: "1.0.0" }, { capabilities });
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  return { client, transport, ready: client.connect(transport) };
}

try {
  // A writer that can answer elicitation.
  const w = connect(TOKEN, { elicitation: {} });
  let asked = null;
  w.client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked = req.params.message;
    return { action: "accept", content: { confirm: true } };
  });
  await w.ready;
  check("initialize gives a session id", typeof w.transport.sessionId === "string" && w.transport.sessionId.length > 0);
  const tools = await w.client.listTools();
  check("tools/list lists every tool", tools.tools.length === TOOLS, `got ${tools.tools.length}`);
  const list = await w.client.callTool({ name: "list_workspaces", arguments: { page_size: 5 } });
  check("tools/call returns an ok envelope", list.structuredContent?.ok === true, JSON.stringify(list).slice(0, 300));
  check("the server's key is sent to Portkey", seen.some((s) => s.url.startsWith("/v1/admin/workspaces") && s.key === "pk-sdk-check-key-0123456789"));
  const del = await w.client.callTool({ name: "delete_workspace", arguments: { workspace_id: "ws-9" } });
  check("a destructive call asks the client (elicitation over SSE)", typeof asked === "string" && asked.includes("DELETE"), String(asked));
  check("the confirmed call is sent", del.structuredContent?.ok === true && seen.some((s) => s.method === "DELETE" && s.url.endsWith("/ws-9")), JSON.stringify(del).slice(0, 300));
  const res = await w.client.readResource({ uri: "portkey-admin://docs/workflow-guide" });
  check("resources/read works", res.contents?.[0]?.text?.length > 100);

  // A reader gets the read-only surface.
  const r = connect(RO_TOKEN);
  await r.ready;
  const roTools = await r.client.listTools();
  check("a read-only token sees only reading tools", roTools.tools.length < TOOLS && roTools.tools.every((t) => !t.name.startsWith("delete_")), `got ${roTools.tools.length}`);
  await r.transport.terminateSession();
  check("DELETE /mcp ends the session", r.transport.sessionId === undefined);
  await r.client.close();

  // A wrong token is refused.
  const bad = connect("not-the-right-token-0123456789");
  let refused = false;
  try {
    await bad.ready;
  } catch (e) {
    refused = e?.code === 401 || /401|nauthori/i.test(String(e));
    if (!refused) console.log("wrong-token error:", e?.code, String(e));
  }
  check("a wrong token is refused with 401", refused, refused ? "" : "connect did not fail as expected");

  await w.client.close();
} catch (e) {
  check("no unexpected error", false, String(e?.stack ?? e));
}

const exited = new Promise((r) => server.on("exit", (code, signal) => r({ code, signal })));
server.kill("SIGTERM");
const { code } = await exited;
check("SIGTERM ends the server cleanly", code === 0, `exit ${code}`);
check("the key never reaches the log", !stderr.includes("pk-sdk-check-key-0123456789"));
portkey.close();
console.log(`sdk-check: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
