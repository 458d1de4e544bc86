//! Tracing: feedback attached to traced requests.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};

use crate::client::{Api, enc};
use crate::error::ApiError;
use crate::registry::{ToolDef, tool};
use crate::shape;

/// The parts of a feedback record create and update share.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Extra {
    /// Weight of this score (> 0)
    #[schemars(extend("exclusiveMinimum" = 0))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<Number>,
    /// Free-form metadata object
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// The body of create_feedback (with the trace id) and update_feedback.
#[derive(Debug, Serialize)]
struct FeedbackBody<'a> {
    value: &'a Number,
    #[serde(flatten)]
    extra: &'a Extra,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
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
    let body = FeedbackBody {
        value: &a.value,
        extra: &a.extra,
        trace_id: Some(&a.trace_id),
    };
    let v = api.post("/feedback", shape::to_json(&body)?).await?;
    Ok(shape_result(
        format!("Feedback recorded for trace {}.", a.trace_id),
        &v,
    ))
}

async fn update_feedback(api: Api, a: UpdateFeedback) -> Result<Value, ApiError> {
    let v = api
        .put(
            format!("/feedback/{}", enc(&a.id)),
            shape::to_json(&FeedbackBody {
                value: &a.value,
                extra: &a.extra,
                trace_id: None,
            })?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feedback_body_flattens_the_extras() {
        let extra: Extra = serde_json::from_value(json!({"weight": 0.5})).unwrap();
        let n = Number::from(1);
        let body = FeedbackBody {
            value: &n,
            extra: &extra,
            trace_id: Some("t"),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"value": 1, "weight": 0.5, "trace_id": "t"})
        );
    }
}
