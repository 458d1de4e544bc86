//! Workspaces: the workspaces themselves, their members, and SCIM group-to-workspace mappings.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};

use super::common::{Paging, full_name};
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
    Manager,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Manager => "manager",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkspaceStatus {
    Active,
    Archived,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LimitType {
    Cost,
    Tokens,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResetPeriod {
    Monthly,
    Weekly,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateType {
    Requests,
    Tokens,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateUnit {
    Rpd,
    Rph,
    Rpm,
}

/// One usage limit.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UsageLimit {
    /// Cap: USD for cost, else tokens
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub credit_limit: Option<Number>,
    /// Counts cost (USD) or tokens
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<LimitType>,
    /// Alert above this usage, below credit_limit
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub alert_threshold: Option<Number>,
    /// Reset monthly or weekly; none = lifetime cap
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub periodic_reset: Option<Option<ResetPeriod>>,
    /// Reset every N days (not with periodic_reset)
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 1, max = 365))]
    pub periodic_reset_days: Option<Option<u64>>,
    /// Next reset, ISO 8601
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_usage_reset_at: Option<Option<String>>,
}

/// One rate limit.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct RateLimit {
    /// Counts requests or tokens
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<RateType>,
    /// Per day (rpd), hour (rph) or minute (rpm)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<RateUnit>,
    /// Max per window
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
}

/// Limits shared by create and update, sent as given.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Limits {
    /// Budget caps, cost or tokens
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_limits: Option<Vec<UsageLimit>>,
    /// Request or token rate caps
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<Vec<RateLimit>>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListMappings {
    /// Id from list_workspaces
    pub workspace_id: Option<String>,
    /// Id from list_scim_groups
    pub scim_group_id: Option<String>,
    /// Granted role: admin, manager or member
    pub role: Option<Role>,
    /// Page index, from 0
    #[schemars(range(min = 0))]
    pub page: Option<u64>,
    /// Items per page
    #[schemars(range(max = 100), extend("exclusiveMinimum" = 0))]
    pub page_size: Option<u64>,
}

