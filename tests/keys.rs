//! keys domain: each tool through MCP against the stand-in, asserting request and result, and
//! that provider keys and API-key secrets never come back where they should not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{Value, json};

const PROVIDER_KEY: &str = "sk-provider-TOPSECRET-4242";
const NEW_API_KEY: &str = "pk-new-ROTATED-SECRET-9999";
const UUID: &str = "00000000-0000-4000-8000-000000000001";

/// A server logging at debug level, so a secret that reached any log line would show.
async fn verbose() -> Harness {
    Harness::start_with(&[("RUST_LOG", "portkey_admin_mcp=debug,warn")]).await
}

fn assert_hidden(h: &Harness, env: &Value, secret: &str) {
    assert!(!env.to_string().contains(secret), "secret in result: {env}");
    assert!(!h.mcp.stderr().contains(secret), "secret on stderr");
}

fn stored_virtual_key() -> Value {
    json!({"id": "vk-id", "name": "Prod OpenAI", "slug": "prod-openai", "status": "active", "note": "n",
        "key": PROVIDER_KEY, "usage_limits": {"credit_limit": 10, "alert_threshold": 80, "periodic_reset": "monthly", "type": "cost"},
        "rate_limits": [{"type": "requests", "unit": "rpm", "value": 60, "extra": 1}],
        "model_config": {"awsSecretAccessKey": "AWS-SECRET-VALUE", "awsAccessKeyId": "AKIA-KEY-ID-VALUE", "awsRegion": "us-east-1",
            "nested": {"client_secret": "NESTED-SECRET-VALUE"}},
        "created_at": "2026-01-01T00:00:00Z"})
}

#[tokio::test]
async fn list_virtual_keys_pages_and_leaves_secrets_out() {
    let h = verbose().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 3, "data": [stored_virtual_key()]}),
    );
    let (env, sent) = h
        .call(
            "list_virtual_keys",
            json!({"current_page": 1, "page_size": 5}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/virtual-keys")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "1".into()),
            ("page_size".into(), "5".into())
        ]
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["total"], 3);
    let row = &env["data"]["virtual_keys"][0];
    assert_eq!(row["slug"], "prod-openai");
    assert!(row.get("key").is_none());
    assert_eq!(
        row["usage_limits"],
        json!({"credit_limit": 10, "type": "cost", "alert_threshold": 80, "periodic_reset": "monthly"})
    );
    assert_eq!(
        row["rate_limits"],
        json!([{"type": "requests", "unit": "rpm", "value": 60}])
    );
    assert_eq!(row["model_config"]["awsRegion"], "us-east-1");
    assert_eq!(row["model_config"]["awsSecretAccessKey"], "[REDACTED]");
    for s in [
        PROVIDER_KEY,
        "AWS-SECRET-VALUE",
        "AKIA-KEY-ID-VALUE",
        "NESTED-SECRET-VALUE",
    ] {
        assert_hidden(&h, &env, s);
    }
}

#[tokio::test]
async fn list_virtual_keys_without_limits_gives_nulls() {
    let h = Harness::start().await;
    h.api.respond(generic_reply);
    let (env, sent) = h.call("list_virtual_keys", json!({})).await;
    // GET /virtual-keys requires both paging parameters: the spec's defaults are sent.
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "0".into()),
            ("page_size".into(), "50".into())
        ]
    );
    assert_eq!(
        env["data"],
        json!({"total": 1, "virtual_keys": [{"name": "mock", "slug": "mock-slug", "status": "active",
            "usage_limits": null, "rate_limits": null, "created_at": "2026-01-01T00:00:00Z"}]})
    );
    // One given: the other takes its default.
    let (_, sent) = h.call("list_virtual_keys", json!({"page_size": 5})).await;
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "0".into()),
            ("page_size".into(), "5".into())
        ]
    );
    let (_, sent) = h
        .call("list_virtual_keys", json!({"current_page": 3}))
        .await;
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "3".into()),
            ("page_size".into(), "50".into())
        ]
    );
    h.refused("list_virtual_keys", json!({"page_size": 0}))
        .await;
    h.refused("list_virtual_keys", json!({"page_size": 101}))
        .await;
}

