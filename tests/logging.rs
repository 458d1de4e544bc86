//! logging domain: each tool through MCP against the stand-in, asserting request and result.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{Value, json};

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn get_log_returns_the_log_as_is_and_sends_only_given_params() {
    let h = Harness::start().await;
    let log = json!({"id": "log-1", "request": {"body": {"messages": [{"role": "user", "content": "CUSTOMER-PROMPT-7731"}]}},
        "response": {"body": {"choices": []}, "status": 200}, "cost": 0.02, "metadata": {"env": "prod"}});
    h.api.reply_json(200, log.clone());
    let (env, sent) = h.call("get_log", json!({"log_id": "a/b"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/logs/a%2Fb")
    );
    assert!(sent[0].query.is_empty(), "{:?}", sent[0].query);
    assert_eq!(env["data"], log);
    let (_, sent) = h
        .call(
            "get_log",
            json!({"log_id": "l", "path_format": "v2", "created_at": "2026-01-01T10:00:00.5+02:00", "type": "hooks"}),
        )
        .await;
    assert_eq!(
        sent[0].sorted_query(),
        pairs(&[
            ("created_at", "2026-01-01T10:00:00.5+02:00"),
            ("path_format", "v2"),
            ("type", "hooks")
        ])
    );
    assert!(!h.mcp.stderr().contains("CUSTOMER-PROMPT-7731"));
}

/// The number token after `"key":` in a JSON text.
fn raw_number<'a>(text: &'a str, key: &str) -> &'a str {
    let at = text.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
    let rest = &text[at..];
    let end = rest.find([',', '}']).unwrap();
    &rest[..end]
}

/// Numbers in Portkey's answer come back with the same value: 17 significant digits survive
/// (serde_json's `float_roundtrip`; without it the last digit of `tiny` and `odd` moves), and
/// integers past 2^53 stay integers. The text is checked with Rust's own float parser, so the
/// harness's JSON parsing cannot hide a change; a float may come back in another spelling of
/// the same double (`1.2345678901234566e-7` is the same value as `...567e-7`).
#[tokio::test]
async fn get_log_numbers_come_back_exactly() {
    let h = Harness::start().await;
    h.api.respond(|_| {
        Reply::raw(
            200,
            "application/json",
            r#"{"id":"log-n","cost":0.30000000000000004,"tiny":1.2345678901234567e-7,"odd":2.3529492621424576e-7,"big":12345678901234567890,"past_2_53":9007199254740993,"neg":-9223372036854775808}"#,
        )
    });
    let resp = h
        .mcp
        .request(
            "tools/call",
            json!({"name": "get_log", "arguments": {"log_id": "log-n"}}),
        )
        .await;
    let text = resp["result"]["content"][0]["text"].as_str().unwrap();
    for (key, want) in [
        ("cost", 0.30000000000000004_f64),
        ("tiny", 1.2345678901234567e-7),
        ("odd", 2.3529492621424576e-7),
    ] {
        let got: f64 = raw_number(text, key).parse().unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "{key} changed: {text}");
    }
    assert_eq!(raw_number(text, "cost"), "0.30000000000000004");
    for (key, want) in [
        ("big", "12345678901234567890"),
        ("past_2_53", "9007199254740993"),
        ("neg", "-9223372036854775808"),
    ] {
        assert_eq!(raw_number(text, key), want, "{key} changed: {text}");
    }
    let d = &resp["result"]["structuredContent"]["data"];
    assert_eq!(d["big"].as_u64(), Some(12_345_678_901_234_567_890));
    assert_eq!(d["tiny"].as_f64(), Some(1.2345678901234567e-7));
}

#[tokio::test]
async fn get_log_v2_needs_a_valid_created_at() {
    let h = Harness::start().await;
    let msg = h
        .refused("get_log", json!({"log_id": "l", "path_format": "v2"}))
        .await;
    assert!(msg.contains("created_at"), "{msg}");
    h.refused(
        "get_log",
        json!({"log_id": "l", "created_at": "2026-01-01"}),
    )
    .await;
    h.refused(
        "get_log",
        json!({"log_id": "l", "created_at": "2026-01-01T00:00:00"}),
    )
    .await;
    h.refused("get_log", json!({"log_id": "l", "type": "other"}))
        .await;
}

