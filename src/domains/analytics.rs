//! Analytics: time series, a cache summary and grouped breakdowns over gateway traffic.
//! Every tool takes the same filters (declared once in [`Filters`]) and is one row of [`SPECS`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::common::Paging;
use crate::client::{Api, Req, enc, query_of};
use crate::error::ApiError;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

/// The filters every analytics tool takes; `W` is the workspace slug (optional or required).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Filters<W> {
    /// ISO 8601 start
    pub time_of_generation_min: String,
    /// ISO 8601 end
    pub time_of_generation_max: String,
    /// Slug from list_workspaces
    pub workspace_slug: W,
    /// Min total tokens
    #[schemars(range(min = 0))]
    pub total_units_min: Option<f64>,
    /// Max total tokens
    #[schemars(range(min = 0))]
    pub total_units_max: Option<f64>,
    /// Min cost, cents
    #[schemars(range(min = 0))]
    pub cost_min: Option<f64>,
    /// Max cost, cents
    #[schemars(range(min = 0))]
    pub cost_max: Option<f64>,
    /// Min prompt tokens
    #[schemars(range(min = 0))]
    pub prompt_token_min: Option<f64>,
    /// Max prompt tokens
    #[schemars(range(min = 0))]
    pub prompt_token_max: Option<f64>,
    /// Min output tokens
    #[schemars(range(min = 0))]
    pub completion_token_min: Option<f64>,
    /// Max output tokens
    #[schemars(range(min = 0))]
    pub completion_token_max: Option<f64>,
    /// Min weighted score
    #[schemars(range(min = -10, max = 10))]
    pub weighted_feedback_min: Option<f64>,
    /// Max weighted score
    #[schemars(range(min = -10, max = 10))]
    pub weighted_feedback_max: Option<f64>,
    /// CSV, e.g. 429,500
    pub status_code: Option<String>,
    /// CSV from list_virtual_keys
    pub virtual_keys: Option<String>,
    /// CSV from list_configs
    pub configs: Option<String>,
    /// CSV from list_api_keys
    pub api_key_ids: Option<String>,
    /// JSON object string
    pub metadata: Option<String>,
    /// CSV of provider__model
    pub ai_org_model: Option<String>,
    /// CSV from get_log
    pub trace_id: Option<String>,
    /// CSV from get_log
    pub span_id: Option<String>,
    /// CSV from list_prompts
    pub prompt_slug: Option<String>,
    #[serde(flatten)]
    pub aliases: Aliases,
}

/// Array and object forms of the comma-separated filters; each wins over its string twin.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Aliases {
    /// Wins over status_code
    pub status_codes: Option<Vec<String>>,
    /// Wins over virtual_keys
    pub virtual_key_slugs: Option<Vec<String>>,
    /// Wins over configs
    pub config_slugs: Option<Vec<String>>,
    /// Wins over ai_org_model
    pub provider_models: Option<Vec<String>>,
    /// Wins over trace_id
    pub trace_ids: Option<Vec<String>>,
    /// Wins over span_id
    pub span_ids: Option<Vec<String>>,
    /// Wins over metadata
    pub metadata_filter: Option<Map<String, Value>>,
}

impl Aliases {
    /// Sends each array/object form as its string twin, which it replaces.
    fn apply(&self, q: &mut Vec<(String, String)>) {
        let csv = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(","));
        let meta = self
            .metadata_filter
            .as_ref()
            .map(|m| Value::Object(m.clone()).to_string());
        for (alias, key, val) in [
            ("status_codes", "status_code", csv(&self.status_codes)),
            (
                "virtual_key_slugs",
                "virtual_keys",
                csv(&self.virtual_key_slugs),
            ),
            ("config_slugs", "configs", csv(&self.config_slugs)),
            (
                "provider_models",
                "ai_org_model",
                csv(&self.provider_models),
            ),
            ("trace_ids", "trace_id", csv(&self.trace_ids)),
            ("span_ids", "span_id", csv(&self.span_ids)),
            ("metadata_filter", "metadata", meta),
        ] {
            q.retain(|(k, _)| k != alias);
            if let Some(val) = val {
                q.retain(|(k, _)| k != key);
                q.push((key.to_string(), val));
            }
        }
    }
}

/// A workspace slug that must be given.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Slug(pub String);

/// Filters with an optional workspace.
pub type Base = Filters<Option<String>>;
/// Filters for one workspace.
pub type InWorkspace = Filters<Slug>;

