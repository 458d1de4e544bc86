//! Several instances in front of one Redis: a real `redis-server` on a free loopback port and
//! two `portkey-admin-mcp http` processes pointed at the same Portkey stand-in. Sessions move
//! between instances and survive one of them stopping, a stream resumes on the other instance
//! with `Last-Event-ID`, the rate limit is shared, Redis going away and coming back is survived,
//! and nothing in Redis is readable plain text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::http::{Client, RO_TOKEN, Server, TOKEN, bearer_env, error_message, start_fails};
use common::{Reply, StandIn, TEST_KEY, tool_count, with_all};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// base64 of the 32 bytes 0..31: the events' key in these tests.
const EVENT_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const MARKER: &str = "MARKER-result-7f3a9c";

/// A `redis-server` of the test's own, without persistence, on a loopback port.
struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// With TLS: the directory holding ca.pem, server.pem and server.key.
    tls: Option<std::path::PathBuf>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    async fn start() -> RedisServer {
        let mut r = RedisServer {
            child: None,
            port: free_port(),
            tls: None,
        };
        r.launch().await;
        r
    }

    /// A server that speaks only TLS, with a certificate for 127.0.0.1 from a CA of its own.
    async fn start_tls() -> RedisServer {
        let dir = common::tempdir("redis-tls");
        let sh = |script: &str| {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(script)
                .current_dir(&dir)
                .output()
                .expect("sh");
            assert!(
                out.status.success(),
                "{script}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        sh(
            "command -v openssl >/dev/null || { echo 'openssl is not installed: apt-get install openssl' >&2; exit 1; }",
        );
        sh(&format!(
            "openssl req -x509 {ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=pkam-test-ca 2>/dev/null"
        ));
        sh(&format!(
            "openssl req {ec} -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null"
        ));
        sh(
            "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null",
        );
        let mut r = RedisServer {
            child: None,
            port: free_port(),
            tls: Some(dir),
        };
        r.launch().await;
        r
    }

    async fn launch(&mut self) {
        let port = self.port.to_string();
        let mut args: Vec<String> = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        match &self.tls {
            None => args.extend(["--port".into(), port]),
            Some(dir) => {
                let f = |n: &str| dir.join(n).to_string_lossy().into_owned();
                args.extend([
                    "--port".into(),
                    "0".into(),
                    "--tls-port".into(),
                    port,
                    "--tls-cert-file".into(),
                    f("server.pem"),
                    "--tls-key-file".into(),
                    f("server.key"),
                    "--tls-ca-cert-file".into(),
                    f("ca.pem"),
                    "--tls-auth-clients".into(),
                    "no".into(),
                ]);
            }
        }
        let spawned = Command::new("redis-server")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed; these tests need a real one: apt-get install redis-server"
            ),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        self.child = Some(child);
        for _ in 0..100 {
            let up = match self.tls {
                None => self.ping().await,
                Some(_) => tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                    .await
                    .is_ok(),
            };
            if up {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not come up on port {}", self.port);
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    async fn conn(&self) -> Option<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url()).ok()?;
        tokio::time::timeout(
            Duration::from_secs(2),
            client.get_multiplexed_async_connection(),
        )
        .await
        .ok()?
        .ok()
    }

    async fn ping(&self) -> bool {
        let Some(mut c) = self.conn().await else {
            return false;
        };
        let pong: Result<String, _> = redis::cmd("PING").query_async(&mut c).await;
        pong.is_ok()
    }

    async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().await.unwrap();
            let _ = c.wait().await;
        }
    }

    /// Freezes the server (SIGSTOP) or thaws it (SIGCONT): while frozen, connections stay open
    /// and nothing answers.
    fn pause(&self, on: bool) {
        let pid = self.child.as_ref().unwrap().id().unwrap();
        let status = std::process::Command::new("kill")
            .arg(if on { "-STOP" } else { "-CONT" })
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Every key and every byte of its value (strings, hashes, streams).
    async fn contents(&self) -> Vec<(String, Vec<u8>)> {
        let mut c = self.conn().await.expect("connect to redis");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut c)
            .await
            .unwrap();
        let mut out = Vec::new();
        for k in keys {
            let kind: String = redis::cmd("TYPE")
                .arg(&k)
                .query_async(&mut c)
                .await
                .unwrap();
            let mut bytes = Vec::new();
            match kind.as_str() {
                "string" => {
                    let v: Vec<u8> = redis::cmd("GET").arg(&k).query_async(&mut c).await.unwrap();
                    bytes.extend(v);
                }
                "hash" => {
                    let v: Vec<Vec<u8>> = redis::cmd("HGETALL")
                        .arg(&k)
                        .query_async(&mut c)
                        .await
                        .unwrap();
                    for part in v {
                        bytes.extend(part);
                    }
                }
                "stream" => {
                    let v: redis::Value = redis::cmd("XRANGE")
                        .arg(&k)
                        .arg("-")
                        .arg("+")
                        .query_async(&mut c)
                        .await
                        .unwrap();
                    flatten(&v, &mut bytes);
                }
                other => panic!("unexpected Redis type {other} for {k}"),
            }
            out.push((k, bytes));
        }
        out
    }
}

