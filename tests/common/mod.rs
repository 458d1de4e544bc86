//! Test harness: a recording loopback stand-in for the Portkey API, and an MCP client that drives
//! the real binary over stdio. Nothing here leaves 127.0.0.1.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod http;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::oneshot;

pub const TEST_KEY: &str = "pk-test-SECRET-key-0123456789";

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HashMap<String, String>,
    pub body: Option<Value>,
    pub raw_body: Vec<u8>,
    pub at: std::time::Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
    /// Query pairs sorted, as check.py compares them.
    pub fn sorted_query(&self) -> Vec<(String, String)> {
        let mut q = self.query.clone();
        q.sort();
        q
    }
}

/// What the stand-in answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, v: Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: v.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// The generic answer mock.py gives: a list for collection GETs, an item otherwise.
pub fn generic_reply(r: &Recorded) -> Reply {
    let item = json!({"id": "mock-id", "slug": "mock-slug", "name": "mock", "status": "active",
        "version_id": "mock-version", "created_at": "2026-01-01T00:00:00Z",
        "last_updated_at": "2026-01-01T00:00:00Z", "object": "mock"});
    let last = r
        .path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let mut out = serde_json::Map::new();
    if r.method == "GET" && !last.starts_with("mock") {
        out.insert("object".into(), json!("list"));
        out.insert("total".into(), json!(1));
        out.insert("has_more".into(), json!(false));
        out.insert("data".into(), json!([item.clone()]));
        for (k, v) in item.as_object().unwrap() {
            out.insert(k.clone(), v.clone());
        }
    } else {
        out.insert("success".into(), json!(true));
        for (k, v) in item.as_object().unwrap() {
            out.insert(k.clone(), v.clone());
        }
        out.insert("data".into(), json!([item.clone()]));
        out.insert("total".into(), json!(1));
    }
    Reply::json(200, Value::Object(out))
}

/// A recording HTTP/1.1 server on 127.0.0.1.
#[derive(Clone)]
pub struct StandIn {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
    responder: Arc<Mutex<Responder>>,
    /// Requests received and not yet answered, and the most seen at once.
    open: Arc<AtomicUsize>,
    peak_open: Arc<AtomicUsize>,
}

impl StandIn {
    pub async fn start() -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let s = StandIn {
            addr,
            log: Arc::new(Mutex::new(Vec::new())),
            responder: Arc::new(Mutex::new(Arc::new(generic_reply))),
            open: Arc::new(AtomicUsize::new(0)),
            peak_open: Arc::new(AtomicUsize::new(0)),
        };
        let me = s.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    break;
                };
                let me = me.clone();
                tokio::spawn(async move { me.serve_conn(sock).await });
            }
        });
        s
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
    pub fn root(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers every request with `f`.
    pub fn respond(&self, f: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) {
        *self.responder.lock().unwrap() = Arc::new(f);
    }
    /// Answers every request with the same JSON.
    pub fn reply_json(&self, status: u16, v: Value) {
        self.respond(move |_| Reply::json(status, v.clone()));
    }
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }
    pub fn clear(&self) {
        self.log.lock().unwrap().clear();
    }
    /// The most requests held open (received, not yet answered) at the same time since the last
    /// `reset_peak`.
    pub fn peak_open(&self) -> usize {
        self.peak_open.load(Ordering::SeqCst)
    }
    pub fn reset_peak(&self) {
        self.peak_open
            .store(self.open.load(Ordering::SeqCst), Ordering::SeqCst);
    }
    /// The only request received; fails if there were none or several.
    pub fn only(&self) -> Recorded {
        let r = self.requests();
        assert_eq!(r.len(), 1, "expected exactly one request, got {r:#?}");
        r.into_iter().next().unwrap()
    }

    async fn serve_conn(&self, sock: TcpStream) {
        let mut reader = BufReader::new(sock);
        loop {
            let Some((line, headers)) = read_head(&mut reader).await else {
                return;
            };
            let mut parts = line.splitn(3, ' ');
            let method = parts.next().unwrap_or("").to_string();
            let target = parts.next().unwrap_or("").to_string();
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut raw_body = vec![0u8; len];
            if len > 0 && reader.read_exact(&mut raw_body).await.is_err() {
                return;
            }
            let (path, qs) = target.split_once('?').unwrap_or((&target, ""));
            let query: Vec<(String, String)> = url::form_urlencoded::parse(qs.as_bytes())
                .into_owned()
                .collect();
            let body = if raw_body.is_empty() {
                None
            } else {
                serde_json::from_slice(&raw_body).ok()
            };
            let rec = Recorded {
                method,
                path: path.to_string(),
                query,
                headers,
                body,
                raw_body,
                at: std::time::Instant::now(),
            };
            let now_open = self.open.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak_open.fetch_max(now_open, Ordering::SeqCst);
            let answered = Answered(&self.open);
            self.log.lock().unwrap().push(rec.clone());
            let responder = self.responder.lock().unwrap().clone();
            let reply = responder(&rec);
            if !reply.delay.is_zero() {
                tokio::time::sleep(reply.delay).await;
            }
            let reason = match reply.status {
                200 => "OK",
                204 => "No Content",
                _ => "Status",
            };
            let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
            for (k, v) in &reply.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            if reply.status != 204 {
                head.push_str(&format!("content-length: {}\r\n", reply.body.len()));
            }
            head.push_str("\r\n");
            let mut out = head.into_bytes();
            if reply.status != 204 {
                out.extend_from_slice(&reply.body);
            }
            let sock = reader.get_mut();
            let written = sock.write_all(&out).await;
            drop(answered);
            if written.is_err() {
                return;
            }
        }
    }
}

