//! Logging: gateway request logs (read, insert) and log export jobs.
//! Log bodies are customer data: they are returned as Portkey sends them and never logged here.

use std::collections::BTreeMap;

use ::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::js::Whole;
use crate::pin::Rule;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PathFormat {
    V1,
    V2,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogType {
    Hooks,
}

/// The query of get_log; each member is sent only when given.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct LogQuery {
    /// v1 (default) or v2 (needs created_at)
    pub path_format: Option<PathFormat>,
    /// Log creation time, ISO 8601; needed for v2
    #[schemars(extend("format" = "date-time"))]
    pub created_at: Option<String>,
    /// hooks for a hook execution log
    #[serde(rename = "type")]
    pub kind: Option<LogType>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetLog {
    /// Log id from download_log_export or the Portkey UI
    pub log_id: String,
    #[serde(flatten)]
    pub q: LogQuery,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Workspace {
    /// Id from list_workspaces
    pub workspace_id: String,
}

fn post() -> String {
    "post".into()
}
fn ok_status() -> f64 {
    200.0
}

/// One CustomLog for POST /logs: the spec requires `request.url`, `request.body` and
/// `response.body`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct InsertLog {
    /// URL that was called
    #[schemars(length(min = 1))]
    pub request_url: String,
    /// Provider, e.g. openai
    pub request_provider: Option<String>,
    /// HTTP method, default post
    #[serde(default = "post")]
    pub request_method: String,
    /// Request headers as strings
    pub request_headers: Option<BTreeMap<String, String>>,
    /// Request JSON body object
    pub request_body: Map<String, Value>,
    /// HTTP status, default 200
    #[serde(default = "ok_status")]
    pub response_status: f64,
    /// Response headers as strings
    pub response_headers: Option<BTreeMap<String, String>>,
    /// Response JSON body object
    pub response_body: Map<String, Value>,
    /// Latency in milliseconds
    pub response_time: Option<f64>,
    /// Whether the response was streamed
    #[serde(default)]
    pub streaming_mode: bool,
    /// Org id from list_api_keys
    pub metadata_organization: Option<String>,
    /// End-user id from your app
    pub metadata_user: Option<String>,
    /// Trace id from your tracing
    pub metadata_trace_id: Option<String>,
    /// Span id from your tracing
    pub metadata_span_id: Option<String>,
    /// Name of this span
    pub metadata_span_name: Option<String>,
    /// Parent span id from your tracing
    pub metadata_parent_span_id: Option<String>,
    /// More metadata; wins over the above
    pub metadata_custom: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Id,
    TraceId,
    CreatedAt,
    Request,
    Response,
    IsSuccess,
    AiOrg,
    AiModel,
    ReqUnits,
    ResUnits,
    TotalUnits,
    RequestUrl,
    Cost,
    CostCurrency,
    ResponseTime,
    ResponseStatusCode,
    Mode,
    Config,
    PromptSlug,
    Metadata,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateLogExport {
    /// Id from list_workspaces
    pub workspace_id: Option<String>,
    /// What the export is for
    pub description: Option<String>,
    /// Start, date or ISO 8601
    pub time_min: String,
    /// End, date or ISO 8601
    pub time_max: String,
    /// Min cost, cents
    pub cost_min: Option<f64>,
    /// Max cost, cents
    pub cost_max: Option<f64>,
    /// Min total tokens
    pub total_units_min: Option<f64>,
    /// Max total tokens
    pub total_units_max: Option<f64>,
    /// Only these models
    pub ai_model: Option<Vec<String>>,
    /// Columns to export
    pub requested_fields: Vec<Field>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ExportId {
    /// Id from list_log_exports
    pub export_id: String,
}

/// PUT /logs/exports/{exportId}: the body requires `filters`, which the end time makes.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateLogExport {
    /// Id from list_log_exports
    pub export_id: String,
    /// New workspace id from list_workspaces
    pub workspace_id: Option<String>,
    /// New end time, date or ISO 8601
    #[schemars(length(min = 1))]
    pub time_of_generation_max: String,
    /// New columns to export
    pub requested_fields: Option<Vec<Field>>,
}

async fn get_log(api: Api, a: GetLog) -> Result<Value, ApiError> {
    match &a.q.created_at {
        Some(t) if !shape::is_datetime(t) => {
            return Err(bad(
                "created_at must be an ISO 8601 date-time with a zone, e.g. 2026-01-01T00:00:00Z",
            ));
        }
        None if a.q.path_format == Some(PathFormat::V2) => {
            return Err(bad(
                "path_format v2 needs created_at (the log's creation time); give it or use v1",
            ));
        }
        _ => {}
    }
    let path = format!("/logs/{}", enc(&a.log_id));
    api.send(Req::get(path).query_from(&a.q)).await
}

async fn get_log_export_field_restrictions(api: Api, a: Workspace) -> Result<Value, ApiError> {
    api.send(Req::get("/logs/exports/field-restrictions").query_from(&a))
        .await
}

/// `request` of an inserted log.
#[derive(Debug, Serialize)]
struct LogRequest<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<&'a BTreeMap<String, String>>,
    body: &'a Map<String, Value>,
}

/// `response` of an inserted log; whole numbers are written as JavaScript writes them.
#[derive(Debug, Serialize)]
struct LogResponse<'a> {
    status: Whole,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<&'a BTreeMap<String, String>>,
    body: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_time: Option<Whole>,
    #[serde(rename = "streamingMode")]
    streaming_mode: bool,
}