#[tokio::test]
async fn field_restrictions_use_the_fixed_path() {
    let h = Harness::start().await;
    let answer = json!({"restricted_fields": ["request", "response"], "workspace_id": "ws-1"});
    h.api.reply_json(200, answer.clone());
    let (env, sent) = h
        .call(
            "get_log_export_field_restrictions",
            json!({"workspace_id": "ws-1"}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/logs/exports/field-restrictions");
    assert_eq!(sent[0].sorted_query(), pairs(&[("workspace_id", "ws-1")]));
    assert_eq!(env["data"], answer);
    h.refused("get_log_export_field_restrictions", json!({}))
        .await;
}

#[tokio::test]
async fn insert_log_builds_the_entry_with_defaults() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"success": true}));
    let (env, sent) = h.call("insert_log", minimal_log()).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/logs")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"request": {"url": "https://api.example.com/v1/x", "method": "post", "body": {"q": 1}},
                "response": {"status": 200, "body": {}, "streamingMode": false}, "metadata": {}})
        )
    );
    // Whole numbers go out as integers, as the reference sends them.
    assert!(
        String::from_utf8_lossy(&sent[0].raw_body).contains("\"status\":200,"),
        "{}",
        String::from_utf8_lossy(&sent[0].raw_body)
    );
    assert_eq!(env["data"]["success"], true);

    let (_, sent) = h
        .call(
            "insert_log",
            json!({"request_url": "https://api.openai.com/v1/chat/completions", "request_provider": "openai",
                "request_body": {"messages": [{"content": "SECRET-BODY-991"}]}, "request_headers": {"x-a": "1"},
                "response_status": 201, "response_time": 120.5, "streaming_mode": true,
                "response_body": {"id": "r"}, "metadata_user": "u1", "metadata_trace_id": "t1",
                "metadata_parent_span_id": "p1", "metadata_custom": {"user": "override", "team": "ml"}}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(json!({
            "request": {"url": "https://api.openai.com/v1/chat/completions", "provider": "openai", "method": "post",
                "headers": {"x-a": "1"}, "body": {"messages": [{"content": "SECRET-BODY-991"}]}},
            "response": {"status": 201, "body": {"id": "r"}, "response_time": 120.5, "streamingMode": true},
            "metadata": {"user": "override", "traceId": "t1", "parentSpanId": "p1", "team": "ml"}
        }))
    );
    assert!(!h.mcp.stderr().contains("SECRET-BODY-991"));
}

/// What CustomLog requires: request.url, request.body and response.body.
fn minimal_log() -> Value {
    json!({"request_url": "https://api.example.com/v1/x", "request_body": {"q": 1}, "response_body": {}})
}

#[tokio::test]
async fn insert_log_needs_the_url_and_both_bodies() {
    let h = Harness::start().await;
    for missing in ["request_url", "request_body", "response_body"] {
        let mut args = minimal_log();
        args.as_object_mut().unwrap().remove(missing);
        let msg = h.refused("insert_log", args).await;
        assert!(msg.contains(missing), "{msg}");
    }
    let mut args = minimal_log();
    args["request_url"] = json!("");
    h.refused("insert_log", args).await;
    h.refused("insert_log", json!({})).await;
}

#[tokio::test]
async fn create_log_export_nests_filters() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"id": "exp-1", "total": 0, "object": "export"}));
    let (env, sent) = h
        .call(
            "create_log_export",
            json!({"time_min": "2026-01-01", "time_max": "2026-01-31", "cost_min": 1, "ai_model": ["gpt-4o"],
                "requested_fields": ["id", "cost", "response_status_code"], "workspace_id": "ws"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/logs/exports")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"workspace_id": "ws",
            "filters": {"time_of_generation_min": "2026-01-01", "time_of_generation_max": "2026-01-31", "cost_min": 1, "ai_model": "gpt-4o"},
            "requested_data": ["id", "cost", "response_status_code"]}))
    );
    assert_eq!(env["data"]["id"], "exp-1");
    // The spec types filters.ai_model as one string: several models go comma-separated, none
    // leaves the filter out.
    let (_, sent) = h
        .call(
            "create_log_export",
            json!({"time_min": "2026-01-01", "time_max": "2026-01-31", "ai_model": ["gpt-4o", "claude-3"],
                "total_units_max": 2.5, "requested_fields": ["id"]}),
        )
        .await;
    assert_eq!(
        sent[0].body.as_ref().unwrap()["filters"],
        json!({"time_of_generation_min": "2026-01-01", "time_of_generation_max": "2026-01-31",
            "total_units_max": 2.5, "ai_model": "gpt-4o,claude-3"})
    );
    let (_, sent) = h
        .call(
            "create_log_export",
            json!({"time_min": "a", "time_max": "b", "ai_model": [], "requested_fields": ["id"]}),
        )
        .await;
    assert_eq!(
        sent[0].body.as_ref().unwrap()["filters"],
        json!({"time_of_generation_min": "a", "time_of_generation_max": "b"})
    );
    assert!(
        env["data"]["message"]
            .as_str()
            .unwrap()
            .contains("start_log_export")
    );
    h.refused(
        "create_log_export",
        json!({"time_min": "a", "time_max": "b", "requested_fields": ["password"]}),
    )
    .await;
    h.refused(
        "create_log_export",
        json!({"time_min": "a", "requested_fields": ["id"]}),
    )
    .await;
}

