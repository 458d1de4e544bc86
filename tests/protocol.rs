//! The stdio protocol layer, through the real binary: bad input lines get JSON-RPC errors and the
//! session carries on, stdout carries only JSON-RPC, and no log setting prints a credential.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{Value, json};

const PROVIDER_KEY: &str = "sk-proj-Zq81TOPSECRETprovider7Yh2Lw";
const NEW_API_KEY: &str = "pk-live-NEWLYMINTED-key-5c1e9a";
const VAULT_TOKEN: &str = "hvs.CAESIVAULTTOKENsecret0042";

/// Asserts the next unmatched stdout message is exactly a JSON-RPC error with `code` and `id`.
async fn expect_error(mcp: &Mcp, what: &str, code: i64, id: Value) {
    let msg = mcp.next_unmatched().await;
    assert_eq!(msg["jsonrpc"], "2.0", "{what}: {msg}");
    assert_eq!(msg["error"]["code"], code, "{what}: {msg}");
    assert_eq!(msg["id"], id, "{what}: {msg}");
    assert!(msg["error"]["message"].is_string(), "{what}: {msg}");
    let keys: Vec<&String> = msg.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["jsonrpc", "id", "error"], "{what}: {msg}");
}

/// The session still answers a normal request.
async fn still_serving(mcp: &Mcp, what: &str) {
    let tools = mcp.list_tools().await;
    assert!(!tools.is_empty(), "after {what}");
}

fn assert_only_json_rpc_on_stdout(mcp: &Mcp) {
    let stray = mcp.server_requests.lock().unwrap().clone();
    assert!(
        stray.iter().all(|m| m.get("__not_json__").is_none()),
        "non-JSON on stdout: {stray:?}"
    );
    let left = mcp.unmatched.lock().unwrap().clone();
    assert!(left.is_empty(), "unexpected messages: {left:?}");
}

#[tokio::test]
async fn each_bad_line_gets_its_error_and_the_session_carries_on() {
    let h = Harness::start().await;
    let mcp = &h.mcp;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    // A well-formed request too long to read: its id is never seen, so the answer has none.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{{"name":"list_configs","arguments":{{"pad":"{}"}}}}}}"#,
        "x".repeat(5 * 1024 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>, i64, Value)> = vec![
        (
            "an id-only object",
            br#"{"jsonrpc":"2.0","id":7}"#.to_vec(),
            -32600,
            json!(7),
        ),
        (
            "malformed JSON",
            br#"{"jsonrpc":"2.0","id":3,"method":"#.to_vec(),
            -32700,
            Value::Null,
        ),
        (
            "invalid UTF-8",
            b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}".to_vec(),
            -32700,
            Value::Null,
        ),
        ("a 5 MiB line", huge.into_bytes(), -32700, Value::Null),
        (
            "10,000-deep nesting",
            deep.into_bytes(),
            -32700,
            Value::Null,
        ),
        ("a bare number", b"42".to_vec(), -32600, Value::Null),
        ("an empty batch", b"[]".to_vec(), -32600, Value::Null),
        (
            "an object that is no message",
            br#"{"foo":1}"#.to_vec(),
            -32600,
            Value::Null,
        ),
        (
            "a wrong version",
            br#"{"jsonrpc":"1.0","id":"v1","method":"ping"}"#.to_vec(),
            -32600,
            json!("v1"),
        ),
        (
            "a tool call with a wrong version",
            br#"{"jsonrpc":"1.0","id":"v2","method":"tools/call","params":{"name":"list_configs","arguments":{}}}"#.to_vec(),
            -32600,
            json!("v2"),
        ),
        (
            "a numeric method",
            br#"{"jsonrpc":"2.0","id":"m","method":12}"#.to_vec(),
            -32600,
            json!("m"),
        ),
    ];
    for (what, mut line, code, id) in cases {
        line.push(b'\n');
        mcp.write_bytes(&line).await;
        expect_error(mcp, what, code, id).await;
        still_serving(mcp, what).await;
    }
    assert_only_json_rpc_on_stdout(mcp);
    assert!(h.api.requests().is_empty());
}

