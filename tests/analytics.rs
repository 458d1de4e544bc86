//! analytics domain: each tool through MCP against the stand-in, asserting request and result.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{Value, json};

const WINDOW: [(&str, &str); 3] = [
    ("time_of_generation_max", "2026-02-01T00:00:00Z"),
    ("time_of_generation_min", "2026-01-01T00:00:00Z"),
    ("workspace_slug", "ws-1"),
];

/// A time window in one workspace (the spec requires the slug on every analytics path).
fn window() -> Value {
    json!({"time_of_generation_min": "2026-01-01T00:00:00Z", "time_of_generation_max": "2026-02-01T00:00:00Z", "workspace_slug": "ws-1"})
}

/// A time window with no workspace: refused, nothing sent.
fn bare_window() -> Value {
    json!({"time_of_generation_min": "2026-01-01T00:00:00Z", "time_of_generation_max": "2026-02-01T00:00:00Z"})
}

fn with_window(extra: Value) -> Value {
    let mut args = window();
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    args
}

/// The sorted query a call with the window plus `extra` pairs must send.
fn query(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = WINDOW
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    q.sort();
    q
}

fn graph_reply() -> Value {
    json!({"object": "analytics-graph",
    "summary": {"total": 1250, "avg": 12, "success": 90, "failed": 10, "prompt": 800, "completion": 450,
        "p50": 300, "p90": 900, "p99": 1500, "rate": 2.5, "total_hits": 40, "total_misses": 60,
        "total_active_users": 7, "total_new_users": 2},
    "data_points": [
        {"timestamp": "2026-01-01T00:00:00Z", "total": 600, "avg": 10, "success": 50, "failed": 5, "prompt": 400,
         "completion": 200, "p50": 280, "p90": 850, "p99": 1400, "rate": 3.0, "hits": 20, "misses": 30,
         "active_users": 4, "new_users": 1, "extra": "dropped where the tool renames"},
        {"timestamp": "2026-01-02T00:00:00Z", "total": 650, "avg": 14}
    ]})
}

#[tokio::test]
async fn cost_normalises_filters_and_renames_members() {
    let h = Harness::start().await;
    h.api.reply_json(200, graph_reply());
    let args = with_window(json!({
        "status_code": "500", "status_codes": ["429", "503"],
        "virtual_keys": "old", "virtual_key_slugs": ["vk-a", "vk-b"],
        "configs": "cfg-old", "config_slugs": ["cfg-a"],
        "ai_org_model": "x__y", "provider_models": ["openai__gpt-4o", "anthropic__claude"],
        "trace_id": "t-old", "trace_ids": ["t1", "t2"],
        "span_id": "s-old", "span_ids": ["s1"],
        "metadata": "{\"env\":\"dev\"}", "metadata_filter": {"env": "prod", "app": "web"},
        "api_key_ids": "k1,k2", "workspace_slug": "ws-1", "prompt_slug": "p",
        "cost_min": 0.5, "cost_max": 20, "weighted_feedback_min": -3
    }));
    let (env, sent) = h.call("get_cost_analytics", args).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("GET", "/v1/analytics/graphs/cost")
    );
    assert_eq!(
        sent[0].sorted_query(),
        query(&[
            ("ai_org_model", "openai__gpt-4o,anthropic__claude"),
            ("api_key_ids", "k1,k2"),
            ("configs", "cfg-a"),
            ("cost_max", "20"),
            ("cost_min", "0.5"),
            ("metadata", "{\"env\":\"prod\",\"app\":\"web\"}"),
            ("prompt_slug", "p"),
            ("span_id", "s1"),
            ("status_code", "429,503"),
            ("trace_id", "t1,t2"),
            ("virtual_keys", "vk-a,vk-b"),
            ("weighted_feedback_min", "-3"),
            ("workspace_slug", "ws-1"),
        ])
    );
    assert_eq!(env["ok"], true, "{env}");
    let d = &env["data"];
    assert_eq!(
        d["summary"],
        json!({"total_cost": 1250, "average_cost_per_request": 12})
    );
    assert_eq!(d["point_count"], 2);
    assert_eq!(
        d["data_points"][0],
        json!({"timestamp": "2026-01-01T00:00:00Z", "total_cost": 600, "average_cost": 10})
    );
    assert_eq!(
        d["data_points"][1],
        json!({"timestamp": "2026-01-02T00:00:00Z", "total_cost": 650, "average_cost": 14})
    );
}

