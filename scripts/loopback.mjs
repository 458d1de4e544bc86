// What the HTTP benchmark and check scripts share, all on 127.0.0.1: a free port, a Portkey
// stand-in that answers every request with one small workspace list, a throwaway redis-server,
// and waiting for a started server's /health.
import { execFileSync, spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

// The stand-in; `base` has no /v1 (the server is given `${base}/v1`).
export async function listStandIn() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"object":"list","total":1,"data":[{"id":"ws-1","slug":"ws-a","name":"A"}]}');
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

// A redis-server without persistence on a free port, once it accepts connections.
export async function startRedis() {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  child.on("error", () => {
    console.error("redis-server is not installed: apt-get install redis-server");
    process.exit(2);
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => s.end(() => resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) return { child, port, url: `redis://127.0.0.1:${port}/0` };
    await sleep(50);
  }
  throw new Error("redis-server did not start");
}

// The settings that keep an HTTP instance's sessions, events and rate limits in `redis` (from
// startRedis), with one fixed 32-byte event key, so every instance started with them shares state.
export function redisStores(redis) {
  return {
    MCP_REDIS_URL: redis.url,
    MCP_SESSION_STORE: "redis",
    MCP_EVENT_STORE: "redis",
    MCP_EVENT_ENCRYPTION_KEY: Buffer.from([...Array(32).keys()]).toString("base64"),
    RATE_LIMIT_STORE: "redis",
  };
}

// Resolves once GET `${base}/health` answers 2xx; throws if `child` exits first or it never does.
export async function waitHealthy(base, child, tries = 300, everyMs = 50) {
  for (let i = 0; i < tries; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {}
    await sleep(everyMs);
  }
  throw new Error("the server did not become healthy");
}

// How many tools the binary declares (`portkey-admin-mcp tools --json`), so checks need no fixed count.
export function toolCount(bin) {
  const out = execFileSync(bin, ["tools", "--json"], { env: { PATH: process.env.PATH } });
  return JSON.parse(out).tool_count;
}