#[tokio::test]
async fn blank_lines_crlf_and_split_writes_are_fine() {
    let h = Harness::start().await;
    let mcp = &h.mcp;
    mcp.write_bytes(b"\n\r\n   \n\t\n").await;
    still_serving(mcp, "blank lines").await;
    // One request in three writes, CRLF-terminated, behind a byte-order mark.
    let req = "\u{feff}{\"jsonrpc\":\"2.0\",\"id\":\"split\",\"method\":\"ping\"}\r\n";
    let (a, b) = req.split_at(20);
    let (b, c) = b.split_at(10);
    for part in [a, b, c] {
        mcp.write_bytes(part.as_bytes()).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let answer = mcp.next_unmatched().await;
    assert_eq!(answer["id"], "split", "{answer}");
    assert!(answer.get("result").is_some(), "{answer}");
    // Bad and good lines in one write: each is handled in order.
    mcp.write_bytes(b"{oops\n{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"ping\"}\n")
        .await;
    let first = mcp.next_unmatched().await;
    let second = mcp.next_unmatched().await;
    let mut ids = [first["id"].clone(), second["id"].clone()];
    ids.sort_by_key(Value::to_string);
    assert_eq!(ids, [json!("after"), Value::Null]);
    still_serving(mcp, "mixed lines").await;
    assert_only_json_rpc_on_stdout(mcp);
}

#[tokio::test]
async fn end_of_input_ends_the_server() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let api = StandIn::start().await;
    let mut child = tokio::process::Command::new(bin())
        .env_clear()
        .envs(env_for(&api))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
        "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    stdin
        .write_all(format!("{init}\n").as_bytes())
        .await
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let answer: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(answer["id"], 1);
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n{oops\n")
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(answer["error"]["code"], -32700);
    drop(stdin);
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the server keeps running after stdin closed")
        .unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(lines.next_line().await.unwrap(), None);
}

/// Every way of turning logging up, with the secrets a session can carry in flight.
#[tokio::test]
async fn no_log_setting_prints_a_secret() {
    // (variables, flags, whether this crate's own info lines are on)
    type Setting<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], bool);
    let settings: [Setting; 5] = [
        (&[("RUST_LOG", "trace")], &[], true),
        (
            &[("RUST_LOG", "rmcp::service=debug,rmcp=trace")],
            &[],
            false,
        ),
        (
            &[(
                "RUST_LOG",
                "info,rmcp[serve_inner]=trace,reqwest=trace,hyper=trace,rustls=trace",
            )],
            &[],
            true,
        ),
        (&[("LOG_LEVEL", "trace")], &[], true),
        (&[], &["--log-level", "trace"], true),
    ];
    for (vars, args, own_lines) in settings {
        let api = StandIn::start().await;
        let mut env = env_for(&api);
        for (k, v) in vars {
            env = with(env, k, v);
        }
        let mcp = Mcp::start_full(&env, args, json!({}), None).await;
        let what = format!("{vars:?} {args:?}");

        api.reply_json(
            200,
            json!({"success": true, "data": {"slug": "vk-1", "key": PROVIDER_KEY}}),
        );
        let env = mcp
            .call(
                "create_virtual_key",
                json!({"name": "prod", "provider": "openai", "key": PROVIDER_KEY}),
            )
            .await;
        assert_eq!(env["ok"], true, "{what}: {env}");
        assert_eq!(api.only().body.unwrap()["key"], PROVIDER_KEY);

        api.clear();
        api.reply_json(
            200,
            json!({"id": "sr-1", "slug": "vault-prod", "object": "secret-reference"}),
        );
        let env = mcp
            .call(
                "create_secret_reference",
                json!({"name": "vault", "manager_type": "hashicorp_vault", "secret_path": "kv/openai",
                    "auth_config": {"vault_auth_type": "token", "vault_addr": "https://vault.example.com:8200",
                        "vault_token": VAULT_TOKEN}}),
            )
            .await;
        assert_eq!(env["ok"], true, "{what}: {env}");
        assert_eq!(
            api.only().body.unwrap()["auth_config"]["vault_token"],
            VAULT_TOKEN
        );

        api.clear();
        api.reply_json(
            200,
            json!({"id": "k-1", "key": NEW_API_KEY, "object": "api-key"}),
        );
        let env = mcp
            .call(
                "create_api_key",
                json!({"type": "workspace", "sub_type": "service", "name": "ci", "workspace_id": "ws-1", "scopes": ["logs.read"]}),
            )
            .await;
        assert_eq!(env["data"]["key"], NEW_API_KEY, "{what}: {env}");

        let stderr = mcp.stderr();
        // Logging is really on (this crate's own lines pass), so the absence below means something.
        assert_eq!(
            stderr.contains("serving MCP on stdio"),
            own_lines,
            "{what}: {stderr}"
        );
        for secret in [PROVIDER_KEY, NEW_API_KEY, VAULT_TOKEN, TEST_KEY] {
            assert!(
                !stderr.contains(secret),
                "{what}: {secret} on stderr:\n{stderr}"
            );
        }
    }
}
