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

/// `config.cache`.
#[derive(Debug, Serialize)]
struct Cache<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age: Option<&'a Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<CacheMode>,
}

/// `config.retry`.
#[derive(Debug, Serialize)]
struct Retry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<&'a Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_status_codes: Option<&'a Vec<Number>>,
}

/// `config.strategy`.
#[derive(Debug, Serialize)]
struct Strategy {
    mode: StrategyMode,
}

/// The `config` object Portkey stores, built from the flat settings.
#[derive(Debug, Serialize)]
struct ConfigDoc<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    cache: Option<Cache<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<Retry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strategy: Option<Strategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<&'a Vec<Target>>,
}

impl<'a> ConfigDoc<'a> {
    /// The config from the flat settings; `None` when no setting is given.
    fn of(s: &'a Settings) -> Option<Self> {
        let doc = ConfigDoc {
            cache: (s.cache_mode.is_some() || s.cache_max_age.is_some()).then_some(Cache {
                max_age: s.cache_max_age.as_ref(),
                mode: s.cache_mode,
            }),
            retry: (s.retry_attempts.is_some() || s.retry_on_status_codes.is_some()).then_some(
                Retry {
                    attempts: s.retry_attempts.as_ref(),
                    on_status_codes: s.retry_on_status_codes.as_ref(),
                },
            ),
            strategy: s.strategy_mode.map(|mode| Strategy { mode }),
            targets: s.targets.as_ref(),
        };
        let empty = doc.cache.is_none()
            && doc.retry.is_none()
            && doc.strategy.is_none()
            && doc.targets.is_none();
        (!empty).then_some(doc)
    }
}

/// The body of create_config and update_config.
#[derive(Debug, Serialize)]
struct ConfigBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<ConfigStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<ConfigDoc<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
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
    let rows: Vec<Value> = shape::item_slice(v)
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
    shape::object([("total", shape::total(v)), ("versions", Value::Array(rows))])
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
    let Some(config) = ConfigDoc::of(&a.settings) else {
        return Err(bad(
            "give at least one setting: cache_mode, cache_max_age, retry_attempts, retry_on_status_codes, strategy_mode or targets",
        ));
    };
    let body = ConfigBody {
        name: Some(&a.name),
        status: None,
        config: Some(config),
        workspace_id: a.workspace_id.as_deref(),
    };
    let v = api.post("/configs", shape::to_json(&body)?).await?;
    Ok(Value::Object(shape_saved(
        format!("Config \"{}\" created.", a.name),
        &v,
        &["id", "slug", "version_id"],
    )))
}

async fn update_config(api: Api, a: UpdateConfig) -> Result<Value, ApiError> {
    let body = ConfigBody {
        name: a.name.as_deref(),
        status: a.status,
        config: ConfigDoc::of(&a.settings),
        workspace_id: None,
    };
    let v = api
        .put(format!("/configs/{}", enc(&a.slug)), shape::to_json(&body)?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_body_groups_the_flat_settings() {
        let s: Settings =
            serde_json::from_value(json!({"cache_mode": "semantic", "retry_attempts": 3,
            "strategy_mode": "fallback", "targets": [{"virtual_key": "vk"}]}))
            .unwrap();
        let body = ConfigBody {
            name: Some("c"),
            status: None,
            config: ConfigDoc::of(&s),
            workspace_id: Some("ws"),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name": "c", "config": {"cache": {"mode": "semantic"}, "retry": {"attempts": 3},
                   "strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "vk"}]},
                   "workspace_id": "ws"})
        );
        let none: Settings = serde_json::from_value(json!({})).unwrap();
        assert!(ConfigDoc::of(&none).is_none());
    }
}
