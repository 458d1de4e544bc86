//! The command line: start-up refusals, the tools catalog, version and help.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portkey-admin-mcp"));
    cmd.env_clear().args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn tools_catalog_without_a_key() {
    let (code, out, _) = run(&["tools"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("configs (") && out.contains("list_configs"));
    let (code, out, _) = run(&["tools", "--domain", "configs", "--json"], &[]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["tool_count"], 6);
    assert_eq!(v["domains"][0]["domain"], "configs");
    assert_eq!(v["domains"][0]["tools"][0]["name"], "list_configs");
}

#[test]
fn unknown_domain_stops_start_up() {
    let (code, out, err) = run(&[], &[("PORTKEY_TOOL_DOMAINS", "prompts,bogus")]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.contains("bogus") && err.contains("configs"), "{err}");
    let (code, _, err) = run(&[], &[("MCP_TOOL_DOMAINS", "nope")]);
    assert_ne!(code, 0);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn insecure_or_private_base_url_stops_start_up() {
    let (code, out, err) = run(&[], &[("PORTKEY_BASE_URL", "http://api.example.com/v1")]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.contains("PORTKEY_ALLOW_INSECURE_HTTP"), "{err}");
    let (code, _, err) = run(&[], &[("PORTKEY_BASE_URL", "https://10.0.0.5/v1")]);
    assert_ne!(code, 0);
    assert!(err.contains("PORTKEY_ALLOW_PRIVATE_BASE_URL"), "{err}");
}

#[test]
fn version_and_help() {
    let (code, out, _) = run(&["--version"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains(env!("CARGO_PKG_VERSION")));
    let (code, out, _) = run(&["--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("tools") && out.contains("--base-url"));
}
