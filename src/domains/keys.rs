//! Keys: virtual keys (provider credentials stored in Portkey) and Portkey API keys.
//!
//! Secrets travel one way. A provider key goes to Portkey and never comes back: list/get results
//! pick their fields, model_config is redacted, and error texts are scrubbed of the key sent.
//! Only create_api_key and rotate_api_key return a secret: the new Portkey key, once.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};

use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::pin::{Rule, Widens};
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

// ---------------------------------------------------------------- inputs

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Page {
    /// Page index, from 0
    #[schemars(range(min = 0))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_page: Option<u64>,
    /// Items per page
    #[schemars(range(max = 100), extend("exclusiveMinimum" = 0))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Slug {
    /// Slug from list_virtual_keys
    pub slug: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct KeyId {
    /// Id from list_api_keys
    #[schemars(extend("format" = "uuid"))]
    pub id: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueFormat {
    Json,
    String,
}

/// One field of the virtual key filled from a secret reference.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct SecretMapping {
    /// Field to fill: `key` or `model_config.<field>`
    pub target_field: String,
    /// Id from list_secret_references
    pub secret_reference_id: String,
    /// Field of a JSON secret; null = all
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    /// string: used as is; json: parsed as JSON
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_format: Option<ValueFormat>,
}

/// One Azure OpenAI deployment; Portkey takes it in camelCase.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Deployment {
    /// Azure OpenAI API version
    #[serde(rename(serialize = "apiVersion"))]
    #[schemars(length(min = 1))]
    pub api_version: String,
    /// Azure deployment name
    #[serde(rename(serialize = "deploymentName"))]
    #[schemars(length(min = 1))]
    pub deployment_name: String,
    /// Alias naming this deployment
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Default deployment of the key
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
}