#[tokio::test]
async fn get_virtual_key_encodes_slug_and_redacts() {
    let h = verbose().await;
    h.api
        .reply_json(200, json!({"success": true, "data": stored_virtual_key()}));
    let (env, sent) = h.call("get_virtual_key", json!({"slug": "a/b c"})).await;
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].path, "/v1/virtual-keys/a%2Fb%20c");
    assert_eq!(env["data"]["name"], "Prod OpenAI");
    assert_eq!(env["data"]["note"], "n");
    assert_eq!(env["data"]["model_config"]["awsAccessKeyId"], "[REDACTED]");
    assert_hidden(&h, &env, PROVIDER_KEY);
    assert_hidden(&h, &env, "AWS-SECRET-VALUE");
}

#[tokio::test]
async fn create_virtual_key_nests_azure_and_limits_and_hides_the_key() {
    let h = verbose().await;
    // The stand-in echoes the key back: it must still not reach the result.
    h.api.reply_json(
        200,
        json!({"success": true, "data": {"slug": "azure-vk", "key": PROVIDER_KEY}}),
    );
    let (env, sent) = h
        .call(
            "create_virtual_key",
            json!({"name": "az", "provider": "azure-openai", "key": PROVIDER_KEY, "workspace_id": "ws-1",
                "api_version": "2024-06-01", "resource_name": "res", "deployment_name": "gpt4o",
                "deployment_configurations": [{"api_version": "2024-06-01", "deployment_name": "gpt4o", "alias": "gpt-4o", "is_default": true},
                    {"api_version": "2024-02-01", "deployment_name": "mini"}],
                "expires_at": "2027-01-01T00:00:00+02:00", "credit_limit": 10, "alert_threshold": 80, "rate_limit_rpm": 100}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/virtual-keys")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "az", "provider": "azure-openai", "key": PROVIDER_KEY, "workspace_id": "ws-1",
            "apiVersion": "2024-06-01", "resourceName": "res", "deploymentName": "gpt4o",
            "deploymentConfig": [{"apiVersion": "2024-06-01", "deploymentName": "gpt4o", "alias": "gpt-4o", "is_default": true},
                {"apiVersion": "2024-02-01", "deploymentName": "mini"}],
            "usage_limits": {"type": "cost", "periodic_reset": "monthly", "credit_limit": 10, "alert_threshold": 80},
            "rate_limits": [{"type": "requests", "unit": "rpm", "value": 100}],
            "expires_at": "2027-01-01T00:00:00+02:00"})
        )
    );
    // Integers stay integers on the wire.
    let raw = String::from_utf8(sent[0].raw_body.clone()).unwrap();
    assert!(raw.contains("\"credit_limit\":10,") || raw.contains("\"credit_limit\":10}"));
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["slug"], "azure-vk");
    assert_eq!(env["data"]["success"], true);
    assert_hidden(&h, &env, PROVIDER_KEY);
}

#[tokio::test]
async fn create_virtual_key_accepts_a_mapped_key() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"success": true, "slug": "s1"}));
    let (env, sent) = h
        .call(
            "create_virtual_key",
            json!({"name": "m", "provider": "openai", "secret_mappings": [
                {"target_field": "key", "secret_reference_id": "sr-1", "secret_key": "OPENAI", "value_format": "string"},
                {"target_field": "model_config.awsRegion", "secret_reference_id": "sr-2", "secret_key": null}]}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "m", "provider": "openai", "secret_mappings": [
            {"target_field": "key", "secret_reference_id": "sr-1", "secret_key": "OPENAI", "value_format": "string"},
            {"target_field": "model_config.awsRegion", "secret_reference_id": "sr-2"}]})
        )
    );
    assert_eq!(env["data"]["slug"], "s1");
}

