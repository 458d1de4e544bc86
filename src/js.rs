//! JavaScript's number and JSON conventions, in one place. The reference server is JavaScript:
//! where Portkey stores or compares what it wrote (query strings, template text, version
//! messages, integer fields), this server writes numbers the way JavaScript does, not the way
//! serde_json does (`1`, not `1.0`; `1e+21`, not `1e21`).

use serde_json::{Number, Value};

/// The largest magnitude below which every whole f64 is exactly an i64 (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

/// `f` as an integer when it is whole and exactly representable, as JavaScript prints it.
fn whole_part(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < EXACT).then_some(f as i64)
}

/// A number as JavaScript's `String(n)` writes it, for the values tools take.
pub fn number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) => match whole_part(f) {
            Some(i) => i.to_string(),
            None => format!("{f}"),
        },
        None => n.to_string(),
    }
}

/// A number as JavaScript's `JSON.stringify` writes it: like [`number`], with exponents for
/// very large and very small values (`1e+21`, `1e-7`).
fn json_number(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f != 0.0 && (f.abs() >= 1e21 || f.abs() < 1e-6) => {
            let s = format!("{f:e}");
            match s.split_once('e') {
                Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
                _ => s,
            }
        }
        _ => number(n),
    }
}

/// JSON text as JavaScript's `JSON.stringify` writes it (compact; numbers as [`json_number`]).
pub fn stringify(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => out.push_str(&json_number(n)),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(x, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Deep equality with numbers compared by value (`1` equals `1.0`), as Node's
/// `isDeepStrictEqual` sees parsed JSON.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| deep_equal(p, q)))
        }
        _ => a == b,
    }
}

/// JavaScript truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A number as a JSON value the way JavaScript writes it: a whole value as an integer.
pub fn whole_number(f: f64) -> Value {
    match whole_part(f) {
        Some(i) => Value::from(i),
        None => Value::from(f),
    }
}

/// Serializes a number as JavaScript does in JSON: a whole value without a fraction, as fields
/// the spec types `integer` need. Use with `#[serde(serialize_with = "crate::js::whole")]`.
pub fn whole<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    match whole_part(*x) {
        Some(i) => s.serialize_i64(i),
        None => s.serialize_f64(*x),
    }
}

/// A number a wire struct sends as JavaScript writes it in JSON ([`whole`]): wire structs hold
/// `Whole` (or `Option<Whole>` with `skip_serializing_if`) instead of naming the serializer on
/// every member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Whole(pub f64);

impl serde::Serialize for Whole {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        whole(&self.0, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(x: f64) -> Number {
        Number::from_f64(x).unwrap()
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        assert_eq!(number(&f(1.0)), "1");
        assert_eq!(number(&f(1.5)), "1.5");
        assert_eq!(number(&Number::from(-3)), "-3");
        assert_eq!(number(&f(2e15)), "2000000000000000");
        assert_eq!(
            stringify(&json!({"a": [1.0, 1e21, 1e-7, "x"]})),
            r#"{"a":[1,1e+21,1e-7,"x"]}"#
        );
    }

    #[test]
    fn whole_values_lose_their_fraction() {
        #[derive(serde::Serialize)]
        struct W {
            #[serde(serialize_with = "whole")]
            a: f64,
        }
        assert_eq!(serde_json::to_value(W { a: 3.0 }).unwrap(), json!({"a": 3}));
        assert_eq!(
            serde_json::to_value(W { a: 0.5 }).unwrap(),
            json!({"a": 0.5})
        );
        assert_eq!(whole_number(200.0), json!(200));
        assert_eq!(whole_number(0.5), json!(0.5));
    }

    #[test]
    fn equality_and_truthiness_follow_javascript() {
        assert!(deep_equal(&json!({"a": [1]}), &json!({"a": [1.0]})));
        assert!(!deep_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        for falsy in [json!(null), json!(false), json!(0), json!("")] {
            assert!(!truthy(&falsy), "{falsy}");
        }
        for t in [json!([]), json!({}), json!("0"), json!(-1)] {
            assert!(truthy(&t), "{t}");
        }
    }
}
