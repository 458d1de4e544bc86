//! Users: organisation members, their invitations, and per-user usage figures.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::common::{Paging, full_name};
use crate::client::{Api, Req, enc, query_of};
use crate::error::ApiError;
use crate::pin::{Rule, Widens};
use crate::registry::{ToolDef, tool};
use crate::shape;

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    Admin,
    Member,
    Owner,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InviteRole {
    Admin,
    Member,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkspaceRole {
    Admin,
    Member,
    Manager,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InviteStatus {
    Pending,
    Cancelled,
    Accepted,
    Expired,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListUsers {
    #[serde(flatten)]
    pub page: Paging,
    /// owner, admin (both manage the org) or member (own workspaces only)
    pub role: Option<OrgRole>,
    /// Filter by exact email
    #[schemars(email)]
    pub email: Option<String>,
}

/// One workspace the invitee joins on acceptance.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct InviteWorkspace {
    /// Id/slug from list_workspaces
    pub id: String,
    /// Role there: admin (all rights), manager (members and resources) or member (use only)
    pub role: WorkspaceRole,
}

/// An API key created for the invitee.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct KeyDetails {
    /// Name of the key
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expiry, ISO 8601
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// Key metadata, string values
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Scopes, e.g. logs.view, configs.read
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct InviteUser {
    /// Invitee's email address
    #[schemars(email)]
    pub email: String,
    /// Org role: admin (manages the org) or member (own workspaces only)
    pub role: InviteRole,
    /// Invitee's first name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Invitee's last name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Workspace roles granted on acceptance
    pub workspaces: Vec<InviteWorkspace>,
    /// API key to create for the user
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_api_key_details: Option<KeyDetails>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UserStats {
    /// Period start, ISO 8601
    pub time_of_generation_min: String,
    /// Period end, ISO 8601
    pub time_of_generation_max: String,
    /// Slug from list_workspaces
    #[schemars(length(min = 1))]
    pub workspace_slug: String,
    /// Min total tokens
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub total_units_min: Option<f64>,
    /// Max total tokens
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub total_units_max: Option<f64>,
    /// Min cost, cents
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cost_min: Option<f64>,
    /// Max cost, cents
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub cost_max: Option<f64>,
    /// Status codes, comma-separated
    pub status_code: Option<String>,
    /// CSV slugs from list_virtual_keys
    pub virtual_keys: Option<String>,
    /// Users per page
    #[schemars(range(max = 100), extend("exclusiveMinimum" = 0))]
    pub page_size: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UserId {
    /// Id from list_all_users
    pub user_id: String,
}

/// Also the body of the update (the id goes in the path).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateUser {
    /// Id from list_all_users
    #[serde(skip_serializing_if = "crate::shape::not_sent")]
    pub user_id: String,
    /// New first name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// New last name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// New org role: admin (manages the org) or member (own workspaces only)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<InviteRole>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListInvites {
    #[serde(flatten)]
    pub page: Paging,
    /// Org role filter: admin or member
    pub role: Option<InviteRole>,
    /// Filter by email
    #[schemars(email)]
    pub email: Option<String>,
    /// Status filter: pending, accepted, expired or cancelled
    pub status: Option<InviteStatus>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct InviteId {
    /// Id from list_user_invites
    pub invite_id: String,
}

/// The query of a list input; the /admin/users endpoints spell the paging fields in camelCase.
fn camel_paging<T: Serialize>(a: &T) -> Vec<(String, String)> {
    let camel = |k: String| match k.as_str() {
        "current_page" => "currentPage".to_string(),
        "page_size" => "pageSize".to_string(),
        _ => k,
    };
    query_of(a)
        .into_iter()
        .map(|(k, v)| (camel(k), v))
        .collect()
}

fn shape_user(v: &Value) -> Value {
    let mut out = shape::pick(v, &["id"]);
    if let Value::Object(m) = &mut out {
        shape::put(m, "name", json!(full_name(v)));
        if let Value::Object(rest) = shape::pick(
            v,
            &[
                "email",
                "role",
                "workspace_ids",
                "created_at",
                "last_updated_at",
            ],
        ) {
            m.extend(rest);
        }
    }
    out
}

const INVITE_FIELDS: &[&str] = &[
    "id",
    "email",
    "role",
    "status",
    "workspaces",
    "invited_by",
    "created_at",
    "expires_at",
    "accepted_at",
];

fn shape_users(v: &Value) -> Value {
    let rows: Vec<Value> = shape::item_slice(v).iter().map(shape_user).collect();
    let mut out = Map::new();
    out.insert("total".into(), shape::total(v));
    out.insert("users".into(), Value::Array(rows));
    shape::put(
        &mut out,
        "has_more",
        v.get("has_more").cloned().unwrap_or_default(),
    );
    Value::Object(out)
}

fn shape_stats(v: &Value) -> Value {
    let rows: Vec<Value> = shape::item_slice(v)
        .iter()
        .map(|g| shape::pick(g, &["user", "requests", "cost"]))
        .collect();
    shape::object([
        ("total_users", shape::total(v)),
        ("users", Value::Array(rows)),
    ])
}

async fn list_all_users(api: Api, a: ListUsers) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/admin/users").query(camel_paging(&a)))
        .await?;
    Ok(shape_users(&v))
}

async fn invite_user(api: Api, a: InviteUser) -> Result<Value, ApiError> {
    let v = api
        .post("/admin/users/invites", shape::to_json(&a)?)
        .await?;
    Ok(shape::obj(vec![
        (
            "message",
            json!(format!("Invited {} as {}.", a.email, role_name(&a.role))),
        ),
        ("invite_id", v.get("id").cloned().unwrap_or_default()),
        (
            "invite_link",
            v.get("invite_link").cloned().unwrap_or_default(),
        ),
    ]))
}

fn role_name(r: &InviteRole) -> &'static str {
    match r {
        InviteRole::Admin => "admin",
        InviteRole::Member => "member",
    }
}

async fn get_user_stats(api: Api, a: UserStats) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/analytics/groups/users").query_from(&a))
        .await?;
    Ok(shape_stats(&v))
}

async fn get_user(api: Api, a: UserId) -> Result<Value, ApiError> {
    let v = api.get(format!("/admin/users/{}", enc(&a.user_id))).await?;
    Ok(shape_user(&v))
}

async fn update_user(api: Api, a: UpdateUser) -> Result<Value, ApiError> {
    let v = api
        .put(
            format!("/admin/users/{}", enc(&a.user_id)),
            shape::to_json(&a)?,
        )
        .await?;
    Ok(json!({"message": format!("User {} updated.", a.user_id), "user": shape_user(&v)}))
}

async fn delete_user(api: Api, a: UserId) -> Result<Value, ApiError> {
    api.delete(format!("/admin/users/{}", enc(&a.user_id)))
        .await?;
    Ok(json!({"message": format!("User {} deleted.", a.user_id), "success": true}))
}

async fn list_user_invites(api: Api, a: ListInvites) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/admin/users/invites").query(camel_paging(&a)))
        .await?;
    Ok(shape::list(&v, "invites", INVITE_FIELDS))
}

