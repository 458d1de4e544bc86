//! Portkey's prompt answers shaped into tool results, and the billing-metadata check.

use serde_json::{Map, Value, json};

use super::super::common::field;
use super::inputs::ListPrompts;
use crate::error::ApiError;
use crate::js;
use crate::shape;

/// A stored template as text: a string as is, `{string: ..}` unwrapped, anything else as JSON.
pub(super) fn template_of(t: Option<&Value>) -> String {
    let inner = match t {
        Some(Value::Object(m)) if m.contains_key("string") => m.get("string"),
        other => other,
    };
    match inner {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => js::stringify(other),
    }
}

/// Versions from a versions answer: a bare array or `{data: [...]}`.
pub(super) fn versions_of(v: &Value) -> Vec<Value> {
    shape::items(v)
}

pub(super) const PROMPT_ROW: &[&str] = &[
    "id",
    "name",
    "slug",
    "collection_id",
    "model",
    "status",
    "created_at",
    "last_updated_at",
];

pub(super) fn shape_list(v: &Value, a: &ListPrompts) -> Value {
    let rows = shape::items(v);
    let paginated = a.page.current_page.is_some();
    let page = a.page.current_page.unwrap_or(0);
    let returned = rows.len() as u64;
    let size = a.page.page_size.unwrap_or(returned);
    let next = (page + 1) * size;
    let total = v.get("total").and_then(Value::as_f64);
    let has_more = paginated && returned > 0 && total.is_some_and(|t| (next as f64) < t);
    json!({
        "total": shape::total(v),
        "current_page": page,
        "page_size": size,
        "returned_count": returned,
        "has_more": has_more,
        "next_offset": if has_more { json!(next) } else { Value::Null },
        "next_page": if has_more { json!(page + 1) } else { Value::Null },
        "prompts": rows.iter().map(|r| shape::pick(r, PROMPT_ROW)).collect::<Vec<_>>(),
    })
}

pub(super) fn shape_prompt(p: &Value, versions: &Value) -> Value {
    let current = if p.get("prompt_version_id").is_some_and(js::truthy) {
        let template = template_of(p.get("string"));
        let chat = template.trim_start().starts_with('[')
            && serde_json::from_str::<Value>(template.trim())
                .ok()
                .and_then(|x| x.get(0).and_then(|m| m.get("role")).map(js::truthy))
                .unwrap_or(false);
        let count = |k: &str| {
            p.get(k)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        let mut c = shape::obj(vec![
            ("id", field(p, "prompt_version_id")),
            (
                "version_number",
                p.get("prompt_version").cloned().unwrap_or(json!(0)),
            ),
            ("description", field(p, "prompt_version_description")),
            ("model", field(p, "model")),
            (
                "template_format",
                json!(if chat {
                    "chat messages (JSON array)"
                } else {
                    "plain string"
                }),
            ),
            ("template", json!(template)),
            (
                "parameters",
                p.get("parameters").cloned().unwrap_or(json!({})),
            ),
            ("metadata", shape::json_field(p.get("template_metadata"))),
            ("has_tools", json!(count("tools"))),
            ("has_functions", json!(count("functions"))),
        ]);
        if let (Value::Object(m), Some(raw)) = (&mut c, p.get("is_raw_template")) {
            m.insert("is_raw_template".into(), json!(js::truthy(raw)));
        }
        c
    } else {
        Value::Null
    };
    let rows: Vec<Value> = versions_of(versions).iter().map(version_row).collect();
    let mut out = shape::pick(
        p,
        &[
            "id",
            "name",
            "slug",
            "collection_id",
            "created_at",
            "last_updated_at",
        ],
    );
    if let Value::Object(m) = &mut out {
        m.insert("current_version".into(), current);
        m.insert("version_count".into(), json!(rows.len()));
        m.insert("versions".into(), Value::Array(rows));
    }
    out
}

pub(super) fn version_row(v: &Value) -> Value {
    let mut row = shape::obj(vec![
        ("id", field(v, "id")),
        ("version_number", field(v, "prompt_version")),
        ("description", field(v, "prompt_description")),
        ("created_at", field(v, "created_at")),
    ]);
    if let (Value::Object(m), Some(raw)) = (&mut row, v.get("is_raw_template")) {
        m.insert("is_raw_template".into(), json!(js::truthy(raw)));
    }
    row
}

pub(super) fn shape_versions(prompt_id: &str, v: &Value) -> Result<Value, ApiError> {
    let mut rows = Vec::new();
    for ver in versions_of(v) {
        let Some(tmpl) = ver.get("prompt_template") else {
            shape::need(&ver, "prompt_template")?;
            continue;
        };
        let text = match tmpl {
            Value::String(s) => s.clone(),
            Value::Object(m) if m.contains_key("string") => template_of(Some(tmpl)),
            other => js::stringify(other),
        };
        let mut preview: String = text.chars().take(200).collect();
        if text.chars().count() > 200 {
            preview.push_str("...");
        }
        rows.push(shape::obj(vec![
            ("id", field(&ver, "id")),
            ("version_number", field(&ver, "prompt_version")),
            ("description", field(&ver, "prompt_description")),
            ("status", field(&ver, "status")),
            ("label_id", field(&ver, "label_id")),
            ("created_at", field(&ver, "created_at")),
            ("template_preview", json!(preview)),
        ]));
    }
    Ok(shape::object([
        ("prompt_id", Value::from(prompt_id)),
        ("total_versions", Value::from(rows.len())),
        ("versions", Value::Array(rows)),
    ]))
}

pub(super) fn shape_version(v: &Value) -> Value {
    let names = |key: &str, inner: Option<&str>| -> Value {
        let list = v
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Value::Array(
            list.iter()
                .map(|x| {
                    let holder = inner.and_then(|i| x.get(i)).unwrap_or(x);
                    field(holder, "name")
                })
                .collect(),
        )
    };
    json!({
        "prompt": shape::pick(v, &["id", "name", "slug", "collection_id", "workspace_id"]),
        "version": shape::obj(vec![
            ("id", field(v, "prompt_version_id")),
            ("number", field(v, "prompt_version")),
            ("description", field(v, "prompt_version_description")),
            ("status", field(v, "prompt_version_status")),
            ("label_id", field(v, "prompt_version_label_id")),
            ("model", field(v, "model")),
            ("virtual_key", field(v, "virtual_key")),
            ("template", json!(template_of(v.get("string")))),
            ("parameters", field(v, "parameters")),
            ("metadata", shape::json_field(v.get("template_metadata"))),
            ("function_names", names("functions", None)),
            ("tool_names", names("tools", Some("function"))),
            ("tool_choice", field(v, "tool_choice")),
            ("created_at", field(v, "created_at")),
            ("last_updated_at", field(v, "last_updated_at")),
        ]),
    })
}

/// Members of a rendered request that are not hyperparameters.
pub(super) const RENDER_BODY: &[&str] = &[
    "messages",
    "prompt",
    "model",
    "tools",
    "tool_choice",
    "functions",
    "function_call",
];

/// The rendered request: chat `messages` or a text-completion `prompt`, the model, tools, and
/// every other member as a hyperparameter.
pub(super) fn shape_render(v: &Value) -> Result<Value, ApiError> {
    let d = shape::need(v, "data")?;
    let hyper: Map<String, Value> = d
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, x)| !RENDER_BODY.contains(&k.as_str()) && !x.is_null())
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(shape::obj(vec![
        ("success", field(v, "success")),
        ("rendered_messages", field(d, "messages")),
        ("rendered_prompt", field(d, "prompt")),
        ("model", field(d, "model")),
        ("tools", field(d, "tools")),
        ("tool_choice", field(d, "tool_choice")),
        ("functions", field(d, "functions")),
        ("function_call", field(d, "function_call")),
        ("hyperparameters", Value::Object(hyper)),
    ]))
}

