//! The scope doctor: one cheap read per domain, in parallel, through the same pipeline as any
//! call (nothing is written), and a verdict per domain with the fix. `portkey-admin-mcp doctor`
//! prints it; `PORTKEY_HIDE_UNAVAILABLE=true` uses it at start-up to leave out the tools the key
//! cannot use.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::registry::Registry;
use crate::server::PortkeyServer;

/// Longest a probe may take: the doctor answers within a few seconds whatever the network does.
const PROBE_LIMIT: Duration = Duration::from_secs(5);

/// What a domain's probe says about the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Usable,
    MissingScope,
    EnterpriseOnly,
    NotAllowed,
    KeyInvalid,
    Unreachable,
    NoKey,
    NotProbed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Usable => "usable",
            Verdict::MissingScope => "missing scope",
            Verdict::EnterpriseOnly => "Enterprise only",
            Verdict::NotAllowed => "not allowed",
            Verdict::KeyInvalid => "key invalid",
            Verdict::Unreachable => "unreachable",
            Verdict::NoKey => "no key",
            Verdict::NotProbed => "not probed",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            Verdict::Usable => "",
            Verdict::MissingScope => {
                "grant the key the scope for this area in Portkey (API Keys > edit scopes), or use a key that has it"
            }
            Verdict::EnterpriseOnly => {
                "this area needs an Enterprise plan or an organisation admin key; its Enterprise-gated tools will answer 403"
            }
            Verdict::NotAllowed => {
                "the key may not use this area: use an organisation admin key, or a workspace key of the right workspace"
            }
            Verdict::KeyInvalid => "check PORTKEY_API_KEY: Portkey does not accept it",
            Verdict::Unreachable => {
                "check PORTKEY_BASE_URL and the network; nothing is hidden for this"
            }
            Verdict::NoKey => "set PORTKEY_API_KEY",
            Verdict::NotProbed => "",
        }
    }
}

/// One domain's result.
#[derive(Debug, Clone)]
pub struct Report {
    pub domain: &'static str,
    pub tool: Option<&'static str>,
    pub verdict: Verdict,
    pub status: Option<u64>,
    pub detail: String,
}

impl Report {
    pub fn to_json(&self) -> Value {
        json!({
            "domain": self.domain,
            "probe": self.tool,
            "verdict": self.verdict.as_str(),
            "status": self.status,
            "detail": self.detail,
            "fix": self.verdict.fix(),
        })
    }
}

/// Reads a probe's envelope.
fn classify(envelope: &Value, gated: bool) -> (Verdict, Option<u64>, String) {
    if envelope["ok"] == json!(true) {
        return (Verdict::Usable, Some(200), String::new());
    }
    let err = &envelope["error"];
    let message = err["message"].as_str().unwrap_or("").to_string();
    let details = &err["details"];
    let status = details["status"].as_u64();
    let verdict = match (details["kind"].as_str().unwrap_or(""), status) {
        ("api_error", Some(401)) => Verdict::KeyInvalid,
        ("api_error", Some(403)) if details["code"] == json!("AB03") => Verdict::MissingScope,
        ("api_error", Some(403)) if gated => Verdict::EnterpriseOnly,
        ("api_error", Some(403)) => Verdict::NotAllowed,
        ("api_error", Some(s)) if s >= 500 => Verdict::Unreachable,
        // 400, 404, 409, 422, 429: Portkey let the key in and judged the request itself.
        ("api_error", Some(_)) => Verdict::Usable,
        ("missing_api_key", _) => Verdict::NoKey,
        ("refused" | "invalid_arguments", _) => Verdict::NotProbed,
        // Portkey answered 2xx in a shape the tool did not expect: the key got in.
        ("tool_error" | "decode" | "too_large", _) => Verdict::Usable,
        _ => Verdict::Unreachable,
    };
    (verdict, status, message)
}

/// Probes every domain of `domains` once, in parallel, through `server`.
pub async fn run(server: &PortkeyServer, domains: &[&'static str]) -> Vec<Report> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let now = crate::shape::iso_of_secs(secs);
    let hour_ago = crate::shape::iso_of_secs(secs.saturating_sub(3600));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, domain) in domains.iter().copied().enumerate() {
        let probe = crate::domains::probe(domain, &now, &hour_ago);
        let server = server.clone();
        tasks.spawn(async move {
            let Some((tool, args)) = probe else {
                return (
                    i,
                    Report {
                        domain,
                        tool: None,
                        verdict: Verdict::NotProbed,
                        status: None,
                        detail: "this area only writes; nothing is sent to probe it".into(),
                    },
                );
            };
            let gated = server.registry().get(tool).is_some_and(|d| d.gated);
            let mut args = args;
            if server.registry().workspace_pin().is_some()
                && let Some(m) = args.as_object_mut()
            {
                // The pin fills the workspace; a made-up one would be refused as another.
                m.remove("workspace_slug");
            }
            let outcome = tokio::time::timeout(PROBE_LIMIT, server.call(tool, args)).await;
            let (verdict, status, detail) = match outcome {
                Ok(Ok(env)) => classify(&env, gated),
                Ok(Err(e)) => (Verdict::NotProbed, None, e.message.to_string()),
                Err(_) => (
                    Verdict::Unreachable,
                    None,
                    format!("no answer within {} s", PROBE_LIMIT.as_secs()),
                ),
            };
            (
                i,
                Report {
                    domain,
                    tool: Some(tool),
                    verdict,
                    status,
                    detail,
                },
            )
        });
    }
    let mut out: Vec<(usize, Report)> = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(r) = done {
            out.push(r);
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// The tools to leave out, with why, for the verdicts that mean the key cannot use them.
/// A network failure hides nothing.
pub fn unavailable(reports: &[Report], registry: &Registry) -> HashMap<&'static str, String> {
    let mut out = HashMap::new();
    for r in reports {
        let hide_all = matches!(r.verdict, Verdict::MissingScope | Verdict::NotAllowed);
        let hide_gated = r.verdict == Verdict::EnterpriseOnly;
        if !hide_all && !hide_gated {
            continue;
        }
        for t in registry.tools() {
            if t.domain == r.domain && (hide_all || t.gated) {
                out.insert(
                    t.name,
                    format!(
                        "the API key cannot use the {} area ({}; run `portkey-admin-mcp doctor`)",
                        r.domain,
                        r.verdict.as_str()
                    ),
                );
            }
        }
    }
    out
}

/// The doctor's report as text, one line per domain.
pub fn text(reports: &[Report]) -> String {
    let mut out = String::from("domain             verdict          probe / fix\n");
    for r in reports {
        let what = match (r.verdict, r.tool) {
            (Verdict::Usable, Some(t)) => t.to_string(),
            (v, _) if !v.fix().is_empty() => v.fix().to_string(),
            _ => r.detail.clone(),
        };
        out.push_str(&format!(
            "{:<18} {:<16} {}\n",
            r.domain,
            r.verdict.as_str(),
            what
        ));
    }
    let usable = reports
        .iter()
        .filter(|r| r.verdict == Verdict::Usable)
        .count();
    out.push_str(&format!(
        "\n{usable} of {} areas usable with this key.\n",
        reports.len()
    ));
    out
}
