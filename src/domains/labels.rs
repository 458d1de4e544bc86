//! Prompt labels: named tags (production, staging, ...) that prompt versions carry.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::common::Paging;
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::pin::{Rule, Widens};
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateLabel {
    /// Label name, e.g. production
    pub name: String,
    /// Org id from list_api_keys; or workspace_id
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
    /// Workspace id from list_workspaces; or organisation_id
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Description, free text
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Hex colour, e.g. #FF5733
    #[schemars(regex(pattern = r"^#[0-9A-Fa-f]{6}$"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color_code: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListLabels {
    /// Org id from list_api_keys
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
    /// Id from list_workspaces
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Name search text
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(flatten)]
    pub page: Paging,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetLabel {
    /// Id from list_prompt_labels
    pub label_id: String,
    #[serde(flatten)]
    pub scope: Scope,
}

/// The scope a label is looked up in; sent as the query.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Scope {
    /// Org id from list_api_keys, its scope
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
    /// Workspace id from list_workspaces, its scope
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateLabel {
    /// Id from list_prompt_labels
    pub label_id: String,
    #[serde(flatten)]
    pub changes: LabelChanges,
}

/// The members an update may change; sent as the body.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct LabelChanges {
    /// New display name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New free-text description
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New hex colour, e.g. #FF5733
    #[schemars(regex(pattern = r"^#[0-9A-Fa-f]{6}$"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color_code: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LabelId {
    /// Id from list_prompt_labels
    pub label_id: String,
}

/// A label row in a list.
const LABEL_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "color_code",
    "is_universal",
    "status",
    "created_at",
    "last_updated_at",
];

/// One label in full, with its scope.
const LABEL_DETAIL: &[&str] = &[
    "id",
    "name",
    "description",
    "color_code",
    "organisation_id",
    "workspace_id",
    "is_universal",
    "status",
    "created_at",
    "last_updated_at",
];

/// The schema's colour pattern, checked here because the argument check does not read `pattern`.
fn check_color(color: Option<&str>) -> Result<(), ApiError> {
    match color {
        Some(c) => {
            let b = c.as_bytes();
            let ok = b.len() == 7
                && b.first() == Some(&b'#')
                && b.iter().skip(1).all(u8::is_ascii_hexdigit);
            if ok {
                Ok(())
            } else {
                Err(bad(format!(
                    "`color_code` must be # followed by six hex digits (e.g. #FF5733), got \"{c}\""
                )))
            }
        }
        None => Ok(()),
    }
}

async fn create_prompt_label(api: Api, a: CreateLabel) -> Result<Value, ApiError> {
    if a.organisation_id.is_none() && a.workspace_id.is_none() {
        return Err(bad(
            "give organisation_id or workspace_id to say where the label lives (list_workspaces shows workspace ids)",
        ));
    }
    check_color(a.color_code.as_deref())?;
    let v = api.post("/labels", shape::to_json(&a)?).await?;
    Ok(shape::obj(vec![
        ("message", json!(format!("Label \"{}\" created.", a.name))),
        ("id", v.get("id").cloned().unwrap_or(Value::Null)),
    ]))
}

async fn list_prompt_labels(api: Api, a: ListLabels) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/labels").query_from(&a)).await?;
    Ok(shape::list(&v, "labels", LABEL_FIELDS))
}

async fn get_prompt_label(api: Api, a: GetLabel) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get(format!("/labels/{}", enc(&a.label_id))).query_from(&a.scope))
        .await?;
    Ok(shape::pick(&v, LABEL_DETAIL))
}

async fn update_prompt_label(api: Api, a: UpdateLabel) -> Result<Value, ApiError> {
    check_color(a.changes.color_code.as_deref())?;
    api.put(
        format!("/labels/{}", enc(&a.label_id)),
        shape::to_json(&a.changes)?,
    )
    .await?;
    Ok(json!({
        "message": format!("Label \"{}\" updated.", a.label_id),
        "success": true,
    }))
}

async fn delete_prompt_label(api: Api, a: LabelId) -> Result<Value, ApiError> {
    api.delete(format!("/labels/{}", enc(&a.label_id))).await?;
    Ok(json!({
        "message": format!("Label \"{}\" deleted.", a.label_id),
        "success": true,
    }))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "create_prompt_label",
            "Create a label for prompt versions (e.g. production, staging) in an org or workspace. Returns id; no version carries it until update_prompt_version.",
            create_prompt_label,
        )
        .endpoint("POST /labels")
        .workspace_param("organisation_id", Rule::Refuse(Widens::WhenGiven)),
        tool(
            "list_prompt_labels",
            "List prompt labels. Returns total, labels[{id, name, description, color_code, status}]. Assign one: update_prompt_version.",
            list_prompt_labels,
        )
        .endpoint("GET /labels"),
        tool(
            "get_prompt_label",
            "Get one label. Returns id, name, description, color_code, status, scope ids. Change it: update_prompt_label.",
            get_prompt_label,
        )
        .endpoint("GET /labels/{label_id}"),
        tool(
            "update_prompt_label",
            "Change a label's name, description or colour, at once for every version carrying it. Returns success. Move it between versions: update_prompt_version.",
            update_prompt_label,
        )
        .endpoint("PUT /labels/{label_id}"),
        tool(
            "delete_prompt_label",
            "Delete a label; versions carrying it lose it. Returns success. Cannot be undone; recreate with create_prompt_label.",
            delete_prompt_label,
        )
        .endpoint("DELETE /labels/{label_id}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_update_bodies_are_the_inputs_less_the_path_id() {
        let a: CreateLabel =
            serde_json::from_value(json!({"name": "prod", "color_code": "#00ff00"})).unwrap();
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({"name": "prod", "color_code": "#00ff00"})
        );
        let u: UpdateLabel =
            serde_json::from_value(json!({"label_id": "l", "description": "d"})).unwrap();
        assert_eq!(
            serde_json::to_value(&u.changes).unwrap(),
            json!({"description": "d"})
        );
    }
}