#[tokio::test]
async fn legacy_strings_pass_through_when_no_array_is_given() {
    let h = Harness::start().await;
    h.api.reply_json(200, graph_reply());
    let (env, sent) = h
        .call(
            "get_request_analytics",
            with_window(json!({"status_code": "429,500", "metadata": "{\"env\":\"dev\"}"})),
        )
        .await;
    assert_eq!(
        sent[0].sorted_query(),
        query(&[
            ("metadata", "{\"env\":\"dev\"}"),
            ("status_code", "429,500")
        ])
    );
    assert_eq!(
        env["data"]["summary"],
        json!({"total_requests": 1250, "successful_requests": 90, "failed_requests": 10})
    );
    assert_eq!(
        env["data"]["data_points"][0],
        json!({"timestamp": "2026-01-01T00:00:00Z", "total": 600, "success": 50, "failed": 5})
    );
}

/// Every time-series tool: its path, and the summary it shapes from `graph_reply`.
#[tokio::test]
async fn every_series_tool_sends_its_path_and_shapes_points() {
    let cases: &[(&str, &str, Value)] = &[
        (
            "get_token_analytics",
            "tokens",
            json!({"total_tokens": 1250, "avg_tokens_per_request": 12, "prompt_tokens": 800, "completion_tokens": 450}),
        ),
        (
            "get_latency_analytics",
            "latency",
            json!({"avg_latency_ms": 12, "p50_latency_ms": 300, "p90_latency_ms": 900, "p99_latency_ms": 1500}),
        ),
        (
            "get_error_analytics",
            "errors",
            json!({"total_errors": 1250}),
        ),
        (
            "get_error_rate_analytics",
            "errors/rate",
            json!({"error_rate_percent": 2.5}),
        ),
        (
            "get_cache_hit_latency",
            "cache/latency",
            json!({"total_latency": 1250, "avg_latency": 12}),
        ),
        (
            "get_cache_hit_rate",
            "cache/hit-rate",
            json!({"hit_rate": 2.5, "total_hits": 1250, "total_misses": 60}),
        ),
        (
            "get_users_analytics",
            "users",
            json!({"total_users": 1250, "total_active_users": 7, "total_new_users": 2}),
        ),
    ];
    let h = Harness::start().await;
    h.api.reply_json(200, graph_reply());
    for (name, path, summary) in cases {
        let (env, sent) = h.call(name, window()).await;
        assert_eq!(sent.len(), 1, "{name}");
        assert_eq!(sent[0].method, "GET");
        assert_eq!(
            sent[0].path,
            format!("/v1/analytics/graphs/{path}"),
            "{name}"
        );
        assert_eq!(sent[0].sorted_query(), query(&[]), "{name}");
        assert_eq!(env["ok"], true, "{name}: {env}");
        assert_eq!(&env["data"]["summary"], summary, "{name}");
        assert_eq!(env["data"]["point_count"], 2, "{name}");
        let first = env["data"]["data_points"][0].as_object().unwrap();
        assert_eq!(first["timestamp"], "2026-01-01T00:00:00Z", "{name}");
        assert!(
            !first.contains_key("extra"),
            "{name} keeps only its members"
        );
    }
    let (env, _) = h.call("get_cache_hit_rate", window()).await;
    assert_eq!(
        env["data"]["data_points"][0],
        json!({"timestamp": "2026-01-01T00:00:00Z", "rate": 3.0, "hits": 20, "misses": 30})
    );
}