#[tokio::test]
async fn create_virtual_key_refusals() {
    let h = Harness::start().await;
    let msg = h
        .refused(
            "create_virtual_key",
            json!({"name": "n", "provider": "openai"}),
        )
        .await;
    assert!(
        msg.contains("`key`") && msg.contains("secret_mappings"),
        "{msg}"
    );
    // A mapping that does not target `key` does not replace it.
    h.refused(
        "create_virtual_key",
        json!({"name": "n", "provider": "openai", "secret_mappings": [{"target_field": "model_config.x", "secret_reference_id": "r"}]}),
    )
    .await;
    let msg = h
        .refused(
            "create_virtual_key",
            json!({"name": "n", "provider": "openai", "key": "k", "secret_mappings": [{"target_field": "token", "secret_reference_id": "r"}]}),
        )
        .await;
    assert!(
        msg.contains("secret_mappings[0].target_field") && msg.contains("model_config."),
        "{msg}"
    );
    let msg = h
        .refused(
            "create_virtual_key",
            json!({"name": "n", "provider": "openai", "secret_mappings": [
                {"target_field": "key", "secret_reference_id": "r"}, {"target_field": "key", "secret_reference_id": "q"}]}),
        )
        .await;
    assert!(msg.contains("secret_mappings[1]"), "{msg}");
    let msg = h
        .refused(
            "create_virtual_key",
            json!({"name": "n", "provider": "openai", "key": "k", "expires_at": "2027-02-30T00:00:00Z"}),
        )
        .await;
    assert!(msg.contains("expires_at"), "{msg}");
    h.refused(
        "create_virtual_key",
        json!({"name": "n", "provider": "openai", "key": "k", "expires_at": "2027-01-01"}),
    )
    .await;
    h.refused(
        "create_virtual_key",
        json!({"name": "n", "provider": "openai", "key": "k", "alert_threshold": 101}),
    )
    .await;
    // UsageLimits.alert_threshold has minimum: 1 in the spec.
    for tool_args in [
        (
            "create_virtual_key",
            json!({"name": "n", "provider": "openai", "key": "k", "alert_threshold": 0}),
        ),
        (
            "update_virtual_key",
            json!({"slug": "s", "alert_threshold": 0.5}),
        ),
        (
            "update_api_key",
            json!({"id": "00000000-0000-4000-8000-000000000001", "alert_threshold": 0}),
        ),
    ] {
        let msg = h.refused(tool_args.0, tool_args.1).await;
        assert!(msg.contains("alert_threshold"), "{msg}");
    }
    h.refused(
        "create_virtual_key",
        json!({"name": "n", "provider": "openai", "key": "k", "credit_limit": 0}),
    )
    .await;
    h.refused(
        "create_virtual_key",
        json!({"name": "n", "provider": "azure-openai", "key": "k", "deployment_configurations": [{"api_version": "", "deployment_name": "d"}]}),
    )
    .await;
}

#[tokio::test]
async fn create_virtual_key_error_never_echoes_the_key() {
    let h = verbose().await;
    h.api.reply_json(
        400,
        json!({"success": false, "data": {"message": format!("provider rejected key {PROVIDER_KEY}")}}),
    );
    let (env, sent) = h
        .call(
            "create_virtual_key",
            json!({"name": "n", "provider": "openai", "key": PROVIDER_KEY}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    let msg = env["error"]["message"].as_str().unwrap();
    assert!(msg.contains("provider rejected key [REDACTED]"), "{msg}");
    assert_hidden(&h, &env, PROVIDER_KEY);
}

#[tokio::test]
async fn update_virtual_key_sends_given_fields_only() {
    let h = verbose().await;
    h.api.reply_json(200, json!({"success": true}));
    let (env, sent) = h
        .call(
            "update_virtual_key",
            json!({"slug": "vk/1", "key": PROVIDER_KEY, "note": "rotated", "alert_threshold": 50,
                "deployment_configurations": [{"api_version": "v", "deployment_name": "d"}],
                "secret_mappings": [{"target_field": "model_config.awsRoleArn", "secret_reference_id": "r", "value_format": "json"}]}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/virtual-keys/vk%2F1")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"key": PROVIDER_KEY, "note": "rotated",
            "usage_limits": {"type": "cost", "periodic_reset": "monthly", "alert_threshold": 50},
            "deploymentConfig": [{"apiVersion": "v", "deploymentName": "d"}],
            "secret_mappings": [{"target_field": "model_config.awsRoleArn", "secret_reference_id": "r", "value_format": "json"}]}))
    );
    assert_eq!(env["data"]["success"], true);
    assert!(env["data"]["message"].as_str().unwrap().contains("vk/1"));
    assert_hidden(&h, &env, PROVIDER_KEY);
    // The reference sends an empty update as is; so do we.
    let (env, sent) = h.call("update_virtual_key", json!({"slug": "s"})).await;
    assert_eq!(sent[0].body, Some(json!({})));
    assert_eq!(env["ok"], true);
    let msg = h
        .refused(
            "update_virtual_key",
            json!({"slug": "s", "secret_mappings": [{"target_field": "secret", "secret_reference_id": "r"}]}),
        )
        .await;
    assert!(msg.contains("target_field"), "{msg}");
}

