#!/usr/bin/env python3
"""Judges every tool against Portkey's OpenAPI description, using Prism mock servers as the API.

usage: scripts/prism_check.py --prism PRISM_BIN --spec OPENAPI.yaml [--binary PATH] [--json FILE]
                              [--contract FILE] [--deviations FILE] [--tool NAME] [--strict] [--quiet]

Normally started by scripts/prism-check.sh, which installs Prism and builds the binary first.
Python 3 standard library only (plus `node`, which Prism needs anyway, to read the YAML).

What it does
  * Starts two Prism mocks of the spec on loopback: one answering the spec's own examples (static),
    one generating answers from the schemas (`--dynamic`, fixed seed). Prism validates every request
    against the spec in both.
  * In front of each Prism runs a small recording proxy. The server under test is pointed at
    `http://127.0.0.1:PROXY/v1`, exactly as in production (`/v2` endpoints derive from it); the proxy
    drops the leading `/v1` or `/v2` segment, because the spec's paths are written without it
    (its `servers` entry carries `/v1`, and Prism matches request paths against the bare paths),
    forwards to Prism, and records what Prism said: status, `sl-violations` header, problem body.
  * Starts the binary twice (one per Prism) over stdio MCP and calls every example of every tool in
    the contract (tests/fixtures/contract.json).

How a call is judged (per example, per mock)
  * route: Prism's 404 NO_PATH_MATCHED means the spec does not describe the path (reported, not a
    failure: nothing to judge against); 405 NO_METHOD_MATCHED means it describes the path but not
    that method (a failure).
  * request: any request violation (a 422 problem body, or an `sl-violations` header entry located in
    the request) or a 401 security refusal is a failure, with Prism's own messages.
  * answer: when Prism accepted every request with a 2xx, the envelope must be ok:true (else a
    failure: the tool could not read a spec-shaped answer); "with data" means `data` is not
    null, {}, [] or "". Generated answers are random within the schemas (totals in the millions,
    arbitrary strings), so a tool that reads the static answer but not the generated one is
    reported, and fails the run only with --strict.

Spec-shaped ids and times: the contract's example values are placeholders (`id-1`, `2026-01-01`).
When Prism reports a `format` violation (uuid, date-time, date, email, uri) on a value the caller
supplied, that exact string is replaced everywhere in the example's arguments, and the example is
called again (at most three rounds):
  uuid -> uuid5(URL namespace, "portkey-admin-mcp:" + original), so the same placeholder always maps to
          the same UUID;  date-time -> "YYYY-MM-DDT00:00:00Z" from a leading date, else
          "2026-01-01T00:00:00Z";  date -> "2026-01-01" unless the value starts with a date;
  email -> "user@example.com";  uri -> "https://example.com/".
Values the server makes itself (timestamps, defaults) are never replaced, so their format violations
stay failures. Every replacement is listed in the report.

Prism accepts query parameters an operation does not declare, and body properties its schema does
not list unless the schema forbids them. The driver lists those too ("sent, but not declared by the
spec"), read from the spec itself; they do not fail the run.

Exit status: 1 when an example fails whose id and tool are both absent from
tests/fixtures/deviations.json (an entry there excuses a failure: it is still reported), 0 otherwise,
2 when the check itself could not run.
"""
import argparse, http.client, http.server, json, os, re, select, shutil, socket, subprocess, sys, tempfile
import threading, time, urllib.parse, uuid

SUBST_NS = uuid.NAMESPACE_URL
SUBSTITUTABLE = ("uuid", "date-time", "date", "email", "uri")
ANSWER_FAILURE = "Prism accepted the request(s), the tool answered"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def die(msg):
    print(f"prism-check: {msg}", file=sys.stderr)
    sys.exit(2)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- the spec


