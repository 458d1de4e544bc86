//! Configs: gateway routing (strategy, targets), cache and retry settings, and their versions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};

use super::common::Paging;
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Slug {
    /// Slug from list_configs
    pub slug: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CacheMode {
    Simple,
    Semantic,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StrategyMode {
    Loadbalance,
    Fallback,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfigStatus {
    Active,
    Inactive,
}

/// One routing target.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Target {
    /// Provider name, e.g. openai
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Slug from list_virtual_keys
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_key: Option<String>,
}

/// The routing settings shared by create and update.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Settings {
    /// simple (exact match) or semantic (similar prompts) caching
    pub cache_mode: Option<CacheMode>,
    /// Cache lifetime in seconds
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cache_max_age: Option<Number>,
    /// Retry attempts (1-5)
    #[schemars(range(max = 5), extend("exclusiveMinimum" = 0))]
    pub retry_attempts: Option<Number>,
    /// HTTP status codes that trigger a retry
    pub retry_on_status_codes: Option<Vec<Number>>,
    /// loadbalance spreads requests over targets; fallback tries them in order
    pub strategy_mode: Option<StrategyMode>,
    /// Targets to route to
    pub targets: Option<Vec<Target>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateConfig {
    /// Display name of the config
    pub name: String,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
    #[serde(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateConfig {
    /// Slug from list_configs
    pub slug: String,
    /// New display name
    pub name: Option<String>,
    /// active, or inactive (disabled)
    pub status: Option<ConfigStatus>,
    #[serde(flatten)]
    pub settings: Settings,
}

/// The `config` object Portkey stores, built from the flat settings; empty when none is given.
fn config_body(s: &Settings) -> Result<Map<String, Value>, ApiError> {
    let mut c = Map::new();
    if s.cache_mode.is_some() || s.cache_max_age.is_some() {
        c.insert(
            "cache".into(),
            shape::obj(vec![
                ("max_age", json!(s.cache_max_age)),
                ("mode", json!(s.cache_mode)),
            ]),
        );
    }
    if s.retry_attempts.is_some() || s.retry_on_status_codes.is_some() {
        c.insert(
            "retry".into(),
            shape::obj(vec![
                ("attempts", json!(s.retry_attempts)),
                ("on_status_codes", json!(s.retry_on_status_codes)),
            ]),
        );
    }
    if let Some(mode) = s.strategy_mode {
        c.insert("strategy".into(), json!({ "mode": mode }));
    }
    if let Some(t) = &s.targets {
        c.insert("targets".into(), shape::to_json(t)?);
    }
    Ok(c)
}

/// Summary row of a config in a list.
const CONFIG_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "workspace_id",
    "status",
    "is_default",
    "created_at",
    "last_updated_at",
    "owner_id",
    "updated_by",
];

/// One config: the spec's `{success, data: {config, ...}}` or the unwrapped `{id, slug, config}`.
/// An answer in neither shape is an error rather than an empty config.
fn shape_config(v: &Value) -> Result<Value, ApiError> {
    let doc = shape::payload(v);
    if !["config", "id", "slug"]
        .iter()
        .any(|k| doc.get(*k).is_some())
    {
        return Err(shape::unexpected_shape("data.config"));
    }
    let mut out = shape::pick(
        doc,
        &["id", "slug", "name", "status", "workspace_id", "version_id"],
    );
    if let Value::Object(m) = &mut out {
        let config = match shape::json_field(doc.get("config")) {
            Value::Null => json!({}),
            c => c,
        };
        m.insert("config".into(), config);
    }
    Ok(out)
}

/// What a create or update answered. The spec wraps the ids in `data`; older answers carry them
/// at the top level. When neither holds the id the tool looks for, the answer is passed on whole
/// under `response`: the write has happened, and an error would invite a retry that repeats it.
fn shape_saved(message: String, v: &Value, ids: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("message".into(), json!(message));
    for k in ids {
        shape::put(&mut out, k, shape::member(v, k));
    }
    let found = ids.iter().any(|k| out.contains_key(*k));
    let empty = v
        .as_object()
        .is_none_or(|m| m.keys().all(|k| k == "success"));
    if !found && !v.is_null() && !empty {
        out.insert("response".into(), v.clone());
    }
    out
}

fn shape_versions(v: &Value) -> Value {
    let rows: Vec<Value> = shape::items(v)
        .iter()
        .map(|ver| {
            let mut row = shape::pick(ver, &["version_id", "created_at", "updated_by"]);
            if let Value::Object(m) = &mut row {
                m.insert(
                    "config".into(),
                    match shape::json_field(ver.get("config")) {
                        Value::Null => json!({}),
                        c => c,
                    },
                );
            }
            row
        })
        .collect();
    json!({"total": shape::total(v), "versions": rows})
}

async fn list_configs(api: Api, a: Paging) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/configs").query_from(&a)).await?;
    Ok(shape::list(&v, "configurations", CONFIG_FIELDS))
}