#[tokio::test]
async fn delete_virtual_key_and_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("delete_virtual_key", json!({"slug": "s 1"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/virtual-keys/s%201")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn create_api_key_posts_to_type_and_sub_type_and_returns_the_key_once() {
    let h = verbose().await;
    h.api.reply_json(
        200,
        json!({"id": "new-key-id", "key": NEW_API_KEY, "object": "api-key"}),
    );
    let (env, sent) = h
        .call(
            "create_api_key",
            json!({"type": "workspace", "sub_type": "service", "name": "k", "workspace_id": "ws-1",
                "scopes": ["logs.read", "analytics.read"], "rate_limits": [{"type": "requests", "unit": "rpm", "value": 60}],
                "rate_limit_rpm": 5, "credit_limit": 100, "default_metadata": {"app": "a"}, "default_config_id": "cfg",
                "default_allow_config_override": false, "alert_emails": ["ops@example.com"],
                "expires_at": "2027-01-01T00:00:00Z", "rotation_policy": {"rotation_period": "monthly", "key_transition_period_ms": 3600000}}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/api-keys/workspace/service")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "k", "workspace_id": "ws-1", "scopes": ["logs.read", "analytics.read"],
            "usage_limits": {"type": "cost", "periodic_reset": "monthly", "credit_limit": 100},
            "rate_limits": [{"type": "requests", "unit": "rpm", "value": 60}],
            "defaults": {"config_id": "cfg", "metadata": {"app": "a"}, "allow_config_override": false},
            "alert_emails": ["ops@example.com"], "expires_at": "2027-01-01T00:00:00Z",
            "rotation_policy": {"rotation_period": "monthly", "key_transition_period_ms": 3600000}})
        )
    );
    assert_eq!(env["data"]["id"], "new-key-id");
    assert_eq!(env["data"]["key"], NEW_API_KEY);
    assert!(
        env["data"]["message"]
            .as_str()
            .unwrap()
            .contains("only this once")
    );
    assert!(!h.mcp.stderr().contains(NEW_API_KEY), "new key on stderr");
}