class Spec:
    """The spec's paths and methods, to name the template a request matched and what a path offers."""

    def __init__(self, doc):
        self.doc = doc
        self.routes = []
        for path, item in (doc.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            names = re.findall(r"\{([^}]+)\}", path)
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(path)) + "$"
            methods = sorted(m.upper() for m in item if m in METHODS)
            self.routes.append((path, re.compile(rx), names, methods))
        # Concrete segments win over parameters, as in Prism's router.
        self.routes.sort(key=lambda r: (len(r[2]), r[0]))

    def match(self, path):
        for template, rx, names, methods in self.routes:
            m = rx.match(path)
            if m:
                params = {n: urllib.parse.unquote(v) for n, v in zip(names, m.groups())}
                return template, params, methods
        return None, {}, []

    def resolve(self, x, depth=0):
        while isinstance(x, dict) and "$ref" in x and depth < 20:
            node = self.doc
            for part in x["$ref"].lstrip("#/").split("/"):
                node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
            x, depth = node, depth + 1
        return x if isinstance(x, dict) else {}

    def query_names(self, template, method):
        """The query parameters the operation declares, or None when the spec has no such operation."""
        item = self.resolve((self.doc.get("paths") or {}).get(template))
        op = self.resolve(item.get(method.lower()))
        if not op:
            return None
        params = [self.resolve(p) for p in (item.get("parameters") or []) + (op.get("parameters") or [])]
        return {p.get("name") for p in params if p.get("in") == "query"}

    def body_schema(self, template, method):
        item = self.resolve((self.doc.get("paths") or {}).get(template))
        body = self.resolve(self.resolve(item.get(method.lower())).get("requestBody"))
        content = body.get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), {})
        return self.resolve(media.get("schema")) if media else None

    def undeclared(self, schema, value, where="", depth=0):
        """Body properties no schema branch declares, where the schema lists its properties."""
        schema = self.resolve(schema)
        if depth > 30 or not schema:
            return []
        branches = [schema] + [self.resolve(b) for k in ("allOf", "oneOf", "anyOf") for b in schema.get(k) or []]
        if isinstance(value, list):
            items = next((b["items"] for b in branches if b.get("items")), None)
            if items is None:
                return []
            return [u for i, v in enumerate(value)
                    for u in self.undeclared(items, v, f"{where}.{i}" if where else str(i), depth + 1)]
        if not isinstance(value, dict):
            return []
        # A branch that lists no properties, or welcomes others, leaves every key open.
        if any(not b.get("properties") and b.get("type", "object") == "object" and not any(
                b.get(k) for k in ("allOf", "oneOf", "anyOf")) for b in branches):
            return []
        if any(b.get("additionalProperties") not in (None, False) for b in branches):
            return []
        out = []
        for key, v in value.items():
            subs = [b["properties"][key] for b in branches if key in (b.get("properties") or {})]
            here = f"{where}.{key}" if where else key
            if not subs:
                out.append(here)
            else:
                out += self.undeclared(subs[0], v, here, depth + 1)
        return out

    def near(self, path):
        """Up to three spec paths sharing the longest run of leading segments with a missing path."""
        want = path.strip("/").split("/")

        def shared(template):
            n = 0
            for a, b in zip(template.strip("/").split("/"), want):
                if a != b and not a.startswith("{"):
                    break
                n += 1
            return n

        scored = sorted(((shared(t), t) for t, _, _, _ in self.routes), key=lambda x: (-x[0], x[1]))
        return [t for n, t in scored if n > 0 and n == scored[0][0]][:3]


def load_spec(path, node_modules):
    if path.endswith(".json"):
        with open(path) as f:
            return json.load(f)
    # Prism ships js-yaml; read the YAML with it rather than adding a Python dependency.
    script = ("const y=require('js-yaml');const fs=require('fs');"
              "process.stdout.write(JSON.stringify(y.load(fs.readFileSync(process.argv[1],'utf8'))));")
    env = dict(os.environ, NODE_PATH=node_modules)
    r = subprocess.run(["node", "-e", script, path], capture_output=True, env=env)
    if r.returncode != 0:
        die(f"could not read {path} as YAML through node/js-yaml: {r.stderr.decode(errors='replace')[:300]}")
    return json.loads(r.stdout)


# ---------------------------------------------------------------- the recording proxy


class Proxy:
    """Loopback HTTP proxy: strips /v1 or /v2, forwards to one Prism, records each exchange."""

    def __init__(self, prism_port):
        self.prism_port = prism_port
        self.lock = threading.Lock()
        self.log = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def forward(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                status, headers, answer = proxy.exchange(self.command, self.path, self.headers, body)
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "keep-alive", "date"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def exchange(self, method, raw_path, headers, body):
        parts = urllib.parse.urlsplit(raw_path)
        path = parts.path
        version = None
        m = re.match(r"^/(v1|v2)(/.*)$", path)
        if m:
            version, path = m.group(1), m.group(2)
        target = path + (("?" + parts.query) if parts.query else "")
        fwd = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection", "content-length")}
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.prism_port, timeout=60)
            conn.request(method, target, body=body or None, headers=fwd)
            resp = conn.getresponse()
            status, rheaders, answer = resp.status, resp.getheaders(), resp.read()
            conn.close()
        except OSError as e:
            status, rheaders, answer = 502, [("content-type", "text/plain")], f"proxy: {e}".encode()
        try:
            sent = json.loads(body) if body else None
        except ValueError:
            sent = body.decode(errors="replace")
        entry = {
            "method": method, "sent_path": parts.path, "version": version, "path": urllib.parse.unquote(path),
            "raw_path": path, "query": urllib.parse.parse_qsl(parts.query, keep_blank_values=True),
            "body": sent, "status": status, "headers": {k.lower(): v for k, v in rheaders},
            "answer": answer.decode(errors="replace"),
        }
        with self.lock:
            self.log.append(entry)
        return status, rheaders, answer

    def take(self):
        with self.lock:
            out, self.log = self.log, []
        return out

    def close(self):
        self.server.shutdown()


