//! partials domain: each tool through MCP against the stand-in, asserting request and result.
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
async fn create_prompt_partial_posts_and_returns_ids() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "pp1", "slug": "greet", "version_id": "v1", "object": "x"}),
    );
    let (env, sent) = h
        .call(
            "create_prompt_partial",
            json!({"name": "greet", "string": "Hello {{name}}", "workspace_id": "ws", "version_description": "first"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/prompts/partials")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "greet", "string": "Hello {{name}}", "workspace_id": "ws", "version_description": "first"})
        )
    );
    assert_eq!(env["data"]["id"], "pp1");
    assert_eq!(env["data"]["slug"], "greet");
    assert_eq!(env["data"]["version_id"], "v1");
    assert!(env["data"].get("object").is_none());

    let (_, sent) = h
        .call("create_prompt_partial", json!({"name": "g", "string": "s"}))
        .await;
    assert_eq!(sent[0].body, Some(json!({"name": "g", "string": "s"})));
    h.refused("create_prompt_partial", json!({"name": "g"}))
        .await;
}

#[tokio::test]
async fn list_prompt_partials_counts_rows_and_filters_by_collection() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 50, "data": [
            {"id": "a", "slug": "sa", "name": "A", "collection_id": "c1", "status": "active",
             "created_at": "t", "last_updated_at": "u", "string": "long text not listed"},
            {"id": "b", "slug": "sb", "name": "B"}]}),
    );
    let (env, sent) = h
        .call("list_prompt_partials", json!({"collection_id": "c1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/prompts/partials")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![("collection_id".into(), "c1".into())]
    );
    assert_eq!(env["data"]["total"], 2, "total counts the rows returned");
    assert_eq!(
        env["data"]["partials"][0],
        json!({"id": "a", "slug": "sa", "name": "A", "collection_id": "c1", "status": "active",
            "created_at": "t", "last_updated_at": "u"})
    );

    // A bare array is accepted; no filter sends no query.
    h.api
        .reply_json(200, json!([{"id": "z", "slug": "sz", "name": "Z"}]));
    let (env, sent) = h.call("list_prompt_partials", json!({})).await;
    assert!(sent[0].query.is_empty());
    assert_eq!(env["data"]["total"], 1);
    assert_eq!(env["data"]["partials"][0]["id"], "z");

    // An answer without rows is reported, not shown as an empty list.
    h.api.reply_json(200, json!({"object": "list"}));
    let (env, _) = h.call("list_prompt_partials", json!({})).await;
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"].as_str().unwrap().contains("`data`"),
        "{env}"
    );
}

#[tokio::test]
async fn get_prompt_partial_returns_text_and_version() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "pp1", "slug": "greet", "name": "greet", "collection_id": "c", "string": "Hi",
            "version": 3, "version_description": "d", "prompt_partial_version_id": "pv3",
            "status": "active", "created_at": "t", "last_updated_at": "u", "junk": true}),
    );
    let (env, sent) = h
        .call("get_prompt_partial", json!({"prompt_partial_id": "gr/eet"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/prompts/partials/gr%2Feet")
    );
    assert_eq!(
        env["data"],
        json!({"id": "pp1", "slug": "greet", "name": "greet", "collection_id": "c", "string": "Hi",
            "version": 3, "version_description": "d", "prompt_partial_version_id": "pv3",
            "status": "active", "created_at": "t", "last_updated_at": "u"})
    );
}

#[tokio::test]
async fn update_prompt_partial_renames_description_in_body() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"prompt_partial_version_id": "pv9"}));
    let (env, sent) = h
        .call(
            "update_prompt_partial",
            json!({"prompt_partial_id": "pp1", "name": "n", "string": "s", "description": "why", "status": "archived"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/prompts/partials/pp1")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "n", "string": "s", "version_description": "why", "status": "archived"})
        )
    );
    assert_eq!(env["data"]["prompt_partial_version_id"], "pv9");

    let (env, sent) = h
        .call("update_prompt_partial", json!({"prompt_partial_id": "pp1"}))
        .await;
    assert_eq!(sent[0].body, Some(json!({})));
    assert_eq!(env["ok"], true);
    h.refused(
        "update_prompt_partial",
        json!({"prompt_partial_id": "pp1", "status": "draft"}),
    )
    .await;
}

#[tokio::test]
async fn delete_prompt_partial_handles_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call("delete_prompt_partial", json!({"prompt_partial_id": "p 1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/prompts/partials/p%201")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn list_partial_versions_previews_text() {
    let h = Harness::start().await;
    let long = "x".repeat(250);
    h.api.reply_json(
        200,
        json!({"data": [
            {"prompt_partial_id": "pp1", "prompt_partial_version_id": "pv1", "slug": "greet", "version": 1,
             "description": "first", "prompt_version_status": "active", "created_at": "t", "string": "short"},
            {"prompt_partial_id": "pp1", "prompt_partial_version_id": "pv2", "version": 2, "string": long}]}),
    );
    let (env, sent) = h
        .call("list_partial_versions", json!({"prompt_partial_id": "pp1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/prompts/partials/pp1/versions")
    );
    let d = &env["data"];
    assert_eq!(d["prompt_partial_id"], "pp1");
    assert_eq!(d["total_versions"], 2);
    assert_eq!(
        d["versions"][0],
        json!({"prompt_partial_id": "pp1", "prompt_partial_version_id": "pv1", "slug": "greet",
            "version": 1, "description": "first", "status": "active", "created_at": "t",
            "content_preview": "short"})
    );
    let preview = d["versions"][1]["content_preview"].as_str().unwrap();
    assert_eq!(preview, format!("{}...", "x".repeat(200)));
}

#[tokio::test]
async fn list_partial_versions_reports_rows_without_text() {
    // The generic answer's rows have no `string`: a clear failure, like the reference.
    let h = Harness::start().await;
    let (env, sent) = h
        .call("list_partial_versions", json!({"prompt_partial_id": "pp1"}))
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`string`"),
        "{env}"
    );
}

#[tokio::test]
async fn publish_partial_sends_whole_version_number() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "publish_partial",
            json!({"prompt_partial_id": "pp1", "version": 2}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/prompts/partials/pp1/makeDefault")
    );
    assert_eq!(sent[0].raw_body, br#"{"version":2}"#.to_vec());
    assert_eq!(env["data"]["published_version"], 2);
    assert_eq!(env["data"]["prompt_partial_id"], "pp1");
    assert_eq!(env["data"]["success"], true);

    h.refused(
        "publish_partial",
        json!({"prompt_partial_id": "pp1", "version": 0}),
    )
    .await;
    h.refused("publish_partial", json!({"prompt_partial_id": "pp1"}))
        .await;
}
