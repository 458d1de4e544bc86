//! How every kind of failure reaches the model: clear `{ok:false}` envelopes, nothing leaked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

fn message(env: &Value) -> String {
    env["error"]["message"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn missing_scope_ab03_is_named() {
    let h = Harness::start().await;
    h.api.reply_json(403, json!({"success": false, "data": {"message": "You do not have enough permissions", "errorCode": "AB03"}}));
    let (env, _) = h.call("list_configs", json!({})).await;
    assert_eq!(env["ok"], false);
    let m = message(&env);
    assert!(
        m.contains("403") && m.contains("AB03") && m.contains("scope"),
        "{m}"
    );
    assert_eq!(env["error"]["details"]["code"], "AB03");
    assert_eq!(env["error"]["details"]["status"], 403);
}

#[tokio::test]
async fn error_fields_found_at_top_level_and_in_error() {
    let h = Harness::start().await;
    h.api.reply_json(
        404,
        json!({"error": {"message": "Config not found", "code": "CF404", "slug": "not_found"}}),
    );
    let (env, _) = h.call("get_config", json!({"slug": "nope"})).await;
    let m = message(&env);
    assert!(
        m.contains("404") && m.contains("Config not found") && m.contains("list"),
        "{m}"
    );
    assert_eq!(env["error"]["details"]["slug"], "not_found");
    h.api
        .reply_json(400, json!({"message": "bad thing", "code": "X1"}));
    let (env, _) = h.call("get_config", json!({"slug": "nope"})).await;
    assert!(message(&env).contains("bad thing"));
    assert_eq!(env["error"]["details"]["code"], "X1");
}

#[tokio::test]
async fn html_error_body_gives_status_and_excerpt() {
    let h = Harness::start().await;
    h.api.respond(|_| {
        Reply::raw(
            500,
            "text/html",
            "<html><body>Internal proxy failure</body></html>",
        )
    });
    let (env, _) = h.call("delete_config", json!({"slug": "s"})).await;
    let m = message(&env);
    assert!(
        m.contains("500") && m.contains("Internal proxy failure"),
        "{m}"
    );
}

#[tokio::test]
async fn html_success_body_is_a_decode_error() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(200, "text/html", "<html>login page</html>"));
    let (env, _) = h.call("list_configs", json!({})).await;
    let m = message(&env);
    assert!(
        m.contains("200") && m.contains("not valid JSON") && m.contains("login page"),
        "{m}"
    );
}

#[tokio::test]
async fn no_content_is_success() {
    let h = Harness::start().await;
    h.api.respond(|_| Reply::raw(204, "text/plain", Vec::new()));
    let (env, _) = h.call("delete_config", json!({"slug": "s"})).await;
    assert_eq!(env["ok"], true);
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let h = Harness::start().await;
    let target = format!("{}/elsewhere", h.api.root());
    h.api.respond(move |r| {
        if r.path == "/elsewhere" {
            Reply::json(200, json!({"stolen": true}))
        } else {
            Reply::raw(302, "text/plain", "").header("location", &target)
        }
    });
    let (env, sent) = h.call("list_configs", json!({})).await;
    assert_eq!(sent.len(), 1, "the redirect must not be followed: {sent:?}");
    let m = message(&env);
    assert!(m.contains("302") && m.contains("redirect"), "{m}");
}

#[tokio::test]
async fn timeout_names_the_limit() {
    let h = Harness::start_with(&[("PORTKEY_TIMEOUT_MS", "300")]).await;
    h.api
        .respond(|_| Reply::json(200, json!({})).delay(Duration::from_secs(3)));
    let started = std::time::Instant::now();
    let (env, _) = h.call("delete_config", json!({"slug": "s"})).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    let m = message(&env);
    assert!(
        m.contains("300 ms") && m.contains("PORTKEY_TIMEOUT_MS"),
        "{m}"
    );
}

#[tokio::test]
async fn connection_failure_is_named() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let env = vec![
        ("PORTKEY_API_KEY".to_string(), TEST_KEY.to_string()),
        (
            "PORTKEY_BASE_URL".to_string(),
            format!("http://127.0.0.1:{port}/v1"),
        ),
        (
            "PORTKEY_ALLOW_PRIVATE_BASE_URL".to_string(),
            "1".to_string(),
        ),
        ("PORTKEY_ALLOW_INSECURE_HTTP".to_string(), "1".to_string()),
        ("PORTKEY_MAX_RETRIES".to_string(), "0".to_string()),
    ];
    let mcp = Mcp::start(&env).await;
    let env = mcp.call("delete_config", json!({"slug": "s"})).await;
    let m = message(&env);
    assert!(
        m.contains("Could not reach Portkey") && m.contains("PORTKEY_BASE_URL"),
        "{m}"
    );
}

