//! providers domain: each tool through MCP against the stand-in, asserting request and result.
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
async fn list_providers_pages_and_shapes_limits() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 3, "has_more": true, "data": [{"id": "p1", "name": "P", "slug": "openai-x", "integration_id": "openai",
            "status": "active", "usage_limits": {"credit_limit": 10, "alert_threshold": 80, "periodic_reset": "monthly", "internal": 1},
            "rate_limits": [{"type": "requests", "unit": "rpm", "value": 5, "extra": true}], "created_at": "t", "secret_stuff": "x"}]}),
    );
    let (env, sent) = h
        .call(
            "list_providers",
            json!({"current_page": 1, "page_size": 20, "workspace_id": "ws-1"}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/providers")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "1".into()),
            ("page_size".into(), "20".into()),
            ("workspace_id".into(), "ws-1".into())
        ]
    );
    assert_eq!(env["ok"], true);
    let d = &env["data"];
    assert_eq!(d["total"], 3);
    assert_eq!(d["has_more"], true);
    let p = &d["providers"][0];
    assert_eq!(p["slug"], "openai-x");
    assert_eq!(p["integration_id"], "openai");
    assert_eq!(
        p["usage_limits"],
        json!({"credit_limit": 10, "alert_threshold": 80, "periodic_reset": "monthly"})
    );
    assert_eq!(
        p["rate_limits"],
        json!([{"type": "requests", "unit": "rpm", "value": 5}])
    );
    assert!(p.get("secret_stuff").is_none());
}

#[tokio::test]
async fn create_provider_nests_limits() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"success": true, "id": "p-9", "slug": "prov-9"}));
    let (env, sent) = h
        .call(
            "create_provider",
            json!({"name": "Prod", "integration_id": "openai-main", "workspace_id": "ws", "credit_limit": 50,
                "usage_limit_type": "tokens", "rate_limit_value": 100, "rate_limit_unit": "rph", "expires_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/providers")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "Prod", "integration_id": "openai-main", "workspace_id": "ws",
            "usage_limits": {"type": "tokens", "periodic_reset": "monthly", "credit_limit": 50},
            "rate_limits": {"type": "requests", "unit": "rph", "value": 100},
            "expires_at": "2030-01-01T00:00:00Z"})
        )
    );
    // The spec's request schema takes rate_limits as one object, not the array answers carry;
    // whole numbers go as integers, as the spec types them.
    assert!(sent[0].body.as_ref().unwrap()["rate_limits"].is_object());
    let raw = std::str::from_utf8(&sent[0].raw_body).unwrap();
    assert!(raw.contains("\"value\":100}"), "{raw}");
    assert_eq!(env["data"]["id"], "p-9");
    assert_eq!(env["data"]["slug"], "prov-9");
    assert!(env["data"]["message"].as_str().unwrap().contains("Prod"));
}

#[tokio::test]
async fn create_provider_refuses_unpaired_limits() {
    let h = Harness::start().await;
    let base = json!({"name": "n", "integration_id": "i"});
    let with = |k: &str, v: serde_json::Value| {
        let mut a = base.clone();
        a[k] = v;
        a
    };
    let msg = h
        .refused("create_provider", with("rate_limit_value", json!(5)))
        .await;
    assert!(
        msg.contains("rate_limit_value") && msg.contains("rate_limit_unit"),
        "{msg}"
    );
    h.refused("create_provider", with("rate_limit_unit", json!("rpm")))
        .await;
    let msg = h
        .refused("create_provider", with("periodic_reset", json!("weekly")))
        .await;
    assert!(msg.contains("credit_limit"), "{msg}");
    h.refused("create_provider", with("alert_threshold", json!(101)))
        .await;
    // UsageLimits.alert_threshold has minimum: 1 in the spec.
    let msg = h
        .refused("create_provider", with("alert_threshold", json!(0)))
        .await;
    assert!(msg.contains("alert_threshold"), "{msg}");
    h.refused("create_provider", with("credit_limit", json!(0)))
        .await;
    h.refused("create_provider", with("rate_limit_unit", json!("rps")))
        .await;
}

