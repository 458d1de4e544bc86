//! Providers: workspace-level instances of an integration, with their own usage and rate limits.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::common::Paging;
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::js::Whole;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListProviders {
    #[serde(flatten)]
    pub page: Paging,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SlugWs {
    /// Slug from list_providers
    pub slug: String,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LimitType {
    Cost,
    Tokens,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Reset {
    Monthly,
    Weekly,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateUnit {
    Rpm,
    Rph,
    Rpd,
}

/// Limits and expiry shared by create and update.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Limits {
    /// Usage cap, USD or tokens
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub credit_limit: Option<f64>,
    /// Alert at % of cap
    #[schemars(range(min = 1, max = 100))]
    pub alert_threshold: Option<f64>,
    /// Cap counts cost (default) or tokens
    pub usage_limit_type: Option<LimitType>,
    /// Cap resets monthly (default) or weekly
    pub periodic_reset: Option<Reset>,
    /// Requests per unit
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub rate_limit_value: Option<f64>,
    /// Per minute (rpm), hour (rph) or day (rpd)
    pub rate_limit_unit: Option<RateUnit>,
    /// Expiry, ISO 8601
    pub expires_at: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateProvider {
    /// Display name of the provider
    pub name: String,
    /// Slug from list_integrations
    pub integration_id: String,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
    /// New slug you choose; optional
    pub slug: Option<String>,
    /// Note in free text
    pub note: Option<String>,
    #[serde(flatten)]
    pub limits: Limits,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateProvider {
    /// Slug from list_providers
    pub slug: String,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
    /// New display name
    pub name: Option<String>,
    /// New free-text note
    pub note: Option<String>,
    #[serde(flatten)]
    pub limits: Limits,
    /// Zero consumed usage
    pub reset_usage: Option<bool>,
}

/// `usage_limits` as POST and PUT /providers take it.
#[derive(Debug, Serialize)]
struct UsageLimitsBody {
    #[serde(rename = "type")]
    kind: LimitType,
    periodic_reset: Reset,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_limit: Option<Whole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert_threshold: Option<Whole>,
}

/// `rate_limits` as POST and PUT /providers take it: one object (answers list them in an array).
#[derive(Debug, Serialize)]
struct RateLimitBody {
    #[serde(rename = "type")]
    kind: &'static str,
    unit: RateUnit,
    value: Whole,
}

/// The limits and expiry members of a create or update body.
#[derive(Debug, Serialize)]
struct LimitsBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_limits: Option<UsageLimitsBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limits: Option<RateLimitBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

/// The body of POST /providers.
#[derive(Debug, Serialize)]
struct NewProvider<'a> {
    name: &'a str,
    integration_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(flatten)]
    limits: LimitsBody,
}

/// The body of PUT /providers/{slug}: only what is given.
#[derive(Debug, Serialize)]
struct ProviderChanges<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(flatten)]
    limits: LimitsBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    reset_usage: Option<bool>,
}

/// The limits members from the flat arguments, after the pairing rules.
fn limits_body(l: &Limits) -> Result<LimitsBody, ApiError> {
    if l.rate_limit_value.is_some() != l.rate_limit_unit.is_some() {
        return Err(bad(
            "rate_limit_value and rate_limit_unit go together: give both or neither",
        ));
    }
    let capped = l.credit_limit.is_some() || l.alert_threshold.is_some();
    if !capped && (l.usage_limit_type.is_some() || l.periodic_reset.is_some()) {
        return Err(bad(
            "usage_limit_type and periodic_reset describe a usage cap: give credit_limit or alert_threshold with them",
        ));
    }
    let usage_limits = capped.then(|| UsageLimitsBody {
        kind: l.usage_limit_type.unwrap_or(LimitType::Cost),
        periodic_reset: l.periodic_reset.unwrap_or(Reset::Monthly),
        credit_limit: l.credit_limit.map(Whole),
        alert_threshold: l.alert_threshold.map(Whole),
    });
    let rate_limits = match (l.rate_limit_value, l.rate_limit_unit) {
        (Some(value), Some(unit)) => Some(RateLimitBody {
            kind: "requests",
            unit,
            value: Whole(value),
        }),
        _ => None,
    };
    Ok(LimitsBody {
        usage_limits,
        rate_limits,
        expires_at: l.expires_at.clone(),
    })
}

/// `?workspace_id=` when one is given and not empty.
fn ws_query(ws: &Option<String>) -> Vec<(String, String)> {
    ws.iter()
        .filter(|w| !w.is_empty())
        .map(|w| ("workspace_id".to_string(), w.clone()))
        .collect()
}

fn shape_provider(p: &Value) -> Value {
    let mut out = shape::pick(p, &["name", "slug", "integration_id", "status", "note"]);
    if let Value::Object(m) = &mut out {
        if let Some(u) = p.get("usage_limits").filter(|u| u.is_object()) {
            m.insert(
                "usage_limits".into(),
                shape::pick(
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
            );
        }
        if let Some(Value::Array(rl)) = p.get("rate_limits") {
            let rows = rl
                .iter()
                .map(|r| shape::pick(r, &["type", "unit", "value"]))
                .collect();
            m.insert("rate_limits".into(), Value::Array(rows));
        }
        for k in ["reset_usage", "expires_at", "created_at"] {
            shape::put(m, k, p.get(k).cloned().unwrap_or(Value::Null));
        }
    }
    out
}

fn id_and_slug(message: String, v: &Value) -> Value {
    shape::obj(vec![
        ("message", json!(message)),
        ("id", v.get("id").cloned().unwrap_or(Value::Null)),
        ("slug", v.get("slug").cloned().unwrap_or(Value::Null)),
    ])
}

async fn list_providers(api: Api, a: ListProviders) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/providers").query_from(&a)).await?;
    let rows: Vec<Value> = shape::item_slice(&v).iter().map(shape_provider).collect();
    let mut out = Map::new();
    out.insert("total".into(), shape::total(&v));
    out.insert("providers".into(), Value::Array(rows));
    shape::put(
        &mut out,
        "has_more",
        v.get("has_more").cloned().unwrap_or(Value::Null),
    );
    Ok(Value::Object(out))
}

async fn create_provider(api: Api, a: CreateProvider) -> Result<Value, ApiError> {
    let body = NewProvider {
        name: &a.name,
        integration_id: &a.integration_id,
        workspace_id: a.workspace_id.as_deref(),
        slug: a.slug.as_deref(),
        note: a.note.as_deref(),
        limits: limits_body(&a.limits)?,
    };
    let v = api.post("/providers", shape::to_json(&body)?).await?;
    Ok(id_and_slug(format!("Provider \"{}\" created.", a.name), &v))
}

async fn get_provider(api: Api, a: SlugWs) -> Result<Value, ApiError> {
    let req = Req::get(format!("/providers/{}", enc(&a.slug))).query(
        a.workspace_id
            .iter()
            .map(|w| ("workspace_id".to_string(), w.clone()))
            .collect(),
    );
    let v = api.send(req).await?;
    Ok(shape_provider(&v))
}

async fn update_provider(api: Api, a: UpdateProvider) -> Result<Value, ApiError> {
    let body = ProviderChanges {
        name: a.name.as_deref(),
        note: a.note.as_deref(),
        limits: limits_body(&a.limits)?,
        reset_usage: a.reset_usage,
    };
    let req = Req::put(
        format!("/providers/{}", enc(&a.slug)),
        shape::to_json(&body)?,
    )
    .query(ws_query(&a.workspace_id));
    let v = api.send(req).await?;
    Ok(id_and_slug(format!("Provider \"{}\" updated.", a.slug), &v))
}

async fn delete_provider(api: Api, a: SlugWs) -> Result<Value, ApiError> {
    let req = Req::delete(format!("/providers/{}", enc(&a.slug))).query(ws_query(&a.workspace_id));
    api.send(req).await?;
    Ok(json!({
        "message": format!("Provider \"{}\" deleted.", a.slug),
        "success": true,
    }))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_providers",
            "List a workspace's providers: integrations enabled there. Returns total, providers[{name, slug, integration_id, status}]. Legacy: list_virtual_keys.",
            list_providers,
        )
        .endpoint("GET /providers"),
        tool(
            "create_provider",
            "Create a workspace provider on an integration, with optional usage cap and rate limit. Returns id, slug; use the slug in configs. Current ones: list_providers.",
            create_provider,
        )
        .endpoint("POST /providers"),
        tool(
            "get_provider",
            "Get one provider by slug. Returns name, slug, integration_id, status, usage_limits, rate_limits. Change it: update_provider.",
            get_provider,
        )
        .endpoint("GET /providers/{slug}"),
        tool(
            "update_provider",
            "Update a provider; only given fields change, at once; reset_usage zeroes consumed usage. Returns id, slug. Current: get_provider.",
            update_provider,
        )
        .endpoint("PUT /providers/{slug}"),
        tool(
            "delete_provider",
            "Delete a workspace provider; keys, configs and prompts using its slug start failing. Returns success. Cannot be undone; recreate with create_provider.",
            delete_provider,
        )
        .endpoint("DELETE /providers/{slug}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_body_flattens_its_limits_with_whole_numbers() {
        let l: Limits = serde_json::from_value(
            json!({"credit_limit": 100.0, "rate_limit_value": 60.0, "rate_limit_unit": "rpm"}),
        )
        .unwrap();
        let body = NewProvider {
            name: "p",
            integration_id: "i",
            workspace_id: None,
            slug: None,
            note: None,
            limits: limits_body(&l).unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name": "p", "integration_id": "i",
                   "usage_limits": {"type": "cost", "periodic_reset": "monthly", "credit_limit": 100},
                   "rate_limits": {"type": "requests", "unit": "rpm", "value": 60}})
        );
        let none: Limits = serde_json::from_value(json!({})).unwrap();
        let changes = ProviderChanges {
            name: None,
            note: Some("n"),
            limits: limits_body(&none).unwrap(),
            reset_usage: Some(true),
        };
        assert_eq!(
            serde_json::to_value(&changes).unwrap(),
            json!({"note": "n", "reset_usage": true})
        );
    }
}