/// `metadata` of an inserted log: the named fields, then the custom ones (which win).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LogMetadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    span_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    span_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<&'a str>,
    #[serde(flatten)]
    custom: Option<&'a Map<String, Value>>,
}

/// The body of POST /logs.
#[derive(Debug, Serialize)]
struct NewLog<'a> {
    request: LogRequest<'a>,
    response: LogResponse<'a>,
    metadata: LogMetadata<'a>,
}

fn insert_body(a: &InsertLog) -> NewLog<'_> {
    NewLog {
        request: LogRequest {
            url: &a.request_url,
            provider: a.request_provider.as_deref(),
            method: &a.request_method,
            headers: a.request_headers.as_ref(),
            body: &a.request_body,
        },
        response: LogResponse {
            status: Whole(a.response_status),
            headers: a.response_headers.as_ref(),
            body: &a.response_body,
            response_time: a.response_time.map(Whole),
            streaming_mode: a.streaming_mode,
        },
        metadata: LogMetadata {
            organization: a.metadata_organization.as_deref(),
            user: a.metadata_user.as_deref(),
            trace_id: a.metadata_trace_id.as_deref(),
            span_id: a.metadata_span_id.as_deref(),
            span_name: a.metadata_span_name.as_deref(),
            parent_span_id: a.metadata_parent_span_id.as_deref(),
            custom: a.metadata_custom.as_ref(),
        },
    }
}

async fn insert_log(api: Api, a: InsertLog) -> Result<Value, ApiError> {
    let v = api.post("/logs", shape::to_json(&insert_body(&a))?).await?;
    Ok(json!({
        "message": "Log entry inserted.",
        "success": v.get("success").cloned().unwrap_or(json!(true)),
    }))
}

/// The acknowledgement of a create or update: Portkey's id, total and object.
fn saved(v: &Value, message: &str) -> Value {
    let mut out = shape::pick(v, &["id", "total", "object"]);
    if let Value::Object(m) = &mut out {
        m.insert("message".into(), json!(message));
    }
    out
}

/// `filters` of POST /logs/exports. The spec types `ai_model` as one string; several models
/// go comma-separated, as Portkey's other list filters do.
#[derive(Debug, Serialize)]
struct ExportFilters<'a> {
    time_of_generation_min: &'a str,
    time_of_generation_max: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_min: Option<Whole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_max: Option<Whole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_units_min: Option<Whole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_units_max: Option<Whole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ai_model: Option<String>,
}

/// The body of POST /logs/exports.
#[derive(Debug, Serialize)]
struct NewExport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    filters: ExportFilters<'a>,
    requested_data: &'a [Field],
}

