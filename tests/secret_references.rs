//! secret-references domain: each tool through MCP against the stand-in, asserting request and
//! result, the auth_config rules, and that credentials never come back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{Value, json};

const AWS_SECRET: &str = "wJalr-AWS-SECRET-ACCESS-KEY-777";
const AWS_KEY_ID: &str = "AKIA-ACCESS-KEY-ID-777";
const VAULT_TOKEN: &str = "hvs.VAULT-TOKEN-SECRET-888";

/// A server logging our own code at debug level, so a credential in any log line would show.
async fn verbose() -> Harness {
    Harness::start_with(&[("RUST_LOG", "portkey_admin_mcp=debug,warn")]).await
}

fn assert_hidden(h: &Harness, env: &Value, secret: &str) {
    assert!(!env.to_string().contains(secret), "secret in result: {env}");
    assert!(!h.mcp.stderr().contains(secret), "secret on stderr");
}

fn access_key_auth() -> Value {
    json!({"aws_auth_type": "accessKey", "aws_access_key_id": AWS_KEY_ID,
        "aws_secret_access_key": AWS_SECRET, "aws_region": "us-east-1"})
}

#[tokio::test]
async fn create_secret_reference_sends_as_given_and_returns_no_credentials() {
    let h = verbose().await;
    // The stand-in echoes the credentials: they must still not come back.
    h.api.reply_json(
        200,
        json!({"id": "sr-uuid", "slug": "openai-prod", "object": "secret-reference", "auth_config": access_key_auth()}),
    );
    let (env, sent) = h
        .call(
            "create_secret_reference",
            json!({"name": "OpenAI prod", "manager_type": "aws_sm", "auth_config": access_key_auth(),
                "secret_path": "prod/openai", "slug": "openai-prod", "description": null, "secret_key": "OPENAI_KEY",
                "allowed_workspaces": ["ws-1"], "tags": {"team": "ml", "env": "prod"}}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/secret-references")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "OpenAI prod", "manager_type": "aws_sm", "auth_config": access_key_auth(),
            "secret_path": "prod/openai", "slug": "openai-prod", "description": null, "secret_key": "OPENAI_KEY",
            "allowed_workspaces": ["ws-1"], "tags": {"team": "ml", "env": "prod"}})
        )
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["id"], "sr-uuid");
    assert_eq!(env["data"]["slug"], "openai-prod");
    assert_hidden(&h, &env, AWS_SECRET);
    assert_hidden(&h, &env, AWS_KEY_ID);
}

#[tokio::test]
async fn create_secret_reference_accepts_each_family() {
    let h = Harness::start().await;
    h.api.respond(generic_reply);
    for (manager, auth) in [
        (
            "aws_sm",
            json!({"aws_auth_type": "assumedRole", "aws_role_arn": "arn:aws:iam::1:role/r", "aws_region": "eu-west-1", "aws_external_id": null}),
        ),
        ("aws_sm", json!({"aws_auth_type": "serviceRole"})),
        (
            "azure_kv",
            json!({"azure_auth_mode": "entra", "azure_entra_tenant_id": "t", "azure_entra_client_id": "c",
            "azure_entra_client_secret": "s", "azure_vault_url": "https://v.vault.azure.net"}),
        ),
        (
            "azure_kv",
            json!({"azure_auth_mode": "managed", "azure_vault_url": "https://v.vault.azure.net"}),
        ),
        (
            "azure_kv",
            json!({"azure_auth_mode": "default", "azure_vault_url": "https://v.vault.azure.net"}),
        ),
        (
            "hashicorp_vault",
            json!({"vault_auth_type": "token", "vault_addr": "https://vault:8200", "vault_token": "t", "vault_namespace": "ns"}),
        ),
        (
            "hashicorp_vault",
            json!({"vault_auth_type": "approle", "vault_addr": "https://vault:8200", "vault_role_id": "r", "vault_secret_id": "s"}),
        ),
        (
            "hashicorp_vault",
            json!({"vault_auth_type": "kubernetes", "vault_addr": "https://vault:8200", "vault_role": "r"}),
        ),
    ] {
        let (env, sent) = h
            .call(
                "create_secret_reference",
                json!({"name": "n", "manager_type": manager, "auth_config": auth, "secret_path": "p"}),
            )
            .await;
        assert_eq!(env["ok"], true, "{manager} {auth}: {env}");
        assert_eq!(sent[0].body.as_ref().unwrap()["auth_config"], auth);
    }
}