/// Also the body of POST /scim/workspaces, once exactly one group field is checked.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateMapping {
    /// Id from list_workspaces
    pub workspace_id: String,
    /// Role for group members: admin, manager or member
    pub role: Role,
    /// Group id from list_scim_groups; or scim_group_name
    #[schemars(length(min = 1))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scim_group_id: Option<String>,
    /// SCIM group name; created if missing (or scim_group_id)
    #[schemars(length(min = 1))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scim_group_name: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MappingId {
    /// Id from list_scim_workspace_mappings
    pub mapping_id: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListGroups {
    /// Text to match in group names
    pub search: Option<String>,
    /// Page index, from 0
    #[schemars(range(min = 0))]
    pub page: Option<u64>,
    /// Items per page
    #[schemars(range(max = 100), extend("exclusiveMinimum" = 0))]
    pub page_size: Option<u64>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListWorkspaces {
    #[serde(flatten)]
    pub page: Paging,
    /// Name contains (case-sensitive)
    pub name: Option<String>,
    /// Exact name match
    pub exact_name: Option<String>,
    /// Status: active or archived
    pub status: Option<WorkspaceStatus>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WorkspaceId {
    /// Id from list_workspaces
    pub workspace_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateWorkspace {
    /// Workspace display name
    pub name: String,
    /// New slug you choose; derived from name if omitted
    pub slug: Option<String>,
    /// Free-text workspace description
    pub description: Option<String>,
    /// 1 = default workspace, 0 = not
    pub is_default: Option<Number>,
    /// Metadata, string values
    pub metadata: Option<BTreeMap<String, String>>,
    /// User ids from list_all_users, added as members
    pub users: Option<Vec<String>>,
    #[serde(flatten)]
    pub limits: Limits,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateWorkspace {
    /// Id from list_workspaces
    pub workspace_id: String,
    /// New display name
    pub name: Option<String>,
    /// New slug you choose; the old one stops working
    pub slug: Option<String>,
    /// New free-text description
    pub description: Option<String>,
    /// 1 = default workspace, 0 = not
    pub is_default: Option<Number>,
    /// String metadata (replaces existing)
    pub metadata: Option<BTreeMap<String, String>>,
    /// Guardrail ids from list_guardrails, run on inputs
    pub input_guardrails: Option<Vec<String>>,
    /// Guardrail ids from list_guardrails, run on outputs
    pub output_guardrails: Option<Vec<String>>,
    /// Default config slug from list_configs for user API keys; null clears it
    #[serde(default, deserialize_with = "crate::shape::nullable")]
    pub user_api_key_config: Option<Option<String>>,
    #[serde(flatten)]
    pub limits: Limits,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddMember {
    /// Id from list_workspaces
    pub workspace_id: String,
    /// User id, a UUID (from list_all_users)
    #[schemars(extend("format" = "uuid"))]
    pub user_id: String,
    /// Workspace role: admin (all rights), manager (members and resources) or member (use only)
    pub role: Role,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListMembers {
    /// Id from list_workspaces
    #[serde(skip_serializing)]
    pub workspace_id: String,
    #[serde(flatten)]
    pub page: Paging,
    /// Role filter: admin, manager or member
    pub role: Option<MemberRole>,
    /// Filter by email
    #[schemars(email)]
    pub email: Option<String>,
}

/// The same roles, in the order the members filter lists them.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    Admin,
    Manager,
    Member,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MemberId {
    /// Id from list_workspaces
    pub workspace_id: String,
    /// Id from list_workspace_members
    #[schemars(extend("format" = "uuid"))]
    pub user_id: String,
}

/// Also the body of the update: the role (the ids go in the path).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateMember {
    /// Id from list_workspaces
    #[serde(skip_serializing_if = "crate::shape::not_sent")]
    pub workspace_id: String,
    /// Id from list_workspace_members
    #[schemars(extend("format" = "uuid"))]
    #[serde(skip_serializing_if = "crate::shape::not_sent")]
    pub user_id: String,
    /// New role: admin (all rights), manager (members and resources) or member (use only)
    pub role: Role,
}

/// The `defaults` of a workspace body.
#[derive(Debug, Default, Serialize)]
struct Defaults<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    is_default: Option<&'a Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_guardrails: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_guardrails: Option<&'a Vec<String>>,
    /// `Some(None)` sends null (clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    user_api_key_config: Option<Option<&'a str>>,
}

impl Defaults<'_> {
    /// `None` when no default is given: the body then leaves `defaults` out.
    fn given(self) -> Option<Self> {
        let any = self.is_default.is_some()
            || self.metadata.is_some()
            || self.input_guardrails.is_some()
            || self.output_guardrails.is_some()
            || self.user_api_key_config.is_some();
        any.then_some(self)
    }
}

/// The body of create_workspace and update_workspace.
#[derive(Debug, Serialize)]
struct WorkspaceBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    defaults: Option<Defaults<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<&'a Vec<String>>,
    #[serde(flatten)]
    limits: &'a Limits,
}

/// One user of add_workspace_member's body.
#[derive(Debug, Serialize)]
struct NewMember<'a> {
    id: &'a str,
    role: Role,
}

/// The body of add_workspace_member.
#[derive(Debug, Serialize)]
struct NewMembers<'a> {
    users: [NewMember<'a>; 1],
}

const MAPPING_FIELDS: &[&str] = &["id", "workspace_id", "scim_group", "scim_group_id", "role"];

/// Rows of a list answer under the first of `keys` that holds an array, else `data`.
fn rows_of(v: &Value, keys: &[&str]) -> Vec<Value> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_array).cloned())
        .unwrap_or_else(|| shape::items(v))
}

/// `{total, <key>: rows, has_more?}` where total may be named differently.
fn list_of(v: &Value, key: &str, rows: Vec<Value>, total_keys: &[&str]) -> Value {
    let total = total_keys
        .iter()
        .find_map(|k| v.get(*k).filter(|t| t.is_number()).cloned())
        .unwrap_or_else(|| json!(rows.len()));
    let mut out = Map::new();
    out.insert("total".into(), total);
    out.insert(key.into(), Value::Array(rows));
    shape::put(
        &mut out,
        "has_more",
        v.get("has_more").cloned().unwrap_or_default(),
    );
    Value::Object(out)
}

fn shape_mappings(v: &Value) -> Value {
    let rows = rows_of(v, &["mappings", "data"])
        .iter()
        .map(|m| shape::pick(m, MAPPING_FIELDS))
        .collect();
    list_of(v, "mappings", rows, &["total_count", "total"])
}

fn shape_groups(v: &Value) -> Value {
    let rows = rows_of(v, &["groups", "data", "Resources"]);
    list_of(v, "groups", rows, &["total", "total_count", "totalResults"])
}

