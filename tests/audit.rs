//! audit domain: list_audit_logs through MCP against the stand-in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn list_audit_logs_filters_and_shapes_events() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 9, "current_page": 0, "page_size": 1, "data": [{"id": "e1", "action": "update", "actor_id": "u1",
            "resource_type": "config", "resource_id": "c1", "created_at": "t", "metadata": {"api_key": "pk-SECRET-1", "note": "n"}}]}),
    );
    let (env, sent) = h
        .call(
            "list_audit_logs",
            json!({"organisation_id": "org-1", "action": "update", "resource_type": "config",
                "start_time": "2025-01-01T00:00:00Z", "end_time": "2025-02-01T00:00:00Z", "page_size": 1, "current_page": 0}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/audit-logs")
    );
    let mut want = vec![
        ("organisation_id".to_string(), "org-1".to_string()),
        ("end_time".into(), "2025-02-01T00:00:00Z".into()),
        ("action".into(), "update".into()),
        ("resource_type".into(), "config".into()),
        ("start_time".into(), "2025-01-01T00:00:00Z".into()),
        ("page_size".into(), "1".into()),
        ("current_page".into(), "0".into()),
    ];
    want.sort();
    assert_eq!(sent[0].sorted_query(), want);
    assert_eq!(env["data"]["total"], 9);
    assert_eq!(env["data"]["page_size"], 1);
    let e = &env["data"]["audit_logs"][0];
    assert_eq!(e["action"], "update");
    assert_eq!(e["metadata"]["note"], "n");
    assert!(!env.to_string().contains("SECRET"), "{env}");
    assert!(!h.mcp.stderr().contains("SECRET"));

    // The spec's required query (organisation_id, start_time, end_time) and nothing else.
    let (_, sent) = h.call("list_audit_logs", required()).await;
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("end_time".to_string(), "2025-02-01T00:00:00Z".to_string()),
            ("organisation_id".into(), "org-1".into()),
            ("start_time".into(), "2025-01-01T00:00:00Z".into()),
        ]
    );
}

/// What GET /audit-logs requires: organisation_id, start_time, end_time.
fn required() -> serde_json::Value {
    json!({"organisation_id": "org-1", "start_time": "2025-01-01T00:00:00Z", "end_time": "2025-02-01T00:00:00Z"})
}

#[tokio::test]
async fn list_audit_logs_needs_the_organisation_and_the_window() {
    let h = Harness::start().await;
    for missing in ["organisation_id", "start_time", "end_time"] {
        let mut args = required();
        args.as_object_mut().unwrap().remove(missing);
        let msg = h.refused("list_audit_logs", args).await;
        assert!(msg.contains(missing), "{msg}");
        let mut args = required();
        args[missing] = json!("");
        h.refused("list_audit_logs", args).await;
    }
    h.refused("list_audit_logs", json!({})).await;
}

#[tokio::test]
async fn list_audit_logs_reads_the_documented_records_form() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "analytics-graph", "total": 1, "records": [{"timestamp": "t", "method": "PUT", "uri": "/v1/configs/x",
            "user_id": "u1", "user_type": "user", "action": "update", "response_status_code": 200,
            "request_body": "{\"key\":\"sk-SECRET\"}", "request_headers": "{\"x-portkey-api-key\":\"pk-SECRET\"}"}]}),
    );
    let (env, _) = h.call("list_audit_logs", required()).await;
    let e = &env["data"]["audit_logs"][0];
    assert_eq!(e["uri"], "/v1/configs/x");
    assert_eq!(e["response_status_code"], 200);
    assert!(e.get("request_body").is_none() && e.get("request_headers").is_none());
    assert!(!env.to_string().contains("SECRET"), "{env}");
}

#[tokio::test]
async fn list_audit_logs_refuses_bad_paging() {
    let h = Harness::start().await;
    let mut args = required();
    args["page_size"] = json!(101);
    h.refused("list_audit_logs", args).await;
    let mut args = required();
    args["current_page"] = json!(-1);
    h.refused("list_audit_logs", args).await;
}
