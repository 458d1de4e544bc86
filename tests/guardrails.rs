//! guardrails domain: each tool through MCP against the stand-in, asserting request and result.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{Value, json};

const SERVER: &str = "0b9e3c1a-8f2d-4c5e-9a7b-1d2e3f4a5b6c";
const CAPABILITY: &str = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

#[tokio::test]
async fn organisation_defaults_use_the_v2_base() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"input_guardrails": ["g1"], "output_guardrails": []}),
    );
    let (env, sent) = h.call("get_organisation_defaults", json!({})).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v2/admin/organisation/defaults")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["input_guardrails"], json!(["g1"]));

    let (env, sent) = h
        .call(
            "update_organisation_defaults",
            json!({"output_guardrails": ["a", "b"]}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v2/admin/organisation/defaults")
    );
    assert_eq!(sent[0].body, Some(json!({"output_guardrails": ["a", "b"]})));
    assert_eq!(env["ok"], true);

    let (_, sent) = h.call("update_organisation_defaults", json!({})).await;
    assert_eq!(sent[0].body, Some(json!({})));
}

#[tokio::test]
async fn workspace_exclusions_by_direction() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"data": [{"workspace_id": "w1", "excluded": true}]}),
    );
    for dir in ["input", "output"] {
        let (env, sent) = h
            .call(
                &format!("list_{dir}_guardrail_workspace_exclusions"),
                json!({"organisation_id": "org 1"}),
            )
            .await;
        assert_eq!(sent[0].method, "GET");
        assert_eq!(
            sent[0].path,
            format!("/v1/workspace-exclusions/{dir}-guardrails")
        );
        assert_eq!(
            sent[0].sorted_query(),
            vec![("organisation_id".into(), "org 1".into())]
        );
        assert_eq!(env["data"]["data"][0]["workspace_id"], "w1");

        let tool = format!("update_{dir}_guardrail_workspace_exclusions");
        let (env, sent) = h
            .call(
                &tool,
                json!({"organisation_id": "o", "workspaces": [{"workspace_id": "w1", "excluded": false}]}),
            )
            .await;
        assert_eq!(sent[0].method, "PUT");
        assert_eq!(
            sent[0].path,
            format!("/v1/workspace-exclusions/{dir}-guardrails")
        );
        assert_eq!(
            sent[0].body,
            Some(
                json!({"organisation_id": "o", "workspaces": [{"workspace_id": "w1", "excluded": false}]})
            ),
            "override_existing is left out when not given"
        );
        assert_eq!(env["ok"], true);

        let (_, sent) = h
            .call(
                &tool,
                json!({"organisation_id": "o", "workspaces": [{"workspace_id": "w1", "excluded": true}], "override_existing": true}),
            )
            .await;
        assert_eq!(sent[0].body.as_ref().unwrap()["override_existing"], true);

        let msg = h
            .refused(&tool, json!({"organisation_id": "o", "workspaces": []}))
            .await;
        assert!(msg.contains("workspaces"), "{msg}");
        h.refused(
            &tool,
            json!({"organisation_id": "o", "workspaces": [{"workspace_id": "w1"}]}),
        )
        .await;
    }
}

#[tokio::test]
async fn list_and_get_guardrails_shape_results() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 3, "data": [{"id": "g1", "slug": "guard_a", "name": "A", "status": "active",
            "target": "llm", "checks": [{"id": "default.regexMatch"}], "workspace_id": "w", "object": "guardrail"}]}),
    );
    let (env, sent) = h
        .call(
            "list_guardrails",
            json!({"workspace_id": "w", "page_size": 5, "current_page": 1}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/guardrails")
    );
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "1".into()),
            ("page_size".into(), "5".into()),
            ("workspace_id".into(), "w".into()),
        ]
    );
    assert_eq!(env["data"]["total"], 3);
    let row = &env["data"]["guardrails"][0];
    assert_eq!(row["slug"], "guard_a");
    assert_eq!(row["target"], "llm");
    assert!(row.get("checks").is_none(), "list rows are summaries");
    assert!(row.get("object").is_none());
    h.refused("list_guardrails", json!({"page_size": 0})).await;

    h.api.reply_json(
        200,
        json!({"id": "g1", "slug": "guard_a", "checks": [{"id": "c", "parameters": {"p": 1}}],
            "actions": {"deny": true}, "mcp_server_mappings": {"s": {}}, "object": "guardrail", "internal": 1}),
    );
    let (env, sent) = h
        .call("get_guardrail", json!({"guardrail_id": "guard_a/b"}))
        .await;
    assert_eq!(sent[0].path, "/v1/guardrails/guard_a%2Fb");
    assert_eq!(env["data"]["checks"][0]["parameters"]["p"], 1);
    assert_eq!(env["data"]["actions"]["deny"], true);
    assert!(env["data"].get("mcp_server_mappings").is_some());
    assert!(env["data"].get("internal").is_none());
}

