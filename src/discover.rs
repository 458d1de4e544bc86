//! Discovery mode (`PORTKEY_TOOL_MODE=discover`): instead of every tool, the client sees three:
//! one that searches the enabled tools, one that describes a tool in full, and one that calls any
//! enabled tool by name. Calls made through it take the same pipeline as direct calls (selection,
//! read-only, pin, confirmation, write budget, journal, redaction).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::registry::Registry;

pub const SEARCH: &str = "search_tools";
pub const DESCRIBE: &str = "describe_tool";
pub const CALL: &str = "call_tool";

/// Whether `name` is one of the discovery tools.
pub fn is_meta(name: &str) -> bool {
    matches!(name, SEARCH | DESCRIBE | CALL)
}

fn schema(v: Value) -> Arc<Map<String, Value>> {
    Arc::new(match v {
        Value::Object(m) => m,
        _ => Map::new(),
    })
}

/// The three tools listed in discovery mode.
pub fn tools(domains: &[&str]) -> Vec<rmcp::model::Tool> {
    use rmcp::model::{Tool, ToolAnnotations};
    let out = Arc::new(crate::envelope::output_schema());
    let read = ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false);
    vec![
        Tool::new(
            SEARCH,
            "Find Portkey admin tools by what they do. Returns up to `limit` matches, best first: name, domain, one-line summary, read_only and destructive. Then use describe_tool for a tool's parameters and call_tool to run it.",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "minLength": 1, "description": "Words for the task, e.g. \"delete workspace member\" or \"cost analytics\""},
                    "domain": {"type": "string", "enum": domains, "description": "Only tools of this domain"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 50, "description": "Most results to return (default 10)"}
                },
                "required": ["query"]
            })),
        )
        .with_raw_output_schema(out.clone())
        .with_annotations(read.clone()),
        Tool::new(
            DESCRIBE,
            "Describe one tool found with search_tools: its full description, input schema and behaviour hints. Read it before call_tool.",
            schema(json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "Tool name from search_tools"}
                },
                "required": ["name"]
            })),
        )
        .with_raw_output_schema(out.clone())
        .with_annotations(read),
        Tool::new(
            CALL,
            "Run any tool by name with its arguments (as describe_tool gives them). Returns that tool's own result. Every server control still applies: read-only, workspace pin, confirmation of destructive calls, write budget, audit journal.",
            schema(json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "Tool name from search_tools"},
                    "arguments": {"type": "object", "additionalProperties": true, "description": "The tool's arguments, matching its input schema from describe_tool"}
                },
                "required": ["name"]
            })),
        )
        .with_raw_output_schema(out)
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .idempotent(false)
                .open_world(true),
        ),
    ]
}

fn text_arg<'a>(tool: &str, args: &'a Value, key: &str) -> Result<Option<&'a str>, ApiError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::invalid(tool, format!("`{key}` must be a string"))),
    }
}

fn first_sentence(s: &str) -> &str {
    match s.find(". ") {
        Some(i) => s.get(..=i).unwrap_or(s),
        None => s,
    }
}

/// `search_tools`: the enabled tools ranked by how well they match the query.
pub fn search(registry: &Registry, args: &Value) -> Result<Value, ApiError> {
    let query = text_arg(SEARCH, args, "query")?
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ApiError::invalid(SEARCH, "`query` is required: the words of your task"))?;
    let domain = text_arg(SEARCH, args, "domain")?;
    let limit = match args.get("limit") {
        None | Some(Value::Null) => 10,
        Some(v) => v.as_u64().filter(|n| (1..=50).contains(n)).ok_or_else(|| {
            ApiError::invalid(SEARCH, "`limit` must be a whole number from 1 to 50")
        })? as usize,
    };
    let words: Vec<String> = query
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 1)
        .map(|w| w.trim_end_matches('s').to_string())
        .filter(|w| !w.is_empty())
        .collect();
    let mut scored: Vec<(u32, usize)> = Vec::new();
    for (i, t) in registry.tools().iter().enumerate() {
        if domain.is_some_and(|d| d != t.domain) {
            continue;
        }
        let name = t.name.to_ascii_lowercase();
        let desc = t.description.to_ascii_lowercase();
        let score: u32 = words
            .iter()
            .map(|w| {
                let mut s = 0;
                if name.split('_').any(|part| part.trim_end_matches('s') == w) {
                    s += 4;
                } else if name.contains(w.as_str()) {
                    s += 2;
                }
                if t.domain.contains(w.as_str()) {
                    s += 2;
                }
                if desc.contains(w.as_str()) {
                    s += 1;
                }
                s
            })
            .sum();
        if score > 0 || words.is_empty() {
            scored.push((score, i));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let total = scored.len();
    let tools: Vec<Value> = scored
        .iter()
        .take(limit)
        .filter_map(|(_, i)| registry.tools().get(*i))
        .map(|t| {
            let h = t.hints();
            json!({
                "name": t.name,
                "domain": t.domain,
                "summary": first_sentence(&t.description),
                "read_only": h.read_only,
                "destructive": h.destructive,
            })
        })
        .collect();
    Ok(crate::shape::object([
        ("total_matches", Value::from(total)),
        ("tools", Value::Array(tools)),
    ]))
}

/// `describe_tool`: one enabled tool in full.
pub fn describe(registry: &Registry, args: &Value) -> Result<Value, ApiError> {
    let name = text_arg(DESCRIBE, args, "name")?.ok_or_else(|| {
        ApiError::invalid(
            DESCRIBE,
            "`name` is required: a tool name from search_tools",
        )
    })?;
    let Some(t) = registry.get(name) else {
        return Err(unknown(registry, DESCRIBE, name));
    };
    let h = t.hints();
    Ok(json!({
        "name": t.name,
        "domain": t.domain,
        "description": t.full_description(),
        "input_schema": Value::Object((*t.input_schema()).clone()),
        "read_only": h.read_only,
        "destructive": h.destructive,
        "idempotent": h.idempotent,
    }))
}

/// The target and arguments of a `call_tool` call.
pub fn call_target(registry: &Registry, args: &Value) -> Result<(String, Value), ApiError> {
    let name = text_arg(CALL, args, "name")?.ok_or_else(|| {
        ApiError::invalid(CALL, "`name` is required: a tool name from search_tools")
    })?;
    if is_meta(name) {
        return Err(ApiError::invalid(
            CALL,
            format!("`{name}` is a discovery tool; call it directly"),
        ));
    }
    if registry.get(name).is_none() && registry.hidden_reason(name).is_none() {
        return Err(unknown(registry, CALL, name));
    }
    let arguments = match args.get("arguments") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            return Err(ApiError::invalid(
                CALL,
                "`arguments` must be an object of the tool's arguments",
            ));
        }
    };
    Ok((name.to_string(), arguments))
}

fn unknown(registry: &Registry, tool: &str, name: &str) -> ApiError {
    match registry.hidden_reason(name) {
        Some(reason) => ApiError::Refused(format!(
            "The tool `{name}` is disabled on this server because {reason}. Nothing was sent."
        )),
        None => ApiError::invalid(
            tool,
            format!("there is no tool named `{name}`; find one with search_tools"),
        ),
    }
}
