//! A client and a process wrapper for the Streamable HTTP server, shared by the tests that drive
//! it over loopback HTTP (tests/http.rs, tests/redis.rs).

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{StandIn, bin, env_for, with_all};

pub const TOKEN: &str = "writer-token-0123456789abcdef";
pub const RO_TOKEN: &str = "reader-token-0123456789abcdef";
pub const PROTOCOL: &str = "2025-06-18";

/// The binary serving HTTP.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `portkey-admin-mcp http` with exactly `env` (plus MCP_PORT=0) and waits for its
    /// "listening on" line.
    pub async fn start(env: &[(String, String)]) -> Server {
        let mut child = http_command(env).spawn().expect("spawn binary");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        {
            let stderr = stderr.clone();
            let pipe = child.stderr.take().unwrap();
            tokio::spawn(async move {
                let mut tx = Some(tx);
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    if let Some(rest) = l.split("listening on ").nth(1)
                        && let Some(tx) = tx.take()
                    {
                        let addr = rest.split(';').next().unwrap_or("").to_string();
                        let _ = tx.send(addr);
                    }
                    let mut s = stderr.lock().unwrap();
                    s.push_str(&l);
                    s.push('\n');
                }
            });
        }
        let addr = match tokio::time::timeout(Duration::from_secs(30), rx).await {
            Ok(Ok(a)) => a,
            _ => panic!(
                "the server did not start: {}",
                stderr.lock().unwrap().clone()
            ),
        };
        Server {
            child,
            base: format!("http://{addr}"),
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn client(&self, token: Option<&str>) -> Client {
        Client {
            http: http_client(),
            url: self.url("/mcp"),
            token: token.map(str::to_string),
            session: None,
            extra: Vec::new(),
            next_id: 1,
        }
    }
}

/// `portkey-admin-mcp http` with exactly `env` (plus MCP_PORT=0, unless `env` names a port), its
/// stderr piped.
fn http_command(env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_clear()
        .arg("http")
        .env("MCP_PORT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary with `env` and returns its exit code and stderr (for start-up refusals).
pub async fn start_fails(env: &[(String, String)]) -> (i32, String) {
    let mut cmd = http_command(env);
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("the server should refuse to start")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The answer to one POST: status, headers, and the JSON-RPC messages in its body (plain JSON
/// or server-sent events).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub messages: Vec<Value>,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The message that answers a request (has `result` or `error`).
    pub fn response(&self) -> Value {
        self.messages
            .iter()
            .find(|m| m.get("result").is_some() || m.get("error").is_some())
            .cloned()
            .unwrap_or_else(|| panic!("no JSON-RPC answer in {:?}", self.text))
    }
}

pub async fn read_answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let mut messages = Vec::new();
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        messages.push(v);
    } else {
        for line in text.lines() {
            if let Some(data) = line.strip_prefix("data:")
                && let Ok(v) = serde_json::from_str::<Value>(data.trim())
            {
                messages.push(v);
            }
        }
    }
    Answer {
        status,
        headers,
        messages,
        text,
    }
}

/// A minimal Streamable HTTP client.
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
    pub token: Option<String>,
    pub session: Option<String>,
    pub extra: Vec<(String, String)>,
    pub next_id: i64,
}

impl Client {
    pub fn with_all(mut self, k: &str, v: &str) -> Client {
        self.extra.push((k.into(), v.into()));
        self
    }

    pub fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut rb = self
            .http
            .request(method, &self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(s) = &self.session {
            rb = rb
                .header("mcp-session-id", s)
                .header("mcp-protocol-version", PROTOCOL);
        }
        for (k, v) in &self.extra {
            rb = rb.header(k, v);
        }
        rb
    }

    pub async fn post(&self, body: &Value) -> Answer {
        let resp = self
            .request(reqwest::Method::POST)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        read_answer(resp).await
    }

    pub async fn initialize_answer(&mut self) -> Answer {
        let body = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "http-test", "version": "1"}}});
        self.post(&body).await
    }

    /// initialize + notifications/initialized; returns the initialize result.
    pub async fn initialize(&mut self) -> Value {
        let a = self.initialize_answer().await;
        assert_eq!(a.status, 200, "initialize: {}", a.text);
        self.session = a.header("mcp-session-id").map(str::to_string);
        let result = a.response()["result"].clone();
        assert!(result.is_object(), "initialize: {}", a.text);
        let n = self
            .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(n.status, 202, "initialized: {}", n.text);
        result
    }

    pub async fn rpc(&mut self, method: &str, params: Value) -> Answer {
        self.next_id += 1;
        let body =
            json!({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params});
        self.post(&body).await
    }

    pub async fn tools(&mut self) -> Vec<String> {
        let a = self.rpc("tools/list", json!({})).await;
        assert_eq!(a.status, 200, "tools/list: {}", a.text);
        a.response()["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// Calls a tool; returns the envelope (structuredContent).
    pub async fn call(&mut self, name: &str, args: Value) -> Value {
        let a = self
            .rpc("tools/call", json!({"name": name, "arguments": args}))
            .await;
        assert_eq!(a.status, 200, "tools/call {name}: {}", a.text);
        a.response()["result"]["structuredContent"].clone()
    }

    pub async fn delete(&self) -> u16 {
        self.request(reqwest::Method::DELETE)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// The stand-in's environment plus a writer and a reader token.
pub fn bearer_env(api: &StandIn) -> Vec<(String, String)> {
    with_all(
        env_for(api),
        &[
            ("MCP_AUTH_TOKEN", TOKEN),
            ("MCP_READ_ONLY_AUTH_TOKEN", RO_TOKEN),
        ],
    )
}

pub fn error_message(a: &Answer) -> String {
    let v: Value = serde_json::from_str(&a.text).unwrap_or(Value::Null);
    v["error"]["message"].as_str().unwrap_or("").to_string()
}
