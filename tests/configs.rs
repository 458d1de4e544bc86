//! configs domain: each tool through MCP against the stand-in, asserting request and result.
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
async fn list_configs_pages_and_shapes_rows() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 7, "data": [{"id": "c1", "slug": "cfg-a", "name": "A", "status": "active",
            "workspace_id": "ws", "config": "{\"retry\":{\"attempts\":2}}", "created_at": "t", "last_updated_at": "u"}]}),
    );
    let (env, sent) = h
        .call("list_configs", json!({"current_page": 2, "page_size": 10}))
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/configs")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "2".into()),
            ("page_size".into(), "10".into())
        ]
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["total"], 7);
    assert_eq!(env["data"]["configurations"][0]["slug"], "cfg-a");
    assert!(
        env["data"]["configurations"][0].get("config").is_none(),
        "list rows are summaries"
    );
}

#[tokio::test]
async fn list_configs_refuses_out_of_range_page_size() {
    let h = Harness::start().await;
    let msg = h.refused("list_configs", json!({"page_size": 0})).await;
    assert!(msg.contains("page_size"), "{msg}");
    h.refused("list_configs", json!({"page_size": 101})).await;
}

#[tokio::test]
async fn get_config_parses_string_config_and_encodes_slug() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"id": "c1", "slug": "a/b", "name": "A", "status": "active", "config": "{\"strategy\":{\"mode\":\"fallback\"}}"}));
    let (env, sent) = h.call("get_config", json!({"slug": "a/b c"})).await;
    assert_eq!(sent[0].path, "/v1/configs/a%2Fb%20c");
    assert_eq!(env["data"]["config"]["strategy"]["mode"], "fallback");
    // The documented object form is accepted too.
    h.api.reply_json(
        200,
        json!({"id": "c1", "config": {"retry": {"attempts": 3}}}),
    );
    let (env, _) = h.call("get_config", json!({"slug": "x"})).await;
    assert_eq!(env["data"]["config"]["retry"]["attempts"], 3);
}

#[tokio::test]
async fn create_config_builds_nested_body() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"success": true, "data": {"id": "new-id", "version_id": "v1"}, "id": "new-id", "version_id": "v1"}));
    let (env, sent) = h
        .call(
            "create_config",
            json!({"name": "n", "strategy_mode": "fallback", "targets": [{"virtual_key": "vk1"}, {"virtual_key": "vk2"}], "retry_attempts": 2}),
        )
        .await;
    assert_eq!(sent[0].method, "POST");
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "n", "config": {"retry": {"attempts": 2}, "strategy": {"mode": "fallback"},
            "targets": [{"virtual_key": "vk1"}, {"virtual_key": "vk2"}]}})
        )
    );
    assert_eq!(sent[0].header("content-type"), Some("application/json"));
    assert_eq!(env["data"]["id"], "new-id");
    assert_eq!(env["data"]["version_id"], "v1");
}

#[tokio::test]
async fn create_config_needs_a_setting() {
    let h = Harness::start().await;
    let msg = h.refused("create_config", json!({"name": "n"})).await;
    assert!(msg.contains("at least one"), "{msg}");
    h.refused("create_config", json!({"name": "n", "retry_attempts": 6}))
        .await;
    h.refused("create_config", json!({"name": "n", "cache_mode": "fuzzy"}))
        .await;
}

#[tokio::test]
async fn update_config_sends_only_given_fields() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"success": true, "version_id": "v2"}));
    let (env, sent) = h
        .call("update_config", json!({"slug": "s", "status": "inactive"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/configs/s")
    );
    assert_eq!(sent[0].body, Some(json!({"status": "inactive"})));
    assert_eq!(env["data"]["version_id"], "v2");
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn delete_config_and_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("delete_config", json!({"slug": "s"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/configs/s")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn list_config_versions_shapes_versions() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"total": 2, "data": [{"version_id": "v1", "config": "{}", "created_at": "t", "updated_by": "me"}, {"version_id": "v2", "config": {"a": 1}}]}));
    let (env, sent) = h.call("list_config_versions", json!({"slug": "s"})).await;
    assert_eq!(sent[0].path, "/v1/configs/s/versions");
    assert_eq!(env["data"]["total"], 2);
    assert_eq!(env["data"]["versions"][1]["config"]["a"], 1);
}

/// POST /configs answers `{success, data: {id, version_id}}` (the spec's example): both come back.
#[tokio::test]
async fn create_config_reads_the_specs_wrapped_answer() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"success": true, "data": {"id": "f3d8d070-f29d-43a3-bf97-3159c60f4ce0",
            "version_id": "0db4065b-ead2-4daa-bf5e-7e9106585133"}}),
    );
    let (env, _) = h
        .call("create_config", json!({"name": "n", "retry_attempts": 3}))
        .await;
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["id"], "f3d8d070-f29d-43a3-bf97-3159c60f4ce0");
    assert_eq!(
        env["data"]["version_id"],
        "0db4065b-ead2-4daa-bf5e-7e9106585133"
    );
    assert!(env["data"].get("response").is_none());

    // An answer with the id in neither place: the config was created, so the answer is passed
    // on whole rather than dropped (an error would invite a second create).
    h.api.reply_json(
        200,
        json!({"success": true, "result": {"config_id": "c-7"}}),
    );
    let (env, _) = h
        .call("create_config", json!({"name": "n", "retry_attempts": 3}))
        .await;
    assert_eq!(env["ok"], true);
    assert!(env["data"].get("id").is_none());
    assert_eq!(env["data"]["response"]["result"]["config_id"], "c-7");
}

/// PUT /configs/{slug} answers `{success, data: {version_id}}` (the spec's example).
#[tokio::test]
async fn update_config_reads_the_specs_wrapped_answer() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"success": true, "data": {"version_id": "abe447e2-f6aa-4229-93b7-8ee3183b6667"}}),
    );
    let (env, _) = h
        .call("update_config", json!({"slug": "s", "name": "m"}))
        .await;
    assert_eq!(
        env["data"]["version_id"],
        "abe447e2-f6aa-4229-93b7-8ee3183b6667"
    );
    assert_eq!(env["data"]["success"], true);
    assert!(env["data"].get("response").is_none());
}

/// GET /configs/{slug} answers `{success, data: {config: {...}}}` (the spec's example): the
/// config comes back whole, not as `{}`; an answer in neither shape is an error.
#[tokio::test]
async fn get_config_reads_the_specs_wrapped_answer() {
    let h = Harness::start().await;
    let config = json!({"retry": {"attempts": 5, "on_status_codes": [429, 529]},
        "cache": {"mode": "simple", "max_age": 3600}, "strategy": {"mode": "fallback"},
        "targets": [{"provider": "openai", "virtual_key": "main-258f4d"},
            {"provider": "azure-openai", "virtual_key": "azure-test-4110dd"}]});
    h.api
        .reply_json(200, json!({"success": true, "data": {"config": config}}));
    let (env, _) = h.call("get_config", json!({"slug": "pc-x"})).await;
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["config"], config);

    h.api.reply_json(200, json!({"success": true, "data": []}));
    let (env, sent) = h.call("get_config", json!({"slug": "pc-x"})).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    let msg = env["error"]["message"].as_str().unwrap();
    assert!(msg.contains("data.config"), "{msg}");
}