/// A grouped breakdown: the spec's `WorkspaceSlug` parameter is required on every
/// `/analytics/groups/*` path, so the slug must be given (or filled by the workspace pin).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Paged {
    #[serde(flatten)]
    pub f: InWorkspace,
    #[serde(flatten)]
    pub page: Paging,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ByMetadata {
    #[serde(flatten)]
    pub p: Paged,
    /// Metadata key to group by, e.g. env
    pub metadata_key: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Requests,
    Cost,
    TotalTokens,
    AvgTokens,
    AvgInputTokens,
    AvgOutputTokens,
    AvgLatency,
    P95Latency,
    P99Latency,
    SuccessRate,
    ErrorCount,
    CacheHitRate,
    LastSeen,
    FirstSeen,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ByProvider {
    #[serde(flatten)]
    pub f: InWorkspace,
    #[serde(flatten)]
    pub page: Paging,
    /// Metric to sort by, from columns
    pub order_by: Option<String>,
    /// Sort direction: asc or desc
    pub order_by_type: Option<String>,
    /// Metrics to return per provider
    #[serde(serialize_with = "comma_joined")]
    pub columns: Option<Vec<Metric>>,
    /// Also count all provider groups
    pub include_total: Option<bool>,
}

/// Sends a list of enum values as one comma-separated query value.
fn comma_joined<S: Serializer>(v: &Option<Vec<Metric>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(items) => {
            let names: Vec<String> = items
                .iter()
                .filter_map(|m| serde_json::to_value(m).ok())
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect();
            s.serialize_str(&names.join(","))
        }
        None => s.serialize_none(),
    }
}

/// An analytics input: its query (filters normalised) and the key a path may need.
trait Input {
    fn query(&self) -> Vec<(String, String)>;
    fn path_key(&self) -> Option<&str> {
        None
    }
}

/// The query of an input whose filters carry `aliases`.
fn normalised<T: Serialize>(input: &T, aliases: &Aliases) -> Vec<(String, String)> {
    let mut q = query_of(input);
    aliases.apply(&mut q);
    q
}

impl<W: Serialize> Input for Filters<W> {
    fn query(&self) -> Vec<(String, String)> {
        normalised(self, &self.aliases)
    }
}
impl Input for Paged {
    fn query(&self) -> Vec<(String, String)> {
        normalised(self, &self.f.aliases)
    }
}
impl Input for ByProvider {
    fn query(&self) -> Vec<(String, String)> {
        normalised(self, &self.f.aliases)
    }
}
impl Input for ByMetadata {
    fn query(&self) -> Vec<(String, String)> {
        self.p.query()
    }
    fn path_key(&self) -> Option<&str> {
        Some(&self.metadata_key)
    }
}

/// How a tool reads its input and shapes the answer.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Time series over [`Base`]: summary and point members as `out=in` (or a bare name);
    /// empty lists keep Portkey's members as they are.
    Graph(&'static [&'static str], &'static [&'static str]),
    /// The cache summary of one workspace.
    Summary,
    /// A paged breakdown, rows under this key.
    Groups(&'static str),
    /// Provider rows for one workspace.
    Providers,
    /// Groups by the values of one metadata key.
    ByKey,
}

struct Spec {
    name: &'static str,
    ep: &'static str,
    about: &'static str,
    kind: Kind,
}

const fn spec(name: &'static str, ep: &'static str, about: &'static str, kind: Kind) -> Spec {
    Spec {
        name,
        ep,
        about,
        kind,
    }
}

const fn series(name: &'static str, ep: &'static str, about: &'static str) -> Spec {
    spec(name, ep, about, Kind::Graph(&[], &[]))
}