#[tokio::test]
async fn key_never_in_output_or_stderr() {
    let h = Harness::start_with(&[("LOG_LEVEL", "trace")]).await;
    // Portkey echoing the key back in an error must not leak it either.
    h.api.respond(|_| {
        Reply::json(
            401,
            json!({"error": {"message": format!("invalid key {TEST_KEY}")}}),
        )
    });
    let (env, sent) = h.call("list_configs", json!({})).await;
    assert_eq!(sent[0].header("x-portkey-api-key"), Some(TEST_KEY));
    assert_eq!(sent[0].header("accept"), Some("application/json"));
    let text = env.to_string();
    assert!(!text.contains(TEST_KEY), "{text}");
    assert!(text.contains("[REDACTED]"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!h.mcp.stderr().contains(TEST_KEY), "key in stderr");
}

#[tokio::test]
async fn without_key_lists_tools_but_calls_send_nothing() {
    let api = StandIn::start().await;
    let env: Vec<(String, String)> = env_for(&api)
        .into_iter()
        .filter(|(k, _)| k != "PORTKEY_API_KEY")
        .collect();
    let mcp = Mcp::start(&env).await;
    assert!(!mcp.list_tools().await.is_empty());
    let r = mcp
        .request(
            "resources/read",
            json!({"uri": "portkey-admin://docs/workflow-guide"}),
        )
        .await;
    assert!(
        r["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .contains("# Portkey admin workflow guide")
    );
    let out = mcp.call("list_configs", json!({})).await;
    assert_eq!(out["ok"], false);
    let m = message(&out);
    assert!(
        m.contains("claude mcp add portkey-admin -e PORTKEY_API_KEY=... -- portkey-admin-mcp"),
        "{m}"
    );
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn invalid_arguments_send_nothing() {
    let h = Harness::start().await;
    let m = h.refused("get_config", json!({})).await;
    assert!(m.contains("`slug` is required"), "{m}");
    let m = h.refused("get_config", json!({"slug": 5})).await;
    assert!(m.contains("`slug` must be a string"), "{m}");
}

#[tokio::test]
async fn unknown_tool_is_a_protocol_error() {
    let h = Harness::start().await;
    let r = h
        .mcp
        .request(
            "tools/call",
            json!({"name": "drop_everything", "arguments": {}}),
        )
        .await;
    assert!(r.get("error").is_some(), "{r}");
    assert!(r.get("result").is_none());
}

#[tokio::test]
async fn malformed_line_does_not_stop_the_server() {
    let h = Harness::start().await;
    h.mcp.write_line("{this is not json").await;
    h.mcp.write_line("[]").await;
    let (env, _) = h.call("list_configs", json!({})).await;
    assert_eq!(env["ok"], true);
}

#[tokio::test]
async fn cancellation_stops_the_http_call() {
    let h = Harness::start().await;
    h.api.respond(|_| {
        Reply::json(200, json!({"total": 0, "data": []})).delay(Duration::from_secs(5))
    });
    // Send a call without waiting, then cancel it.
    let req = json!({"jsonrpc": "2.0", "id": 9001, "method": "tools/call", "params": {"name": "list_configs", "arguments": {}}});
    h.mcp.write_line(&req.to_string()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.api.requests().len(), 1);
    h.mcp
        .notify(
            "notifications/cancelled",
            json!({"requestId": 9001, "reason": "user"}),
        )
        .await;
    // The server stays responsive and the cancelled call is not retried.
    let started = std::time::Instant::now();
    let r = h.mcp.request("tools/list", json!({})).await;
    assert!(r.get("result").is_some());
    assert!(started.elapsed() < Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.api.requests().len(), 1);
}

#[tokio::test]
async fn server_info_instructions_resources_and_prompt() {
    let h = Harness::start().await;
    let init = &h.mcp.init["result"];
    assert_eq!(init["serverInfo"]["name"], "portkey-admin-mcp");
    assert_eq!(init["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    let instr = init["instructions"].as_str().unwrap();
    assert!(
        instr.contains("list_") && instr.contains("time_of_generation_min"),
        "{instr}"
    );
    let res = h.mcp.request("resources/list", json!({})).await;
    assert_eq!(
        res["result"]["resources"][0]["uri"],
        "portkey-admin://docs/workflow-guide"
    );
    assert_eq!(res["result"]["resources"][0]["mimeType"], "text/markdown");
    let prompts = h.mcp.request("prompts/list", json!({})).await;
    let p = &prompts["result"]["prompts"][0];
    assert_eq!(p["name"], "plan_portkey_admin_workflow");
    assert_eq!(p["arguments"][0]["name"], "task");
    assert_eq!(p["arguments"][0]["required"], true);
    let got = h
        .mcp
        .request("prompts/get", json!({"name": "plan_portkey_admin_workflow", "arguments": {"task": "rotate the staging key", "area": "keys"}}))
        .await;
    let msgs = got["result"]["messages"].as_array().unwrap();
    let all: String = msgs
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap_or(""))
        .collect();
    assert!(
        all.contains("rotate the staging key")
            && all.contains("Focus area: keys")
            && all.contains("Keys and secrets")
    );
    let too_long = "x".repeat(501);
    let bad = h
        .mcp
        .request(
            "prompts/get",
            json!({"name": "plan_portkey_admin_workflow", "arguments": {"task": too_long}}),
        )
        .await;
    assert!(bad.get("error").is_some());
    let bad = h
        .mcp
        .request(
            "prompts/get",
            json!({"name": "plan_portkey_admin_workflow", "arguments": {}}),
        )
        .await;
    assert!(bad.get("error").is_some());
}

#[tokio::test]
async fn subset_is_mentioned_in_instructions() {
    let h = Harness::start_with(&[("PORTKEY_TOOL_DOMAINS", "configs")]).await;
    let instr = h.mcp.init["result"]["instructions"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(instr.contains("Only some tool domains"), "{instr}");
}

#[tokio::test]
async fn debug_logging_never_shows_arguments_or_key() {
    for (var, level) in [("LOG_LEVEL", "debug"), ("RUST_LOG", "trace")] {
        let h = Harness::start_with(&[(var, level)]).await;
        let secret = "sk-proj-DEBUGLEAKCHECK0123456789";
        let (env, _) = h
            .call(
                "create_config",
                json!({"name": secret, "strategy_mode": "fallback"}),
            )
            .await;
        assert_eq!(env["ok"], true);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let err = h.mcp.stderr();
        assert!(
            !err.contains("DEBUGLEAKCHECK"),
            "{var}={level} leaked arguments: {err}"
        );
        assert!(!err.contains(TEST_KEY));
    }
}