async fn get_user_invite(api: Api, a: InviteId) -> Result<Value, ApiError> {
    let v = api
        .get(format!("/admin/users/invites/{}", enc(&a.invite_id)))
        .await?;
    Ok(shape::pick(&v, INVITE_FIELDS))
}

async fn delete_user_invite(api: Api, a: InviteId) -> Result<Value, ApiError> {
    api.delete(format!("/admin/users/invites/{}", enc(&a.invite_id)))
        .await?;
    Ok(json!({"message": format!("Invite {} deleted.", a.invite_id), "success": true}))
}

/// The answer to a resend: the spec's `inviteLink` (the link the new email carries), or
/// `invite_link` as invite_user's answer names it.
fn shape_resent(invite_id: &str, v: &Value) -> Value {
    let link = ["inviteLink", "invite_link"]
        .iter()
        .map(|k| shape::member(v, k))
        .find(|l| !l.is_null())
        .unwrap_or(Value::Null);
    shape::obj(vec![
        ("message", json!(format!("Invite {invite_id} sent again."))),
        ("success", json!(true)),
        ("invite_link", link),
    ])
}

async fn resend_user_invite(api: Api, a: InviteId) -> Result<Value, ApiError> {
    let v = api
        .send(Req::new(
            ::http::Method::POST,
            format!("/admin/users/invites/{}/resend", enc(&a.invite_id)),
        ))
        .await?;
    Ok(shape_resent(&a.invite_id, &v))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_all_users",
            "List the organisation's members. Returns total, users[{id, name, email, role, workspace_ids}], has_more. Pending invitations: list_user_invites. Org admin key.",
            list_all_users,
        )
        .gated()
        .endpoint("GET /admin/users")
        .org_wide(),
        tool(
            "invite_user",
            "Invite a person to the organisation by email; workspace roles and the optional API key apply on acceptance. Returns invite_id, invite_link. Already a member: add_workspace_member.",
            invite_user,
        )
        .endpoint("POST /admin/users/invites")
        .workspace_param("workspaces[].id", Rule::Match)
        .workspace_param("role", Rule::Refuse(Widens::Unless(&["member"])))
        .workspace_param("workspace_api_key_details", Rule::Within("workspaces[].id")),
        tool(
            "get_user_stats",
            "Sum requests and cost (cents) per user over a time range. Returns total_users, users[{user, requests, cost}]. More metrics and filters: get_analytics_group_users. Org admin key.",
            get_user_stats,
        )
        .gated()
        .endpoint("GET /analytics/groups/users"),
        tool(
            "get_user",
            "Get one organisation member. Returns id, name, email, role, workspace_ids, timestamps. Role in a workspace: get_workspace_member. Org admin key.",
            get_user,
        )
        .gated()
        .endpoint("GET /admin/users/{user_id}")
        .org_wide(),
        tool(
            "update_user",
            "Change a user's name or organisation role, effective at once. Returns user. A role inside one workspace: update_workspace_member. Org admin key.",
            update_user,
        )
        .endpoint("PUT /admin/users/{user_id}")
        .org_wide(),
        tool(
            "delete_user",
            "Delete a user from the organisation with their workspace access and API keys. Returns success. Cannot be undone. One workspace only: remove_workspace_member. Org admin key.",
            delete_user,
        )
        .endpoint("DELETE /admin/users/{user_id}")
        .org_wide(),
        tool(
            "list_user_invites",
            "List invitations. Returns total, invites[{id, email, role, status, workspaces, expires_at}]. One invite: get_user_invite. Org admin key.",
            list_user_invites,
        )
        .gated()
        .endpoint("GET /admin/users/invites")
        .org_wide(),
        tool(
            "get_user_invite",
            "Get one invitation. Returns id, email, role, status, workspaces, expires_at. Send again: resend_user_invite. Org admin key.",
            get_user_invite,
        )
        .endpoint("GET /admin/users/invites/{invite_id}")
        .org_wide(),
        tool(
            "delete_user_invite",
            "Delete an invitation; its link stops working at once. Returns success. Cannot be undone; send a new one with invite_user. Org admin key.",
            delete_user_invite,
        )
        .endpoint("DELETE /admin/users/invites/{invite_id}")
        .org_wide(),
        tool(
            "resend_user_invite",
            "Resend a pending invitation's email. Returns success. Expired or deleted: invite_user again. Org admin key.",
            resend_user_invite,
        )
        .endpoint("POST /admin/users/invites/{invite_id}/resend")
        .org_wide(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_body_leaves_the_id_to_the_path_and_out_what_is_not_given() {
        let a: UpdateUser =
            serde_json::from_value(json!({"user_id": "u", "role": "admin"})).unwrap();
        assert_eq!(serde_json::to_value(&a).unwrap(), json!({"role": "admin"}));
    }
}