/// The tools, in the reference's order.
const SPECS: &[Spec] = &[
    spec(
        "get_cost_analytics",
        "GET /analytics/graphs/cost",
        "Chart spend, in cents. Returns summary{total_cost, average_cost_per_request}, data_points[]. Token volume: get_token_analytics.",
        Kind::Graph(
            &["total_cost=total", "average_cost_per_request=avg"],
            &["timestamp", "total_cost=total", "average_cost=avg"],
        ),
    ),
    spec(
        "get_request_analytics",
        "GET /analytics/graphs/requests",
        "Chart request volume. Returns summary{total_requests, successful_requests, failed_requests}, data_points[]. Errors only: get_error_analytics.",
        Kind::Graph(
            &[
                "total_requests=total",
                "successful_requests=success",
                "failed_requests=failed",
            ],
            &["timestamp", "total", "success", "failed"],
        ),
    ),
    spec(
        "get_token_analytics",
        "GET /analytics/graphs/tokens",
        "Chart token use. Returns summary{total_tokens, prompt_tokens, completion_tokens}, data_points[]. Spend: get_cost_analytics.",
        Kind::Graph(
            &[
                "total_tokens=total",
                "avg_tokens_per_request=avg",
                "prompt_tokens=prompt",
                "completion_tokens=completion",
            ],
            &["timestamp", "total", "avg", "prompt", "completion"],
        ),
    ),
    spec(
        "get_latency_analytics",
        "GET /analytics/graphs/latency",
        "Chart latency, in ms. Returns summary{avg_latency_ms, p50_latency_ms, p90_latency_ms, p99_latency_ms}, data_points[]. Cache hits only: get_cache_hit_latency.",
        Kind::Graph(
            &[
                "avg_latency_ms=avg",
                "p50_latency_ms=p50",
                "p90_latency_ms=p90",
                "p99_latency_ms=p99",
            ],
            &["timestamp", "avg", "p50", "p90", "p99"],
        ),
    ),
    spec(
        "get_error_analytics",
        "GET /analytics/graphs/errors",
        "Chart error counts. Returns summary{total_errors}, data_points[]. As a rate: get_error_rate_analytics; per code: get_error_status_codes_analytics.",
        Kind::Graph(
            &["total_errors=total"],
            &["timestamp", "total_errors=total"],
        ),
    ),
    spec(
        "get_error_rate_analytics",
        "GET /analytics/graphs/errors/rate",
        "Chart the error rate, in % of requests. Returns summary{error_rate_percent}, data_points[]. Counts: get_error_analytics.",
        Kind::Graph(
            &["error_rate_percent=rate"],
            &["timestamp", "error_rate_percent=rate"],
        ),
    ),
    spec(
        "get_cache_hit_latency",
        "GET /analytics/graphs/cache/latency",
        "Chart cache-hit latency, in ms. Returns summary{total_latency, avg_latency}, data_points[]. All requests: get_latency_analytics.",
        Kind::Graph(
            &["total_latency=total", "avg_latency=avg"],
            &["timestamp", "total", "avg"],
        ),
    ),
    spec(
        "get_cache_hit_rate",
        "GET /analytics/graphs/cache/hit-rate",
        "Chart cache hits and misses. Returns summary{hit_rate, total_hits, total_misses}, data_points[]. One summary: get_cache_summary.",
        Kind::Graph(
            &[
                "hit_rate=rate",
                "total_hits=total|total_hits",
                "total_misses",
            ],
            &[
                "timestamp",
                "rate",
                "simple_hits",
                "semantic_hits",
                "cumulative_simple_cache_savings",
                "cumulative_semantic_cache_savings",
                "hits",
                "misses",
            ],
        ),
    ),
    spec(
        "get_cache_summary",
        "GET /analytics/summary/cache",
        "Sum up caching in one workspace. Returns Portkey's summary: hits, average hit latency, requests, speedup %. Over time: get_cache_hit_rate.",
        Kind::Summary,
    ),
    spec(
        "get_users_analytics",
        "GET /analytics/graphs/users",
        "Chart active and new users. Returns summary{total_active_users, total_new_users}, data_points[]. Requests per user: get_user_requests_analytics.",
        Kind::Graph(
            &["total_users=total", "total_active_users", "total_new_users"],
            &[
                "timestamp",
                "total_users=total",
                "active_users",
                "new_users",
            ],
        ),
    ),
    series(
        "get_error_stacks_analytics",
        "GET /analytics/graphs/errors/stacks",
        "Chart errors stacked by HTTP status code. Returns summary, data_points. Totals per code: get_error_status_codes_analytics.",
    ),
    series(
        "get_error_status_codes_analytics",
        "GET /analytics/graphs/errors/status-codes",
        "Count each HTTP error code per time bucket. Returns summary, data_points. Stacked: get_error_stacks_analytics; all errors: get_error_analytics.",
    ),
    series(
        "get_user_requests_analytics",
        "GET /analytics/graphs/users/requests",
        "Chart requests per user. Returns summary, data_points. User counts: get_users_analytics.",
    ),
    series(
        "get_rescued_requests_analytics",
        "GET /analytics/graphs/requests/rescued",
        "Chart requests saved by a retry or fallback. Returns summary, data_points. All requests: get_request_analytics.",
    ),
    series(
        "get_feedback_analytics",
        "GET /analytics/graphs/feedbacks",
        "Chart feedback received. Returns summary, data_points. To send some: create_feedback.",
    ),
    series(
        "get_feedback_models_analytics",
        "GET /analytics/graphs/feedbacks/ai-models",
        "Chart feedback per model. Returns summary, data_points. All models: get_feedback_analytics.",
    ),
    series(
        "get_feedback_scores_analytics",
        "GET /analytics/graphs/feedbacks/scores",
        "Chart the spread of raw feedback scores. Returns summary, data_points. Weighted: get_feedback_weighted_analytics.",
    ),
    series(
        "get_feedback_weighted_analytics",
        "GET /analytics/graphs/feedbacks/weighted",
        "Chart weighted feedback scores. Returns summary, data_points. Raw: get_feedback_scores_analytics.",
    ),
    spec(
        "get_analytics_group_users",
        "GET /analytics/groups/users",
        "Break down requests, cost (cents) and tokens per user, paged. Returns total_groups, users[]. Per model: get_analytics_group_models; fewer filters: get_user_stats.",
        Kind::Groups("users"),
    ),
    spec(
        "get_analytics_group_models",
        "GET /analytics/groups/ai-models",
        "Break down requests, cost (cents) and tokens per model, paged. Returns total_groups, models[]. Per user: get_analytics_group_users; per provider: get_analytics_group_providers.",
        Kind::Groups("models"),
    ),
    spec(
        "get_analytics_group_providers",
        "GET /analytics/groups/provider",
        "Break down chosen metrics per provider in one workspace, paged and sorted. Returns total, providers[]. Per model: get_analytics_group_models; per metadata: get_analytics_group_metadata.",
        Kind::Providers,
    ),
    spec(
        "get_analytics_group_metadata",
        "GET /analytics/groups/metadata/{metadata_key}",
        "Break down requests, cost (cents) and tokens per value of one metadata key, paged. Returns total_groups, metadata_groups[]. Per provider: get_analytics_group_providers.",
        Kind::ByKey,
    ),
];

