//! Invariants over the whole tool table, and the files that must agree with it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashSet;

use common::*;
use portkey_admin_mcp::config::{Config, Opts};
use serde_json::Value;

fn all_tools() -> portkey_admin_mcp::registry::Registry {
    let cfg = Config::from_opts(&Opts::default(), &portkey_admin_mcp::domain_names()).unwrap();
    portkey_admin_mcp::build_registry(&cfg).unwrap()
}

fn check_schema(tool: &str, at: &str, s: &Value, problems: &mut Vec<String>) {
    let text = s.to_string();
    for bad in [
        "\"$ref\"",
        "\"$defs\"",
        "\"$schema\"",
        "\"definitions\"",
        "\"title\"",
    ] {
        if text.contains(bad) {
            problems.push(format!("{tool}{at}: contains {bad}"));
        }
    }
    let Some(m) = s.as_object() else {
        problems.push(format!("{tool}{at}: schema is not an object"));
        return;
    };
    if let Some(Value::Array(_)) = m.get("type") {
        problems.push(format!("{tool}{at}: type array"));
    }
    if let Some(Value::String(f)) = m.get("format")
        && (f.starts_with("int") || f.starts_with("uint") || f == "double" || f == "float")
    {
        problems.push(format!("{tool}{at}: numeric format {f}"));
    }
    if m.get("type").and_then(Value::as_str) == Some("array") && !m.contains_key("items") {
        problems.push(format!("{tool}{at}: array without items"));
    }
    if let Some(props) = m.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            if p.get("description")
                .and_then(Value::as_str)
                .is_none_or(|d| d.trim().is_empty())
            {
                problems.push(format!("{tool}{at}.{k}: no description"));
            }
            check_schema(tool, &format!("{at}.{k}"), p, problems);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = m.get(key) {
            if sub.is_boolean() && key == "items" {
                problems.push(format!("{tool}{at}: boolean {key}"));
            } else if sub.is_object() {
                check_schema(tool, &format!("{at}[]"), sub, problems);
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for (i, alt) in m
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            check_schema(tool, &format!("{at}/{key}{i}"), alt, problems);
        }
    }
}

