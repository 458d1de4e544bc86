//! The vocabulary the domains share: paging, secret mappings, capabilities, and the small
//! helpers that read Portkey's answers and word a write's result. Domains import from here and
//! never from each other.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::registry::bad;

/// Paging of a list endpoint; both optional, Portkey's own defaults apply when left out.
/// Flatten it into a tool's input: `#[serde(flatten)] pub page: Paging`.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
pub struct Paging {
    /// Page index, from 0
    #[schemars(range(min = 0))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_page: Option<u64>,
    /// Items per page
    #[schemars(range(max = 100), extend("exclusiveMinimum" = 0))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
}

/// How a secret's value is read.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueFormat {
    String,
    Json,
}

/// One field filled at run time from a Secret Reference. A given `null` reaches Portkey as null.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct SecretMapping {
    /// Target: key, model_config.<x> or configurations.<x>
    pub target_field: String,
    /// Id/slug from list_secret_references
    pub secret_reference_id: String,
    /// Key inside a multi-value secret
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>")]
    pub secret_key: Option<Option<String>>,
    /// string as is, or json parsed
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<ValueFormat>")]
    pub value_format: Option<Option<ValueFormat>>,
}

/// Refuses secret mappings whose target `allowed` rejects (`rule` says what is allowed, as in
/// "must be ...") or that map one target twice.
pub fn check_mappings(
    mappings: Option<&Vec<SecretMapping>>,
    allowed: impl Fn(&str) -> bool,
    rule: &str,
) -> Result<(), ApiError> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, m) in mappings.into_iter().flatten().enumerate() {
        let t = m.target_field.as_str();
        if !allowed(t) {
            return Err(bad(format!(
                "`secret_mappings[{i}].target_field` must {rule}, got \"{t}\""
            )));
        }
        if let Some(first) = seen.iter().position(|s| *s == t) {
            return Err(bad(format!(
                "`secret_mappings[{i}].target_field` \"{t}\" repeats secret_mappings[{first}]; map each field once"
            )));
        }
        seen.push(t);
    }
    Ok(())
}

/// A cost budget as Portkey takes it under `usage_limits` (keys, integrations), `T` the
/// number type of the tool's input.
#[derive(Debug, Serialize)]
pub struct CostLimit<T> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    periodic_reset: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_limit: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert_threshold: Option<T>,
}

impl<T> CostLimit<T> {
    /// The budget from a credit limit and an alert threshold; none when neither is given.
    /// `monthly` resets it every month.
    pub fn of(credit_limit: Option<T>, alert_threshold: Option<T>, monthly: bool) -> Option<Self> {
        (credit_limit.is_some() || alert_threshold.is_some()).then_some(CostLimit {
            kind: "cost",
            periodic_reset: monthly.then_some("monthly"),
            credit_limit,
            alert_threshold,
        })
    }
}

/// A requests-per-minute limit as Portkey takes it under `rate_limits`, from a tool's
/// `rate_limit_rpm`.
#[derive(Debug, Serialize)]
pub struct PerMinute<T> {
    #[serde(rename = "type")]
    kind: &'static str,
    unit: &'static str,
    value: T,
}

/// The one-limit `rate_limits` list for `rpm`; none when it is not given.
pub fn per_minute<T>(rpm: Option<T>) -> Option<[PerMinute<T>; 1]> {
    rpm.map(|value| {
        [PerMinute {
            kind: "requests",
            unit: "rpm",
            value,
        }]
    })
}

/// What an MCP capability is.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CapabilityType {
    Tool,
    Prompt,
    Resource,
}

/// One capability to switch on or off.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Capability {
    /// Name from list_mcp_integration_capabilities
    pub name: String,
    /// tool, prompt or resource
    #[serde(rename = "type")]
    pub kind: CapabilityType,
    /// true enables, false disables
    pub enabled: bool,
}

/// A member of Portkey's answer as it is, or null when absent (which `shape::obj` leaves out).
pub fn field(v: &Value, key: &str) -> Value {
    v.get(key).cloned().unwrap_or(Value::Null)
}

/// "First Last" from whichever name parts are present; `None` when both are empty.
pub fn full_name(v: &Value) -> Option<String> {
    let parts: Vec<&str> = ["first_name", "last_name"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The result of a write whose answer carries nothing to show: the message and success.
pub fn done(message: String) -> Value {
    json!({"message": message, "success": true})
}

/// [`done`] with the `success` Portkey answered, when it answered a boolean one.
pub fn done_with(message: String, answer: &Value) -> Value {
    let success = answer
        .get("success")
        .cloned()
        .filter(Value::is_boolean)
        .unwrap_or(json!(true));
    json!({"message": message, "success": success})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_leaves_out_what_was_not_given() {
        let p = Paging {
            current_page: Some(2),
            page_size: None,
        };
        assert_eq!(serde_json::to_value(p).unwrap(), json!({"current_page": 2}));
    }

    #[test]
    fn a_mapping_sends_a_given_null_and_omits_an_absent_member() {
        let m: SecretMapping = serde_json::from_value(
            json!({"target_field": "key", "secret_reference_id": "sr", "secret_key": null}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"target_field": "key", "secret_reference_id": "sr", "secret_key": null})
        );
    }

    #[test]
    fn mappings_must_be_allowed_and_unique() {
        let m = |t: &str| SecretMapping {
            target_field: t.into(),
            secret_reference_id: "sr".into(),
            secret_key: None,
            value_format: None,
        };
        let ok = |t: &str| t == "key";
        assert!(check_mappings(Some(&vec![m("key")]), ok, "be key").is_ok());
        assert!(check_mappings(Some(&vec![m("x")]), ok, "be key").is_err());
        assert!(check_mappings(Some(&vec![m("key"), m("key")]), ok, "be key").is_err());
    }

    #[test]
    fn limits_serialize_as_portkey_takes_them() {
        assert_eq!(
            serde_json::to_value(CostLimit::of(Some(10), None, true)).unwrap(),
            json!({"type": "cost", "periodic_reset": "monthly", "credit_limit": 10})
        );
        assert_eq!(
            serde_json::to_value(CostLimit::of(None, Some(80.5), false)).unwrap(),
            json!({"type": "cost", "alert_threshold": 80.5})
        );
        assert!(CostLimit::<u8>::of(None, None, true).is_none());
        assert_eq!(
            serde_json::to_value(per_minute(Some(5))).unwrap(),
            json!([{"type": "requests", "unit": "rpm", "value": 5}])
        );
    }

    #[test]
    fn helpers_read_names_and_success() {
        assert_eq!(
            full_name(&json!({"first_name": " Ada ", "last_name": ""})),
            Some("Ada".into())
        );
        assert_eq!(full_name(&json!({})), None);
        assert_eq!(field(&json!({"a": 1}), "b"), Value::Null);
        assert_eq!(
            done_with("m".into(), &json!({"success": false})),
            json!({"message": "m", "success": false})
        );
        assert_eq!(done("m".into()), json!({"message": "m", "success": true}));
    }
}
