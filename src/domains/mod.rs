//! The one table of domains, in the reference's order. Each module declares its tools.

use crate::registry::Domain;

pub mod analytics;
pub mod audit;
pub mod collections;
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
