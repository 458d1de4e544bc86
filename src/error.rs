//! The one error type every layer speaks. `ApiError` values become the `error` half of the
//! envelope; none of them ever carries the API key.

use serde_json::{Map, Value, json};

/// Everything that can stop a tool call before it produces data.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Portkey answered with a non-2xx status.
    #[error("{}", status_message(*.status, .message, .code.as_deref()))]
    Status {
        status: u16,
        message: String,
        code: Option<String>,
        slug: Option<String>,
        body: Option<Value>,
        retry_after_seconds: Option<u64>,
    },
    /// Portkey answered 3xx; redirects are never followed so the key never leaves the base URL.
    #[error(
        "Portkey answered HTTP {status} with a redirect{}; redirects are not followed so the API key is only ever sent to the configured base URL. Check PORTKEY_BASE_URL.",
        location.as_deref().map(|l| format!(" to {l}")).unwrap_or_default()
    )]
    Redirect {
        status: u16,
        location: Option<String>,
    },
    /// The request could not reach Portkey (DNS, refused connection, TLS, reset).
    #[error(
        "Could not reach Portkey at {target}: {detail}. Check PORTKEY_BASE_URL and the network."
    )]
    Transport { target: String, detail: String },
    /// The call ran past its time budget.
    #[error(
        "Portkey did not answer within {ms} ms (PORTKEY_TIMEOUT_MS). Try again, narrow the request, or raise PORTKEY_TIMEOUT_MS."
    )]
    Timeout { ms: u64 },
    /// A 2xx answer whose body was not the JSON the tool needed.
    #[error("Portkey answered HTTP {status} with a body that is not valid JSON: {excerpt}")]
    Decode { status: u16, excerpt: String },
    /// A body larger than the client accepts.
    #[error(
        "Portkey answered HTTP {status} with a body over {limit} bytes; narrow the request (filters, page_size)."
    )]
    TooLarge { status: u16, limit: usize },
    /// Arguments that do not fit the tool; nothing was sent.
    #[error("Invalid arguments for \"{tool}\": {message}")]
    InvalidArguments { tool: String, message: String },
    /// A call that needs the API key while none is configured; nothing was sent.
    #[error(
        "PORTKEY_API_KEY is not set. Add it to this server's environment (for Claude Code: `claude mcp add portkey-admin -e PORTKEY_API_KEY=... -- portkey-admin-mcp`; in mcp.json: \"env\": {{\"PORTKEY_API_KEY\": \"...\"}}) and restart the server."
    )]
    MissingApiKey,
    /// A call refused by the server's own policy (read-only, workspace pin, confirmation).
    #[error("{0}")]
    Refused(String),
    /// The write budget (PORTKEY_MAX_WRITES_PER_MINUTE) is spent; nothing was sent.
    #[error(
        "This server allows {limit} calls of tools that change data per minute (PORTKEY_MAX_WRITES_PER_MINUTE) and that many were made in the last minute; nothing was sent. Wait {retry_after_seconds} s, and check with the user that this many changes are intended."
    )]
    WriteBudget {
        limit: u32,
        retry_after_seconds: u64,
    },
    /// The client cancelled the call.
    #[error(
        "The call was cancelled by the client. {}",
        if *sent { "A request had already been sent, so the change may have been made: check with the matching get_ or list_ tool before retrying." } else { "Nothing was sent." }
    )]
    Cancelled { sent: bool },
    /// Anything else the tool itself detected.
    #[error("{0}")]
    Other(String),
}

fn status_message(status: u16, message: &str, code: Option<&str>) -> String {
    let code_part = code.map(|c| format!(", code {c}")).unwrap_or_default();
    let hint = match (status, code) {
        (403, Some("AB03")) => {
            " The API key lacks a scope this tool needs: grant the missing permission to the key in Portkey (API Keys > edit scopes) or use a key that has it."
        }
        (401, _) => " Check that PORTKEY_API_KEY is a valid, active Portkey API key.",
        (403, _) => {
            " The key is not allowed to do this: check its scopes, its workspace, and whether the feature needs an Enterprise plan."
        }
        (404, _) => {
            " Nothing exists at that id or slug: list the resources first to find a valid one."
        }
        (429, _) => " Rate limited: wait and retry.",
        _ => "",
    };
    format!("Portkey API error (HTTP {status}{code_part}): {message}.{hint}")
}

impl ApiError {
    /// Shorthand for a validation failure of `tool`.
    pub fn invalid(tool: &str, message: impl Into<String>) -> Self {
        ApiError::InvalidArguments {
            tool: tool.to_string(),
            message: message.into(),
        }
    }

    /// HTTP status, when Portkey answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. }
            | ApiError::Redirect { status, .. }
            | ApiError::Decode { status, .. }
            | ApiError::TooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Machine-readable details for the envelope; only non-null fields.
    pub fn details(&self) -> Option<Value> {
        let mut d = Map::new();
        match self {
            ApiError::Status {
                status,
                code,
                slug,
                body,
                retry_after_seconds,
                ..
            } => {
                d.insert("status".into(), json!(status));
                if let Some(c) = code {
                    d.insert("code".into(), json!(c));
                }
                if let Some(s) = slug {
                    d.insert("slug".into(), json!(s));
                }
                if let Some(r) = retry_after_seconds {
                    d.insert("retry_after_seconds".into(), json!(r));
                }
                if let Some(b) = body {
                    d.insert("body".into(), strip_nulls(b.clone()));
                }
            }
            ApiError::Redirect { status, location } => {
                d.insert("status".into(), json!(status));
                if let Some(l) = location {
                    d.insert("location".into(), json!(l));
                }
            }
            ApiError::Decode { status, .. } | ApiError::TooLarge { status, .. } => {
                d.insert("status".into(), json!(status));
            }
            ApiError::Timeout { ms } => {
                d.insert("timeout_ms".into(), json!(ms));
            }
            ApiError::WriteBudget {
                limit,
                retry_after_seconds,
            } => {
                d.insert("limit_per_minute".into(), json!(limit));
                d.insert("retry_after_seconds".into(), json!(retry_after_seconds));
            }
            _ => {}
        }
        d.insert("kind".into(), json!(self.kind()));
        Some(Value::Object(d))
    }

    /// A short stable name for the error family.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::Status { .. } => "api_error",
            ApiError::Redirect { .. } => "redirect",
            ApiError::Transport { .. } => "transport",
            ApiError::Timeout { .. } => "timeout",
            ApiError::Decode { .. } => "decode",
            ApiError::TooLarge { .. } => "too_large",
            ApiError::InvalidArguments { .. } => "invalid_arguments",
            ApiError::MissingApiKey => "missing_api_key",
            ApiError::Refused(_) => "refused",
            ApiError::Cancelled { .. } => "cancelled",
            ApiError::WriteBudget { .. } => "write_budget",
            ApiError::Other(_) => "tool_error",
        }
    }
}

/// Removes `null` members recursively, so an error envelope never carries null fields.
pub fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}
