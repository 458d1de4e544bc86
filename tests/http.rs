//! The Streamable HTTP server, driven over loopback HTTP as an MCP client would: the binary is
//! started with `http` on a free port, pointed at the recording Portkey stand-in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::http::{RO_TOKEN, Server, TOKEN, bearer_env, error_message, http_client, start_fails};
use common::{Reply, StandIn, TEST_KEY, env_for, tool_count, with_all};
use serde_json::{Value, json};

#[tokio::test]
async fn a_session_lists_and_calls_tools_then_ends() {
    let api = StandIn::start().await;
    let server = Server::start(&bearer_env(&api)).await;
    let mut c = server.client(Some(TOKEN));
    let init = c.initialize().await;
    assert_eq!(init["serverInfo"]["name"], "portkey-admin-mcp");
    assert!(c.session.is_some(), "a stateful server names the session");
    let tools = c.tools().await;
    assert_eq!(tools.len(), tool_count());
    api.reply_json(
        200,
        json!({"object": "list", "total": 1, "data": [{"id": "ws-1", "slug": "ws-a", "name": "A"}]}),
    );
    let env = c.call("list_workspaces", json!({"page_size": 5})).await;
    assert_eq!(env["ok"], true, "{env}");
    let sent = api.only();
    assert_eq!(sent.path, "/v1/admin/workspaces");
    assert_eq!(sent.header("x-portkey-api-key"), Some(TEST_KEY));
    // Validation failures are tool results, as on stdio.
    let env = c.call("get_workspace", json!({})).await;
    assert_eq!(env["ok"], false);

    assert_eq!(c.delete().await, 200);
    let after = c.rpc("tools/list", json!({})).await;
    assert_eq!(after.status, 404, "{}", after.text);
    assert!(!server.stderr().contains(TEST_KEY));
    assert!(!server.stderr().contains(TOKEN));
}

#[tokio::test]
async fn health_ready_auth_info_and_status_page() {
    let api = StandIn::start().await;
    let server = Server::start(&with_all(
        bearer_env(&api),
        &[("MCP_READY_CHECK_MODE", "portkey")],
    ))
    .await;
    let http = http_client();
    let get = |p: &str| http.get(server.url(p)).send();
    let h = get("/health").await.unwrap();
    assert_eq!(h.status(), 200);
    assert_eq!(h.headers()["x-content-type-options"], "nosniff");
    assert!(h.headers().get("strict-transport-security").is_none());
    let v: Value = serde_json::from_str(&h.text().await.unwrap()).unwrap();
    assert_eq!(v["status"], "ok");
    let r = get("/ready").await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["portkey"], "reachable");
    let info = get("/auth/info").await.unwrap().text().await.unwrap();
    let v: Value = serde_json::from_str(&info).unwrap();
    assert_eq!(v["auth_mode"], "bearer");
    assert_eq!(v["session_mode"], "stateful");
    assert_eq!(v["endpoint"], server.url("/mcp"));
    assert!(!info.contains(TOKEN) && !info.contains(TEST_KEY));
    let page = get("/").await.unwrap().text().await.unwrap();
    assert!(
        page.contains("/mcp") && page.contains(&tool_count().to_string()),
        "{page}"
    );
    assert_eq!(get("/nope").await.unwrap().status(), 404);
}

