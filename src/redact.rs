//! What is secret, decided in one place. A [`Redactor`] is built once per tool call from the API
//! key and the arguments the caller sent; the pipeline passes every output of that call through it
//! (the result or error envelope, log lines, journal lines). It removes, in this order:
//!
//! 1. the configured API key, wherever it appears;
//! 2. every value the caller sent in a secret-bearing field (any header value, `key`, `token`,
//!    `secret`, `password`, credential objects...), wherever Portkey echoes it back;
//! 3. strings shaped like well-known secrets (`scrub`), which catches secrets the API returns on
//!    its own.
//!
//! Field names decide secrecy only for things this server writes down itself (journal arguments)
//! and for the credential containers a domain hands to [`mask_secret_fields`]; result fields are
//! never blanked by name alone, so ids, slugs and condition keys survive a read-modify-write.

use serde_json::Value;

use crate::scrub;

pub use crate::scrub::REDACTED;

/// Shortest caller-sent secret value replaced by exact match: shorter ones ("on", "1") would
/// damage unrelated text. Journal arguments are masked by field name whatever their length.
const MIN_ECHO_LEN: usize = 8;

/// Normalises a member name for the secret checks: lower case, `-` and camelCase as `_`.
fn norm(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c == '-' || c == ' ' {
            out.push('_');
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// Whether a member name says its value is a secret. `key` alone counts unless the same object
/// pairs it with a `value` (then it is a condition or metadata key, a name, not a secret).
pub fn is_secret_name(name: &str) -> bool {
    let n = norm(name);
    if matches!(
        n.as_str(),
        "key" | "api_key" | "apikey" | "authorization" | "auth" | "passphrase" | "pwd" | "cookie"
    ) {
        return true;
    }
    if n.contains("access_key") || n.contains("secret") || n.contains("password") {
        return true;
    }
    // Paging cursors, counters and ids that merely contain the words.
    if n.contains("page_token")
        || n.ends_with("tokens")
        || n.contains("token_count")
        || n.contains("token_limit")
        || n.ends_with("_key_id")
        || n.ends_with("_key_ids")
    {
        return false;
    }
    [
        "secret",
        "token",
        "password",
        "passwd",
        "credential",
        "api_key",
        "private_key",
        "access_key",
        "secret_key",
        "service_account",
        "client_key",
        "signing_key",
        "encryption_key",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// Whether every value under this member is secret (headers, credential objects).
fn is_secret_container(name: &str) -> bool {
    let n = norm(name);
    n.contains("header") || n.contains("credential") || n == "auth_config" || n == "cookies"
}

fn key_is_secret_in(map: &serde_json::Map<String, Value>, name: &str) -> bool {
    if norm(name) == "key" && map.contains_key("value") {
        return false;
    }
    is_secret_name(name)
}

/// Replaces, in place, the scalar value of every secret-named member and everything under a
/// secret container with `[REDACTED]`. Domains use it for fields Portkey documents as holding
/// credentials (provider configurations, auth configs); the journal uses it on arguments.
pub fn mask_secret_fields(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let secret_keys: Vec<String> = m
                .keys()
                .filter(|k| key_is_secret_in(m, k))
                .cloned()
                .collect();
            for (k, x) in m.iter_mut() {
                if is_secret_container(k) || secret_keys.contains(k) {
                    mask_all(x);
                } else {
                    mask_secret_fields(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_secret_fields),
        _ => {}
    }
}

/// Every scalar under `v` becomes `[REDACTED]` (nulls and booleans are kept: they carry no secret).
fn mask_all(v: &mut Value) {
    match v {
        Value::String(s) if !s.is_empty() => *s = REDACTED.to_string(),
        Value::Number(_) => *v = Value::String(REDACTED.into()),
        Value::Object(m) => m.values_mut().for_each(mask_all),
        Value::Array(a) => a.iter_mut().for_each(mask_all),
        _ => {}
    }
}

/// Collects the string values the caller sent in secret-bearing fields.
fn collect_sent(v: &Value, under_secret: bool, out: &mut Vec<String>) {
    match v {
        Value::String(s) if under_secret => {
            let t = s.trim();
            if t.chars().count() >= MIN_ECHO_LEN {
                out.push(t.to_string());
                // A header value such as "Bearer <token>" or "Basic <b64>": the credential part
                // alone may come back too.
                if let Some((_, rest)) = t.split_once(char::is_whitespace) {
                    let rest = rest.trim();
                    if rest.chars().count() >= MIN_ECHO_LEN {
                        out.push(rest.to_string());
                    }
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_sent(x, under_secret, out)),
        Value::Object(m) => {
            for (k, x) in m {
                let secret = under_secret || is_secret_container(k) || key_is_secret_in(m, k);
                collect_sent(x, secret, out);
            }
        }
        _ => {}
    }
}

/// One call's redaction: the key, the secrets the caller sent, and the secret shapes.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Exact values to remove, longest first so a longer secret is not half-replaced.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for one call with `args` under a server holding `api_key`.
    pub fn new(api_key: Option<&str>, args: &Value) -> Redactor {
        let mut secrets = Vec::new();
        if let Some(k) = api_key.map(str::trim).filter(|k| !k.is_empty()) {
            secrets.push(k.to_string());
        }
        collect_sent(args, false, &mut secrets);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// A redactor that knows only the API key (start-up messages, the CLI).
    pub fn for_key(api_key: Option<&str>) -> Redactor {
        Redactor::new(api_key, &Value::Null)
    }

    /// Text with every known secret and secret shape replaced.
    pub fn text(&self, s: &str) -> String {
        self.redacted(s).unwrap_or_else(|| s.to_string())
    }

    /// `s` with every known secret and secret shape replaced, or `None` when it holds none: one
    /// scan, and no allocation for the common clean string.
    fn redacted(&self, s: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for secret in &self.secrets {
            let cur = out.as_deref().unwrap_or(s);
            // Most strings are shorter than a key: no searcher is set up for them.
            if cur.len() >= secret.len() && cur.contains(secret.as_str()) {
                out = Some(cur.replace(secret.as_str(), REDACTED));
            }
        }
        let cur = out.as_deref().unwrap_or(s);
        scrub::scrub_str(cur).or(out)
    }

    /// Redacts every string (and member name) of a JSON value in place.
    pub fn value(&self, v: &mut Value) {
        match v {
            Value::String(s) => {
                if let Some(clean) = self.redacted(s) {
                    *s = clean;
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.value(x)),
            Value::Object(m) => {
                if m.keys().any(|k| self.redacted(k).is_some()) {
                    let old = std::mem::take(m);
                    for (k, mut x) in old {
                        self.value(&mut x);
                        let k = self.redacted(&k).unwrap_or(k);
                        m.insert(k, x);
                    }
                } else {
                    m.values_mut().for_each(|x| self.value(x));
                }
            }
            _ => {}
        }
    }

    /// A tool's envelope. `keep_new_secret` spares `data.key` / `data.api_key` of a tool whose
    /// purpose is to hand the user a new key; everything else is still redacted.
    pub fn envelope(&self, env: &mut Value, keep_new_secret: bool) {
        let kept: Vec<(String, Value)> = if keep_new_secret {
            match env.get_mut("data").and_then(Value::as_object_mut) {
                Some(data) => ["key", "api_key"]
                    .iter()
                    .filter_map(|k| data.remove(*k).map(|v| ((*k).to_string(), v)))
                    .collect(),
                None => Vec::new(),
            }
        } else {
            Vec::new()
        };
        self.value(env);
        if let Some(data) = env.get_mut("data").and_then(Value::as_object_mut) {
            for (k, v) in kept {
                data.insert(k, v);
            }
        }
    }

    /// Arguments as the journal records them: secret-named members masked whatever their
    /// length, then the same redaction as every other output.
    pub fn journal_args(&self, args: &Value) -> Value {
        let mut a = args.clone();
        mask_secret_fields(&mut a);
        self.value(&mut a);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names() {
        for s in [
            "key",
            "api_key",
            "apiKey",
            "x-api-key",
            "client_secret",
            "access_token",
            "password",
            "awsSecretAccessKey",
            "vertexServiceAccountJson",
            "Authorization",
            "private_key",
        ] {
            assert!(is_secret_name(s), "{s}");
        }
        for s in [
            "virtual_key_id",
            "max_tokens",
            "total_tokens",
            "next_page_token",
            "slug",
            "name",
            "monkey",
            "key_name",
        ] {
            assert!(!is_secret_name(s), "{s}");
        }
    }

    #[test]
    fn sent_secrets_are_removed_everywhere() {
        let args = json!({
            "name": "prod",
            "key": "Zx81-provider-secret-value",
            "custom_headers": {"Authorization": "Basic dXNlcjpodW50ZXIy", "X-Api-Key": "abcd1234efgh"},
            "conditions": [{"key": "metadata.env", "value": "prod"}]
        });
        let r = Redactor::new(Some("my-portkey-key-123"), &args);
        let mut env = json!({"ok": false, "error": {"message":
            "bad key Zx81-provider-secret-value; header abcd1234efgh; cred dXNlcjpodW50ZXIy; my-portkey-key-123; env metadata.env"}});
        r.envelope(&mut env, false);
        let text = env.to_string();
        for s in [
            "Zx81-provider",
            "abcd1234efgh",
            "dXNlcjpodW50ZXIy",
            "my-portkey-key-123",
        ] {
            assert!(!text.contains(s), "{s} in {text}");
        }
        assert!(text.contains("metadata.env"), "{text}");
    }

    #[test]
    fn journal_args_mask_by_name_but_keep_names_and_condition_keys() {
        let args = json!({
            "name": "pk-customer-support-bot-v2",
            "password": "short",
            "custom_headers": {"X-Api-Key": "k1"},
            "conditions": [{"key": "metadata.env", "value": "prod"}],
            "credentials": {"aws_secret_access_key": "x", "region": "us-east-1"}
        });
        let r = Redactor::new(None, &args);
        let j = r.journal_args(&args);
        assert_eq!(j["name"], "pk-customer-support-bot-v2");
        assert_eq!(j["password"], REDACTED);
        assert_eq!(j["custom_headers"]["X-Api-Key"], REDACTED);
        assert_eq!(j["conditions"][0]["key"], "metadata.env");
        assert_eq!(j["credentials"]["region"], REDACTED);
    }

    #[test]
    fn new_key_is_kept_only_where_asked() {
        let mut env =
            json!({"ok": true, "data": {"id": "k1", "key": "pk-NEWkey0123456789abcdefXYZ"}});
        let r = Redactor::new(Some("pk-configured-key-0000"), &json!({}));
        let mut spared = env.clone();
        r.envelope(&mut spared, true);
        assert_eq!(spared["data"]["key"], "pk-NEWkey0123456789abcdefXYZ");
        r.envelope(&mut env, false);
        assert_ne!(env["data"]["key"], "pk-NEWkey0123456789abcdefXYZ");
    }
}