#[tokio::test]
async fn generic_series_tools_keep_portkey_members() {
    let tools = [
        ("get_error_stacks_analytics", "errors/stacks"),
        ("get_error_status_codes_analytics", "errors/status-codes"),
        ("get_user_requests_analytics", "users/requests"),
        ("get_rescued_requests_analytics", "requests/rescued"),
        ("get_feedback_analytics", "feedbacks"),
        ("get_feedback_models_analytics", "feedbacks/ai-models"),
        ("get_feedback_scores_analytics", "feedbacks/scores"),
        ("get_feedback_weighted_analytics", "feedbacks/weighted"),
    ];
    let reply = json!({"object": "analytics-graph", "summary": {"total": 3},
        "data_points": [{"timestamp": "2026-01-01T00:00:00Z", "stacks": [{"status": 500, "count": 3}]}]});
    let h = Harness::start().await;
    h.api.reply_json(200, reply.clone());
    for (name, path) in tools {
        let (env, sent) = h.call(name, window()).await;
        assert_eq!(
            sent[0].path,
            format!("/v1/analytics/graphs/{path}"),
            "{name}"
        );
        assert_eq!(sent[0].sorted_query(), query(&[]), "{name}");
        assert_eq!(
            env["data"],
            json!({"summary": reply["summary"], "point_count": 1, "data_points": reply["data_points"]}),
            "{name}"
        );
    }
}

#[tokio::test]
async fn series_without_data_points_or_summary_is_a_clear_error() {
    let h = Harness::start().await;
    // The stand-in's generic answer: no data_points.
    h.api.respond(generic_reply);
    let (env, sent) = h.call("get_cost_analytics", window()).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    let msg = env["error"]["message"].as_str().unwrap();
    assert!(msg.contains("data_points"), "{msg}");
    let (env, _) = h.call("get_feedback_analytics", window()).await;
    assert_eq!(env["ok"], false);
    // Points but no summary: the renaming tools need it, the generic ones do not.
    h.api.reply_json(200, json!({"data_points": []}));
    let (env, _) = h.call("get_latency_analytics", window()).await;
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("summary"),
        "{env}"
    );
    let (env, _) = h.call("get_feedback_analytics", window()).await;
    assert_eq!(env["data"], json!({"point_count": 0, "data_points": []}));
}

#[tokio::test]
async fn cache_summary_returns_the_summary_for_a_workspace() {
    let h = Harness::start().await;
    let summary =
        json!({"hits": 40, "avg_latency": 35, "total_requests": 100, "cache_speedup": 87});
    h.api.reply_json(
        200,
        json!({"object": "analytics-summary", "summary": summary}),
    );
    let (env, sent) = h
        .call(
            "get_cache_summary",
            with_window(json!({"workspace_slug": "ws-1"})),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/analytics/summary/cache");
    assert_eq!(sent[0].sorted_query(), query(&[("workspace_slug", "ws-1")]));
    assert_eq!(env["data"], summary);
    h.refused("get_cache_summary", bare_window()).await;
    h.refused("get_cost_analytics", bare_window()).await;
    h.refused(
        "get_cache_summary",
        with_window(json!({"workspace_slug": ""})),
    )
    .await;
}

#[tokio::test]
async fn group_tools_page_only_when_asked_and_count_rows() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 42, "data": [
            {"user": "u1", "requests": "10", "cost": "5", "object": "analytics-group"},
            {"user": "u2", "requests": "3", "cost": "1", "object": "analytics-group"}]}),
    );
    let ws = || with_window(json!({"workspace_slug": "ws"}));
    let (env, sent) = h.call("get_analytics_group_users", ws()).await;
    assert_eq!(sent[0].path, "/v1/analytics/groups/users");
    assert_eq!(sent[0].sorted_query(), query(&[("workspace_slug", "ws")]));
    assert_eq!(env["data"]["total_groups"], 42);
    assert_eq!(env["data"]["group_count"], 2);
    assert_eq!(env["data"]["users"][1]["user"], "u2");
    let (env, sent) = h
        .call(
            "get_analytics_group_models",
            with_window(
                json!({"current_page": 2, "page_size": 25, "provider_models": ["openai__gpt-4o"], "workspace_slug": "ws"}),
            ),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/analytics/groups/ai-models");
    assert_eq!(
        sent[0].sorted_query(),
        query(&[
            ("ai_org_model", "openai__gpt-4o"),
            ("current_page", "2"),
            ("page_size", "25"),
            ("workspace_slug", "ws")
        ])
    );
    assert_eq!(env["data"]["models"][0]["requests"], "10");
    h.refused(
        "get_analytics_group_users",
        with_window(json!({"page_size": 0, "workspace_slug": "ws"})),
    )
    .await;
    h.refused(
        "get_analytics_group_models",
        with_window(json!({"page_size": 101, "workspace_slug": "ws"})),
    )
    .await;
    // A list answer without `data` cannot be counted.
    h.api.reply_json(200, json!({"total": 1}));
    let (env, _) = h.call("get_analytics_group_users", ws()).await;
    assert_eq!(env["ok"], false);
}