fn export_body(a: &CreateLogExport) -> NewExport<'_> {
    NewExport {
        workspace_id: a.workspace_id.as_deref(),
        description: a.description.as_deref(),
        filters: ExportFilters {
            time_of_generation_min: &a.time_min,
            time_of_generation_max: &a.time_max,
            cost_min: a.cost_min.map(Whole),
            cost_max: a.cost_max.map(Whole),
            total_units_min: a.total_units_min.map(Whole),
            total_units_max: a.total_units_max.map(Whole),
            ai_model: a
                .ai_model
                .as_ref()
                .filter(|m| !m.is_empty())
                .map(|m| m.join(",")),
        },
        requested_data: &a.requested_fields,
    }
}

async fn create_log_export(api: Api, a: CreateLogExport) -> Result<Value, ApiError> {
    let body = shape::to_json(&export_body(&a))?;
    let v = api.post("/logs/exports", body).await?;
    Ok(saved(
        &v,
        "Log export created; run it with start_log_export.",
    ))
}

/// Members of a log export that the tools return.
const EXPORT_FIELDS: &[&str] = &[
    "id",
    "status",
    "description",
    "filters",
    "requested_data",
    "organisation_id",
    "workspace_id",
    "created_at",
    "last_updated_at",
    "created_by",
];

async fn list_log_exports(api: Api, a: Workspace) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/logs/exports").query_from(&a)).await?;
    shape::need_array(&v, "data")?;
    Ok(shape::list(&v, "exports", EXPORT_FIELDS))
}

fn export_path(id: &str, action: &str) -> String {
    format!("/logs/exports/{}{action}", enc(id))
}

async fn get_log_export(api: Api, a: ExportId) -> Result<Value, ApiError> {
    let v = api.get(export_path(&a.export_id, "")).await?;
    Ok(shape::pick(&v, EXPORT_FIELDS))
}

/// Starts or cancels an export: POST without a body.
async fn act(api: Api, a: ExportId, action: &str, status: &str) -> Result<Value, ApiError> {
    let path = export_path(&a.export_id, action);
    let v = api.send(Req::new(Method::POST, path)).await?;
    Ok(shape::obj(vec![
        ("message", v.get("message").cloned().unwrap_or(Value::Null)),
        ("export_id", json!(a.export_id)),
        ("status", json!(status)),
    ]))
}

async fn download_log_export(api: Api, a: ExportId) -> Result<Value, ApiError> {
    let v = api.get(export_path(&a.export_id, "/download")).await?;
    Ok(shape::obj(vec![
        ("export_id", json!(a.export_id)),
        (
            "signed_url",
            v.get("signed_url").cloned().unwrap_or(Value::Null),
        ),
    ]))
}

/// The filters update_log_export sends: the end of the window.
#[derive(Debug, Serialize)]
struct EndOnly<'a> {
    time_of_generation_max: &'a str,
}

/// The body of PUT /logs/exports/{id}.
#[derive(Debug, Serialize)]
struct ExportUpdate<'a> {
    filters: EndOnly<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requested_data: Option<&'a Vec<Field>>,
}

