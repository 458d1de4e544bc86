//! MCP servers: Portkey-managed instances of an MCP integration, with their live user
//! connections, capability overrides, per-user access, and a reachability test.

use ::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::common::{Capability, Paging, done};
use crate::client::{Api, Req, enc, query_of};
use crate::error::ApiError;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListConnections {
    /// Id/slug from list_mcp_servers
    pub id: String,
    /// User id from list_all_users; only theirs
    #[schemars(extend("format" = "uuid"))]
    pub user_id: Option<String>,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
    // Paged like the rest, with a larger page than common::Paging allows.
    /// Page index, from 0
    #[schemars(range(min = 0))]
    pub current_page: Option<u64>,
    /// Items per page
    #[schemars(range(max = 500), extend("exclusiveMinimum" = 0))]
    pub page_size: Option<u64>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Disconnect {
    /// Id/slug from list_mcp_servers
    pub id: String,
    /// User id from list_mcp_server_connections; needed with service keys
    #[schemars(extend("format" = "uuid"))]
    pub user_id: Option<String>,
    /// Id from list_workspaces (org admin keys)
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListMcpServers {
    #[serde(flatten)]
    pub page: Paging,
    /// Id from list_workspaces
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateMcpServer {
    /// Display name of the server
    pub name: String,
    /// Parent id/slug from list_mcp_integrations
    pub mcp_integration_id: String,
    /// Slug you choose; optional
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Description, free text
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Id {
    /// Id/slug from list_mcp_servers
    pub id: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateMcpServer {
    /// Id/slug from list_mcp_servers
    pub id: String,
    /// New display name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New free-text description
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Paged {
    /// Id/slug from list_mcp_servers
    pub id: String,
    #[serde(flatten)]
    pub page: Paging,
}

/// Also the body of the update (the id goes in the path).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateCapabilities {
    /// Id/slug from list_mcp_servers
    #[serde(skip_serializing_if = "crate::shape::not_sent")]
    pub id: String,
    /// Changes; unnamed capabilities keep their state
    #[schemars(length(min = 1))]
    pub capabilities: Vec<Capability>,
}

/// One user's access.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct UserAccess {
    /// Id from list_mcp_server_user_access
    pub user_id: String,
    /// Access on or off
    pub enabled: bool,
}

/// Also the body of the update: the list goes as `user_access`, the id in the path.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateUserAccess {
    /// Id/slug from list_mcp_servers
    #[serde(skip_serializing_if = "crate::shape::not_sent")]
    pub id: String,
    /// Changes; unnamed users keep their access
    #[schemars(length(min = 1))]
    #[serde(rename(serialize = "user_access"))]
    pub users: Vec<UserAccess>,
}

const SERVER_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "description",
    "mcp_integration_id",
    "status",
    "created_at",
];

/// `{total, has_more?, <key>: rows}` with the rows as Portkey sent them.
fn raw_list(v: &Value, key: &str) -> Value {
    let mut out = Map::new();
    out.insert("total".into(), shape::total(v));
    shape::put(
        &mut out,
        "has_more",
        v.get("has_more").cloned().unwrap_or(Value::Null),
    );
    out.insert(key.into(), Value::Array(shape::items(v)));
    Value::Object(out)
}

fn shape_user(u: &Value) -> Value {
    let name: Vec<&str> = ["first_name", "last_name"]
        .iter()
        .filter_map(|k| u.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .collect();
    let g = |k: &str| u.get(k).cloned().unwrap_or(Value::Null);
    shape::obj(vec![
        ("user_id", g("user_id")),
        ("name", json!(name.join(" ").trim())),
        ("enabled", g("enabled")),
        ("has_override", g("has_override")),
        ("connection_status", g("connection_status")),
    ])
}

fn shape_user_access(v: &Value) -> Value {
    let mut out = Map::new();
    shape::put(
        &mut out,
        "default_user_access",
        v.get("default_user_access").cloned().unwrap_or(Value::Null),
    );
    out.insert("total".into(), shape::total(v));
    shape::put(
        &mut out,
        "has_more",
        v.get("has_more").cloned().unwrap_or(Value::Null),
    );
    let users: Vec<Value> = shape::item_slice(v).iter().map(shape_user).collect();
    out.insert("users".into(), Value::Array(users));
    Value::Object(out)
}

/// The fields of `a` but `id` (which goes in the path) as query pairs.
fn query<T: Serialize>(a: &T) -> Vec<(String, String)> {
    query_of(a).into_iter().filter(|(k, _)| k != "id").collect()
}

fn path(id: &str, tail: &str) -> String {
    format!("/mcp-servers/{}{tail}", enc(id))
}

async fn list_mcp_server_connections(api: Api, a: ListConnections) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get(path(&a.id, "/connections")).query(query(&a)))
        .await?;
    Ok(raw_list(&v, "connections"))
}

async fn disconnect_mcp_server_connection(api: Api, a: Disconnect) -> Result<Value, ApiError> {
    api.send(Req::delete(path(&a.id, "/connections")).query(query(&a)))
        .await?;
    Ok(done(format!(
        "Connection to MCP server \"{}\" ended.",
        a.id
    )))
}

async fn list_mcp_servers(api: Api, a: ListMcpServers) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/mcp-servers").query_from(&a)).await?;
    Ok(shape::list(&v, "servers", SERVER_FIELDS))
}