#[test]
fn every_tool_is_well_formed() {
    let reg = all_tools();
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for t in reg.tools() {
        let name = t.name;
        if !seen.insert(name) {
            problems.push(format!("{name}: duplicate"));
        }
        let ok_name = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok_name {
            problems.push(format!("{name}: bad name"));
        }
        if t.description.trim().len() < 20 {
            problems.push(format!("{name}: description too short"));
        }
        if t.endpoints.is_empty() && name != "validate_completion_metadata" {
            problems.push(format!("{name}: no endpoint recorded"));
        }
        let mcp = serde_json::to_value(t.to_mcp()).unwrap();
        for h in [
            "readOnlyHint",
            "destructiveHint",
            "idempotentHint",
            "openWorldHint",
        ] {
            if !mcp["annotations"][h].is_boolean() {
                problems.push(format!("{name}: {h} missing"));
            }
        }
        if mcp["outputSchema"]["type"] != "object" {
            problems.push(format!("{name}: outputSchema not an object"));
        }
        if mcp["inputSchema"]["type"] != "object" {
            problems.push(format!("{name}: inputSchema not an object"));
        }
        check_schema(name, "", &mcp["inputSchema"], &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn tools_follow_contract_order_and_domains() {
    let contract = contract();
    let reg = all_tools();
    let mut expected: Vec<(String, String)> = Vec::new();
    for (domain, names) in contract["domains"].as_object().unwrap() {
        for n in names.as_array().unwrap() {
            expected.push((domain.clone(), n.as_str().unwrap().to_string()));
        }
    }
    let present: HashSet<&str> = reg.tools().iter().map(|t| t.name).collect();
    let expected_present: Vec<(String, String)> = expected
        .into_iter()
        .filter(|(_, n)| present.contains(n.as_str()))
        .collect();
    let got: Vec<(String, String)> = reg
        .tools()
        .iter()
        .map(|t| (t.domain.to_string(), t.name.to_string()))
        .collect();
    assert_eq!(got, expected_present);
    let domains: Vec<String> = contract["domains"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(portkey_admin_mcp::domain_names(), domains);
}

/// ENDPOINTS.md is generated from the registry: `UPDATE_ENDPOINTS=1 cargo test --test registry` rewrites it.
#[test]
fn endpoints_md_matches_registry() {
    let reg = all_tools();
    let text = portkey_admin_mcp::endpoints_markdown(&reg);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ENDPOINTS.md");
    if std::env::var("UPDATE_ENDPOINTS").is_ok() {
        std::fs::write(path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == text,
        "ENDPOINTS.md is out of date: run `UPDATE_ENDPOINTS=1 cargo test --test registry`"
    );
}

#[tokio::test]
async fn tools_list_is_one_page_in_order() {
    let h = Harness::start().await;
    let listed = h.mcp.list_tools().await;
    let reg = all_tools();
    let names: Vec<&str> = listed.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let want: Vec<&str> = reg.tools().iter().map(|t| t.name).collect();
    assert_eq!(names, want);
}

#[tokio::test]
async fn domain_selection_narrows_the_list() {
    let h = Harness::start_with(&[("PORTKEY_TOOL_DOMAINS", " Configs ")]).await;
    let listed = h.mcp.list_tools().await;
    assert_eq!(listed.len(), 6);
    assert!(
        listed
            .iter()
            .all(|t| t["name"].as_str().unwrap().contains("config"))
    );
    let (env, sent) = h.call("list_prompts", serde_json::json!({})).await;
    assert_eq!(
        env["ok"], false,
        "a tool outside the selection is refused: {env}"
    );
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PORTKEY_TOOL_DOMAINS")
    );
    assert!(sent.is_empty());
    let r = h
        .mcp
        .request(
            "tools/call",
            serde_json::json!({"name": "no_such_tool", "arguments": {}}),
        )
        .await;
    assert!(
        r.get("error").is_some(),
        "an unknown tool is a protocol error: {r}"
    );
}

#[test]
fn every_reference_tool_in_its_domain_and_every_other_tool_has_examples() {
    let contract = contract();
    let reg = all_tools();
    // The reference's fixture checks its own tools: each is here, in the same domain.
    let mut reference = HashSet::new();
    for (domain, names) in contract["domains"].as_object().unwrap() {
        for n in names.as_array().unwrap() {
            let n = n.as_str().unwrap();
            reference.insert(n.to_string());
            let t = reg.tools().iter().find(|t| t.name == n);
            assert_eq!(t.map(|t| t.domain), Some(domain.as_str()), "{n}");
        }
    }
    // A tool beyond the reference is checked by the project's own examples: its domain's test
    // file drives it by name.
    for t in reg.tools().iter().filter(|t| !reference.contains(t.name)) {
        let file = format!(
            "{}/tests/{}.rs",
            env!("CARGO_MANIFEST_DIR"),
            t.domain.replace('-', "_")
        );
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            text.contains(&format!("\"{}\"", t.name)),
            "{} is not in the reference; {file} must drive it by name",
            t.name
        );
    }
    // Narrowing to two domains offers exactly their tools.
    let cfg = Config::from_opts(
        &Opts {
            tool_domains: Some("prompts,analytics".into()),
            ..Opts::default()
        },
        &portkey_admin_mcp::domain_names(),
    )
    .unwrap();
    let narrowed = reg
        .tools()
        .iter()
        .filter(|t| t.domain == "prompts" || t.domain == "analytics")
        .count();
    assert_eq!(
        portkey_admin_mcp::build_registry(&cfg)
            .unwrap()
            .tools()
            .len(),
        narrowed
    );
    assert!(narrowed > 0);
}

#[test]
fn readme_names_every_tool_and_variable() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for t in all_tools().tools() {
        assert!(
            readme.contains(&format!("`{}`", t.name)),
            "README does not list {}",
            t.name
        );
    }
    // Every variable the command line reads, taken from clap itself, so a new one cannot go
    // undocumented; plus the aliases read outside clap.
    use clap::CommandFactory;
    let cmd = portkey_admin_mcp::config::Cli::command();
    let mut vars: Vec<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect();
    assert!(vars.len() >= 15, "{vars:?}");
    vars.extend(["MCP_TOOL_DOMAINS".to_string(), "RUST_LOG".to_string()]);
    for var in vars {
        assert!(
            readme.contains(var.as_str()),
            "README does not document {var}"
        );
    }
}

/// Every `alert_threshold` backed by the spec's UsageLimits schema (`minimum: 1`) says so. The
/// usage-limit policies are another schema (CreateUsageLimitsPolicyRequest, `minimum: 0`).
#[test]
fn usage_limit_alert_thresholds_start_at_one() {
    fn walk(at: &str, s: &Value, found: &mut Vec<(String, Value)>) {
        let Some(m) = s.as_object() else { return };
        if let Some(props) = m.get("properties").and_then(Value::as_object) {
            for (k, p) in props {
                let here = format!("{at}.{k}");
                if k.ends_with("alert_threshold") {
                    found.push((here.clone(), p.get("minimum").cloned().unwrap_or_default()));
                }
                walk(&here, p, found);
            }
        }
        if let Some(items) = m.get("items") {
            walk(&format!("{at}[]"), items, found);
        }
    }
    let mut found = Vec::new();
    for t in all_tools().tools() {
        walk(
            t.name,
            &Value::Object((*t.input_schema()).clone()),
            &mut found,
        );
    }
    let mut seen = Vec::new();
    for (at, min) in &found {
        let policy = at.starts_with("create_usage_limit.") || at.starts_with("update_usage_limit.");
        let want = if policy { 0.0 } else { 1.0 };
        assert_eq!(min.as_f64(), Some(want), "{at}: minimum {min}");
        seen.push(at.as_str());
    }
    for at in [
        "create_workspace.usage_limits[].alert_threshold",
        "update_workspace.usage_limits[].alert_threshold",
        "create_virtual_key.alert_threshold",
        "update_virtual_key.alert_threshold",
        "create_api_key.alert_threshold",
        "update_api_key.alert_threshold",
        "create_provider.alert_threshold",
        "update_provider.alert_threshold",
        "update_integration_workspaces.workspaces[].alert_threshold",
        "update_integration_workspaces.global_alert_threshold",
    ] {
        assert!(seen.contains(&at), "{at} not found in {seen:?}");
    }
}
