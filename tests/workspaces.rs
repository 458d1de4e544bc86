//! workspaces domain: each tool through MCP against the stand-in, asserting request and result.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::json;

const UID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn list_scim_workspace_mappings_accepts_both_answer_shapes() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"mappings": [{"id": "m1", "workspace_id": "ws-1", "scim_group": "Eng", "scim_group_id": "g1", "role": "member", "extra": 1}], "total_count": 4}),
    );
    let (env, sent) = h
        .call(
            "list_scim_workspace_mappings",
            json!({"workspace_id": "ws-1", "role": "member", "page": 2, "page_size": 10}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/scim/workspaces")
    );
    assert_eq!(
        sent[0].sorted_query(),
        q(&[
            ("workspace_id", "ws-1"),
            ("role", "member"),
            ("page", "2"),
            ("page_size", "10")
        ])
    );
    assert_eq!(
        env["data"],
        json!({"total": 4, "mappings": [{"id": "m1", "workspace_id": "ws-1", "scim_group": "Eng", "scim_group_id": "g1", "role": "member"}]})
    );
    // The stand-in's generic list form: data / total / has_more.
    h.api.respond(generic_reply);
    let (env, sent) = h.call("list_scim_workspace_mappings", json!({})).await;
    assert!(sent[0].query.is_empty());
    assert_eq!(env["data"]["total"], 1);
    assert_eq!(env["data"]["has_more"], false);
    assert_eq!(env["data"]["mappings"][0]["id"], "mock-id");
}

#[tokio::test]
async fn create_scim_workspace_mapping_by_id_or_name() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "m1", "workspace_id": "ws-1", "scim_group": "Eng", "scim_group_id": "g1", "role": "admin"}),
    );
    let (env, sent) = h
        .call(
            "create_scim_workspace_mapping",
            json!({"workspace_id": "ws-1", "role": "admin", "scim_group_id": "g1"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/scim/workspaces")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"workspace_id": "ws-1", "role": "admin", "scim_group_id": "g1"}))
    );
    assert_eq!(env["data"]["id"], "m1");
    assert_eq!(env["data"]["scim_group"], "Eng");

    let (_, sent) = h
        .call(
            "create_scim_workspace_mapping",
            json!({"workspace_id": "ws-1", "role": "manager", "scim_group_name": "Eng"}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(json!({"workspace_id": "ws-1", "role": "manager", "scim_group_name": "Eng"}))
    );
}

#[tokio::test]
async fn create_scim_workspace_mapping_needs_exactly_one_group() {
    let h = Harness::start().await;
    let both = h
        .refused(
            "create_scim_workspace_mapping",
            json!({"workspace_id": "w", "role": "admin", "scim_group_id": "g", "scim_group_name": "n"}),
        )
        .await;
    assert!(
        both.contains("scim_group_id") && both.contains("scim_group_name"),
        "{both}"
    );
    let neither = h
        .refused(
            "create_scim_workspace_mapping",
            json!({"workspace_id": "w", "role": "admin"}),
        )
        .await;
    assert!(neither.contains("exactly one"), "{neither}");
    h.refused(
        "create_scim_workspace_mapping",
        json!({"workspace_id": "w", "role": "admin", "scim_group_id": ""}),
    )
    .await;
}

#[tokio::test]
async fn delete_scim_workspace_mapping_and_list_groups() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call(
            "delete_scim_workspace_mapping",
            json!({"mapping_id": "m/1"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/scim/workspaces/m%2F1")
    );
    assert_eq!(env["data"]["success"], true);

    h.api.reply_json(
        200,
        json!({"object": "list", "total": 7, "has_more": true, "data": [{"id": "g1", "name": "Eng"}]}),
    );
    let (env, sent) = h
        .call(
            "list_scim_groups",
            json!({"search": "eng", "page": 0, "page_size": 1}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v2/scim/groups")
    );
    assert_eq!(
        sent[0].sorted_query(),
        q(&[("search", "eng"), ("page", "0"), ("page_size", "1")])
    );
    assert_eq!(
        env["data"],
        json!({"total": 7, "groups": [{"id": "g1", "name": "Eng"}], "has_more": true})
    );
}

#[tokio::test]
async fn list_workspaces_filters_and_shapes() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 2, "data": [{"id": "ws-1", "slug": "ws-a", "name": "A", "description": null,
            "created_at": "c", "last_updated_at": "u", "defaults": {"is_default": 1, "metadata": {"k": "v"}, "object": "workspace"},
            "usage_limits": [], "object": "workspace"}]}),
    );
    let (env, sent) = h
        .call(
            "list_workspaces",
            json!({"name": "A", "status": "archived", "page_size": 5}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/admin/workspaces");
    assert_eq!(
        sent[0].sorted_query(),
        q(&[("name", "A"), ("status", "archived"), ("page_size", "5")])
    );
    assert_eq!(
        env["data"],
        json!({"total": 2, "workspaces": [{"id": "ws-1", "name": "A", "slug": "ws-a", "created_at": "c", "last_updated_at": "u",
            "defaults": {"is_default": 1, "metadata": {"k": "v"}}}]})
    );
    h.refused("list_workspaces", json!({"status": "deleted"}))
        .await;
}

#[tokio::test]
async fn get_workspace_needs_the_member_list() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "ws-1", "name": "A", "slug": "ws-a", "defaults": {"user_api_key_config": "cfg"},
            "rate_limits": [{"type": "requests", "unit": "rpm", "value": 10}],
            "users": [{"object": "workspace-user", "id": UID, "first_name": "Ada", "last_name": "L", "org_role": "member", "role": "manager", "status": "active", "scopes": ["a"]}]}),
    );
    let (env, sent) = h
        .call("get_workspace", json!({"workspace_id": "ws 1"}))
        .await;
    assert_eq!(sent[0].path, "/v1/admin/workspaces/ws%201");
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["defaults"]["user_api_key_config"], "cfg");
    assert_eq!(env["data"]["rate_limits"][0]["value"], 10);
    assert_eq!(
        env["data"]["users"],
        json!([{"id": UID, "name": "Ada L", "role": "manager", "org_role": "member", "status": "active"}])
    );
    // Without `users` the answer is not a workspace: a clear failure, after the one request.
    h.api.respond(generic_reply);
    let (env, sent) = h
        .call("get_workspace", json!({"workspace_id": "ws-1"}))
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"].as_str().unwrap().contains("users"),
        "{env}"
    );
}

