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
    // Variable names without values (never an empty `[env: X=]`), and the defaults.
    assert!(!out.contains("=]"), "{out}");
    for shown in [
        "[env: PORTKEY_API_KEY]",
        "[env: PORTKEY_BASE_URL]",
        "[env: PORTKEY_READ_ONLY]",
        "[default: https://api.portkey.ai/v1]",
        "[default: 30000]",
        "[default: warn]",
    ] {
        assert!(out.contains(shown), "{shown} missing from:\n{out}");
    }
    // A set variable's value is not echoed back either.
    let (_, out, _) = run(
        &["--help"],
        &[("PORTKEY_BASE_URL", "https://gw.example.com/v1")],
    );
    assert!(!out.contains("gw.example.com"), "{out}");
}

#[test]
fn no_greeting_when_stdin_is_not_a_terminal() {
    // A client's pipe gets no chatter at all; the greeting is only for a person at a terminal.
    let (_, out, err) = run(&[], &[]);
    assert!(out.is_empty(), "{out}");
    assert!(!err.contains("waiting for an MCP client"), "{err}");
}

/// The names of the tools a `tools --json` listing shows, with their read-only flags.
fn catalog(args: &[&str], env: &[(&str, &str)]) -> Vec<(String, bool)> {
    let (code, out, err) = run(args, env);
    assert_eq!(code, 0, "{args:?} {env:?}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["domains"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["tools"].as_array().unwrap().iter())
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["read_only"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn read_only_takes_the_usual_spellings() {
    let all = catalog(&["tools", "--json"], &[]);
    assert!(
        all.iter().any(|(_, ro)| !ro),
        "the full catalog has write tools"
    );
    for value in ["on", "ON", " yes ", "1", "True"] {
        let tools = catalog(&["tools", "--json"], &[("PORTKEY_READ_ONLY", value)]);
        assert!(!tools.is_empty());
        assert!(
            tools.iter().all(|(_, ro)| *ro),
            "PORTKEY_READ_ONLY={value:?} left write tools in"
        );
    }
    for value in ["off", "0", "No", "false", ""] {
        let tools = catalog(&["tools", "--json"], &[("PORTKEY_READ_ONLY", value)]);
        assert_eq!(tools, all, "PORTKEY_READ_ONLY={value:?}");
    }
}

#[test]
fn an_unknown_switch_value_stops_start_up() {
    for (var, value) in [
        ("PORTKEY_READ_ONLY", "enabled"),
        ("PORTKEY_READ_ONLY", "y"),
        ("PORTKEY_CONFIRM_DESTRUCTIVE", "sure"),
        ("PORTKEY_ALLOW_INSECURE_HTTP", "tru"),
        ("PORTKEY_ALLOW_PRIVATE_BASE_URL", "2"),
    ] {
        for args in [&["tools", "--json"][..], &[][..]] {
            let (code, out, err) = run(args, &[(var, value)]);
            assert_eq!(code, 2, "{var}={value} {args:?}: {err}");
            assert!(out.is_empty(), "{out}");
            assert!(err.contains(var) && err.contains("on/off"), "{err}");
        }
    }
}

#[test]
fn a_bare_read_only_flag_leaves_the_subcommand_alone() {
    let tools = catalog(&["--read-only", "tools", "--json"], &[]);
    assert!(!tools.is_empty() && tools.iter().all(|(_, ro)| *ro));
    let tools = catalog(&["tools", "--read-only", "--json"], &[]);
    assert!(!tools.is_empty() && tools.iter().all(|(_, ro)| *ro));
    // The flag beats the variable, both ways.
    let all = catalog(&["tools", "--json"], &[]);
    let tools = catalog(
        &["--read-only=false", "tools", "--json"],
        &[("PORTKEY_READ_ONLY", "true")],
    );
    assert_eq!(tools, all);
    let tools = catalog(&["--read-only=on", "tools", "--json"], &[]);
    assert!(tools.iter().all(|(_, ro)| *ro));
    let (code, _, err) = run(&["--read-only=maybe", "tools"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("PORTKEY_READ_ONLY"), "{err}");
}

#[test]
fn a_bad_number_names_its_variable() {
    for (var, value) in [
        ("PORTKEY_TIMEOUT_MS", "30s"),
        ("PORTKEY_TIMEOUT_MS", "-5"),
        ("PORTKEY_MAX_RETRIES", "lots"),
    ] {
        let (code, out, err) = run(&["tools"], &[(var, value)]);
        assert_eq!(code, 2, "{var}={value}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(var), "{err}");
    }
    let (code, _, err) = run(
        &["tools"],
        &[("PORTKEY_TIMEOUT_MS", ""), ("PORTKEY_MAX_RETRIES", " 3 ")],
    );
    assert_eq!(code, 0, "{err}");
}
