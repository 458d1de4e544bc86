//! Reading list answers: their items, their total, and the members a row keeps.

use serde_json::{Map, Value};

/// The items of a list answer: `data`, or the answer itself when it is an array.
pub fn item_slice(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        Value::Object(m) => match m.get("data") {
            Some(Value::Array(a)) => a,
            _ => &[],
        },
        _ => &[],
    }
}

/// The items of a list answer, copied (for a caller that keeps them whole).
pub fn items(v: &Value) -> Vec<Value> {
    item_slice(v).to_vec()
}

/// `total` of a list answer, falling back to the number of items.
pub fn total(v: &Value) -> Value {
    match v.get("total") {
        Some(t) if !t.is_null() => t.clone(),
        _ => Value::from(item_slice(v).len()),
    }
}

/// Copies the named members of `v` that are present and not null, in the order given.
pub fn pick(v: &Value, keys: &[&str]) -> Value {
    let mut out = Map::new();
    let Some(from) = v.as_object() else {
        return Value::Object(out);
    };
    for k in keys {
        if let Some(x) = crate::schema::member(from, k)
            && !x.is_null()
        {
            out.insert((*k).to_string(), x.clone());
        }
    }
    Value::Object(out)
}

/// A list result: `{total, <key>: [picked items], has_more?}`.
pub fn list(v: &Value, key: &str, fields: &[&str]) -> Value {
    let rows: Vec<Value> = item_slice(v).iter().map(|i| pick(i, fields)).collect();
    let mut out = Map::new();
    out.insert("total".into(), total(v));
    out.insert(key.into(), Value::Array(rows));
    if let Some(h) = v.get("has_more").filter(|h| !h.is_null()) {
        out.insert("has_more".into(), h.clone());
    }
    Value::Object(out)
}

/// A field that Portkey documents as an object but sometimes sends as a JSON string: both accepted.
pub fn json_field(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        Some(other) => other.clone(),
        None => Value::Null,
    }
}
