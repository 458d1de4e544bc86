//! Audit: the organisation's log of administrative actions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::Paging;
use crate::client::{Api, Req};
use crate::error::ApiError;
use crate::registry::{ToolDef, tool};
use crate::shape;

/// The query of GET /audit-logs; the spec requires `organisation_id`, `start_time` and
/// `end_time`, so the caller gives them.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListAuditLogs {
    /// Org id from list_api_keys
    #[schemars(length(min = 1))]
    pub organisation_id: String,
    /// Id from list_workspaces
    pub workspace_id: Option<String>,
    /// Acting user id from list_all_users
    pub actor_id: Option<String>,
    /// Action, e.g. create
    pub action: Option<String>,
    /// Resource type, e.g. prompt
    pub resource_type: Option<String>,
    /// Resource id, e.g. from list_configs
    pub resource_id: Option<String>,
    /// From, ISO 8601
    #[schemars(length(min = 1))]
    pub start_time: String,
    /// To, ISO 8601
    #[schemars(length(min = 1))]
    pub end_time: String,
    #[serde(flatten)]
    pub page: Paging,
}

/// The members of an event worth showing; request bodies and headers are left out (they can
/// carry secrets).
const EVENT_FIELDS: &[&str] = &[
    "id",
    "timestamp",
    "created_at",
    "action",
    "method",
    "uri",
    "resource_type",
    "resource_id",
    "resource_name",
    "workspace_id",
    "organisation_id",
    "actor_id",
    "actor_email",
    "actor_name",
    "user_id",
    "user_type",
    "response_status_code",
    "request_id",
    "client_ip",
    "ip_address",
    "country",
    "metadata",
];

/// `{total, audit_logs, ...}`: events come as `data` (reference) or `records` (OpenAPI).
fn shape_events(v: &Value) -> Value {
    let rows: Vec<Value> = v
        .get("records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| shape::items(v))
        .iter()
        .map(|e| {
            let mut row = shape::pick(e, EVENT_FIELDS);
            crate::redact::mask_secret_fields(&mut row);
            row
        })
        .collect();
    let mut out = Map::new();
    let total = match v.get("total") {
        Some(t) if !t.is_null() => t.clone(),
        _ => Value::from(rows.len()),
    };
    out.insert("total".into(), total);
    for k in ["current_page", "page_size", "has_more"] {
        shape::put(&mut out, k, v.get(k).cloned().unwrap_or_default());
    }
    out.insert("audit_logs".into(), Value::Array(rows));
    Value::Object(out)
}

async fn list_audit_logs(api: Api, a: ListAuditLogs) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/audit-logs").query_from(&a)).await?;
    Ok(shape_events(&v))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_audit_logs",
            "List audit events. Returns total, has_more, audit_logs[{timestamp, action, resource_type, resource_id, actor_email, workspace_id}]. Actors: list_all_users. Org admin key.",
            list_audit_logs,
        )
        .gated()
        .endpoint("GET /audit-logs")
        .untrusted_output(),
    ]
}