async fn get_config(api: Api, a: Slug) -> Result<Value, ApiError> {
    let v = api.get(format!("/configs/{}", enc(&a.slug))).await?;
    shape_config(&v)
}

async fn create_config(api: Api, a: CreateConfig) -> Result<Value, ApiError> {
    let config = config_body(&a.settings)?;
    if config.is_empty() {
        return Err(bad(
            "give at least one setting: cache_mode, cache_max_age, retry_attempts, retry_on_status_codes, strategy_mode or targets",
        ));
    }
    let body = shape::obj(vec![
        ("name", json!(a.name)),
        ("config", Value::Object(config)),
        ("workspace_id", json!(a.workspace_id)),
    ]);
    let v = api.post("/configs", body).await?;
    Ok(Value::Object(shape_saved(
        format!("Config \"{}\" created.", a.name),
        &v,
        &["id", "slug", "version_id"],
    )))
}

async fn update_config(api: Api, a: UpdateConfig) -> Result<Value, ApiError> {
    let config = config_body(&a.settings)?;
    let mut body = Map::new();
    shape::put(&mut body, "name", json!(a.name));
    shape::put(&mut body, "status", json!(a.status));
    if !config.is_empty() {
        body.insert("config".into(), Value::Object(config));
    }
    let v = api
        .put(format!("/configs/{}", enc(&a.slug)), Value::Object(body))
        .await?;
    let mut out = shape_saved(
        format!("Config \"{}\" updated; a new version was saved.", a.slug),
        &v,
        &["version_id"],
    );
    let success = match shape::member(&v, "success") {
        Value::Bool(b) => b,
        _ => true,
    };
    out.insert("success".into(), json!(success));
    Ok(Value::Object(out))
}

async fn delete_config(api: Api, a: Slug) -> Result<Value, ApiError> {
    let v = api.delete(format!("/configs/{}", enc(&a.slug))).await?;
    Ok(json!({
        "message": format!("Config \"{}\" deleted.", a.slug),
        "success": v.get("success").cloned().unwrap_or(json!(true)),
    }))
}

async fn list_config_versions(api: Api, a: Slug) -> Result<Value, ApiError> {
    let v = api
        .get(format!("/configs/{}/versions", enc(&a.slug)))
        .await?;
    Ok(shape_versions(&v))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_configs",
            "List gateway configs. Returns total, configurations[{id, slug, name, workspace_id, status}]. Routing details of one: get_config.",
            list_configs,
        )
        .endpoint("GET /configs"),
        tool(
            "get_config",
            "Get one config by slug. Returns id, slug, name, status, version_id, config{cache, retry, strategy, targets}. Change: update_config.",
            get_config,
        )
        .endpoint("GET /configs/{slug}"),
        tool(
            "create_config",
            "Create a config from flat routing settings (at least one of cache, retry, strategy or targets). Returns id, slug, version_id. Change it later: update_config.",
            create_config,
        )
        .endpoint("POST /configs"),
        tool(
            "update_config",
            "Update a config by slug; only given fields change, saved as a new version live at once wherever it is used. Returns success, version_id. Earlier versions: list_config_versions.",
            update_config,
        )
        .endpoint("PUT /configs/{slug}")
        .open_world(false),
        tool(
            "delete_config",
            "Delete a config and all its versions; anything still using the slug fails. Returns success. Cannot be undone; update_config to status inactive keeps it.",
            delete_config,
        )
        .endpoint("DELETE /configs/{slug}"),
        tool(
            "list_config_versions",
            "List a config's saved versions. Returns total, versions[{version_id, config, created_at, updated_by}]. Current one: get_config.",
            list_config_versions,
        )
        .endpoint("GET /configs/{slug}/versions"),
    ]
}