#[tokio::test]
async fn create_guardrail_sends_checks_and_actions_as_given() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "g9", "slug": "guard_x", "version_id": "v1"}),
    );
    let args = json!({
        "name": "pii",
        "checks": [{"id": "default.regexMatch", "is_enabled": true,
            "parameters": {"rule": "\\d+", "nested": {"forwardHeaders": ["x-a"]}, "n": 3}}],
        "actions": {"deny": true, "async": false, "on_fail": {"value": 0, "weight": 2, "metadata": {"k": "v"}},
            "on_fail_action": "block", "message": "no"},
        "workspace_id": "w"
    });
    let (env, sent) = h.call("create_guardrail", args.clone()).await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/guardrails")
    );
    assert_eq!(sent[0].body, Some(args), "no target is added");
    let raw = String::from_utf8(sent[0].raw_body.clone()).unwrap();
    assert!(
        raw.contains("\"weight\":2"),
        "integers stay integers: {raw}"
    );
    assert_eq!(env["data"]["id"], "g9");
    assert_eq!(env["data"]["slug"], "guard_x");
    assert_eq!(env["data"]["version_id"], "v1");
    assert!(env["data"]["message"].as_str().unwrap().contains("pii"));

    // An MCP-tool guardrail may start without checks and actions.
    let (env, sent) = h
        .call(
            "create_guardrail",
            json!({"name": "m", "target": "mcp_tools", "organisation_id": "o"}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(json!({"name": "m", "target": "mcp_tools", "organisation_id": "o"}))
    );
    assert_eq!(env["ok"], true);
}

#[tokio::test]
async fn create_guardrail_for_llm_needs_checks_and_actions() {
    let h = Harness::start().await;
    let msg = h.refused("create_guardrail", json!({"name": "n"})).await;
    assert!(
        msg.contains("checks") && msg.contains("actions") && msg.contains("target"),
        "{msg}"
    );
    h.refused(
        "create_guardrail",
        json!({"name": "n", "checks": [{"id": "default.isAllLowerCase"}]}),
    )
    .await;
    h.refused(
        "create_guardrail",
        json!({"name": "n", "target": "llm", "actions": {"deny": true}}),
    )
    .await;
    h.refused(
        "create_guardrail",
        json!({"name": "n", "checks": [], "actions": {}}),
    )
    .await;
    h.refused(
        "create_guardrail",
        json!({"name": "n", "target": "tools", "checks": [{"id": "default.isAllLowerCase"}], "actions": {}}),
    )
    .await;
}

