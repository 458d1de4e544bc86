//! integrations domain: each tool through MCP against the stand-in, asserting request and result,
//! and that the credentials a call sends never come back in its result or the server's log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{Value, json};

const PROVIDER_KEY: &str = "sk-provider-SECRET-4242";
const AWS_KEY_ID: &str = "AKIA-SECRET-ID-77";
const AWS_SECRET: &str = "aws-SECRET-access-9999";
const HEADER_SECRET: &str = "Bearer hdr-SECRET-5150";

/// A server logging at info (debug-level rmcp traces echo raw arguments: see the report).
async fn verbose() -> Harness {
    Harness::start_with(&[("RUST_LOG", "info")]).await
}

fn assert_hidden(h: &Harness, env: &Value, secrets: &[&str]) {
    let text = env.to_string();
    let log = h.mcp.stderr();
    for s in secrets {
        assert!(!text.contains(s), "{s} in result: {text}");
        assert!(!log.contains(s), "{s} in stderr: {log}");
    }
}

#[tokio::test]
async fn get_model_pricing_reads_public_catalog_without_key() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"pay_as_you_go": {"request_token": {"price": 0.00025}, "response_token": {"price": 0.001}}, "currency": "USD"}),
    );
    let (env, sent) = h
        .call(
            "get_model_pricing",
            json!({"provider": "openai", "model": "gpt-4o"}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/model-configs/pricing/openai/gpt-4o")
    );
    assert_eq!(sent[0].header("x-portkey-api-key"), None);
    assert!(!format!("{:?}", sent[0].headers).contains(TEST_KEY));
    assert_eq!(
        env["data"]["pay_as_you_go"]["request_token"]["price"],
        0.00025
    );
    // Model ids with slashes stay one segment.
    let (_, sent) = h
        .call(
            "get_model_pricing",
            json!({"provider": "bedrock", "model": "meta/llama 3"}),
        )
        .await;
    assert_eq!(
        sent[0].path,
        "/model-configs/pricing/bedrock/meta%2Fllama%203"
    );
}

#[tokio::test]
async fn list_integrations_filters_and_shapes() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 2, "data": [{"id": "i1", "name": "OpenAI", "slug": "openai-main", "ai_provider_id": "openai",
            "status": "active", "masked_key": "sk-****", "configurations": {"x": 1}}]}),
    );
    let (env, sent) = h
        .call(
            "list_integrations",
            json!({"page_size": 5, "type": "organisation", "workspace_id": "ws"}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/integrations");
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("page_size".into(), "5".into()),
            ("type".into(), "organisation".into()),
            ("workspace_id".into(), "ws".into())
        ]
    );
    assert_eq!(env["data"]["total"], 2);
    let row = &env["data"]["integrations"][0];
    assert_eq!(row["ai_provider_id"], "openai");
    assert!(row.get("masked_key").is_none() && row.get("configurations").is_none());
    h.refused("list_integrations", json!({"type": "team"}))
        .await;
}

#[tokio::test]
async fn create_integration_nests_provider_fields_and_hides_secrets() {
    let h = verbose().await;
    h.api
        .reply_json(200, json!({"id": "int-1", "slug": "bedrock-main"}));
    let (env, sent) = h
        .call(
            "create_integration",
            json!({"name": "Bedrock", "ai_provider_id": "bedrock", "key": PROVIDER_KEY, "workspace_id": "ws",
                "aws_region": "us-east-1", "aws_access_key_id": AWS_KEY_ID, "aws_secret_access_key": AWS_SECRET,
                "create_default_provider": false, "default_provider_slug": "bedrock_ws-1",
                "secret_mappings": [{"target_field": "configurations.aws_secret_access_key", "secret_reference_id": "sr-1", "secret_key": null},
                                    {"target_field": "key", "secret_reference_id": "sr-2", "value_format": "string"}],
                "pricing_adjustments": {"multiplier": {"default": 0.8, "reasoning_token": null, "image": {"default": 1}, "additional_units": {"web_search": 0.5}}}}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/integrations")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "Bedrock", "ai_provider_id": "bedrock", "workspace_id": "ws", "key": PROVIDER_KEY,
            "configurations": {"aws_region": "us-east-1", "aws_access_key_id": AWS_KEY_ID, "aws_secret_access_key": AWS_SECRET},
            "secret_mappings": [{"target_field": "configurations.aws_secret_access_key", "secret_reference_id": "sr-1", "secret_key": null},
                                {"target_field": "key", "secret_reference_id": "sr-2", "value_format": "string"}],
            "pricing_adjustments": {"multiplier": {"default": 0.8, "reasoning_token": null, "image": {"default": 1}, "additional_units": {"web_search": 0.5}}},
            "create_default_provider": false, "default_provider_slug": "bedrock_ws-1"})
        )
    );
    assert_eq!(env["data"]["id"], "int-1");
    assert_eq!(env["data"]["slug"], "bedrock-main");
    assert_hidden(&h, &env, &[PROVIDER_KEY, AWS_KEY_ID, AWS_SECRET]);
}