fn shape_member(v: &Value) -> Value {
    let mut out = shape::pick(v, &["id"]);
    if let Value::Object(m) = &mut out {
        shape::put(m, "name", json!(full_name(v)));
        if let Value::Object(rest) = shape::pick(
            v,
            &[
                "email",
                "role",
                "org_role",
                "status",
                "created_at",
                "last_updated_at",
            ],
        ) {
            m.extend(rest);
        }
    }
    out
}

fn shape_workspace(v: &Value) -> Value {
    let mut out = shape::pick(
        v,
        &[
            "id",
            "name",
            "slug",
            "description",
            "created_at",
            "last_updated_at",
        ],
    );
    if let (Value::Object(m), Some(d)) = (&mut out, v.get("defaults").filter(|d| d.is_object())) {
        m.insert(
            "defaults".into(),
            shape::pick(
                d,
                &[
                    "is_default",
                    "metadata",
                    "input_guardrails",
                    "output_guardrails",
                    "user_api_key_config",
                ],
            ),
        );
    }
    out
}

fn shape_workspace_detail(v: &Value) -> Result<Value, ApiError> {
    let users: Vec<Value> = shape::need_array(v, "users")?
        .iter()
        .map(shape_member)
        .collect();
    let mut out = shape_workspace(v);
    if let Value::Object(m) = &mut out {
        if let Value::Object(limits) = shape::pick(v, &["usage_limits", "rate_limits"]) {
            m.extend(limits);
        }
        m.insert("users".into(), Value::Array(users));
    }
    Ok(out)
}

async fn list_scim_workspace_mappings(api: Api, a: ListMappings) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/scim/workspaces").query_from(&a))
        .await?;
    Ok(shape_mappings(&v))
}

async fn create_scim_workspace_mapping(api: Api, a: CreateMapping) -> Result<Value, ApiError> {
    if a.scim_group_id.is_some() == a.scim_group_name.is_some() {
        return Err(bad(
            "give exactly one of scim_group_id (an existing group, see list_scim_groups) or scim_group_name, not both and not neither",
        ));
    }
    let v = api.post("/scim/workspaces", shape::to_json(&a)?).await?;
    Ok(shape::pick(&v, MAPPING_FIELDS))
}

async fn delete_scim_workspace_mapping(api: Api, a: MappingId) -> Result<Value, ApiError> {
    api.delete(format!("/scim/workspaces/{}", enc(&a.mapping_id)))
        .await?;
    Ok(
        json!({"message": format!("SCIM workspace mapping {} deleted.", a.mapping_id), "success": true}),
    )
}

async fn list_scim_groups(api: Api, a: ListGroups) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/scim/groups").query_from(&a).v2())
        .await?;
    Ok(shape_groups(&v))
}

async fn list_workspaces(api: Api, a: ListWorkspaces) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get("/admin/workspaces").query_from(&a))
        .await?;
    let rows = shape::item_slice(&v).iter().map(shape_workspace).collect();
    Ok(list_of(&v, "workspaces", rows, &["total"]))
}

async fn get_workspace(api: Api, a: WorkspaceId) -> Result<Value, ApiError> {
    let v = api
        .get(format!("/admin/workspaces/{}", enc(&a.workspace_id)))
        .await?;
    shape_workspace_detail(&v)
}

async fn create_workspace(api: Api, a: CreateWorkspace) -> Result<Value, ApiError> {
    let body = WorkspaceBody {
        name: Some(&a.name),
        slug: a.slug.as_deref(),
        description: a.description.as_deref(),
        defaults: Defaults {
            is_default: a.is_default.as_ref(),
            metadata: a.metadata.as_ref(),
            ..Defaults::default()
        }
        .given(),
        users: a.users.as_ref(),
        limits: &a.limits,
    };
    let v = api
        .post("/admin/workspaces", shape::to_json(&body)?)
        .await?;
    let mut workspace = shape_workspace(&v);
    if let (Value::Object(m), Value::Object(limits)) = (
        &mut workspace,
        shape::pick(&v, &["usage_limits", "rate_limits"]),
    ) {
        m.extend(limits);
    }
    Ok(json!({
        "message": format!("Workspace \"{}\" created.", a.name),
        "workspace": workspace,
    }))
}