#[tokio::test]
async fn mcp_server_mappings_list_replace_and_upsert() {
    let h = Harness::start().await;
    h.api
        .reply_json(200, json!({"data": [{"mcp_server_id": SERVER}]}));
    let (env, sent) = h
        .call("list_guardrail_mcp_servers", json!({"guardrail_id": "g 1"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/guardrails/g%201/mcp-servers")
    );
    assert_eq!(env["data"]["mappings"]["data"][0]["mcp_server_id"], SERVER);

    h.api.reply_json(200, json!({"success": true}));
    let (env, sent) = h
        .call(
            "replace_guardrail_mcp_servers",
            json!({"guardrail_id": "g1", "mcp_servers": {SERVER: {"mcp_integration_capability_ids": [CAPABILITY]}}}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/guardrails/g1/mcp-servers")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"mcp_servers": {SERVER: {"run_on": ["input", "output"], "mcp_integration_capability_ids": [CAPABILITY]}}})
        ),
        "run_on defaults to both phases"
    );
    assert_eq!(env["data"]["success"], true);

    // An empty map clears every mapping.
    let (_, sent) = h
        .call(
            "replace_guardrail_mcp_servers",
            json!({"guardrail_id": "g1", "mcp_servers": {}}),
        )
        .await;
    assert_eq!(sent[0].body, Some(json!({"mcp_servers": {}})));

    let (env, sent) = h
        .call(
            "upsert_guardrail_mcp_server",
            json!({"guardrail_id": "g/1", "mcp_server_id": SERVER, "run_on": ["output"]}),
        )
        .await;
    assert_eq!(sent[0].method, "PUT");
    assert_eq!(
        sent[0].path,
        format!("/v1/guardrails/g%2F1/mcp-servers/{SERVER}")
    );
    assert_eq!(sent[0].body, Some(json!({"run_on": ["output"]})));
    assert_eq!(env["ok"], true);

    let (_, sent) = h
        .call(
            "upsert_guardrail_mcp_server",
            json!({"guardrail_id": "g1", "mcp_server_id": SERVER}),
        )
        .await;
    assert_eq!(sent[0].body, Some(json!({"run_on": ["input", "output"]})));
}

#[tokio::test]
async fn mcp_server_mappings_refuse_bad_input() {
    let h = Harness::start().await;
    // The contract's own example: a map entry that is not a mapping object.
    h.refused(
        "replace_guardrail_mcp_servers",
        json!({"guardrail_id": "g1", "mcp_servers": {"key": "value"}}),
    )
    .await;
    let msg = h
        .refused(
            "replace_guardrail_mcp_servers",
            json!({"guardrail_id": "g1", "mcp_servers": {"not-a-uuid": {}}}),
        )
        .await;
    assert!(msg.contains("mcp_servers") && msg.contains("UUID"), "{msg}");
    let msg = h
        .refused(
            "replace_guardrail_mcp_servers",
            json!({"guardrail_id": "g1", "mcp_servers": {SERVER: {"mcp_integration_capability_ids": ["x"]}}}),
        )
        .await;
    assert!(msg.contains("mcp_integration_capability_ids"), "{msg}");
    h.refused(
        "replace_guardrail_mcp_servers",
        json!({"guardrail_id": "g1", "mcp_servers": {SERVER: {"run_on": []}}}),
    )
    .await;
    h.refused(
        "replace_guardrail_mcp_servers",
        json!({"guardrail_id": "g1"}),
    )
    .await;
    let msg = h
        .refused("list_guardrail_mcp_servers", json!({"guardrail_id": "  "}))
        .await;
    assert!(msg.contains("guardrail_id"), "{msg}");
    let msg = h
        .refused(
            "upsert_guardrail_mcp_server",
            json!({"guardrail_id": "g1", "mcp_server_id": "srv-1"}),
        )
        .await;
    assert!(msg.contains("mcp_server_id"), "{msg}");
    // Well-formed but version 0: not a UUID Portkey accepts.
    h.refused(
        "upsert_guardrail_mcp_server",
        json!({"guardrail_id": "g1", "mcp_server_id": "00000000-0000-0000-0000-000000000001"}),
    )
    .await;
    h.refused(
        "upsert_guardrail_mcp_server",
        json!({"guardrail_id": "g1", "mcp_server_id": SERVER, "run_on": ["both"]}),
    )
    .await;
}

/// components.schemas.GuardrailCheck: `id` is one of the spec's check types, and each type's
/// parameters schema (JWTParameters, ContainsParameters, ...) has required members.
#[tokio::test]
async fn checks_take_the_spec_ids_and_their_required_parameters() {
    let h = Harness::start().await;
    let tools = h.mcp.list_tools().await;
    for name in ["create_guardrail", "update_guardrail"] {
        let t = tools.iter().find(|t| t["name"] == name).unwrap();
        let ids = t["inputSchema"]["properties"]["checks"]["items"]["properties"]["id"]["enum"]
            .as_array()
            .unwrap();
        assert_eq!(ids.len(), 46, "{name}");
        for id in ["default.jwt", "portkey.pii", "panw-prisma-airs.intercept"] {
            assert!(ids.contains(&json!(id)), "{name}: {id}");
        }
    }
    let actions = json!({"deny": true});
    let create = |checks: Value| json!({"name": "g", "checks": checks, "actions": actions.clone()});

    // An id the spec does not list.
    let msg = h
        .refused("create_guardrail", create(json!([{"id": "default.nope"}])))
        .await;
    assert!(msg.contains("checks[0].id"), "{msg}");
    h.refused(
        "update_guardrail",
        json!({"guardrail_id": "g", "checks": [{"id": "id-1"}]}),
    )
    .await;

    // A check without a parameter its type requires: named, with the parameter.
    let msg = h
        .refused("create_guardrail", create(json!([{"id": "default.jwt"}])))
        .await;
    assert!(
        msg.contains("default.jwt")
            && msg.contains("parameters.jwksUri")
            && msg.contains("parameters.headerKey"),
        "{msg}"
    );
    let msg = h
        .refused(
            "create_guardrail",
            create(json!([{"id": "default.jwt", "parameters": {"jwksUri": "https://x/jwks.json", "headerKey": null}}])),
        )
        .await;
    assert!(
        msg.contains("needs `parameters.headerKey`;") && !msg.contains("parameters.jwksUri"),
        "{msg}"
    );
    let msg = h
        .refused(
            "update_guardrail",
            json!({"guardrail_id": "g", "checks": [
                {"id": "default.isAllLowerCase"},
                {"id": "bedrock.guard", "parameters": {"guardrailVersion": "1"}}]}),
        )
        .await;
    assert!(
        msg.contains("bedrock.guard")
            && msg.contains("checks[1]")
            && msg.contains("parameters.guardrailId"),
        "{msg}"
    );

    // Complete checks go out as given; a required `operator` left out takes the spec's default.
    let checks = json!([
        {"id": "default.jwt", "parameters": {"jwksUri": "https://x/jwks.json", "headerKey": "Authorization"}},
        {"id": "default.contains", "parameters": {"words": ["a"]}},
        {"id": "default.requiredMetadataKeys", "parameters": {"metadataKeys": ["env"]}},
        {"id": "default.jsonKeys", "parameters": {"keys": ["k"], "operator": "none"}},
        {"id": "default.isAllLowerCase"}
    ]);
    let (env, sent) = h.call("create_guardrail", create(checks)).await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(
        sent[0].body.as_ref().unwrap()["checks"],
        json!([
            {"id": "default.jwt", "parameters": {"jwksUri": "https://x/jwks.json", "headerKey": "Authorization"}},
            {"id": "default.contains", "parameters": {"words": ["a"], "operator": "any"}},
            {"id": "default.requiredMetadataKeys", "parameters": {"metadataKeys": ["env"], "operator": "all"}},
            {"id": "default.jsonKeys", "parameters": {"keys": ["k"], "operator": "none"}},
            {"id": "default.isAllLowerCase"}
        ])
    );
    let (_, sent) = h
        .call(
            "update_guardrail",
            json!({"guardrail_id": "g", "checks": [{"id": "patronus.custom", "parameters": {"profile": "system:is-concise"}}]}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(
            json!({"checks": [{"id": "patronus.custom", "parameters": {"profile": "system:is-concise"}}]})
        )
    );
}

#[tokio::test]
async fn update_and_delete_guardrail() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "g1", "slug": "guard_a", "version_id": "v2"}),
    );
    let (env, sent) = h
        .call(
            "update_guardrail",
            json!({"guardrail_id": "guard_a", "name": "renamed"}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/guardrails/guard_a")
    );
    assert_eq!(sent[0].body, Some(json!({"name": "renamed"})));
    assert_eq!(env["data"]["version_id"], "v2");

    let (_, sent) = h
        .call("update_guardrail", json!({"guardrail_id": "guard_a"}))
        .await;
    assert_eq!(sent[0].body, Some(json!({})));

    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h
        .call("delete_guardrail", json!({"guardrail_id": "guard_a"}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/guardrails/guard_a")
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
    assert!(env["data"]["message"].as_str().unwrap().contains("guard_a"));
}

#[tokio::test]
async fn api_errors_become_failed_envelopes() {
    let h = Harness::start().await;
    h.api.reply_json(
        404,
        json!({"success": false, "data": {"message": "Guardrail not found"}}),
    );
    let (env, sent) = h
        .call("get_guardrail", json!({"guardrail_id": "missing"}))
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    assert!(!env.to_string().contains(TEST_KEY));
    assert!(!h.mcp.stderr().contains(TEST_KEY));
}
