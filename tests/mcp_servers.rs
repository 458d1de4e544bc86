//! mcp-servers domain: each tool through MCP against the stand-in, asserting request and result.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::json;

const USER: &str = "5f0c3a9e-1b2d-4c3e-8f40-123456789abc";

#[tokio::test]
async fn list_connections_sends_filters_and_keeps_rows() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 4, "has_more": true, "data": [{"user_id": USER, "connected": true, "created_at": "t", "last_updated_at": "u"}]}),
    );
    let (env, sent) = h
        .call(
            "list_mcp_server_connections",
            json!({"id": "srv/1", "user_id": USER, "workspace_id": "ws", "current_page": 2, "page_size": 500}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/mcp-servers/srv%2F1/connections")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "2".into()),
            ("page_size".into(), "500".into()),
            ("user_id".into(), USER.into()),
            ("workspace_id".into(), "ws".into()),
        ]
    );
    let d = &env["data"];
    assert_eq!(
        (d["total"].clone(), d["has_more"].clone()),
        (json!(4), json!(true))
    );
    assert_eq!(d["connections"][0]["connected"], true);
    assert_eq!(d["connections"][0]["user_id"], USER);
}

#[tokio::test]
async fn connections_refuse_bad_user_id_and_page_size() {
    let h = Harness::start().await;
    let msg = h
        .refused(
            "list_mcp_server_connections",
            json!({"id": "s", "user_id": "alice"}),
        )
        .await;
    assert!(msg.contains("user_id"), "{msg}");
    h.refused(
        "list_mcp_server_connections",
        json!({"id": "s", "page_size": 501}),
    )
    .await;
    h.refused(
        "disconnect_mcp_server_connection",
        json!({"id": "s", "user_id": "not-a-uuid"}),
    )
    .await;
}

#[tokio::test]
async fn disconnect_sends_delete_with_query() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "disconnect_mcp_server_connection",
            json!({"id": "s1", "user_id": USER, "workspace_id": "ws"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/mcp-servers/s1/connections")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("user_id".into(), USER.into()),
            ("workspace_id".into(), "ws".into())
        ]
    );
    assert_eq!(sent[0].body, None);
    assert_eq!(env["data"]["success"], true);
    assert!(env["data"]["message"].as_str().unwrap().contains("s1"));

    let (_, sent) = h
        .call("disconnect_mcp_server_connection", json!({"id": "s1"}))
        .await;
    assert!(sent[0].query.is_empty());
}

#[tokio::test]
async fn list_mcp_servers_pages_and_picks_fields() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 9, "data": [{"id": "s1", "name": "Docs", "slug": "docs", "mcp_integration_id": "i1",
            "status": "active", "created_at": "t", "internal": "x"}]}),
    );
    let (env, sent) = h
        .call(
            "list_mcp_servers",
            json!({"current_page": 0, "page_size": 100, "workspace_id": "ws"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/mcp-servers")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "0".into()),
            ("page_size".into(), "100".into()),
            ("workspace_id".into(), "ws".into()),
        ]
    );
    assert_eq!(env["data"]["total"], 9);
    assert_eq!(
        env["data"]["servers"][0],
        json!({"id": "s1", "name": "Docs", "slug": "docs", "mcp_integration_id": "i1", "status": "active", "created_at": "t"})
    );
    h.refused("list_mcp_servers", json!({"page_size": 101}))
        .await;
}

#[tokio::test]
async fn create_mcp_server_posts_given_fields() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"id": "s9", "slug": "docs-srv"}));
    let (env, sent) = h
        .call(
            "create_mcp_server",
            json!({"name": "Docs", "mcp_integration_id": "i1", "description": "d"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/mcp-servers")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"name": "Docs", "mcp_integration_id": "i1", "description": "d"}))
    );
    assert_eq!(env["data"]["id"], "s9");
    assert_eq!(env["data"]["slug"], "docs-srv");
    h.refused("create_mcp_server", json!({"name": "Docs"}))
        .await;
}

/// GET /mcp-servers/{id} as the spec describes it: the workspace and the integration's details
/// come back; of the integration's configurations only the keys.
#[tokio::test]
async fn get_mcp_server_keeps_workspace_and_integration_details() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "s1", "slug": "docs", "name": "Docs", "status": "active", "created_at": "2026-01-01T00:00:00Z",
            "mcp_integration_id": "i1", "workspace_id": "ws-1",
            "mcp_integration_details": {"id": "i1", "slug": "docs-int", "status": "active",
                "configurations": {"custom_headers": {"Authorization": "Bearer HEADER-SECRET-1"}},
                "url": "https://mcp.example.com/mcp", "transport": "http", "auth_type": "headers"}}),
    );
    let (env, _) = h.call("get_mcp_server", json!({"id": "docs"})).await;
    let d = &env["data"];
    assert_eq!(d["workspace_id"], "ws-1");
    assert_eq!(
        d["mcp_integration_details"],
        json!({"id": "i1", "slug": "docs-int", "status": "active", "url": "https://mcp.example.com/mcp",
            "transport": "http", "auth_type": "headers", "configuration_keys": ["custom_headers"]})
    );
    assert!(!env.to_string().contains("HEADER-SECRET-1"));
}

