//! users domain: each tool through MCP against the stand-in, asserting request and result.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::json;

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn list_all_users_sends_camel_case_paging_and_shapes_rows() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 3, "data": [{"object": "user", "id": "u1", "first_name": "Ada", "last_name": "Lovelace",
            "email": "ada@example.com", "role": "admin", "created_at": "t", "last_updated_at": "u"}, {"id": "u2", "first_name": "", "last_name": "Solo"}]}),
    );
    let (env, sent) = h
        .call(
            "list_all_users",
            json!({"current_page": 1, "page_size": 20, "role": "owner", "email": "ada@example.com"}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/admin/users")
    );
    assert_eq!(
        sent[0].sorted_query(),
        q(&[
            ("currentPage", "1"),
            ("pageSize", "20"),
            ("role", "owner"),
            ("email", "ada@example.com")
        ])
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["total"], 3);
    let u = &env["data"]["users"][0];
    assert_eq!(u["name"], "Ada Lovelace");
    assert_eq!(u["email"], "ada@example.com");
    assert!(u.get("first_name").is_none() && u.get("object").is_none());
    assert_eq!(env["data"]["users"][1]["name"], "Solo");

    let (_, sent) = h.call("list_all_users", json!({})).await;
    assert!(sent[0].query.is_empty(), "{:?}", sent[0].query);
}

#[tokio::test]
async fn list_all_users_refuses_bad_filters() {
    let h = Harness::start().await;
    let msg = h
        .refused("list_all_users", json!({"email": "not-an-email"}))
        .await;
    assert!(msg.contains("email"), "{msg}");
    h.refused("list_all_users", json!({"page_size": 0})).await;
    h.refused("list_all_users", json!({"role": "manager"}))
        .await;
}

#[tokio::test]
async fn invite_user_sends_the_invite_as_given() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "inv-1", "invite_link": "https://app.portkey.ai/invite/abc", "api_key": "pk-live-SECRET-123"}),
    );
    let args = json!({"email": "a@b.co", "role": "member", "first_name": "A",
        "workspaces": [{"id": "ws-1", "role": "manager"}],
        "workspace_api_key_details": {"name": "k", "scopes": ["logs.view"], "metadata": {"team": "x"}}});
    let (env, sent) = h.call("invite_user", args).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/admin/users/invites")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"email": "a@b.co", "role": "member", "first_name": "A",
            "workspaces": [{"id": "ws-1", "role": "manager"}],
            "workspace_api_key_details": {"name": "k", "metadata": {"team": "x"}, "scopes": ["logs.view"]}})
        )
    );
    assert_eq!(env["data"]["invite_id"], "inv-1");
    assert_eq!(
        env["data"]["invite_link"],
        "https://app.portkey.ai/invite/abc"
    );
    assert!(env["data"]["message"].as_str().unwrap().contains("a@b.co"));
    // Only the invite's id and link are passed on; anything else in the answer is dropped.
    assert!(!env.to_string().contains("SECRET"), "{env}");
    assert!(!h.mcp.stderr().contains("SECRET"));
}

#[tokio::test]
async fn invite_user_refuses_bad_input() {
    let h = Harness::start().await;
    h.refused(
        "invite_user",
        json!({"email": "a@b.co", "role": "owner", "workspaces": []}),
    )
    .await;
    h.refused(
        "invite_user",
        json!({"email": "a@b.co", "role": "admin", "workspaces": [{"id": "w"}]}),
    )
    .await;
    h.refused(
        "invite_user",
        json!({"email": "a@b.co", "role": "admin", "workspaces": [], "workspace_api_key_details": {"name": "k"}}),
    )
    .await;
}

