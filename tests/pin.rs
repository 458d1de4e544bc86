//! The workspace pin (`PORTKEY_WORKSPACE_ID`), driven through MCP against the stand-in: what is
//! filled, what is refused, what is disabled, and the one lookup of the form not configured. Plus
//! the registry-wide proof that no workspace-naming parameter escapes the pin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;

use common::*;
use portkey_admin_mcp::pin::{self, Rule};
use portkey_admin_mcp::registry::ToolDef;
use serde_json::{Value, json};

const PIN_ID: &str = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
const WINDOW: (&str, &str) = ("2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z");

fn window() -> Value {
    json!({"time_of_generation_min": WINDOW.0, "time_of_generation_max": WINDOW.1})
}

fn with_args(base: Value, extra: Value) -> Value {
    let mut m = base.as_object().unwrap().clone();
    m.extend(extra.as_object().unwrap().clone());
    Value::Object(m)
}

fn query(r: &Recorded, key: &str) -> Vec<String> {
    r.query
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

/// Asserts the call was refused by the pin, sent nothing, and names what it was refused for.
async fn pin_refused(h: &Harness, tool: &str, args: Value, names: &[&str]) -> String {
    let (env, sent) = h.call(tool, args).await;
    assert_eq!(env["ok"], json!(false), "{tool} should be refused: {env}");
    assert!(sent.is_empty(), "{tool} sent {sent:#?}");
    let msg = env["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("PORTKEY_WORKSPACE_ID"), "{msg}");
    for n in names {
        assert!(msg.contains(n), "{tool}: `{n}` missing from: {msg}");
    }
    msg
}

/// Calls a tool that must pass the pin; returns the one request it sent.
async fn sent_one(h: &Harness, tool: &str, args: Value) -> Recorded {
    let (env, sent) = h.call(tool, args).await;
    assert_eq!(env["ok"], json!(true), "{tool}: {env}");
    assert_eq!(sent.len(), 1, "{tool} sent {sent:#?}");
    sent.into_iter().next().unwrap()
}

fn listed(tools: &[Value], name: &str) -> Option<Value> {
    tools.iter().find(|t| t["name"] == name).cloned()
}

/// The stand-in's generic answer, with the members the analytics and workspace shapers need.
fn rich(r: &Recorded) -> Reply {
    let mut v: Value = serde_json::from_slice(&generic_reply(r).body).unwrap();
    v["data_points"] = json!([]);
    v["summary"] = json!({});
    v["users"] = json!([]);
    Reply::json(200, v)
}

async fn pinned(ws: &str) -> Harness {
    let h = Harness::start_with(&[("PORTKEY_WORKSPACE_ID", ws)]).await;
    h.api.respond(rich);
    h
}

/// Answers the workspace lookup with both forms of `PIN_ID`; everything else generically.
fn answering_lookup(api: &StandIn) {
    api.respond(|r| {
        if r.path == format!("/v1/admin/workspaces/{PIN_ID}") {
            Reply::json(
                200,
                json!({"id": PIN_ID, "slug": "ws-team", "name": "Team", "object": "workspace"}),
            )
        } else {
            rich(r)
        }
    });
}

#[tokio::test]
async fn analytics_take_the_pinned_slug() {
    let h = pinned("ws-pinned").await;
    let r = sent_one(&h, "get_cost_analytics", window()).await;
    assert_eq!(r.path, "/v1/analytics/graphs/cost");
    assert_eq!(query(&r, "workspace_slug"), vec!["ws-pinned"]);

    // The slug-only summary no longer needs it either.
    let r = sent_one(&h, "get_cache_summary", window()).await;
    assert_eq!(query(&r, "workspace_slug"), vec!["ws-pinned"]);

    // Naming the pinned workspace is fine; naming another is refused and sends nothing.
    let r = sent_one(
        &h,
        "get_analytics_group_models",
        with_args(window(), json!({"workspace_slug": "ws-pinned"})),
    )
    .await;
    assert_eq!(query(&r, "workspace_slug"), vec!["ws-pinned"]);
    pin_refused(
        &h,
        "get_error_analytics",
        with_args(window(), json!({"workspace_slug": "ws-other"})),
        &["ws-other", "ws-pinned", "workspace_slug"],
    )
    .await;

    let tools = h.mcp.list_tools().await;
    let summary = listed(&tools, "get_cache_summary").unwrap();
    let schema = &summary["inputSchema"];
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!required.contains(&"workspace_slug"), "{required:?}");
    let desc = schema["properties"]["workspace_slug"]["description"]
        .as_str()
        .unwrap();
    assert!(
        desc.contains("ws-pinned") && desc.contains("Pinned"),
        "{desc}"
    );
    assert!(h.api.requests().is_empty());
}

#[tokio::test]
async fn a_pin_given_as_id_looks_the_slug_up_once() {
    let h = pinned(PIN_ID).await;
    answering_lookup(&h.api);

    // A workspace_id tool takes the id as configured: no lookup.
    let r = sent_one(
        &h,
        "create_config",
        json!({"name": "n", "strategy_mode": "fallback"}),
    )
    .await;
    assert_eq!(r.body.unwrap()["workspace_id"], PIN_ID);

    // The first analytics call looks the workspace up, then sends its slug.
    let (env, sent) = h.call("get_cost_analytics", window()).await;
    assert_eq!(env["ok"], true, "{env}");
    let paths: Vec<&str> = sent.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            format!("/v1/admin/workspaces/{PIN_ID}").as_str(),
            "/v1/analytics/graphs/cost"
        ]
    );
    assert_eq!(sent[0].method, "GET");
    assert_eq!(query(&sent[1], "workspace_slug"), vec!["ws-team"]);

    // The second is answered from the cache; the pin's id given as the slug becomes the slug.
    let r = sent_one(
        &h,
        "get_request_analytics",
        with_args(window(), json!({"workspace_slug": PIN_ID})),
    )
    .await;
    assert_eq!(r.path, "/v1/analytics/graphs/requests");
    assert_eq!(query(&r, "workspace_slug"), vec!["ws-team"]);

    // Both forms now name the pin; anything else is refused without a request.
    let r = sent_one(&h, "list_collections", json!({"workspace_id": "ws-team"})).await;
    assert_eq!(query(&r, "workspace_id"), vec!["ws-team"]);
    pin_refused(
        &h,
        "list_collections",
        json!({"workspace_id": "ws-other"}),
        &["ws-other"],
    )
    .await;
    pin_refused(
        &h,
        "get_token_analytics",
        with_args(window(), json!({"workspace_slug": "ws-other"})),
        &["ws-other"],
    )
    .await;
}