async fn update_workspace(api: Api, a: UpdateWorkspace) -> Result<Value, ApiError> {
    let body = WorkspaceBody {
        name: a.name.as_deref(),
        slug: a.slug.as_deref(),
        description: a.description.as_deref(),
        defaults: Defaults {
            is_default: a.is_default.as_ref(),
            metadata: a.metadata.as_ref(),
            input_guardrails: a.input_guardrails.as_ref(),
            output_guardrails: a.output_guardrails.as_ref(),
            user_api_key_config: a.user_api_key_config.as_ref().map(Option::as_deref),
        }
        .given(),
        users: None,
        limits: &a.limits,
    };
    api.put(
        format!("/admin/workspaces/{}", enc(&a.workspace_id)),
        shape::to_json(&body)?,
    )
    .await?;
    Ok(json!({
        "message": format!("Workspace {} updated.", a.workspace_id),
        "success": true,
        "workspace_id": a.workspace_id,
    }))
}

async fn delete_workspace(api: Api, a: WorkspaceId) -> Result<Value, ApiError> {
    api.delete(format!("/admin/workspaces/{}", enc(&a.workspace_id)))
        .await?;
    Ok(json!({"message": format!("Workspace {} deleted.", a.workspace_id), "success": true}))
}

async fn add_workspace_member(api: Api, a: AddMember) -> Result<Value, ApiError> {
    let body = shape::to_json(&NewMembers {
        users: [NewMember {
            id: &a.user_id,
            role: a.role,
        }],
    })?;
    api.post(
        format!("/admin/workspaces/{}/users", enc(&a.workspace_id)),
        body,
    )
    .await?;
    Ok(json!({
        "message": format!("User added to the workspace as {}.", a.role.as_str()),
        "success": true,
        "workspace_id": a.workspace_id,
        "user_id": a.user_id,
        "role": a.role,
    }))
}

async fn list_workspace_members(api: Api, a: ListMembers) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get(format!("/admin/workspaces/{}/users", enc(&a.workspace_id))).query_from(&a))
        .await?;
    let rows = shape::item_slice(&v).iter().map(shape_member).collect();
    Ok(list_of(&v, "members", rows, &["total"]))
}

fn member_path(workspace_id: &str, user_id: &str) -> String {
    format!(
        "/admin/workspaces/{}/users/{}",
        enc(workspace_id),
        enc(user_id)
    )
}

/// One member in full: the list fields plus the workspace, the member's scopes and settings.
fn shape_member_detail(v: &Value) -> Value {
    let mut out = shape_member(v);
    if let (Value::Object(m), Value::Object(more)) = (
        &mut out,
        shape::pick(v, &["workspace_id", "scopes", "settings"]),
    ) {
        m.extend(more);
    }
    out
}

async fn get_workspace_member(api: Api, a: MemberId) -> Result<Value, ApiError> {
    let v = api.get(member_path(&a.workspace_id, &a.user_id)).await?;
    Ok(shape_member_detail(&v))
}

async fn update_workspace_member(api: Api, a: UpdateMember) -> Result<Value, ApiError> {
    let v = api
        .put(
            member_path(&a.workspace_id, &a.user_id),
            shape::to_json(&a)?,
        )
        .await?;
    Ok(json!({
        "message": format!("Workspace role set to {}.", a.role.as_str()),
        "member": shape_member(&v),
    }))
}