#[tokio::test]
async fn get_user_stats_queries_analytics_groups() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 2, "data": [{"user": "u1", "requests": "10", "cost": "5", "object": "analytics-group"}]}),
    );
    let (env, sent) = h
        .call(
            "get_user_stats",
            json!({"time_of_generation_min": "2025-01-01T00:00:00Z", "time_of_generation_max": "2025-02-01T00:00:00Z",
                "workspace_slug": "ws-1", "cost_min": 1.5, "page_size": 5, "virtual_keys": "vk-a,vk-b"}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/analytics/groups/users");
    assert_eq!(
        sent[0].sorted_query(),
        q(&[
            ("time_of_generation_min", "2025-01-01T00:00:00Z"),
            ("time_of_generation_max", "2025-02-01T00:00:00Z"),
            ("workspace_slug", "ws-1"),
            ("cost_min", "1.5"),
            ("page_size", "5"),
            ("virtual_keys", "vk-a,vk-b")
        ])
    );
    assert_eq!(
        env["data"],
        json!({"total_users": 2, "users": [{"user": "u1", "requests": "10", "cost": "5"}]})
    );
    h.refused(
        "get_user_stats",
        json!({"time_of_generation_min": "a", "time_of_generation_max": "b", "workspace_slug": "w", "cost_min": 0}),
    )
    .await;
    // GET /analytics/groups/users requires the WorkspaceSlug parameter: refused without it.
    let msg = h
        .refused(
            "get_user_stats",
            json!({"time_of_generation_min": "a", "time_of_generation_max": "b"}),
        )
        .await;
    assert!(msg.contains("workspace_slug"), "{msg}");
    h.refused(
        "get_user_stats",
        json!({"time_of_generation_min": "a", "time_of_generation_max": "b", "workspace_slug": ""}),
    )
    .await;
}

/// Under a workspace pin the slug is filled in, so the tool is offered and scoped to the pin.
#[tokio::test]
async fn get_user_stats_takes_the_pinned_slug() {
    let h = Harness::start_with(&[("PORTKEY_WORKSPACE_ID", "ws-pinned")]).await;
    let (env, sent) = h
        .call(
            "get_user_stats",
            json!({"time_of_generation_min": "a", "time_of_generation_max": "b"}),
        )
        .await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].sorted_query(),
        q(&[
            ("time_of_generation_min", "a"),
            ("time_of_generation_max", "b"),
            ("workspace_slug", "ws-pinned"),
        ])
    );
}

#[tokio::test]
async fn get_update_delete_user() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "u/1", "first_name": "Ada", "email": "ada@example.com", "role": "member"}),
    );
    let (env, sent) = h.call("get_user", json!({"user_id": "u/1"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/admin/users/u%2F1")
    );
    assert_eq!(env["data"]["name"], "Ada");
    assert_eq!(env["data"]["role"], "member");

    let (env, sent) = h
        .call("update_user", json!({"user_id": "u1", "role": "admin"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/admin/users/u1")
    );
    assert_eq!(sent[0].body, Some(json!({"role": "admin"})));
    assert_eq!(env["data"]["user"]["email"], "ada@example.com");

    let (_, sent) = h.call("update_user", json!({"user_id": "u1"})).await;
    assert_eq!(sent[0].body, Some(json!({})));

    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("delete_user", json!({"user_id": "u1"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/admin/users/u1")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn list_user_invites_filters_and_shapes() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 1, "data": [{"object": "invite", "id": "i1", "email": "x@y.co", "role": "member",
            "status": "pending", "expires_at": "e", "created_at": "c"}]}),
    );
    let (env, sent) = h
        .call(
            "list_user_invites",
            json!({"status": "expired", "page_size": 2, "current_page": 0}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/admin/users/invites");
    assert_eq!(
        sent[0].sorted_query(),
        q(&[
            ("status", "expired"),
            ("pageSize", "2"),
            ("currentPage", "0")
        ])
    );
    assert_eq!(env["data"]["total"], 1);
    assert_eq!(env["data"]["invites"][0]["status"], "pending");
    assert!(env["data"]["invites"][0].get("object").is_none());
    h.refused("list_user_invites", json!({"status": "open"}))
        .await;
}

#[tokio::test]
async fn get_delete_resend_invite() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "i1", "email": "x@y.co", "status": "pending", "invited_by": "u1"}),
    );
    let (env, sent) = h.call("get_user_invite", json!({"invite_id": "i 1"})).await;
    assert_eq!(sent[0].path, "/v1/admin/users/invites/i%201");
    assert_eq!(env["data"]["email"], "x@y.co");

    let (env, sent) = h
        .call("delete_user_invite", json!({"invite_id": "i1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/admin/users/invites/i1")
    );
    assert_eq!(env["data"]["success"], true);

    let (env, sent) = h
        .call("resend_user_invite", json!({"invite_id": "i1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/admin/users/invites/i1/resend")
    );
    assert_eq!(sent[0].body, None);
    assert_eq!(env["data"]["success"], true);

    // The spec's answer carries the new link as `inviteLink` (its example): it comes back.
    h.api.reply_json(
        200,
        json!({"inviteLink": "https://app.portkey.ai/invite/some-invite-link"}),
    );
    let (env, _) = h
        .call("resend_user_invite", json!({"invite_id": "i1"}))
        .await;
    assert_eq!(
        env["data"]["invite_link"],
        "https://app.portkey.ai/invite/some-invite-link"
    );
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn api_errors_reach_the_envelope() {
    let h = Harness::start().await;
    h.api.reply_json(
        403,
        json!({"error": {"message": "Enterprise plan required"}}),
    );
    let (env, sent) = h.call("list_all_users", json!({})).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Enterprise plan required"),
        "{env}"
    );
}