fn flatten(v: &redis::Value, out: &mut Vec<u8>) {
    match v {
        redis::Value::BulkString(b) => out.extend(b),
        redis::Value::SimpleString(s) => out.extend(s.as_bytes()),
        redis::Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        _ => {}
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Bearer auth against the stand-in, with sessions, events and rate limits in `redis`.
fn shared_env(api: &StandIn, redis: &RedisServer, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("MCP_REDIS_URL", redis.url()),
        ("MCP_SESSION_STORE", "redis".into()),
        ("MCP_REDIS_COMMAND_TIMEOUT_MS", "700".into()),
        ("RUST_LOG", "warn".into()),
    ];
    for (k, v) in extra {
        pairs.push((k, v.to_string()));
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    with_all(bearer_env(api), &pairs)
}

/// The same client, pointed at another instance.
fn moved(c: &Client, to: &Server) -> Client {
    let mut m = to.client(c.token.as_deref());
    m.session = c.session.clone();
    m.next_id = c.next_id + 100;
    m
}

fn workspaces_reply(api: &StandIn) {
    api.reply_json(
        200,
        json!({"object": "list", "total": 1, "data": [{"id": "ws-1", "slug": MARKER, "name": "A"}]}),
    );
}

#[tokio::test]
async fn a_session_moves_between_instances_and_outlives_one() {
    let redis = RedisServer::start().await;
    let api = StandIn::start().await;
    workspaces_reply(&api);
    let env = shared_env(&api, &redis, &[]);
    let a = Server::start(&env).await;
    let mut b = Server::start(&env).await;

    let mut on_a = a.client(Some(TOKEN));
    on_a.initialize().await;
    let env_a = on_a.call("list_workspaces", json!({})).await;
    assert_eq!(env_a["ok"], true, "{env_a}");
    api.clear();

    // The session opened on A is served by B: B rebuilds it from Redis.
    let mut on_b = moved(&on_a, &b);
    let tools = on_b.tools().await;
    assert_eq!(tools.len(), tool_count(), "the writer's surface on B too");
    let env_b = on_b.call("list_workspaces", json!({"page_size": 3})).await;
    assert_eq!(env_b["ok"], true, "{env_b}");
    let sent = api.only();
    assert_eq!(sent.path, "/v1/admin/workspaces");
    assert_eq!(sent.header("x-portkey-api-key"), Some(TEST_KEY));

    // Another principal cannot use it on either instance.
    let mut thief = moved(&on_a, &b);
    thief.token = Some(RO_TOKEN.into());
    let stolen = thief.rpc("tools/list", json!({})).await;
    assert_eq!(stolen.status, 404, "{}", stolen.text);

    // A stops; the client carries on with B, and with A's session.
    drop(a);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let env_b = on_b.call("list_workspaces", json!({})).await;
    assert_eq!(env_b["ok"], true, "{env_b}");

    // A new instance takes it over as well.
    let c = Server::start(&env).await;
    let mut on_c = moved(&on_b, &c);
    assert_eq!(on_c.tools().await.len(), tool_count());

    // Ending it on C ends it everywhere.
    assert_eq!(on_c.delete().await, 200);
    let gone = on_b.rpc("tools/list", json!({})).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
    assert!(
        redis
            .contents()
            .await
            .iter()
            .all(|(k, _)| !k.contains(":s:")),
        "the session's record is gone from Redis"
    );
    assert!(!b.stderr().contains(TEST_KEY) && !b.stderr().contains(TOKEN));
    b.child.kill().await.unwrap();
}

#[tokio::test]
async fn a_read_only_session_stays_read_only_on_the_other_instance() {
    let redis = RedisServer::start().await;
    let api = StandIn::start().await;
    let env = shared_env(&api, &redis, &[]);
    let a = Server::start(&env).await;
    let b = Server::start(&env).await;
    let mut ro = a.client(Some(RO_TOKEN));
    ro.initialize().await;
    let on_a = ro.tools().await.len();
    let mut on_b = moved(&ro, &b);
    let tools = on_b.tools().await;
    assert_eq!(tools.len(), on_a);
    assert!(tools.len() < tool_count() && !tools.iter().any(|t| t.starts_with("delete_")));
}

#[tokio::test]
async fn a_callers_own_key_stays_bound_to_its_session_across_instances() {
    let redis = RedisServer::start().await;
    let api = StandIn::start().await;
    workspaces_reply(&api);
    let env: Vec<(String, String)> = shared_env(&api, &redis, &[])
        .into_iter()
        .filter(|(k, _)| k != "PORTKEY_API_KEY")
        .collect();
    let a = Server::start(&env).await;
    let b = Server::start(&env).await;
    let alice_key = "pk-alice-own-key-0123456789";
    let mut alice = a
        .client(Some(TOKEN))
        .with_all("x-portkey-api-key", alice_key);
    alice.initialize().await;
    api.clear();

    // On B, with the same key: served, with that key.
    let mut on_b = moved(&alice, &b).with_all("x-portkey-api-key", alice_key);
    let env_b = on_b.call("list_workspaces", json!({})).await;
    assert_eq!(env_b["ok"], true, "{env_b}");
    assert_eq!(api.only().header("x-portkey-api-key"), Some(alice_key));

    // On B, the same session with another key: refused, nothing sent.
    api.clear();
    let mut switched = moved(&alice, &b).with_all("x-portkey-api-key", "pk-mallory-key-0123456789");
    let refused = switched.rpc("tools/list", json!({})).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(api.requests().is_empty());

    // Redis keeps the binding as a digest only.
    for (k, v) in redis.contents().await {
        assert!(!contains(&v, alice_key) && !k.contains(alice_key), "{k}");
    }
}

/// Posts a tool call and reads its stream only up to the first event id, then hangs up.
async fn call_and_hang_up(c: &Client, id: i64, name: &str) -> String {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": name, "arguments": {}}});
    let mut resp = c
        .request(reqwest::Method::POST)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut text = String::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        text.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(idline) = text.lines().find_map(|l| l.strip_prefix("id:")) {
            assert!(
                !text.contains(MARKER),
                "the answer came before the hang-up; the stand-in must be slower"
            );
            return idline.trim().to_string();
        }
    }
    panic!("no event id in {text:?}");
}

/// Reconnects with `Last-Event-ID` and reads the stream to its JSON-RPC answer.
async fn resume(c: &Client, last: &str) -> (u16, String, Option<Value>) {
    let mut resp = c
        .request(reqwest::Method::GET)
        .header("accept", "text/event-stream")
        .header("last-event-id", last)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let chunk = match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            _ => break,
        };
        text.push_str(&String::from_utf8_lossy(&chunk));
        let answer = text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|m| m.get("result").is_some() || m.get("error").is_some());
        if answer.is_some() {
            return (status, text, answer);
        }
    }
    (status, text, None)
}