# ---------------------------------------------------------------- Prism and the server under test


def start_prism(prism, spec_path, port, dynamic, logdir):
    cmd = [prism, "mock", spec_path, "--host", "127.0.0.1", "--port", str(port)]
    if dynamic:
        cmd += ["--dynamic", "--seed", "1"]
    log = open(os.path.join(logdir, f"prism-{'dynamic' if dynamic else 'static'}.log"), "w")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL), log


def wait_listening(proc, port, name, logpath, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            with open(logpath) as f:
                tail = f.read()[-1500:]
            die(f"Prism ({name}) exited with status {proc.returncode} before listening:\n{tail}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.25)
    die(f"Prism ({name}) did not listen on 127.0.0.1:{port} within {timeout} s")


class Mcp:
    """A minimal stdio MCP client: one JSON-RPC message a line."""

    def __init__(self, cmd, env, stderr):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env)
        self.buf = b""
        self.next_id = 0

    def send(self, msg):
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()

    def request(self, method, params, timeout=60):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.time() + timeout
        while True:
            while b"\n" not in self.buf:
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError(f"no answer to {method} within {timeout} s")
                ready, _, _ = select.select([self.p.stdout], [], [], left)
                if not ready:
                    continue
                chunk = os.read(self.p.stdout.fileno(), 1 << 16)
                if not chunk:
                    raise RuntimeError("the server closed its stdout")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            if not line.strip():
                continue
            msg = json.loads(line)
            if msg.get("id") == rid and ("result" in msg or "error" in msg):
                return msg

    def start(self):
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "prism-check", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=5)
        except Exception:
            self.p.kill()
            self.p.wait()


def envelope(msg):
    if "error" in msg:
        return {"ok": None, "error": f"JSON-RPC error {msg['error'].get('code')}: {msg['error'].get('message')}"}
    res = msg.get("result") or {}
    sc = res.get("structuredContent")
    if sc is None:
        try:
            sc = json.loads(((res.get("content") or [{}])[0]).get("text", ""))
        except (ValueError, AttributeError, IndexError):
            sc = None
    return sc if isinstance(sc, dict) else {"ok": None, "error": "no envelope in the answer"}


# ---------------------------------------------------------------- judging one call


def problem_of(entry):
    """Prism's problem+json body, if the answer is one."""
    if "problem+json" not in entry["headers"].get("content-type", ""):
        return None
    try:
        p = json.loads(entry["answer"])
    except ValueError:
        return None
    return p if isinstance(p, dict) else None


VIOLATION = re.compile(r'\{"location":\[([^\]]*)\],"severity":"(\w+)","code":"([^"]*)","message":"((?:[^"\\]|\\.)*)"')


def header_violations(raw):
    """The entries of an `sl-violations` header. Prism cuts a long header short ("Too many violations!
    [..."), so the entries are read one by one rather than as one JSON document."""
    out = []
    for loc, sev, code, msg in VIOLATION.findall(raw):
        try:
            out.append({"location": json.loads(f"[{loc}]"), "severity": sev, "code": code,
                        "message": json.loads(f'"{msg}"')})
        except ValueError:
            continue
    return out


def request_violations(entry):
    out = []
    for v in header_violations(entry["headers"].get("sl-violations", "")):
        if v["location"][:1] == ["request"]:
            out.append(dict(v, location=v["location"][1:]))
    p = problem_of(entry)
    if p and p.get("type", "").endswith("#UNPROCESSABLE_ENTITY"):
        for v in p.get("validation") or []:
            if v not in out:
                out.append(v)
    return [v for v in out if v.get("severity", "Error") == "Error"]


VALUE_CODES = ("type", "enum", "const", "format", "pattern", "minimum", "maximum", "exclusiveMinimum",
               "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "multipleOf", "minProperties",
               "maxProperties")


