//! The secret scrubber every result, error and journal line passes through: Portkey and provider
//! keys, bearer tokens and JWTs become `[REDACTED]` wherever they appear.

use serde_json::Value;

pub const REDACTED: &str = "[REDACTED]";

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_bearer_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
}

/// Length of the secret starting at `i`, if one does.
fn secret_at(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = bytes.get(i..)?;
    let run =
        |from: usize, ok: fn(u8) -> bool| rest.iter().skip(from).take_while(|b| ok(**b)).count();
    // Prefixed keys: pk-, sk- (sk-proj-, sk-ant-): at least 16 more key characters.
    for prefix in [&b"pk-"[..], &b"sk-"[..]] {
        if rest.starts_with(prefix) {
            let n = run(prefix.len(), is_token_byte);
            if n >= 16 {
                return Some(prefix.len() + n);
            }
        }
    }
    // AWS access key ids.
    if rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA") {
        let n = rest
            .iter()
            .skip(4)
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            .count();
        if n >= 16 {
            return Some(4 + n);
        }
    }
    // JWTs: three base64url segments, the first starting eyJ.
    if rest.starts_with(b"eyJ") {
        let a = run(0, is_token_byte);
        if rest.get(a) == Some(&b'.') {
            let b = run(a + 1, is_token_byte);
            if b > 0 && rest.get(a + 1 + b) == Some(&b'.') {
                let c = run(a + 2 + b, is_token_byte);
                return Some(a + 2 + b + c);
            }
        }
    }
    None
}

/// Scrubs one string; returns `None` when nothing needed changing.
pub fn scrub_str(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut last = 0;
    let mut i = 0;
    let mut changed = false;
    while i < bytes.len() {
        let boundary = i == 0 || bytes.get(i - 1).is_none_or(|b| !is_token_byte(*b));
        if boundary {
            // "Bearer <token>" keeps the word, hides the token.
            let lower_bearer = bytes
                .get(i..i + 7)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"bearer "));
            if lower_bearer {
                let start = i + 7;
                let n = bytes
                    .iter()
                    .skip(start)
                    .take_while(|b| is_bearer_byte(**b))
                    .count();
                if n >= 8 {
                    out.push_str(s.get(last..start).unwrap_or(""));
                    out.push_str(REDACTED);
                    i = start + n;
                    last = i;
                    changed = true;
                    continue;
                }
            }
            if let Some(n) = secret_at(bytes, i) {
                out.push_str(s.get(last..i).unwrap_or(""));
                out.push_str(REDACTED);
                i += n;
                last = i;
                changed = true;
                continue;
            }
        }
        i += 1;
    }
    if !changed {
        return None;
    }
    out.push_str(s.get(last..).unwrap_or(""));
    Some(out)
}

/// Scrubs every string in a JSON value (keys included), in place.
pub fn scrub_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(clean) = scrub_str(s) {
                *s = clean;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub_value),
        Value::Object(m) => {
            let needs_key_change = m.keys().any(|k| scrub_str(k).is_some());
            if needs_key_change {
                let old = std::mem::take(m);
                for (k, mut x) in old {
                    scrub_value(&mut x);
                    m.insert(scrub_str(&k).unwrap_or(k), x);
                }
            } else {
                m.values_mut().for_each(scrub_value);
            }
        }
        _ => {}
    }
}

/// Scrubs text for a log line or message.
pub fn scrub_text(s: &str) -> String {
    scrub_str(s).unwrap_or_else(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_shapes_are_redacted() {
        let cases = [
            ("key pk-live-AbCdEf0123456789xyz end", "key [REDACTED] end"),
            ("sk-proj-abcdefghijklmnop1234", "[REDACTED]"),
            ("x sk-ant-api03-ABCDEFGHIJKLMNOPQRST y", "x [REDACTED] y"),
            ("AKIAIOSFODNN7EXAMPLE", "[REDACTED]"),
            (
                "Authorization: Bearer abc.def-ghi_jkl",
                "Authorization: Bearer [REDACTED]",
            ),
            (
                "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_1",
                "t=[REDACTED]",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(scrub_text(input), want, "{input}");
        }
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for s in [
            "task-manager-service-1234567890",
            "sk-short",
            "risk-assessment-of-the-model",
            "pk-mock",
            "Bearer x",
        ] {
            assert_eq!(scrub_str(s), None, "{s}");
        }
    }

    #[test]
    fn nested_values_and_keys() {
        let mut v = json!({"a": ["sk-abcdefghijklmnopqrstu"], "headers": {"Authorization": "Bearer abcdefghijk"}});
        scrub_value(&mut v);
        assert_eq!(
            v,
            json!({"a": ["[REDACTED]"], "headers": {"Authorization": "Bearer [REDACTED]"}})
        );
    }
}