#[tokio::test]
async fn group_metadata_encodes_the_key_and_refuses_a_blank_one() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 1, "data": [{"metadata_value": "prod", "requests": 9, "cost": 3}]}),
    );
    let (env, sent) = h
        .call(
            "get_analytics_group_metadata",
            with_window(json!({"metadata_key": "team/env x", "workspace_slug": "ws"})),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/analytics/groups/metadata/team%2Fenv%20x");
    assert_eq!(sent[0].sorted_query(), query(&[("workspace_slug", "ws")]));
    assert_eq!(
        env["data"],
        json!({"total_groups": 1, "group_count": 1, "metadata_groups": [{"metadata_value": "prod", "requests": 9, "cost": 3}]})
    );
    let msg = h
        .refused(
            "get_analytics_group_metadata",
            with_window(json!({"metadata_key": "  ", "workspace_slug": "ws"})),
        )
        .await;
    assert!(msg.contains("metadata_key"), "{msg}");
    h.refused(
        "get_analytics_group_metadata",
        with_window(json!({"workspace_slug": "ws"})),
    )
    .await;
}

/// GET /analytics/groups/{users,ai-models,metadata/{metadataKey}} take the spec's required
/// `WorkspaceSlug` parameter: without it nothing is sent and the message names it.
#[tokio::test]
async fn group_tools_need_a_workspace_slug() {
    let h = Harness::start().await;
    for (tool, extra) in [
        ("get_analytics_group_users", json!({})),
        ("get_analytics_group_models", json!({})),
        (
            "get_analytics_group_metadata",
            json!({"metadata_key": "env"}),
        ),
    ] {
        let mut bare = with_window(extra.clone());
        bare.as_object_mut().unwrap().remove("workspace_slug");
        let msg = h.refused(tool, bare).await;
        assert!(msg.contains("workspace_slug"), "{msg}");
        let mut blank = extra.clone();
        blank["workspace_slug"] = json!("");
        h.refused(tool, with_window(blank)).await;
    }
    let tools = h.mcp.list_tools().await;
    for name in [
        "get_analytics_group_users",
        "get_analytics_group_models",
        "get_analytics_group_metadata",
    ] {
        let t = tools.iter().find(|t| t["name"] == name).unwrap();
        let req = t["inputSchema"]["required"].as_array().unwrap();
        assert!(req.contains(&json!("workspace_slug")), "{name}: {req:?}");
    }
}

#[tokio::test]
async fn group_providers_joins_columns_and_needs_a_workspace() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "list", "total": 3, "data": [{"provider": "openai", "requests": 120, "cost": 40}]}),
    );
    let (env, sent) = h
        .call(
            "get_analytics_group_providers",
            with_window(json!({"workspace_slug": "ws", "columns": ["requests", "p95_latency", "cost"],
                "include_total": false, "order_by": "cost", "order_by_type": "desc", "current_page": 0})),
        )
        .await;
    assert_eq!(sent[0].path, "/v1/analytics/groups/provider");
    assert_eq!(
        sent[0].sorted_query(),
        query(&[
            ("columns", "requests,p95_latency,cost"),
            ("current_page", "0"),
            ("include_total", "false"),
            ("order_by", "cost"),
            ("order_by_type", "desc"),
            ("workspace_slug", "ws"),
        ])
    );
    assert_eq!(
        env["data"],
        json!({"total": 3, "providers": [{"provider": "openai", "requests": 120, "cost": 40}]})
    );
    h.refused("get_analytics_group_providers", bare_window())
        .await;
    h.refused(
        "get_analytics_group_providers",
        with_window(json!({"workspace_slug": "ws", "columns": ["bogus"]})),
    )
    .await;
}