def describe(violations, entry, params):
    """Prism's messages, one clause each: long enum lists shortened, the value sent added where the
    complaint is about a value, and the per-branch `required` / `type` complaints of a failed
    oneOf/anyOf folded into that one clause."""
    def loc(v):
        return tuple(str(x) for x in v.get("location") or [])

    unions = {loc(v) for v in violations if re.search(r"schema in (oneOf|anyOf)", v.get("message", ""))}
    folded, parts = {}, []
    for v in violations:
        if loc(v) in unions and v.get("code") in ("required", "type"):
            m = re.search(r"(required property '[^']*'|must be \w+)$", v.get("message", ""))
            folded.setdefault(loc(v), []).append(m.group(1) if m else v.get("message", ""))
    for v in violations:
        msg, here = v.get("message") or v.get("code") or "?", loc(v)
        if here in unions and v.get("code") in ("required", "type"):
            continue
        m = re.match(r"^(.*allowed values: )(.*)$", msg)
        if m:
            values = m.group(2).split(", ")
            if len(values) > 6:
                msg = f"{m.group(1)}{', '.join(values[:5])}, ... ({len(values)} values)"
        if re.search(r"schema in (oneOf|anyOf)", msg) and folded.get(here):
            msg += f" (alternatives want: {' | '.join(folded[here])})"
        if v.get("code") in VALUE_CODES:
            sent = locate(entry, list(v.get("location") or []), params)
            if sent is not None:
                msg += f" (sent {shorten(sent)})"
        parts.append(msg)
    return "; ".join(parts)


def classify(entry, spec):
    """One exchange: route, violations, and a one-line reason if it failed."""
    template, params, methods = spec.match(entry["raw_path"])
    p = problem_of(entry) or {}
    kind = p.get("type", "").rsplit("#", 1)[-1] if p else ""
    c = {"method": entry["method"], "path": entry["sent_path"], "spec_path": template, "status": entry["status"],
         "params": params, "violations": request_violations(entry), "route": "ok", "reason": None}
    label = f"{entry['method']} {template or entry['path']}"
    declared = spec.query_names(template, entry["method"]) if template else None
    c["undeclared"] = []
    if declared is not None:
        c["undeclared"] = [f"query {k}" for k in sorted({k for k, _ in entry["query"] if k not in declared})]
        schema = spec.body_schema(template, entry["method"])
        if schema and entry["body"] is not None:
            c["undeclared"] += [f"body {u}" for u in spec.undeclared(schema, entry["body"])]
    if kind == "NO_PATH_MATCHED_ERROR" or (entry["status"] == 404 and template is None):
        c["route"] = "no_path"
        near = spec.near(entry["path"])
        via = " (a /v2 endpoint)" if entry["version"] == "v2" else ""
        c["reason"] = f"{entry['method']} {entry['path']}{via}: no such path in the spec" + (
            f" (nearby: {', '.join(near)})" if near else "")
    elif kind == "NO_METHOD_MATCHED_ERROR":
        c["route"] = "no_method"
        c["reason"] = f"{label}: the spec has no {entry['method']} here (it has {', '.join(methods) or 'none'})"
    elif kind == "UNAUTHORIZED":
        c["route"] = "auth"
        c["reason"] = f"{label}: refused by the spec's security requirements ({p.get('detail', '')[:120]})"
    elif c["violations"]:
        c["reason"] = f"{label}: {describe(c['violations'], entry, params)}"
    elif not 200 <= entry["status"] < 300:
        said = f"{p.get('title', '')}: {p.get('detail', '')}" if p else entry["answer"]
        c["reason"] = f"{label}: Prism answered {entry['status']} ({said[:200]})" + (
            f" (sent body {shorten(entry['body'])})" if entry["body"] is not None else "")
    return c


def shorten(value, width=100):
    shown = json.dumps(value)
    return shown if len(shown) <= width else shown[:width - 3] + "..."


def nonempty(data):
    return data not in (None, {}, [], "")


def locate(entry, loc, params):
    """The value a violation points at, read from what was sent."""
    if not loc:
        return None
    where, rest = loc[0], loc[1:]
    if where == "path" and rest:
        # Prism names path parameters in lower case.
        named = {k.lower(): v for k, v in params.items()}
        return named.get(str(rest[0]).lower())
    if where == "query" and rest:
        vals = [v for k, v in entry["query"] if k == rest[0]]
        return vals[0] if vals else None
    if where == "body":
        x = entry["body"]
        for k in rest:
            if isinstance(x, dict):
                x = x.get(k)
            elif isinstance(x, list) and str(k).isdigit() and int(k) < len(x):
                x = x[int(k)]
            else:
                return None
        return x
    return None