async fn create_mcp_server(api: Api, a: CreateMcpServer) -> Result<Value, ApiError> {
    let v = api.post("/mcp-servers", shape::to_json(&a)?).await?;
    Ok(shape::obj(vec![
        (
            "message",
            json!(format!("MCP server \"{}\" created.", a.name)),
        ),
        ("id", v.get("id").cloned().unwrap_or(Value::Null)),
        ("slug", v.get("slug").cloned().unwrap_or(Value::Null)),
    ]))
}

/// One server: the list fields plus its workspace and its integration's details; of the
/// integration's `configurations` only the keys (their values may hold header secrets).
fn shape_server(v: &Value) -> Value {
    let mut out = shape::pick(v, SERVER_FIELDS);
    if let Value::Object(m) = &mut out {
        shape::put(
            m,
            "workspace_id",
            v.get("workspace_id").cloned().unwrap_or(Value::Null),
        );
        if let Some(d) = v.get("mcp_integration_details").filter(|d| d.is_object()) {
            let mut details = shape::pick(
                d,
                &["id", "slug", "status", "url", "transport", "auth_type"],
            );
            if let (Value::Object(dm), Value::Object(c)) =
                (&mut details, shape::json_field(d.get("configurations")))
            {
                dm.insert(
                    "configuration_keys".into(),
                    json!(c.keys().collect::<Vec<_>>()),
                );
            }
            m.insert("mcp_integration_details".into(), details);
        }
    }
    out
}

async fn get_mcp_server(api: Api, a: Id) -> Result<Value, ApiError> {
    let v = api.get(path(&a.id, "")).await?;
    Ok(shape_server(&v))
}

async fn update_mcp_server(api: Api, a: UpdateMcpServer) -> Result<Value, ApiError> {
    let body = shape::body_without(&a, "id")?;
    if body.as_object().is_none_or(Map::is_empty) {
        return Err(bad(
            "give at least one field to change: name or description",
        ));
    }
    api.put(path(&a.id, ""), body).await?;
    Ok(done(format!("MCP server \"{}\" updated.", a.id)))
}

async fn delete_mcp_server(api: Api, a: Id) -> Result<Value, ApiError> {
    api.delete(path(&a.id, "")).await?;
    Ok(done(format!("MCP server \"{}\" deleted.", a.id)))
}

async fn test_mcp_server(api: Api, a: Id) -> Result<Value, ApiError> {
    // The spec defines no body here; a `{}` body is refused with 415.
    let v = api
        .send(Req::new(Method::POST, path(&a.id, "/test")))
        .await?;
    Ok(shape::pick(
        &v,
        &[
            "success",
            "server_name",
            "url",
            "status_code",
            "response_time_ms",
            "error",
        ],
    ))
}

async fn list_mcp_server_capabilities(api: Api, a: Paged) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get(path(&a.id, "/capabilities")).query(query(&a)))
        .await?;
    let mut out = raw_list(&v, "capabilities");
    if let (Value::Object(m), Some(c)) = (&mut out, v.get("counts").filter(|c| !c.is_null())) {
        m.insert("counts".into(), c.clone());
    }
    Ok(out)
}

async fn update_mcp_server_capabilities(
    api: Api,
    a: UpdateCapabilities,
) -> Result<Value, ApiError> {
    api.put(path(&a.id, "/capabilities"), shape::to_json(&a)?)
        .await?;
    Ok(done(format!(
        "Capabilities of MCP server \"{}\" updated.",
        a.id
    )))
}

async fn list_mcp_server_user_access(api: Api, a: Paged) -> Result<Value, ApiError> {
    let v = api
        .send(Req::get(path(&a.id, "/user-access")).query(query(&a)))
        .await?;
    Ok(shape_user_access(&v))
}