/// Reads an HTTP request's head from `reader`: the request line (without its line end) and the
/// headers, names in lower case. `None` when the input ends (or fails) before the blank line.
pub async fn read_head<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> Option<(String, HashMap<String, String>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await.unwrap_or(0) == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Some((line.trim_end().to_string(), headers))
}

/// Counts a request as answered when dropped (also when the connection goes away first).
struct Answered<'a>(&'a AtomicUsize);

impl Drop for Answered<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub type ServerRequestHandler = Arc<dyn Fn(&Value) -> Value + Send + Sync>;

/// The binary under test, driven over stdio as an MCP client would.
pub struct Mcp {
    child: Child,
    stdin: Arc<tokio::sync::Mutex<ChildStdin>>,
    pending: Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>>,
    next_id: AtomicI64,
    stderr: Arc<Mutex<String>>,
    pub server_requests: Arc<Mutex<Vec<Value>>>,
    /// Every JSON stdout message that is neither a server request nor the answer to a pending
    /// request of ours (notifications, answers with an unknown or null id), in arrival order.
    pub unmatched: Arc<Mutex<Vec<Value>>>,
    pub init: Value,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_portkey-admin-mcp")
}

/// The environment that points the binary at `api` with the test key.
pub fn env_for(api: &StandIn) -> Vec<(String, String)> {
    vec![
        ("PORTKEY_API_KEY".into(), TEST_KEY.into()),
        ("PORTKEY_BASE_URL".into(), api.base()),
        ("PORTKEY_PUBLIC_BASE_URL".into(), api.root()),
        ("PORTKEY_ALLOW_PRIVATE_BASE_URL".into(), "true".into()),
        ("PORTKEY_ALLOW_INSECURE_HTTP".into(), "true".into()),
    ]
}

/// `env` with one variable set (replacing an earlier value).
pub fn with(mut env: Vec<(String, String)>, k: &str, v: &str) -> Vec<(String, String)> {
    env.retain(|(key, _)| key != k);
    env.push((k.into(), v.into()));
    env
}

/// [`with`] for each pair in turn.
pub fn with_all(env: Vec<(String, String)>, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().fold(env, |env, (k, v)| with(env, k, v))
}

impl Mcp {
    /// Starts the binary with exactly `env` (the parent's environment is not inherited).
    pub async fn start(env: &[(String, String)]) -> Mcp {
        Self::start_full(env, &[], json!({}), None).await
    }