#[tokio::test]
async fn a_stream_resumes_on_the_other_instance_and_redis_holds_no_plain_text() {
    let redis = RedisServer::start().await;
    let api = StandIn::start().await;
    api.respond(|_| {
        Reply::json(
            200,
            json!({"object": "list", "total": 1, "data": [{"id": "ws-1", "slug": MARKER, "name": "A"}]}),
        )
        .delay(Duration::from_millis(1500))
    });
    let env = shared_env(
        &api,
        &redis,
        &[
            ("MCP_EVENT_STORE", "redis"),
            ("MCP_EVENT_ENCRYPTION_KEY", EVENT_KEY),
            ("RATE_LIMIT_STORE", "redis"),
        ],
    );
    let a = Server::start(&env).await;
    let b = Server::start(&env).await;
    let mut on_a = a.client(Some(TOKEN));
    on_a.initialize().await;

    // The call starts on A; the client hangs up after the first event and goes to B.
    let last = call_and_hang_up(&on_a, 7, "list_workspaces").await;
    let on_b = moved(&on_a, &b);
    let (status, text, answer) = resume(&on_b, &last).await;
    assert_eq!(status, 200, "{text}");
    let answer = answer.unwrap_or_else(|| panic!("no answer after resuming: {text:?}"));
    assert_eq!(answer["id"], 7);
    let envelope = &answer["result"]["structuredContent"];
    assert_eq!(envelope["ok"], true, "{answer}");
    assert!(answer.to_string().contains(MARKER));
    assert_eq!(api.requests().len(), 1, "the call was made once, on A");

    // Resuming again from the same point replays the same answer (from Redis, on A now).
    let (_, _, again) = resume(&on_a, &last).await;
    assert_eq!(again.unwrap()["id"], 7);

    // An id this server never sent is refused; rmcp's own priming id ("0", before anything is
    // stored) gets the live standalone stream; another principal cannot resume the stream.
    let (status, _, _) = resume(&on_b, "0/1").await;
    assert_eq!(status, 400);
    let live = on_b
        .request(reqwest::Method::GET)
        .header("accept", "text/event-stream")
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(
        live.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    drop(live);
    let mut thief = moved(&on_a, &b);
    thief.token = Some(RO_TOKEN.into());
    let (status, _, answer) = resume(&thief, &last).await;
    assert_eq!(status, 404);
    assert!(answer.is_none());

    // Redis holds the session, the events and the buckets, and none of it is readable.
    let contents = redis.contents().await;
    assert!(
        contents.iter().any(|(k, _)| k.contains(":ev:")),
        "events are stored"
    );
    assert!(
        contents.iter().any(|(k, _)| k.contains(":s:")),
        "the session is stored"
    );
    assert!(
        contents.iter().any(|(k, _)| k.contains(":rl:")),
        "buckets are stored"
    );
    let session = on_a.session.clone().unwrap();
    for (k, v) in &contents {
        for secret in [
            MARKER,
            TEST_KEY,
            TOKEN,
            RO_TOKEN,
            session.as_str(),
            "list_workspaces",
        ] {
            assert!(!k.contains(secret), "key {k} names {secret}");
            assert!(
                !contains(v, secret),
                "the value of {k} holds {secret} in plain text"
            );
        }
    }
}

#[tokio::test]
async fn events_in_redis_keep_to_their_caps_and_ttl() {
    let redis = RedisServer::start().await;
    let api = StandIn::start().await;
    workspaces_reply(&api);
    let env = shared_env(
        &api,
        &redis,
        &[
            ("MCP_EVENT_STORE", "redis"),
            ("MCP_EVENT_ENCRYPTION_KEY", EVENT_KEY),
            ("MCP_EVENT_STORE_MAX_EVENTS", "1"),
            ("MCP_EVENT_TTL_SECONDS", "2"),
        ],
    );
    let a = Server::start(&env).await;
    let mut c = a.client(Some(TOKEN));
    c.initialize().await;
    for _ in 0..3 {
        assert_eq!(c.call("list_workspaces", json!({})).await["ok"], true);
    }
    let mut conn = redis.conn().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("pkmcp:ev:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    let streams: Vec<&String> = keys.iter().filter(|k| !k.ends_with(":bytes")).collect();
    assert_eq!(streams.len(), 3, "one stream a call: {keys:?}");
    for k in streams {
        let len: i64 = redis::cmd("XLEN")
            .arg(k)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            len, 1,
            "MCP_EVENT_STORE_MAX_EVENTS=1 keeps the newest event only"
        );
        let ttl: i64 = redis::cmd("PTTL")
            .arg(k)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            ttl > 0 && ttl <= 2000,
            "expires MCP_EVENT_TTL_SECONDS after: {ttl}"
        );
    }
}

