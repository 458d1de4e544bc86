//! The registry keeps each tool's schema as compact text once it is built, and parses it again
//! for `tools/list` and for a tool's first call. What a client sees and what the server checks
//! must be exactly what the domains declared.
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

/// Every tool's schema as its domain declares it, serialised (so key order counts).
fn declared() -> HashMap<&'static str, String> {
    let mut out = HashMap::new();
    for (_, tools) in portkey_admin_mcp::domains::DOMAINS {
        for def in tools() {
            out.insert(
                def.name,
                Value::Object((*def.input_schema()).clone()).to_string(),
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
    // A call in between parses and keeps one tool's schema; the next list is the same.
    let env = mcp.call("get_config", json!({"slug": "c1"})).await;
    assert_eq!(env["ok"], true, "{env}");
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