#[tokio::test]
async fn create_api_key_user_key_with_rpm_and_null_rotation() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"id": "i", "key": "k"}));
    let (_, sent) = h
        .call(
            "create_api_key",
            json!({"type": "organisation", "sub_type": "user", "name": "u", "user_id": "usr-1",
                "scopes": [], "rate_limit_rpm": 30, "alert_threshold": 90, "rotation_policy": null}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/api-keys/organisation/user");
    assert_eq!(
        sent[0].body,
        Some(json!({"name": "u", "user_id": "usr-1", "scopes": [],
            "usage_limits": {"type": "cost", "periodic_reset": "monthly", "alert_threshold": 90},
            "rate_limits": [{"type": "requests", "unit": "rpm", "value": 30}],
            "rotation_policy": null}))
    );
    // rate_limits: null is sent as null (clears), rate_limit_rpm then ignored.
    let (_, sent) = h
        .call(
            "create_api_key",
            json!({"type": "organisation", "sub_type": "service", "name": "s", "scopes": ["a"],
                "rate_limits": null, "rate_limit_rpm": 30}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(json!({"name": "s", "scopes": ["a"], "rate_limits": null}))
    );
}

#[tokio::test]
async fn create_api_key_refusals() {
    let h = Harness::start().await;
    let base = json!({"type": "organisation", "sub_type": "service", "name": "n", "scopes": ["a"]});
    let with = |extra: Value| {
        let mut v = base.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let msg = h
        .refused("create_api_key", with(json!({"type": "workspace"})))
        .await;
    assert!(msg.contains("workspace_id"), "{msg}");
    let msg = h
        .refused("create_api_key", with(json!({"sub_type": "user"})))
        .await;
    assert!(msg.contains("user_id"), "{msg}");
    let msg = h
        .refused(
            "create_api_key",
            with(
                json!({"rotation_policy": {"rotation_period": "weekly", "next_rotation_at": "2027-01-01T00:00:00Z"}}),
            ),
        )
        .await;
    assert!(
        msg.contains("rotation_period") && msg.contains("next_rotation_at"),
        "{msg}"
    );
    let msg = h
        .refused(
            "create_api_key",
            with(json!({"rotation_policy": {"key_transition_period_ms": 1800000}})),
        )
        .await;
    assert!(
        msg.contains("rotation_period") && msg.contains("next_rotation_at"),
        "{msg}"
    );
    let msg = h
        .refused(
            "create_api_key",
            with(json!({"rotation_policy": {"next_rotation_at": "tomorrow"}})),
        )
        .await;
    assert!(msg.contains("next_rotation_at"), "{msg}");
    h.refused(
        "create_api_key",
        with(json!({"rotation_policy": {"rotation_period": "weekly", "key_transition_period_ms": 1000}})),
    )
    .await;
    h.refused(
        "create_api_key",
        with(json!({"expires_at": "2027-13-01T00:00:00Z"})),
    )
    .await;
    h.refused(
        "create_api_key",
        with(json!({"rate_limits": [{"type": "requests", "unit": "rpy", "value": 1}]})),
    )
    .await;
    h.refused(
        "create_api_key",
        with(json!({"default_metadata": {"n": 1}})),
    )
    .await;
    // A next_rotation_at alone is fine.
    h.api.reply_json(200, json!({"id": "i", "key": "k"}));
    let (env, sent) = h
        .call(
            "create_api_key",
            with(json!({"rotation_policy": {"next_rotation_at": "2028-02-29T12:00:00.5Z"}})),
        )
        .await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(
        sent[0].body.as_ref().unwrap()["rotation_policy"],
        json!({"next_rotation_at": "2028-02-29T12:00:00.5Z"})
    );
}

#[tokio::test]
async fn list_and_get_api_keys_never_return_the_secret() {
    let h = verbose().await;
    let stored = json!({"id": UUID, "name": "k", "key": NEW_API_KEY, "type": "organisation-service", "status": "active",
        "scopes": ["a"], "usage_limits": null, "rate_limits": [{"type": "tokens", "unit": "rph", "value": 9}],
        "defaults": {"config_id": "c"}, "reset_usage": 0, "created_at": "t", "last_updated_at": "u", "creation_mode": "ui"});
    h.api
        .reply_json(200, json!({"total": 1, "data": [stored.clone()]}));
    let (env, sent) = h
        .call(
            "list_api_keys",
            json!({"workspace_id": "ws 1", "page_size": 2, "current_page": 0}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/api-keys");
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "0".into()),
            ("page_size".into(), "2".into()),
            ("workspace_id".into(), "ws 1".into())
        ]
    );
    let row = &env["data"]["api_keys"][0];
    assert_eq!(row["id"], UUID);
    assert_eq!(row["usage_limits"], Value::Null);
    assert_eq!(
        row["rate_limits"],
        json!([{"type": "tokens", "unit": "rph", "value": 9}])
    );
    assert!(
        row.get("reset_usage").is_none(),
        "summary rows skip reset_usage"
    );
    assert_hidden(&h, &env, NEW_API_KEY);

    h.api.reply_json(200, stored);
    let (env, sent) = h.call("get_api_key", json!({"id": UUID})).await;
    assert_eq!(sent[0].path, format!("/v1/api-keys/{UUID}"));
    assert_eq!(env["data"]["reset_usage"], 0);
    assert_eq!(env["data"]["creation_mode"], "ui");
    assert_hidden(&h, &env, NEW_API_KEY);

    let msg = h.refused("get_api_key", json!({"id": "not-a-uuid"})).await;
    assert!(msg.contains("id"), "{msg}");
}

#[tokio::test]
async fn update_api_key_body_and_nulls() {
    let h = Harness::start().await;
    h.api.respond(generic_reply);
    let (env, sent) = h
        .call(
            "update_api_key",
            json!({"id": UUID, "name": "n", "scopes": ["x"], "reset_usage": 0, "rate_limit_rpm": 10,
                "default_allow_config_override": true, "expires_at": null, "rotation_policy": null}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", format!("/v1/api-keys/{UUID}").as_str())
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "n", "scopes": ["x"], "rate_limits": [{"type": "requests", "unit": "rpm", "value": 10}],
            "reset_usage": 0, "defaults": {"allow_config_override": true}, "expires_at": null, "rotation_policy": null})
        )
    );
    assert_eq!(env["data"]["success"], true);
    let (env, sent) = h.call("update_api_key", json!({"id": UUID})).await;
    assert_eq!(sent[0].body, Some(json!({})));
    assert_eq!(env["ok"], true);
    let msg = h
        .refused(
            "update_api_key",
            json!({"id": UUID, "rotation_policy": {"rotation_period": "weekly", "next_rotation_at": "2027-01-01T00:00:00Z"}}),
        )
        .await;
    assert!(msg.contains("not both"), "{msg}");
    h.refused("update_api_key", json!({"id": UUID, "expires_at": "soon"}))
        .await;
}