#[tokio::test]
async fn credentials_are_required_and_checked() {
    let api = StandIn::start().await;
    let server = Server::start(&bearer_env(&api)).await;
    let a = server.client(None).initialize_answer().await;
    assert_eq!(a.status, 401);
    assert!(a.header("www-authenticate").unwrap().starts_with("Bearer "));
    let a = server
        .client(Some("wrong-token-0123456789abcdef"))
        .initialize_answer()
        .await;
    assert_eq!(a.status, 401);
    assert!(
        a.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    assert!(error_message(&a).contains("not valid"), "{}", a.text);
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn a_foreign_origin_is_refused() {
    let api = StandIn::start().await;
    let server = Server::start(&bearer_env(&api)).await;
    let mut ok = server
        .client(Some(TOKEN))
        .with_all("origin", "http://localhost:5173");
    ok.initialize().await;
    let a = server
        .client(Some(TOKEN))
        .with_all("origin", "https://evil.example")
        .initialize_answer()
        .await;
    assert_eq!(a.status, 403, "{}", a.text);
    assert!(error_message(&a).contains("Origin"));
}

#[tokio::test]
async fn sessions_are_private_to_their_principal() {
    let api = StandIn::start().await;
    let server = Server::start(&bearer_env(&api)).await;
    let mut owner = server.client(Some(TOKEN));
    owner.initialize().await;
    let mut other = server.client(Some(RO_TOKEN));
    other.session = owner.session.clone();
    let a = other.rpc("tools/list", json!({})).await;
    assert_eq!(a.status, 404, "another principal cannot use the session");
    let mut unknown = server.client(Some(TOKEN));
    unknown.session = Some("no-such-session".into());
    let a = unknown.rpc("tools/list", json!({})).await;
    assert_eq!(a.status, 404);
    assert!(
        error_message(&a).contains("Session not found"),
        "{}",
        a.text
    );
    assert_eq!(owner.tools().await.len(), tool_count());
}

#[tokio::test]
async fn read_only_tokens_get_the_read_only_surface() {
    let api = StandIn::start().await;
    let server = Server::start(&bearer_env(&api)).await;
    let mut reader = server.client(Some(RO_TOKEN));
    let init = reader.initialize().await;
    assert!(
        init["instructions"].as_str().unwrap().contains("READ-ONLY"),
        "{init}"
    );
    let tools = reader.tools().await;
    assert!(tools.len() < tool_count() && !tools.is_empty());
    assert!(
        tools
            .iter()
            .all(|t| !t.starts_with("delete_") && !t.starts_with("create_"))
    );
    let env = reader
        .call("delete_workspace", json!({"workspace_id": "ws-1"}))
        .await;
    assert_eq!(env["ok"], false, "{env}");
    assert!(api.requests().is_empty(), "nothing was sent");
    let mut writer = server.client(Some(TOKEN));
    writer.initialize().await;
    assert!(
        writer
            .tools()
            .await
            .contains(&"delete_workspace".to_string())
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let api = StandIn::start().await;
    let server = Server::start(&with_all(
        bearer_env(&api),
        &[("MCP_MAX_REQUEST_SIZE", "2kb")],
    ))
    .await;
    let mut c = server.client(Some(TOKEN));
    c.initialize().await;
    let a = c
        .rpc(
            "tools/call",
            json!({"name": "list_workspaces", "arguments": {"name": "x".repeat(4096)}}),
        )
        .await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert!(api.requests().is_empty());
    // Under the limit it goes through.
    let env = c.call("list_workspaces", json!({"name": "x"})).await;
    assert_eq!(env["ok"], true);
}

#[tokio::test]
async fn past_max_sessions_new_ones_get_503_until_one_closes() {
    let api = StandIn::start().await;
    let server = Server::start(&with_all(bearer_env(&api), &[("MCP_MAX_SESSIONS", "2")])).await;
    let mut a = server.client(Some(TOKEN));
    a.initialize().await;
    let mut b = server.client(Some(RO_TOKEN));
    b.initialize().await;
    let third = server.client(Some(TOKEN)).initialize_answer().await;
    assert_eq!(third.status, 503, "{}", third.text);
    assert!(third.header("retry-after").is_some());
    assert_eq!(a.delete().await, 200);
    let mut c = server.client(Some(TOKEN));
    c.initialize().await;
    assert_eq!(c.tools().await.len(), tool_count());
}

#[tokio::test]
async fn idle_sessions_expire() {
    let api = StandIn::start().await;
    let server = Server::start(&with_all(
        bearer_env(&api),
        &[("MCP_SESSION_TIMEOUT", "300")],
    ))
    .await;
    let mut c = server.client(Some(TOKEN));
    c.initialize().await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let a = c.rpc("tools/list", json!({})).await;
    assert_eq!(a.status, 404, "{}", a.text);
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let api = StandIn::start().await;
    let server = Server::start(&with_all(
        bearer_env(&api),
        &[("RATE_LIMIT_MAX", "3"), ("RATE_LIMIT_WINDOW_MS", "60000")],
    ))
    .await;
    let mut c = server.client(Some(TOKEN));
    c.initialize().await; // two requests
    assert_eq!(c.rpc("tools/list", json!({})).await.status, 200);
    let a = c.rpc("tools/list", json!({})).await;
    assert_eq!(a.status, 429, "{}", a.text);
    let wait: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    // Health checks are not rate limited.
    let h = http_client()
        .get(server.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status(), 200);
}

#[tokio::test]
async fn without_a_server_key_each_caller_brings_its_own() {
    let api = StandIn::start().await;
    let env: Vec<(String, String)> = bearer_env(&api)
        .into_iter()
        .filter(|(k, _)| k != "PORTKEY_API_KEY")
        .collect();
    let server = Server::start(&env).await;
    let a = server.client(Some(TOKEN)).initialize_answer().await;
    assert_eq!(a.status, 401, "{}", a.text);
    assert!(
        error_message(&a).contains("X-Portkey-Api-Key"),
        "{}",
        a.text
    );

    let alice_key = "pk-alice-own-key-0123456789";
    let mut alice = server
        .client(Some(TOKEN))
        .with_all("x-portkey-api-key", alice_key);
    let init = alice.initialize().await;
    assert!(
        init["instructions"]
            .as_str()
            .unwrap()
            .contains("X-Portkey-Api-Key"),
        "{init}"
    );
    api.respond(|_| {
        Reply::json(
            403,
            json!({"error": {"message": "key pk-alice-own-key-0123456789 lacks a scope"}}),
        )
    });
    let env = alice.call("list_workspaces", json!({})).await;
    assert_eq!(api.only().header("x-portkey-api-key"), Some(alice_key));
    assert_eq!(env["ok"], false);
    assert!(
        !env.to_string().contains(alice_key),
        "the key is redacted: {env}"
    );

    // The same session with another key is refused; nothing is sent.
    api.clear();
    let mut switched = server
        .client(Some(TOKEN))
        .with_all("x-portkey-api-key", "pk-mallory-key-0123456789");
    switched.session = alice.session.clone();
    let a = switched.rpc("tools/list", json!({})).await;
    assert_eq!(a.status, 403, "{}", a.text);
    assert!(api.requests().is_empty());
    assert!(!server.stderr().contains(alice_key));
}

#[tokio::test]
async fn stateless_mode_needs_no_session() {
    let api = StandIn::start().await;
    let server = Server::start(&with_all(
        bearer_env(&api),
        &[("MCP_SESSION_MODE", "stateless")],
    ))
    .await;
    let mut c = server.client(Some(TOKEN));
    let a = c.initialize_answer().await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.header("mcp-session-id").is_none());
    assert_eq!(c.tools().await.len(), tool_count());
    let env = c.call("list_workspaces", json!({})).await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(api.only().header("x-portkey-api-key"), Some(TEST_KEY));
}

#[tokio::test]
async fn start_up_refuses_unsafe_or_broken_settings() {
    let api = StandIn::start().await;
    let (code, err) = start_fails(&with_all(env_for(&api), &[("MCP_AUTH_MODE", "none")])).await;
    assert_eq!(code, 2);
    assert!(err.contains("MCP_ALLOW_UNAUTHENTICATED_HTTP"), "{err}");
    let (code, err) = start_fails(&env_for(&api)).await;
    assert_eq!(code, 2);
    assert!(err.contains("MCP_AUTH_TOKEN"), "{err}");
    let (code, err) = start_fails(&with_all(
        bearer_env(&api),
        &[("MCP_SESSION_MODE", "sticky")],
    ))
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("MCP_SESSION_MODE"), "{err}");
    let (code, err) = start_fails(&with_all(
        bearer_env(&api),
        &[
            ("MCP_TLS_CERT_PATH", "/nonexistent/cert.pem"),
            ("MCP_TLS_KEY_PATH", "/nonexistent/key.pem"),
        ],
    ))
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("MCP_TLS_CERT_PATH"), "{err}");
}