#[tokio::test]
async fn the_memory_event_store_resumes_on_the_same_instance() {
    let api = StandIn::start().await;
    api.respond(|_| {
        Reply::json(
            200,
            json!({"object": "list", "total": 0, "data": [], "note": MARKER}),
        )
        .delay(Duration::from_millis(800))
    });
    let env = with_all(bearer_env(&api), &[("MCP_EVENT_STORE", "memory")]);
    let a = Server::start(&env).await;
    let mut c = a.client(Some(TOKEN));
    c.initialize().await;
    let last = call_and_hang_up(&c, 9, "list_workspaces").await;
    let (status, text, answer) = resume(&c, &last).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(answer.unwrap()["id"], 9, "{text}");
}

#[tokio::test]
async fn the_rate_limit_is_shared_by_the_instances() {
    let redis = RedisServer::start().await;
    let api = StandIn::start().await;
    let limited = |store: &str| {
        shared_env(
            &api,
            &redis,
            &[
                ("RATE_LIMIT_STORE", store),
                ("RATE_LIMIT_MAX", "4"),
                ("RATE_LIMIT_WINDOW_MS", "600000"),
            ],
        )
    };
    let a = Server::start(&limited("redis")).await;
    let b = Server::start(&limited("redis")).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..6 {
        let server = if i % 2 == 0 { &a } else { &b };
        let mut c = server.client(Some(TOKEN));
        let ans = c.initialize_answer().await;
        statuses.push(ans.status);
        if ans.status == 429 {
            retry_after = ans.header("retry-after").map(str::to_string);
            assert!(error_message(&ans).contains("Too many requests"));
        }
    }
    assert_eq!(
        statuses,
        vec![200, 200, 200, 200, 429, 429],
        "one limit of 4 for both"
    );
    let secs: u64 = retry_after.unwrap().parse().unwrap();
    assert!(
        (100..=150).contains(&secs),
        "a token comes back every 150 s: {secs}"
    );

    // With buckets in memory each instance counts alone: 4 on each.
    let c1 = Server::start(&limited("memory")).await;
    let c2 = Server::start(&limited("memory")).await;
    let mut ok = 0;
    for i in 0..8 {
        let server = if i % 2 == 0 { &c1 } else { &c2 };
        if server.client(Some(TOKEN)).initialize_answer().await.status == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 8);
}