#[tokio::test]
async fn schema_rules_refuse_before_sending() {
    let h = Harness::start().await;
    h.refused(
        "get_cost_analytics",
        json!({"time_of_generation_min": "2026-01-01T00:00:00Z"}),
    )
    .await;
    h.refused(
        "get_error_analytics",
        with_window(json!({"weighted_feedback_max": 11})),
    )
    .await;
    h.refused("get_token_analytics", with_window(json!({"cost_min": -1})))
        .await;
}

#[tokio::test]
async fn all_analytics_tools_are_gated_read_only() {
    let h = Harness::start().await;
    let tools = h.mcp.list_tools().await;
    let ours: Vec<&Value> = tools
        .iter()
        .filter(|t| {
            let n = t["name"].as_str().unwrap();
            n.contains("analytics") || n.starts_with("get_cache_")
        })
        .collect();
    assert_eq!(ours.len(), 22);
    for t in ours {
        assert!(
            t["description"]
                .as_str()
                .unwrap()
                .ends_with("Returns 403 on non-Enterprise Portkey plans."),
            "{t}"
        );
        assert_eq!(t["annotations"]["readOnlyHint"], true);
        let props = t["inputSchema"]["properties"].as_object().unwrap();
        assert!(props.contains_key("metadata_filter") && props.contains_key("span_ids"));
    }
}

/// Answers shaped exactly as the spec describes each graph: every member it documents comes back
/// (the tokens average, the cache-hit breakdown and savings, the unique-user totals).
#[tokio::test]
async fn spec_shaped_graphs_keep_every_documented_member() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"object": "analytics-graph", "summary": {"total": 5000, "avg": 250},
            "data_points": [{"timestamp": "2026-01-01T00:00:00Z", "total": 5000, "avg": 250}]}),
    );
    let (env, _) = h.call("get_token_analytics", window()).await;
    assert_eq!(
        env["data"]["summary"],
        json!({"total_tokens": 5000, "avg_tokens_per_request": 250})
    );
    assert_eq!(
        env["data"]["data_points"][0],
        json!({"timestamp": "2026-01-01T00:00:00Z", "total": 5000, "avg": 250})
    );

    h.api.reply_json(
        200,
        json!({"object": "analytics-graph", "summary": {"total": 40, "rate": 12},
            "data_points": [{"timestamp": "2026-01-01T00:00:00Z", "simple_hits": 30, "semantic_hits": 10, "rate": 12,
                "cumulative_simple_cache_savings": 150, "cumulative_semantic_cache_savings": 70}]}),
    );
    let (env, _) = h.call("get_cache_hit_rate", window()).await;
    assert_eq!(
        env["data"]["summary"],
        json!({"hit_rate": 12, "total_hits": 40})
    );
    assert_eq!(
        env["data"]["data_points"][0],
        json!({"timestamp": "2026-01-01T00:00:00Z", "rate": 12, "simple_hits": 30, "semantic_hits": 10,
            "cumulative_simple_cache_savings": 150, "cumulative_semantic_cache_savings": 70})
    );

    h.api.reply_json(
        200,
        json!({"object": "analytics-graph", "summary": {"total": 9},
            "data_points": [{"timestamp": "2026-01-01T00:00:00Z", "total": 4}]}),
    );
    let (env, _) = h.call("get_users_analytics", window()).await;
    assert_eq!(env["data"]["summary"], json!({"total_users": 9}));
    assert_eq!(
        env["data"]["data_points"][0],
        json!({"timestamp": "2026-01-01T00:00:00Z", "total_users": 4})
    );
}