#[tokio::test]
async fn without_auth_only_local_host_names_are_served() {
    let api = StandIn::start().await;
    let server = Server::start(&with_all(
        env_for(&api),
        &[
            ("MCP_AUTH_MODE", "none"),
            ("MCP_ALLOW_UNAUTHENTICATED_HTTP", "true"),
        ],
    ))
    .await;
    let mut c = server.client(None);
    c.initialize().await;
    assert_eq!(c.tools().await.len(), tool_count());
    let a = server
        .client(None)
        .with_all("host", "rebound.evil.example")
        .initialize_answer()
        .await;
    assert_eq!(a.status, 403, "{}", a.text);
    assert!(error_message(&a).contains("Host"));
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_lets_a_running_call_finish() {
    let api = StandIn::start().await;
    let server = Server::start(&bearer_env(&api)).await;
    let mut c = server.client(Some(TOKEN));
    c.initialize().await;
    api.respond(|r| common::generic_reply(r).delay(Duration::from_millis(1500)));
    let call = tokio::spawn(async move { c.call("list_workspaces", json!({})).await });
    // Wait until the request has reached Portkey, then ask the server to stop.
    for _ in 0..100 {
        if !api.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = server.child.id().unwrap() as i32;
    // SAFETY-free: a plain signal to our own child.
    assert_eq!(unsafe_free_kill(pid), 0);
    let env = call.await.unwrap();
    assert_eq!(env["ok"], true, "the running call finished: {env}");
    let mut child = server.child;
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the server exits after draining")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

/// Sends SIGTERM with the `kill` command (the crate forbids unsafe code).
fn unsafe_free_kill(pid: i32) -> i32 {
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .map(|s| s.code().unwrap_or(-1))
        .unwrap_or(-1)
}

// ---- oidc: a key pair and a JWKS made by the test, served by the stand-in on loopback ----

/// base64url without padding.
fn b64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A P-256 signing key and its JWK.
struct SigningKey {
    kid: String,
    key: jsonwebtoken::EncodingKey,
    jwk: Value,
}

impl SigningKey {
    fn new(kid: &str) -> SigningKey {
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = pair.public_key().as_ref();
        assert_eq!(point.len(), 65);
        SigningKey {
            kid: kid.into(),
            key: jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({"kty": "EC", "crv": "P-256", "x": b64url(&point[1..33]), "y": b64url(&point[33..]),
                "kid": kid, "alg": "ES256", "use": "sig"}),
        }
    }

    fn token(&self, claims: Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The stand-in answering the JWKS path with `jwks` (changeable) and Portkey paths as usual.
fn serve_jwks(api: &StandIn, jwks: Arc<Mutex<Value>>) {
    api.respond(move |r| {
        if r.path == "/.well-known/jwks.json" {
            Reply::json(200, jwks.lock().unwrap().clone())
        } else {
            common::generic_reply(r)
        }
    });
}

#[tokio::test]
async fn oidc_tokens_are_verified_against_the_issuers_keys() {
    let api = StandIn::start().await;
    let k1 = SigningKey::new("k1");
    let jwks = Arc::new(Mutex::new(json!({"keys": [k1.jwk.clone()]})));
    serve_jwks(&api, jwks.clone());
    let issuer = api.root();
    let env = with_all(
        env_for(&api),
        &[
            ("MCP_AUTH_MODE", "oidc"),
            ("MCP_OIDC_ISSUER", &issuer),
            ("MCP_OIDC_AUDIENCE", "portkey-admin-mcp"),
            ("MCP_WRITE_ROLES", "org:admin"),
            ("MCP_OIDC_JWKS_REFRESH_GAP_MS", "0"),
        ],
    );
    let server = Server::start(&env).await;
    let claims = |sub: &str, extra: Value| {
        let mut c = json!({"sub": sub, "iss": issuer, "aud": "portkey-admin-mcp", "iat": now(), "exp": now() + 600});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };

    // No token: 401 naming where to find the authorization server.
    let a = server.client(None).initialize_answer().await;
    assert_eq!(a.status, 401);
    let challenge = a.header("www-authenticate").unwrap().to_string();
    assert!(challenge.contains("resource_metadata="), "{challenge}");
    let meta: Value = serde_json::from_str(
        &http_client()
            .get(server.url("/.well-known/oauth-protected-resource"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(meta["authorization_servers"][0], issuer.as_str());
    assert_eq!(meta["resource"], server.url("/mcp"));

    // A writer role gets every tool; anyone else the read-only surface.
    let admin = k1.token(claims("user_admin", json!({"org_role": "org:admin"})));
    let mut c = server.client(Some(&admin));
    c.initialize().await;
    assert_eq!(c.tools().await.len(), tool_count());
    let viewer = k1.token(claims("user_viewer", json!({"org_role": "org:member"})));
    let mut v = server.client(Some(&viewer));
    v.initialize().await;
    let n = v.tools().await.len();
    assert!(n < tool_count() && n > 0, "{n}");

    // Refusals: expired, another issuer, another audience, a forged signature.
    let refused = |token: String| {
        let server = &server;
        async move {
            let a = server.client(Some(&token)).initialize_answer().await;
            assert_eq!(a.status, 401, "{}", a.text);
            error_message(&a)
        }
    };
    let expired = k1
        .token(json!({"sub": "u", "iss": issuer, "aud": "portkey-admin-mcp", "exp": now() - 3600}));
    assert!(refused(expired).await.contains("expired"));
    let foreign = k1.token(json!({"sub": "u", "iss": "https://other.example", "aud": "portkey-admin-mcp", "exp": now() + 600}));
    assert!(refused(foreign).await.contains("issuer"));
    let wrong_aud =
        k1.token(json!({"sub": "u", "iss": issuer, "aud": "someone-else", "exp": now() + 600}));
    assert!(refused(wrong_aud).await.contains("audience"));
    let impostor = SigningKey::new("k1").token(claims("u", json!({})));
    assert!(refused(impostor).await.contains("signature"));
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims("u", json!({})),
        &jsonwebtoken::EncodingKey::from_secret(b"guessable"),
    )
    .unwrap();
    assert!(refused(hs).await.contains("not accepted"));

    // A key published after start-up is picked up when a token names it.
    let k2 = SigningKey::new("k2");
    jwks.lock().unwrap()["keys"]
        .as_array_mut()
        .unwrap()
        .push(k2.jwk.clone());
    let rotated = k2.token(claims("user_admin", json!({"org_role": "org:admin"})));
    let mut r = server.client(Some(&rotated));
    r.initialize().await;
    assert_eq!(r.tools().await.len(), tool_count());
    let unknown = SigningKey::new("k3").token(claims("u", json!({})));
    assert!(refused(unknown).await.contains("does not publish"));
}

#[tokio::test]
async fn clerk_allow_lists_turn_other_organisations_away() {
    let api = StandIn::start().await;
    let k1 = SigningKey::new("clerk-1");
    serve_jwks(
        &api,
        Arc::new(Mutex::new(json!({"keys": [k1.jwk.clone()]}))),
    );
    let issuer = api.root();
    let env = with_all(
        env_for(&api),
        &[
            ("MCP_AUTH_MODE", "clerk"),
            ("CLERK_ISSUER", &issuer),
            ("CLERK_ALLOWED_ORGANIZATION_IDS", "org_good"),
            ("CLERK_AUDIENCE", "portkey-admin-mcp"),
        ],
    );
    let server = Server::start(&env).await;
    let token = |org: &str| {
        k1.token(json!({"sub": "user_1", "iss": issuer, "aud": "portkey-admin-mcp", "exp": now() + 600, "org_id": org}))
    };
    let mut ok = server.client(Some(&token("org_good")));
    ok.initialize().await;
    let a = server
        .client(Some(&token("org_bad")))
        .initialize_answer()
        .await;
    assert_eq!(a.status, 403, "{}", a.text);
    let info: Value = serde_json::from_str(
        &http_client()
            .get(server.url("/auth/info"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(info["auth_mode"], "oidc");
    assert_eq!(info["issuer"], issuer.as_str());
}

// ---- TLS: a self-signed certificate made with the openssl command, when it is installed ----

#[tokio::test]
async fn tls_serves_https_with_hsts() {
    let dir = std::env::temp_dir().join(format!("pk-http-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("openssl is not available; TLS test skipped");
        return;
    }
    let api = StandIn::start().await;
    let env = with_all(
        bearer_env(&api),
        &[
            ("MCP_TLS_CERT_PATH", cert.to_str().unwrap()),
            ("MCP_TLS_KEY_PATH", key.to_str().unwrap()),
        ],
    );
    let server = Server::start(&env).await;
    let https = server.base.replace("http://", "https://");
    let pem = std::fs::read(&cert).unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let resp = client.get(format!("{https}/health")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let mut c = server.client(Some(TOKEN));
    c.http = client;
    c.url = format!("{https}/mcp");
    c.initialize().await;
    assert_eq!(c.tools().await.len(), tool_count());
    // Plain HTTP to the TLS port gets no answer it could use.
    assert!(
        http_client()
            .get(server.url("/health"))
            .send()
            .await
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_journal_names_the_principal_of_each_write() {
    let api = StandIn::start().await;
    let path = std::env::temp_dir().join(format!("pk-http-journal-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = Server::start(&with_all(
        bearer_env(&api),
        &[("PORTKEY_AUDIT_LOG", path.to_str().unwrap())],
    ))
    .await;
    let mut c = server.client(Some(TOKEN));
    c.initialize().await;
    let env = c
        .call("delete_workspace", json!({"workspace_id": "ws-9"}))
        .await;
    assert_eq!(env["ok"], true, "{env}");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    for l in &lines {
        let p = l["principal"].as_str().unwrap();
        assert!(p.starts_with("token:") && !p.contains("writer"), "{l}");
    }
    assert!(!text.contains(TOKEN) && !text.contains(TEST_KEY));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_caller_has_its_own_budget_too() {
    let api = StandIn::start().await;
    let server = Server::start(&with_all(
        bearer_env(&api),
        &[
            ("RATE_LIMIT_MAX", "3"),
            ("RATE_LIMIT_WINDOW_MS", "60000"),
            ("MCP_TRUST_PROXY", "loopback"),
        ],
    ))
    .await;
    let mut c = server
        .client(Some(TOKEN))
        .with_all("x-forwarded-for", "203.0.113.1");
    c.initialize().await; // two requests from the first address
    let session = c.session.clone();
    let from = |ip: &str| {
        let mut other = server.client(Some(TOKEN)).with_all("x-forwarded-for", ip);
        other.session = session.clone();
        other
    };
    assert_eq!(
        from("203.0.113.2")
            .rpc("tools/list", json!({}))
            .await
            .status,
        200
    );
    // A new address has a full bucket, but the caller's own is now empty.
    let a = from("203.0.113.3").rpc("tools/list", json!({})).await;
    assert_eq!(a.status, 429, "{}", a.text);
    assert!(error_message(&a).contains("caller"), "{}", a.text);
    // Another caller from yet another address is not affected.
    let mut reader = server
        .client(Some(RO_TOKEN))
        .with_all("x-forwarded-for", "203.0.113.4");
    reader.initialize().await;
}

/// `portkey-admin-mcp health`, the container's HEALTHCHECK: 0 when the server's /health answers.
#[tokio::test]
async fn the_health_subcommand_asks_the_running_server() {
    let api = StandIn::start().await;
    let server = Server::start(&bearer_env(&api)).await;
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let run = |args: Vec<String>, env: Vec<(&'static str, String)>| async move {
        let mut cmd = tokio::process::Command::new(common::bin());
        cmd.env_clear().arg("health").args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().await.unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.stdout,
        )
    };
    let (code, _, stdout) = run(vec!["--url".into(), server.url("/health")], vec![]).await;
    assert_eq!(code, 0);
    assert!(stdout.is_empty(), "nothing on stdout");
    let (code, _, _) = run(
        vec![],
        vec![("MCP_TRANSPORT", "http".into()), ("MCP_PORT", port.clone())],
    )
    .await;
    assert_eq!(code, 0, "the default URL is /health on MCP_PORT");
    let (code, stderr, _) = run(vec!["--url".into(), server.url("/nowhere")], vec![]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("answered 404"), "{stderr}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let (code, stderr, _) = run(
        vec![],
        vec![
            ("MCP_TRANSPORT", "http".into()),
            ("MCP_PORT", closed_port.to_string()),
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(stderr.contains("did not answer"), "{stderr}");
    // PORT wins over MCP_PORT, for the check as for the server it checks.
    let (code, stderr, _) = run(
        vec![],
        vec![
            ("MCP_TRANSPORT", "http".into()),
            ("PORT", port.clone()),
            ("MCP_PORT", closed_port.to_string()),
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr, _) = run(
        vec![],
        vec![
            ("MCP_TRANSPORT", "http".into()),
            ("MCP_PORT", "70000".into()),
        ],
    )
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("MCP_PORT takes a port number"), "{stderr}");
    let (code, stderr, _) = run(vec![], vec![]).await;
    assert_eq!(code, 0, "stdio mode has no server to check");
    assert!(stderr.contains("MCP_TRANSPORT"), "{stderr}");
}
