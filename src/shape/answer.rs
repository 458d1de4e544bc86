//! Reading one answer: the spec's `{success, data}` wrapper or the bare object, and the members a tool cannot do without.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A member the tool needs in Portkey's answer; its absence is an error naming it.
pub fn need<'a>(v: &'a Value, key: &str) -> Result<&'a Value, ApiError> {
    match v.get(key) {
        Some(x) if !x.is_null() => Ok(x),
        _ => Err(unexpected(key)),
    }
}

/// An array member the tool needs in Portkey's answer.
pub fn need_array<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>, ApiError> {
    v.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| unexpected(key))
}

/// An object member the tool needs in Portkey's answer.
pub fn need_object<'a>(v: &'a Value, key: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| unexpected(key))
}

fn unexpected(key: &str) -> ApiError {
    ApiError::Other(format!(
        "Portkey's answer did not have the expected shape (no `{key}`); the API may have changed or the endpoint returned something else. Nothing further was sent."
    ))
}

/// The error for an answer in neither the documented shape nor the older one; `expected` says
/// what was looked for.
pub fn unexpected_shape(expected: &str) -> ApiError {
    unexpected(expected)
}

/// The object an answer carries: `data` when Portkey wraps it as its OpenAPI documents
/// (`{success, data: {...}}`), else the answer itself (the unwrapped form some deployments send).
pub fn payload(v: &Value) -> &Value {
    match v.get("data") {
        Some(d @ Value::Object(_)) => d,
        _ => v,
    }
}

/// A member looked up in the documented `{data: {...}}` wrapper first, then at the top level;
/// null when neither has it.
pub fn member(v: &Value, key: &str) -> Value {
    payload(v)
        .get(key)
        .filter(|x| !x.is_null())
        .or_else(|| v.get(key).filter(|x| !x.is_null()))
        .cloned()
        .unwrap_or(Value::Null)
}