#[tokio::test]
async fn create_integration_error_echo_is_scrubbed() {
    let h = verbose().await;
    h.api.reply_json(
        400,
        json!({"error": {"message": format!("invalid credentials {PROVIDER_KEY} / {AWS_SECRET}")}}),
    );
    let (env, sent) = h
        .call(
            "create_integration",
            json!({"name": "n", "ai_provider_id": "bedrock", "key": PROVIDER_KEY, "aws_secret_access_key": AWS_SECRET}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid credentials [REDACTED]")
    );
    assert_hidden(&h, &env, &[PROVIDER_KEY, AWS_SECRET]);
}

#[tokio::test]
async fn create_integration_refuses_bad_mappings_and_multipliers() {
    let h = Harness::start().await;
    let base = json!({"name": "n", "ai_provider_id": "openai"});
    let with = |k: &str, v: Value| {
        let mut a = base.clone();
        a[k] = v;
        a
    };
    let msg = h
        .refused(
            "create_integration",
            with(
                "secret_mappings",
                json!([{"target_field": "api_key", "secret_reference_id": "s"}]),
            ),
        )
        .await;
    assert!(
        msg.contains("secret_mappings[0].target_field") && msg.contains("configurations."),
        "{msg}"
    );
    let msg = h
        .refused(
            "create_integration",
            with(
                "secret_mappings",
                json!([{"target_field": "key", "secret_reference_id": "a"}, {"target_field": "key", "secret_reference_id": "b"}]),
            ),
        )
        .await;
    assert!(msg.contains("secret_mappings[1]"), "{msg}");
    let msg = h
        .refused(
            "create_integration",
            with(
                "pricing_adjustments",
                json!({"multiplier": {"input_token": 0.5}}),
            ),
        )
        .await;
    assert!(
        msg.contains("multiplier.input_token") && msg.contains("request_token"),
        "{msg}"
    );
    let msg = h
        .refused(
            "create_integration",
            with(
                "pricing_adjustments",
                json!({"multiplier": {"request_token": -1}}),
            ),
        )
        .await;
    assert!(msg.contains(">= 0"), "{msg}");
    h.refused(
        "create_integration",
        with(
            "pricing_adjustments",
            json!({"multiplier": {"image": {"default": "x"}}}),
        ),
    )
    .await;
    let msg = h
        .refused(
            "create_integration",
            with("default_provider_slug", json!("bad slug!")),
        )
        .await;
    assert!(msg.contains("default_provider_slug"), "{msg}");
    // The contract's "all" example uses a target_field the reference refuses too.
    h.refused(
        "create_integration",
        with(
            "secret_mappings",
            json!([{"target_field": "target_field-1", "secret_reference_id": "x"}]),
        ),
    )
    .await;
}

#[tokio::test]
async fn get_integration_redacts_configuration_secrets() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "i1", "slug": "s", "name": "N", "ai_provider_id": "bedrock", "masked_key": "sk-****42",
            "configurations": "{\"aws_region\":\"us-east-1\",\"aws_secret_access_key\":\"leaked-SECRET\"}",
            "secret_mappings": [{"target_field": "key", "secret_reference_id": "sr-1"}],
            "allow_all_models": true, "workspace_count": 3, "unrelated": 1}),
    );
    let (env, sent) = h.call("get_integration", json!({"slug": "a b"})).await;
    assert_eq!(sent[0].path, "/v1/integrations/a%20b");
    let d = &env["data"];
    assert_eq!(d["masked_key"], "sk-****42");
    assert_eq!(d["configurations"]["aws_region"], "us-east-1");
    assert_eq!(d["configurations"]["aws_secret_access_key"], "[REDACTED]");
    assert_eq!(d["secret_mappings"][0]["secret_reference_id"], "sr-1");
    assert_eq!(d["workspace_count"], 3);
    assert!(d.get("unrelated").is_none());
    assert!(!env.to_string().contains("leaked-SECRET"));
}

