//! Keys: virtual keys (provider credentials stored in Portkey) and Portkey API keys.
//!
//! Secrets travel one way. A provider key goes to Portkey and never comes back: list/get results
//! pick their fields, model_config is redacted, and error texts are scrubbed of the key sent.
//! Only create_api_key and rotate_api_key return a secret: the new Portkey key, once.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};

use super::common::{
    CostLimit, Paging, PerMinute, SecretMapping, check_mappings, done_with, per_minute,
};
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::pin::{Rule, Widens};
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

// ---------------------------------------------------------------- inputs

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
    pub page: Paging,
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

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct RotateApiKey {
    /// Id from list_api_keys
    #[schemars(extend("format" = "uuid"))]
    pub id: String,
    /// Old key grace period, ms
    #[schemars(range(min = 1_800_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// The monthly cost budget from the flat limits.
fn usage_limits(l: &Limits) -> Option<CostLimit<&Number>> {
    CostLimit::of(l.credit_limit.as_ref(), l.alert_threshold.as_ref(), true)
}

/// The requests-per-minute limit from the flat limits.
fn rpm(l: &Limits) -> Option<[PerMinute<&Number>; 1]> {
    per_minute(l.rate_limit_rpm.as_ref())
}

/// The body of create_virtual_key and update_virtual_key; the Azure fields are camelCase.
#[derive(Debug, Default, Serialize)]
struct VirtualKeyBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
    #[serde(rename = "apiVersion", skip_serializing_if = "Option::is_none")]
    api_version: Option<&'a str>,
    #[serde(rename = "resourceName", skip_serializing_if = "Option::is_none")]
    resource_name: Option<&'a str>,
    #[serde(rename = "deploymentName", skip_serializing_if = "Option::is_none")]
    deployment_name: Option<&'a str>,
    #[serde(rename = "deploymentConfig", skip_serializing_if = "Option::is_none")]
    deployment_config: Option<&'a Vec<Deployment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_limits: Option<CostLimit<&'a Number>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limits: Option<[PerMinute<&'a Number>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_mappings: Option<Vec<SecretMapping>>,
}

/// Virtual keys take a mapping's `null` secret_key or value_format as left out.
fn mappings_without_nulls(m: &Option<Vec<SecretMapping>>) -> Option<Vec<SecretMapping>> {
    m.as_ref().map(|all| {
        all.iter()
            .map(|x| SecretMapping {
                secret_key: x.secret_key.clone().filter(Option::is_some),
                value_format: x.value_format.filter(Option::is_some),
                ..x.clone()
            })
            .collect()
    })
}

/// `rate_limits` of an API key: the list given (null clears), else one from `rate_limit_rpm`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Rates<'a> {
    Given(&'a Option<Vec<RateLimit>>),
    PerMinute([PerMinute<&'a Number>; 1]),
}

/// The `defaults` object from the three default_* fields.
#[derive(Debug, Serialize)]
struct Defaults<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    config_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allow_config_override: Option<bool>,
}

impl<'a> Defaults<'a> {
    /// None when no default_* field is given.
    fn of(s: &'a ApiKeySettings) -> Option<Self> {
        let d = Defaults {
            config_id: s.default_config_id.as_deref(),
            metadata: s.default_metadata.as_ref(),
            allow_config_override: s.default_allow_config_override,
        };
        (d.config_id.is_some() || d.metadata.is_some() || d.allow_config_override.is_some())
            .then_some(d)
    }
}

/// The body of create_api_key and update_api_key.
#[derive(Debug, Serialize)]
struct ApiKeyBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organisation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_limits: Option<CostLimit<&'a Number>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limits: Option<Rates<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reset_usage: Option<&'a Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    defaults: Option<Defaults<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert_emails: Option<&'a Vec<String>>,
    /// `Some(None)` sends null (removes the expiry).
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_policy: Option<&'a Option<RotationPolicy>>,
}

impl<'a> ApiKeyBody<'a> {
    /// The members both tools fill the same way from the shared settings.
    fn with_settings(s: &'a ApiKeySettings) -> Self {
        ApiKeyBody {
            name: None,
            description: None,
            organisation_id: None,
            workspace_id: None,
            user_id: None,
            scopes: None,
            usage_limits: usage_limits(&s.limits),
            rate_limits: match &s.rate_limits {
                Some(given) => Some(Rates::Given(given)),
                None => rpm(&s.limits).map(Rates::PerMinute),
            },
            reset_usage: None,
            defaults: Defaults::of(s),
            alert_emails: s.alert_emails.as_ref(),
            expires_at: None,
            rotation_policy: None,
        }
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
    let rows: Vec<Value> = shape::item_slice(v).iter().map(row).collect();
    shape::object([("total", shape::total(v)), (key, Value::Array(rows))])
}

// ---------------------------------------------------------------- handlers

/// The paging defaults the spec documents for GET /virtual-keys ("defaults to 0", "default to
/// 50"), where both parameters are `required: true`: sent when the caller leaves them out.
const VIRTUAL_KEY_PAGE: (u64, u64) = (0, 50);

async fn list_virtual_keys(api: Api, a: Paging) -> Result<Value, ApiError> {
    let (page, size) = VIRTUAL_KEY_PAGE;
    let a = Paging {
        current_page: Some(a.current_page.unwrap_or(page)),
        page_size: Some(a.page_size.unwrap_or(size)),
    };
    let v = api.send(Req::get("/virtual-keys").query_from(&a)).await?;
    Ok(shape_list(&v, "virtual_keys", shape_virtual_key))
}

async fn create_virtual_key(api: Api, a: CreateVirtualKey) -> Result<Value, ApiError> {
    check_mappings(
        a.secret_mappings.as_ref(),
        |t| t == "key" || t.starts_with("model_config."),
        "be `key` or start with `model_config.`",
    )?;
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
    let body = VirtualKeyBody {
        name: Some(&a.name),
        provider: Some(&a.provider),
        key: a.key.as_deref(),
        note: a.note.as_deref(),
        workspace_id: a.workspace_id.as_deref(),
        api_version: a.api_version.as_deref(),
        resource_name: a.resource_name.as_deref(),
        deployment_name: a.deployment_name.as_deref(),
        deployment_config: a.deployment_configurations.as_ref(),
        usage_limits: usage_limits(&a.limits),
        rate_limits: rpm(&a.limits),
        expires_at: a.expires_at.as_deref(),
        secret_mappings: mappings_without_nulls(&a.secret_mappings),
    };
    let v = api.post("/virtual-keys", shape::to_json(&body)?).await?;
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
    check_mappings(
        a.secret_mappings.as_ref(),
        |t| t == "key" || t.starts_with("model_config."),
        "be `key` or start with `model_config.`",
    )?;
    let body = VirtualKeyBody {
        name: a.name.as_deref(),
        key: a.key.as_deref(),
        note: a.note.as_deref(),
        usage_limits: usage_limits(&a.limits),
        rate_limits: rpm(&a.limits),
        deployment_config: a.deployment_configurations.as_ref(),
        secret_mappings: mappings_without_nulls(&a.secret_mappings),
        ..VirtualKeyBody::default()
    };
    let v = api
        .put(
            format!("/virtual-keys/{}", enc(&a.slug)),
            shape::to_json(&body)?,
        )
        .await?;
    Ok(done_with(
        format!("Updated virtual key \"{}\".", a.slug),
        &v,
    ))
}

async fn delete_virtual_key(api: Api, a: Slug) -> Result<Value, ApiError> {
    let v = api
        .delete(format!("/virtual-keys/{}", enc(&a.slug)))
        .await?;
    Ok(done_with(
        format!("Deleted virtual key \"{}\".", a.slug),
        &v,
    ))
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
    let body = ApiKeyBody {
        name: Some(&a.name),
        description: a.description.as_deref(),
        organisation_id: a.organisation_id.as_deref(),
        workspace_id: a.workspace_id.as_deref(),
        user_id: a.user_id.as_deref(),
        scopes: Some(&a.scopes),
        expires_at: a.expires_at.as_deref().map(Some),
        rotation_policy: a.rotation_policy.as_ref(),
        ..ApiKeyBody::with_settings(&a.settings)
    };
    let path = format!(
        "/api-keys/{}/{}",
        enc(key_type(a.kind)),
        enc(sub_type(a.sub_type))
    );
    let v = api.post(path, shape::to_json(&body)?).await?;
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
    let body = ApiKeyBody {
        name: a.name.as_deref(),
        description: a.description.as_deref(),
        scopes: a.scopes.as_ref(),
        reset_usage: a.reset_usage.as_ref(),
        expires_at: a.expires_at.as_ref().map(Option::as_deref),
        rotation_policy: a.rotation_policy.as_ref(),
        ..ApiKeyBody::with_settings(&a.settings)
    };
    let v = api
        .put(format!("/api-keys/{}", enc(&a.id)), shape::to_json(&body)?)
        .await?;
    Ok(done_with(format!("Updated API key \"{}\".", a.id), &v))
}

async fn delete_api_key(api: Api, a: KeyId) -> Result<Value, ApiError> {
    let v = api.delete(format!("/api-keys/{}", enc(&a.id))).await?;
    Ok(done_with(
        format!("Deleted API key \"{}\"; it no longer authenticates.", a.id),
        &v,
    ))
}

async fn rotate_api_key(api: Api, a: RotateApiKey) -> Result<Value, ApiError> {
    let v = api
        .post(
            format!("/api-keys/{}/rotate", enc(&a.id)),
            shape::body_without(&a, "id")?,
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(v: Value) -> Limits {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn usage_limits_are_a_monthly_cost_budget() {
        let l = limits(json!({"credit_limit": 10, "rate_limit_rpm": 5}));
        assert_eq!(
            serde_json::to_value(usage_limits(&l)).unwrap(),
            json!({"type": "cost", "periodic_reset": "monthly", "credit_limit": 10})
        );
        assert_eq!(
            serde_json::to_value(rpm(&l)).unwrap(),
            json!([{"type": "requests", "unit": "rpm", "value": 5}])
        );
        assert!(usage_limits(&limits(json!({}))).is_none());
    }

    #[test]
    fn virtual_key_body_is_camel_case_for_azure_and_drops_mapping_nulls() {
        let m: Vec<SecretMapping> = serde_json::from_value(
            json!([{"target_field": "key", "secret_reference_id": "sr", "secret_key": null}]),
        )
        .unwrap();
        let body = VirtualKeyBody {
            name: Some("n"),
            api_version: Some("v1"),
            secret_mappings: mappings_without_nulls(&Some(m)),
            ..VirtualKeyBody::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name": "n", "apiVersion": "v1", "secret_mappings": [{"target_field": "key", "secret_reference_id": "sr"}]})
        );
    }

    #[test]
    fn api_key_body_sends_a_given_null_and_derives_rates_and_defaults() {
        let s: ApiKeySettings = serde_json::from_value(
            json!({"rate_limit_rpm": 9, "default_config_id": "pc-1", "alert_emails": ["a@b.c"]}),
        )
        .unwrap();
        let body = ApiKeyBody {
            scopes: None,
            expires_at: Some(None),
            ..ApiKeyBody::with_settings(&s)
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"rate_limits": [{"type": "requests", "unit": "rpm", "value": 9}],
                   "defaults": {"config_id": "pc-1"}, "alert_emails": ["a@b.c"], "expires_at": null})
        );
        let cleared: ApiKeySettings = serde_json::from_value(json!({"rate_limits": null})).unwrap();
        assert_eq!(
            serde_json::to_value(ApiKeyBody::with_settings(&cleared)).unwrap(),
            json!({"rate_limits": null})
        );
    }

    #[test]
    fn rotate_body_leaves_the_id_to_the_path() {
        let a = RotateApiKey {
            id: "k".into(),
            key_transition_period_ms: None,
        };
        assert_eq!(shape::body_without(&a, "id").unwrap(), json!({}));
    }
}