#[tokio::test]
async fn get_update_delete_mcp_server() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "s1", "name": "Docs", "slug": "docs", "mcp_integration_id": "i1", "status": "active", "secret": "no"}),
    );
    let (env, sent) = h.call("get_mcp_server", json!({"id": "docs"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/mcp-servers/docs")
    );
    assert_eq!(env["data"]["mcp_integration_id"], "i1");
    assert!(env["data"].get("secret").is_none());

    h.api.reply_json(200, json!({"success": true}));
    let (env, sent) = h
        .call("update_mcp_server", json!({"id": "docs", "name": "New"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/mcp-servers/docs")
    );
    assert_eq!(sent[0].body, Some(json!({"name": "New"})));
    assert_eq!(env["data"]["success"], true);

    // An update that changes nothing is refused and nothing is sent.
    let msg = h.refused("update_mcp_server", json!({"id": "docs"})).await;
    assert!(msg.contains("name or description"), "{msg}");

    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("delete_mcp_server", json!({"id": "a b"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/mcp-servers/a%20b")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn test_mcp_server_posts_without_a_body() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"success": false, "server_name": "docs", "url": "https://mcp.example.com", "status_code": null,
            "response_time_ms": 812, "error": "connection refused", "trace": "x"}),
    );
    let (env, sent) = h.call("test_mcp_server", json!({"id": "s1"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/mcp-servers/s1/test")
    );
    // The spec defines no body here (a `{}` body gets 415): none is sent, nor a content type.
    assert_eq!(sent[0].body, None);
    assert!(sent[0].raw_body.is_empty());
    assert_eq!(sent[0].header("content-type"), None);
    assert_eq!(
        env["data"],
        json!({"success": false, "server_name": "docs", "url": "https://mcp.example.com",
            "response_time_ms": 812, "error": "connection refused"})
    );
}

#[tokio::test]
async fn server_capabilities_list_and_update() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 1, "has_more": false, "data": [{"name": "search", "type": "tool", "enabled": true}]}),
    );
    let (env, sent) = h
        .call(
            "list_mcp_server_capabilities",
            json!({"id": "s1", "current_page": 1, "page_size": 50}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/mcp-servers/s1/capabilities")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "1".into()),
            ("page_size".into(), "50".into())
        ]
    );
    assert_eq!(env["data"]["capabilities"][0]["name"], "search");
    assert_eq!(env["data"]["has_more"], false);

    // The spec's answer adds per-kind counts: they come back.
    let counts = json!({"tools": {"total": 3, "enabled": 2}, "prompts": {"total": 0, "enabled": 0},
        "resources": {"total": 1, "enabled": 1}, "resource_templates": {"total": 0, "enabled": 0}});
    h.api.reply_json(
        200,
        json!({"data": [{"name": "search", "type": "tool", "enabled": true, "integration_enabled": true}],
            "counts": counts, "total": 4, "has_more": false}),
    );
    let (env, _) = h
        .call("list_mcp_server_capabilities", json!({"id": "s1"}))
        .await;
    assert_eq!(env["data"]["counts"], counts);
    assert_eq!(env["data"]["capabilities"][0]["integration_enabled"], true);

    let caps = json!([{"name": "search", "type": "tool", "enabled": false}]);
    let (env, sent) = h
        .call(
            "update_mcp_server_capabilities",
            json!({"id": "s1", "capabilities": caps}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/mcp-servers/s1/capabilities")
    );
    assert_eq!(sent[0].body, Some(json!({"capabilities": caps})));
    assert_eq!(env["data"]["success"], true);
    h.refused(
        "update_mcp_server_capabilities",
        json!({"id": "s1", "capabilities": []}),
    )
    .await;
}

#[tokio::test]
async fn user_access_list_and_update() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"default_user_access": "deny", "total": 2, "has_more": false, "data": [
            {"user_id": "u1", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
             "enabled": true, "has_override": true, "connection_status": "connected"},
            {"user_id": "u2", "first_name": "", "enabled": false}]}),
    );
    let (env, sent) = h
        .call(
            "list_mcp_server_user_access",
            json!({"id": "s1", "page_size": 10}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/mcp-servers/s1/user-access")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![("page_size".into(), "10".into())]
    );
    let d = &env["data"];
    assert_eq!(d["default_user_access"], "deny");
    assert_eq!(
        d["users"][0],
        json!({"user_id": "u1", "name": "Ada Lovelace", "enabled": true, "has_override": true, "connection_status": "connected"})
    );
    assert_eq!(
        d["users"][1],
        json!({"user_id": "u2", "name": "", "enabled": false})
    );

    let (env, sent) = h
        .call(
            "update_mcp_server_user_access",
            json!({"id": "s1", "users": [{"user_id": "u1", "enabled": false}]}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/mcp-servers/s1/user-access")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"user_access": [{"user_id": "u1", "enabled": false}]}))
    );
    assert_eq!(env["data"]["success"], true);
    h.refused(
        "update_mcp_server_user_access",
        json!({"id": "s1", "users": [{"user_id": "u1"}]}),
    )
    .await;
}

#[tokio::test]
async fn hints_follow_the_contract() {
    let h = Harness::start().await;
    let tools = h.mcp.list_tools().await;
    let ann = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap()["annotations"].clone();
    let a = ann("disconnect_mcp_server_connection");
    assert_eq!(
        (
            a["destructiveHint"].clone(),
            a["idempotentHint"].clone(),
            a["readOnlyHint"].clone()
        ),
        (json!(true), json!(true), json!(false))
    );
    let a = ann("test_mcp_server");
    assert_eq!(
        (a["readOnlyHint"].clone(), a["idempotentHint"].clone()),
        (json!(false), json!(false))
    );
}
