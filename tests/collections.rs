//! collections domain: each tool through MCP against the stand-in, asserting request and result.
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
async fn list_collections_sends_filters_and_shapes_rows() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 4, "data": [{"id": "c1", "name": "App", "slug": "app",
            "workspace_id": "ws", "created_at": "t", "last_updated_at": "u", "extra": "dropped"}]}),
    );
    let (env, sent) = h
        .call(
            "list_collections",
            json!({"workspace_id": "ws", "search": "ap", "current_page": 1, "page_size": 5}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/collections")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "1".into()),
            ("page_size".into(), "5".into()),
            ("search".into(), "ap".into()),
            ("workspace_id".into(), "ws".into()),
        ]
    );
    assert_eq!(sent[0].body, None);
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["total"], 4);
    assert_eq!(
        env["data"]["collections"][0],
        json!({"id": "c1", "name": "App", "slug": "app", "workspace_id": "ws", "created_at": "t", "last_updated_at": "u"})
    );
}

/// GET /collections requires the `workspace_id` query parameter: without it nothing is sent.
#[tokio::test]
async fn list_collections_needs_a_workspace() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call("list_collections", json!({"workspace_id": "ws"}))
        .await;
    assert_eq!(
        sent[0].sorted_query(),
        vec![("workspace_id".to_string(), "ws".to_string())]
    );
    assert_eq!(env["data"]["collections"][0]["slug"], "mock-slug");
    let msg = h.refused("list_collections", json!({})).await;
    assert!(msg.contains("workspace_id"), "{msg}");
    h.refused("list_collections", json!({"workspace_id": ""}))
        .await;
    h.refused(
        "list_collections",
        json!({"workspace_id": "ws", "page_size": 0}),
    )
    .await;
    h.refused(
        "list_collections",
        json!({"workspace_id": "ws", "current_page": -1}),
    )
    .await;
}

#[tokio::test]
async fn list_collections_takes_the_pinned_workspace() {
    let h = Harness::start_with(&[("PORTKEY_WORKSPACE_ID", "ws-pinned")]).await;
    let (env, sent) = h.call("list_collections", json!({})).await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(
        sent[0].sorted_query(),
        vec![("workspace_id".to_string(), "ws-pinned".to_string())]
    );
}

#[tokio::test]
async fn create_collection_posts_name_and_workspace() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"id": "new", "slug": "new-slug", "object": "x"}));
    let (env, sent) = h
        .call(
            "create_collection",
            json!({"name": "Research", "workspace_id": "ws"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/collections")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"name": "Research", "workspace_id": "ws"}))
    );
    assert_eq!(env["data"]["id"], "new");
    assert_eq!(env["data"]["slug"], "new-slug");
    assert!(
        env["data"]["message"]
            .as_str()
            .unwrap()
            .contains("Research")
    );
    assert!(env["data"].get("object").is_none());

    let (_, sent) = h.call("create_collection", json!({"name": "R"})).await;
    assert_eq!(sent[0].body, Some(json!({"name": "R"})));
    h.refused("create_collection", json!({})).await;
}

/// GET /collections/{id} as the spec describes it: parent, status and child collections come
/// back with the summary fields.
#[tokio::test]
async fn get_collection_keeps_the_tree() {
    let h = Harness::start().await;
    let children = json!([{"id": "c2", "name": "Sub", "last_updated_at": "2026-01-02T00:00:00Z",
        "collection_details": {"child_collections_count": 0, "prompts_count": 4,
            "child_collections_last_updated_at": null, "prompts_last_updated_at": "2026-01-03T00:00:00Z"}}]);
    h.api.reply_json(
        200,
        json!({"id": "c1", "name": "App", "workspace_id": "ws", "slug": "app", "parent_collection_id": "c0",
            "is_default": false, "status": "active", "created_at": "2026-01-01T00:00:00Z",
            "last_updated_at": "2026-01-02T00:00:00Z", "child_collections": children}),
    );
    let (env, _) = h
        .call("get_collection", json!({"collection_id": "c1"}))
        .await;
    let d = &env["data"];
    assert_eq!(d["parent_collection_id"], "c0");
    assert_eq!(d["is_default"], false);
    assert_eq!(d["status"], "active");
    assert_eq!(d["child_collections"], children);
}

#[tokio::test]
async fn get_collection_encodes_id_and_picks_fields() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "c1", "name": "App", "slug": "app", "workspace_id": "ws", "created_at": "t",
            "last_updated_at": "u", "owner": "someone"}),
    );
    let (env, sent) = h
        .call("get_collection", json!({"collection_id": "a/b c"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/collections/a%2Fb%20c")
    );
    assert_eq!(
        env["data"],
        json!({"id": "c1", "name": "App", "slug": "app", "workspace_id": "ws", "created_at": "t", "last_updated_at": "u"})
    );
}

#[tokio::test]
async fn update_collection_sends_the_name_and_given_fields() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "update_collection",
            json!({"collection_id": "c1", "name": "n"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/collections/c1")
    );
    assert_eq!(sent[0].body, Some(json!({"name": "n"})));
    assert_eq!(env["data"]["success"], true);

    let (_, sent) = h
        .call(
            "update_collection",
            json!({"collection_id": "c1", "name": "n", "description": "d"}),
        )
        .await;
    assert_eq!(sent[0].body, Some(json!({"name": "n", "description": "d"})));
    // PUT /collections/{collectionId} requires `name` in the body: refused without it.
    for args in [
        json!({"collection_id": "c1"}),
        json!({"collection_id": "c1", "description": "d"}),
        json!({"collection_id": "c1", "name": ""}),
    ] {
        let msg = h.refused("update_collection", args).await;
        assert!(msg.contains("name"), "{msg}");
    }
}

#[tokio::test]
async fn delete_collection_handles_204_and_reports_failure() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call("delete_collection", json!({"collection_id": "c/1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/collections/c%2F1")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);

    h.api
        .reply_json(404, json!({"message": "collection not found"}));
    let (env, _) = h
        .call("delete_collection", json!({"collection_id": "gone"}))
        .await;
    assert_eq!(env["ok"], false);
}