#[tokio::test]
async fn a_failed_lookup_names_the_variable_and_sends_nothing_else() {
    let h = pinned(PIN_ID).await;
    h.api.respond(|r| {
        if r.path.starts_with("/v1/admin/workspaces/") {
            Reply::json(404, json!({"error": {"message": "workspace not found"}}))
        } else {
            generic_reply(r)
        }
    });
    let (env, sent) = h.call("get_cost_analytics", window()).await;
    assert_eq!(env["ok"], false, "{env}");
    let msg = env["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("PORTKEY_WORKSPACE_ID") && msg.contains(PIN_ID),
        "{msg}"
    );
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].path, format!("/v1/admin/workspaces/{PIN_ID}"));

    // A failure is not kept: once the workspace can be read, the next call goes through.
    answering_lookup(&h.api);
    let (env, sent) = h.call("get_cost_analytics", window()).await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(sent.len(), 2);
    assert_eq!(query(&sent[1], "workspace_slug"), vec!["ws-team"]);
}

#[tokio::test]
async fn invites_name_only_the_pinned_workspace() {
    let h = pinned("ws-pinned").await;
    let invite = |ws: &str, role: &str| {
        json!({"email": "a@example.com", "role": role,
            "workspaces": [{"id": ws, "role": "member"}]})
    };
    pin_refused(
        &h,
        "invite_user",
        invite("ws-other", "member"),
        &["ws-other", "workspaces[].id"],
    )
    .await;
    let mut two = invite("ws-pinned", "member");
    two["workspaces"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "ws-other", "role": "admin"}));
    pin_refused(&h, "invite_user", two, &["ws-other"]).await;
    // An org admin reaches every workspace.
    pin_refused(&h, "invite_user", invite("ws-pinned", "admin"), &["role"]).await;

    let r = sent_one(&h, "invite_user", invite("ws-pinned", "member")).await;
    assert_eq!(r.path, "/v1/admin/users/invites");
    assert_eq!(
        r.body.unwrap()["workspaces"],
        json!([{"id": "ws-pinned", "role": "member"}])
    );

    let tools = h.mcp.list_tools().await;
    let schema = listed(&tools, "invite_user").unwrap()["inputSchema"].clone();
    let desc = schema["properties"]["workspaces"]["items"]["properties"]["id"]["description"]
        .as_str()
        .unwrap();
    assert!(desc.contains("ws-pinned"), "{desc}");
    assert_eq!(schema["properties"]["role"]["enum"], json!(["member"]));
}

