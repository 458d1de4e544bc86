//! Collections: the folders prompts and partials are grouped in.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::common::{Paging, field};
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::registry::{ToolDef, tool};
use crate::shape;

/// The query of GET /collections, whose `workspace_id` the spec requires.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListCollections {
    /// Id from list_workspaces
    #[schemars(length(min = 1))]
    pub workspace_id: String,
    /// Name search text
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(flatten)]
    pub page: Paging,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateCollection {
    /// Display name of the collection
    pub name: String,
    /// Workspace id from list_workspaces to create it in
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CollectionId {
    /// Id/slug from list_collections
    pub collection_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateCollection {
    /// Id/slug from list_collections
    pub collection_id: String,
    #[serde(flatten)]
    pub changes: CollectionChanges,
}

/// The members an update may change; sent as the body, whose `name` the spec requires.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CollectionChanges {
    /// New display name
    #[schemars(length(min = 1))]
    pub name: String,
    /// New free-text description
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The members of a collection the tools return, in lists and alone.
const COLLECTION_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "workspace_id",
    "created_at",
    "last_updated_at",
];

/// One collection in full: the list fields plus its place in the tree, status and children.
const COLLECTION_DETAIL: &[&str] = &[
    "id",
    "name",
    "slug",
    "workspace_id",
    "parent_collection_id",
    "is_default",
    "status",
    "created_at",
    "last_updated_at",
    "child_collections",
];

async fn list_collections(api: Api, a: ListCollections) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/collections").query_from(&a)).await?;
    Ok(shape::list(&v, "collections", COLLECTION_FIELDS))
}

async fn create_collection(api: Api, a: CreateCollection) -> Result<Value, ApiError> {
    let v = api.post("/collections", shape::to_json(&a)?).await?;
    Ok(shape::obj(vec![
        (
            "message",
            json!(format!("Collection \"{}\" created.", a.name)),
        ),
        ("id", field(&v, "id")),
        ("slug", field(&v, "slug")),
    ]))
}

async fn get_collection(api: Api, a: CollectionId) -> Result<Value, ApiError> {
    let v = api
        .get(format!("/collections/{}", enc(&a.collection_id)))
        .await?;
    Ok(shape::pick(&v, COLLECTION_DETAIL))
}

async fn update_collection(api: Api, a: UpdateCollection) -> Result<Value, ApiError> {
    api.put(
        format!("/collections/{}", enc(&a.collection_id)),
        shape::to_json(&a.changes)?,
    )
    .await?;
    Ok(json!({
        "message": format!("Collection \"{}\" updated.", a.collection_id),
        "success": true,
    }))
}

async fn delete_collection(api: Api, a: CollectionId) -> Result<Value, ApiError> {
    let v = api
        .delete(format!("/collections/{}", enc(&a.collection_id)))
        .await?;
    Ok(json!({
        "message": format!("Collection \"{}\" deleted.", a.collection_id),
        "success": v.get("success").cloned().unwrap_or(json!(true)),
    }))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_collections",
            "List prompt collections. Returns total, collections[{id, name, slug, workspace_id}]; a collection_id feeds create_prompt or list_prompts.",
            list_collections,
        )
        .endpoint("GET /collections"),
        tool(
            "create_collection",
            "Create an empty prompt collection. Returns id, slug. Add prompts with create_prompt.",
            create_collection,
        )
        .endpoint("POST /collections"),
        tool(
            "get_collection",
            "Get one collection by id or slug. Returns id, name, slug, workspace_id, timestamps. Its prompts: list_prompts.",
            get_collection,
        )
        .endpoint("GET /collections/{collection_id}"),
        tool(
            "update_collection",
            "Rename a collection or change its description; its prompts are untouched. Returns success. Current: get_collection.",
            update_collection,
        )
        .endpoint("PUT /collections/{collection_id}"),
        tool(
            "delete_collection",
            "Delete a collection; its prompts stay in the workspace, ungrouped. Returns success. Cannot be undone; recreate with create_collection.",
            delete_collection,
        )
        .endpoint("DELETE /collections/{collection_id}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_update_bodies_are_the_inputs_less_the_path_id() {
        let a: CreateCollection = serde_json::from_value(json!({"name": "c"})).unwrap();
        assert_eq!(serde_json::to_value(&a).unwrap(), json!({"name": "c"}));
        let u: UpdateCollection =
            serde_json::from_value(json!({"collection_id": "c1", "name": "n", "description": "d"}))
                .unwrap();
        assert_eq!(
            serde_json::to_value(&u.changes).unwrap(),
            json!({"name": "n", "description": "d"})
        );
    }
}
