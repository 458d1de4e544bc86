//! Deployments: self-hosted Gateway registrations on the /v2 API (Enterprise).

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

/// `0` or `1`.
fn flag(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "integer", "enum": [0, 1]})
}

/// Any JSON object.
fn object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object"})
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Archived,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Production,
    NonProduction,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListDeployments {
    /// Org id from list_api_keys
    pub organisation_id: Option<String>,
    /// active, or archived (by archive_deployment)
    pub status: Option<Status>,
    /// production or non_production
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    /// Workspace slugs from list_workspaces
    pub workspace_slug: Option<Vec<String>>,
    /// Name search text
    pub search: Option<String>,
    /// Tags that must all match
    #[schemars(schema_with = "object")]
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
}

/// Gateway auth settings, sent nested under `auth_settings`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Auth {
    /// Base URL of the Gateway
    #[schemars(url)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_base_url: Option<String>,
    /// Base URL of its MCP Gateway
    #[schemars(url)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_gateway_base_url: Option<String>,
    /// 1: own data service, 0: not
    #[schemars(schema_with = "flag")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_dataservice_hosted: Option<u8>,
    /// 1: Playground proxy allowed, 0: not
    #[schemars(schema_with = "flag")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_playground_proxy_allowed: Option<u8>,
    /// Allowed ids from list_workspaces; empty = all
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspaces_allowed: Option<Vec<String>>,
    /// JWT sub claims allowed to connect
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_subs_allowed: Option<Vec<String>>,
    /// Map of JWT sub to workspace slug
    #[schemars(schema_with = "object")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_sub_workspace_mapping: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RegisterDeployment {
    /// Deployment display name
    #[schemars(length(min = 1))]
    pub name: String,
    /// Org id from list_api_keys
    pub organisation_id: Option<String>,
    /// Slug you choose; optional
    #[schemars(length(min = 1, max = 50))]
    pub slug: Option<String>,
    /// production or non_production
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    /// Gateway settings object, free-form
    #[schemars(schema_with = "object")]
    #[serde(default)]
    pub deployment_config: Option<Map<String, Value>>,
    /// Make it the default deployment
    pub is_default: Option<bool>,
    /// String tags; keys A-Za-z0-9_-
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    #[schemars(schema_with = "object")]
    pub tags: Option<Option<Map<String, Value>>>,
    #[serde(flatten)]
    pub auth: Auth,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetDeployment {
    /// Deployment id from list_deployments, or self (the calling Gateway)
    #[schemars(length(min = 1))]
    pub id: String,
    /// Org id from list_api_keys
    pub organisation_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateDeployment {
    /// Id from list_deployments
    #[schemars(length(min = 1))]
    pub id: String,
    /// New display name
    pub name: Option<String>,
    /// production or non_production
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    /// active, or archived (as archive_deployment)
    pub status: Option<Status>,
    /// Gateway settings object; null clears
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    #[schemars(schema_with = "object")]
    pub deployment_config: Option<Option<Map<String, Value>>>,
    /// Make it the default deployment
    pub is_default: Option<bool>,
    /// New auth secret, shown once
    pub rotate_auth: Option<bool>,
    /// true replaces allowed lists instead of merging
    pub override_existing: Option<bool>,
    /// String tags; null clears
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    #[schemars(schema_with = "object")]
    pub tags: Option<Option<Map<String, Value>>>,
    #[serde(flatten)]
    pub auth: Auth,
    /// Allow every workspace
    pub allow_all_workspaces: Option<bool>,
    /// Workspaces to remove
    pub remove_workspaces_allowed: Option<Vec<String>>,
    /// JWT subs to remove
    pub remove_subs_allowed: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Id {
    /// Id from list_deployments
    #[schemars(length(min = 1))]
    pub id: String,
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() {
        return Err(bad("`id` must not be blank"));
    }
    Ok(())
}

/// A `{key: string}` map; for `tags` the keys may hold only letters, digits, `_` and `-`.
fn check_map(field: &str, map: Option<&Map<String, Value>>) -> Result<(), ApiError> {
    for (k, v) in map.into_iter().flatten() {
        if !v.is_string() {
            return Err(bad(format!("`{field}.{k}` must be a string")));
        }
        let key_ok = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if field == "tags" && !key_ok {
            return Err(bad(format!(
                "tag key \"{k}\" in `tags` may only contain letters, digits, _ and -"
            )));
        }
    }
    Ok(())
}

/// `auth_settings` of a register or update: the auth fields, and what only an update says.
#[derive(Debug, Serialize)]
struct AuthSettings<'a> {
    #[serde(flatten)]
    auth: &'a Auth,
    #[serde(skip_serializing_if = "Option::is_none")]
    allow_all_workspaces: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remove_workspaces_allowed: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remove_subs_allowed: Option<&'a Vec<String>>,
}

impl<'a> AuthSettings<'a> {
    /// Just the auth fields.
    fn of(auth: &'a Auth) -> Self {
        AuthSettings {
            auth,
            allow_all_workspaces: None,
            remove_workspaces_allowed: None,
            remove_subs_allowed: None,
        }
    }

    /// `None` when no member would be sent: the body then leaves `auth_settings` out.
    fn given(self) -> Result<Option<Self>, ApiError> {
        let empty = matches!(shape::to_json(&self)?, Value::Object(m) if m.is_empty());
        Ok((!empty).then_some(self))
    }
}

/// The body of register_deployment and update_deployment; a `Some(None)` member is sent as
/// null (it clears the value).
#[derive(Debug, Default, Serialize)]
struct DeploymentBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organisation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deployment_config: Option<Option<&'a Map<String, Value>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_default: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotate_auth: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    override_existing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Option<&'a Map<String, Value>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_settings: Option<AuthSettings<'a>>,
}

