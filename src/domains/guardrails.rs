//! Guardrails: checks and actions on LLM or MCP-tool traffic, their MCP-server mappings, and the
//! organisation-wide defaults with per-workspace exclusions.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};

use super::common::Paging;
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::pin::{Rule, Widens};
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoArgs {}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct OrgDefaults {
    /// Ordered ids or slugs from list_guardrails, run on input
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_guardrails: Option<Vec<String>>,
    /// Ordered ids or slugs from list_guardrails, run on output
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_guardrails: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct OrgId {
    /// Org id from list_api_keys
    pub organisation_id: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Exclusion {
    /// Id from list_workspaces
    pub workspace_id: String,
    /// true excludes, false restores
    pub excluded: bool,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateExclusions {
    /// Org id from list_api_keys
    pub organisation_id: String,
    /// Workspace states to set
    #[schemars(length(min = 1))]
    pub workspaces: Vec<Exclusion>,
    /// Replace prior states, not merge
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_existing: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListGuardrails {
    /// Id from list_workspaces
    pub workspace_id: Option<String>,
    /// Org id from list_api_keys
    pub organisation_id: Option<String>,
    #[serde(flatten)]
    pub page: Paging,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GuardrailId {
    /// Id/slug from list_guardrails
    pub guardrail_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MappedGuardrail {
    /// Id/slug from list_guardrails
    #[schemars(length(min = 1))]
    pub guardrail_id: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Llm,
    McpTools,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Input,
    Output,
}

/// A check type of the spec (components.schemas.GuardrailCheck `id`), with the members its
/// parameters schema (JWTParameters, ContainsParameters, ...) requires, and the spec's default
/// for those of them that have one.
struct CheckType {
    id: &'static str,
    required: &'static [&'static str],
    defaults: &'static [(&'static str, &'static str)],
}

const fn check_type(id: &'static str, required: &'static [&'static str]) -> CheckType {
    CheckType {
        id,
        required,
        defaults: &[],
    }
}

/// A check type some of whose required parameters have a documented default.
const fn with_defaults(
    id: &'static str,
    required: &'static [&'static str],
    defaults: &'static [(&'static str, &'static str)],
) -> CheckType {
    CheckType {
        id,
        required,
        defaults,
    }
}

/// `operator: any`, the default of JSONKeysParameters and ContainsParameters.
const ANY: &[(&str, &str)] = &[("operator", "any")];

/// Every check id the spec lists, in its order.
const CHECK_TYPES: &[CheckType] = &[
    check_type("default.jwt", &["jwksUri", "headerKey"]),
    check_type("default.modelWhitelist", &["models"]),
    check_type("default.isAllLowerCase", &[]),
    check_type("default.regexMatch", &["rule"]),
    check_type("default.sentenceCount", &[]),
    check_type("default.wordCount", &[]),
    check_type("default.characterCount", &[]),
    check_type("default.jsonSchema", &["schema"]),
    with_defaults("default.jsonKeys", &["keys", "operator"], ANY),
    with_defaults("default.contains", &["words", "operator"], ANY),
    check_type("default.validUrls", &[]),
    check_type("default.containsCode", &["format"]),
    check_type("default.webhook", &["webhookURL"]),
    check_type("default.endsWith", &["suffix"]),
    check_type("default.alluppercase", &[]),
    with_defaults(
        "default.requiredMetadataKeys",
        &["metadataKeys", "operator"],
        &[("operator", "all")],
    ),
    check_type("default.allowedRequestTypes", &[]),
    check_type("portkey.moderateContent", &["categories"]),
    check_type("portkey.language", &[]),
    check_type("portkey.pii", &["categories"]),
    check_type("portkey.gibberish", &[]),
    check_type("sydelabs.sydeguard", &[]),
    check_type("aporia.validateProject", &["projectID"]),
    check_type("pillar.scanPrompt", &["scanners"]),
    check_type("pillar.scanResponse", &["scanners"]),
    check_type("patronus.phi", &[]),
    check_type("patronus.pii", &[]),
    check_type("patronus.isConcise", &[]),
    check_type("patronus.isHelpful", &[]),
    check_type("patronus.isPolite", &[]),
    check_type("patronus.noApologies", &[]),
    check_type("patronus.noGenderBias", &[]),
    check_type("patronus.noRacialBias", &[]),
    check_type("patronus.retrievalAnswerRelevance", &[]),
    check_type("patronus.toxicity", &[]),
    check_type("patronus.custom", &["profile"]),
    check_type("mistral.moderateContent", &["categories"]),
    check_type("bedrock.guard", &["guardrailVersion", "guardrailId"]),
    check_type("promptfoo.guard", &[]),
    check_type("promptfoo.pii", &[]),
    check_type("promptfoo.harm", &[]),
    check_type("acuvity.scan", &[]),
    check_type("lasso.classify", &[]),
    check_type("azure.contentSafety", &[]),
    check_type("azure.pii", &[]),
    check_type("panw-prisma-airs.intercept", &["profile_name"]),
];

/// A check type id; its schema is the spec's enum of ids.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(transparent)]
pub struct CheckId(pub String);

impl JsonSchema for CheckId {
    fn schema_name() -> Cow<'static, str> {
        "CheckId".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let ids: Vec<&str> = CHECK_TYPES.iter().map(|t| t.id).collect();
        json_schema!({"type": "string", "enum": ids})
    }
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Check {
    /// Check type from Portkey docs, e.g. default.regexMatch
    pub id: CheckId,
    /// Display name of the check
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// false turns the check off
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_enabled: Option<bool>,
    /// Settings of this check type
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Feedback {
    /// Feedback score to record
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Number>,
    /// Weight of the score
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<Number>,
    /// Free-form feedback metadata
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Actions {
    /// Block on failure
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny: Option<bool>,
    /// Run without blocking the request
    #[serde(rename = "async", skip_serializing_if = "Option::is_none")]
    pub run_async: Option<bool>,
    /// Feedback on pass
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_success: Option<Feedback>,
    /// Feedback on fail
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_fail: Option<Feedback>,
    /// Action on fail, e.g. block
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_fail_action: Option<String>,
    /// Message when triggered
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateGuardrail {
    /// Display name of the guardrail
    pub name: String,
    /// llm (model traffic, default) or mcp_tools (MCP tool calls)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Checks to run (needed for llm)
    #[schemars(length(min = 1))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<Check>>,
    /// Actions (needed for llm)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Actions>,
    /// Id from list_workspaces
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Org id from list_api_keys, if no workspace_id
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct UpdateGuardrail {
    /// Id/slug from list_guardrails
    pub guardrail_id: String,
    /// New display name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New checks (replace the old)
    #[schemars(length(min = 1))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<Check>>,
    /// New actions, replacing the old
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Actions>,
}

/// A UUID string.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Uuid(pub String);

impl JsonSchema for Uuid {
    fn schema_name() -> Cow<'static, str> {
        "Uuid".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "uuid"})
    }
}

fn both_phases() -> Vec<Phase> {
    vec![Phase::Input, Phase::Output]
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Mapping {
    /// input, output or both (default)
    #[serde(default = "both_phases")]
    #[schemars(length(min = 1))]
    pub run_on: Vec<Phase>,
    /// Capability ids from list_mcp_integration_capabilities
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_integration_capability_ids: Option<Vec<Uuid>>,
}

/// Also the body of the replacement (the guardrail id goes in the path).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ReplaceMcpServers {
    /// Id/slug from list_guardrails
    #[schemars(length(min = 1))]
    pub guardrail_id: String,
    /// Mappings keyed by server id from list_mcp_servers; {} clears
    #[schemars(extend("propertyNames" = {"format": "uuid"}))]
    pub mcp_servers: BTreeMap<String, Mapping>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpsertMcpServer {
    /// Id/slug from list_guardrails
    #[schemars(length(min = 1))]
    pub guardrail_id: String,
    /// Id from list_mcp_servers
    pub mcp_server_id: Uuid,
    #[serde(flatten)]
    pub mapping: Mapping,
}

/// Whether `s` is a UUID as Portkey validates them: versions 1-8 with the RFC variant, or the
/// nil and max UUIDs.
fn is_uuid(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if lower == "00000000-0000-0000-0000-000000000000"
        || lower == "ffffffff-ffff-ffff-ffff-ffffffffffff"
    {
        return true;
    }
    let groups: Vec<&str> = lower.split('-').collect();
    let shape_ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    let version = groups.get(2).and_then(|g| g.bytes().next());
    let variant = groups.get(3).and_then(|g| g.bytes().next());
    shape_ok
        && matches!(version, Some(b'1'..=b'8'))
        && matches!(variant, Some(b'8' | b'9' | b'a' | b'b'))
}

fn check_uuid(field: &str, s: &str) -> Result<(), ApiError> {
    if is_uuid(s) {
        Ok(())
    } else {
        Err(bad(format!("`{field}` must be a UUID, got \"{s}\"")))
    }
}

fn check_mapping(at: &str, m: &Mapping) -> Result<(), ApiError> {
    for (i, id) in m
        .mcp_integration_capability_ids
        .iter()
        .flatten()
        .enumerate()
    {
        check_uuid(&format!("{at}mcp_integration_capability_ids[{i}]"), &id.0)?;
    }
    Ok(())
}

/// Before sending checks: fills the parameters the spec gives a default for and refuses a check
/// that lacks one its check type requires, naming the check and the parameters.
fn complete_checks(checks: Option<&mut Vec<Check>>) -> Result<(), ApiError> {
    for (i, c) in checks.into_iter().flatten().enumerate() {
        let Some(t) = CHECK_TYPES.iter().find(|t| t.id == c.id.0) else {
            return Err(bad(format!(
                "`checks[{i}].id` \"{}\" is not a check type Portkey documents",
                c.id.0
            )));
        };
        if t.required.is_empty() {
            continue;
        }
        let params = c.parameters.get_or_insert_with(Map::new);
        for (k, v) in t.defaults {
            if params.get(*k).is_none_or(Value::is_null) {
                params.insert((*k).to_string(), json!(v));
            }
        }
        let missing: Vec<&str> = t
            .required
            .iter()
            .copied()
            .filter(|k| params.get(*k).is_none_or(Value::is_null))
            .collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "check {} (`checks[{i}]`) needs `parameters.{}`; that check type requires {}",
                t.id,
                missing.join("`, `parameters."),
                t.required.join(", ")
            )));
        }
    }
    Ok(())
}

/// Summary row of a guardrail in a list.
const GUARDRAIL_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "status",
    "workspace_id",
    "organisation_id",
    "created_at",
    "last_updated_at",
    "owner_id",
    "updated_by",
    "target",
];

/// One guardrail in full.
const GUARDRAIL_DETAIL: &[&str] = &[
    "id",
    "name",
    "slug",
    "status",
    "workspace_id",
    "organisation_id",
    "checks",
    "actions",
    "created_at",
    "last_updated_at",
    "owner_id",
    "updated_by",
    "target",
    "mcp_server_mappings",
];

/// The `{message, id, slug, version_id}` answer of create and update.
fn shape_saved(message: String, v: &Value) -> Value {
    let mut out = Map::new();
    out.insert("message".into(), Value::String(message));
    if let Value::Object(m) = shape::pick(v, &["id", "slug", "version_id"]) {
        out.extend(m);
    }
    Value::Object(out)
}

async fn get_organisation_defaults(api: Api, _: NoArgs) -> Result<Value, ApiError> {
    api.send(Req::get("/admin/organisation/defaults").v2())
        .await
}

async fn update_organisation_defaults(api: Api, a: OrgDefaults) -> Result<Value, ApiError> {
    api.send(Req::put("/admin/organisation/defaults", shape::to_json(&a)?).v2())
        .await
}

async fn list_exclusions(api: Api, direction: &'static str, a: OrgId) -> Result<Value, ApiError> {
    api.send(Req::get(format!("/workspace-exclusions/{direction}-guardrails")).query_from(&a))
        .await
}

async fn update_exclusions(
    api: Api,
    direction: &'static str,
    a: UpdateExclusions,
) -> Result<Value, ApiError> {
    api.put(
        format!("/workspace-exclusions/{direction}-guardrails"),
        shape::to_json(&a)?,
    )
    .await
}

async fn list_guardrails(api: Api, a: ListGuardrails) -> Result<Value, ApiError> {
    let v = api.send(Req::get("/guardrails").query_from(&a)).await?;
    Ok(shape::list(&v, "guardrails", GUARDRAIL_FIELDS))
}

async fn get_guardrail(api: Api, a: GuardrailId) -> Result<Value, ApiError> {
    let v = api
        .get(format!("/guardrails/{}", enc(&a.guardrail_id)))
        .await?;
    Ok(shape::pick(&v, GUARDRAIL_DETAIL))
}

async fn create_guardrail(api: Api, mut a: CreateGuardrail) -> Result<Value, ApiError> {
    let llm = matches!(a.target, None | Some(Target::Llm));
    if llm && (a.checks.is_none() || a.actions.is_none()) {
        return Err(bad(
            "`checks` and `actions` are both required when `target` is llm (the default); give both, or set target to mcp_tools",
        ));
    }
    complete_checks(a.checks.as_mut())?;
    let v = api.post("/guardrails", shape::to_json(&a)?).await?;
    Ok(shape_saved(
        format!("Guardrail \"{}\" created.", a.name),
        &v,
    ))
}

async fn list_guardrail_mcp_servers(api: Api, a: MappedGuardrail) -> Result<Value, ApiError> {
    shape::nonblank("guardrail_id", &a.guardrail_id)?;
    let v = api
        .get(format!("/guardrails/{}/mcp-servers", enc(&a.guardrail_id)))
        .await?;
    Ok(shape::object([("mappings", v)]))
}

async fn replace_guardrail_mcp_servers(api: Api, a: ReplaceMcpServers) -> Result<Value, ApiError> {
    shape::nonblank("guardrail_id", &a.guardrail_id)?;
    for (server, m) in &a.mcp_servers {
        if !is_uuid(server) {
            return Err(bad(format!(
                "every key of `mcp_servers` must be an MCP server UUID, got \"{server}\""
            )));
        }
        check_mapping(&format!("mcp_servers.{server}."), m)?;
    }
    api.put(
        format!("/guardrails/{}/mcp-servers", enc(&a.guardrail_id)),
        shape::body_without(&a, "guardrail_id")?,
    )
    .await
}

async fn upsert_guardrail_mcp_server(api: Api, a: UpsertMcpServer) -> Result<Value, ApiError> {
    shape::nonblank("guardrail_id", &a.guardrail_id)?;
    check_uuid("mcp_server_id", &a.mcp_server_id.0)?;
    check_mapping("", &a.mapping)?;
    api.put(
        format!(
            "/guardrails/{}/mcp-servers/{}",
            enc(&a.guardrail_id),
            enc(&a.mcp_server_id.0)
        ),
        shape::to_json(&a.mapping)?,
    )
    .await
}

async fn update_guardrail(api: Api, mut a: UpdateGuardrail) -> Result<Value, ApiError> {
    complete_checks(a.checks.as_mut())?;
    let v = api
        .put(
            format!("/guardrails/{}", enc(&a.guardrail_id)),
            shape::body_without(&a, "guardrail_id")?,
        )
        .await?;
    Ok(shape_saved(
        format!(
            "Guardrail \"{}\" updated; a new version is live.",
            a.guardrail_id
        ),
        &v,
    ))
}

async fn delete_guardrail(api: Api, a: GuardrailId) -> Result<Value, ApiError> {
    api.delete(format!("/guardrails/{}", enc(&a.guardrail_id)))
        .await?;
    Ok(json!({
        "message": format!("Guardrail \"{}\" deleted.", a.guardrail_id),
        "success": true,
    }))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "get_organisation_defaults",
            "Get the default input and output guardrails every workspace inherits. Returns the defaults. Exceptions: list_input_guardrail_workspace_exclusions. Org admin key, scope organisation_settings.read.",
            get_organisation_defaults,
        )
        .gated()
        .endpoint("{v2} GET /admin/organisation/defaults")
        .org_wide(),
        tool(
            "update_organisation_defaults",
            "Replace the org's default input and/or output guardrail lists (those given), enforced at once in non-excluded workspaces. Returns the result. Old lists: get_organisation_defaults. Org admin key, scope organisation_settings.update.",
            update_organisation_defaults,
        )
        .gated()
        .endpoint("{v2} PUT /admin/organisation/defaults")
        .idempotent(true)
        .org_wide(),
        tool(
            "list_input_guardrail_workspace_exclusions",
            "List workspaces excluded from the org's default input guardrails. Returns the list. Change it: update_input_guardrail_workspace_exclusions. Org admin key, scope organisation_exclusions.list.",
            |api, a: OrgId| list_exclusions(api, "input", a),
        )
        .gated()
        .endpoint("GET /workspace-exclusions/input-guardrails")
        .org_wide(),
        tool(
            "update_input_guardrail_workspace_exclusions",
            "Exclude workspaces from, or restore them to, the default input guardrails, at once; merges unless override_existing. Returns the result. Undo: flip excluded. Current: list_input_guardrail_workspace_exclusions. Org admin key, scope organisation_exclusions.update.",
            |api, a: UpdateExclusions| update_exclusions(api, "input", a),
        )
        .gated()
        .endpoint("PUT /workspace-exclusions/input-guardrails")
        .destructive(true)
        .idempotent(true)
        .workspace_param("workspaces[].workspace_id", Rule::Match)
        .workspace_param("override_existing", Rule::Refuse(Widens::WhenTrue)),
        tool(
            "list_output_guardrail_workspace_exclusions",
            "List workspaces excluded from the org's default output guardrails. Returns the list. Change it: update_output_guardrail_workspace_exclusions. Org admin key, scope organisation_exclusions.list.",
            |api, a: OrgId| list_exclusions(api, "output", a),
        )
        .gated()
        .endpoint("GET /workspace-exclusions/output-guardrails")
        .org_wide(),
        tool(
            "update_output_guardrail_workspace_exclusions",
            "Exclude workspaces from, or restore them to, the default output guardrails, at once; merges unless override_existing. Returns the result. Undo: flip excluded. Current: list_output_guardrail_workspace_exclusions. Org admin key, scope organisation_exclusions.update.",
            |api, a: UpdateExclusions| update_exclusions(api, "output", a),
        )
        .gated()
        .endpoint("PUT /workspace-exclusions/output-guardrails")
        .destructive(true)
        .idempotent(true)
        .workspace_param("workspaces[].workspace_id", Rule::Match)
        .workspace_param("override_existing", Rule::Refuse(Widens::WhenTrue)),
        tool(
            "list_guardrails",
            "List guardrails. Returns total, guardrails[{id, slug, name, status, target}]. Checks and actions of one: get_guardrail.",
            list_guardrails,
        )
        .endpoint("GET /guardrails"),
        tool(
            "get_guardrail",
            "Get one guardrail by id or slug. Returns id, slug, name, status, target, checks, actions, mcp_server_mappings. Change it: update_guardrail.",
            get_guardrail,
        )
        .endpoint("GET /guardrails/{guardrail_id}"),
        tool(
            "create_guardrail",
            "Create a guardrail: target llm (default) needs checks and actions; mcp_tools ones are mapped later (upsert_guardrail_mcp_server). Returns id, slug, version_id.",
            create_guardrail,
        )
        .endpoint("POST /guardrails")
        .workspace_param("organisation_id", Rule::Refuse(Widens::WhenGiven)),
        tool(
            "list_guardrail_mcp_servers",
            "List a guardrail's MCP-server mappings. Returns mappings: phases and capability ids per server. Change one: upsert_guardrail_mcp_server.",
            list_guardrail_mcp_servers,
        )
        .endpoint("GET /guardrails/{guardrail_id}/mcp-servers"),
        tool(
            "replace_guardrail_mcp_servers",
            "Replace all MCP-server mappings of a guardrail: servers left out are unmapped, {} clears all. Returns the result. Undo: resend the old list_guardrail_mcp_servers result.",
            replace_guardrail_mcp_servers,
        )
        .endpoint("PUT /guardrails/{guardrail_id}/mcp-servers")
        .destructive(true)
        .idempotent(true),
        tool(
            "upsert_guardrail_mcp_server",
            "Upsert one MCP server's mapping on a guardrail; others are untouched. Returns the result. Undo: resend the old mapping from list_guardrail_mcp_servers.",
            upsert_guardrail_mcp_server,
        )
        .endpoint("PUT /guardrails/{guardrail_id}/mcp-servers/{mcp_server_id}")
        .destructive(true)
        .idempotent(true),
        tool(
            "update_guardrail",
            "Update a guardrail's name, checks or actions; only given fields change, and a new version is live at once. Returns id, slug, version_id. Current: get_guardrail.",
            update_guardrail,
        )
        .endpoint("PUT /guardrails/{guardrail_id}"),
        tool(
            "delete_guardrail",
            "Delete a guardrail; configs and workspaces referencing it lose the check. Returns success. Cannot be undone; recreate with create_guardrail.",
            delete_guardrail,
        )
        .endpoint("DELETE /guardrails/{guardrail_id}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_update_and_exclusion_bodies_are_the_inputs_less_the_path_id() {
        let args = json!({"name": "g", "checks": [{"id": "default.jwt", "parameters": {"jwksUri": "https://x.example"}}],
            "actions": {"deny": true, "async": false}});
        let a: CreateGuardrail = serde_json::from_value(args.clone()).unwrap();
        assert_eq!(serde_json::to_value(&a).unwrap(), args);
        let u: UpdateGuardrail =
            serde_json::from_value(json!({"guardrail_id": "g1", "name": "n"})).unwrap();
        assert_eq!(
            shape::body_without(&u, "guardrail_id").unwrap(),
            json!({"name": "n"})
        );
        let x = json!({"organisation_id": "o", "workspaces": [{"workspace_id": "w", "excluded": true}]});
        let e: UpdateExclusions = serde_json::from_value(x.clone()).unwrap();
        assert_eq!(serde_json::to_value(&e).unwrap(), x);
    }

    #[test]
    fn a_replacement_body_keeps_the_mappings_and_leaves_the_id_to_the_path() {
        let a: ReplaceMcpServers = serde_json::from_value(json!({"guardrail_id": "g",
            "mcp_servers": {"0190a8c4-8a5b-7cc1-9d3e-2f4b6a8c0d1e": {}}}))
        .unwrap();
        assert_eq!(
            shape::body_without(&a, "guardrail_id").unwrap(),
            json!({"mcp_servers": {"0190a8c4-8a5b-7cc1-9d3e-2f4b6a8c0d1e": {"run_on": ["input", "output"]}}})
        );
    }
}
