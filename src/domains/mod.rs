//! The one table of domains, in the reference's order. Each module declares its tools.

use crate::registry::Domain;

pub mod analytics;
pub mod audit;
pub mod collections;
pub mod common;
pub mod configs;
pub mod deployments;
pub mod guardrails;
pub mod integrations;
pub mod keys;
pub mod labels;
pub mod limits;
pub mod logging;
pub mod mcp_integrations;
pub mod mcp_servers;
pub mod partials;
pub mod prompts;
pub mod providers;
pub mod secret_references;
pub mod tracing;
pub mod users;
pub mod workspaces;

/// Every domain, in order: (name, declaration).
pub const DOMAINS: &[Domain] = &[
    ("users", users::tools),
    ("workspaces", workspaces::tools),
    ("configs", configs::tools),
    ("deployments", deployments::tools),
    ("keys", keys::tools),
    ("collections", collections::tools),
    ("prompts", prompts::tools),
    ("analytics", analytics::tools),
    ("guardrails", guardrails::tools),
    ("limits", limits::tools),
    ("audit", audit::tools),
    ("labels", labels::tools),
    ("partials", partials::tools),
    ("tracing", tracing::tools),
    ("logging", logging::tools),
    ("providers", providers::tools),
    ("secret-references", secret_references::tools),
    ("integrations", integrations::tools),
    ("mcp-integrations", mcp_integrations::tools),
    ("mcp-servers", mcp_servers::tools),
];

/// The cheap read that tells whether a key can use a domain: a tool and its arguments, given
/// the current time as `YYYY-MM-DDTHH:MM:SSZ` and the same an hour earlier. An id that cannot
/// exist (`doctor-probe`) is fine: a 404 still proves access. `None`: the domain only writes.
pub fn probe(domain: &str, now: &str, hour_ago: &str) -> Option<(&'static str, serde_json::Value)> {
    use serde_json::json;
    // A slug that names no workspace: Portkey answers 400/404 to a key that may read analytics
    // (the doctor drops it when a workspace pin fills the real one).
    let window = json!({"time_of_generation_min": hour_ago, "time_of_generation_max": now, "workspace_slug": "doctor-probe"});
    Some(match domain {
        "users" => ("list_all_users", json!({})),
        "workspaces" => ("list_workspaces", json!({})),
        "configs" => ("list_configs", json!({})),
        "deployments" => ("list_deployments", json!({})),
        "keys" => ("list_api_keys", json!({})),
        "collections" => ("get_collection", json!({"collection_id": "doctor-probe"})),
        "prompts" => ("list_prompts", json!({})),
        "analytics" => ("get_request_analytics", window),
        "guardrails" => ("list_guardrails", json!({})),
        "limits" => ("list_rate_limits", json!({})),
        "audit" => (
            "list_audit_logs",
            json!({"organisation_id": "doctor-probe", "start_time": hour_ago, "end_time": now}),
        ),
        "labels" => ("list_prompt_labels", json!({})),
        "partials" => ("list_prompt_partials", json!({})),
        "logging" => ("get_log", json!({"log_id": "doctor-probe"})),
        "providers" => ("list_providers", json!({})),
        "secret-references" => ("list_secret_references", json!({})),
        "integrations" => ("list_integrations", json!({})),
        "mcp-integrations" => ("list_mcp_integrations", json!({})),
        "mcp-servers" => ("list_mcp_servers", json!({})),
        _ => return None,
    })
}
