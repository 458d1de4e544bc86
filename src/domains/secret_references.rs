//! Secret references: pointers to secrets kept in AWS Secrets Manager, Azure Key Vault or
//! HashiCorp Vault, with the credentials Portkey uses to read them.
//!
//! Credentials go to Portkey and never come back: auth_config in results is redacted and error
//! texts are scrubbed of every credential the call sent.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::common::Paging;
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::pin::{Form, Rule, Widens};
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManagerType {
    AwsSm,
    AzureKv,
    HashicorpVault,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AwsAuth {
    AccessKey,
    AssumedRole,
    ServiceRole,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AzureAuth {
    Entra,
    Managed,
    Default,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VaultAuth {
    Token,
    Approle,
    Kubernetes,
}

// The schema of auth_config: one flat object over the three families. Which members a mode
// takes is checked in the handler (see MODES); the value itself is passed through unchanged.
#[derive(Debug, JsonSchema)]
pub struct AuthConfig {
    /// accessKey, assumedRole or serviceRole (aws_sm)
    pub aws_auth_type: Option<AwsAuth>,
    /// accessKey: key id from your AWS IAM
    #[schemars(length(min = 1))]
    pub aws_access_key_id: Option<String>,
    /// accessKey: secret access key
    #[schemars(length(min = 1))]
    pub aws_secret_access_key: Option<String>,
    /// AWS region, e.g. us-east-1
    pub aws_region: Option<String>,
    /// assumedRole: role ARN
    #[schemars(length(min = 1))]
    pub aws_role_arn: Option<String>,
    /// assumedRole: external id from your AWS role
    pub aws_external_id: Option<String>,
    /// entra, managed or default (azure_kv)
    pub azure_auth_mode: Option<AzureAuth>,
    /// entra: tenant id from your Azure
    #[schemars(length(min = 1))]
    pub azure_entra_tenant_id: Option<String>,
    /// entra: client id from your Azure
    #[schemars(length(min = 1))]
    pub azure_entra_client_id: Option<String>,
    /// entra: client secret
    #[schemars(length(min = 1))]
    pub azure_entra_client_secret: Option<String>,
    /// managed: identity client id from your Azure
    pub azure_managed_client_id: Option<String>,
    /// Key Vault URL
    #[schemars(extend("format" = "uri"))]
    pub azure_vault_url: Option<String>,
    /// token, approle or kubernetes (hashicorp_vault)
    pub vault_auth_type: Option<VaultAuth>,
    /// Vault server URL
    #[schemars(extend("format" = "uri"))]
    pub vault_addr: Option<String>,
    /// token: Vault token
    #[schemars(length(min = 1))]
    pub vault_token: Option<String>,
    /// Vault Enterprise namespace
    pub vault_namespace: Option<String>,
    /// approle: role id from your Vault
    #[schemars(length(min = 1))]
    pub vault_role_id: Option<String>,
    /// approle: secret id from your Vault
    #[schemars(length(min = 1))]
    pub vault_secret_id: Option<String>,
    /// kubernetes: Vault role name
    #[schemars(length(min = 1))]
    pub vault_role: Option<String>,
}

/// (family, mode member, mode, required members, optional members)
type Mode = (
    ManagerType,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const MODES: &[Mode] = &[
    (
        ManagerType::AwsSm,
        "aws_auth_type",
        "accessKey",
        &["aws_access_key_id", "aws_secret_access_key", "aws_region"],
        &[],
    ),
    (
        ManagerType::AwsSm,
        "aws_auth_type",
        "assumedRole",
        &["aws_role_arn", "aws_region"],
        &["aws_external_id"],
    ),
    (
        ManagerType::AwsSm,
        "aws_auth_type",
        "serviceRole",
        &[],
        &["aws_region"],
    ),
    (
        ManagerType::AzureKv,
        "azure_auth_mode",
        "entra",
        &[
            "azure_entra_tenant_id",
            "azure_entra_client_id",
            "azure_entra_client_secret",
            "azure_vault_url",
        ],
        &[],
    ),
    (
        ManagerType::AzureKv,
        "azure_auth_mode",
        "managed",
        &["azure_vault_url"],
        &["azure_managed_client_id"],
    ),
    (
        ManagerType::AzureKv,
        "azure_auth_mode",
        "default",
        &["azure_vault_url"],
        &[],
    ),
    (
        ManagerType::HashicorpVault,
        "vault_auth_type",
        "token",
        &["vault_addr", "vault_token"],
        &["vault_namespace"],
    ),
    (
        ManagerType::HashicorpVault,
        "vault_auth_type",
        "approle",
        &["vault_addr", "vault_role_id", "vault_secret_id"],
        &["vault_namespace"],
    ),
    (
        ManagerType::HashicorpVault,
        "vault_auth_type",
        "kubernetes",
        &["vault_addr", "vault_role"],
        &["vault_namespace"],
    ),
];

/// Every member auth_config accepts.
const AUTH_MEMBERS: &[&str] = &[
    "aws_auth_type",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_region",
    "aws_role_arn",
    "aws_external_id",
    "azure_auth_mode",
    "azure_entra_tenant_id",
    "azure_entra_client_id",
    "azure_entra_client_secret",
    "azure_managed_client_id",
    "azure_vault_url",
    "vault_auth_type",
    "vault_addr",
    "vault_token",
    "vault_namespace",
    "vault_role_id",
    "vault_secret_id",
    "vault_role",
];

fn check_known(auth: &Map<String, Value>) -> Result<(), ApiError> {
    match auth.keys().find(|k| !AUTH_MEMBERS.contains(&k.as_str())) {
        Some(k) => Err(bad(format!(
            "auth_config.{k} is not a field Portkey accepts"
        ))),
        None => Ok(()),
    }
}

/// The family of an auth_config member, by its prefix.
fn family(member: &str) -> Option<ManagerType> {
    if member.starts_with("aws_") {
        Some(ManagerType::AwsSm)
    } else if member.starts_with("azure_") {
        Some(ManagerType::AzureKv)
    } else if member.starts_with("vault_") {
        Some(ManagerType::HashicorpVault)
    } else {
        None
    }
}

fn manager_name(m: ManagerType) -> &'static str {
    match m {
        ManagerType::AwsSm => "aws_sm",
        ManagerType::AzureKv => "azure_kv",
        ManagerType::HashicorpVault => "hashicorp_vault",
    }
}

fn mode_member(m: ManagerType) -> &'static str {
    match m {
        ManagerType::AwsSm => "aws_auth_type",
        ManagerType::AzureKv => "azure_auth_mode",
        ManagerType::HashicorpVault => "vault_auth_type",
    }
}

/// A full auth_config for `manager`: its family's mode member, that mode's required members
/// (non-empty), and nothing that mode does not take.
fn check_auth_create(manager: ManagerType, auth: &Map<String, Value>) -> Result<(), ApiError> {
    check_known(auth)?;
    let mode_key = mode_member(manager);
    if let Some(k) = auth.keys().find(|k| family(k) != Some(manager)) {
        return Err(bad(format!(
            "auth_config.{k} does not belong to manager_type {}, whose auth_config is chosen by {mode_key}",
            manager_name(manager),
        )));
    }
    let Some(mode) = auth.get(mode_key).and_then(Value::as_str) else {
        return Err(bad(format!(
            "manager_type {} needs auth_config.{mode_key}",
            manager_name(manager)
        )));
    };
    let Some((_, _, _, required, optional)) = MODES
        .iter()
        .find(|(m, _, name, _, _)| *m == manager && *name == mode)
    else {
        return Err(bad(format!(
            "auth_config.{mode_key} \"{mode}\" is not known"
        )));
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| {
            auth.get(*r)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        })
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "auth_config with {mode_key} \"{mode}\" needs {}",
            missing.join(", ")
        )));
    }
    if let Some(k) = auth.keys().find(|k| {
        k.as_str() != mode_key && !required.contains(&k.as_str()) && !optional.contains(&k.as_str())
    }) {
        return Err(bad(format!(
            "auth_config.{k} is not used with {mode_key} \"{mode}\"; remove it"
        )));
    }
    Ok(())
}

