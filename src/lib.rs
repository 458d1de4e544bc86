//! portkey-admin-mcp: the Portkey Admin API as MCP tools.
#![deny(clippy::print_stdout)]

pub mod client;
pub mod config;
pub mod discover;
pub mod doctor;
pub mod domains;
pub mod envelope;
pub mod error;
pub mod http;
pub mod journal;
pub mod js;
pub mod memory;
pub mod netguard;
pub mod pin;
pub mod pipeline;
pub mod redact;
pub mod registry;
pub mod schema;
pub mod scrub;
pub mod server;
pub mod shape;
pub mod stdio;
pub mod upstream;

use std::sync::Arc;

use config::Config;
use registry::{Registry, Selection};

/// The tool selection a configuration asks for.
pub fn selection(config: &Config) -> Selection {
    Selection {
        domains: config.domains.clone(),
        tools: config.tools.clone(),
        exclude: config.exclude_tools.clone(),
        read_only: config.read_only,
        workspace_pin: config.workspace_id.clone(),
        unavailable: Default::default(),
    }
}

/// Builds the registry a configuration selects; unknown tool names are an error.
pub fn build_registry(config: &Config) -> Result<Registry, String> {
    Registry::build(domains::DOMAINS, &selection(config))
}

/// Builds the whole server for a configuration.
pub fn build_server(config: &Config) -> Result<server::PortkeyServer, String> {
    build_server_without(config, Default::default())
}

/// Builds the server leaving out `unavailable` tools (name -> why).
pub fn build_server_without(
    config: &Config,
    unavailable: std::collections::HashMap<String, String>,
) -> Result<server::PortkeyServer, String> {
    let client = Arc::new(client::PortkeyClient::new(config)?);
    let mut sel = selection(config);
    sel.unavailable = unavailable;
    let registry = Arc::new(Registry::build(domains::DOMAINS, &sel)?);
    server::PortkeyServer::new(registry, client, config)
}

/// A server with every tool enabled, for the scope doctor (the configured key, base URL and pin
/// still apply; nothing is confirmed, journalled or budgeted).
fn doctor_server(config: &Config) -> Result<server::PortkeyServer, String> {
    let mut all = config.clone();
    all.domains.clear();
    all.tools.clear();
    all.exclude_tools.clear();
    all.read_only = false;
    all.confirm_destructive = false;
    all.audit_log = None;
    all.max_writes_per_minute = 0;
    build_server(&all)
}

/// Runs the scope doctor over every domain.
pub async fn diagnose(config: &Config) -> Result<Vec<doctor::Report>, String> {
    let server = doctor_server(config)?;
    Ok(doctor::run(&server, &domain_names()).await)
}

/// The tools to hide under `PORTKEY_HIDE_UNAVAILABLE`, from a doctor run. The doctor's own table
/// (every tool) maps areas to tools; the served registry keeps only those it would expose.
pub async fn unavailable_tools(
    config: &Config,
) -> Result<std::collections::HashMap<String, String>, String> {
    let server = doctor_server(config)?;
    let reports = doctor::run(&server, &domain_names()).await;
    Ok(doctor::unavailable(&reports, server.registry())
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect())
}

/// The names of every domain, in order.
pub fn domain_names() -> Vec<&'static str> {
    registry::domain_names(domains::DOMAINS)
}

/// The catalog as text, grouped by domain.
pub fn catalog_text(registry: &Registry) -> String {
    let mut out = String::new();
    let mut current = "";
    for t in registry.tools() {
        if t.domain != current {
            current = t.domain;
            let n = registry
                .tools()
                .iter()
                .filter(|x| x.domain == current)
                .count();
            out.push_str(&format!("\n{current} ({n})\n"));
        }
        let h = t.hints();
        let mut flags = Vec::new();
        if h.read_only {
            flags.push("read-only");
        }
        if h.destructive {
            flags.push("destructive");
        }
        if t.gated {
            flags.push("enterprise");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(", "))
        };
        out.push_str(&format!("  {}{flags}\n      {}\n", t.name, t.description));
    }
    out.push_str(&format!("\n{} tools\n", registry.tools().len()));
    out
}

/// The catalog as JSON: domains, each with its tools.
pub fn catalog_json(registry: &Registry) -> String {
    let mut domains: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for t in registry.tools() {
        let h = t.hints();
        let entry = serde_json::json!({
            "name": t.name,
            "description": t.full_description(),
            "read_only": h.read_only,
            "destructive": h.destructive,
            "idempotent": h.idempotent,
            "enterprise_gated": t.gated,
            "endpoints": t.endpoints,
        });
        match domains.last_mut() {
            Some((d, list)) if d == t.domain => list.push(entry),
            _ => domains.push((t.domain.to_string(), vec![entry])),
        }
    }
    let value = serde_json::json!({
        "tool_count": registry.tools().len(),
        "domains": domains.into_iter().map(|(d, tools)| serde_json::json!({"domain": d, "tools": tools})).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// ENDPOINTS.md: every tool with the method and path it calls, by domain.
pub fn endpoints_markdown(registry: &Registry) -> String {
    let mut out = String::from(
        "# Endpoints\n\nEvery tool and the Portkey Admin API requests it sends. Paths are relative to `PORTKEY_BASE_URL`\n(default `https://api.portkey.ai/v1`); `{v2}` marks the same base with `/v1` replaced by `/v2`, `{public}` the\nkey-less public catalog (`PORTKEY_PUBLIC_BASE_URL`). Generated from the registry; a test keeps it true.\n",
    );
    let mut current = "";
    for t in registry.tools() {
        if t.domain != current {
            current = t.domain;
            out.push_str(&format!(
                "\n## {current}\n\n| tool | requests |\n| --- | --- |\n"
            ));
        }
        let eps: Vec<String> = if t.endpoints.is_empty() {
            vec!["(local only, sends nothing)".to_string()]
        } else {
            t.endpoints.iter().map(|e| format!("`{e}`")).collect()
        };
        out.push_str(&format!("| `{}` | {} |\n", t.name, eps.join("<br>")));
    }
    out.push_str(SPEC_GAPS);
    out
}

/// Where Portkey's published OpenAPI description and the requests above part ways. Kept beside
/// the generated tables so a reader of ENDPOINTS.md sees it; `scripts/prism-check.sh` measures it.
const SPEC_GAPS: &str = "
## Where Portkey's OpenAPI description differs

Requests are checked against Portkey's official OpenAPI description by `scripts/prism-check.sh`
(Stoplight Prism, run by `.ci/run` when Node is installed). Where a request recorded from the
TypeScript reference would be rejected by the description, this server follows the description; each
such change is listed, with the operation it cites, in `tests/fixtures/deviations.json`.

The description has no path at all for these 16 tools, so they keep the reference's requests, which
Portkey's API serves:

- the five deployment tools (`{v2} /deployments`, `{v2} /deployments/{id}`);
- `list_scim_groups` (`{v2} /scim/groups`);
- `get_organisation_defaults`, `update_organisation_defaults` (`{v2} /admin/organisation/defaults`);
- `get_analytics_group_providers` (`/analytics/groups/provider`);
- `list_guardrail_mcp_servers`, `replace_guardrail_mcp_servers`, `upsert_guardrail_mcp_server`
  (`/guardrails/{guardrail_id}/mcp-servers...`);
- the four `list_`/`update_{input,output}_guardrail_workspace_exclusions` tools
  (`/workspace-exclusions/{input,output}-guardrails`).

Some of the description's own examples do not match its schemas; where an answer shaped like such an
example reaches a tool, the tool reads both the documented shape and the generic one.
";