#[tokio::test]
async fn workspace_access_tools_take_only_the_pinned_workspace() {
    let h = pinned("ws-pinned").await;
    for (tool, key, id) in [
        ("update_mcp_integration_workspaces", "id", "mcp-1"),
        ("update_integration_workspaces", "slug", "int-1"),
    ] {
        let args = |ws: &str| json!({key: id, "workspaces": [{"id": ws, "enabled": true}]});
        pin_refused(&h, tool, args("ws-other"), &["ws-other", "workspaces[].id"]).await;
        let r = sent_one(&h, tool, args("ws-pinned")).await;
        assert_eq!(r.method, "PUT");
        assert!(r.path.ends_with(&format!("/{id}/workspaces")), "{}", r.path);
        assert_eq!(
            r.body.unwrap()["workspaces"],
            json!([{"id": "ws-pinned", "enabled": true}])
        );
    }
    for (tool, org) in [
        ("update_input_guardrail_workspace_exclusions", "org-1"),
        ("update_output_guardrail_workspace_exclusions", "org-1"),
    ] {
        let args = |ws: &str| json!({"organisation_id": org, "workspaces": [{"workspace_id": ws, "excluded": true}]});
        pin_refused(&h, tool, args("ws-other"), &["ws-other"]).await;
        let r = sent_one(&h, tool, args("ws-pinned")).await;
        assert_eq!(
            r.body.unwrap()["workspaces"][0]["workspace_id"],
            "ws-pinned"
        );
        let mut replace = args("ws-pinned");
        replace["override_existing"] = json!(true);
        pin_refused(&h, tool, replace, &["override_existing"]).await;
    }
}

#[tokio::test]
async fn flags_that_reach_every_workspace_are_refused() {
    let h = pinned("ws-pinned").await;
    let grant = json!({"slug": "int-1", "workspaces": [{"id": "ws-pinned", "enabled": true}]});
    for (flag, value) in [
        ("global_workspace_access_enabled", json!(true)),
        ("global_workspace_access_enabled", json!(false)),
        ("global_credit_limit", json!(10)),
        ("global_alert_threshold", json!(50)),
        ("global_rate_limit_rpm", json!(60)),
        ("override_existing_workspace_access", json!(true)),
    ] {
        let mut args = grant.clone();
        args[flag] = value;
        pin_refused(&h, "update_integration_workspaces", args, &[flag]).await;
    }

    let secret = json!({"name": "s", "manager_type": "aws_sm", "secret_path": "p",
        "auth_config": {"aws_auth_type": "serviceRole", "aws_region": "us-east-1"}});
    pin_refused(
        &h,
        "create_secret_reference",
        with_args(secret.clone(), json!({"allow_all_workspaces": true})),
        &["allow_all_workspaces"],
    )
    .await;
    pin_refused(
        &h,
        "create_secret_reference",
        with_args(
            secret.clone(),
            json!({"allowed_workspaces": ["ws-pinned", "ws-other"]}),
        ),
        &["ws-other"],
    )
    .await;
    // Left out, the allowed workspaces are the pinned one (Portkey's default is all of them).
    let r = sent_one(&h, "create_secret_reference", secret).await;
    assert_eq!(r.body.unwrap()["allowed_workspaces"], json!(["ws-pinned"]));
    pin_refused(
        &h,
        "update_secret_reference",
        json!({"id": "sr-1", "allow_all_workspaces": true}),
        &["allow_all_workspaces"],
    )
    .await;
    pin_refused(
        &h,
        "update_secret_reference",
        json!({"id": "sr-1", "allowed_workspaces": ["ws-other"]}),
        &["ws-other"],
    )
    .await;

    pin_refused(
        &h,
        "create_api_key",
        json!({"type": "organisation", "sub_type": "service", "name": "k", "scopes": ["logs.read"]}),
        &["type"],
    )
    .await;
    let r = sent_one(
        &h,
        "create_api_key",
        json!({"type": "workspace", "sub_type": "service", "name": "k", "scopes": ["logs.read"]}),
    )
    .await;
    assert_eq!(r.path, "/v1/api-keys/workspace/service");
    assert_eq!(r.body.unwrap()["workspace_id"], "ws-pinned");

    pin_refused(
        &h,
        "create_rate_limit",
        json!({"conditions": [{"key": "k", "value": "v"}], "group_by": [{"key": "k"}],
            "type": "requests", "unit": "rpm", "value": 1, "organisation_id": "org-1"}),
        &["organisation_id"],
    )
    .await;

    let tools = h.mcp.list_tools().await;
    let key = listed(&tools, "create_api_key").unwrap();
    assert_eq!(
        key["inputSchema"]["properties"]["type"]["enum"],
        json!(["workspace"])
    );
}