#[tokio::test]
async fn update_integration_sends_given_fields_and_null_pricing() {
    let h = verbose().await;
    h.api.reply_json(200, json!({}));
    let (env, sent) = h
        .call(
            "update_integration",
            json!({"slug": "az", "key": PROVIDER_KEY, "api_version": "2024-06-01", "deployment_name": "gpt4o",
                "pricing_adjustments": null}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/integrations/az")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"key": PROVIDER_KEY, "configurations": {"api_version": "2024-06-01", "deployment_name": "gpt4o"},
            "pricing_adjustments": null})
        )
    );
    assert_eq!(env["data"]["success"], true);
    assert_hidden(&h, &env, &[PROVIDER_KEY]);
    // Only the slug: an empty body, as the reference sends.
    let (_, sent) = h.call("update_integration", json!({"slug": "az"})).await;
    assert_eq!(sent[0].body, Some(json!({})));
    let msg = h
        .refused(
            "update_integration",
            json!({"slug": "az", "secret_mappings": [{"target_field": "model_config.x", "secret_reference_id": "s"}]}),
        )
        .await;
    assert!(msg.contains("target_field"), "{msg}");
}

#[tokio::test]
async fn delete_integration_and_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("delete_integration", json!({"slug": "s"})).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/integrations/s")
    );
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn list_integration_models_accepts_both_shapes_and_masks_headers() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"models": [{"model_id": "gpt-x", "model_name": "GPT X", "enabled": true, "custom": true,
            "configurations": {"custom_host": "https://h.example", "custom_headers": {"authorization": HEADER_SECRET}}}]}),
    );
    let (env, sent) = h
        .call(
            "list_integration_models",
            json!({"slug": "s", "current_page": 0, "page_size": 2}),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/integrations/s/models");
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "0".into()),
            ("page_size".into(), "2".into())
        ]
    );
    let d = &env["data"];
    assert_eq!(d["total"], 1);
    assert_eq!(d["integration_slug"], "s");
    let m = &d["models"][0];
    assert_eq!(m["slug"], "gpt-x");
    assert_eq!(m["name"], "GPT X");
    assert_eq!(m["is_custom"], true);
    assert_eq!(
        m["configurations"]["custom_headers"]["authorization"],
        "[REDACTED]"
    );
    assert!(!env.to_string().contains(HEADER_SECRET));
    // The documented `data` form.
    h.api.reply_json(
        200,
        json!({"total": 9, "data": [{"slug": "a", "name": "A", "enabled": false}]}),
    );
    let (env, _) = h
        .call("list_integration_models", json!({"slug": "s"}))
        .await;
    assert_eq!(env["data"]["total"], 9);
    assert_eq!(env["data"]["models"][0]["enabled"], false);
}

