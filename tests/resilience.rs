//! Resilience: safe retries, time budgets, broken answers and secret scrubbing, each through MCP
//! against a stand-in that misbehaves on purpose; counts and timings of upstream requests asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

fn message(env: &Value) -> String {
    env["error"]["message"].as_str().unwrap_or("").to_string()
}

/// Answers `first` for the first `n` requests, then `then`.
fn sequence(
    n: usize,
    first: Reply,
    then: Reply,
) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let count = Arc::new(AtomicUsize::new(0));
    move |_| {
        if count.fetch_add(1, Ordering::SeqCst) < n {
            first.clone()
        } else {
            then.clone()
        }
    }
}

fn ok_list() -> Reply {
    Reply::json(200, json!({"total": 0, "data": []}))
}

#[tokio::test]
async fn get_retries_429_after_retry_after() {
    let h = Harness::start().await;
    h.api.respond(sequence(
        1,
        Reply::json(429, json!({"error": {"message": "slow down"}})).header("retry-after", "1"),
        ok_list(),
    ));
    let (env, sent) = h.call("list_configs", json!({})).await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(sent.len(), 2);
    let gap = sent[1].at.duration_since(sent[0].at);
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
}

#[tokio::test]
async fn get_retries_503_and_502_with_backoff() {
    let h = Harness::start().await;
    let first = Reply::raw(503, "text/plain", "unavailable");
    h.api.respond(sequence(2, first, ok_list()));
    let (env, sent) = h.call("list_configs", json!({})).await;
    assert_eq!(env["ok"], true);
    assert_eq!(sent.len(), 3);
    assert!(sent[1].at.duration_since(sent[0].at) >= Duration::from_millis(200));
    assert!(
        sent[2].at.duration_since(sent[1].at) >= Duration::from_millis(450),
        "backoff grows"
    );
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_429_carries_retry_after() {
    let h = Harness::start_with(&[("PORTKEY_MAX_RETRIES", "1")]).await;
    h.api.respond(|_| {
        Reply::json(429, json!({"error": {"message": "rate limited"}})).header("retry-after", "0")
    });
    let (env, sent) = h.call("get_config", json!({"slug": "s"})).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(env["ok"], false);
    assert!(env["error"]["retry_after_seconds"].is_number(), "{env}");
    assert!(message(&env).contains("429"));
}

#[tokio::test]
async fn writes_are_never_retried() {
    let h = Harness::start().await;
    h.api.respond(|_| Reply::raw(503, "text/plain", "down"));
    for (tool, args) in [
        (
            "create_config",
            json!({"name": "n", "strategy_mode": "fallback"}),
        ),
        ("update_config", json!({"slug": "s", "name": "n"})),
        ("delete_config", json!({"slug": "s"})),
    ] {
        let (env, sent) = h.call(tool, args).await;
        assert_eq!(env["ok"], false);
        assert_eq!(sent.len(), 1, "{tool} was retried");
    }
    h.api
        .respond(|_| Reply::json(429, json!({})).header("retry-after", "0"));
    let (env, sent) = h.call("delete_config", json!({"slug": "s"})).await;
    assert_eq!(sent.len(), 1);
    assert!(env["error"]["retry_after_seconds"].is_number());
}

#[tokio::test]
async fn retry_wait_never_passes_the_budget() {
    let h = Harness::start_with(&[("PORTKEY_TIMEOUT_MS", "1500")]).await;
    h.api
        .respond(|_| Reply::json(429, json!({})).header("retry-after", "10"));
    let started = Instant::now();
    let (env, sent) = h.call("list_configs", json!({})).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(sent.len(), 1);
    assert_eq!(env["error"]["retry_after_seconds"], 10);
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let h = Harness::start().await;
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    h.api.respond(sequence(
        1,
        Reply::json(503, json!({})).header("retry-after", &when),
        ok_list(),
    ));
    let (env, sent) = h.call("list_configs", json!({})).await;
    assert_eq!(env["ok"], true);
    assert_eq!(sent.len(), 2);
    assert!(sent[1].at.duration_since(sent[0].at) >= Duration::from_millis(900));
}

#[tokio::test]
async fn slow_answer_times_out_and_other_calls_keep_going() {
    let h = Harness::start_with(&[("PORTKEY_TIMEOUT_MS", "800")]).await;
    h.api.respond(|r| {
        if r.path.ends_with("/slow") {
            ok_list().delay(Duration::from_secs(5))
        } else {
            ok_list()
        }
    });
    let mcp = Arc::new(h.mcp);
    let slow = {
        let mcp = mcp.clone();
        tokio::spawn(async move { mcp.call("get_config", json!({"slug": "slow"})).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let fast = mcp.call("list_configs", json!({})).await;
    assert_eq!(fast["ok"], true);
    assert!(started.elapsed() < Duration::from_millis(500));
    let env = slow.await.unwrap();
    assert_eq!(env["ok"], false);
    let m = message(&env);
    assert!(
        m.contains("800 ms") && m.contains("PORTKEY_TIMEOUT_MS"),
        "{m}"
    );
}

#[tokio::test]
async fn broken_bodies_are_clear_errors() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(200, "application/json", "{\"total\": 3, \"data\": [{\"id\""));
    let (env, _) = h.call("list_configs", json!({})).await;
    assert!(
        message(&env).contains("HTTP 200") && message(&env).contains("not valid JSON"),
        "{env}"
    );
    h.api.respond(|_| Reply::raw(200, "application/json", ""));
    let (env, _) = h.call("list_configs", json!({})).await;
    assert!(message(&env).contains("empty body"), "{env}");
    let huge = format!("{{\"data\": [\"{}\"]}}", "x".repeat(24 * 1024 * 1024));
    h.api
        .respond(move |_| Reply::raw(200, "application/json", huge.clone()));
    let (env, _) = h.call("list_configs", json!({})).await;
    let m = message(&env);
    assert!(m.contains("HTTP 200") && m.contains("bytes"), "{m}");
    h.api
        .respond(|_| Reply::raw(502, "text/html", "<html><h1>Bad gateway</h1></html>"));
    let (env, sent) = h.call("delete_config", json!({"slug": "s"})).await;
    assert_eq!(sent.len(), 1);
    assert!(message(&env).contains("502") && message(&env).contains("Bad gateway"));
}

#[tokio::test]
async fn secrets_are_scrubbed_from_results_and_errors() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "c", "slug": "s", "config": {"targets": [{"provider": "openai", "virtual_key": "vk",
            "api_key": "sk-proj-Zqumpm08hsE8JNpjJOQGa2rb19Fl"}],
            "headers": {"Authorization": "Bearer Y0mG1ylvuhfJXqIEnomef2mS"},
            "note": "aws AKIAIOSFODNN7EXAMPLE and pk-live-J5CMTIeg1ZTVnVv2fgKD0f6Y and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}}),
    );
    let (env, _) = h.call("get_config", json!({"slug": "s"})).await;
    let text = env.to_string();
    for secret in [
        "Zqumpm08hsE8JNpj",
        "Y0mG1ylvuhfJXqIE",
        "AKIAIOSFODNN7EXAMPLE",
        "J5CMTIeg1ZTVnVv2",
        "eyJhbGci",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(text.contains("[REDACTED]"));
    assert_eq!(env["data"]["config"]["targets"][0]["provider"], "openai");
    h.api.reply_json(
        400,
        json!({"error": {"message": "bad key sk-ant-api03-YIgrCOX6Jhw7Hd11XzWL8MHpoKEzViXZya8cdFOc"}}),
    );
    let (env, _) = h.call("get_config", json!({"slug": "s"})).await;
    assert!(!env.to_string().contains("YIgrCOX6Jhw7Hd11"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!h.mcp.stderr().contains("YIgrCOX6Jhw7Hd11"));
}

#[tokio::test]
async fn three_hundred_calls_thirty_two_in_flight() {
    let h = Harness::start().await;
    // A config as the spec answers it (get_config refuses an answer with no config in it).
    h.api.respond(|_| {
        Reply::json(200, json!({"success": true, "data": {"config": {}}}))
            .delay(Duration::from_millis(5))
    });
    let mcp = Arc::new(h.mcp);
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = Vec::new();
    for i in 0..300 {
        let mcp = mcp.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            mcp.call("get_config", json!({"slug": format!("cfg-{i}")}))
                .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap()["ok"], true);
    }
    let sent = h.api.requests();
    assert_eq!(sent.len(), 300);
    let mut paths: Vec<String> = sent.iter().map(|r| r.path.clone()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 300, "each call sent exactly one request");
}

#[tokio::test]
async fn secrets_the_caller_sent_never_come_back() {
    let h = Harness::start().await;
    // A stand-in that echoes the request body back, as a careless API might in an error.
    h.api.respond(|r| Reply::json(400, json!({"error": {"message": format!("rejected {}", String::from_utf8_lossy(&r.raw_body))}})));
    let secret = "opaque-provider-credential-without-known-prefix";
    let (env, sent) = h
        .call("create_config", json!({"name": "n", "targets": [{"provider": "openai", "virtual_key": "vk"}], "workspace_id": "w"}))
        .await;
    assert_eq!(sent.len(), 1);
    assert!(env.to_string().contains("rejected"));
    let (env, _) = h
        .call(
            "create_integration",
            json!({"name": "n", "ai_provider_id": "openai", "key": secret}),
        )
        .await;
    assert_eq!(env["ok"], false);
    assert!(!env.to_string().contains(secret), "{env}");
}