    /// Starts with extra CLI args, client capabilities, and an answerer for server-initiated requests.
    pub async fn start_full(
        env: &[(String, String)],
        args: &[&str],
        capabilities: Value,
        on_request: Option<ServerRequestHandler>,
    ) -> Mcp {
        let mut cmd = Command::new(bin());
        cmd.env_clear()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn binary");
        let stdin = Arc::new(tokio::sync::Mutex::new(child.stdin.take().unwrap()));
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let pending: Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>> =
            Arc::new(Mutex::new(HashMap::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let server_requests = Arc::new(Mutex::new(Vec::new()));
        let unmatched = Arc::new(Mutex::new(Vec::new()));
        {
            let stderr = stderr.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr_pipe).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    let mut s = stderr.lock().unwrap();
                    s.push_str(&l);
                    s.push('\n');
                }
            });
        }
        {
            let pending = pending.clone();
            let server_requests = server_requests.clone();
            let unmatched = unmatched.clone();
            let stdin = stdin.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    let msg: Value =
                        serde_json::from_str(&l).unwrap_or_else(|_| json!({"__not_json__": l}));
                    if msg.get("method").is_some() && msg.get("id").is_some() {
                        server_requests.lock().unwrap().push(msg.clone());
                        let result = match &on_request {
                            Some(f) => f(&msg),
                            None => json!({"action": "cancel"}),
                        };
                        let reply = json!({"jsonrpc": "2.0", "id": msg["id"], "result": result});
                        let stdin = stdin.clone();
                        tokio::spawn(async move {
                            let mut w = stdin.lock().await;
                            let _ = w.write_all(format!("{reply}\n").as_bytes()).await;
                            let _ = w.flush().await;
                        });
                        continue;
                    }
                    if msg.get("__not_json__").is_some() {
                        server_requests.lock().unwrap().push(msg.clone());
                        continue;
                    }
                    let waiting = msg
                        .get("id")
                        .and_then(Value::as_i64)
                        .and_then(|id| pending.lock().unwrap().remove(&id));
                    match waiting {
                        Some(tx) => {
                            let _ = tx.send(msg);
                        }
                        None => unmatched.lock().unwrap().push(msg),
                    }
                }
            });
        }
        let mut mcp = Mcp {
            child,
            stdin,
            pending,
            next_id: AtomicI64::new(1),
            stderr,
            server_requests,
            unmatched,
            init: Value::Null,
        };
        let init = mcp
            .request(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": capabilities, "clientInfo": {"name": "test", "version": "1"}}),
            )
            .await;
        assert!(init.get("result").is_some(), "initialize failed: {init}");
        mcp.init = init;
        mcp.notify("notifications/initialized", json!({})).await;
        mcp
    }

    /// Writes raw bytes to the server's stdin (no newline added).
    pub async fn write_bytes(&self, bytes: &[u8]) {
        let mut w = self.stdin.lock().await;
        w.write_all(bytes).await.unwrap();
        w.flush().await.unwrap();
    }

    /// Waits (up to 30 s) for the next message in `unmatched` and takes it out.
    pub async fn next_unmatched(&self) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            {
                let mut u = self.unmatched.lock().unwrap();
                if !u.is_empty() {
                    return u.remove(0);
                }
            }
            if tokio::time::Instant::now() > deadline {
                panic!("no unmatched message (stderr: {})", self.stderr());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn write_line(&self, line: &str) {
        let mut w = self.stdin.lock().await;
        w.write_all(line.as_bytes()).await.unwrap();
        w.write_all(b"\n").await.unwrap();
        w.flush().await.unwrap();
    }

    /// Sends a request and returns the whole JSON-RPC response.
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.write_line(&msg.to_string()).await;
        match tokio::time::timeout(Duration::from_secs(30), rx).await {
            Ok(Ok(v)) => v,
            _ => panic!("no answer to {method} (stderr: {})", self.stderr()),
        }
    }

    pub async fn notify(&self, method: &str, params: Value) {
        let msg = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.write_line(&msg.to_string()).await;
    }

    /// Calls a tool and returns the envelope (structuredContent), checking it equals the text content.
    pub async fn call(&self, name: &str, args: Value) -> Value {
        let resp = self
            .request("tools/call", json!({"name": name, "arguments": args}))
            .await;
        let result = resp
            .get("result")
            .unwrap_or_else(|| panic!("tools/call {name} failed: {resp}"));
        let sc = result["structuredContent"].clone();
        let text = result["content"][0]["text"].as_str().unwrap_or("");
        let parsed: Value =
            serde_json::from_str(unfence(text)).expect("text content is JSON, fenced or not");
        assert_eq!(parsed, sc, "text and structuredContent differ");
        assert_eq!(
            result["isError"].as_bool().unwrap_or(false),
            sc["ok"] == json!(false)
        );
        sc
    }

    pub async fn list_tools(&self) -> Vec<Value> {
        let resp = self.request("tools/list", json!({})).await;
        assert!(
            resp["result"].get("nextCursor").is_none_or(Value::is_null),
            "tools/list must be one page"
        );
        resp["result"]["tools"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn child_id(&self) -> Option<u32> {
        self.child.id()
    }
}

/// The JSON inside an untrusted-data fence (the text itself when it is not fenced).
pub fn unfence(text: &str) -> &str {
    if !text.starts_with("The result of `") {
        return text;
    }
    let Some(open) = text.find("\n<untrusted-data-") else {
        return text;
    };
    let body_start = text[open + 1..].find('\n').map(|i| open + 1 + i + 1);
    let body_end = text.rfind("\n</untrusted-data-");
    match (body_start, body_end) {
        (Some(a), Some(b)) if a <= b => &text[a..b],
        _ => text,
    }
}

/// A stand-in and a server pointed at it.
pub struct Harness {
    pub api: StandIn,
    pub mcp: Mcp,
}

impl Harness {
    pub async fn start() -> Harness {
        let api = StandIn::start().await;
        let mcp = Mcp::start(&env_for(&api)).await;
        Harness { api, mcp }
    }
    pub async fn start_with(extra: &[(&str, &str)]) -> Harness {
        let api = StandIn::start().await;
        let mcp = Mcp::start(&with_all(env_for(&api), extra)).await;
        Harness { api, mcp }
    }
    /// Calls a tool and returns (envelope, requests sent by that call).
    pub async fn call(&self, name: &str, args: Value) -> (Value, Vec<Recorded>) {
        self.api.clear();
        let env = self.mcp.call(name, args).await;
        (env, self.api.requests())
    }
    /// Asserts the call was refused as invalid and sent nothing; returns the message.
    pub async fn refused(&self, name: &str, args: Value) -> String {
        let (env, sent) = self.call(name, args).await;
        assert_eq!(env["ok"], json!(false), "{name} should refuse: {env}");
        assert!(sent.is_empty(), "{name} sent {sent:?}");
        let msg = env["error"]["message"].as_str().unwrap_or("").to_string();
        assert!(
            msg.starts_with(&format!("Invalid arguments for \"{name}\"")),
            "{msg}"
        );
        msg
    }
}

/// A fresh directory under the system temp dir, unique to this process and moment.
pub fn tempdir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pkam-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// How many tools the server offers with every domain on, read from the registry itself: a tool
/// beyond the reference needs no edit to the tests that count.
pub fn tool_count() -> usize {
    let cfg = portkey_admin_mcp::config::Config::from_opts(
        &portkey_admin_mcp::config::Opts::default(),
        &portkey_admin_mcp::domain_names(),
    )
    .unwrap();
    portkey_admin_mcp::build_registry(&cfg)
        .unwrap()
        .tools()
        .len()
}

/// The contract fixture (a copy of the reference's recorded behaviour).
pub fn contract() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/contract.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Where the project deliberately differs from the contract because Portkey's OpenAPI says
/// otherwise: keys are example ids (`tool#case`) or tool names, each `{"spec": "METHOD /path",
/// "why": "..."}`. A tool name covers its schema comparison and all its examples.
pub fn deviations() -> serde_json::Map<String, Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/deviations.json"
    );
    match serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap() {
        Value::Object(m) => m,
        other => panic!("deviations.json must be an object, found {other}"),
    }
}