#[tokio::test]
async fn update_integration_models_sends_models_and_hides_headers() {
    let h = verbose().await;
    h.api.reply_json(
        400,
        json!({"error": {"message": format!("bad header {HEADER_SECRET}")}}),
    );
    let models = json!([{"slug": "ft-1", "enabled": true, "is_custom": true, "is_finetune": true, "base_model_slug": "gpt-4o",
        "model_name": "FT", "configurations": {"custom_host": "https://ft.example/v1", "custom_headers": {"x-auth": HEADER_SECRET}},
        "pricing_config": {"type": "static", "pay_as_you_go": {"request_token": {"price": 0.1}}}},
        {"slug": "gpt-4o-mini", "enabled": false}]);
    let (env, sent) = h
        .call(
            "update_integration_models",
            json!({"slug": "s", "allow_all_models": false, "models": models}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/integrations/s/models")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"models": models, "allow_all_models": false}))
    );
    assert_eq!(env["ok"], false);
    assert_hidden(&h, &env, &[HEADER_SECRET]);
    h.api.reply_json(200, json!({}));
    let (env, _) = h
        .call(
            "update_integration_models",
            json!({"slug": "s", "models": models}),
        )
        .await;
    assert_eq!(env["data"]["models_updated"], 2);
    assert_hidden(&h, &env, &[HEADER_SECRET]);
    h.refused(
        "update_integration_models",
        json!({"slug": "s", "models": [{"slug": "m", "enabled": true, "configurations": {"custom_host": "not a url"}}]}),
    )
    .await;
    h.refused(
        "update_integration_models",
        json!({"slug": "s", "models": [{"slug": "m", "enabled": true, "pricing_config": {"type": "dynamic"}}]}),
    )
    .await;
}

#[tokio::test]
async fn delete_integration_model_sends_slug_as_query() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({}));
    let (env, sent) = h
        .call(
            "delete_integration_model",
            json!({"slug": "s", "model_slug": "my model"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/integrations/s/models")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![("slugs".into(), "my model".into())]
    );
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn list_integration_workspaces_shapes_rows() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"workspaces": [{"id": "ws-1", "workspace_name": "Team", "enabled": true,
            "usage_limits": [{"credit_limit": 5}], "rate_limits": [{"unit": "rpm", "value": 10}]}]}),
    );
    let (env, sent) = h
        .call("list_integration_workspaces", json!({"slug": "s"}))
        .await;
    assert_eq!(sent[0].path, "/v1/integrations/s/workspaces");
    let d = &env["data"];
    assert_eq!(d["total"], 1);
    assert_eq!(d["integration_slug"], "s");
    assert_eq!(d["workspaces"][0]["workspace_id"], "ws-1");
    assert_eq!(d["workspaces"][0]["usage_limits"][0]["credit_limit"], 5);
}

#[tokio::test]
async fn update_integration_workspaces_builds_limits() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({}));
    let (env, sent) = h
        .call(
            "update_integration_workspaces",
            json!({"slug": "s", "workspaces": [{"id": "w1", "enabled": true, "credit_limit": 10, "rate_limit_rpm": 60},
                {"id": "w2", "enabled": false}],
                "global_workspace_access_enabled": true, "global_alert_threshold": 90, "override_existing_workspace_access": false}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/integrations/s/workspaces")
    );
    assert_eq!(
        sent[0].body,
        Some(json!({"workspaces": [
                {"id": "w1", "enabled": true, "usage_limits": [{"type": "cost", "periodic_reset": "monthly", "credit_limit": 10.0}],
                 "rate_limits": [{"type": "requests", "unit": "rpm", "value": 60.0}]},
                {"id": "w2", "enabled": false}],
            "global_workspace_access": {"enabled": true, "usage_limits": [{"type": "cost", "alert_threshold": 90.0}]},
            "override_existing_workspace_access": false}))
    );
    assert_eq!(env["data"]["workspaces_updated"], 2);
}

#[tokio::test]
async fn update_integration_workspaces_needs_enabled_with_global_limits() {
    let h = Harness::start().await;
    let msg = h
        .refused(
            "update_integration_workspaces",
            json!({"slug": "s", "workspaces": [], "global_rate_limit_rpm": 5}),
        )
        .await;
    assert!(msg.contains("global_workspace_access_enabled"), "{msg}");
    h.refused(
        "update_integration_workspaces",
        json!({"slug": "s", "workspaces": [{"id": "w", "enabled": true, "alert_threshold": 150}]}),
    )
    .await;
    // UsageLimits.alert_threshold has minimum: 1 in the spec, per workspace and global.
    h.refused(
        "update_integration_workspaces",
        json!({"slug": "s", "workspaces": [{"id": "w", "enabled": true, "alert_threshold": 0}]}),
    )
    .await;
    h.refused(
        "update_integration_workspaces",
        json!({"slug": "s", "workspaces": [], "global_workspace_access_enabled": true, "global_alert_threshold": 0}),
    )
    .await;
}
