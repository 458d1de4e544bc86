//! The `{ok, data, error}` envelope every tool result is wrapped in, and its output schema.

use serde_json::{Map, Value, json};

use crate::error::{ApiError, strip_nulls};

/// A success envelope. A body-less answer (HTTP 204) becomes `{"success": true}`.
pub fn success(data: Value) -> Value {
    let data = match data {
        Value::Null => json!({"success": true}),
        other => other,
    };
    json!({"ok": true, "data": data})
}

/// A failure envelope: the message a model can act on, and machine-readable details.
pub fn failure(error: &ApiError) -> Value {
    let mut e = Map::new();
    e.insert("message".into(), Value::String(error.to_string()));
    if let ApiError::Status {
        retry_after_seconds: Some(secs),
        ..
    } = error
    {
        e.insert("retry_after_seconds".into(), json!(secs));
    }
    if let Some(d) = error.details() {
        e.insert("details".into(), strip_nulls(d));
    }
    json!({"ok": false, "error": Value::Object(e)})
}

/// The output schema shared by every tool: an object (`ok`, and `data` or `error`).
pub fn output_schema() -> Map<String, Value> {
    // Kept minimal on purpose: it is repeated in every tools/list entry (181 times), and the
    // envelope's shape is stated once in the server instructions.
    let v = json!({"type": "object"});
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
