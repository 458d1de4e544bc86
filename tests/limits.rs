//! limits domain: each tool through MCP against the stand-in, asserting request and result.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::json;

fn condition() -> serde_json::Value {
    json!([{"key": "model", "value": ["gpt-4o", "gpt-4o-mini"], "excludes": "gpt-3.5"}])
}

#[tokio::test]
async fn list_rate_limits_filters_and_strips_object() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 4, "has_more": true, "data": [{"id": "r1", "object": "rate_limit",
            "type": "requests", "unit": "rpm", "value": 10, "conditions": [{"key": "model", "value": "*"}]}]}),
    );
    let (env, sent) = h
        .call(
            "list_rate_limits",
            json!({"type": "tokens", "unit": "rpd", "target": "mcp_tools", "status": "archived", "page_size": 2, "current_page": 0}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/policies/rate-limits")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "0".into()),
            ("page_size".into(), "2".into()),
            ("status".into(), "archived".into()),
            ("target".into(), "mcp_tools".into()),
            ("type".into(), "tokens".into()),
            ("unit".into(), "rpd".into()),
        ]
    );
    assert_eq!(env["data"]["total"], 4);
    assert_eq!(env["data"]["has_more"], true);
    let row = &env["data"]["rate_limits"][0];
    assert_eq!(row["id"], "r1");
    assert_eq!(row["conditions"][0]["value"], "*");
    assert!(row.get("object").is_none());
    h.refused("list_rate_limits", json!({"unit": "rps"})).await;
}

#[tokio::test]
async fn get_rate_limit_puts_id_in_path_and_status_in_query() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "r/1", "object": "rate_limit", "value": 5}),
    );
    let (env, sent) = h
        .call("get_rate_limit", json!({"id": "r/1", "status": "archived"}))
        .await;
    assert_eq!(sent[0].path, "/v1/policies/rate-limits/r%2F1");
    assert_eq!(
        sent[0].sorted_query(),
        vec![("status".into(), "archived".into())]
    );
    assert_eq!(env["data"], json!({"id": "r/1", "value": 5}));
    let msg = h.refused("get_rate_limit", json!({"id": " "})).await;
    assert!(msg.contains("id"), "{msg}");
    h.refused("get_rate_limit", json!({"id": ""})).await;
}

#[tokio::test]
async fn create_rate_limit_body_and_refusals() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"id": "r-new", "object": "rate_limit"}));
    let args = json!({"conditions": condition(), "group_by": [{"key": "api_key"}], "type": "requests",
        "unit": "rpm", "value": 100, "target": "llm", "workspace_id": "w"});
    let (env, sent) = h.call("create_rate_limit", args.clone()).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/policies/rate-limits")
    );
    assert_eq!(sent[0].body, Some(args));
    let raw = String::from_utf8(sent[0].raw_body.clone()).unwrap();
    assert!(raw.contains("\"value\":100"), "{raw}");
    assert_eq!(env["data"], json!({"success": true, "id": "r-new"}));

    let base = json!({"conditions": condition(), "group_by": [{"key": "api_key"}], "type": "requests", "unit": "rpm", "value": 1});
    let alt = |k: &str, v: serde_json::Value| {
        let mut a = base.clone();
        a[k] = v;
        a
    };
    h.refused("create_rate_limit", alt("conditions", json!([])))
        .await;
    h.refused("create_rate_limit", alt("group_by", json!([])))
        .await;
    h.refused("create_rate_limit", alt("value", json!(-1)))
        .await;
    h.refused("create_rate_limit", alt("type", json!("cost")))
        .await;
    h.refused(
        "create_rate_limit",
        alt("conditions", json!([{"key": "model", "value": []}])),
    )
    .await;
    h.refused(
        "create_rate_limit",
        alt("conditions", json!([{"key": "", "value": "x"}])),
    )
    .await;
}

#[tokio::test]
async fn update_and_delete_rate_limit() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"success": true}));
    let (env, sent) = h
        .call("update_rate_limit", json!({"id": "r1", "value": 50}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/policies/rate-limits/r1")
    );
    assert_eq!(sent[0].body, Some(json!({"value": 50})));
    assert_eq!(env["data"], json!({"success": true, "id": "r1"}));

    let (_, sent) = h.call("update_rate_limit", json!({"id": "r1"})).await;
    assert_eq!(sent[0].body, Some(json!({})));

    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("delete_rate_limit", json!({"id": "r1"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/policies/rate-limits/r1")
    );
    assert_eq!(env["data"], json!({"success": true, "id": "r1"}));
}

#[tokio::test]
async fn list_and_get_usage_limits() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 1, "data": [{"id": "u1", "object": "usage_limit", "credit_limit": 10}]}),
    );
    let (env, sent) = h
        .call(
            "list_usage_limits",
            json!({"type": "cost", "workspace_id": "w"}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/policies/usage-limits");
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("type".into(), "cost".into()),
            ("workspace_id".into(), "w".into())
        ]
    );
    assert_eq!(
        env["data"],
        json!({"total": 1, "usage_limits": [{"id": "u1", "credit_limit": 10}]})
    );

    h.api.reply_json(
        200,
        json!({"id": "u1", "object": "usage_limit", "usage": [{"value": "k", "usage": 3}]}),
    );
    let (env, sent) = h
        .call(
            "get_usage_limit",
            json!({"id": "u1", "include_usage": true}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/policies/usage-limits/u1");
    assert_eq!(
        sent[0].sorted_query(),
        vec![("include_usage".into(), "true".into())]
    );
    assert_eq!(env["data"]["usage"][0]["usage"], 3);
    assert!(env["data"].get("object").is_none());
}

#[tokio::test]
async fn create_usage_limit_keeps_explicit_nulls() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"id": "u-new"}));
    let args = json!({"conditions": condition(), "group_by": [{"key": "workspace_id"}], "type": "cost",
        "credit_limit": 25.5, "alert_threshold": null, "periodic_reset": null});
    let (env, sent) = h.call("create_usage_limit", args.clone()).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/policies/usage-limits")
    );
    assert_eq!(sent[0].body, Some(args), "nulls are sent as given");
    assert_eq!(env["data"], json!({"success": true, "id": "u-new"}));

    let args = json!({"conditions": condition(), "group_by": [{"key": "workspace_id"}], "type": "tokens",
        "credit_limit": 1000, "alert_threshold": 800, "periodic_reset": "weekly", "name": "n"});
    let (_, sent) = h.call("create_usage_limit", args.clone()).await;
    assert_eq!(sent[0].body, Some(args));

    h.refused(
        "create_usage_limit",
        json!({"conditions": condition(), "group_by": [{"key": "k"}], "type": "cost", "credit_limit": 1, "periodic_reset": "daily"}),
    )
    .await;
    h.refused(
        "create_usage_limit",
        json!({"conditions": condition(), "group_by": [{"key": "k"}], "type": "cost"}),
    )
    .await;
}

