//! labels domain: each tool through MCP against the stand-in, asserting request and result.
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
async fn create_prompt_label_posts_scope_and_returns_id() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"id": "lbl-1", "object": "label"}));
    let (env, sent) = h
        .call(
            "create_prompt_label",
            json!({"name": "production", "workspace_id": "ws", "description": "live", "color_code": "#A1b2C3"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/labels")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "production", "workspace_id": "ws", "description": "live", "color_code": "#A1b2C3"})
        )
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["id"], "lbl-1");
    assert!(
        env["data"]["message"]
            .as_str()
            .unwrap()
            .contains("production")
    );

    let (_, sent) = h
        .call(
            "create_prompt_label",
            json!({"name": "p", "organisation_id": "org"}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(json!({"name": "p", "organisation_id": "org"}))
    );
}

#[tokio::test]
async fn create_prompt_label_needs_a_scope() {
    let h = Harness::start().await;
    let msg = h
        .refused("create_prompt_label", json!({"name": "production"}))
        .await;
    assert!(
        msg.contains("organisation_id") && msg.contains("workspace_id"),
        "{msg}"
    );
}

#[tokio::test]
async fn label_colour_must_be_six_hex_digits() {
    let h = Harness::start().await;
    for bad in ["red", "#12345", "#1234567", "#GGGGGG", "123456#", "#12345é"] {
        let msg = h
            .refused(
                "create_prompt_label",
                json!({"name": "x", "workspace_id": "ws", "color_code": bad}),
            )
            .await;
        assert!(msg.contains("color_code"), "{msg}");
        h.refused(
            "update_prompt_label",
            json!({"label_id": "l", "color_code": bad}),
        )
        .await;
    }
}

#[tokio::test]
async fn list_prompt_labels_sends_filters_and_shapes_rows() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 9, "data": [{"id": "l1", "name": "prod", "description": "d", "color_code": "#FFFFFF",
            "is_universal": false, "status": "active", "created_at": "t", "last_updated_at": "u",
            "organisation_id": "org", "internal": 1}]}),
    );
    let (env, sent) = h
        .call(
            "list_prompt_labels",
            json!({"organisation_id": "org", "workspace_id": "ws", "search": "pr", "current_page": 3, "page_size": 100}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/labels")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "3".into()),
            ("organisation_id".into(), "org".into()),
            ("page_size".into(), "100".into()),
            ("search".into(), "pr".into()),
            ("workspace_id".into(), "ws".into()),
        ]
    );
    assert_eq!(env["data"]["total"], 9);
    assert_eq!(
        env["data"]["labels"][0],
        json!({"id": "l1", "name": "prod", "description": "d", "color_code": "#FFFFFF",
            "is_universal": false, "status": "active", "created_at": "t", "last_updated_at": "u"})
    );

    let (_, sent) = h.call("list_prompt_labels", json!({})).await;
    assert!(sent[0].query.is_empty());
    h.refused("list_prompt_labels", json!({"page_size": 101}))
        .await;
}

#[tokio::test]
async fn get_prompt_label_sends_scope_as_query() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "l1", "name": "prod", "organisation_id": "org", "workspace_id": "ws",
            "is_universal": true, "status": "active", "secret_stuff": "no"}),
    );
    let (env, sent) = h
        .call(
            "get_prompt_label",
            json!({"label_id": "l 1", "organisation_id": "org", "workspace_id": "ws"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/labels/l%201")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("organisation_id".into(), "org".into()),
            ("workspace_id".into(), "ws".into()),
        ]
    );
    assert_eq!(
        env["data"],
        json!({"id": "l1", "name": "prod", "organisation_id": "org", "workspace_id": "ws",
            "is_universal": true, "status": "active"})
    );

    let (_, sent) = h.call("get_prompt_label", json!({"label_id": "l1"})).await;
    assert!(sent[0].query.is_empty());
}

#[tokio::test]
async fn update_prompt_label_sends_only_given_fields() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "update_prompt_label",
            json!({"label_id": "l1", "color_code": "#00ff00"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/labels/l1")
    );
    assert_eq!(sent[0].body, Some(json!({"color_code": "#00ff00"})));
    assert_eq!(env["data"]["success"], true);

    let (_, sent) = h
        .call("update_prompt_label", json!({"label_id": "l1"}))
        .await;
    assert_eq!(sent[0].body, Some(json!({})));
}

#[tokio::test]
async fn delete_prompt_label_handles_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call("delete_prompt_label", json!({"label_id": "a/b"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/labels/a%2Fb")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
}