#[tokio::test]
async fn create_secret_reference_refusals() {
    let h = Harness::start().await;
    let call = |manager: &str, auth: Value, extra: Value| {
        let mut v =
            json!({"name": "n", "manager_type": manager, "auth_config": auth, "secret_path": "p"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let msg = h
        .refused(
            "create_secret_reference",
            call(
                "aws_sm",
                access_key_auth(),
                json!({"allow_all_workspaces": true, "allowed_workspaces": ["w"]}),
            ),
        )
        .await;
    assert!(
        msg.contains("allow_all_workspaces") && msg.contains("allowed_workspaces"),
        "{msg}"
    );
    let msg = h
        .refused(
            "create_secret_reference",
            call("hashicorp_vault", access_key_auth(), json!({})),
        )
        .await;
    assert!(msg.contains("manager_type hashicorp_vault"), "{msg}");
    let msg = h
        .refused(
            "create_secret_reference",
            call(
                "aws_sm",
                json!({"aws_auth_type": "accessKey", "aws_region": "us-east-1"}),
                json!({}),
            ),
        )
        .await;
    assert!(
        msg.contains("aws_access_key_id") && msg.contains("aws_secret_access_key"),
        "{msg}"
    );
    let msg = h
        .refused(
            "create_secret_reference",
            call(
                "aws_sm",
                json!({"aws_auth_type": "serviceRole", "aws_role_arn": "arn"}),
                json!({}),
            ),
        )
        .await;
    assert!(msg.contains("aws_role_arn"), "{msg}");
    let msg = h
        .refused(
            "create_secret_reference",
            call(
                "azure_kv",
                json!({"azure_vault_url": "https://v"}),
                json!({}),
            ),
        )
        .await;
    assert!(msg.contains("azure_auth_mode"), "{msg}");
    let msg = h
        .refused(
            "create_secret_reference",
            call(
                "aws_sm",
                json!({"aws_auth_type": "serviceRole", "password": "x"}),
                json!({}),
            ),
        )
        .await;
    assert!(msg.contains("auth_config.password"), "{msg}");
    h.refused(
        "create_secret_reference",
        call(
            "hashicorp_vault",
            json!({"vault_auth_type": "token", "vault_addr": "not a url", "vault_token": "t"}),
            json!({}),
        ),
    )
    .await;
    h.refused(
        "create_secret_reference",
        call(
            "aws_sm",
            json!({"aws_auth_type": "passwordless"}),
            json!({}),
        ),
    )
    .await;
    let msg = h
        .refused(
            "create_secret_reference",
            call(
                "aws_sm",
                json!({"aws_auth_type": "serviceRole"}),
                json!({"slug": "bad slug!"}),
            ),
        )
        .await;
    assert!(msg.contains("slug"), "{msg}");
    h.refused(
        "create_secret_reference",
        call(
            "aws_sm",
            json!({"aws_auth_type": "serviceRole"}),
            json!({"allowed_workspaces": []}),
        ),
    )
    .await;
    h.refused(
        "create_secret_reference",
        call(
            "aws_sm",
            json!({"aws_auth_type": "serviceRole"}),
            json!({"organisation_id": "org-1"}),
        ),
    )
    .await;
    // Refusal messages never repeat a credential.
    let msg = h
        .refused(
            "create_secret_reference",
            call(
                "aws_sm",
                json!({"aws_auth_type": "assumedRole", "aws_secret_access_key": AWS_SECRET}),
                json!({}),
            ),
        )
        .await;
    assert!(!msg.contains(AWS_SECRET), "{msg}");
}

#[tokio::test]
async fn create_secret_reference_error_never_echoes_credentials() {
    let h = verbose().await;
    h.api.reply_json(
        400,
        json!({"error": {"message": format!("cannot reach AWS with {AWS_KEY_ID}/{AWS_SECRET}")}}),
    );
    let (env, sent) = h
        .call(
            "create_secret_reference",
            json!({"name": "n", "manager_type": "aws_sm", "auth_config": access_key_auth(), "secret_path": "p"}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("[REDACTED]/[REDACTED]"),
        "{env}"
    );
    assert_hidden(&h, &env, AWS_SECRET);
    assert_hidden(&h, &env, AWS_KEY_ID);
}

#[tokio::test]
async fn list_secret_references_filters_and_shapes() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 4, "data": [{"id": "i", "name": "n", "slug": "s", "manager_type": "aws_sm",
            "status": "ACTIVE", "created_at": "t", "last_updated_at": "u", "object": "secret-reference",
            "auth_config": access_key_auth()}]}),
    );
    let (env, sent) = h
        .call(
            "list_secret_references",
            json!({"manager_type": "aws_sm", "tags": {"team": "ml", "env": "prod"}, "search": "open", "current_page": 0, "page_size": 20}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/secret-references")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "0".into()),
            ("manager_type".into(), "aws_sm".into()),
            ("page_size".into(), "20".into()),
            ("search".into(), "open".into()),
            ("tags".into(), "{\"team\":\"ml\",\"env\":\"prod\"}".into()),
        ]
    );
    assert_eq!(env["data"]["total"], 4);
    assert_eq!(
        env["data"]["secret_references"][0],
        json!({"id": "i", "name": "n", "slug": "s", "manager_type": "aws_sm", "status": "ACTIVE", "created_at": "t", "last_updated_at": "u"})
    );
    assert!(!env.to_string().contains(AWS_SECRET));
    let (_, sent) = h.call("list_secret_references", json!({})).await;
    assert!(sent[0].query.is_empty());
    h.refused("list_secret_references", json!({"search": ""}))
        .await;
    h.refused("list_secret_references", json!({"page_size": 0}))
        .await;
}

