//! What every tool definition tells an agent, checked over the whole registry: concrete rules for
//! descriptions, parameter descriptions and schemas, and the byte budget of `tools/list`.
//!
//! The rules (each test below names its rule):
//! 1. A description starts with an imperative verb (the first sentence says what the tool does),
//!    and says what comes back with the word "Returns" (outside the Enterprise suffix).
//! 2. It names at least one other tool, every tool-like name it mentions exists, and the sibling
//!    pairs in [`SIBLINGS`] name each other both ways.
//! 3. A destructive tool says "Cannot be undone", "Undo with <tool>" (`<tool>` a real tool) or
//!    "Undo: <how>".
//! 4. The key a tool needs: organisation-wide tools say "org admin key"; log-export tools say
//!    `logs.export`; running a prompt says `completions.write`.
//! 5. Every parameter (at any depth) has a description of three words or more.
//! 6. An id or slug parameter (name `id`, `slug`, or ending `_id`, `_ids`, `_slug`, `_slugs`) says
//!    where its value comes from: "from <tool>" (a real tool), "from your ..." (a value from
//!    outside Portkey, or the caller's own), "from Portkey docs" (a fixed catalogue), "you
//!    choose" (a new one), or it names a sibling parameter of the same object that does (the
//!    array twin of a CSV filter).
//! 7. An enum parameter, or an array of enum items, of at most [`MAX_CHOICES`] values names every
//!    value it allows (longer enums are catalogues of self-describing names).
//! 8. The array twin of a CSV filter says which form wins: "Wins over <twin>".
//! 9. No schema, input or output, at any depth, constrains nothing (`{}` or a description
//!    alone); free-form maps say `additionalProperties: true`.
//! 10. The catalog (compact JSON of each tool's name, description, inputSchema, outputSchema and
//!     annotations, as scripts/tools-bytes.py measures it) stays within [`BUDGET`] bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use portkey_admin_mcp::config::{Config, Opts};
use portkey_admin_mcp::registry::{ENTERPRISE_SUFFIX, Registry};
use serde_json::{Map, Value};

/// The most values an enum may have and still count as a choice to explain; longer enums (guardrail
/// check types, metric names, export columns) are catalogues of self-describing names.
const MAX_CHOICES: usize = 8;

/// Bytes of `tools/list` a client pays for (half the reference's 443 KB).
const BUDGET: usize = 221_000;

/// Pairs of tools each of which must name the other: where an agent picks the wrong one of two.
const SIBLINGS: &[(&str, &str)] = &[
    ("update_user", "update_workspace_member"),
    ("delete_user", "remove_workspace_member"),
    ("invite_user", "add_workspace_member"),
    ("publish_partial", "update_prompt_partial"),
    ("publish_prompt", "update_prompt"),
    ("promote_prompt", "publish_prompt"),
    ("render_prompt", "run_prompt_completion"),
    ("get_analytics_group_users", "get_analytics_group_models"),
    (
        "get_analytics_group_models",
        "get_analytics_group_providers",
    ),
    (
        "get_analytics_group_providers",
        "get_analytics_group_metadata",
    ),
    ("get_analytics_group_users", "get_user_stats"),
    ("get_error_analytics", "get_error_rate_analytics"),
    ("get_error_analytics", "get_error_status_codes_analytics"),
    (
        "get_error_status_codes_analytics",
        "get_error_stacks_analytics",
    ),
    ("get_cost_analytics", "get_token_analytics"),
    ("get_cache_hit_rate", "get_cache_summary"),
    ("get_user_requests_analytics", "get_users_analytics"),
    ("get_feedback_analytics", "create_feedback"),
    ("create_feedback", "update_feedback"),
    ("list_virtual_keys", "list_providers"),
    ("create_api_key", "rotate_api_key"),
    ("delete_api_key", "rotate_api_key"),
    ("list_mcp_servers", "list_mcp_integrations"),
    (
        "update_mcp_server_capabilities",
        "update_mcp_integration_capabilities",
    ),
    (
        "update_integration_workspaces",
        "update_mcp_integration_workspaces",
    ),
    ("list_rate_limits", "list_usage_limits"),
    ("archive_deployment", "update_deployment"),
];