#[tokio::test]
async fn organisation_tools_are_disabled_under_a_pin() {
    let h = pinned("ws-pinned").await;
    let tools = h.mcp.list_tools().await;
    let org_wide = [
        "create_workspace",
        "update_organisation_defaults",
        "list_workspaces",
        "list_all_users",
        "list_user_invites",
        "register_deployment",
    ];
    for name in org_wide {
        assert!(listed(&tools, name).is_none(), "{name} is listed");
    }
    for (tool, args) in [
        ("create_workspace", json!({"name": "w"})),
        (
            "update_organisation_defaults",
            json!({"input_guardrails": ["g-1"]}),
        ),
        ("list_workspaces", json!({})),
    ] {
        let msg = pin_refused(&h, tool, args, &[tool]).await;
        assert!(msg.contains("disabled"), "{msg}");
    }

    // Without a pin they are all there.
    let free = Harness::start().await;
    let all = free.mcp.list_tools().await;
    for name in org_wide {
        assert!(listed(&all, name).is_some(), "{name} missing without a pin");
    }
    assert_eq!(
        all.len() - tools.len(),
        all_defs().iter().filter(|d| d.flags.org_wide).count()
    );
}

#[tokio::test]
async fn workspace_id_is_still_filled_and_checked() {
    let h = pinned("ws-pinned").await;
    let r = sent_one(&h, "get_workspace", json!({})).await;
    assert_eq!(r.path, "/v1/admin/workspaces/ws-pinned");
    let r = sent_one(&h, "list_workspace_members", json!({})).await;
    assert_eq!(r.path, "/v1/admin/workspaces/ws-pinned/users");
    let r = sent_one(&h, "list_api_keys", json!({})).await;
    assert_eq!(query(&r, "workspace_id"), vec!["ws-pinned"]);
    pin_refused(
        &h,
        "delete_workspace",
        json!({"workspace_id": "ws-other"}),
        &["ws-other", "workspace_id"],
    )
    .await;
    // A log export's workspace is what it moves to: never filled, only checked.
    let r = sent_one(
        &h,
        "update_log_export",
        json!({"export_id": "e-1", "time_of_generation_max": "2026-02-01", "requested_fields": ["id"]}),
    )
    .await;
    assert!(r.body.unwrap().get("workspace_id").is_none());
    pin_refused(
        &h,
        "update_log_export",
        json!({"export_id": "e-1", "workspace_id": "ws-other"}),
        &["ws-other"],
    )
    .await;
    let instructions = h.mcp.init["result"]["instructions"].as_str().unwrap();
    assert!(
        instructions.contains("ws-pinned") && instructions.contains("workspace_slug"),
        "{instructions}"
    );
}

fn all_defs() -> Vec<ToolDef> {
    portkey_admin_mcp::domains::DOMAINS
        .iter()
        .flat_map(|(_, f)| f())
        .collect()
}

/// Every property path in a schema, in the rule path grammar (`a[].b`, `m.*`).
fn paths(s: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            let here = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            out.push(here.clone());
            paths(p, &here, out);
        }
    }
    if let Some(items) = s.get("items") {
        paths(items, &format!("{at}[]"), out);
    }
    if let Some(extra) = s.get("additionalProperties").filter(|v| v.is_object()) {
        paths(extra, &format!("{at}.*"), out);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for sub in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            paths(sub, at, out);
        }
    }
}

fn leaf(path: &str) -> &str {
    path.rsplit('.')
        .next()
        .unwrap_or(path)
        .trim_end_matches("[]")
}

