//! Prompt partials: reusable template snippets included with `{{> name}}`, and their versions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::common::field;
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::js;
use crate::registry::{ToolDef, tool};
use crate::shape;

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreatePartial {
    /// Partial name, used in {{> name}}
    pub name: String,
    /// Partial template text
    pub string: String,
    /// Id from list_workspaces (org admin keys)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Note for this first version
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_description: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListPartials {
    /// Id from list_collections
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PartialId {
    /// Id/slug from list_prompt_partials
    pub prompt_partial_id: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PartialStatus {
    Active,
    Archived,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdatePartial {
    /// Id/slug from list_prompt_partials
    pub prompt_partial_id: String,
    #[serde(flatten)]
    pub changes: PartialChanges,
}

/// The members an update may change; sent as the body (`description` as `version_description`).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct PartialChanges {
    /// New display name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New template text
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
    /// Note for the new version
    #[serde(
        rename(serialize = "version_description"),
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// active, or archived (hidden)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PartialStatus>,
}

/// Also the body of the publish (the id goes in the path).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct PublishPartial {
    /// Id/slug from list_prompt_partials
    #[serde(skip_serializing_if = "crate::shape::not_sent")]
    pub prompt_partial_id: String,
    /// Version number from list_partial_versions
    #[schemars(extend("exclusiveMinimum" = 0))]
    #[serde(serialize_with = "crate::js::whole")]
    pub version: f64,
}

/// A partial row in a list.
const PARTIAL_FIELDS: &[&str] = &[
    "id",
    "slug",
    "name",
    "collection_id",
    "status",
    "created_at",
    "last_updated_at",
];

/// One partial in full, with its current text and version.
const PARTIAL_DETAIL: &[&str] = &[
    "id",
    "slug",
    "name",
    "collection_id",
    "string",
    "version",
    "version_description",
    "prompt_partial_version_id",
    "status",
    "created_at",
    "last_updated_at",
];

/// Longest version text shown in a version list before it is cut.
const PREVIEW_CHARS: usize = 200;

/// The rows of a list answer: a bare array or `data`; anything else is an unexpected shape.
fn rows(v: &Value) -> Result<&Vec<Value>, ApiError> {
    match v {
        Value::Array(a) => Ok(a),
        _ => shape::need_array(v, "data"),
    }
}

fn preview(text: &Value) -> Value {
    match text.as_str() {
        Some(s) if s.chars().count() > PREVIEW_CHARS => {
            json!(format!(
                "{}...",
                s.chars().take(PREVIEW_CHARS).collect::<String>()
            ))
        }
        _ => text.clone(),
    }
}

fn shape_versions(id: &str, v: &Value) -> Result<Value, ApiError> {
    let mut out = Vec::new();
    for ver in rows(v)? {
        let text = shape::need(ver, "string")?;
        let mut row = shape::pick(
            ver,
            &[
                "prompt_partial_id",
                "prompt_partial_version_id",
                "slug",
                "version",
                "description",
            ],
        );
        if let Value::Object(m) = &mut row {
            shape::put(m, "status", field(ver, "prompt_version_status"));
            shape::put(m, "created_at", field(ver, "created_at"));
            m.insert("content_preview".into(), preview(text));
        }
        out.push(row);
    }
    Ok(shape::object([
        ("prompt_partial_id", Value::from(id)),
        ("total_versions", Value::from(out.len())),
        ("versions", Value::Array(out)),
    ]))
}

async fn create_prompt_partial(api: Api, a: CreatePartial) -> Result<Value, ApiError> {
    let v = api.post("/prompts/partials", shape::to_json(&a)?).await?;
    Ok(shape::obj(vec![
        ("message", json!(format!("Partial \"{}\" created.", a.name))),
        ("id", field(&v, "id")),
        ("slug", field(&v, "slug")),
        ("version_id", field(&v, "version_id")),
    ]))
}

async fn list_prompt_partials(api: Api, a: ListPartials) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/prompts/partials").query_from(&a))
        .await?;
    let list: Vec<Value> = rows(&v)?
        .iter()
        .map(|p| shape::pick(p, PARTIAL_FIELDS))
        .collect();
    Ok(shape::object([
        ("total", Value::from(list.len())),
        ("partials", Value::Array(list)),
    ]))
}

async fn get_prompt_partial(api: Api, a: PartialId) -> Result<Value, ApiError> {
    let v = api
        .get(format!("/prompts/partials/{}", enc(&a.prompt_partial_id)))
        .await?;
    Ok(shape::pick(&v, PARTIAL_DETAIL))
}

async fn update_prompt_partial(api: Api, a: UpdatePartial) -> Result<Value, ApiError> {
    let v = api
        .put(
            format!("/prompts/partials/{}", enc(&a.prompt_partial_id)),
            shape::to_json(&a.changes)?,
        )
        .await?;
    Ok(shape::obj(vec![
        (
            "message",
            json!(format!(
                "Partial \"{}\" updated; publish_partial makes the new version the default.",
                a.prompt_partial_id
            )),
        ),
        (
            "prompt_partial_version_id",
            field(&v, "prompt_partial_version_id"),
        ),
    ]))
}

async fn delete_prompt_partial(api: Api, a: PartialId) -> Result<Value, ApiError> {
    api.delete(format!("/prompts/partials/{}", enc(&a.prompt_partial_id)))
        .await?;
    Ok(json!({
        "message": format!("Partial \"{}\" deleted.", a.prompt_partial_id),
        "success": true,
    }))
}

async fn list_partial_versions(api: Api, a: PartialId) -> Result<Value, ApiError> {
    let v = api
        .get(format!(
            "/prompts/partials/{}/versions",
            enc(&a.prompt_partial_id)
        ))
        .await?;
    shape_versions(&a.prompt_partial_id, &v)
}

async fn publish_partial(api: Api, a: PublishPartial) -> Result<Value, ApiError> {
    let version = js::whole_number(a.version);
    api.put(
        format!(
            "/prompts/partials/{}/makeDefault",
            enc(&a.prompt_partial_id)
        ),
        shape::to_json(&a)?,
    )
    .await?;
    Ok(json!({
        "message": format!("Version {version} of partial \"{}\" is now the default.", a.prompt_partial_id),
        "prompt_partial_id": a.prompt_partial_id,
        "published_version": version,
        "success": true,
    }))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "create_prompt_partial",
            "Create a reusable prompt partial, included in templates as {{> name}}. Returns id, slug, version_id. Change it later: update_prompt_partial.",
            create_prompt_partial,
        )
        .endpoint("POST /prompts/partials"),
        tool(
            "list_prompt_partials",
            "List prompt partials. Returns total, partials[{id, slug, name, collection_id, status}]. Text of one: get_prompt_partial.",
            list_prompt_partials,
        )
        .endpoint("GET /prompts/partials"),
        tool(
            "get_prompt_partial",
            "Get one partial by id or slug. Returns id, slug, name, string, version, version_description, status. Older versions: list_partial_versions.",
            get_prompt_partial,
        )
        .endpoint("GET /prompts/partials/{prompt_partial_id}")
        .untrusted_output(),
        tool(
            "update_prompt_partial",
            "Save a new version of a partial; only given fields change. Returns prompt_partial_version_id. Prompts keep the old text until publish_partial makes it the default.",
            update_prompt_partial,
        )
        .endpoint("PUT /prompts/partials/{prompt_partial_id}"),
        tool(
            "delete_prompt_partial",
            "Delete a partial; prompts that include it stop rendering. Returns success. Cannot be undone; recreate with create_prompt_partial.",
            delete_prompt_partial,
        )
        .endpoint("DELETE /prompts/partials/{prompt_partial_id}"),
        tool(
            "list_partial_versions",
            "List a partial's versions. Returns total_versions, versions[{prompt_partial_version_id, version, description, status, content_preview}]. Make one the default: publish_partial.",
            list_partial_versions,
        )
        .endpoint("GET /prompts/partials/{prompt_partial_id}/versions")
        .untrusted_output(),
        tool(
            "publish_partial",
            "Publish a partial version as the default; every prompt including it uses it at once. Returns published_version. Roll back by publishing the old number. New version: update_prompt_partial.",
            publish_partial,
        )
        .endpoint("PUT /prompts/partials/{prompt_partial_id}/makeDefault"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_update_bodies_use_the_api_names() {
        let a: CreatePartial = serde_json::from_value(json!({"name": "p", "string": "s"})).unwrap();
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({"name": "p", "string": "s"})
        );
        let u: UpdatePartial = serde_json::from_value(
            json!({"prompt_partial_id": "p", "description": "d", "status": "archived"}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&u.changes).unwrap(),
            json!({"version_description": "d", "status": "archived"})
        );
    }

    #[test]
    fn a_publish_body_carries_a_whole_version_as_an_integer() {
        let a: PublishPartial =
            serde_json::from_value(json!({"prompt_partial_id": "p", "version": 2.0})).unwrap();
        assert_eq!(serde_json::to_value(&a).unwrap(), json!({"version": 2}));
    }
}