async fn update_log_export(api: Api, a: UpdateLogExport) -> Result<Value, ApiError> {
    let body = ExportUpdate {
        filters: EndOnly {
            time_of_generation_max: &a.time_of_generation_max,
        },
        workspace_id: a.workspace_id.as_deref().filter(|s| !s.is_empty()),
        requested_data: a.requested_fields.as_ref(),
    };
    let v = api
        .put(export_path(&a.export_id, ""), shape::to_json(&body)?)
        .await?;
    Ok(saved(&v, "Log export updated."))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "get_log",
            "Get one gateway request log as stored. Returns Portkey's log: request, response, usage, cost, metadata. For path_format v2 give created_at. In bulk: create_log_export.",
            get_log,
        )
        .endpoint("GET /logs/{log_id}")
        .untrusted_output(),
        tool(
            "get_log_export_field_restrictions",
            "Get the fields a workspace may not export. Returns Portkey's restriction list; check it before create_log_export. Needs logs.export.",
            get_log_export_field_restrictions,
        )
        .endpoint("GET /logs/exports/field-restrictions")
        .gated(),
        tool(
            "insert_log",
            "Log a request made outside the gateway, with its response and trace metadata; request_provider must match an integration. Returns success. Read logs: get_log.",
            insert_log,
        )
        .endpoint("POST /logs"),
        tool(
            "create_log_export",
            "Define a log export (time window, filters, columns); it runs only after start_log_export. Returns id. Needs logs.export.",
            create_log_export,
        )
        .endpoint("POST /logs/exports")
        .gated(),
        tool(
            "list_log_exports",
            "List a workspace's log exports. Returns total, exports[{id, status, description, created_at}]. One: get_log_export. Needs logs.export.",
            list_log_exports,
        )
        .endpoint("GET /logs/exports")
        .gated(),
        tool(
            "get_log_export",
            "Get one log export. Returns id, status, description, filters, requested_data, timestamps. When finished: download_log_export. Needs logs.export.",
            get_log_export,
        )
        .endpoint("GET /logs/exports/{export_id}")
        .gated(),
        tool(
            "start_log_export",
            "Queue a log export to run. Returns export_id, status. Poll get_log_export, then download_log_export. Needs logs.export.",
            |api, a| act(api, a, "/start", "started"),
        )
        .endpoint("POST /logs/exports/{export_id}/start")
        .gated(),
        tool(
            "cancel_log_export",
            "Stop a pending or running log export. Returns export_id, status. Cannot be undone; create_log_export and start again. Needs logs.export.",
            |api, a| act(api, a, "/cancel", "cancelled"),
        )
        .endpoint("POST /logs/exports/{export_id}/cancel")
        .gated(),
        tool(
            "download_log_export",
            "Download a finished log export. Returns export_id, signed_url (temporary). Status first: get_log_export. Needs logs.export.",
            download_log_export,
        )
        .endpoint("GET /logs/exports/{export_id}/download")
        .gated()
        .untrusted_output(),
        tool(
            "update_log_export",
            "Change a log export's workspace, end time or columns; nothing else can change. Returns id. Other filters: create_log_export. Needs logs.export.",
            update_log_export,
        )
        .endpoint("PUT /logs/exports/{export_id}")
        .gated()
        .workspace_param("workspace_id", Rule::Match),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_body_groups_the_filters_and_joins_the_models() {
        let a: CreateLogExport =
            serde_json::from_value(json!({"time_min": "2027-01-01", "time_max": "2027-01-02",
            "cost_min": 5.0, "ai_model": ["a", "b"], "requested_fields": ["id", "trace_id"]}))
            .unwrap();
        assert_eq!(
            serde_json::to_value(export_body(&a)).unwrap(),
            json!({"filters": {"time_of_generation_min": "2027-01-01", "time_of_generation_max": "2027-01-02",
                               "cost_min": 5, "ai_model": "a,b"},
                   "requested_data": ["id", "trace_id"]})
        );
    }

    #[test]
    fn an_inserted_log_nests_request_response_and_metadata() {
        let a: InsertLog = serde_json::from_value(json!({"request_url": "https://api.example/v1",
            "request_body": {"a": 1}, "response_body": {}, "response_time": 12.0,
            "metadata_trace_id": "t", "metadata_custom": {"user": "custom", "k": "v"}}))
        .unwrap();
        assert_eq!(
            serde_json::to_value(insert_body(&a)).unwrap(),
            json!({"request": {"url": "https://api.example/v1", "method": "post", "body": {"a": 1}},
                   "response": {"status": 200, "body": {}, "response_time": 12, "streamingMode": false},
                   "metadata": {"traceId": "t", "user": "custom", "k": "v"}})
        );
    }

    #[test]
    fn an_export_update_sends_the_window_end_and_drops_an_empty_workspace() {
        let body = ExportUpdate {
            filters: EndOnly {
                time_of_generation_max: "2027-01-01T00:00:00Z",
            },
            workspace_id: Some("").filter(|s| !s.is_empty()),
            requested_data: None,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"filters": {"time_of_generation_max": "2027-01-01T00:00:00Z"}})
        );
    }
}