#[tokio::test]
async fn list_and_get_log_exports_shape_rows() {
    let h = Harness::start().await;
    let row = json!({"id": "exp-1", "status": "success", "description": "jan", "filters": {"cost_min": 1},
        "requested_data": ["id"], "workspace_id": "ws", "organisation_id": "org", "created_at": "t",
        "last_updated_at": "u", "created_by": "me", "internal": "x"});
    h.api
        .reply_json(200, json!({"object": "list", "total": 1, "data": [row]}));
    let (env, sent) = h
        .call("list_log_exports", json!({"workspace_id": "ws"}))
        .await;
    assert_eq!(sent[0].path, "/v1/logs/exports");
    assert_eq!(sent[0].sorted_query(), pairs(&[("workspace_id", "ws")]));
    assert_eq!(env["data"]["total"], 1);
    assert_eq!(env["data"]["exports"][0]["status"], "success");
    assert!(env["data"]["exports"][0].get("internal").is_none());

    h.api.reply_json(200, row);
    let (env, sent) = h
        .call("get_log_export", json!({"export_id": "exp 1"}))
        .await;
    assert_eq!(sent[0].path, "/v1/logs/exports/exp%201");
    assert_eq!(env["data"]["organisation_id"], "org");
    assert_eq!(env["data"]["filters"], json!({"cost_min": 1}));
    assert!(env["data"].get("internal").is_none());

    h.api.reply_json(200, json!({"total": 0}));
    let (env, _) = h
        .call("list_log_exports", json!({"workspace_id": "ws"}))
        .await;
    assert_eq!(env["ok"], false, "no data array: {env}");
}

#[tokio::test]
async fn start_and_cancel_post_without_a_body() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"message": "queued"}));
    for (tool, action, status) in [
        ("start_log_export", "start", "started"),
        ("cancel_log_export", "cancel", "cancelled"),
    ] {
        let (env, sent) = h.call(tool, json!({"export_id": "e/1"})).await;
        assert_eq!(sent[0].method, "POST");
        assert_eq!(sent[0].path, format!("/v1/logs/exports/e%2F1/{action}"));
        assert!(sent[0].raw_body.is_empty(), "{tool} sent a body");
        assert_eq!(
            env["data"],
            json!({"message": "queued", "export_id": "e/1", "status": status})
        );
    }
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, _) = h.call("cancel_log_export", json!({"export_id": "e"})).await;
    assert_eq!(
        env["data"],
        json!({"export_id": "e", "status": "cancelled"})
    );
}

#[tokio::test]
async fn download_returns_the_signed_url() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"signed_url": "https://files.example/exp-1.jsonl?sig=abc"}),
    );
    let (env, sent) = h
        .call("download_log_export", json!({"export_id": "exp-1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/logs/exports/exp-1/download")
    );
    assert_eq!(
        env["data"],
        json!({"export_id": "exp-1", "signed_url": "https://files.example/exp-1.jsonl?sig=abc"})
    );
}

#[tokio::test]
async fn update_log_export_always_sends_filters() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"id": "exp-1", "total": 1, "object": "export"}));
    let (env, sent) = h
        .call(
            "update_log_export",
            json!({"export_id": "exp-1", "time_of_generation_max": "2026-03-01"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/logs/exports/exp-1")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"filters": {"time_of_generation_max": "2026-03-01"}}))
    );
    assert_eq!(env["data"]["id"], "exp-1");
    // The body's `filters` is required: without the end time that makes it, nothing is sent.
    for args in [
        json!({"export_id": "exp-1"}),
        json!({"export_id": "exp-1", "requested_fields": ["id"]}),
        json!({"export_id": "exp-1", "time_of_generation_max": ""}),
    ] {
        let msg = h.refused("update_log_export", args).await;
        assert!(msg.contains("time_of_generation_max"), "{msg}");
    }
    let (_, sent) = h
        .call(
            "update_log_export",
            json!({"export_id": "exp-1", "time_of_generation_max": "2026-02-01", "workspace_id": "",
                "requested_fields": ["metadata"]}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(
            json!({"filters": {"time_of_generation_max": "2026-02-01"}, "requested_data": ["metadata"]})
        )
    );
}
