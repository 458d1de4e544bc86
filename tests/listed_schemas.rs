//! The registry holds each tool's schema as compact JSON text (the generated table; the lib's
//! `generated_schemas_are_current` test keeps it equal to what the input types generate) and
//! parses it for each `tools/list` and for a tool's first call. What a client sees and what the
//! server checks must be the same schema every time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::{Value, json};

/// Every tool's schema as its declaration holds it, serialised (so key order counts).
fn declared() -> HashMap<&'static str, String> {
    let mut out = HashMap::new();
    for (_, tools) in portkey_admin_mcp::domains::DOMAINS {
        for def in tools() {
            assert!(def.has_input_schema(), "{}", def.name);
            out.insert(
                def.name,
                Value::Object((*def.peek_input_schema()).clone()).to_string(),
            );
        }
    }
    out
}

fn config() -> Value {
    json!({"id": "c", "slug": "c1", "name": "n", "status": "active", "config": "{\"retry\": {\"attempts\": 3}}"})
}

#[tokio::test]
async fn tools_list_shows_the_declared_schemas_every_time() {
    let api = StandIn::start().await;
    api.reply_json(200, config());
    let mcp = Mcp::start(&env_for(&api)).await;
    let declared = declared();
    let first = mcp.list_tools().await;
    assert_eq!(first.len(), declared.len());
    for t in &first {
        let name = t["name"].as_str().unwrap();
        assert_eq!(
            t["inputSchema"].to_string(),
            declared[name],
            "{name}: the listed schema differs from the declared one"
        );
        assert_eq!(t["outputSchema"], json!({"type": "object"}), "{name}");
    }
    // A call in between keeps one tool's schema parsed; the next list, parsed again for the
    // others, is the same.
    let env = mcp.call("get_config", json!({"slug": "c1"})).await;
    assert_eq!(env["ok"], true, "{env}");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let second = mcp.list_tools().await;
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
}

#[tokio::test]
async fn arguments_are_checked_against_the_schema_on_a_tools_first_call() {
    let api = StandIn::start().await;
    api.reply_json(200, config());
    let mcp = Mcp::start(&env_for(&api)).await;
    // The first call of this tool parses its schema: a wrong type is refused, nothing is sent.
    let env = mcp.call("get_config", json!({"slug": 42})).await;
    assert_eq!(env["ok"], false, "{env}");
    let message = env["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Invalid arguments for \"get_config\""),
        "{message}"
    );
    assert!(api.requests().is_empty(), "nothing may be sent");
    // The kept schema serves the next calls.
    let env = mcp.call("get_config", json!({"slug": "c1"})).await;
    assert_eq!(env["ok"], true, "{env}");
    let sent = api.only();
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("GET", "/v1/configs/c1")
    );
    let env = mcp.call("get_config", json!({"slug": []})).await;
    assert_eq!(env["ok"], false, "{env}");
    assert_eq!(api.requests().len(), 1);
}

#[test]
fn the_table_lists_and_checks_what_was_declared() {
    use portkey_admin_mcp::config::{Config, Opts};
    let cfg = Config::from_opts(&Opts::default(), &portkey_admin_mcp::domain_names()).unwrap();
    let registry = portkey_admin_mcp::build_registry(&cfg).unwrap();
    let before = serde_json::to_string(&registry.listed()).unwrap();
    // A tool called before a listing keeps its map, and the listing hands it out.
    let kept = registry.get("get_config").unwrap().input_schema();
    let after = serde_json::to_string(&registry.listed()).unwrap();
    assert_eq!(before, after);
    let declared = declared();
    assert_eq!(registry.tools().len(), declared.len());
    for t in registry.tools() {
        assert_eq!(
            Value::Object((*t.input_schema()).clone()).to_string(),
            declared[t.name],
            "{}",
            t.name
        );
    }
    assert!(std::sync::Arc::ptr_eq(
        &kept,
        &registry.get("get_config").unwrap().input_schema()
    ));
    // A schema is parsed once for calls and then kept.
    let a = registry.get("list_configs").unwrap().input_schema();
    let b = registry.get("list_configs").unwrap().input_schema();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}

#[test]
fn a_pinned_schema_is_edited_once_and_listed_as_edited() {
    use portkey_admin_mcp::config::{Config, Opts};
    let cfg = Config::from_opts(&Opts::default(), &portkey_admin_mcp::domain_names()).unwrap();
    let mut pinned = cfg.clone();
    pinned.workspace_id = Some("ws-pinned".into());
    let plain = portkey_admin_mcp::build_registry(&cfg).unwrap();
    let registry = portkey_admin_mcp::build_registry(&pinned).unwrap();
    let t = registry.get("create_log_export").unwrap();
    let schema = Value::Object((*t.input_schema()).clone());
    let text = schema["properties"]["workspace_id"]["description"]
        .as_str()
        .unwrap();
    assert!(text.contains("ws-pinned"), "{text}");
    assert_ne!(
        schema,
        Value::Object((*plain.get("create_log_export").unwrap().input_schema()).clone())
    );
    let listed = registry.listed();
    let entry = listed
        .iter()
        .find(|e| e.name == "create_log_export")
        .unwrap();
    assert_eq!(Value::Object((*entry.input_schema).clone()), schema);
}
