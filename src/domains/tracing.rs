//! Tracing: feedback attached to traced requests.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Number, Value, json};

use crate::client::{Api, enc};
use crate::error::ApiError;
use crate::registry::{ToolDef, tool};
use crate::shape;

/// The parts of a feedback record create and update share.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Extra {
    /// Weight of this score (> 0)
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub weight: Option<Number>,
    /// Free-form metadata object
    pub metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateFeedback {
    /// Trace id from your x-portkey-trace-id header
    pub trace_id: String,
    /// Score, e.g. 1 good, 0 bad
    pub value: Number,
    #[serde(flatten)]
    pub extra: Extra,
}

/// PUT /feedback/{id}: the body (FeedbackUpdateRequest) requires `value`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateFeedback {
    /// Id from create_feedback
    pub id: String,
    /// New score value
    pub value: Number,
    #[serde(flatten)]
    pub extra: Extra,
}

fn body(value: Option<&Number>, extra: &Extra) -> Value {
    shape::obj(vec![
        ("value", json!(value)),
        ("weight", json!(extra.weight)),
        ("metadata", json!(extra.metadata)),
    ])
}

fn shape_result(message: String, v: &Value) -> Value {
    let mut out = Map::new();
    out.insert("message".into(), json!(message));
    for k in ["status", "feedback_ids"] {
        shape::put(&mut out, k, v.get(k).cloned().unwrap_or_default());
    }
    Value::Object(out)
}

async fn create_feedback(api: Api, a: CreateFeedback) -> Result<Value, ApiError> {
    let mut b = body(Some(&a.value), &a.extra);
    if let Value::Object(m) = &mut b {
        m.insert("trace_id".into(), json!(a.trace_id));
    }
    let v = api.post("/feedback", b).await?;
    Ok(shape_result(
        format!("Feedback recorded for trace {}.", a.trace_id),
        &v,
    ))
}

async fn update_feedback(api: Api, a: UpdateFeedback) -> Result<Value, ApiError> {
    let v = api
        .put(
            format!("/feedback/{}", enc(&a.id)),
            body(Some(&a.value), &a.extra),
        )
        .await?;
    Ok(shape_result(format!("Feedback {} updated.", a.id), &v))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "create_feedback",
            "Record feedback (a score, optional weight and metadata) on a request trace. Returns status, feedback_ids. Change it: update_feedback; charts: get_feedback_analytics.",
            create_feedback,
        )
        .endpoint("POST /feedback"),
        tool(
            "update_feedback",
            "Update a feedback's value, weight or metadata; the trace link stays. Returns status, feedback_ids. New feedback: create_feedback.",
            update_feedback,
        )
        .endpoint("PUT /feedback/{id}"),
    ]
}