/// The answer of a write; one-time credentials get a handling note so they are saved at once.
fn shape_mutation(v: Value) -> Value {
    let one_time = v.get("client_auth").is_some() || v.get("credentials").is_some();
    match v {
        Value::Object(mut m) if one_time => {
            m.insert(
                "handling".into(),
                json!("These credentials are shown once: save them in a secret manager now."),
            );
            Value::Object(m)
        }
        Value::Null => json!({"success": true}),
        other => other,
    }
}

async fn list_deployments(api: Api, a: ListDeployments) -> Result<Value, ApiError> {
    check_map("tags", a.tags.as_ref())?;
    let mut q: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            q.push((k.to_string(), v));
        }
    };
    add("organisation_id", a.organisation_id);
    add("status", a.status.map(|s| json_str(&s)));
    add("type", a.kind.map(|k| json_str(&k)));
    for w in a.workspace_slug.unwrap_or_default() {
        add("workspace_slug", Some(w));
    }
    add("search", a.search);
    add("tags", a.tags.map(|t| Value::Object(t).to_string()));
    let v = api.send(Req::get("/deployments").v2().query(q)).await?;
    Ok(shape::object([
        ("total", shape::total(&v)),
        ("deployments", Value::Array(shape::items(&v))),
    ]))
}

/// A unit enum's wire name.
fn json_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

async fn register_deployment(api: Api, a: RegisterDeployment) -> Result<Value, ApiError> {
    check_map("tags", a.tags.as_ref().and_then(Option::as_ref))?;
    check_map(
        "jwt_sub_workspace_mapping",
        a.auth.jwt_sub_workspace_mapping.as_ref(),
    )?;
    let body = DeploymentBody {
        name: Some(&a.name),
        organisation_id: a.organisation_id.as_deref(),
        slug: a.slug.as_deref(),
        kind: a.kind,
        deployment_config: a.deployment_config.as_ref().map(Some),
        is_default: a.is_default,
        tags: a.tags.as_ref().map(Option::as_ref),
        auth_settings: AuthSettings::of(&a.auth).given()?,
        ..DeploymentBody::default()
    };
    let v = api
        .send(Req::post("/deployments", shape::to_json(&body)?).v2())
        .await?;
    Ok(shape_mutation(v))
}

async fn get_deployment(api: Api, a: GetDeployment) -> Result<Value, ApiError> {
    check_id(&a.id)?;
    let q = a
        .organisation_id
        .map(|o| vec![("organisation_id".to_string(), o)])
        .unwrap_or_default();
    api.send(
        Req::get(format!("/deployments/{}", enc(&a.id)))
            .v2()
            .query(q),
    )
    .await
}

