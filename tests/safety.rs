//! The safety controls: read-only mode, allow and exclude lists, the workspace pin, confirmed
//! destructive calls, and the audit journal. Each is driven through MCP against the stand-in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use common::*;
use serde_json::{Value, json};

fn names(tools: &[Value]) -> Vec<String> {
    tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

async fn start(extra: &[(&str, &str)], args: &[&str]) -> (StandIn, Mcp) {
    let api = StandIn::start().await;
    let env = with_all(env_for(&api), extra);
    let mcp = Mcp::start_full(&env, args, json!({}), None).await;
    (api, mcp)
}

#[tokio::test]
async fn read_only_lists_and_runs_only_reads() {
    for (extra, args) in [
        (vec![("PORTKEY_READ_ONLY", "yes")], vec![]),
        (vec![], vec!["--read-only"]),
    ] {
        let (api, mcp) = start(&extra, &args).await;
        let tools = mcp.list_tools().await;
        assert!(!tools.is_empty());
        assert!(
            tools
                .iter()
                .all(|t| t["annotations"]["readOnlyHint"] == true),
            "{:?}",
            names(&tools)
        );
        assert!(names(&tools).contains(&"list_configs".to_string()));
        let instr = mcp.init["result"]["instructions"].as_str().unwrap();
        assert!(instr.contains("READ-ONLY"), "{instr}");
        let env = mcp.call("delete_config", json!({"slug": "s"})).await;
        assert_eq!(env["ok"], false);
        assert!(
            env["error"]["message"]
                .as_str()
                .unwrap()
                .contains("read-only"),
            "{env}"
        );
        assert!(api.requests().is_empty());
        let env = mcp.call("list_configs", json!({})).await;
        assert_eq!(env["ok"], true);
    }
}

#[tokio::test]
async fn read_only_beats_the_allow_list() {
    let (api, mcp) = start(
        &[
            ("PORTKEY_READ_ONLY", "1"),
            ("PORTKEY_TOOLS", "delete_config,get_config"),
        ],
        &[],
    )
    .await;
    assert_eq!(names(&mcp.list_tools().await), vec!["get_config"]);
    let env = mcp.call("delete_config", json!({"slug": "s"})).await;
    assert_eq!(env["ok"], false);
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn allow_list_alone_exposes_only_those_tools() {
    let (api, mcp) = start(&[("PORTKEY_TOOLS", " get_config , list_configs ")], &[]).await;
    assert_eq!(
        names(&mcp.list_tools().await),
        vec!["list_configs", "get_config"]
    );
    let env = mcp.call("delete_config", json!({"slug": "s"})).await;
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PORTKEY_TOOLS")
    );
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn domains_plus_allow_minus_exclude() {
    let (_api, mcp) = start(
        &[],
        &[
            "--tool-domains",
            "configs",
            "--exclude-tools",
            "delete_config,update_config",
        ],
    )
    .await;
    assert_eq!(
        names(&mcp.list_tools().await),
        vec![
            "list_configs",
            "get_config",
            "create_config",
            "list_config_versions"
        ]
    );
    let (api, mcp) = start(
        &[
            ("PORTKEY_TOOL_DOMAINS", "configs"),
            ("PORTKEY_EXCLUDE_TOOLS", "delete_config"),
        ],
        &[],
    )
    .await;
    assert_eq!(mcp.list_tools().await.len(), 5);
    let env = mcp.call("delete_config", json!({"slug": "s"})).await;
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PORTKEY_EXCLUDE_TOOLS"),
        "{env}"
    );
    assert!(api.requests().is_empty());
}

#[test]
fn unknown_tool_name_stops_start_up_and_tools_json_honours_selection() {
    let out = std::process::Command::new(bin())
        .env_clear()
        .env("PORTKEY_TOOLS", "list_configs,drop_database")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("drop_database") && err.contains("portkey-admin-mcp tools"),
        "{err}"
    );
    let out = std::process::Command::new(bin())
        .env_clear()
        .args(["tools", "--json"])
        .env("PORTKEY_TOOL_DOMAINS", "configs")
        .env("PORTKEY_READ_ONLY", "true")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&str> = v["domains"][0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        vec!["list_configs", "get_config", "list_config_versions"]
    );
}

#[tokio::test]
async fn workspace_pin_fills_and_refuses() {
    let (api, mcp) = start(&[("PORTKEY_WORKSPACE_ID", "ws-pinned")], &[]).await;
    let tools = mcp.list_tools().await;
    let create = tools.iter().find(|t| t["name"] == "create_config").unwrap();
    let desc = create["inputSchema"]["properties"]["workspace_id"]["description"]
        .as_str()
        .unwrap();
    assert!(desc.contains("ws-pinned"), "{desc}");
    let env = mcp
        .call(
            "create_config",
            json!({"name": "n", "strategy_mode": "fallback"}),
        )
        .await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(api.only().body.unwrap()["workspace_id"], "ws-pinned");
    api.clear();
    let env = mcp
        .call(
            "create_config",
            json!({"name": "n", "strategy_mode": "fallback", "workspace_id": "ws-other"}),
        )
        .await;
    assert_eq!(env["ok"], false);
    let m = env["error"]["message"].as_str().unwrap();
    assert!(m.contains("ws-pinned") && m.contains("ws-other"), "{m}");
    assert!(api.requests().is_empty());
    let env = mcp
        .call(
            "create_config",
            json!({"name": "n", "strategy_mode": "fallback", "workspace_id": "ws-pinned"}),
        )
        .await;
    assert_eq!(env["ok"], true);
    assert!(
        mcp.init["result"]["instructions"]
            .as_str()
            .unwrap()
            .contains("ws-pinned")
    );
}

