// Side-by-side figures for the Streamable HTTP servers: this project's binary and the reference's
// `node build/server.js` (npm portkey-admin-mcp), both with MCP_AUTH_MODE=bearer, pointed at the same
// loopback Portkey stand-in. Measures resident memory idle and with 40 open sessions (each has
// listed the tools), and tools/call throughput with 16 concurrent clients, each on its own session,
// with the server's own CPU time per call (user + system, from /proc). The load generator and the
// Portkey stand-in share this one Node process and the machine's cores with the server measured.
//   node scripts/http-bench.mjs <our-binary> [<reference server.js>] [seconds]
// Bounded: every loop stops after the given seconds; everything is on 127.0.0.1.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { freePort, listStandIn, sleep, waitHealthy } from "./loopback.mjs";

const [ours, reference, secondsArg] = process.argv.slice(2);
const SECONDS = Number(secondsArg ?? 10);
const SESSIONS = 40;
const CLIENTS = 16;
const TOKEN = "bench-token-0123456789abcdef";

const { server: portkey, base: portkeyBase } = await listStandIn();

// User + system CPU seconds a process has used (/proc/<pid>/stat fields 14 and 15).
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+)/)[1]);
}


const headers = (session) => ({
  authorization: `Bearer ${TOKEN}`,
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
  ...(session ? { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" } : {}),
});

// The load goes through node:http with keep-alive connections (one per client): fetch() costs
// several times more CPU per request, and on 2 shared cores the load generator's CPU is taken
// from the servers it measures.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url, session, body) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", agent, headers: { ...headers(session), "content-length": Buffer.byteLength(data) } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, session: res.headers["mcp-session-id"], text: Buffer.concat(chunks).toString() }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

async function openSession(url) {
  const init = await post(url, null, {
    jsonrpc: "2.0", id: 1, method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
  });
  if (init.status !== 200 || !init.session) throw new Error(`initialize: ${init.status} ${init.text.slice(0, 200)}`);
  await post(url, init.session, { jsonrpc: "2.0", method: "notifications/initialized" });
  const list = await post(url, init.session, { jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
  if (!list.text.includes("list_workspaces")) throw new Error("tools/list failed");
  return init.session;
}

async function measure(name, command, args, env) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH,
      PORTKEY_API_KEY: "pk-bench-key-0123456789",
      PORTKEY_BASE_URL: `${portkeyBase}/v1`,
      PORTKEY_ALLOW_PRIVATE_BASE_URL: "true",
      PORTKEY_ALLOW_INSECURE_HTTP: "true",
      MCP_AUTH_MODE: "bearer",
      MCP_AUTH_TOKEN: TOKEN,
      MCP_PORT: String(port),
      MCP_MAX_SESSIONS: "100",
      RATE_LIMIT_ENABLED: "false",
      LOG_LEVEL: "error",
      ...env,
    },
    stdio: ["ignore", "ignore", "ignore"],
  });
  try {
    await waitHealthy(base, child, 300, 100);
    const url = `${base}/mcp`;
    await sleep(300);
    const idle = rssKiB(child.pid);
    const sessions = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push(await openSession(url));
    await sleep(500);
    const withSessions = rssKiB(child.pid);

    let calls = 0;
    let failures = 0;
    const latencies = [];
    const cpu0 = cpuSeconds(child.pid);
    const stopAt = Date.now() + SECONDS * 1000;
    let id = 100;
    await Promise.all(
      sessions.slice(0, CLIENTS).map(async (session) => {
        while (Date.now() < stopAt) {
          const t0 = performance.now();
          const r = await post(url, session, {
            jsonrpc: "2.0", id: id++, method: "tools/call",
            params: { name: "list_workspaces", arguments: {} },
          });
          latencies.push(performance.now() - t0);
          if (r.status === 200 && r.text.includes('"ok":true')) calls++;
          else failures++;
        }
      }),
    );
    const cpu = cpuSeconds(child.pid) - cpu0;
    const peak = rssKiB(child.pid);
    latencies.sort((a, b) => a - b);
    const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]?.toFixed(1);
    return {
      name,
      idle_rss_mib: (idle / 1024).toFixed(1),
      rss_40_sessions_mib: (withSessions / 1024).toFixed(1),
      rss_after_load_mib: (peak / 1024).toFixed(1),
      calls_per_s: (calls / SECONDS).toFixed(0),
      server_cpu_us_per_call: calls ? ((cpu / calls) * 1e6).toFixed(0) : "-",
      failures,
      p50_ms: p(0.5),
      p99_ms: p(0.99),
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
  }
}

const rows = [await measure("portkey-admin-mcp (Rust)", ours, ["http"], {})];
if (reference) rows.push(await measure("reference (node build/server.js)", "node", [reference], { NODE_ENV: "production" }));
console.table(rows);
if (rows.length === 2) {
  const [a, b] = rows;
  console.log(
    `memory with ${SESSIONS} sessions: ${(b.rss_40_sessions_mib / a.rss_40_sessions_mib).toFixed(1)}x less; ` +
      `throughput with ${CLIENTS} clients: ${(a.calls_per_s / b.calls_per_s).toFixed(1)}x`,
  );
}
portkey.close();