#[tokio::test]
async fn create_workspace_nests_defaults() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "ws-9", "slug": "eng", "name": "Eng", "defaults": null}),
    );
    let (env, sent) = h
        .call(
            "create_workspace",
            json!({"name": "Eng", "is_default": 0, "users": ["u1"],
                "usage_limits": [{"credit_limit": 100, "type": "cost", "periodic_reset": null}],
                "rate_limits": [{"type": "tokens", "unit": "rph", "value": 5000}]}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/admin/workspaces")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "Eng", "defaults": {"is_default": 0}, "users": ["u1"],
            "usage_limits": [{"credit_limit": 100, "type": "cost", "periodic_reset": null}],
            "rate_limits": [{"type": "tokens", "unit": "rph", "value": 5000}]})
        )
    );
    assert_eq!(
        env["data"]["workspace"],
        json!({"id": "ws-9", "name": "Eng", "slug": "eng"})
    );

    // The spec's answer carries the limits the workspace was created with: they come back.
    h.api.reply_json(
        200,
        json!({"id": "ws-9", "slug": "eng", "name": "Eng", "created_at": "2026-01-01T00:00:00Z",
            "last_updated_at": "2026-01-01T00:00:00Z", "defaults": {"is_default": 0, "metadata": {}, "object": "workspace"},
            "usage_limits": [{"credit_limit": 100, "type": "cost", "alert_threshold": 80, "periodic_reset": "monthly"}],
            "rate_limits": [{"type": "tokens", "unit": "rph", "value": 5000}]}),
    );
    let (env, sent) = h
        .call(
            "create_workspace",
            json!({"name": "N", "metadata": {"a": "b"}}),
        )
        .await;
    assert_eq!(
        env["data"]["workspace"]["usage_limits"][0]["alert_threshold"],
        80
    );
    assert_eq!(env["data"]["workspace"]["rate_limits"][0]["value"], 5000);
    assert_eq!(
        sent[0].body,
        Some(json!({"name": "N", "defaults": {"metadata": {"a": "b"}}}))
    );
    h.refused(
        "create_workspace",
        json!({"name": "N", "usage_limits": [{"periodic_reset_days": 400}]}),
    )
    .await;
    // UsageLimits.alert_threshold has minimum: 1 in the spec.
    for below in [json!(0), json!(0.5)] {
        let msg = h
            .refused(
                "create_workspace",
                json!({"name": "N", "usage_limits": [{"credit_limit": 10, "alert_threshold": below}]}),
            )
            .await;
        assert!(msg.contains("alert_threshold"), "{msg}");
    }
    let (_, sent) = h
        .call(
            "create_workspace",
            json!({"name": "N", "usage_limits": [{"credit_limit": 10, "alert_threshold": 1}]}),
        )
        .await;
    assert_eq!(
        sent[0].body.as_ref().unwrap()["usage_limits"],
        json!([{"credit_limit": 10, "alert_threshold": 1}])
    );
    h.refused(
        "create_workspace",
        json!({"name": "N", "metadata": {"a": 1}}),
    )
    .await;
}