/// The completion inside an answer: the spec's `{status, headers, body: {...}}`, or the
/// completion itself as older answers send it.
pub(super) fn completion_of(v: &Value) -> &Value {
    match v.get("body") {
        Some(b @ Value::Object(_)) if b.get("choices").is_some() => b,
        _ => v,
    }
}

/// The first choice's text (chat `message.content` or text-completion `text`), finish reason,
/// tool calls and usage. An answer with no `choices` in either shape is passed on under `raw`:
/// the run has happened (and is billed), so an error would invite a second run.
pub(super) fn shape_completion(v: &Value) -> Value {
    let c = completion_of(v);
    let choice = c.get("choices").and_then(|x| x.get(0));
    let message = choice.and_then(|x| x.get("message"));
    let response = match (message, choice) {
        (Some(m), _) => field(m, "content"),
        (None, Some(ch)) => field(ch, "text"),
        (None, None) => Value::Null,
    };
    let usage = match c.get("usage") {
        Some(u @ Value::Object(_)) => shape::pick(
            u,
            &[
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "completion_tokens_details",
                "prompt_tokens_details",
            ],
        ),
        _ => Value::Null,
    };
    let mut out = shape::pick(c, &["id", "model"]);
    if let Value::Object(m) = &mut out {
        m.insert("response".into(), response);
        m.insert(
            "finish_reason".into(),
            choice
                .map(|x| field(x, "finish_reason"))
                .unwrap_or(Value::Null),
        );
        if let Some(msg) = message {
            for k in ["tool_calls", "function_call"] {
                shape::put(m, k, field(msg, k));
            }
        }
        m.insert("usage".into(), usage);
        if choice.is_none() {
            m.insert("raw".into(), v.clone());
        }
    }
    out
}

/// Errors and warnings for billing metadata, as run_prompt_completion requires it.
pub(super) fn billing_problems(
    client_id: Option<&str>,
    app: Option<&str>,
    env: Option<&str>,
    project: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let mut errors = Vec::new();
    for (name, v) in [("client_id", client_id), ("app", app), ("env", env)] {
        if v.is_none_or(str::is_empty) {
            errors.push(format!("Missing required field: {name}"));
        }
    }
    let mut warnings = Vec::new();
    if project.is_none_or(str::is_empty) {
        warnings.push(
            "Missing recommended field: project_id (helps with billing attribution)".to_string(),
        );
    }
    (errors, warnings)
}
