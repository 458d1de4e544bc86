//! deployments domain (/v2): each tool through MCP against the stand-in, asserting request and result.
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
async fn list_deployments_uses_v2_and_encodes_filters() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 4, "data": [{"id": "d1", "name": "eu", "status": "active", "type": "production"}]}),
    );
    let (env, sent) = h
        .call(
            "list_deployments",
            json!({"status": "active", "type": "non_production", "workspace_slug": ["a", "b"], "search": "eu",
                "tags": {"env": "prod", "team_1": "x"}}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v2/deployments")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("search".into(), "eu".into()),
            ("status".into(), "active".into()),
            ("tags".into(), r#"{"env":"prod","team_1":"x"}"#.into()),
            ("type".into(), "non_production".into()),
            ("workspace_slug".into(), "a".into()),
            ("workspace_slug".into(), "b".into()),
        ]
    );
    assert_eq!(sent[0].header("x-portkey-api-key"), Some(TEST_KEY));
    assert_eq!(env["data"]["total"], 4);
    assert_eq!(env["data"]["deployments"][0]["id"], "d1");
}

#[tokio::test]
async fn list_deployments_refuses_bad_tags() {
    let h = Harness::start().await;
    let msg = h
        .refused("list_deployments", json!({"tags": {"bad key": "v"}}))
        .await;
    assert!(msg.contains("bad key") && msg.contains("tags"), "{msg}");
    let msg = h
        .refused("list_deployments", json!({"tags": {"k": 1}}))
        .await;
    assert!(msg.contains("tags.k"), "{msg}");
}

#[tokio::test]
async fn register_deployment_nests_auth_settings_and_flags_one_time_credentials() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "d-1", "slug": "eu", "client_auth": {"client_id": "c", "client_secret": "once"}}),
    );
    let (env, sent) = h
        .call(
            "register_deployment",
            json!({"name": "EU", "slug": "eu", "type": "production", "tags": null, "is_default": false,
                "deployment_config": {"replicas": 2}, "gateway_base_url": "https://gw.example.com",
                "is_dataservice_hosted": 1, "workspaces_allowed": [], "jwt_sub_workspace_mapping": {"sub-1": "ws-a"}}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v2/deployments")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "EU", "slug": "eu", "type": "production", "deployment_config": {"replicas": 2},
            "is_default": false, "tags": null,
            "auth_settings": {"gateway_base_url": "https://gw.example.com", "is_dataservice_hosted": 1,
                "workspaces_allowed": [], "jwt_sub_workspace_mapping": {"sub-1": "ws-a"}}})
        )
    );
    assert_eq!(env["data"]["id"], "d-1");
    assert_eq!(env["data"]["client_auth"]["client_secret"], "once");
    assert!(env["data"]["handling"].as_str().unwrap().contains("once"));
    // Without credentials in the answer there is no note.
    h.api.reply_json(200, json!({"id": "d-2", "slug": "us"}));
    let (env, sent) = h.call("register_deployment", json!({"name": "US"})).await;
    assert_eq!(sent[0].body, Some(json!({"name": "US"})));
    assert!(env["data"].get("handling").is_none());
}

#[tokio::test]
async fn register_deployment_refuses_bad_input() {
    let h = Harness::start().await;
    h.refused(
        "register_deployment",
        json!({"name": "x", "is_dataservice_hosted": 2}),
    )
    .await;
    h.refused("register_deployment", json!({"name": ""})).await;
    h.refused(
        "register_deployment",
        json!({"name": "x", "gateway_base_url": "gw.example.com"}),
    )
    .await;
    h.refused(
        "register_deployment",
        json!({"name": "x", "slug": "s".repeat(51)}),
    )
    .await;
    let msg = h
        .refused(
            "register_deployment",
            json!({"name": "x", "tags": {"a.b": "c"}}),
        )
        .await;
    assert!(msg.contains("a.b"), "{msg}");
    let msg = h
        .refused(
            "register_deployment",
            json!({"name": "x", "jwt_sub_workspace_mapping": {"s": ["ws"]}}),
        )
        .await;
    assert!(msg.contains("jwt_sub_workspace_mapping.s"), "{msg}");
}

#[tokio::test]
async fn get_deployment_passes_org_and_encodes_id() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "d1", "status": "active", "client_auth": {"client_secret": "****"}}),
    );
    let (env, sent) = h
        .call(
            "get_deployment",
            json!({"id": "a/b", "organisation_id": "org-1"}),
        )
        .await;
    assert_eq!(sent[0].path, "/v2/deployments/a%2Fb");
    assert_eq!(
        sent[0].sorted_query(),
        vec![("organisation_id".into(), "org-1".into())]
    );
    assert_eq!(env["data"]["client_auth"]["client_secret"], "****");
    let msg = h.refused("get_deployment", json!({"id": "   "})).await;
    assert!(msg.contains("id"), "{msg}");
}

#[tokio::test]
async fn update_deployment_nests_auth_updates_and_clears() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"id": "d1", "credentials": {"secret": "new"}}));
    let (env, sent) = h
        .call(
            "update_deployment",
            json!({"id": "d1", "status": "archived", "deployment_config": null, "tags": {"env": "dev"},
                "rotate_auth": true, "allow_all_workspaces": true, "remove_subs_allowed": ["sub-9"],
                "is_playground_proxy_allowed": 0}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v2/deployments/d1")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"status": "archived", "deployment_config": null, "rotate_auth": true, "tags": {"env": "dev"},
            "auth_settings": {"is_playground_proxy_allowed": 0, "allow_all_workspaces": true, "remove_subs_allowed": ["sub-9"]}})
        )
    );
    assert!(env["data"]["handling"].is_string());
    let (_, sent) = h.call("update_deployment", json!({"id": "d1"})).await;
    assert_eq!(sent[0].body, Some(json!({})));
}

#[tokio::test]
async fn archive_deployment_and_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("archive_deployment", json!({"id": "d 1"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v2/deployments/d%201")
    );
    assert_eq!(
        env["data"],
        json!({"success": true, "id": "d 1", "status": "archived"})
    );
}