def replacement(fmt, value):
    if fmt == "uuid":
        return str(uuid.uuid5(SUBST_NS, "portkey-admin-mcp:" + value))
    day = re.match(r"^\d{4}-\d\d-\d\d", value)
    if fmt == "date-time":
        return (day.group(0) if day else "2026-01-01") + "T00:00:00Z"
    if fmt == "date":
        return day.group(0) if day else "2026-01-01"
    if fmt == "email":
        return "user@example.com"
    if fmt == "uri":
        return "https://example.com/"
    return None


def contains(x, value):
    if isinstance(x, dict):
        return any(contains(v, value) for v in x.values())
    if isinstance(x, list):
        return any(contains(v, value) for v in x)
    return x == value


def substitute(x, table):
    if isinstance(x, dict):
        return {k: substitute(v, table) for k, v in x.items()}
    if isinstance(x, list):
        return [substitute(v, table) for v in x]
    if isinstance(x, str) and x in table:
        return table[x]
    return x


def format_fixes(entries, classified, args):
    """Format violations on caller-supplied values, as {original: (format, replacement)}."""
    fixes = {}
    for e, c in zip(entries, classified):
        for v in c["violations"]:
            m = re.search(r'must match format "([^"]+)"', v.get("message", ""))
            if v.get("code") != "format" or not m or m.group(1) not in SUBSTITUTABLE:
                continue
            value = locate(e, list(v.get("location") or []), c["params"])
            if isinstance(value, str) and contains(args, value):
                new = replacement(m.group(1), value)
                if new and new != value:
                    fixes[value] = (m.group(1), new)
    return fixes


def call(mcp, proxy, spec, tool, args):
    proxy.take()
    try:
        env = envelope(mcp.request("tools/call", {"name": tool, "arguments": args}))
    except (TimeoutError, RuntimeError, ValueError) as e:
        env = {"ok": None, "error": f"no answer: {e}"}
    # The proxy records an exchange before it answers, so every request of this call is logged.
    entries = proxy.take()
    classified = [classify(e, spec) for e in entries]
    err = env.get("error")
    return {"entries": entries, "requests": classified, "ok": env.get("ok"),
            "data_nonempty": env.get("ok") is True and nonempty(env.get("data")),
            "error": (err.get("message") if isinstance(err, dict) else err)}


def verdict(run):
    """'local' (nothing sent), 'no_path', 'fail' or 'pass', with the failure reasons."""
    reqs = run["requests"]
    if not reqs:
        return "local", []
    reasons = [r["reason"] for r in reqs if r["reason"] and r["route"] != "no_path"]
    if any(r["route"] == "no_path" for r in reqs) and not reasons:
        return "no_path", [r["reason"] for r in reqs if r["route"] == "no_path"]
    if not reasons and run["ok"] is not True:
        reasons.append(f"{ANSWER_FAILURE} ok={json.dumps(run['ok'])}: "
                       f"{(run['error'] or '')[:240]}")
    return ("fail", reasons) if reasons else ("pass", [])