async fn update_mcp_server_user_access(api: Api, a: UpdateUserAccess) -> Result<Value, ApiError> {
    api.put(path(&a.id, "/user-access"), shape::to_json(&a)?)
        .await?;
    Ok(done(format!(
        "User access of MCP server \"{}\" updated.",
        a.id
    )))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "list_mcp_server_connections",
            "List live user connections to an MCP server. Returns total, has_more, connections (user_id, connected, timestamps). End one: disconnect_mcp_server_connection.",
            list_mcp_server_connections,
        )
        .endpoint("GET /mcp-servers/{id}/connections"),
        tool(
            "disconnect_mcp_server_connection",
            "Disconnect one user's live session on an MCP server; their access stays, they may reconnect. Returns success. Cannot be undone. Revoke access: update_mcp_server_user_access.",
            disconnect_mcp_server_connection,
        )
        .endpoint("DELETE /mcp-servers/{id}/connections")
        .destructive(true)
        .idempotent(true),
        tool(
            "list_mcp_servers",
            "List MCP servers (instances of MCP integrations). Returns total, servers[{id, name, slug, mcp_integration_id, status}]. Their integrations: list_mcp_integrations.",
            list_mcp_servers,
        )
        .endpoint("GET /mcp-servers"),
        tool(
            "create_mcp_server",
            "Create an MCP server under an MCP integration. Returns id, slug. Check it: test_mcp_server.",
            create_mcp_server,
        )
        .endpoint("POST /mcp-servers"),
        tool(
            "get_mcp_server",
            "Get one MCP server. Returns id, name, slug, description, mcp_integration_id, status. URL and auth: get_mcp_integration.",
            get_mcp_server,
        )
        .endpoint("GET /mcp-servers/{id}"),
        tool(
            "update_mcp_server",
            "Rename or redescribe an MCP server. Returns success. URL and auth live on the integration: update_mcp_integration.",
            update_mcp_server,
        )
        .endpoint("PUT /mcp-servers/{id}"),
        tool(
            "delete_mcp_server",
            "Delete an MCP server; its users lose access at once. Returns success. Cannot be undone; recreate with create_mcp_server.",
            delete_mcp_server,
        )
        .endpoint("DELETE /mcp-servers/{id}"),
        tool(
            "test_mcp_server",
            "Test that an MCP server is reachable now. Returns success, server_name, url, status_code, response_time_ms, error. Live users: list_mcp_server_connections.",
            test_mcp_server,
        )
        .endpoint("POST /mcp-servers/{id}/test")
        .read_only(false),
        tool(
            "list_mcp_server_capabilities",
            "List the tools, prompts and resources one MCP server exposes, with enabled state. Returns total, has_more, capabilities. Switch them: update_mcp_server_capabilities.",
            list_mcp_server_capabilities,
        )
        .endpoint("GET /mcp-servers/{id}/capabilities"),
        tool(
            "update_mcp_server_capabilities",
            "Enable or disable capabilities on one MCP server, overriding its integration's, at once. Returns success. Integration-wide: update_mcp_integration_capabilities.",
            update_mcp_server_capabilities,
        )
        .endpoint("PUT /mcp-servers/{id}/capabilities")
        .revokes_access(),
        tool(
            "list_mcp_server_user_access",
            "List per-user access to an MCP server. Returns default_user_access, total, has_more, users (enabled, override, connection status). Change: update_mcp_server_user_access.",
            list_mcp_server_user_access,
        )
        .endpoint("GET /mcp-servers/{id}/user-access"),
        tool(
            "update_mcp_server_user_access",
            "Grant or revoke access to an MCP server per user, overriding the default, at once. Returns success. End a live session only: disconnect_mcp_server_connection.",
            update_mcp_server_user_access,
        )
        .endpoint("PUT /mcp-servers/{id}/user-access")
        .revokes_access(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_update_bodies_are_the_inputs_less_the_path_id() {
        let a: CreateMcpServer =
            serde_json::from_value(json!({"name": "s", "mcp_integration_id": "m"})).unwrap();
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({"name": "s", "mcp_integration_id": "m"})
        );
        let u: UpdateMcpServer =
            serde_json::from_value(json!({"id": "s", "description": "d"})).unwrap();
        assert_eq!(
            shape::body_without(&u, "id").unwrap(),
            json!({"description": "d"})
        );
    }

    #[test]
    fn update_bodies_leave_the_id_to_the_path() {
        let u: UpdateUserAccess = serde_json::from_value(
            json!({"id": "s", "users": [{"user_id": "u", "enabled": true}]}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"user_access": [{"user_id": "u", "enabled": true}]})
        );
        let c: UpdateCapabilities = serde_json::from_value(
            json!({"id": "s", "capabilities": [{"name": "p", "type": "prompt", "enabled": true}]}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"capabilities": [{"name": "p", "type": "prompt", "enabled": true}]})
        );
    }
}