fn answering(action: &'static str, confirm: bool) -> ServerRequestHandler {
    Arc::new(move |req: &Value| {
        assert_eq!(req["method"], "elicitation/create");
        if action == "accept" {
            json!({"action": action, "content": {"confirm": confirm}})
        } else {
            json!({"action": action})
        }
    })
}

async fn start_confirming(handler: Option<ServerRequestHandler>, caps: Value) -> (StandIn, Mcp) {
    let api = StandIn::start().await;
    let env = with(env_for(&api), "PORTKEY_CONFIRM_DESTRUCTIVE", "true");
    let mcp = Mcp::start_full(&env, &[], caps, handler).await;
    (api, mcp)
}

#[tokio::test]
async fn destructive_call_runs_after_a_yes() {
    let (api, mcp) =
        start_confirming(Some(answering("accept", true)), json!({"elicitation": {}})).await;
    let env = mcp.call("delete_config", json!({"slug": "cfg-9"})).await;
    assert_eq!(env["ok"], true, "{env}");
    assert_eq!(api.only().path, "/v1/configs/cfg-9");
    let asked = mcp.server_requests.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    let msg = asked[0]["params"]["message"].as_str().unwrap();
    assert!(
        msg.contains("delete_config") && msg.contains("cfg-9"),
        "{msg}"
    );
}

#[tokio::test]
async fn destructive_call_declined_or_cancelled_sends_nothing() {
    for handler in [
        answering("decline", false),
        answering("cancel", false),
        answering("accept", false),
    ] {
        let (api, mcp) = start_confirming(Some(handler), json!({"elicitation": {}})).await;
        let env = mcp.call("delete_config", json!({"slug": "cfg-9"})).await;
        assert_eq!(env["ok"], false);
        assert!(
            env["error"]["message"]
                .as_str()
                .unwrap()
                .contains("declined"),
            "{env}"
        );
        assert!(api.requests().is_empty());
    }
}

#[tokio::test]
async fn client_without_elicitation_is_told_how_to_turn_it_off() {
    let (api, mcp) = start_confirming(None, json!({})).await;
    let env = mcp.call("delete_config", json!({"slug": "cfg-9"})).await;
    assert_eq!(env["ok"], false);
    let m = env["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("elicitation") && m.contains("PORTKEY_CONFIRM_DESTRUCTIVE"),
        "{m}"
    );
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn reads_and_plain_writes_never_ask() {
    let (api, mcp) = start_confirming(
        Some(answering("decline", false)),
        json!({"elicitation": {}}),
    )
    .await;
    assert_eq!(mcp.call("list_configs", json!({})).await["ok"], true);
    assert_eq!(
        mcp.call("update_config", json!({"slug": "s", "name": "n"}))
            .await["ok"],
        true
    );
    assert!(mcp.server_requests.lock().unwrap().is_empty());
    assert_eq!(api.requests().len(), 2);
}

#[tokio::test]
async fn journal_records_writes_not_reads() {
    let dir = std::env::temp_dir().join(format!("pkam-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.jsonl");
    let _ = std::fs::remove_file(&path);
    let api = StandIn::start().await;
    api.respond(|r| {
        let mut reply = generic_reply(r);
        reply
            .headers
            .push(("x-portkey-request-id".into(), "req-123".into()));
        reply
    });
    let env = with(env_for(&api), "PORTKEY_AUDIT_LOG", path.to_str().unwrap());
    let mcp = Mcp::start(&env).await;
    mcp.call("list_configs", json!({})).await;
    mcp.call("get_config", json!({"slug": "a"})).await;
    mcp.call(
        "create_config",
        json!({"name": "n", "targets": [{"virtual_key": "sk-VwWBhqG5KSFdPE0SPgjtHfb1F6w70WAK"}]}),
    )
    .await;
    mcp.call("delete_config", json!({"slug": "gone"})).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Two write calls: each an intent line before its request and an outcome line after.
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0]["event"], "intent");
    assert_eq!(lines[0]["tool"], "create_config");
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["path"], "/v1/configs");
    assert_eq!(lines[1]["event"], "outcome");
    assert_eq!(lines[1]["call"], lines[0]["call"]);
    assert_eq!(lines[1]["path"], "/v1/configs");
    assert_eq!(lines[1]["status"], 200);
    assert_eq!(lines[1]["request_id"], "req-123");
    assert_eq!(lines[1]["ok"], true);
    assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[2]["tool"], "delete_config");
    assert_eq!(lines[2]["method"], "DELETE");
    assert_eq!(lines[2]["path"], "/v1/configs/gone");
    assert_eq!(lines[3]["arguments"]["slug"], "gone");
    assert_ne!(lines[0]["call"], lines[2]["call"]);
    assert!(
        !text.contains("sk-VwWBhqG5KSFdPE0SPgjtHfb1F6w70WAK"),
        "secret in journal: {text}"
    );
    assert!(!text.contains(TEST_KEY));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unwritable_journal_refuses_writes() {
    let api = StandIn::start().await;
    let env = with(
        env_for(&api),
        "PORTKEY_AUDIT_LOG",
        "/nonexistent-dir/for/sure/audit.jsonl",
    );
    let mcp = Mcp::start(&env).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(mcp.stderr().contains("audit journal"), "{}", mcp.stderr());
    let env = mcp.call("delete_config", json!({"slug": "s"})).await;
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PORTKEY_AUDIT_LOG")
    );
    assert!(api.requests().is_empty());
    assert_eq!(mcp.call("list_configs", json!({})).await["ok"], true);
}