#[tokio::test]
async fn get_provider_encodes_slug_and_passes_workspace() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"name": "P", "slug": "a/b", "status": "exhausted", "reset_usage": false, "expires_at": null}),
    );
    let (env, sent) = h
        .call(
            "get_provider",
            json!({"slug": "a/b c", "workspace_id": "ws 1"}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/providers/a%2Fb%20c");
    assert_eq!(
        sent[0].sorted_query(),
        vec![("workspace_id".into(), "ws 1".into())]
    );
    assert_eq!(env["data"]["status"], "exhausted");
    assert_eq!(env["data"]["reset_usage"], false);
    assert!(env["data"].get("expires_at").is_none());
}

/// GET /providers/{slug} as the spec describes it: the usage cap's type and reset schedule come
/// back with the cap.
#[tokio::test]
async fn get_provider_keeps_the_specs_usage_limit_members() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"name": "P", "integration_id": "openai", "note": "n", "status": "active",
            "usage_limits": {"credit_limit": 500, "type": "tokens", "alert_threshold": 80, "periodic_reset": "weekly",
                "periodic_reset_days": 7, "next_usage_reset_at": "2026-02-01T00:00:00Z"},
            "reset_usage": 0, "created_at": "2026-01-01T00:00:00Z", "slug": "openai-p",
            "rate_limits": [{"type": "requests", "unit": "rpm", "value": 60}], "expires_at": "2027-01-01T00:00:00Z",
            "object": "provider"}),
    );
    let (env, _) = h.call("get_provider", json!({"slug": "openai-p"})).await;
    assert_eq!(
        env["data"]["usage_limits"],
        json!({"credit_limit": 500, "type": "tokens", "alert_threshold": 80, "periodic_reset": "weekly",
            "periodic_reset_days": 7, "next_usage_reset_at": "2026-02-01T00:00:00Z"})
    );
    assert_eq!(env["data"]["rate_limits"][0]["value"], 60);
    assert_eq!(env["data"]["expires_at"], "2027-01-01T00:00:00Z");
}

#[tokio::test]
async fn update_provider_sends_only_given_fields() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"id": "p1", "slug": "s"}));
    let (env, sent) = h
        .call(
            "update_provider",
            json!({"slug": "s", "workspace_id": "ws", "alert_threshold": 1, "reset_usage": true}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/providers/s")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![("workspace_id".into(), "ws".into())]
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"usage_limits": {"type": "cost", "periodic_reset": "monthly", "alert_threshold": 1}, "reset_usage": true})
        )
    );
    assert_eq!(env["data"]["id"], "p1");
    // A rate limit on update is the spec's single object too.
    let (_, sent) = h
        .call(
            "update_provider",
            json!({"slug": "s", "rate_limit_value": 2.5, "rate_limit_unit": "rpd"}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(json!({"rate_limits": {"type": "requests", "unit": "rpd", "value": 2.5}}))
    );
    // Nothing but the slug: an empty body, as the reference sends; an empty workspace_id is left out.
    let (_, sent) = h
        .call("update_provider", json!({"slug": "s", "workspace_id": ""}))
        .await;
    assert_eq!(sent[0].body, Some(json!({})));
    assert!(sent[0].query.is_empty());
    h.refused(
        "update_provider",
        json!({"slug": "s", "alert_threshold": 0}),
    )
    .await;
}

#[tokio::test]
async fn update_provider_refuses_unit_without_value() {
    let h = Harness::start().await;
    let msg = h
        .refused(
            "update_provider",
            json!({"slug": "s", "rate_limit_unit": "rpd"}),
        )
        .await;
    assert!(msg.contains("rate_limit_value"), "{msg}");
}

#[tokio::test]
async fn delete_provider_with_workspace_and_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call("delete_provider", json!({"slug": "s", "workspace_id": "w"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/providers/s")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![("workspace_id".into(), "w".into())]
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
}