#[tokio::test]
async fn redis_lost_then_back_without_a_restart() {
    let mut redis = RedisServer::start().await;
    let api = StandIn::start().await;
    workspaces_reply(&api);
    let env = shared_env(&api, &redis, &[("RATE_LIMIT_STORE", "redis")]);
    let a = Server::start(&env).await;
    let http = common::http::http_client();
    let ready = |s: &Server| {
        let http = http.clone();
        let url = s.url("/ready");
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(ready(&a).await, 200);
    let mut c = a.client(Some(TOKEN));
    c.initialize().await;

    // Frozen: nothing answers; calls get a clear 503 within the command timeout.
    redis.pause(true);
    assert_eq!(ready(&a).await, 503);
    let ans = c.rpc("tools/list", json!({})).await;
    assert_eq!(ans.status, 503, "{}", ans.text);
    let msg = error_message(&ans);
    assert!(msg.contains("Redis") && msg.contains("Retry"), "{msg}");
    redis.pause(false);
    let mut back = false;
    for _ in 0..50 {
        if ready(&a).await == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "ready again once Redis answers");
    let env_ok = c.call("list_workspaces", json!({})).await;
    assert_eq!(env_ok["ok"], true, "the session carried on: {env_ok}");

    // Stopped: connections refused; 503 again, and nothing crashed.
    redis.stop().await;
    assert_eq!(ready(&a).await, 503);
    let ans = c.rpc("tools/list", json!({})).await;
    assert_eq!(ans.status, 503, "{}", ans.text);
    let fresh = a.client(Some(TOKEN)).initialize_answer().await;
    assert_eq!(fresh.status, 503, "{}", fresh.text);

    // Started again (empty: no persistence): service resumes without restarting the server;
    // the old session is gone with Redis's memory, a new one works.
    redis.launch().await;
    let mut back = false;
    for _ in 0..100 {
        if ready(&a).await == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "ready again after Redis restarted: {}", a.stderr());
    let old = c.rpc("tools/list", json!({})).await;
    assert_eq!(old.status, 404, "{}", old.text);
    let mut again = a.client(Some(TOKEN));
    again.initialize().await;
    let env_ok = again.call("list_workspaces", json!({})).await;
    assert_eq!(env_ok["ok"], true, "{env_ok}");
    assert!(!a.stderr().contains("panicked"), "{}", a.stderr());
}

#[tokio::test]
async fn start_up_refuses_an_unreachable_redis() {
    let api = StandIn::start().await;
    let port = free_port();
    let env = with_all(
        bearer_env(&api),
        &[
            (
                "MCP_REDIS_URL",
                &format!("redis://:hunter2pw@127.0.0.1:{port}/0"),
            ),
            ("RATE_LIMIT_STORE", "redis"),
            ("MCP_REDIS_COMMAND_TIMEOUT_MS", "1000"),
        ],
    );
    let (code, stderr) = start_fails(&env).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot reach Redis"), "{stderr}");
    assert!(stderr.contains("MCP_REDIS_URL"), "{stderr}");
    assert!(
        !stderr.contains("hunter2pw"),
        "the password stays out: {stderr}"
    );

    let env = with_all(
        bearer_env(&api),
        &[
            ("MCP_REDIS_URL", "redis://127.0.0.1:6379"),
            ("MCP_SESSION_STORE", "redis"),
            ("MCP_REQUIRE_TLS_REDIS", "true"),
        ],
    );
    let (code, stderr) = start_fails(&env).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("rediss://"), "{stderr}");
}

