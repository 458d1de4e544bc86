//! The private-host rule end to end: a base URL whose name resolves to loopback is refused when
//! the connection is made (nothing reaches the stand-in, the key appears nowhere), allowed with
//! PORTKEY_ALLOW_PRIVATE_BASE_URL; literal private hosts stop start-up.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::IpAddr;
use std::process::Command;

use common::{Mcp, StandIn, TEST_KEY, env_for, with};
use serde_json::json;

/// A name from /etc/hosts that maps to a 127.x address and that start-up does not refuse by
/// name (so only the connect-time check can catch it), e.g. `vm`.
fn loopback_alias() -> String {
    let hosts = std::fs::read_to_string("/etc/hosts").expect("read /etc/hosts");
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(Ok(IpAddr::V4(ip))) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        if !ip.is_loopback() {
            continue;
        }
        for name in fields {
            let plain = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if plain && !portkey_admin_mcp::config::is_private_name(name) {
                return name.to_string();
            }
        }
    }
    panic!("/etc/hosts has no name other than localhost for a 127.x address:\n{hosts}");
}

/// The stand-in reached through `name` instead of 127.0.0.1, without the private-host switch.
fn env_via(api: &StandIn, name: &str) -> Vec<(String, String)> {
    let port = api.addr.port();
    let mut env = env_for(api);
    env.retain(|(k, _)| k != "PORTKEY_ALLOW_PRIVATE_BASE_URL");
    let env = with(env, "PORTKEY_BASE_URL", &format!("http://{name}:{port}/v1"));
    let env = with(
        env,
        "PORTKEY_PUBLIC_BASE_URL",
        &format!("http://{name}:{port}"),
    );
    with(env, "LOG_LEVEL", "debug")
}

#[tokio::test]
async fn name_resolving_to_loopback_is_refused_at_connect_time() {
    let name = loopback_alias();
    let api = StandIn::start().await;
    let mcp = Mcp::start(&env_via(&api, &name)).await;
    let env = mcp.call("list_workspaces", json!({})).await;
    assert_eq!(env["ok"], json!(false), "{env}");
    let msg = env["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains(&format!("refused to connect to {name}")),
        "{msg}"
    );
    assert!(msg.contains("127."), "the refused address is named: {msg}");
    assert!(msg.contains("PORTKEY_ALLOW_PRIVATE_BASE_URL=true"), "{msg}");
    assert!(api.requests().is_empty(), "sent {:?}", api.requests());
    assert!(!env.to_string().contains(TEST_KEY), "{env}");
    let stderr = mcp.stderr();
    assert!(!stderr.contains(TEST_KEY), "{stderr}");
}

#[tokio::test]
async fn name_resolving_to_loopback_is_used_when_allowed() {
    let name = loopback_alias();
    let api = StandIn::start().await;
    let env = with(
        env_via(&api, &name),
        "PORTKEY_ALLOW_PRIVATE_BASE_URL",
        "true",
    );
    let mcp = Mcp::start(&env).await;
    let env = mcp.call("list_workspaces", json!({})).await;
    assert_eq!(env["ok"], json!(true), "{env}");
    let sent = api.only();
    assert_eq!(sent.method, "GET");
    assert_eq!(sent.path, "/v1/admin/workspaces");
    assert_eq!(sent.header("x-portkey-api-key"), Some(TEST_KEY));
}

#[test]
fn literal_private_hosts_stop_start_up() {
    for base in [
        "https://[::127.0.0.1]/v1",
        "https://[64:ff9b::7f00:1]/v1",
        "https://198.18.0.1/v1",
        "https://metadata.google.internal/v1",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_portkey-admin-mcp"))
            .env_clear()
            .env("PORTKEY_API_KEY", TEST_KEY)
            .env("PORTKEY_BASE_URL", base)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{base}: {stderr}");
        assert!(out.stdout.is_empty(), "{base}");
        assert!(stderr.contains("PORTKEY_BASE_URL"), "{base}: {stderr}");
        assert!(
            stderr.contains("PORTKEY_ALLOW_PRIVATE_BASE_URL"),
            "{base}: {stderr}"
        );
        assert!(!stderr.contains(TEST_KEY), "{base}: {stderr}");
    }
}