#[test]
fn no_workspace_parameter_escapes_the_pin() {
    let mut problems = Vec::new();
    for def in all_defs() {
        let schema = Value::Object((*def.input_schema()).clone());
        let rules = pin::rules(&def);
        for (path, rule) in &rules {
            if pin::schema_at(&def.input_schema(), path).is_none() {
                problems.push(format!(
                    "{}: rule on `{path}`, which is not in the schema",
                    def.name
                ));
            }
            match rule {
                Rule::Fill(_) if !pin::fillable(path) => problems.push(format!(
                    "{}: `{path}` is filled but is not a top-level value or array",
                    def.name
                )),
                Rule::Within(target)
                    if !rules
                        .iter()
                        .any(|(p, r)| p == target && matches!(r, Rule::Fill(_) | Rule::Match)) =>
                {
                    problems.push(format!(
                        "{}: `{path}` is within `{target}`, which the pin does not check",
                        def.name
                    ))
                }
                _ => {}
            }
        }
        if def.flags.org_wide {
            continue;
        }
        let mut all = Vec::new();
        paths(&schema, "", &mut all);
        for path in all.iter().filter(|p| leaf(p).contains("workspace")) {
            let covered = rules.iter().any(|(p, _)| {
                p == path
                    || p.starts_with(&format!("{path}[]"))
                    || p.starts_with(&format!("{path}."))
            });
            if !covered {
                problems.push(format!(
                    "{}: `{path}` names workspaces but is neither pinned, checked nor refused, and the tool is not org_wide",
                    def.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_decisions_hold() {
    let defs = all_defs();
    let org_wide: BTreeSet<&str> = defs
        .iter()
        .filter(|d| d.flags.org_wide)
        .map(|d| d.name)
        .collect();
    let expected: BTreeSet<&str> = [
        "list_all_users",
        "get_user",
        "update_user",
        "delete_user",
        "list_user_invites",
        "get_user_invite",
        "delete_user_invite",
        "resend_user_invite",
        "list_scim_groups",
        "list_workspaces",
        "create_workspace",
        "list_deployments",
        "register_deployment",
        "get_deployment",
        "update_deployment",
        "archive_deployment",
        "get_organisation_defaults",
        "update_organisation_defaults",
        "list_input_guardrail_workspace_exclusions",
        "list_output_guardrail_workspace_exclusions",
        "list_integration_workspaces",
        "list_mcp_integration_workspaces",
    ]
    .into_iter()
    .collect();
    assert_eq!(org_wide, expected);
    // Every analytics tool filters by the pinned slug (get_user_stats reads an analytics group).
    for d in defs.iter().filter(|d| {
        d.name.ends_with("_analytics")
            || d.name.starts_with("get_analytics_group_")
            || d.name.starts_with("get_cache_")
            || d.name == "get_user_stats"
    }) {
        assert!(
            pin::rules(d).contains(&("workspace_slug", Rule::Fill(pin::Form::Slug))),
            "{}",
            d.name
        );
    }
}

#[test]
fn apply_is_pure_over_what_is_known() {
    let defs = all_defs();
    let def = |n: &str| defs.iter().find(|d| d.name == n).unwrap();
    let both = pin::ResolvedPin::both(PIN_ID, PIN_ID, "ws-team");
    let id_only = pin::ResolvedPin::configured(PIN_ID);

    let mut args = window();
    pin::apply(def("get_cost_analytics"), &mut args, &both).unwrap();
    assert_eq!(args["workspace_slug"], "ws-team");
    // The slug of a pin configured as id is unknown until looked up: nothing is guessed.
    let mut args = window();
    let e = pin::apply(def("get_cost_analytics"), &mut args, &id_only).unwrap_err();
    assert!(e.to_string().contains("PORTKEY_WORKSPACE_ID"), "{e}");

    let mut args = json!({"name": "n"});
    pin::apply(def("create_config"), &mut args, &id_only).unwrap();
    assert_eq!(args["workspace_id"], PIN_ID);
    // Another UUID is plainly another workspace, known without a lookup.
    let mut args = json!({"workspace_id": "11111111-2222-4333-8444-555555555555"});
    let e = pin::apply(def("list_prompts"), &mut args, &id_only).unwrap_err();
    assert!(e.to_string().contains("11111111"), "{e}");
    // Case does not make a UUID another workspace.
    let mut args = json!({"workspace_id": PIN_ID.to_uppercase()});
    pin::apply(def("list_prompts"), &mut args, &id_only).unwrap();

    let mut args = json!({"name": "s", "allow_all_workspaces": false});
    pin::apply(def("create_secret_reference"), &mut args, &both).unwrap();
    assert_eq!(args["allowed_workspaces"], json!([PIN_ID]));
}