#[tokio::test]
async fn delete_api_key_sends_delete() {
    let h = Harness::start().await;
    h.api.respond(generic_reply);
    let (env, sent) = h.call("delete_api_key", json!({"id": UUID})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", format!("/v1/api-keys/{UUID}").as_str())
    );
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn rotate_api_key_returns_the_new_key_and_keeps_it_off_stderr() {
    let h = verbose().await;
    h.api.reply_json(
        200,
        json!({"id": UUID, "key": NEW_API_KEY, "key_transition_expires_at": "2027-01-01T01:00:00Z"}),
    );
    let (env, sent) = h
        .call(
            "rotate_api_key",
            json!({"id": UUID, "key_transition_period_ms": 3600000}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", format!("/v1/api-keys/{UUID}/rotate").as_str())
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"key_transition_period_ms": 3600000}))
    );
    assert_eq!(env["data"]["key"], NEW_API_KEY);
    assert_eq!(
        env["data"]["key_transition_expires_at"],
        "2027-01-01T01:00:00Z"
    );
    assert!(!h.mcp.stderr().contains(NEW_API_KEY), "new key on stderr");
    let (_, sent) = h.call("rotate_api_key", json!({"id": UUID})).await;
    assert_eq!(sent[0].body, Some(json!({})));
    h.refused(
        "rotate_api_key",
        json!({"id": UUID, "key_transition_period_ms": 1799999}),
    )
    .await;
}

#[tokio::test]
async fn tools_list_says_where_secrets_go() {
    let h = Harness::start().await;
    let tools = h.mcp.list_tools().await;
    let desc = |n: &str| {
        tools.iter().find(|t| t["name"] == n).unwrap()["description"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for n in ["create_api_key", "rotate_api_key"] {
        assert!(desc(n).contains("conversation"), "{n}");
    }
    for n in ["list_virtual_keys", "list_api_keys", "get_api_key"] {
        assert!(desc(n).contains("never"), "{n}");
    }
}

/// At RUST_LOG=debug the SDK's own request log would print tool arguments; main.rs caps it.
#[tokio::test]
async fn debug_logging_keeps_provider_keys_off_stderr() {
    let h = Harness::start_with(&[("RUST_LOG", "debug")]).await;
    h.api.reply_json(200, json!({"success": true, "slug": "s"}));
    let (env, _) = h
        .call(
            "create_virtual_key",
            json!({"name": "n", "provider": "openai", "key": PROVIDER_KEY}),
        )
        .await;
    assert_hidden(&h, &env, PROVIDER_KEY);
}

/// GET /api-keys/{id} as the spec describes it: the usage cap's type and reset schedule come
/// back with the cap (a token cap must not read as a cost cap).
#[tokio::test]
async fn get_api_key_keeps_the_usage_cap_type_and_schedule() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "k1", "name": "svc", "type": "workspace-service", "status": "active",
            "usage_limits": {"credit_limit": 1000000, "type": "tokens", "alert_threshold": 90,
                "periodic_reset": "weekly", "periodic_reset_days": 7, "next_usage_reset_at": "2026-02-01T00:00:00Z"},
            "rate_limits": [{"type": "requests", "unit": "rpm", "value": 100}], "scopes": ["logs.view"],
            "object": "api-key"}),
    );
    let (env, _) = h
        .call(
            "get_api_key",
            json!({"id": "0a1b2c3d-1111-4222-8333-444455556666"}),
        )
        .await;
    assert_eq!(
        env["data"]["usage_limits"],
        json!({"credit_limit": 1000000, "type": "tokens", "alert_threshold": 90, "periodic_reset": "weekly",
            "periodic_reset_days": 7, "next_usage_reset_at": "2026-02-01T00:00:00Z"})
    );
}
