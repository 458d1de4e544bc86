//! Limits: rate-limit policies (requests or tokens per interval) and usage-limit policies
//! (cumulative cost or token budgets) with their tracked entities.

use ::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value, json};

use super::common::Paging;
use crate::client::{Api, Req, enc, query_of};
use crate::error::ApiError;
use crate::pin::{Rule, Widens};
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyStatus {
    Active,
    Archived,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateType {
    Requests,
    Tokens,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateUnit {
    Rpm,
    Rph,
    Rpd,
    Rpw,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Llm,
    McpTools,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UsageType {
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
pub enum EntityStatus {
    Active,
    Exhausted,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Values {
    One(String),
    Many(#[schemars(length(min = 1))] Vec<String>),
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Condition {
    /// e.g. model, api_key, metadata.<k>
    #[schemars(length(min = 1))]
    pub key: String,
    /// Value(s); * = any
    pub value: Values,
    /// Values to exclude instead
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excludes: Option<Values>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct GroupBy {
    /// e.g. api_key, metadata.<k>
    #[schemars(length(min = 1))]
    pub key: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListRateLimits {
    /// Id from list_workspaces
    pub workspace_id: Option<String>,
    /// active, or archived (deleted)
    pub status: Option<PolicyStatus>,
    /// Counts requests or tokens
    #[serde(rename = "type")]
    pub kind: Option<RateType>,
    /// Per minute (rpm), hour (rph), day (rpd) or week (rpw)
    pub unit: Option<RateUnit>,
    /// llm (model calls) or mcp_tools (MCP tool calls)
    pub target: Option<Target>,
    #[serde(flatten)]
    pub page: Paging,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct GetPolicy {
    /// Id from list_rate_limits
    #[schemars(length(min = 1))]
    pub id: String,
    /// active, or archived for a deleted one
    pub status: Option<PolicyStatus>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PolicyId {
    /// Policy id from list_rate_limits or list_usage_limits
    #[schemars(length(min = 1))]
    pub id: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateRateLimit {
    /// Traffic to match
    #[schemars(length(min = 1))]
    pub conditions: Vec<Condition>,
    /// Count separately per these keys
    #[schemars(length(min = 1))]
    pub group_by: Vec<GroupBy>,
    /// Counts requests or tokens
    #[serde(rename = "type")]
    pub kind: RateType,
    /// Per minute (rpm), hour (rph), day (rpd) or week (rpw)
    pub unit: RateUnit,
    /// Max per unit
    #[schemars(range(min = 0))]
    pub value: Number,
    /// Display name of the policy
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// llm (model calls) or mcp_tools (MCP tool calls)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Id from list_workspaces
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Org id from list_api_keys
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateRateLimit {
    /// Id from list_rate_limits
    #[schemars(length(min = 1))]
    pub id: String,
    /// New display name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New unit: per minute (rpm), hour (rph), day (rpd) or week (rpw)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<RateUnit>,
    /// New max per unit
    #[schemars(range(min = 0))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Number>,
    /// New conditions (replace all)
    #[schemars(length(min = 1))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListUsageLimits {
    /// Id from list_workspaces
    pub workspace_id: Option<String>,
    /// active, or archived (deleted)
    pub status: Option<PolicyStatus>,
    /// Budget in cost or tokens
    #[serde(rename = "type")]
    pub kind: Option<UsageType>,
    #[serde(flatten)]
    pub page: Paging,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct GetUsageLimit {
    /// Id from list_usage_limits
    #[schemars(length(min = 1))]
    pub id: String,
    /// active, or archived for a deleted one
    pub status: Option<PolicyStatus>,
    /// Add per-value usage
    pub include_usage: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateUsageLimit {
    /// Traffic to match
    #[schemars(length(min = 1))]
    pub conditions: Vec<Condition>,
    /// Track separately per these keys
    #[schemars(length(min = 1))]
    pub group_by: Vec<GroupBy>,
    /// Budget in cost or tokens
    #[serde(rename = "type")]
    pub kind: UsageType,
    /// Max total usage
    #[schemars(range(min = 0))]
    pub credit_limit: Number,
    /// Display name of the policy
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Alert at this usage
    #[schemars(range(min = 0))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub alert_threshold: Option<Option<Number>>,
    /// Reset monthly or weekly; none = lifetime
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub periodic_reset: Option<Option<Reset>>,
    /// Id from list_workspaces
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Org id from list_api_keys
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateUsageLimit {
    /// Id from list_usage_limits
    #[schemars(length(min = 1))]
    pub id: String,
    /// New display name
    #[schemars(length(max = 255))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description; null clears
    #[schemars(length(max = 500))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<Option<String>>,
    /// New conditions (replace all)
    #[schemars(length(min = 1))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    /// New max total usage
    #[schemars(range(min = 0))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_limit: Option<Number>,
    /// New alert threshold; null clears
    #[schemars(range(min = 0))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub alert_threshold: Option<Option<Number>>,
    /// Reset monthly or weekly; null clears
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub periodic_reset: Option<Option<Reset>>,
    /// Reset every N days; null clears
    #[schemars(range(min = 1, max = 365))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub periodic_reset_days: Option<Option<u16>>,
    /// Next reset (ISO 8601); null clears
    #[schemars(extend("format" = "date-time"))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_usage_reset_at: Option<Option<String>>,
    /// Grouped value to reset
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_usage_for_value: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListEntities {
    /// Id from list_usage_limits
    #[schemars(length(min = 1))]
    pub limit_id: String,
    /// active, or exhausted (over the limit)
    pub status: Option<EntityStatus>,
    /// Text to match in entities
    pub search: Option<String>,
    #[serde(flatten)]
    pub page: Paging,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EntityRef {
    /// Id from list_usage_limits
    #[schemars(length(min = 1))]
    pub limit_id: String,
    /// Id from list_usage_limit_entities
    #[schemars(length(min = 1))]
    pub entity_id: String,
}

/// `a` as query pairs, less the member that went into the path.
fn query_without<T: Serialize>(a: &T, key: &str) -> Vec<(String, String)> {
    query_of(a).into_iter().filter(|(k, _)| k != key).collect()
}

/// A policy without the `object` tag Portkey adds.
fn without_object(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("object");
    }
    v
}

/// `{total, <key>: rows, has_more?}` with each row as given, optionally without its `object` tag.
fn list_of(v: &Value, key: &str, strip: bool) -> Value {
    let rows: Vec<Value> = shape::item_slice(v)
        .iter()
        .map(|r| if strip { without_object(r) } else { r.clone() })
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("total".into(), shape::total(v));
    out.insert(key.into(), Value::Array(rows));
    if let Some(h) = v.get("has_more").filter(|h| !h.is_null()) {
        out.insert("has_more".into(), h.clone());
    }
    Value::Object(out)
}

fn rate_path(id: &str) -> String {
    format!("/policies/rate-limits/{}", enc(id))
}

fn usage_path(id: &str) -> String {
    format!("/policies/usage-limits/{}", enc(id))
}

fn created(v: &Value) -> Value {
    shape::obj(vec![
        ("success", json!(true)),
        ("id", v.get("id").cloned().unwrap_or(Value::Null)),
    ])
}

async fn list_rate_limits(api: Api, a: ListRateLimits) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/policies/rate-limits").query_from(&a))
        .await?;
    Ok(list_of(&v, "rate_limits", true))
}

async fn get_rate_limit(api: Api, a: GetPolicy) -> Result<Value, ApiError> {
    shape::nonblank("id", &a.id)?;
    let v = api
        .send(Req::get(rate_path(&a.id)).query(query_without(&a, "id")))
        .await?;
    Ok(without_object(&v))
}

async fn create_rate_limit(api: Api, a: CreateRateLimit) -> Result<Value, ApiError> {
    let v = api
        .post("/policies/rate-limits", shape::to_json(&a)?)
        .await?;
    Ok(created(&v))
}

async fn update_rate_limit(api: Api, a: UpdateRateLimit) -> Result<Value, ApiError> {
    shape::nonblank("id", &a.id)?;
    api.put(rate_path(&a.id), shape::body_without(&a, "id")?)
        .await?;
    Ok(json!({"success": true, "id": a.id}))
}

async fn delete_rate_limit(api: Api, a: PolicyId) -> Result<Value, ApiError> {
    shape::nonblank("id", &a.id)?;
    api.delete(rate_path(&a.id)).await?;
    Ok(json!({"success": true, "id": a.id}))
}

async fn list_usage_limits(api: Api, a: ListUsageLimits) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/policies/usage-limits").query_from(&a))
        .await?;
    Ok(list_of(&v, "usage_limits", true))
}

async fn get_usage_limit(api: Api, a: GetUsageLimit) -> Result<Value, ApiError> {
    shape::nonblank("id", &a.id)?;
    let v = api
        .send(Req::get(usage_path(&a.id)).query(query_without(&a, "id")))
        .await?;
    Ok(without_object(&v))
}

async fn create_usage_limit(api: Api, a: CreateUsageLimit) -> Result<Value, ApiError> {
    let v = api
        .post("/policies/usage-limits", shape::to_json(&a)?)
        .await?;
    Ok(created(&v))
}

async fn update_usage_limit(api: Api, a: UpdateUsageLimit) -> Result<Value, ApiError> {
    shape::nonblank("id", &a.id)?;
    if matches!(a.periodic_reset, Some(Some(_))) && matches!(a.periodic_reset_days, Some(Some(_))) {
        return Err(bad(
            "`periodic_reset` and `periodic_reset_days` exclude each other; give one of them (set the other to null to clear it)",
        ));
    }
    if let Some(Some(at)) = &a.next_usage_reset_at
        && !shape::is_datetime(at)
    {
        return Err(bad(format!(
            "`next_usage_reset_at` must be an ISO 8601 date-time with seconds and a zone, e.g. 2026-02-01T00:00:00Z; got \"{at}\""
        )));
    }
    api.put(usage_path(&a.id), shape::body_without(&a, "id")?)
        .await?;
    Ok(json!({"success": true, "id": a.id}))
}

async fn delete_usage_limit(api: Api, a: PolicyId) -> Result<Value, ApiError> {
    shape::nonblank("id", &a.id)?;
    api.delete(usage_path(&a.id)).await?;
    Ok(json!({"success": true, "id": a.id, "status": "archived"}))
}

async fn list_usage_limit_entities(api: Api, a: ListEntities) -> Result<Value, ApiError> {
    shape::nonblank("limit_id", &a.limit_id)?;
    let v = api
        .send(
            Req::get(format!("{}/entities", usage_path(&a.limit_id)))
                .query(query_without(&a, "limit_id")),
        )
        .await?;
    Ok(list_of(&v, "entities", false))
}

async fn reset_usage_limit_entity(api: Api, a: EntityRef) -> Result<Value, ApiError> {
    shape::nonblank("limit_id", &a.limit_id)?;
    shape::nonblank("entity_id", &a.entity_id)?;
    let path = format!(
        "{}/entities/{}/reset",
        usage_path(&a.limit_id),
        enc(&a.entity_id)
    );
    api.send(Req::new(Method::PUT, path)).await?;
    Ok(json!({"success": true, "limit_id": a.limit_id, "entity_id": a.entity_id}))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_rate_limits",
            "List rate-limit policies. Returns total, rate_limits[{id, name, type, unit, value, status}]. Budgets instead: list_usage_limits.",
            list_rate_limits,
        )
        .endpoint("GET /policies/rate-limits"),
        tool(
            "get_rate_limit",
            "Get one rate-limit policy. Returns id, name, conditions, group_by, type, unit, value, status. Change it: update_rate_limit.",
            get_rate_limit,
        )
        .endpoint("GET /policies/rate-limits/{id}"),
        tool(
            "create_rate_limit",
            "Create a rate limit: at most value requests or tokens per unit, counted per group_by, enforced at once. Returns success, id. Budgets: create_usage_limit.",
            create_rate_limit,
        )
        .endpoint("POST /policies/rate-limits")
        .workspace_param("organisation_id", Rule::Refuse(Widens::WhenGiven)),
        tool(
            "update_rate_limit",
            "Update a rate limit's name, unit, value or conditions, at once. Returns success, id. Current: get_rate_limit.",
            update_rate_limit,
        )
        .endpoint("PUT /policies/rate-limits/{id}"),
        tool(
            "delete_rate_limit",
            "Delete a rate-limit policy; throttling stops at once. Returns success, id. Cannot be undone; recreate with create_rate_limit.",
            delete_rate_limit,
        )
        .endpoint("DELETE /policies/rate-limits/{id}"),
        tool(
            "list_usage_limits",
            "List usage-limit (budget) policies. Returns total, usage_limits[{id, name, type, credit_limit, periodic_reset, status}]. Throttles instead: list_rate_limits.",
            list_usage_limits,
        )
        .endpoint("GET /policies/usage-limits"),
        tool(
            "get_usage_limit",
            "Get one usage-limit policy. Returns its settings, with usage per value if include_usage. Tracked values: list_usage_limit_entities.",
            get_usage_limit,
        )
        .endpoint("GET /policies/usage-limits/{id}"),
        tool(
            "create_usage_limit",
            "Create a usage limit: a cost or token budget counted per group_by; requests over it are refused. Returns success, id. Throttles: create_rate_limit.",
            create_usage_limit,
        )
        .endpoint("POST /policies/usage-limits")
        .workspace_param("organisation_id", Rule::Refuse(Widens::WhenGiven)),
        tool(
            "update_usage_limit",
            "Update a usage limit; only given fields change, at once. periodic_reset and periodic_reset_days exclude each other. Returns success, id. Current: get_usage_limit.",
            update_usage_limit,
        )
        .endpoint("PUT /policies/usage-limits/{id}"),
        tool(
            "delete_usage_limit",
            "Delete a usage-limit policy: enforcement stops, it stays readable, archived. Returns success, id, status. Cannot be undone; recreate with create_usage_limit.",
            delete_usage_limit,
        )
        .endpoint("DELETE /policies/usage-limits/{id}"),
        tool(
            "list_usage_limit_entities",
            "List the values (entities) a usage limit tracks, with their usage. Returns total, entities. Zero one: reset_usage_limit_entity.",
            list_usage_limit_entities,
        )
        .endpoint("GET /policies/usage-limits/{limit_id}/entities"),
        tool(
            "reset_usage_limit_entity",
            "Reset one tracked entity's usage to zero, at once. Returns success, limit_id, entity_id. Cannot be undone. Current usage: list_usage_limit_entities.",
            reset_usage_limit_entity,
        )
        .endpoint("PUT /policies/usage-limits/{limit_id}/entities/{entity_id}/reset"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_bodies_leave_the_id_to_the_path_and_send_a_clearing_null() {
        let r: UpdateRateLimit =
            serde_json::from_value(json!({"id": "r", "unit": "rpm", "value": 10})).unwrap();
        assert_eq!(
            shape::body_without(&r, "id").unwrap(),
            json!({"unit": "rpm", "value": 10})
        );
        let u: UpdateUsageLimit =
            serde_json::from_value(json!({"id": "u", "description": null, "credit_limit": 5}))
                .unwrap();
        assert_eq!(
            shape::body_without(&u, "id").unwrap(),
            json!({"description": null, "credit_limit": 5})
        );
    }
}