/// `out=in` pairs (or a bare name) picked from `v`, leaving out absent members; `out=a|b` takes
/// the first of `a`, `b` present (the spec's name first, the older one second).
fn renamed(v: &Value, members: &[&str]) -> Value {
    shape::obj(
        members
            .iter()
            .map(|m| {
                let (out, from) = m.split_once('=').unwrap_or((m, m));
                let x = from
                    .split('|')
                    .find_map(|k| v.get(k).filter(|x| !x.is_null()))
                    .cloned()
                    .unwrap_or(Value::Null);
                (out, x)
            })
            .collect(),
    )
}

/// Shapes Portkey's answer; a member the shaping needs but the answer lacks is an error.
fn shape_answer(v: &Value, kind: Kind) -> Result<Value, ApiError> {
    match kind {
        Kind::Graph(summary, point) => {
            let points = shape::need_array(v, "data_points")?;
            let summary = if summary.is_empty() {
                v.get("summary").cloned().unwrap_or(Value::Null)
            } else {
                renamed(shape::need(v, "summary")?, summary)
            };
            let points: Vec<Value> = if point.is_empty() {
                points.clone()
            } else {
                points.iter().map(|p| renamed(p, point)).collect()
            };
            Ok(shape::obj(vec![
                ("summary", summary),
                ("point_count", json!(points.len())),
                ("data_points", Value::Array(points)),
            ]))
        }
        Kind::Summary => Ok(v.get("summary").cloned().unwrap_or_else(|| v.clone())),
        Kind::Groups(key) => groups(v, key),
        Kind::ByKey => groups(v, "metadata_groups"),
        Kind::Providers => Ok(shape::object([
            ("total", shape::total(v)),
            ("providers", Value::Array(shape::items(v))),
        ])),
    }
}

fn groups(v: &Value, key: &str) -> Result<Value, ApiError> {
    let rows = shape::need_array(v, "data")?;
    Ok(shape::obj(vec![
        (
            "total_groups",
            v.get("total").cloned().unwrap_or(Value::Null),
        ),
        ("group_count", json!(rows.len())),
        (key, Value::Array(rows.clone())),
    ]))
}

/// The one handler: normalised filters as the query, then the shaping of the tool's kind.
async fn run<I: Input>(api: Api, a: I, s: &'static Spec) -> Result<Value, ApiError> {
    let mut path = s.ep.trim_start_matches("GET ").to_string();
    if let Some(key) = a.path_key() {
        if key.trim().is_empty() {
            return Err(bad("metadata_key must not be blank"));
        }
        path = path.replace("{metadata_key}", &enc(key));
    }
    let query = a.query();
    // A blank slug is refused here rather than by a minLength repeated in 22 schemas.
    if query
        .iter()
        .any(|(k, v)| k == "workspace_slug" && v.trim().is_empty())
    {
        return Err(bad("`workspace_slug` must not be blank"));
    }
    let v = api.send(Req::get(path).query(query)).await?;
    shape_answer(&v, s.kind)
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    SPECS
        .iter()
        .map(|s| {
            let (n, d) = (s.name, s.about);
            match s.kind {
                Kind::Graph(..) => tool(n, d, move |api, a: InWorkspace| run(api, a, s)),
                Kind::Summary => tool(n, d, move |api, a: InWorkspace| run(api, a, s)),
                Kind::Groups(_) => tool(n, d, move |api, a: Paged| run(api, a, s)),
                Kind::Providers => tool(n, d, move |api, a: ByProvider| run(api, a, s)),
                Kind::ByKey => tool(n, d, move |api, a: ByMetadata| run(api, a, s)),
            }
            .endpoint(s.ep)
            .gated()
        })
        .collect()
}