#[tokio::test]
async fn get_secret_reference_redacts_auth_config() {
    let h = verbose().await;
    h.api.reply_json(
        200,
        json!({"id": "i", "slug": "s/1", "name": "n", "manager_type": "aws_sm", "secret_path": "p", "secret_key": "K",
            "allow_all_workspaces": true, "auth_config": access_key_auth()}),
    );
    let (env, sent) = h.call("get_secret_reference", json!({"id": "s/1"})).await;
    assert_eq!(sent[0].path, "/v1/secret-references/s%2F1");
    let auth = &env["data"]["auth_config"];
    assert_eq!(auth["aws_auth_type"], "accessKey");
    assert_eq!(auth["aws_region"], "us-east-1");
    assert_eq!(auth["aws_secret_access_key"], "[REDACTED]");
    assert_eq!(auth["aws_access_key_id"], "[REDACTED]");
    assert_eq!(env["data"]["secret_path"], "p");
    assert_eq!(
        env["data"]["secret_key"], "K",
        "the key's name is not a secret"
    );
    assert_hidden(&h, &env, AWS_SECRET);
    assert_hidden(&h, &env, AWS_KEY_ID);

    // auth_config sent as JSON text is parsed, then redacted.
    h.api.reply_json(
        200,
        json!({"id": "i", "auth_config": json!({"vault_auth_type": "token", "vault_addr": "https://v", "vault_token": VAULT_TOKEN}).to_string()}),
    );
    let (env, _) = h.call("get_secret_reference", json!({"id": "i"})).await;
    assert_eq!(env["data"]["auth_config"]["vault_token"], "[REDACTED]");
    assert_eq!(env["data"]["auth_config"]["vault_addr"], "https://v");
    assert_hidden(&h, &env, VAULT_TOKEN);
}

#[tokio::test]
async fn get_secret_reference_without_auth_config_fails_clearly() {
    let h = Harness::start().await;
    h.api.respond(generic_reply);
    let (env, sent) = h.call("get_secret_reference", json!({"id": "id-1"})).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("auth_config"),
        "{env}"
    );
}

#[tokio::test]
async fn update_secret_reference_sends_changes_and_nulls() {
    let h = verbose().await;
    h.api.reply_json(200, json!({}));
    let (env, sent) = h
        .call(
            "update_secret_reference",
            json!({"id": "sr 1", "description": null, "tags": null, "secret_key": null,
                "auth_config": {"vault_token": VAULT_TOKEN}, "allowed_workspaces": ["a", "b"]}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/secret-references/sr%201")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"description": null, "auth_config": {"vault_token": VAULT_TOKEN},
            "secret_key": null, "allowed_workspaces": ["a", "b"], "tags": null})
        )
    );
    assert_eq!(env["data"]["success"], true);
    assert_hidden(&h, &env, VAULT_TOKEN);

    let (_, sent) = h
        .call(
            "update_secret_reference",
            json!({"id": "x", "allow_all_workspaces": false}),
        )
        .await;
    assert_eq!(sent[0].body, Some(json!({"allow_all_workspaces": false})));
}

#[tokio::test]
async fn update_secret_reference_refusals() {
    let h = Harness::start().await;
    let msg = h
        .refused("update_secret_reference", json!({"id": "x"}))
        .await;
    assert!(msg.contains("at least one"), "{msg}");
    let msg = h
        .refused(
            "update_secret_reference",
            json!({"id": "x", "allow_all_workspaces": true, "allowed_workspaces": ["w"]}),
        )
        .await;
    assert!(
        msg.contains("allow_all_workspaces") && msg.contains("allowed_workspaces"),
        "{msg}"
    );
    let msg = h
        .refused(
            "update_secret_reference",
            json!({"id": "x", "auth_config": {}}),
        )
        .await;
    assert!(msg.contains("auth_config"), "{msg}");
    let msg = h
        .refused(
            "update_secret_reference",
            json!({"id": "x", "auth_config": {"aws_region": "us-east-1", "vault_addr": "https://v"}}),
        )
        .await;
    assert!(msg.contains("one family"), "{msg}");
    let msg = h
        .refused(
            "update_secret_reference",
            json!({"id": "x", "auth_config": {"gcp_key": "k"}}),
        )
        .await;
    assert!(msg.contains("auth_config.gcp_key"), "{msg}");
    h.refused("update_secret_reference", json!({"id": "", "name": "n"}))
        .await;
}

#[tokio::test]
async fn update_secret_reference_error_never_echoes_credentials() {
    let h = verbose().await;
    h.api.reply_json(
        422,
        json!({"message": format!("token {VAULT_TOKEN} rejected")}),
    );
    let (env, _) = h
        .call(
            "update_secret_reference",
            json!({"id": "x", "auth_config": {"vault_token": VAULT_TOKEN}}),
        )
        .await;
    assert_eq!(env["ok"], false);
    assert_hidden(&h, &env, VAULT_TOKEN);
}

#[tokio::test]
async fn delete_secret_reference_sends_delete() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call("delete_secret_reference", json!({"id": "a/b"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/secret-references/a%2Fb")
    );
    assert_eq!(env["data"]["success"], true);
}