async fn remove_workspace_member(api: Api, a: MemberId) -> Result<Value, ApiError> {
    api.delete(member_path(&a.workspace_id, &a.user_id)).await?;
    Ok(json!({"message": "User removed from the workspace.", "success": true}))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_scim_workspace_mappings",
            "List SCIM group-to-workspace mappings. Returns total, mappings[{id, workspace_id, scim_group, role}]; an id feeds delete_scim_workspace_mapping.",
            list_scim_workspace_mappings,
        )
        .gated()
        .endpoint("GET /scim/workspaces"),
        tool(
            "create_scim_workspace_mapping",
            "Grant a workspace role to every member of a SCIM group, now and later; give scim_group_id or scim_group_name. Returns id, workspace_id, scim_group, role. One user: add_workspace_member.",
            create_scim_workspace_mapping,
        )
        .gated()
        .endpoint("POST /scim/workspaces"),
        tool(
            "delete_scim_workspace_mapping",
            "Delete a SCIM group-to-workspace mapping; members already added stay. Returns success. Undo with create_scim_workspace_mapping.",
            delete_scim_workspace_mapping,
        )
        .gated()
        .endpoint("DELETE /scim/workspaces/{mapping_id}")
        .idempotent(true),
        tool(
            "list_scim_groups",
            "List SCIM groups synced from the identity provider. Returns total, groups; a group id or name feeds create_scim_workspace_mapping. Org admin key.",
            list_scim_groups,
        )
        .gated()
        .endpoint("{v2} GET /scim/groups")
        .org_wide(),
        tool(
            "list_workspaces",
            "List workspaces. Returns total, workspaces[{id, name, slug, defaults}], has_more. Members and limits of one: get_workspace. Org admin key.",
            list_workspaces,
        )
        .endpoint("GET /admin/workspaces")
        .org_wide(),
        tool(
            "get_workspace",
            "Get one workspace. Returns id, name, slug, defaults, usage_limits, rate_limits, users[{id, name, email, role}]. Paged members: list_workspace_members.",
            get_workspace,
        )
        .endpoint("GET /admin/workspaces/{workspace_id}"),
        tool(
            "create_workspace",
            "Create a workspace, optionally with members and limits. Returns workspace{id, name, slug}. More members later: add_workspace_member. Org admin key.",
            create_workspace,
        )
        .endpoint("POST /admin/workspaces")
        .org_wide(),
        tool(
            "update_workspace",
            "Update a workspace's name, slug, description, defaults or limits; only given fields change, at once. Returns success, workspace_id. Member roles: update_workspace_member.",
            update_workspace,
        )
        .endpoint("PUT /admin/workspaces/{workspace_id}"),
        tool(
            "delete_workspace",
            "Delete a workspace and everything in it: members' access, keys, configs, prompts. Returns success. Cannot be undone. One member only: remove_workspace_member.",
            delete_workspace,
        )
        .endpoint("DELETE /admin/workspaces/{workspace_id}"),
        tool(
            "add_workspace_member",
            "Add an organisation user to a workspace with a role, effective at once. Returns success, workspace_id, user_id, role. Not yet in the org: invite_user.",
            add_workspace_member,
        )
        .endpoint("POST /admin/workspaces/{workspace_id}/users"),
        tool(
            "list_workspace_members",
            "List a workspace's members. Returns total, members[{id, name, email, role, org_role, status}]. One member: get_workspace_member.",
            list_workspace_members,
        )
        .endpoint("GET /admin/workspaces/{workspace_id}/users"),
        tool(
            "get_workspace_member",
            "Get one member of a workspace. Returns id, name, email, role, org_role, status. Organisation-level record: get_user.",
            get_workspace_member,
        )
        .endpoint("GET /admin/workspaces/{workspace_id}/users/{user_id}"),
        tool(
            "update_workspace_member",
            "Change a member's role in one workspace, effective at once. Returns member. Organisation role or name: update_user.",
            update_workspace_member,
        )
        .endpoint("PUT /admin/workspaces/{workspace_id}/users/{user_id}"),
        tool(
            "remove_workspace_member",
            "Remove a user from one workspace; they stay in the organisation. Returns success. Undo with add_workspace_member (give the role again). From the whole organisation: delete_user.",
            remove_workspace_member,
        )
        .endpoint("DELETE /admin/workspaces/{workspace_id}/users/{user_id}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_body_nests_defaults_and_flattens_limits() {
        let limits: Limits = serde_json::from_value(
            json!({"rate_limits": [{"type": "requests", "unit": "rpm", "value": 5}]}),
        )
        .unwrap();
        let n = Number::from(1);
        let body = WorkspaceBody {
            name: Some("W"),
            slug: None,
            description: None,
            defaults: Defaults {
                is_default: Some(&n),
                user_api_key_config: Some(None),
                ..Defaults::default()
            }
            .given(),
            users: None,
            limits: &limits,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name": "W", "defaults": {"is_default": 1, "user_api_key_config": null},
                   "rate_limits": [{"type": "requests", "unit": "rpm", "value": 5}]})
        );
        assert!(Defaults::default().given().is_none());
    }

    #[test]
    fn member_and_mapping_bodies() {
        let add = NewMembers {
            users: [NewMember {
                id: "u1",
                role: Role::Admin,
            }],
        };
        assert_eq!(
            serde_json::to_value(&add).unwrap(),
            json!({"users": [{"id": "u1", "role": "admin"}]})
        );
        let m: CreateMapping = serde_json::from_value(
            json!({"workspace_id": "ws", "role": "member", "scim_group_name": "eng"}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"workspace_id": "ws", "role": "member", "scim_group_name": "eng"})
        );
        let u: UpdateMember = serde_json::from_value(
            json!({"workspace_id": "ws", "user_id": "u", "role": "manager"}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"role": "manager"})
        );
    }
}
