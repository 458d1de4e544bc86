//! Integrations: org-level AI provider connections (credentials, models, workspace access), and
//! Portkey's public model pricing catalog.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::common::{CostLimit, Paging, PerMinute, SecretMapping, check_mappings, per_minute};
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::pin::{Rule, Widens};
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

/// Any JSON object.
fn object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object"})
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetModelPricing {
    /// Provider id, lowercase: openai, anthropic, bedrock, x-ai...
    pub provider: String,
    /// Exact model id, e.g. gpt-4o
    pub model: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Workspace,
    Organisation,
    All,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListIntegrations {
    #[serde(flatten)]
    pub page: Paging,
    /// Workspace id from list_workspaces
    pub workspace_id: Option<String>,
    /// workspace (one workspace), organisation (org-wide) or all (default)
    #[serde(rename = "type")]
    pub scope: Option<Scope>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Slug {
    /// Slug from list_integrations
    pub slug: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Page {
    /// Slug from list_integrations
    #[serde(skip_serializing)]
    pub slug: String,
    #[serde(flatten)]
    pub page: Paging,
}

/// Provider-specific settings, sent nested under `configurations`.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
pub struct ProviderFields {
    /// Azure OpenAI API version
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Azure resource name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// Azure deployment name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_name: Option<String>,
    /// Bedrock AWS region
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    /// Bedrock access key id from your AWS (write-only)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_access_key_id: Option<String>,
    /// Bedrock AWS secret key (write-only)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_secret_access_key: Option<String>,
    /// GCP project id from your Google Cloud
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vertex_project_id: Option<String>,
    /// Vertex GCP region
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vertex_region: Option<String>,
    /// Custom provider base URL
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_host: Option<String>,
}

/// Negotiated price multipliers.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct PricingAdjustments {
    /// Multipliers over catalog prices (1 same, 0.8 = 20% off, null unsets) by unit: default, request_token, response_token, other *_token units, image {default}, additional_units {unit: n}
    #[schemars(schema_with = "object")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<Map<String, Value>>,
}

/// Fields create and update share.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Common {
    /// Provider API key (write-only)
    pub key: Option<String>,
    /// Description, free text
    pub description: Option<String>,
    #[serde(flatten)]
    pub provider: ProviderFields,
    /// Secret Reference mappings, one per target_field
    pub secret_mappings: Option<Vec<SecretMapping>>,
    /// Price multipliers; null clears
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    pub pricing_adjustments: Option<Option<PricingAdjustments>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateIntegration {
    /// Display name of the integration
    pub name: String,
    /// Provider id from Portkey docs: openai, anthropic, azure-openai, bedrock...
    pub ai_provider_id: String,
    /// Slug you choose; derived from name if omitted
    pub slug: Option<String>,
    /// Workspace id from list_workspaces, for a workspace-scoped one
    pub workspace_id: Option<String>,
    /// Auto-create a provider in that workspace (default true)
    pub create_default_provider: Option<bool>,
    /// Slug you choose for the auto-created provider
    #[schemars(length(max = 255), regex(pattern = r"^[a-zA-Z0-9_-]+$"))]
    pub default_provider_slug: Option<String>,
    #[serde(flatten)]
    pub common: Common,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateIntegration {
    /// Slug from list_integrations
    pub slug: String,
    /// New display name
    pub name: Option<String>,
    #[serde(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PricingType {
    Static,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Price {
    /// Price per token
    #[schemars(range(min = 0))]
    pub price: f64,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct PayAsYouGo {
    /// Input token price
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_token: Option<Price>,
    /// Output token price
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_token: Option<Price>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct PricingConfig {
    /// Pricing type: static
    #[serde(rename = "type")]
    pub kind: PricingType,
    /// Per-token rates, USD cents
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_as_you_go: Option<PayAsYouGo>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ModelConfigurations {
    /// Upstream URL for this model only
    #[schemars(url)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_host: Option<String>,
    /// Extra headers for this model (write-only)
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_headers: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ModelEntry {
    /// Slug from list_integration_models; new for custom
    pub slug: String,
    /// Display name (custom models)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Enabled or not
    pub enabled: bool,
    /// A custom model
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_custom: Option<bool>,
    /// A fine-tuned model
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_finetune: Option<bool>,
    /// Base model slug from list_integration_models
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_model_slug: Option<String>,
    /// Per-model host and headers
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configurations: Option<ModelConfigurations>,
    /// Static custom pricing
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing_config: Option<PricingConfig>,
}

/// Also the body of the update (the slug goes in the path).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateIntegrationModels {
    /// Slug from list_integrations
    #[serde(skip_serializing_if = "crate::shape::not_sent")]
    pub slug: String,
    /// Enable newly available models by default
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_all_models: Option<bool>,
    /// Models to set
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteIntegrationModel {
    /// Slug from list_integrations
    pub slug: String,
    /// Custom model slug from list_integration_models
    pub model_slug: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WorkspaceAccess {
    /// Id from list_workspaces
    pub id: String,
    /// Access on or off
    pub enabled: bool,
    /// Monthly cost cap
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub credit_limit: Option<f64>,
    /// Alert at this % of the cap
    #[schemars(range(min = 1, max = 100))]
    pub alert_threshold: Option<f64>,
    /// Max requests per minute
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub rate_limit_rpm: Option<f64>,
    /// Reactivate exhausted usage
    pub reset_usage: Option<bool>,
    /// Override: auto-create a provider
    pub create_default_provider: Option<bool>,
    /// Override: slug you choose
    pub default_provider_slug: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateIntegrationWorkspaces {
    /// Slug from list_integrations
    pub slug: String,
    /// Access changes per workspace
    pub workspaces: Vec<WorkspaceAccess>,
    /// Access for all current and future workspaces
    pub global_workspace_access_enabled: Option<bool>,
    /// Global cost cap (needs global_workspace_access_enabled)
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub global_credit_limit: Option<f64>,
    /// Global alert % (needs global_workspace_access_enabled)
    #[schemars(range(min = 1, max = 100))]
    pub global_alert_threshold: Option<f64>,
    /// Global requests per minute (needs global_workspace_access_enabled)
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub global_rate_limit_rpm: Option<f64>,
    /// Global settings replace per-workspace ones
    pub override_existing_workspace_access: Option<bool>,
    /// Auto-create providers on grant
    pub create_default_provider: Option<bool>,
    /// Slug you choose for those providers
    pub default_provider_slug: Option<String>,
}

// ---- validation ----------------------------------------------------------------------------

/// Unit names a multiplier may carry, beside `image` and `additional_units`.
const TOKEN_UNITS: &[&str] = &[
    "default",
    "request_token",
    "response_token",
    "cache_read_input_token",
    "cache_write_input_token",
    "cache_read_audio_input_token",
    "request_audio_token",
    "response_audio_token",
    "reasoning_token",
    "prediction_accepted_token",
    "prediction_rejected_token",
    "request_image_token",
    "response_image_token",
    "request_text_token",
    "response_text_token",
    "cache_read_image_input_token",
    "cache_read_text_input_token",
    "cache_write_text_input_token",
    "cache_write_image_input_token",
];

fn is_rate(v: &Value) -> bool {
    v.is_null() || v.as_f64().is_some_and(|f| f >= 0.0)
}

fn check_multiplier(m: &Map<String, Value>) -> Result<(), ApiError> {
    for (k, v) in m {
        let at = format!("`pricing_adjustments.multiplier.{k}`");
        let ok = match k.as_str() {
            "image" => {
                v.is_null()
                    || v.as_object()
                        .is_some_and(|o| o.iter().all(|(ik, iv)| ik == "default" && is_rate(iv)))
            }
            "additional_units" => {
                v.is_null() || v.as_object().is_some_and(|o| o.values().all(is_rate))
            }
            unit if TOKEN_UNITS.contains(&unit) => is_rate(v),
            _ => {
                return Err(bad(format!(
                    "{at} is not a pricing unit; use one of {}, image or additional_units",
                    TOKEN_UNITS.join(", ")
                )));
            }
        };
        if !ok {
            let form = match k.as_str() {
                "image" => "an object {default: number >= 0 or null}",
                "additional_units" => "an object of numbers >= 0 (or null) by unit name",
                _ => "a number >= 0 or null",
            };
            return Err(bad(format!("{at} must be {form}")));
        }
    }
    Ok(())
}

fn check_common(c: &Common) -> Result<(), ApiError> {
    check_mappings(
        c.secret_mappings.as_ref(),
        |t| t == "key" || t.starts_with("configurations."),
        "be \"key\" or start with \"configurations.\" (e.g. configurations.aws_secret_access_key)",
    )?;
    if let Some(Some(PricingAdjustments {
        multiplier: Some(m),
    })) = &c.pricing_adjustments
    {
        check_multiplier(m)?;
    }
    Ok(())
}

// ---- secrets -------------------------------------------------------------------------------

/// Masks header values in a model's `configurations`; header names stay visible.
fn mask_headers(conf: &Value) -> Value {
    let mut c = conf.clone();
    if let Some(Value::Object(h)) = c.get_mut("custom_headers") {
        for v in h.values_mut() {
            *v = json!("[REDACTED]");
        }
    }
    c
}

// ---- bodies and shaping ------------------------------------------------------------------

/// The body of create_integration and update_integration.
#[derive(Debug, Default, Serialize)]
struct IntegrationBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ai_provider_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// The provider fields, left out when none is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    configurations: Option<&'a ProviderFields>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_mappings: Option<&'a Vec<SecretMapping>>,
    /// `Some(None)` sends null (removes the adjustments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pricing_adjustments: Option<&'a Option<PricingAdjustments>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_default_provider: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_provider_slug: Option<&'a str>,
}

impl<'a> IntegrationBody<'a> {
    /// The members create and update fill alike from the shared fields.
    fn with_common(c: &'a Common) -> Result<Self, ApiError> {
        let no_config = matches!(shape::to_json(&c.provider)?, Value::Object(m) if m.is_empty());
        Ok(IntegrationBody {
            key: c.key.as_deref(),
            description: c.description.as_deref(),
            configurations: (!no_config).then_some(&c.provider),
            secret_mappings: c.secret_mappings.as_ref(),
            pricing_adjustments: c.pricing_adjustments.as_ref(),
            ..IntegrationBody::default()
        })
    }
}

/// One workspace's access in update_integration_workspaces.
#[derive(Debug, Serialize)]
struct AccessBody<'a> {
    id: &'a str,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_limits: Option<[CostLimit<f64>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limits: Option<[PerMinute<f64>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reset_usage: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_default_provider: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_provider_slug: Option<&'a str>,
}

impl<'a> From<&'a WorkspaceAccess> for AccessBody<'a> {
    fn from(w: &'a WorkspaceAccess) -> Self {
        AccessBody {
            id: &w.id,
            enabled: w.enabled,
            usage_limits: CostLimit::of(w.credit_limit, w.alert_threshold, true).map(|c| [c]),
            rate_limits: per_minute(w.rate_limit_rpm),
            reset_usage: w.reset_usage,
            create_default_provider: w.create_default_provider,
            default_provider_slug: w.default_provider_slug.as_deref(),
        }
    }
}

/// Access for every workspace, current and future.
#[derive(Debug, Serialize)]
struct GlobalAccess {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_limits: Option<[CostLimit<f64>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limits: Option<[PerMinute<f64>; 1]>,
}

/// The body of update_integration_workspaces.
#[derive(Debug, Serialize)]
struct WorkspacesBody<'a> {
    workspaces: Vec<AccessBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    global_workspace_access: Option<GlobalAccess>,
    #[serde(skip_serializing_if = "Option::is_none")]
    override_existing_workspace_access: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_default_provider: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_provider_slug: Option<&'a str>,
}

const INTEGRATION_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "ai_provider_id",
    "status",
    "description",
    "organisation_id",
    "created_at",
    "last_updated_at",
];

fn shape_integration(v: &Value) -> Value {
    let mut out = shape::pick(
        v,
        &[
            "id",
            "name",
            "slug",
            "ai_provider_id",
            "status",
            "description",
            "organisation_id",
            "masked_key",
            "configurations",
            "global_workspace_access_settings",
            "allow_all_models",
            "workspace_count",
            "secret_mappings",
            "pricing_adjustments",
            "created_at",
            "last_updated_at",
        ],
    );
    if let Some(c) = out.get_mut("configurations") {
        *c = shape::json_field(Some(c));
        crate::redact::mask_secret_fields(c);
    }
    out
}

/// A paged sub-list: rows under `data` (or `alt`), total falling back to the row count.
fn sub_list(v: &Value, alt: &str) -> (Value, Vec<Value>) {
    let rows = match v.get("data").or_else(|| v.get(alt)) {
        Some(Value::Array(a)) => a.clone(),
        _ => shape::items(v),
    };
    let total = match v.get("total") {
        Some(t) if !t.is_null() => t.clone(),
        _ => json!(rows.len()),
    };
    (total, rows)
}

/// The first present member of `keys`, or null.
fn first(v: &Value, keys: &[&str]) -> Value {
    keys.iter()
        .find_map(|k| v.get(*k).filter(|x| !x.is_null()))
        .cloned()
        .unwrap_or(Value::Null)
}

fn shape_model(m: &Value) -> Value {
    shape::obj(vec![
        ("id", first(m, &["id"])),
        ("slug", first(m, &["slug", "model_id"])),
        ("name", first(m, &["name", "model_name"])),
        ("enabled", first(m, &["enabled"])),
        ("is_custom", first(m, &["is_custom", "custom"])),
        ("is_finetune", first(m, &["is_finetune"])),
        ("base_model_slug", first(m, &["base_model_slug"])),
        (
            "configurations",
            mask_headers(&first(m, &["configurations"])),
        ),
        ("pricing_config", first(m, &["pricing_config"])),
        ("created_at", first(m, &["created_at"])),
        ("last_updated_at", first(m, &["last_updated_at"])),
    ])
}

fn shape_workspace(w: &Value) -> Value {
    shape::obj(vec![
        ("id", first(w, &["id"])),
        ("workspace_id", first(w, &["workspace_id", "id"])),
        ("workspace_name", first(w, &["workspace_name"])),
        ("enabled", first(w, &["enabled"])),
        ("usage_limits", first(w, &["usage_limits"])),
        ("rate_limits", first(w, &["rate_limits"])),
        ("created_at", first(w, &["created_at"])),
        ("last_updated_at", first(w, &["last_updated_at"])),
    ])
}

// ---- handlers ------------------------------------------------------------------------------

async fn get_model_pricing(api: Api, a: GetModelPricing) -> Result<Value, ApiError> {
    let path = format!(
        "/model-configs/pricing/{}/{}",
        enc(&a.provider),
        enc(&a.model)
    );
    api.send(Req::get(path).public()).await
}

async fn list_integrations(api: Api, a: ListIntegrations) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/integrations").query_from(&a)).await?;
    Ok(shape::list(&v, "integrations", INTEGRATION_FIELDS))
}

async fn create_integration(api: Api, a: CreateIntegration) -> Result<Value, ApiError> {
    check_common(&a.common)?;
    if let Some(s) = &a.default_provider_slug
        && (s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        return Err(bad(
            "`default_provider_slug` may only contain letters, digits, _ and -",
        ));
    }
    let body = IntegrationBody {
        name: Some(&a.name),
        ai_provider_id: Some(&a.ai_provider_id),
        slug: a.slug.as_deref(),
        workspace_id: a.workspace_id.as_deref(),
        create_default_provider: a.create_default_provider,
        default_provider_slug: a.default_provider_slug.as_deref(),
        ..IntegrationBody::with_common(&a.common)?
    };
    let v = api.post("/integrations", shape::to_json(&body)?).await?;
    Ok(shape::obj(vec![
        (
            "message",
            json!(format!("Integration \"{}\" created.", a.name)),
        ),
        ("id", first(&v, &["id"])),
        ("slug", first(&v, &["slug"])),
    ]))
}

async fn get_integration(api: Api, a: Slug) -> Result<Value, ApiError> {
    let v = api.get(format!("/integrations/{}", enc(&a.slug))).await?;
    Ok(shape_integration(&v))
}

async fn update_integration(api: Api, a: UpdateIntegration) -> Result<Value, ApiError> {
    check_common(&a.common)?;
    let body = IntegrationBody {
        name: a.name.as_deref(),
        ..IntegrationBody::with_common(&a.common)?
    };
    api.put(
        format!("/integrations/{}", enc(&a.slug)),
        shape::to_json(&body)?,
    )
    .await?;
    Ok(json!({
        "message": format!("Integration \"{}\" updated.", a.slug),
        "success": true,
    }))
}

async fn delete_integration(api: Api, a: Slug) -> Result<Value, ApiError> {
    api.delete(format!("/integrations/{}", enc(&a.slug)))
        .await?;
    Ok(json!({
        "message": format!("Integration \"{}\" deleted.", a.slug),
        "success": true,
    }))
}

async fn list_integration_models(api: Api, a: Page) -> Result<Value, ApiError> {
    let req = Req::get(format!("/integrations/{}/models", enc(&a.slug))).query_from(&a);
    let v = api.send(req).await?;
    let (total, rows) = sub_list(&v, "models");
    let models: Vec<Value> = rows.iter().map(shape_model).collect();
    Ok(shape::object([
        ("total", total),
        ("integration_slug", Value::String(a.slug)),
        ("models", Value::Array(models)),
    ]))
}

async fn update_integration_models(
    api: Api,
    a: UpdateIntegrationModels,
) -> Result<Value, ApiError> {
    api.put(
        format!("/integrations/{}/models", enc(&a.slug)),
        shape::to_json(&a)?,
    )
    .await?;
    Ok(json!({
        "message": format!("Models of integration \"{}\" updated.", a.slug),
        "success": true,
        "models_updated": a.models.len(),
    }))
}

async fn delete_integration_model(api: Api, a: DeleteIntegrationModel) -> Result<Value, ApiError> {
    let req = Req::delete(format!("/integrations/{}/models", enc(&a.slug)))
        .query(vec![("slugs".into(), a.model_slug.clone())]);
    api.send(req).await?;
    Ok(json!({
        "message": format!("Model \"{}\" removed from integration \"{}\".", a.model_slug, a.slug),
        "success": true,
    }))
}

async fn list_integration_workspaces(api: Api, a: Page) -> Result<Value, ApiError> {
    let req = Req::get(format!("/integrations/{}/workspaces", enc(&a.slug))).query_from(&a);
    let v = api.send(req).await?;
    let (total, rows) = sub_list(&v, "workspaces");
    let workspaces: Vec<Value> = rows.iter().map(shape_workspace).collect();
    Ok(shape::object([
        ("total", total),
        ("integration_slug", Value::String(a.slug)),
        ("workspaces", Value::Array(workspaces)),
    ]))
}

async fn update_integration_workspaces(
    api: Api,
    a: UpdateIntegrationWorkspaces,
) -> Result<Value, ApiError> {
    let has_global_limits = a.global_credit_limit.is_some()
        || a.global_alert_threshold.is_some()
        || a.global_rate_limit_rpm.is_some();
    if has_global_limits && a.global_workspace_access_enabled.is_none() {
        return Err(bad(
            "global_credit_limit, global_alert_threshold and global_rate_limit_rpm need global_workspace_access_enabled (true or false) too",
        ));
    }
    let body = WorkspacesBody {
        workspaces: a.workspaces.iter().map(AccessBody::from).collect(),
        global_workspace_access: a
            .global_workspace_access_enabled
            .map(|enabled| GlobalAccess {
                enabled,
                usage_limits: CostLimit::of(a.global_credit_limit, a.global_alert_threshold, false)
                    .map(|c| [c]),
                rate_limits: per_minute(a.global_rate_limit_rpm),
            }),
        override_existing_workspace_access: a.override_existing_workspace_access,
        create_default_provider: a.create_default_provider,
        default_provider_slug: a.default_provider_slug.as_deref(),
    };
    api.put(
        format!("/integrations/{}/workspaces", enc(&a.slug)),
        shape::to_json(&body)?,
    )
    .await?;
    Ok(json!({
        "message": format!("Workspace access of integration \"{}\" updated.", a.slug),
        "success": true,
        "workspaces_updated": a.workspaces.len(),
    }))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "get_model_pricing",
            "Get Portkey's public catalog price for one provider/model, in USD cents per token or unit; no API key used. Returns the pricing config. Your multipliers: get_integration.",
            get_model_pricing,
        )
        .endpoint("{public} GET /model-configs/pricing/{provider}/{model}")
        .no_key(),
        tool(
            "list_integrations",
            "List AI provider integrations (org-level credentials). Returns total, integrations[{id, slug, name, ai_provider_id, status}]. Workspace instances: list_providers.",
            list_integrations,
        )
        .endpoint("GET /integrations"),
        tool(
            "create_integration",
            "Create an AI provider integration (key or provider fields, custom host, secret mappings, price multipliers); secrets are write-only. Returns id, slug. Open it to workspaces: update_integration_workspaces.",
            create_integration,
        )
        .endpoint("POST /integrations"),
        tool(
            "get_integration",
            "Get one integration by slug. Returns id, name, slug, ai_provider_id, status, masked_key, configurations, secret_mappings, pricing_adjustments. Models: list_integration_models.",
            get_integration,
        )
        .gated()
        .endpoint("GET /integrations/{slug}"),
        tool(
            "update_integration",
            "Update an integration; only given fields change, live at once for every provider using it. Returns success. Cannot be undone for keys (write-only). Models: update_integration_models.",
            update_integration,
        )
        .destructive(true)
        .idempotent(true)
        .endpoint("PUT /integrations/{slug}"),
        tool(
            "delete_integration",
            "Delete an integration; its providers, virtual keys and workspace access stop working. Returns success. Cannot be undone; recreate with create_integration.",
            delete_integration,
        )
        .endpoint("DELETE /integrations/{slug}"),
        tool(
            "list_integration_models",
            "List an integration's models. Returns total, integration_slug, models[{slug, name, enabled, is_custom, pricing_config}]. Change them: update_integration_models.",
            list_integration_models,
        )
        .gated()
        .endpoint("GET /integrations/{slug}/models"),
        tool(
            "update_integration_models",
            "Enable or disable an integration's models, add custom or fine-tuned ones, set per-model host, headers and prices, for all its workspaces. Returns success, models_updated. Undo: resend old values from list_integration_models.",
            update_integration_models,
        )
        .destructive(true)
        .idempotent(true)
        .endpoint("PUT /integrations/{slug}/models")
        .revokes_access(),
        tool(
            "delete_integration_model",
            "Delete a custom model from an integration. Returns success. Cannot be undone; built-in ones are disabled with update_integration_models. Org admin key.",
            delete_integration_model,
        )
        .endpoint("DELETE /integrations/{slug}/models"),
        tool(
            "list_integration_workspaces",
            "List the workspaces that may use an integration. Returns total, integration_slug, workspaces[{workspace_id, workspace_name, enabled, limits}]. Change: update_integration_workspaces. Org admin key.",
            list_integration_workspaces,
        )
        .gated()
        .endpoint("GET /integrations/{slug}/workspaces")
        .org_wide(),
        tool(
            "update_integration_workspaces",
            "Grant or revoke workspaces' access to an integration, with cost caps, rpm limits and auto-created providers; global_* fields cover all. Returns success, workspaces_updated. Undo: flip enabled. MCP servers: update_mcp_integration_workspaces.",
            update_integration_workspaces,
        )
        .destructive(true)
        .idempotent(true)
        .endpoint("PUT /integrations/{slug}/workspaces")
        .revokes_access()
        .workspace_param("workspaces[].id", Rule::Match)
        .workspace_param("global_workspace_access_enabled", Rule::Refuse(Widens::WhenGiven))
        .workspace_param("global_credit_limit", Rule::Refuse(Widens::WhenGiven))
        .workspace_param("global_alert_threshold", Rule::Refuse(Widens::WhenGiven))
        .workspace_param("global_rate_limit_rpm", Rule::Refuse(Widens::WhenGiven))
        .workspace_param("override_existing_workspace_access", Rule::Refuse(Widens::WhenTrue)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_integration_body_nests_provider_fields_and_sends_a_clearing_null() {
        let c: Common = serde_json::from_value(
            json!({"key": "k", "aws_region": "eu-west-1", "pricing_adjustments": null}),
        )
        .unwrap();
        let body = IntegrationBody {
            name: Some("n"),
            ..IntegrationBody::with_common(&c).unwrap()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name": "n", "key": "k", "configurations": {"aws_region": "eu-west-1"},
                   "pricing_adjustments": null})
        );
        let none: Common = serde_json::from_value(json!({})).unwrap();
        assert_eq!(
            serde_json::to_value(IntegrationBody::with_common(&none).unwrap()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn a_workspaces_body_has_monthly_budgets_per_workspace_and_a_plain_global_one() {
        let a: UpdateIntegrationWorkspaces = serde_json::from_value(json!({"slug": "s",
            "workspaces": [{"id": "ws", "enabled": true, "credit_limit": 5.0, "rate_limit_rpm": 10.0}],
            "global_workspace_access_enabled": false, "global_alert_threshold": 80.0}))
        .unwrap();
        let body = WorkspacesBody {
            workspaces: a.workspaces.iter().map(AccessBody::from).collect(),
            global_workspace_access: Some(GlobalAccess {
                enabled: false,
                usage_limits: CostLimit::of(None, a.global_alert_threshold, false).map(|c| [c]),
                rate_limits: None,
            }),
            override_existing_workspace_access: None,
            create_default_provider: None,
            default_provider_slug: None,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"workspaces": [{"id": "ws", "enabled": true,
                     "usage_limits": [{"type": "cost", "periodic_reset": "monthly", "credit_limit": 5.0}],
                     "rate_limits": [{"type": "requests", "unit": "rpm", "value": 10.0}]}],
                   "global_workspace_access": {"enabled": false,
                     "usage_limits": [{"type": "cost", "alert_threshold": 80.0}]}})
        );
    }

    #[test]
    fn a_models_body_leaves_the_slug_to_the_path() {
        let a: UpdateIntegrationModels = serde_json::from_value(
            json!({"slug": "s", "models": [{"slug": "m", "enabled": true}]}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({"models": [{"slug": "m", "enabled": true}]})
        );
    }
}