/// First words a description may start with: the action, in the imperative.
const VERBS: &[&str] = &[
    "Add",
    "Archive",
    "Break",
    "Change",
    "Chart",
    "Check",
    "Count",
    "Create",
    "Define",
    "Delete",
    "Disconnect",
    "Download",
    "Enable",
    "Exclude",
    "Get",
    "Grant",
    "Invite",
    "List",
    "Log",
    "Promote",
    "Publish",
    "Queue",
    "Record",
    "Register",
    "Remove",
    "Rename",
    "Render",
    "Replace",
    "Resend",
    "Reset",
    "Rotate",
    "Run",
    "Save",
    "Set",
    "Stop",
    "Store",
    "Sum",
    "Test",
    "Update",
    "Upsert",
];

fn registry() -> Registry {
    let cfg = Config::from_opts(&Opts::default(), &portkey_admin_mcp::domain_names()).unwrap();
    portkey_admin_mcp::build_registry(&cfg).unwrap()
}

/// Each tool as clients see it in tools/list.
fn listed(reg: &Registry) -> Vec<Value> {
    reg.tools()
        .iter()
        .map(|t| serde_json::to_value(t.to_mcp()).unwrap())
        .collect()
}

/// The description without the Enterprise suffix the registry adds.
fn own_description(t: &Value) -> String {
    let d = t["description"].as_str().unwrap();
    d.strip_suffix(ENTERPRISE_SUFFIX)
        .unwrap_or(d)
        .trim()
        .to_string()
}

fn names(reg: &Registry) -> HashSet<&'static str> {
    reg.tools().iter().map(|t| t.name).collect()
}

/// Verbs tool names start with that field names never do (`reset_usage`, `invite_link` are fields).
const TOOL_VERBS: &[&str] = &[
    "add",
    "archive",
    "cancel",
    "create",
    "delete",
    "disconnect",
    "download",
    "get",
    "insert",
    "list",
    "migrate",
    "promote",
    "publish",
    "register",
    "remove",
    "render",
    "replace",
    "resend",
    "rotate",
    "run",
    "start",
    "test",
    "update",
    "upsert",
    "validate",
];

/// Snake-case words that read as tool names: a tool verb, an underscore, more.
fn tool_like_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.split_once('_')
                .is_some_and(|(v, rest)| TOOL_VERBS.contains(&v) && !rest.is_empty())
        })
        .collect()
}

fn mentions(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w == word)
}