async fn update_deployment(api: Api, a: UpdateDeployment) -> Result<Value, ApiError> {
    check_id(&a.id)?;
    check_map("tags", a.tags.as_ref().and_then(Option::as_ref))?;
    check_map(
        "jwt_sub_workspace_mapping",
        a.auth.jwt_sub_workspace_mapping.as_ref(),
    )?;
    let auth = AuthSettings {
        allow_all_workspaces: a.allow_all_workspaces,
        remove_workspaces_allowed: a.remove_workspaces_allowed.as_ref(),
        remove_subs_allowed: a.remove_subs_allowed.as_ref(),
        ..AuthSettings::of(&a.auth)
    };
    let body = DeploymentBody {
        name: a.name.as_deref(),
        kind: a.kind,
        status: a.status,
        deployment_config: a.deployment_config.as_ref().map(Option::as_ref),
        is_default: a.is_default,
        rotate_auth: a.rotate_auth,
        override_existing: a.override_existing,
        tags: a.tags.as_ref().map(Option::as_ref),
        auth_settings: auth.given()?,
        ..DeploymentBody::default()
    };
    let v = api
        .send(
            Req::put(
                format!("/deployments/{}", enc(&a.id)),
                shape::to_json(&body)?,
            )
            .v2(),
        )
        .await?;
    Ok(shape_mutation(v))
}

async fn archive_deployment(api: Api, a: Id) -> Result<Value, ApiError> {
    check_id(&a.id)?;
    api.send(Req::delete(format!("/deployments/{}", enc(&a.id))).v2())
        .await?;
    Ok(json!({"success": true, "id": a.id, "status": "archived"}))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_deployments",
            "List self-hosted Gateway deployments. Returns total, deployments (status, type, is_default, health). One in full: get_deployment. Org admin key.",
            list_deployments,
        )
        .gated()
        .endpoint("{v2} GET /deployments")
        .org_wide(),
        tool(
            "register_deployment",
            "Register a self-hosted Gateway. Returns the deployment and one-time credentials: store them now. Existing ones: list_deployments. Org admin key.",
            register_deployment,
        )
        .gated()
        .endpoint("{v2} POST /deployments")
        .org_wide(),
        tool(
            "get_deployment",
            "Get one Gateway deployment by id, or self. Returns its settings, credentials masked. Change it: update_deployment. Org admin key.",
            get_deployment,
        )
        .gated()
        .endpoint("{v2} GET /deployments/{id}")
        .org_wide(),
        tool(
            "update_deployment",
            "Update a Gateway deployment; only given fields change. Returns the deployment; with rotate_auth a new secret, shown once. Retire it: archive_deployment. Org admin key.",
            update_deployment,
        )
        .gated()
        .endpoint("{v2} PUT /deployments/{id}")
        .org_wide(),
        tool(
            "archive_deployment",
            "Archive a Gateway deployment: no longer active, history kept. Returns success, id, status. Undo with update_deployment (status active). Org admin key.",
            archive_deployment,
        )
        .gated()
        .endpoint("{v2} DELETE /deployments/{id}")
        .org_wide(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(v: Value) -> Auth {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_register_body_nests_auth_and_leaves_it_out_when_empty() {
        let with =
            auth(json!({"gateway_base_url": "https://gw.example", "is_dataservice_hosted": 1}));
        let body = DeploymentBody {
            name: Some("gw"),
            kind: Some(Kind::NonProduction),
            auth_settings: AuthSettings::of(&with).given().unwrap(),
            ..DeploymentBody::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name": "gw", "type": "non_production",
                   "auth_settings": {"gateway_base_url": "https://gw.example", "is_dataservice_hosted": 1}})
        );
        assert!(
            AuthSettings::of(&auth(json!({})))
                .given()
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn an_update_body_sends_clearing_nulls_and_the_update_only_auth_members() {
        let none = auth(json!({}));
        let removed = vec!["ws-1".to_string()];
        let body = DeploymentBody {
            deployment_config: Some(None),
            tags: Some(None),
            auth_settings: AuthSettings {
                remove_workspaces_allowed: Some(&removed),
                ..AuthSettings::of(&none)
            }
            .given()
            .unwrap(),
            ..DeploymentBody::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"deployment_config": null, "tags": null,
                   "auth_settings": {"remove_workspaces_allowed": ["ws-1"]}})
        );
    }
}