# ---------------------------------------------------------------- the run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prism", required=True, help="the prism executable")
    ap.add_argument("--spec", required=True, help="Portkey's OpenAPI description (YAML or JSON)")
    ap.add_argument("--binary", default="target/debug/portkey-admin-mcp")
    ap.add_argument("--contract", default="tests/fixtures/contract.json")
    ap.add_argument("--deviations", default="tests/fixtures/deviations.json")
    ap.add_argument("--json", help="also write the report as JSON to this file")
    ap.add_argument("--tool", action="append", help="only this tool (repeatable)")
    ap.add_argument("--strict", action="store_true",
                    help="a tool that reads only Prism's generated answers wrongly fails the run too")
    ap.add_argument("--quiet", action="store_true", help="no per-tool table, only totals and failures")
    opts = ap.parse_args()

    for what, path in (("binary", opts.binary), ("spec", opts.spec), ("contract", opts.contract)):
        if not os.path.exists(path):
            die(f"{what} not found: {path}")
    with open(opts.contract) as f:
        contract = json.load(f)
    deviations = {}
    if os.path.exists(opts.deviations):
        with open(opts.deviations) as f:
            deviations = json.load(f)
    tools = {n: t for n, t in contract["tools"].items() if not opts.tool or n in opts.tool}
    if not tools:
        die("no tool selected")
    # .../node_modules/.bin/prism -> .../node_modules, where Prism's own js-yaml lives.
    node_modules = os.path.dirname(os.path.dirname(os.path.abspath(opts.prism)))
    spec = Spec(load_spec(opts.spec, node_modules))

    logdir = tempfile.mkdtemp(prefix="prism-check-")
    started = time.time()
    prisms, logs, proxies, servers = {}, [], {}, {}
    try:
        for mode in ("static", "dynamic"):
            port = free_port()
            proc, log = start_prism(opts.prism, opts.spec, port, mode == "dynamic", logdir)
            prisms[mode] = (proc, port)
            logs.append(log)
        for mode, (proc, port) in prisms.items():
            wait_listening(proc, port, mode, os.path.join(logdir, f"prism-{mode}.log"))
            proxies[mode] = Proxy(port)
        for mode, proxy in proxies.items():
            base = f"http://127.0.0.1:{proxy.port}"
            env = dict(os.environ, PORTKEY_API_KEY="pk-prism-check-dummy", PORTKEY_BASE_URL=base + "/v1",
                       PORTKEY_PUBLIC_BASE_URL=base, PORTKEY_ALLOW_INSECURE_HTTP="true",
                       PORTKEY_ALLOW_PRIVATE_BASE_URL="true", PORTKEY_MAX_RETRIES="0",
                       PORTKEY_TIMEOUT_MS="30000", LOG_LEVEL="error")
            for k in ("PORTKEY_WORKSPACE_ID", "PORTKEY_READ_ONLY", "PORTKEY_TOOLS", "PORTKEY_EXCLUDE_TOOLS",
                      "PORTKEY_TOOL_DOMAINS", "MCP_TOOL_DOMAINS", "PORTKEY_CONFIRM_DESTRUCTIVE", "PORTKEY_AUDIT_LOG",
                      "RUST_LOG"):
                env.pop(k, None)
            errlog = open(os.path.join(logdir, f"server-{mode}.log"), "w")
            logs.append(errlog)
            servers[mode] = Mcp([opts.binary], env, errlog)
            servers[mode].start()
        report = run_all(tools, deviations, spec, servers, proxies, opts.strict)
    finally:
        for s in servers.values():
            s.close()
        for p in proxies.values():
            p.close()
        for proc, _ in prisms.values():
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()

    failed = report["totals"]["gating_failures"] > 0
    if not failed:
        shutil.rmtree(logdir, ignore_errors=True)
    report["meta"] = {"spec": opts.spec, "binary": opts.binary, "logs": logdir if failed else None,
                      "seconds": round(time.time() - started, 1)}
    print_report(report, opts.quiet)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        print(f"report written to {opts.json}")
    if failed:
        print(f"Prism's and the server's logs: {logdir}")
    sys.exit(1 if failed else 0)


