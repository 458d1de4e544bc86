//! Small helpers the domain modules use to shape Portkey's answers into tool results.

use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// The items of a list answer: `data`, or the answer itself when it is an array.
pub fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(m) => match m.get("data") {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// `total` of a list answer, falling back to the number of items.
pub fn total(v: &Value) -> Value {
    match v.get("total") {
        Some(t) if !t.is_null() => t.clone(),
        _ => json!(items(v).len()),
    }
}

/// Copies the named members of `v` that are present and not null, in the order given.
pub fn pick(v: &Value, keys: &[&str]) -> Value {
    let mut out = Map::new();
    for k in keys {
        if let Some(x) = v.get(*k)
            && !x.is_null()
        {
            out.insert((*k).to_string(), x.clone());
        }
    }
    Value::Object(out)
}

/// A list result: `{total, <key>: [picked items], has_more?}`.
pub fn list(v: &Value, key: &str, fields: &[&str]) -> Value {
    let rows: Vec<Value> = items(v).iter().map(|i| pick(i, fields)).collect();
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

/// Inserts `value` under `key` when it is not null.
pub fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        map.insert(key.to_string(), value);
    }
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

/// Writes a number as JavaScript does in JSON: a whole value without a fraction (`1`, not
/// `1.0`), as fields the spec types `integer` need. Use with `#[serde(serialize_with = ...)]`.
pub fn whole<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

/// [`whole`] for an optional member (pair it with `skip_serializing_if = "Option::is_none"`).
pub fn whole_opt<S: serde::Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(f) => whole(f, s),
        None => s.serialize_none(),
    }
}

/// For `Option<Option<T>>` fields: an absent member stays `None`, an explicit `null` becomes
/// `Some(None)`, so a given null reaches Portkey as null (it clears the value there).
/// Use with `#[serde(default, deserialize_with = "crate::shape::nullable")]`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn now_iso() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let whole = iso_of_secs(now.as_secs());
    format!(
        "{}.{:03}Z",
        whole.trim_end_matches('Z'),
        now.subsec_millis()
    )
}

/// A Unix time in seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn iso_of_secs(secs: u64) -> String {
    let secs = secs as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` with real calendar dates.
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        s.get(from..from + len)?.parse().ok()
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return false;
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if d == 0 || d > days || h > 23 || mi > 59 || sec > 59 {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && at(i + 3, b':')
                && num(i + 1, 2).is_some_and(|x| x <= 23)
                && num(i + 4, 2).is_some_and(|x| x <= 59)
        }
        _ => false,
    }
}

/// `a` as a JSON body, less the member that went into the path.
pub fn body_without<T: serde::Serialize>(a: &T, key: &str) -> Result<Value, ApiError> {
    let mut v = to_json(a)?;
    if let Value::Object(m) = &mut v {
        m.remove(key);
    }
    Ok(v)
}

/// An id or name that must not be blank (spaces only counts as blank).
pub fn nonblank(field: &str, s: &str) -> Result<(), ApiError> {
    if s.trim().is_empty() {
        Err(crate::registry::bad(format!("`{field}` must not be blank")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_need_seconds_a_zone_and_a_real_date() {
        for ok in [
            "2027-01-01T00:00:00Z",
            "2024-02-29T23:59:59.123+05:30",
            "2026-12-31T10:00:00-08:00",
        ] {
            assert!(is_datetime(ok), "{ok}");
        }
        for bad in [
            "2027-01-01",
            "2027-01-01T00:00Z",
            "2027-01-01T00:00:00",
            "2023-02-29T00:00:00Z",
            "2027-13-01T00:00:00Z",
            "2027-01-01T24:00:00Z",
            "2027-01-01T00:00:00.Z",
            "2027-01-01T00:00:00+0530",
        ] {
            assert!(!is_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn body_without_drops_the_path_member_and_nonblank_refuses_spaces() {
        let body = body_without(&json!({"id": "x", "name": "n"}), "id").unwrap();
        assert_eq!(body, json!({"name": "n"}));
        assert!(nonblank("id", "  ").is_err());
        assert!(nonblank("id", "a").is_ok());
    }
}