#[tokio::test]
async fn update_workspace_sends_only_given_fields() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({}));
    let (env, sent) = h
        .call(
            "update_workspace",
            json!({"workspace_id": "ws-1", "description": "d", "input_guardrails": ["g1"], "user_api_key_config": null}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/admin/workspaces/ws-1")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"description": "d", "defaults": {"input_guardrails": ["g1"], "user_api_key_config": null}})
        )
    );
    assert_eq!(env["data"]["success"], true);
    assert_eq!(env["data"]["workspace_id"], "ws-1");

    let (_, sent) = h
        .call("update_workspace", json!({"workspace_id": "ws-1"}))
        .await;
    assert_eq!(sent[0].body, Some(json!({})));
}

#[tokio::test]
async fn delete_workspace_and_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call("delete_workspace", json!({"workspace_id": "ws-1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/admin/workspaces/ws-1")
    );
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn add_workspace_member_wraps_the_user() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({}));
    let (env, sent) = h
        .call(
            "add_workspace_member",
            json!({"workspace_id": "ws-1", "user_id": UID, "role": "member"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/admin/workspaces/ws-1/users")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"users": [{"id": UID, "role": "member"}]}))
    );
    assert_eq!(env["data"]["user_id"], UID);
    assert_eq!(env["data"]["role"], "member");
    let msg = h
        .refused(
            "add_workspace_member",
            json!({"workspace_id": "ws-1", "user_id": "ada@example.com", "role": "member"}),
        )
        .await;
    assert!(msg.contains("user_id"), "{msg}");
}

#[tokio::test]
async fn list_workspace_members_keeps_the_id_in_the_path() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 1, "data": [{"id": UID, "first_name": "Ada", "email": "a@b.co", "role": "admin", "org_role": "owner", "scopes": ["x"]}]}),
    );
    let (env, sent) = h
        .call(
            "list_workspace_members",
            json!({"workspace_id": "ws-1", "role": "manager", "email": "a@b.co", "current_page": 3}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/admin/workspaces/ws-1/users");
    assert_eq!(
        sent[0].sorted_query(),
        q(&[
            ("role", "manager"),
            ("email", "a@b.co"),
            ("current_page", "3")
        ])
    );
    assert_eq!(
        env["data"],
        json!({"total": 1, "members": [{"id": UID, "name": "Ada", "email": "a@b.co", "role": "admin", "org_role": "owner"}]})
    );
}

/// GET /admin/workspaces/{id}/users/{user_id} answers the spec's example: the member's
/// workspace and scopes come back.
#[tokio::test]
async fn get_workspace_member_keeps_scopes() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "workspace-user", "id": "66dc015d-0270-11f1-8eec-0e27d7367989", "first_name": "John",
            "last_name": "Doe", "org_role": "admin", "role": "admin", "created_at": "2026-03-09T07:55:25.000Z",
            "last_updated_at": "2026-03-09T07:55:25.000Z", "status": "active",
            "workspace_id": "bf276bb9-4cef-4d87-b69b-b23a6ed6b1dd", "email": "john.doe@example.com",
            "scopes": ["organisations.read", "workspaces.read", "logs.list", "prompts.create"], "settings": null}),
    );
    let (env, _) = h
        .call(
            "get_workspace_member",
            json!({"workspace_id": "bf276bb9-4cef-4d87-b69b-b23a6ed6b1dd", "user_id": "66dc015d-0270-11f1-8eec-0e27d7367989"}),
        )
        .await;
    let d = &env["data"];
    assert_eq!(d["name"], "John Doe");
    assert_eq!(d["workspace_id"], "bf276bb9-4cef-4d87-b69b-b23a6ed6b1dd");
    assert_eq!(
        d["scopes"],
        json!([
            "organisations.read",
            "workspaces.read",
            "logs.list",
            "prompts.create"
        ])
    );
    assert!(d.get("settings").is_none(), "null members are left out");
}

#[tokio::test]
async fn get_update_remove_member() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": UID, "first_name": "Ada", "role": "admin", "status": "active"}),
    );
    let (env, sent) = h
        .call(
            "get_workspace_member",
            json!({"workspace_id": "ws-1", "user_id": UID}),
        )
        .await;
    assert_eq!(
        sent[0].path,
        format!("/v1/admin/workspaces/ws-1/users/{UID}")
    );
    assert_eq!(env["data"]["name"], "Ada");

    let (env, sent) = h
        .call(
            "update_workspace_member",
            json!({"workspace_id": "ws-1", "user_id": UID, "role": "admin"}),
        )
        .await;
    assert_eq!(sent[0].method, "PUT");
    assert_eq!(sent[0].body, Some(json!({"role": "admin"})));
    assert_eq!(env["data"]["member"]["role"], "admin");

    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call(
            "remove_workspace_member",
            json!({"workspace_id": "ws-1", "user_id": UID}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        (
            "DELETE",
            format!("/v1/admin/workspaces/ws-1/users/{UID}").as_str()
        )
    );
    assert_eq!(env["data"]["success"], true);
    h.refused(
        "remove_workspace_member",
        json!({"workspace_id": "ws-1", "user_id": "not-a-uuid"}),
    )
    .await;
}