#[tokio::test]
async fn rediss_with_a_private_ca_is_one_tls_stack_away() {
    let redis = RedisServer::start_tls().await;
    let dir = redis.tls.clone().unwrap();
    let api = StandIn::start().await;
    workspaces_reply(&api);
    let url = format!("rediss://127.0.0.1:{}/0", redis.port);
    let ca = dir.join("ca.pem").to_string_lossy().into_owned();
    let base = with_all(
        bearer_env(&api),
        &[
            ("MCP_REDIS_URL", url.as_str()),
            ("MCP_SESSION_STORE", "redis"),
            ("RATE_LIMIT_STORE", "redis"),
            ("MCP_REQUIRE_TLS_REDIS", "true"),
            ("MCP_REDIS_COMMAND_TIMEOUT_MS", "2000"),
        ],
    );
    // The server's certificate is from a CA nobody trusts: start-up stops.
    let (code, stderr) = start_fails(&base).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot reach Redis"), "{stderr}");
    assert!(stderr.contains("MCP_REDIS_TLS_CA_PATH"), "{stderr}");

    // Trusting the CA, two instances share a session over TLS.
    let env = with_all(base, &[("MCP_REDIS_TLS_CA_PATH", ca.as_str())]);
    let a = Server::start(&env).await;
    let b = Server::start(&env).await;
    let mut on_a = a.client(Some(TOKEN));
    on_a.initialize().await;
    let mut on_b = moved(&on_a, &b);
    let env_b = on_b.call("list_workspaces", json!({})).await;
    assert_eq!(env_b["ok"], true, "{env_b}");
    drop((a, b, redis));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn readme_documents_the_store_variables() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for var in portkey_admin_mcp::http::config::STORE_VARIABLES {
        assert!(readme.contains(var), "README does not document {var}");
    }
    assert!(readme.contains("## Running several instances"));
    assert!(readme.contains("apt-get install redis-server"));
}