#[tokio::test]
async fn update_usage_limit_rules() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"success": true}));
    // The two reset settings exclude each other: the contract's #all example is refused.
    let msg = h
        .refused(
            "update_usage_limit",
            json!({"id": "u1", "periodic_reset": "monthly", "periodic_reset_days": 30}),
        )
        .await;
    assert!(
        msg.contains("periodic_reset") && msg.contains("periodic_reset_days"),
        "{msg}"
    );

    // One set and the other cleared is fine; nulls reach the body.
    let (env, sent) = h
        .call(
            "update_usage_limit",
            json!({"id": "u1", "periodic_reset": null, "periodic_reset_days": 30, "description": null}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/policies/usage-limits/u1")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"periodic_reset": null, "periodic_reset_days": 30, "description": null}))
    );
    assert_eq!(env["data"], json!({"success": true, "id": "u1"}));

    let (_, sent) = h
        .call(
            "update_usage_limit",
            json!({"id": "u1", "next_usage_reset_at": "2026-03-01T08:30:00.5+05:30",
                "reset_usage_for_value": "key-a", "credit_limit": 10, "conditions": condition()}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(
            json!({"next_usage_reset_at": "2026-03-01T08:30:00.5+05:30", "reset_usage_for_value": "key-a",
            "credit_limit": 10, "conditions": condition()})
        )
    );

    for bad in [
        "2026-03-01",
        "2026-02-30T00:00:00Z",
        "2026-03-01T00:00Z",
        "2026-03-01T00:00:00",
        "tomorrow",
    ] {
        let msg = h
            .refused(
                "update_usage_limit",
                json!({"id": "u1", "next_usage_reset_at": bad}),
            )
            .await;
        assert!(msg.contains("next_usage_reset_at"), "{bad}: {msg}");
    }
    h.refused(
        "update_usage_limit",
        json!({"id": "u1", "periodic_reset_days": 0}),
    )
    .await;
    h.refused(
        "update_usage_limit",
        json!({"id": "u1", "name": "x".repeat(256)}),
    )
    .await;
    h.refused("update_usage_limit", json!({"id": "u1", "conditions": []}))
        .await;
}

#[tokio::test]
async fn delete_usage_limit_archives() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("delete_usage_limit", json!({"id": "u 1"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/policies/usage-limits/u%201")
    );
    assert_eq!(
        env["data"],
        json!({"success": true, "id": "u 1", "status": "archived"})
    );
}

#[tokio::test]
async fn usage_limit_entities_list_and_reset() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 2, "data": [{"id": "e1", "value": "key-a", "usage": 9}]}),
    );
    let (env, sent) = h
        .call(
            "list_usage_limit_entities",
            json!({"limit_id": "u1", "status": "exhausted", "search": "key", "page_size": 10}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/policies/usage-limits/u1/entities");
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("page_size".into(), "10".into()),
            ("search".into(), "key".into()),
            ("status".into(), "exhausted".into()),
        ]
    );
    assert_eq!(
        env["data"],
        json!({"total": 2, "entities": [{"id": "e1", "value": "key-a", "usage": 9}]})
    );
    h.refused(
        "list_usage_limit_entities",
        json!({"limit_id": "u1", "status": "archived"}),
    )
    .await;

    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call(
            "reset_usage_limit_entity",
            json!({"limit_id": "u1", "entity_id": "e/1"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/policies/usage-limits/u1/entities/e%2F1/reset")
    );
    assert!(sent[0].raw_body.is_empty(), "no body is sent");
    assert_eq!(
        env["data"],
        json!({"success": true, "limit_id": "u1", "entity_id": "e/1"})
    );
    let msg = h
        .refused(
            "reset_usage_limit_entity",
            json!({"limit_id": "u1", "entity_id": "  "}),
        )
        .await;
    assert!(msg.contains("entity_id"), "{msg}");
}