/// Every property schema at any depth: (path, name, schema, the object holding it).
fn properties(schema: &Value) -> Vec<(String, String, Value, Map<String, Value>)> {
    fn walk(s: &Value, at: &str, out: &mut Vec<(String, String, Value, Map<String, Value>)>) {
        let Some(m) = s.as_object() else { return };
        if let Some(props) = m.get("properties").and_then(Value::as_object) {
            for (k, p) in props {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                out.push((path.clone(), k.clone(), p.clone(), props.clone()));
                walk(p, &path, out);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(sub) = m.get(key) {
                walk(sub, &format!("{at}[]"), out);
            }
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            for alt in m.get(key).and_then(Value::as_array).into_iter().flatten() {
                walk(alt, at, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(schema, "", &mut out);
    out
}

fn description_of(p: &Value) -> &str {
    p.get("description").and_then(Value::as_str).unwrap_or("")
}

fn report(rule: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{rule}: {} problem(s)\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn rule1_descriptions_start_with_the_action_and_say_what_returns() {
    let reg = registry();
    let mut problems = Vec::new();
    for t in listed(&reg) {
        let name = t["name"].as_str().unwrap();
        let d = own_description(&t);
        let first = d.split_whitespace().next().unwrap_or("");
        if !VERBS.contains(&first) {
            problems.push(format!("{name}: starts with {first:?}, not an action verb"));
        }
        if !d.contains("Returns") {
            problems.push(format!("{name}: does not say what it returns: {d}"));
        }
    }
    report("rule 1", problems);
}

#[test]
fn rule2_descriptions_name_real_siblings_both_ways() {
    let reg = registry();
    let all = names(&reg);
    let mut problems = Vec::new();
    for t in listed(&reg) {
        let name = t["name"].as_str().unwrap();
        let d = own_description(&t);
        if !all.iter().any(|n| *n != name && mentions(&d, n)) {
            problems.push(format!("{name}: names no other tool"));
        }
        let params: HashSet<String> = properties(&t["inputSchema"])
            .into_iter()
            .map(|(_, k, _, _)| k)
            .collect();
        for w in tool_like_words(&d) {
            if !all.contains(w) && !params.contains(w) {
                problems.push(format!("{name}: mentions {w}, which is not a tool"));
            }
        }
        for (_, _, p, _) in properties(&t["inputSchema"]) {
            for w in tool_like_words(description_of(&p)) {
                if !all.contains(w) && !params.contains(w) {
                    problems.push(format!("{name}: a parameter mentions {w}, not a tool"));
                }
            }
        }
    }
    for (a, b) in SIBLINGS {
        for (x, y) in [(a, b), (b, a)] {
            match reg.get(x) {
                Some(t) if !mentions(&t.description, y) => {
                    problems.push(format!("{x}: does not name its sibling {y}"))
                }
                None => problems.push(format!("{x}: no such tool")),
                _ => {}
            }
        }
    }
    report("rule 2", problems);
}

#[test]
fn rule3_destructive_tools_say_whether_they_can_be_undone() {
    let reg = registry();
    let all = names(&reg);
    let mut problems = Vec::new();
    for t in reg.tools().iter().filter(|t| t.hints().destructive) {
        let d = &t.description;
        let undo_tool = d
            .split("Undo with ")
            .nth(1)
            .and_then(|rest| tool_like_words(rest).first().copied())
            .is_some_and(|w| all.contains(w));
        if !(d.contains("Cannot be undone") || undo_tool || d.contains("Undo: ")) {
            problems.push(format!(
                "{}: says none of \"Cannot be undone\", \"Undo with <tool>\", \"Undo: <how>\"",
                t.name
            ));
        }
    }
    report("rule 3", problems);
}

#[test]
fn rule4_tools_say_which_key_or_scope_they_need() {
    let reg = registry();
    let mut problems = Vec::new();
    for t in reg.tools() {
        let d = &t.description;
        if t.flags.org_wide && !d.to_lowercase().contains("org admin key") {
            problems.push(format!(
                "{}: organisation-wide, but does not say \"org admin key\"",
                t.name
            ));
        }
        if t.endpoints.iter().any(|e| e.contains("/logs/exports")) && !d.contains("logs.export") {
            problems.push(format!(
                "{}: a log export tool that does not name logs.export",
                t.name
            ));
        }
    }
    if !reg
        .get("run_prompt_completion")
        .is_some_and(|t| t.description.contains("completions.write"))
    {
        problems.push("run_prompt_completion: does not name completions.write".into());
    }
    report("rule 4", problems);
}

#[test]
fn rule5_every_parameter_description_has_three_words_or_more() {
    let reg = registry();
    let mut problems = Vec::new();
    for t in listed(&reg) {
        let name = t["name"].as_str().unwrap();
        for (path, _, p, _) in properties(&t["inputSchema"]) {
            let d = description_of(&p);
            if d.split_whitespace().count() < 3 {
                problems.push(format!("{name}.{path}: {d:?}"));
            }
        }
    }
    report("rule 5", problems);
}

fn is_id_param(key: &str) -> bool {
    key == "id"
        || key == "slug"
        || ["_id", "_ids", "_slug", "_slugs"]
            .iter()
            .any(|s| key.ends_with(s))
}

fn says_source(d: &str, all: &HashSet<&'static str>) -> bool {
    let from_tool = d.split("from ").skip(1).any(|rest| {
        tool_like_words(rest)
            .first()
            .is_some_and(|w| all.contains(w) && rest.starts_with(w))
    });
    from_tool
        || d.contains("from your ")
        || d.contains("you choose")
        || d.contains("from Portkey docs")
}

#[test]
fn rule6_id_and_slug_parameters_say_where_they_come_from() {
    let reg = registry();
    let all = names(&reg);
    let mut problems = Vec::new();
    for t in listed(&reg) {
        let name = t["name"].as_str().unwrap();
        for (path, key, p, siblings) in properties(&t["inputSchema"]) {
            if !is_id_param(&key) {
                continue;
            }
            let d = description_of(&p);
            let via_twin = siblings
                .iter()
                .any(|(k, s)| *k != key && mentions(d, k) && says_source(description_of(s), &all));
            if !says_source(d, &all) && !via_twin {
                problems.push(format!("{name}.{path}: {d:?}"));
            }
        }
    }
    report("rule 6", problems);
}

#[test]
fn rule7_enum_parameters_explain_every_value() {
    let reg = registry();
    let mut problems = Vec::new();
    for t in listed(&reg) {
        let name = t["name"].as_str().unwrap();
        for (path, _, p, _) in properties(&t["inputSchema"]) {
            let Some(values) = p
                .get("enum")
                .or_else(|| p.get("items").and_then(|i| i.get("enum")))
                .and_then(Value::as_array)
                .filter(|v| v.len() <= MAX_CHOICES)
            else {
                continue;
            };
            let d = description_of(&p);
            for v in values {
                let v = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                let named = d
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .any(|w| w == v);
                if !named {
                    problems.push(format!("{name}.{path}: value {v:?} not explained in {d:?}"));
                }
            }
        }
    }
    report("rule 7", problems);
}

/// The array or object forms of the analytics CSV filters and the string each one replaces.
const TWINS: &[(&str, &str)] = &[
    ("status_codes", "status_code"),
    ("virtual_key_slugs", "virtual_keys"),
    ("config_slugs", "configs"),
    ("provider_models", "ai_org_model"),
    ("trace_ids", "trace_id"),
    ("span_ids", "span_id"),
    ("metadata_filter", "metadata"),
];

#[test]
fn rule8_array_twins_of_csv_filters_say_which_form_wins() {
    let reg = registry();
    let mut problems = Vec::new();
    for t in listed(&reg) {
        let name = t["name"].as_str().unwrap();
        let props = t["inputSchema"]["properties"].as_object().unwrap();
        for (alias, twin) in TWINS {
            let Some(p) = props.get(*alias) else { continue };
            let d = description_of(p);
            if !props.contains_key(*twin) {
                problems.push(format!("{name}.{alias}: its twin {twin} is missing"));
            } else if !(d.contains("Wins over") && mentions(d, twin)) {
                problems.push(format!(
                    "{name}.{alias}: does not say it wins over {twin}: {d:?}"
                ));
            }
        }
    }
    report("rule 8", problems);
}

#[test]
fn rule9_no_schema_constrains_nothing() {
    fn walk(s: &Value, at: &str, keyword: Option<&str>, problems: &mut Vec<String>) {
        match s {
            Value::Bool(_) if keyword == Some("additionalProperties") => {}
            Value::Bool(b) => problems.push(format!("{at}: bare {b} schema")),
            Value::Object(m) => {
                if !portkey_admin_mcp::schema::constrains(m) {
                    problems.push(format!("{at}: constrains nothing: {s}"));
                }
                if let Some(props) = m.get("properties").and_then(Value::as_object) {
                    for (k, p) in props {
                        walk(p, &format!("{at}.{k}"), None, problems);
                    }
                }
                for key in ["items", "additionalProperties", "not", "propertyNames"] {
                    if let Some(sub) = m.get(key) {
                        walk(sub, &format!("{at}/{key}"), Some(key), problems);
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
                        walk(alt, &format!("{at}/{key}{i}"), None, problems);
                    }
                }
            }
            other => problems.push(format!("{at}: not a schema: {other}")),
        }
    }
    let reg = registry();
    let mut problems = Vec::new();
    for t in listed(&reg) {
        let name = t["name"].as_str().unwrap();
        walk(
            &t["inputSchema"],
            &format!("{name}.inputSchema"),
            None,
            &mut problems,
        );
        walk(
            &t["outputSchema"],
            &format!("{name}.outputSchema"),
            None,
            &mut problems,
        );
    }
    report("rule 9", problems);
}

/// The bytes scripts/tools-bytes.py counts: each tool entry's five members, compact JSON.
fn catalog_bytes(reg: &Registry) -> usize {
    listed(reg)
        .iter()
        .map(|t| {
            let mut entry = Map::new();
            for k in [
                "name",
                "description",
                "inputSchema",
                "outputSchema",
                "annotations",
            ] {
                if let Some(v) = t.get(k) {
                    entry.insert(k.into(), v.clone());
                }
            }
            serde_json::to_string(&Value::Object(entry)).unwrap().len()
        })
        .sum()
}

#[test]
fn rule10_catalog_stays_within_budget() {
    let reg = registry();
    let bytes = catalog_bytes(&reg);
    assert!(
        bytes <= BUDGET,
        "tools/list is {bytes} bytes, over the {BUDGET}-byte budget: cut repetition, not information"
    );
}