/// Budget and rate limit shared by both key kinds.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Limits {
    /// Monthly spend cap in USD
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub credit_limit: Option<Number>,
    /// Alert at this % of credit_limit
    #[schemars(range(min = 1, max = 100))]
    pub alert_threshold: Option<Number>,
    /// Max requests per minute
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub rate_limit_rpm: Option<Number>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateVirtualKey {
    /// Display name of the key
    pub name: String,
    /// Provider, e.g. openai, azure-openai
    pub provider: String,
    /// Provider API key (never returned); or map `key` in secret_mappings
    pub key: Option<String>,
    /// Note in free text
    pub note: Option<String>,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
    /// Azure API version
    pub api_version: Option<String>,
    /// Azure resource name
    pub resource_name: Option<String>,
    /// Azure deployment name
    pub deployment_name: Option<String>,
    /// Several Azure deployments (instead of deployment_name)
    pub deployment_configurations: Option<Vec<Deployment>>,
    /// Expiry, ISO 8601
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
    /// Fields filled from secret references
    pub secret_mappings: Option<Vec<SecretMapping>>,
    #[serde(flatten)]
    pub limits: Limits,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateVirtualKey {
    /// Slug from list_virtual_keys
    pub slug: String,
    /// New display name
    pub name: Option<String>,
    /// New provider API key (never returned)
    pub key: Option<String>,
    /// New free-text note
    pub note: Option<String>,
    #[serde(flatten)]
    pub limits: Limits,
    /// Replacement Azure deployments
    pub deployment_configurations: Option<Vec<Deployment>>,
    /// Replacement secret mappings
    pub secret_mappings: Option<Vec<SecretMapping>>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Organisation,
    Workspace,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubType {
    User,
    Service,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateKind {
    Requests,
    Tokens,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateUnit {
    Rpd,
    Rph,
    Rpm,
    Rps,
    Rpw,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct RateLimit {
    /// Counts requests or tokens
    #[serde(rename = "type")]
    pub kind: RateKind,
    /// Per second (rps), minute (rpm), hour (rph), day (rpd) or week (rpw)
    pub unit: RateUnit,
    /// Max per window
    pub value: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RotationPeriod {
    Weekly,
    Monthly,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct RotationPolicy {
    /// Rotate weekly or monthly; or next_rotation_at
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period: Option<RotationPeriod>,
    /// Next rotation, ISO 8601
    #[schemars(extend("format" = "date-time"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_at: Option<String>,
    /// Old key grace period, ms
    #[schemars(range(min = 1_800_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_transition_period_ms: Option<u64>,
}

/// Settings create_api_key and update_api_key share.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApiKeySettings {
    #[serde(flatten)]
    pub limits: Limits,
    /// Replaces rate_limit_rpm; null clears
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    pub rate_limits: Option<Option<Vec<RateLimit>>>,
    /// Default config id from list_configs
    pub default_config_id: Option<String>,
    /// Metadata added to every request
    #[schemars(with = "Option<std::collections::BTreeMap<String, String>>")]
    pub default_metadata: Option<Map<String, Value>>,
    /// Callers may override it
    pub default_allow_config_override: Option<bool>,
    /// Emails for limit alerts
    pub alert_emails: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateApiKey {
    /// organisation (whole org) or workspace (one workspace; needs workspace_id)
    #[serde(rename = "type")]
    pub kind: KeyType,
    /// user (acts as user_id) or service (an app, no user)
    pub sub_type: SubType,
    /// Display name of the key
    pub name: String,
    /// Description, free text
    pub description: Option<String>,
    /// Org id from list_api_keys
    pub organisation_id: Option<String>,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
    /// Owner user id from list_all_users
    pub user_id: Option<String>,
    /// Permission scopes, e.g. logs.read
    pub scopes: Vec<String>,
    #[serde(flatten)]
    pub settings: ApiKeySettings,
    /// Expiry, ISO 8601
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
    /// Automatic rotation; null = none
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    pub rotation_policy: Option<Option<RotationPolicy>>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListApiKeys {
    #[serde(flatten)]
    pub page: Page,
    /// Id from list_workspaces
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateApiKey {
    /// Id from list_api_keys
    #[schemars(extend("format" = "uuid"))]
    pub id: String,
    /// New display name
    pub name: Option<String>,
    /// New free-text description
    pub description: Option<String>,
    /// Replacement scopes, whole list
    pub scopes: Option<Vec<String>>,
    /// Any value resets usage
    #[schemars(range(min = 0))]
    pub reset_usage: Option<Number>,
    #[serde(flatten)]
    pub settings: ApiKeySettings,
    /// Expiry; null removes it
    #[schemars(extend("format" = "date-time"))]
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    pub expires_at: Option<Option<String>>,
    /// Replacement rotation policy; null disables
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    pub rotation_policy: Option<Option<RotationPolicy>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RotateApiKey {
    /// Id from list_api_keys
    #[schemars(extend("format" = "uuid"))]
    pub id: String,
    /// Old key grace period, ms
    #[schemars(range(min = 1_800_000))]
    pub key_transition_period_ms: Option<u64>,
}

// ---------------------------------------------------------------- checks

fn check_datetime(field: &str, v: Option<&str>) -> Result<(), ApiError> {
    match v {
        Some(s) if !shape::is_datetime(s) => Err(bad(format!(
            "{field} must be an ISO 8601 date-time with a timezone, e.g. 2027-01-01T00:00:00Z"
        ))),
        _ => Ok(()),
    }
}

fn check_mappings(m: Option<&Vec<SecretMapping>>) -> Result<(), ApiError> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, x) in m.into_iter().flatten().enumerate() {
        let t = x.target_field.as_str();
        if t != "key" && !t.starts_with("model_config.") {
            return Err(bad(format!(
                "secret_mappings[{i}].target_field must be `key` or start with `model_config.`"
            )));
        }
        if seen.contains(&t) {
            return Err(bad(format!(
                "secret_mappings[{i}].target_field repeats an earlier mapping; each target_field may appear once"
            )));
        }
        seen.push(t);
    }
    Ok(())
}

fn check_rotation(p: Option<&Option<RotationPolicy>>) -> Result<(), ApiError> {
    let Some(Some(p)) = p else { return Ok(()) };
    match (&p.rotation_period, &p.next_rotation_at) {
        (Some(_), Some(_)) => Err(bad(
            "rotation_policy takes rotation_period or next_rotation_at, not both",
        )),
        (None, None) => Err(bad(
            "rotation_policy needs rotation_period or next_rotation_at (or pass rotation_policy: null to disable rotation)",
        )),
        _ => check_datetime(
            "rotation_policy.next_rotation_at",
            p.next_rotation_at.as_deref(),
        ),
    }
}

// ---------------------------------------------------------------- bodies

/// Inserts `v` under `k` when given; a given `null` (`Some(None)`) is sent as null.
fn put_some<T: Serialize>(
    m: &mut Map<String, Value>,
    k: &str,
    v: &Option<T>,
) -> Result<(), ApiError> {
    if let Some(x) = v {
        m.insert(k.to_string(), shape::to_json(x)?);
    }
    Ok(())
}

fn usage_limits(l: &Limits) -> Option<Value> {
    if l.credit_limit.is_none() && l.alert_threshold.is_none() {
        return None;
    }
    Some(shape::obj(vec![
        ("type", json!("cost")),
        ("periodic_reset", json!("monthly")),
        ("credit_limit", json!(l.credit_limit)),
        ("alert_threshold", json!(l.alert_threshold)),
    ]))
}

fn rpm(l: &Limits) -> Option<Value> {
    l.rate_limit_rpm
        .as_ref()
        .map(|v| json!([{"type": "requests", "unit": "rpm", "value": v}]))
}

fn api_key_settings(m: &mut Map<String, Value>, s: &ApiKeySettings) -> Result<(), ApiError> {
    put_some(m, "usage_limits", &usage_limits(&s.limits))?;
    match &s.rate_limits {
        Some(r) => put_some(m, "rate_limits", &Some(r))?,
        None => put_some(m, "rate_limits", &rpm(&s.limits))?,
    }
    Ok(())
}

/// The `defaults` object from the three default_* fields; none when none is given.
fn defaults(s: &ApiKeySettings) -> Option<Value> {
    let d = shape::obj(vec![
        ("config_id", json!(s.default_config_id)),
        ("metadata", json!(s.default_metadata)),
        (
            "allow_config_override",
            json!(s.default_allow_config_override),
        ),
    ]);
    match &d {
        Value::Object(m) if m.is_empty() => None,
        _ => Some(d),
    }
}

// ---------------------------------------------------------------- shaping

fn shape_usage(v: Option<&Value>) -> Value {
    match v {
        Some(u @ Value::Object(_)) => shape::pick(
            u,
            &[
                "credit_limit",
                "type",
                "alert_threshold",
                "periodic_reset",
                "periodic_reset_days",
                "next_usage_reset_at",
            ],
        ),
        _ => Value::Null,
    }
}

fn shape_rates(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .map(|r| shape::pick(r, &["type", "unit", "value"]))
            .collect(),
        _ => Value::Null,
    }
}

/// camelCase → snake_case, so `awsSecretAccessKey` is judged like `aws_secret_access_key`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Redacts secret-named members of a provider model_config (camelCase or snake_case names).
fn redact_model_config(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let n = snake(k);
                let secret = crate::redact::is_secret_name(&n) || n.contains("service_account");
                if secret && !x.is_null() && !x.is_object() && !x.is_array() {
                    *x = Value::String("[REDACTED]".into());
                } else {
                    redact_model_config(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_model_config),
        _ => {}
    }
}

/// A virtual key without its secret: fixed fields, limits trimmed, model_config redacted.
fn shape_virtual_key(v: &Value) -> Value {
    let mut out = Map::new();
    for k in ["name", "slug", "status", "note"] {
        shape::put(&mut out, k, v.get(k).cloned().unwrap_or(Value::Null));
    }
    out.insert("usage_limits".into(), shape_usage(v.get("usage_limits")));
    out.insert("rate_limits".into(), shape_rates(v.get("rate_limits")));
    for k in [
        "reset_usage",
        "created_at",
        "model_config",
        "expires_at",
        "secret_mappings",
    ] {
        let mut x = v.get(k).cloned().unwrap_or(Value::Null);
        if k == "model_config" {
            redact_model_config(&mut x);
        }
        shape::put(&mut out, k, x);
    }
    Value::Object(out)
}

const API_KEY_HEAD: &[&str] = &[
    "id",
    "name",
    "description",
    "type",
    "status",
    "organisation_id",
    "workspace_id",
    "user_id",
    "scopes",
];

/// An API key without its secret; `full` adds reset_usage (get_api_key).
fn shape_api_key(v: &Value, full: bool) -> Value {
    let mut out = match shape::pick(v, API_KEY_HEAD) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    out.insert("usage_limits".into(), shape_usage(v.get("usage_limits")));
    out.insert("rate_limits".into(), shape_rates(v.get("rate_limits")));
    let tail: &[&str] = if full {
        &[
            "defaults",
            "alert_emails",
            "expires_at",
            "reset_usage",
            "created_at",
            "last_updated_at",
            "creation_mode",
        ]
    } else {
        &[
            "defaults",
            "alert_emails",
            "expires_at",
            "created_at",
            "last_updated_at",
            "creation_mode",
        ]
    };
    for k in tail {
        shape::put(&mut out, k, v.get(*k).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

fn shape_list(v: &Value, key: &str, row: impl Fn(&Value) -> Value) -> Value {
    let rows: Vec<Value> = shape::items(v).iter().map(row).collect();
    json!({"total": shape::total(v), key: rows})
}

fn done(message: String, v: &Value) -> Value {
    json!({
        "message": message,
        "success": v.get("success").cloned().filter(Value::is_boolean).unwrap_or(json!(true)),
    })
}

// ---------------------------------------------------------------- handlers

/// The paging defaults the spec documents for GET /virtual-keys ("defaults to 0", "default to
/// 50"), where both parameters are `required: true`: sent when the caller leaves them out.
const VIRTUAL_KEY_PAGE: (u64, i64) = (0, 50);

async fn list_virtual_keys(api: Api, a: Page) -> Result<Value, ApiError> {
    let (page, size) = VIRTUAL_KEY_PAGE;
    let a = Page {
        current_page: Some(a.current_page.unwrap_or(page)),
        page_size: Some(a.page_size.unwrap_or(size)),
    };
    let v = api.send(Req::get("/virtual-keys").query_from(&a)).await?;
    Ok(shape_list(&v, "virtual_keys", shape_virtual_key))
}

async fn create_virtual_key(api: Api, a: CreateVirtualKey) -> Result<Value, ApiError> {
    check_mappings(a.secret_mappings.as_ref())?;
    let mapped_key = a
        .secret_mappings
        .iter()
        .flatten()
        .any(|m| m.target_field == "key");
    if a.key.is_none() && !mapped_key {
        return Err(bad(
            "give `key` (the provider API key) or a secret_mappings entry with target_field `key`",
        ));
    }
    check_datetime("expires_at", a.expires_at.as_deref())?;
    let mut b = Map::new();
    b.insert("name".into(), json!(a.name));
    b.insert("provider".into(), json!(a.provider));
    put_some(&mut b, "key", &a.key)?;
    put_some(&mut b, "note", &a.note)?;
    put_some(&mut b, "workspace_id", &a.workspace_id)?;
    put_some(&mut b, "apiVersion", &a.api_version)?;
    put_some(&mut b, "resourceName", &a.resource_name)?;
    put_some(&mut b, "deploymentName", &a.deployment_name)?;
    put_some(&mut b, "deploymentConfig", &a.deployment_configurations)?;
    put_some(&mut b, "usage_limits", &usage_limits(&a.limits))?;
    put_some(&mut b, "rate_limits", &rpm(&a.limits))?;
    put_some(&mut b, "expires_at", &a.expires_at)?;
    put_some(&mut b, "secret_mappings", &a.secret_mappings)?;
    let v = api.post("/virtual-keys", Value::Object(b)).await?;
    Ok(json!({
        "message": format!("Created virtual key \"{}\"; use its slug in configs and prompts.", a.name),
        "success": v.get("success").cloned().unwrap_or(json!(true)),
        "slug": shape::member(&v, "slug"),
    }))
}

async fn get_virtual_key(api: Api, a: Slug) -> Result<Value, ApiError> {
    let v = api.get(format!("/virtual-keys/{}", enc(&a.slug))).await?;
    Ok(shape_virtual_key(shape::payload(&v)))
}

async fn update_virtual_key(api: Api, a: UpdateVirtualKey) -> Result<Value, ApiError> {
    check_mappings(a.secret_mappings.as_ref())?;
    let mut b = Map::new();
    put_some(&mut b, "name", &a.name)?;
    put_some(&mut b, "key", &a.key)?;
    put_some(&mut b, "note", &a.note)?;
    put_some(&mut b, "usage_limits", &usage_limits(&a.limits))?;
    put_some(&mut b, "rate_limits", &rpm(&a.limits))?;
    put_some(&mut b, "deploymentConfig", &a.deployment_configurations)?;
    put_some(&mut b, "secret_mappings", &a.secret_mappings)?;
    let v = api
        .put(format!("/virtual-keys/{}", enc(&a.slug)), Value::Object(b))
        .await?;
    Ok(done(format!("Updated virtual key \"{}\".", a.slug), &v))
}

async fn delete_virtual_key(api: Api, a: Slug) -> Result<Value, ApiError> {
    let v = api
        .delete(format!("/virtual-keys/{}", enc(&a.slug)))
        .await?;
    Ok(done(format!("Deleted virtual key \"{}\".", a.slug), &v))
}

async fn create_api_key(api: Api, a: CreateApiKey) -> Result<Value, ApiError> {
    if matches!(a.kind, KeyType::Workspace) && a.workspace_id.as_deref().is_none_or(str::is_empty) {
        return Err(bad("type `workspace` needs workspace_id"));
    }
    if matches!(a.sub_type, SubType::User) && a.user_id.as_deref().is_none_or(str::is_empty) {
        return Err(bad(
            "sub_type `user` needs user_id (or use sub_type `service`)",
        ));
    }
    check_datetime("expires_at", a.expires_at.as_deref())?;
    check_rotation(a.rotation_policy.as_ref())?;
    let mut b = Map::new();
    b.insert("name".into(), json!(a.name));
    put_some(&mut b, "description", &a.description)?;
    put_some(&mut b, "organisation_id", &a.organisation_id)?;
    put_some(&mut b, "workspace_id", &a.workspace_id)?;
    put_some(&mut b, "user_id", &a.user_id)?;
    b.insert("scopes".into(), json!(a.scopes));
    api_key_settings(&mut b, &a.settings)?;
    put_some(&mut b, "defaults", &defaults(&a.settings))?;
    put_some(&mut b, "alert_emails", &a.settings.alert_emails)?;
    put_some(&mut b, "expires_at", &a.expires_at)?;
    put_some(&mut b, "rotation_policy", &a.rotation_policy)?;
    let path = format!(
        "/api-keys/{}/{}",
        enc(key_type(a.kind)),
        enc(sub_type(a.sub_type))
    );
    let v = api.post(path, Value::Object(b)).await?;
    Ok(shape::obj(vec![
        (
            "message",
            json!(format!(
                "Created API key \"{}\". `key` is shown only this once: store it now.",
                a.name
            )),
        ),
        ("id", shape::member(&v, "id")),
        ("key", shape::member(&v, "key")),
    ]))
}

fn key_type(k: KeyType) -> &'static str {
    match k {
        KeyType::Organisation => "organisation",
        KeyType::Workspace => "workspace",
    }
}

fn sub_type(s: SubType) -> &'static str {
    match s {
        SubType::User => "user",
        SubType::Service => "service",
    }
}

async fn list_api_keys(api: Api, a: ListApiKeys) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/api-keys").query_from(&a)).await?;
    Ok(shape_list(&v, "api_keys", |k| shape_api_key(k, false)))
}

async fn get_api_key(api: Api, a: KeyId) -> Result<Value, ApiError> {
    let v = api.get(format!("/api-keys/{}", enc(&a.id))).await?;
    Ok(shape_api_key(shape::payload(&v), true))
}

async fn update_api_key(api: Api, a: UpdateApiKey) -> Result<Value, ApiError> {
    if let Some(Some(e)) = &a.expires_at {
        check_datetime("expires_at", Some(e))?;
    }
    check_rotation(a.rotation_policy.as_ref())?;
    let mut b = Map::new();
    put_some(&mut b, "name", &a.name)?;
    put_some(&mut b, "description", &a.description)?;
    put_some(&mut b, "scopes", &a.scopes)?;
    api_key_settings(&mut b, &a.settings)?;
    put_some(&mut b, "reset_usage", &a.reset_usage)?;
    put_some(&mut b, "defaults", &defaults(&a.settings))?;
    put_some(&mut b, "alert_emails", &a.settings.alert_emails)?;
    put_some(&mut b, "expires_at", &a.expires_at)?;
    put_some(&mut b, "rotation_policy", &a.rotation_policy)?;
    let v = api
        .put(format!("/api-keys/{}", enc(&a.id)), Value::Object(b))
        .await?;
    Ok(done(format!("Updated API key \"{}\".", a.id), &v))
}

async fn delete_api_key(api: Api, a: KeyId) -> Result<Value, ApiError> {
    let v = api.delete(format!("/api-keys/{}", enc(&a.id))).await?;
    Ok(done(
        format!("Deleted API key \"{}\"; it no longer authenticates.", a.id),
        &v,
    ))
}

async fn rotate_api_key(api: Api, a: RotateApiKey) -> Result<Value, ApiError> {
    let body = shape::obj(vec![(
        "key_transition_period_ms",
        json!(a.key_transition_period_ms),
    )]);
    let v = api
        .post(format!("/api-keys/{}/rotate", enc(&a.id)), body)
        .await?;
    let id = match shape::member(&v, "id") {
        Value::Null => json!(a.id),
        x => x,
    };
    Ok(shape::obj(vec![
        (
            "message",
            json!(format!(
                "Rotated API key \"{}\". `key` is shown only this once: store it now and move callers over before key_transition_expires_at.",
                a.id
            )),
        ),
        ("id", id),
        ("key", shape::member(&v, "key")),
        (
            "key_transition_expires_at",
            shape::member(&v, "key_transition_expires_at"),
        ),
    ]))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_virtual_keys",
            "List virtual keys: stored provider credentials, never shown. Returns total, virtual_keys[{name, slug, status, usage_limits, rate_limits}]. Workspace providers: list_providers.",
            list_virtual_keys,
        )
        .endpoint("GET /virtual-keys"),
        tool(
            "create_virtual_key",
            "Store a provider API key as a virtual key. Returns slug (use it in configs and prompts); the key is never returned. Via an integration instead: create_provider.",
            create_virtual_key,
        )
        .endpoint("POST /virtual-keys"),
        tool(
            "get_virtual_key",
            "Get one virtual key by slug. Returns name, slug, status, usage_limits, rate_limits, model_config (secrets redacted). Change it: update_virtual_key.",
            get_virtual_key,
        )
        .endpoint("GET /virtual-keys/{slug}"),
        tool(
            "update_virtual_key",
            "Update a virtual key; only given fields change, live at once wherever the slug is used. Returns success. Current: get_virtual_key.",
            update_virtual_key,
        )
        .endpoint("PUT /virtual-keys/{slug}"),
        tool(
            "delete_virtual_key",
            "Delete a virtual key; configs and prompts using it start failing. Returns success. Cannot be undone; store the key again with create_virtual_key.",
            delete_virtual_key,
        )
        .endpoint("DELETE /virtual-keys/{slug}"),
        tool(
            "create_api_key",
            "Create a Portkey API key with scopes and limits, usable at once. Returns id and the secret key, shown once and kept in this conversation. New secret for a key: rotate_api_key.",
            create_api_key,
        )
        .endpoint("POST /api-keys/{type}/{sub_type}")
        .returns_new_secret()
        .workspace_param("type", Rule::Refuse(Widens::Unless(&["workspace"]))),
        tool(
            "list_api_keys",
            "List Portkey API keys, never their secrets. Returns total, api_keys[{id, name, type, status, organisation_id, workspace_id, user_id, scopes, expires_at}]. Provider credentials: list_virtual_keys.",
            list_api_keys,
        )
        .endpoint("GET /api-keys"),
        tool(
            "get_api_key",
            "Get one Portkey API key, never its secret. Returns the list_api_keys fields plus defaults, reset_usage. Change it: update_api_key.",
            get_api_key,
        )
        .endpoint("GET /api-keys/{id}"),
        tool(
            "update_api_key",
            "Update a Portkey API key; only given fields change, at once for every caller. Returns success. The secret stays; a new one: rotate_api_key.",
            update_api_key,
        )
        .endpoint("PUT /api-keys/{id}"),
        tool(
            "delete_api_key",
            "Delete a Portkey API key; every caller using it is refused at once. Returns success. Cannot be undone; for a leaked secret, rotate_api_key keeps the key.",
            delete_api_key,
        )
        .endpoint("DELETE /api-keys/{id}"),
        tool(
            "rotate_api_key",
            "Rotate a Portkey API key's secret; the old one works until key_transition_expires_at. Returns id, key (shown once, kept in this conversation), key_transition_expires_at. Cannot be undone. Revoke: delete_api_key; new key: create_api_key.",
            rotate_api_key,
        )
        .endpoint("POST /api-keys/{id}/rotate")
        .destructive(true)
        .returns_new_secret(),
    ]
}