def run_all(tools, deviations, spec, servers, proxies, strict):
    examples, per_tool = [], {}
    for name, t in tools.items():
        rows = []
        for ex in t["examples"]:
            args, subs = ex["args"], {}
            static = call(servers["static"], proxies["static"], spec, name, args)
            for _ in range(3):
                fixes = format_fixes(static["entries"], static["requests"], args)
                fixes = {k: v for k, v in fixes.items() if k not in subs}
                if not fixes:
                    break
                subs.update(fixes)
                args = substitute(ex["args"], {k: v[1] for k, v in subs.items()})
                static = call(servers["static"], proxies["static"], spec, name, args)
            dynamic = call(servers["dynamic"], proxies["dynamic"], spec, name, args)
            sv, sreasons = verdict(static)
            dv, dreasons = verdict(dynamic)
            listed = name in deviations or ex["id"] in deviations
            row = {
                "id": ex["id"], "tool": name, "listed": listed,
                "substituted": [{"from": k, "format": v[0], "to": v[1]} for k, v in subs.items()],
                "undeclared": [f"{r['method']} {r['spec_path']}: {u}" for r in static["requests"]
                               for u in r["undeclared"]],
                "requests": [{k: r[k] for k in ("method", "path", "spec_path", "status", "route", "violations")}
                             for r in static["requests"]],
                "static": {"verdict": sv, "ok": static["ok"], "data": static["data_nonempty"], "error": static["error"],
                           "reasons": sreasons},
                "dynamic": {"verdict": dv, "ok": dynamic["ok"], "data": dynamic["data_nonempty"],
                            "error": dynamic["error"], "reasons": dreasons},
            }
            rows.append(row)
            examples.append(row)
        per_tool[name] = summarize_tool(name, t, rows, deviations)
    failures = []
    for row in examples:
        # Request complaints are the same on both mocks; an unreadable answer is told per mock.
        where = {}
        for mode in ("static", "dynamic"):
            for reason in row[mode]["reasons"] if row[mode]["verdict"] == "fail" else []:
                where.setdefault(reason, []).append(mode)
        for reason, modes in where.items():
            kind = "answer" if reason.startswith(ANSWER_FAILURE) else "request"
            generated_only = kind == "answer" and modes == ["dynamic"]
            failures.append({"id": row["id"], "tool": row["tool"], "kind": kind, "modes": modes, "reason": reason,
                             "listed": row["listed"], "gating": not row["listed"] and (strict or not generated_only)})
    for f in failures:
        per_tool[f["tool"]]["failed" if f["gating"] or f["listed"] else "warned"] = True
    sent_tools = [s for s in per_tool.values() if s["sent"]]
    described = [s for s in sent_tools if s["described"] == "yes"]
    totals = {
        "tools": len(per_tool),
        "examples": len(examples),
        "tools_sending_requests": len(sent_tools),
        "tools_described": len(described),
        "tools_partly_described": sum(1 for s in sent_tools if s["described"] == "partly"),
        "tools_not_described": sorted(s["tool"] for s in sent_tools if s["described"] == "no"),
        "tools_spec_valid": sum(1 for s in described if s["valid"]),
        "tools_ok_data_static": sum(1 for s in described if s["ok_data_static"]),
        "tools_ok_data_dynamic": sum(1 for s in described if s["ok_data_dynamic"]),
        "examples_judged": sum(1 for r in examples if r["static"]["verdict"] in ("pass", "fail")),
        "examples_spec_valid": sum(1 for r in examples if r["static"]["verdict"] in ("pass", "fail")
                                   and all(q["route"] == "ok" and not q["violations"] and 200 <= q["status"] < 300
                                           for q in r["requests"])),
        "examples_ok_data_static": sum(1 for r in examples if r["static"]["verdict"] == "pass" and r["static"]["data"]),
        "examples_ok_data_dynamic": sum(1 for r in examples if r["dynamic"]["verdict"] == "pass" and r["dynamic"]["data"]),
        "examples_local": sum(1 for r in examples if r["static"]["verdict"] == "local"),
        "examples_substituted": sum(1 for r in examples if r["substituted"]),
        "tools_sending_undeclared": sum(1 for s in per_tool.values() if s["undeclared"]),
        "failing_tools": sorted({f["tool"] for f in failures}),
        "gating_failures": sum(1 for f in failures if f["gating"]),
        "listed_failures": sum(1 for f in failures if f["listed"]),
        "generated_only_failures": sum(1 for f in failures if not f["listed"] and not f["gating"]),
    }
    return {"totals": totals, "tools": per_tool, "failures": failures, "examples": examples}


def summarize_tool(name, t, rows, deviations):
    sent = [r for r in rows if r["static"]["verdict"] != "local"]
    judged = [r for r in sent if r["static"]["verdict"] in ("pass", "fail")]
    nopath = [r for r in sent if any(q["route"] == "no_path" for q in r["requests"])]
    described = "n/a" if not sent else "no" if len(nopath) == len(sent) else "partly" if nopath else "yes"

    def valid(r):
        return all(q["route"] == "ok" and not q["violations"] and 200 <= q["status"] < 300 for q in r["requests"])

    spec_paths = sorted({f"{q['method']} {q['spec_path']}" for r in sent for q in r["requests"] if q["spec_path"]})
    return {
        "tool": name, "domain": t.get("domain"), "examples": len(rows), "sent": len(sent), "judged": len(judged),
        "described": described, "spec_paths": spec_paths,
        "valid_examples": sum(1 for r in judged if valid(r)),
        "valid": bool(judged) and all(valid(r) for r in judged) and described == "yes",
        "ok_data_static_examples": sum(1 for r in judged if r["static"]["verdict"] == "pass" and r["static"]["data"]),
        "ok_data_dynamic_examples": sum(1 for r in judged if r["dynamic"]["verdict"] == "pass" and r["dynamic"]["data"]),
        "ok_data_static": bool(judged) and described == "yes"
        and all(r["static"]["verdict"] == "pass" and r["static"]["data"] for r in judged),
        "ok_data_dynamic": bool(judged) and described == "yes"
        and all(r["dynamic"]["verdict"] == "pass" and r["dynamic"]["data"] for r in judged),
        "failed": False,
        "warned": False,
        "listed": name in deviations or any(r["listed"] for r in rows),
        "substituted": sorted({s["from"] for r in rows for s in r["substituted"]}),
        "undeclared": sorted({u for r in rows for u in r["undeclared"]}),
    }


