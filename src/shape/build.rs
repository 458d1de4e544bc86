//! Building JSON for results and request bodies.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Inserts `value` under `key` when it is not null.
pub fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        map.insert(key.to_string(), value);
    }
}

/// A JSON object from pairs, every one kept (nulls too), in the order given. The values move in
/// whole; `json!` would copy each through a serializer on its way in.
pub fn object<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut m = Map::with_capacity(N);
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// A JSON object from pairs, leaving out nulls.
pub fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        put(&mut m, k, v);
    }
    Value::Object(m)
}

/// Serialises a value to JSON; serialising the project's own input types cannot fail, but a
/// failure still becomes an error rather than a panic.
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v)
        .map_err(|e| ApiError::Other(format!("could not encode the request: {e}")))
}

/// `a` as a JSON body, less the member that went into the path.
pub fn body_without<T: serde::Serialize>(a: &T, key: &str) -> Result<Value, ApiError> {
    let mut v = to_json(a)?;
    if let Value::Object(m) = &mut v {
        m.remove(key);
    }
    Ok(v)
}

/// For `#[serde(skip_serializing_if = "crate::shape::not_sent")]` on an input member that never
/// goes in the body (it fills the path, or is merged into another member). Unlike
/// `skip_serializing`, it leaves the tool's schema as it is (no `writeOnly`).
pub fn not_sent<T>(_: &T) -> bool {
    true
}
