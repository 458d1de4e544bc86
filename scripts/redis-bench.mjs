// Several instances sharing Redis (sessions, stream events, rate limits in Redis):
//   1. tools/call throughput with 1 instance and with 2, under the same client load (16 clients,
//      each on its own session; with 2 instances every request goes to the next instance in turn,
//      as a proxy without stickiness would send it, so each call also moves its session);
//   2. failover: 8 clients calling in a loop through a client-side "proxy" that sends each request
//      to the next instance and, on a refused connection or a 503, to the other one (as nginx's
//      proxy_next_upstream does); one instance is stopped mid-run (SIGKILL, then SIGTERM) and the
//      longest time any client went without an answer is reported, with the failed calls.
//   node scripts/redis-bench.mjs <portkey-admin-mcp binary> [seconds]
// Starts its own redis-server (loopback, no persistence); everything is on 127.0.0.1.
import { spawn } from "node:child_process";
import http from "node:http";
import { freePort, listStandIn, redisStores, sleep, startRedis, waitHealthy } from "./loopback.mjs";

const [binary, secondsArg] = process.argv.slice(2);
if (!binary) {
  console.error("usage: node scripts/redis-bench.mjs <portkey-admin-mcp binary> [seconds]");
  process.exit(2);
}
const SECONDS = Number(secondsArg ?? 10);
const CLIENTS = 16;
const TOKEN = "bench-token-0123456789abcdef";

const { server: portkey, base: portkeyBase } = await listStandIn();

const redis = await startRedis();

const children = [];
async function startInstance(stores) {
  const port = await freePort();
  const child = spawn(binary, ["http"], {
    env: {
      PORTKEY_API_KEY: "pk-bench-key-0123456789",
      PORTKEY_BASE_URL: `${portkeyBase}/v1`,
      PORTKEY_ALLOW_PRIVATE_BASE_URL: "true",
      PORTKEY_ALLOW_INSECURE_HTTP: "true",
      MCP_AUTH_MODE: "bearer",
      MCP_AUTH_TOKEN: TOKEN,
      MCP_PORT: String(port),
      MCP_MAX_SESSIONS: "200",
      RATE_LIMIT_MAX: "100000000",
      LOG_LEVEL: "error",
      ...(stores ? redisStores(redis) : {}),
    },
    stdio: ["ignore", "ignore", "ignore"],
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base, child);
  return { child, url: `${base}/mcp` };
}

function stop(inst, signal) {
  inst.child.kill(signal);
  return new Promise((r) => (inst.child.exitCode !== null ? r() : inst.child.on("exit", r)));
}

const headers = (session) => ({
  authorization: `Bearer ${TOKEN}`,
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
  ...(session ? { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" } : {}),
});

async function post(url, session, body) {
  const r = await fetch(url, { method: "POST", headers: headers(session), body: JSON.stringify(body) });
  return { status: r.status, session: r.headers.get("mcp-session-id"), text: await r.text() };
}

async function openSession(url) {
  const init = await post(url, null, {
    jsonrpc: "2.0", id: 1, method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
  });
  if (init.status !== 200 || !init.session) throw new Error(`initialize: ${init.status} ${init.text.slice(0, 200)}`);
  await post(url, init.session, { jsonrpc: "2.0", method: "notifications/initialized" });
  return init.session;
}

let nextId = 100;
const call = (url, session) =>
  post(url, session, { jsonrpc: "2.0", id: nextId++, method: "tools/call", params: { name: "list_workspaces", arguments: {} } });

// 1. Throughput.
async function throughput(label, count, stores, sticky = false) {
  const instances = [];
  for (let i = 0; i < count; i++) instances.push(await startInstance(stores));
  const sessions = [];
  for (let i = 0; i < CLIENTS; i++) sessions.push(await openSession(instances[i % count].url));
  let calls = 0;
  let failures = 0;
  const stopAt = Date.now() + SECONDS * 1000;
  await Promise.all(
    sessions.map(async (session, c) => {
      let turn = c;
      while (Date.now() < stopAt) {
        const r = await call(instances[(sticky ? c : turn++) % count].url, session);
        if (r.status === 200 && r.text.includes('"ok":true')) calls++;
        else failures++;
      }
    }),
  );
  for (const inst of instances) await stop(inst, "SIGTERM");
  return { setup: label, calls_per_s: Math.round(calls / SECONDS), failures };
}

const rows = [];
rows.push(await throughput("1 instance, stores in memory", 1, false));
rows.push(await throughput("1 instance, stores in Redis", 1, true));
rows.push(await throughput("2 instances, stores in Redis, each client on one", 2, true, true));
rows.push(await throughput("2 instances, stores in Redis, requests alternate", 2, true));
console.table(rows);

// 2. Failover.
async function failover(signal) {
  const instances = [await startInstance(true), await startInstance(true)];
  const alive = [true, true];
  const sessions = [];
  for (let i = 0; i < 8; i++) sessions.push(await openSession(instances[i % 2].url));
  let failures = 0;
  let calls = 0;
  let worstGap = 0;
  let worstBefore = 0;
  let stopping = false;
  const stopAt = Date.now() + 6000;
  const clients = sessions.map(async (session, c) => {
    let turn = c;
    let lastOk = performance.now();
    while (Date.now() < stopAt) {
      let answered = false;
      for (let attempt = 0; attempt < 2 && !answered; attempt++) {
        const i = turn++ % 2;
        try {
          const r = await call(instances[i].url, session);
          if (r.status === 200 && r.text.includes('"ok":true')) answered = true;
          else if (r.status !== 503) break;
        } catch {
          // Connection refused or reset: try the other instance.
        }
      }
      const now = performance.now();
      if (answered) {
        calls++;
        if (stopping) worstGap = Math.max(worstGap, now - lastOk);
        else worstBefore = Math.max(worstBefore, now - lastOk);
        lastOk = now;
      } else {
        failures++;
      }
    }
  });
  await sleep(2000);
  stopping = true;
  alive[0] = false;
  await stop(instances[0], signal);
  await Promise.all(clients);
  await stop(instances[1], "SIGTERM");
  return {
    stopped_with: signal,
    calls,
    failed_calls: failures,
    longest_wait_before_ms: worstBefore.toFixed(1),
    longest_wait_after_ms: worstGap.toFixed(1),
  };
}

const fo = [await failover("SIGKILL"), await failover("SIGTERM")];
console.table(fo);
for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
redis.child.kill("SIGKILL");
portkey.close();