def print_report(report, quiet):
    tools, totals = report["tools"], report["totals"]
    if not quiet:
        print(f"{'tool':44} {'ex':>3} {'spec path':10} {'valid':>6} {'static':>7} {'dynamic':>8}  verdict")
        for s in tools.values():
            j = s["judged"]
            verdict_ = ("FAIL" if s["failed"] else "pass, but not on generated answers" if s["warned"] else "pass" if j
                        else "local only" if not s["sent"] else "not in spec")
            if s["failed"] and s["listed"]:
                verdict_ += " (listed in deviations.json)"
            if s["substituted"]:
                verdict_ += " [ids/dates substituted]"
            print(f"{s['tool']:44} {s['examples']:>3} {s['described']:10} {s['valid_examples']:>3}/{j:<2} "
                  f"{s['ok_data_static_examples']:>4}/{j:<2} {s['ok_data_dynamic_examples']:>5}/{j:<2}  {verdict_}")
        print("  (valid, static, dynamic: examples judged against the spec that sent spec-valid requests, and that"
              " answered ok:true with data on Prism's static and generated answers)")
    subs = sorted({(s["from"], s["format"], s["to"]) for r in report["examples"] for s in r["substituted"]})
    if subs:
        print(f"\nspec-shaped values substituted for contract placeholders ({totals['examples_substituted']} examples):")
        for frm, fmt, to in subs:
            print(f"  {frm!r} -> {to!r} ({fmt})")
    if totals["tools_not_described"]:
        print(f"\ntools whose paths the spec does not describe ({len(totals['tools_not_described'])}):")
        for n in totals["tools_not_described"]:
            reasons = sorted({reason for r in report["examples"] if r["tool"] == n
                              for reason in r["static"]["reasons"]})
            print(f"  {n}: {'; '.join(reasons)[:300]}")
    if totals["tools_sending_undeclared"]:
        print(f"\nsent, but not declared by the spec ({totals['tools_sending_undeclared']} tools; Prism lets these"
              " through and the API may ignore them; reported, not gating):")
        for s in tools.values():
            by_endpoint = {}
            for u in s["undeclared"]:
                endpoint, what = u.split(": ", 1)
                by_endpoint.setdefault(endpoint, []).append(what)
            for endpoint, whats in by_endpoint.items():
                print(f"  {s['tool']}: {endpoint}: {', '.join(whats)}")
    fails = report["failures"]
    if fails:
        print(f"\nfailures ({len(fails)} in {len(totals['failing_tools'])} tools; one line each, grouped by tool;"
              " [answer: ...] names the mock whose answer the tool could not read):")
        last = None
        for f in fails:
            if f["tool"] != last:
                last = f["tool"]
                print(f"  {f['tool']}" + (" (listed in deviations.json)" if tools[f["tool"]]["listed"] else ""))
            tag = "" if f["kind"] == "request" else f" [answer: {'+'.join(f['modes'])}]"
            tag += "" if f["gating"] or f["listed"] else " (generated answers only: not gating without --strict)"
            print(f"    {f['id'].split('#', 1)[-1]}{tag}: {f['reason']}")
    sent = totals["tools_sending_requests"]
    print(f"\nprism-check: {totals['tools']} tools, {totals['examples']} examples "
          f"({totals['examples_local']} refused locally, nothing sent)")
    print(f"  tools whose paths the spec describes:      {totals['tools_described']}/{sent}"
          f" ({totals['tools_partly_described']} partly, {len(totals['tools_not_described'])} not at all)")
    d = totals["tools_described"]
    print(f"  tools sending spec-valid requests:         {totals['tools_spec_valid']}/{d}")
    print(f"  tools ok with data, static answers:        {totals['tools_ok_data_static']}/{d}")
    print(f"  tools ok with data, generated answers:     {totals['tools_ok_data_dynamic']}/{d}")
    print(f"  examples judged {totals['examples_judged']}: spec-valid {totals['examples_spec_valid']}, "
          f"ok with data static {totals['examples_ok_data_static']}, dynamic {totals['examples_ok_data_dynamic']}")
    print(f"  tools sending parameters or properties the spec does not declare: {totals['tools_sending_undeclared']}")
    print(f"  failures: {len(fails)} in {len(totals['failing_tools'])} tools: {totals['gating_failures']} gating, "
          f"{totals['listed_failures']} excused by deviations.json, {totals['generated_only_failures']} on generated"
          f" answers only; {report['meta']['seconds']} s")


if __name__ == "__main__":
    main()