/// A partial auth_config merged into the stored one: at least one member, one family only.
fn check_auth_update(auth: &Map<String, Value>) -> Result<(), ApiError> {
    check_known(auth)?;
    let mut families = auth.keys().map(|k| family(k));
    let Some(first) = families.next() else {
        return Err(bad("auth_config must name at least one field to change"));
    };
    if families.any(|f| f != first) {
        return Err(bad(
            "auth_config mixes fields of several secret managers (aws_*, azure_*, vault_*); use one family",
        ));
    }
    Ok(())
}

fn check_workspaces(all: Option<bool>, allowed: &Option<Vec<String>>) -> Result<(), ApiError> {
    if all == Some(true) && allowed.is_some() {
        return Err(bad(
            "allow_all_workspaces=true and allowed_workspaces exclude each other; give one",
        ));
    }
    Ok(())
}

fn slug_ok(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateSecretReference {
    /// Display name of the reference
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// aws_sm (AWS Secrets Manager), azure_kv (Azure Key Vault) or hashicorp_vault
    pub manager_type: ManagerType,
    /// Credentials, never returned. Fields per mode, [optional]: accessKey aws_access_key_id, aws_secret_access_key, aws_region; assumedRole aws_role_arn, aws_region, [aws_external_id]; serviceRole [aws_region]; entra azure_entra_tenant_id, azure_entra_client_id, azure_entra_client_secret, azure_vault_url; managed azure_vault_url, [azure_managed_client_id]; default azure_vault_url; token vault_addr, vault_token; approle vault_addr, vault_role_id, vault_secret_id; kubernetes vault_addr, vault_role; any vault mode [vault_namespace]
    #[schemars(with = "AuthConfig")]
    pub auth_config: Map<String, Value>,
    /// Secret's path in the manager
    #[schemars(length(max = 1024))]
    pub secret_path: String,
    /// Org id from list_api_keys; only without an API key
    #[schemars(extend("format" = "uuid"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
    /// Slug you choose (letters, digits, _ -); generated if omitted
    #[schemars(length(max = 255), extend("pattern" = "^[a-zA-Z0-9_-]+$"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Description, free text
    #[schemars(length(max = 1024))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<Option<String>>,
    /// Field of a JSON secret; null = whole value
    #[schemars(length(max = 255))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_key: Option<Option<String>>,
    /// Every workspace may use it (default true)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_all_workspaces: Option<bool>,
    /// Workspace ids from list_workspaces that may use it
    #[schemars(length(min = 1))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_workspaces: Option<Vec<String>>,
    /// String tags, e.g. team
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub tags: Option<Option<Map<String, Value>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListSecretReferences {
    /// Manager: aws_sm, azure_kv or hashicorp_vault
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_type: Option<ManagerType>,
    /// Only references with all these tags
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub tags: Option<Map<String, Value>>,
    /// Name search text
    #[schemars(length(min = 1, max = 255))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(flatten)]
    pub page: Paging,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Id {
    /// Id/slug from list_secret_references
    #[schemars(length(min = 1))]
    pub id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateSecretReference {
    /// Id/slug from list_secret_references
    #[schemars(length(min = 1))]
    pub id: String,
    #[serde(flatten)]
    pub changes: Changes,
}

/// The members update_secret_reference sends, as given (a given null is sent as null).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Changes {
    /// New display name
    #[schemars(length(min = 1, max = 255))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description; null clears
    #[schemars(length(max = 1024))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<Option<String>>,
    /// Credential fields to change (merged; one manager's fields)
    #[schemars(with = "Option<AuthConfig>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_config: Option<Map<String, Value>>,
    /// New secret path
    #[schemars(length(max = 1024))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_path: Option<String>,
    /// Field of a JSON secret; null = whole value
    #[schemars(length(max = 255))]
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_key: Option<Option<String>>,
    /// true opens it to every workspace
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_all_workspaces: Option<bool>,
    /// Replaces the allowed workspaces (sets allow_all_workspaces=false)
    #[schemars(length(min = 1))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_workspaces: Option<Vec<String>>,
    /// Replacement tags; null clears
    #[serde(
        default,
        deserialize_with = "crate::shape::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub tags: Option<Option<Map<String, Value>>>,
}

const LIST_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "manager_type",
    "status",
    "created_at",
    "last_updated_at",
];

async fn create_secret_reference(api: Api, a: CreateSecretReference) -> Result<Value, ApiError> {
    check_workspaces(a.allow_all_workspaces, &a.allowed_workspaces)?;
    check_auth_create(a.manager_type, &a.auth_config)?;
    if a.slug.as_deref().is_some_and(|s| !slug_ok(s)) {
        return Err(bad("slug may hold only letters, digits, _ and -"));
    }
    let body = shape::to_json(&a)?;
    let v = api.post("/secret-references", body).await?;
    let slug = v.get("slug").cloned().unwrap_or(Value::Null);
    let label = slug.as_str().unwrap_or(a.name.as_str()).to_owned();
    Ok(shape::obj(vec![
        (
            "message",
            json!(format!("Created secret reference \"{label}\".")),
        ),
        ("id", v.get("id").cloned().unwrap_or(Value::Null)),
        ("slug", slug),
    ]))
}

async fn list_secret_references(api: Api, a: ListSecretReferences) -> Result<Value, ApiError> {
    let q = json!({
        "manager_type": a.manager_type,
        "tags": a.tags.map(|t| Value::Object(t).to_string()),
        "search": a.search,
        "current_page": a.page.current_page,
        "page_size": a.page.page_size,
    });
    let v = api
        .send(Req::get("/secret-references").query_from(&q))
        .await?;
    Ok(shape::list(&v, "secret_references", LIST_FIELDS))
}

async fn get_secret_reference(api: Api, a: Id) -> Result<Value, ApiError> {
    let v = api
        .get(format!("/secret-references/{}", enc(&a.id)))
        .await?;
    shape::need(&v, "auth_config")?;
    let mut out = v;
    if let Value::Object(m) = &mut out {
        let mut auth = shape::json_field(m.get("auth_config"));
        crate::redact::mask_secret_fields(&mut auth);
        if let Value::String(_) = auth {
            // An auth_config that is neither object nor JSON text is withheld whole.
            auth = Value::String("[REDACTED]".into());
        }
        m.insert("auth_config".into(), auth);
    }
    Ok(out)
}

async fn update_secret_reference(api: Api, a: UpdateSecretReference) -> Result<Value, ApiError> {
    let c = &a.changes;
    check_workspaces(c.allow_all_workspaces, &c.allowed_workspaces)?;
    let body = shape::to_json(c)?;
    if body.as_object().is_none_or(Map::is_empty) {
        return Err(bad(
            "give at least one field to change: name, description, auth_config, secret_path, secret_key, allow_all_workspaces, allowed_workspaces or tags",
        ));
    }
    if let Some(auth) = &c.auth_config {
        check_auth_update(auth)?;
    }
    let v = api
        .put(format!("/secret-references/{}", enc(&a.id)), body)
        .await?;
    Ok(json!({
        "message": format!("Updated secret reference \"{}\".", a.id),
        "success": v.get("success").cloned().filter(Value::is_boolean).unwrap_or(json!(true)),
    }))
}

async fn delete_secret_reference(api: Api, a: Id) -> Result<Value, ApiError> {
    let v = api
        .delete(format!("/secret-references/{}", enc(&a.id)))
        .await?;
    Ok(json!({
        "message": format!("Deleted secret reference \"{}\".", a.id),
        "success": v.get("success").cloned().filter(Value::is_boolean).unwrap_or(json!(true)),
    }))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "create_secret_reference",
            "Register a secret in AWS Secrets Manager, Azure Key Vault or HashiCorp Vault with credentials to read it (they stay in this conversation: prefer role or identity modes). Returns id, slug, for create_virtual_key secret_mappings.",
            create_secret_reference,
        )
        .endpoint("POST /secret-references")
        .workspace_param("allowed_workspaces[]", Rule::Fill(Form::Given))
        .workspace_param("allow_all_workspaces", Rule::Refuse(Widens::WhenTrue)),
        tool(
            "list_secret_references",
            "List secret references by manager, tags or name, without credentials. Returns total, secret_references[{id, name, slug, manager_type, status}]. One: get_secret_reference.",
            list_secret_references,
        )
        .endpoint("GET /secret-references"),
        tool(
            "get_secret_reference",
            "Get one secret reference, never the secret's value. Returns secret_path, workspaces, tags, auth_config (credentials redacted). Change it: update_secret_reference.",
            get_secret_reference,
        )
        .endpoint("GET /secret-references/{id}"),
        tool(
            "update_secret_reference",
            "Update a secret reference; only given fields change, auth_config is merged, allowed_workspaces replaced. Returns success. Cannot be undone for credentials (get_secret_reference redacts them).",
            update_secret_reference,
        )
        .endpoint("PUT /secret-references/{id}")
        .destructive(true)
        .idempotent(true)
        .workspace_param("allowed_workspaces[]", Rule::Match)
        .workspace_param("allow_all_workspaces", Rule::Refuse(Widens::WhenTrue)),
        tool(
            "delete_secret_reference",
            "Delete a secret reference; virtual keys and integrations mapped to it stop resolving. Returns success. Cannot be undone; recreate with create_secret_reference.",
            delete_secret_reference,
        )
        .endpoint("DELETE /secret-references/{id}")
        .idempotent(true),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_body_is_the_input_with_given_nulls_kept() {
        let args = json!({"name": "s", "manager_type": "aws_sm", "auth_config": {"aws_auth_type": "assumedRole"},
            "secret_path": "p", "description": null, "allowed_workspaces": ["ws"]});
        let a: CreateSecretReference = serde_json::from_value(args.clone()).unwrap();
        assert_eq!(serde_json::to_value(&a).unwrap(), args);
    }
}
