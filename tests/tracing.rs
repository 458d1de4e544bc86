//! tracing domain: feedback create and update through MCP against the stand-in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn create_feedback_posts_the_score() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"status": "success", "message": "ok", "feedback_ids": ["f1"]}),
    );
    let (env, sent) = h
        .call(
            "create_feedback",
            json!({"trace_id": "tr-1", "value": -3, "weight": 0.5, "metadata": {"source": "ui", "n": 2}}),
        )
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/feedback")
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"trace_id": "tr-1", "value": -3, "weight": 0.5, "metadata": {"source": "ui", "n": 2}})
        )
    );
    assert_eq!(env["data"]["status"], "success");
    assert_eq!(env["data"]["feedback_ids"], json!(["f1"]));
    assert!(env["data"]["message"].as_str().unwrap().contains("tr-1"));

    let (_, sent) = h
        .call("create_feedback", json!({"trace_id": "tr-1", "value": 1}))
        .await;
    assert_eq!(sent[0].body, Some(json!({"trace_id": "tr-1", "value": 1})));
    h.refused("create_feedback", json!({"trace_id": "t"})).await;
    h.refused(
        "create_feedback",
        json!({"trace_id": "t", "value": 1, "weight": 0}),
    )
    .await;
}

#[tokio::test]
async fn update_feedback_puts_the_value_and_given_fields() {
    let h = Harness::start().await;
    h.api.reply_json(200, json!({"status": "success"}));
    let (env, sent) = h
        .call("update_feedback", json!({"id": "f/1", "value": 0}))
        .await;
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("PUT", "/v1/feedback/f%2F1")
    );
    assert_eq!(sent[0].body, Some(json!({"value": 0})));
    assert_eq!(env["data"]["status"], "success");

    let (_, sent) = h
        .call(
            "update_feedback",
            json!({"id": "f1", "value": 2, "weight": 0.5, "metadata": {"k": "v"}}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(json!({"value": 2, "weight": 0.5, "metadata": {"k": "v"}}))
    );
    // FeedbackUpdateRequest requires `value`: refused without it, nothing sent.
    for args in [json!({"id": "f1"}), json!({"id": "f1", "weight": 0.5})] {
        let msg = h.refused("update_feedback", args).await;
        assert!(msg.contains("value"), "{msg}");
    }
}
