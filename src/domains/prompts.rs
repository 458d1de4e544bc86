//! Prompts: templates and their versions, rendering and completions, and the CI helpers
//! (migrate by name, promote across environments, billing-metadata preflight).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};

use super::common::{Paging, field};
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::js;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

// ---------------------------------------------------------------------------------------------
// Shared argument pieces
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Block {
    /// Block type, e.g. text
    #[serde(rename = "type")]
    pub kind: String,
    /// Block text content
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Message {
    /// system (instructions), user (input) or assistant (model reply)
    pub role: Role,
    /// Content blocks, in order
    pub content: Vec<Block>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Function {
    /// Function name to call
    pub name: String,
    /// What the function does
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Arguments JSON Schema
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_object")]
    pub parameters: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    Function,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct PromptTool {
    /// Tool kind: function
    #[serde(rename = "type")]
    pub kind: ToolKind,
    /// As in functions
    #[schemars(schema_with = "function_object")]
    pub function: Function,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChoiceMode {
    Auto,
    None,
    Function,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ToolChoice {
    /// auto (model decides), none (no tools) or function (forces function_name)
    pub mode: ChoiceMode,
    /// For mode function
    pub function_name: Option<String>,
}

/// The template, as text or as chat messages.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Template {
    /// Template text ({{var}} placeholders)
    pub string: Option<String>,
    /// Chat template (instead of string)
    pub messages: Option<Vec<Message>>,
}

/// Version fields shared by create, update and migrate.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct VersionFields {
    /// Note on this version
    pub version_description: Option<String>,
    /// Free-form template metadata
    #[serde(default)]
    #[schemars(schema_with = "free_object")]
    pub template_metadata: Option<Map<String, Value>>,
    /// Functions the model may call
    pub functions: Option<Vec<Function>>,
    /// Tools the model may call
    pub tools: Option<Vec<PromptTool>>,
    /// How the model picks tools
    pub tool_choice: Option<ToolChoice>,
    /// true: store the template as raw text
    pub is_raw_template: Option<bool>,
    /// true: return the body, send nothing
    pub dry_run: Option<bool>,
}

// A variable value.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Num(Number),
    Flag(bool),
}

/// Model settings that override the prompt's for one call.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
pub struct Hyper {
    /// Max tokens to generate
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub max_tokens: Option<Number>,
    /// Sampling temperature, 0-2
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 2))]
    pub temperature: Option<Number>,
    /// Nucleus sampling top_p, 0-1
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub top_p: Option<Number>,
    /// Sample from top k tokens
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub top_k: Option<Number>,
    /// Presence penalty, -2 to 2
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -2, max = 2))]
    pub presence_penalty: Option<Number>,
    /// Frequency penalty, -2 to 2
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -2, max = 2))]
    pub frequency_penalty: Option<Number>,
    /// Stop generating at these
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
}

/// Billing attribution sent with a completion.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Billing {
    /// Client id from your billing system
    pub client_id: String,
    /// Calling app's name
    #[schemars(length(min = 1))]
    pub app: String,
    /// Environment, e.g. prod
    #[schemars(length(min = 1))]
    pub env: String,
    /// Project id from your billing system; recommended
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Feature name for attribution
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Tool inputs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreatePrompt {
    /// Display name of the prompt
    pub name: String,
    /// Id from list_collections
    pub collection_id: String,
    #[serde(flatten)]
    pub template: Template,
    /// Model settings, e.g. temperature
    #[schemars(schema_with = "free_object")]
    pub parameters: Map<String, Value>,
    /// Slug from list_virtual_keys
    pub virtual_key: String,
    /// Model name, e.g. gpt-4o
    pub model: Option<String>,
    /// Model id from your Portkey catalog; instead of model
    pub ai_model_id: Option<String>,
    /// Fine-tune id from your provider; instead of model
    pub finetune_id: Option<String>,
    #[serde(flatten)]
    pub version: VersionFields,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ListPrompts {
    /// Id from list_collections
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<String>,
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
pub struct PromptId {
    /// Id/slug from list_prompts
    pub prompt_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdatePrompt {
    /// Id/slug from list_prompts
    pub prompt_id: String,
    /// New display name
    pub name: Option<String>,
    /// New collection id from list_collections
    pub collection_id: Option<String>,
    #[serde(flatten)]
    pub template: Template,
    /// Model settings, e.g. temperature
    #[serde(default)]
    #[schemars(schema_with = "free_object")]
    pub parameters: Option<Map<String, Value>>,
    /// Model name, e.g. gpt-4o
    pub model: Option<String>,
    /// Slug from list_virtual_keys
    pub virtual_key: Option<String>,
    #[serde(flatten)]
    pub version: VersionFields,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PublishPrompt {
    /// Id/slug from list_prompts
    pub prompt_id: String,
    /// Version number from list_prompt_versions
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub version: Number,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RenderPrompt {
    /// Id/slug from list_prompts
    pub prompt_id: String,
    /// Values for {{var}} placeholders
    #[schemars(with = "std::collections::BTreeMap<String, Scalar>")]
    pub variables: Map<String, Value>,
    /// Model setting overrides
    pub hyperparameters: Option<Hyper>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunCompletion {
    /// Id/slug from list_prompts
    pub prompt_id: String,
    /// Values for {{var}} placeholders
    #[schemars(with = "std::collections::BTreeMap<String, Scalar>")]
    pub variables: Map<String, Value>,
    /// Billing attribution, required
    pub metadata: Billing,
    /// Model setting overrides
    pub hyperparameters: Option<Hyper>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MigratePrompt {
    /// Prompt name (case-insensitive)
    pub name: String,
    /// Calling app's name
    #[schemars(length(min = 1))]
    pub app: String,
    /// Environment, e.g. prod
    #[schemars(length(min = 1))]
    pub env: String,
    /// Id from list_collections
    pub collection_id: String,
    #[serde(flatten)]
    pub template: Template,
    /// Model settings, e.g. temperature
    #[schemars(schema_with = "free_object")]
    pub parameters: Map<String, Value>,
    /// Slug from list_virtual_keys
    pub virtual_key: String,
    /// Model name, e.g. gpt-4o
    pub model: Option<String>,
    #[serde(flatten)]
    pub version: VersionFields,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PromotePrompt {
    /// Source id/slug from list_prompts
    pub source_prompt_id: String,
    /// Collection id from list_collections to copy into
    pub target_collection_id: String,
    /// Default: source name, env suffix swapped
    pub target_name: Option<String>,
    /// Target environment, e.g. prod
    #[schemars(length(min = 1))]
    pub target_env: String,
    /// Virtual key slug from list_virtual_keys; default the source's
    pub virtual_key: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CheckBilling {
    /// Client id from your billing system
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Calling app's name
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub app: Option<String>,
    /// Environment, e.g. prod
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub env: Option<String>,
    /// Project id from your billing system
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Feature name for attribution
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct VersionId {
    /// Id/slug from list_prompts
    pub prompt_id: String,
    /// Id from list_prompt_versions
    pub version_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateVersion {
    /// Id/slug from list_prompts
    pub prompt_id: String,
    /// Id from list_prompt_versions
    pub version_id: String,
    /// Label id from list_prompt_labels; "" removes it
    #[schemars(required)]
    pub label_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The schema of a free-form object argument.
fn free_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object"})
}

/// The schema of a tool's `function`: checked in full when the arguments are read.
fn function_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object", "required": ["name"]})
}

/// The template text the API stores: `string` as given, or the messages as JSON text.
fn template_text(t: &Template, required: bool) -> Result<Option<String>, ApiError> {
    match (&t.string, &t.messages) {
        (Some(_), Some(_)) => Err(bad(
            "give the template as `string` or as `messages`, not both",
        )),
        (Some(s), None) => Ok(Some(s.clone())),
        (None, Some(m)) => Ok(Some(js::stringify(&shape::to_json(m)?))),
        (None, None) if required => Err(bad(
            "a template is required: give `string` (text) or `messages` (chat blocks)",
        )),
        (None, None) => Ok(None),
    }
}

/// Checks `tool_choice` and turns it into the API's form: a mode name or a forced function.
fn tool_choice_wire(tc: &Option<ToolChoice>) -> Result<Value, ApiError> {
    let Some(tc) = tc else {
        return Ok(Value::Null);
    };
    match (tc.mode, tc.function_name.as_deref()) {
        (ChoiceMode::Function, Some(name)) if !name.is_empty() => {
            Ok(json!({"type": "function", "function": {"name": name}}))
        }
        (ChoiceMode::Function, _) => Err(bad(
            "tool_choice.function_name is required when tool_choice.mode is \"function\"",
        )),
        (_, Some(_)) => Err(bad(
            "tool_choice.function_name is only allowed when tool_choice.mode is \"function\"; drop it or set mode to \"function\"",
        )),
        (mode, None) => shape::to_json(&mode),
    }
}

/// The optional version fields of a create or update body, in the API's names.
fn version_body(
    v: &VersionFields,
    body: &mut Map<String, Value>,
    meta_key: &str,
) -> Result<(), ApiError> {
    shape::put(body, "version_description", json!(v.version_description));
    shape::put(body, meta_key, json!(v.template_metadata));
    shape::put(body, "functions", shape::to_json(&v.functions)?);
    shape::put(body, "tools", shape::to_json(&v.tools)?);
    shape::put(body, "tool_choice", tool_choice_wire(&v.tool_choice)?);
    shape::put(
        body,
        "is_raw_template",
        json!(v.is_raw_template.map(u8::from)),
    );
    Ok(())
}

/// A stored template as text: a string as is, `{string: ..}` unwrapped, anything else as JSON.
fn template_of(t: Option<&Value>) -> String {
    let inner = match t {
        Some(Value::Object(m)) if m.contains_key("string") => m.get("string"),
        other => other,
    };
    match inner {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => js::stringify(other),
    }
}

/// Versions from a versions answer: a bare array or `{data: [...]}`.
fn versions_of(v: &Value) -> Vec<Value> {
    shape::items(v)
}

/// Finds a prompt in a collection by exact (case-insensitive) name, paging through the search.
async fn find_by_name(api: &Api, name: &str, collection: &str) -> Result<Option<Value>, ApiError> {
    const PAGE: u64 = 100;
    let wanted = name.to_lowercase();
    for page in 0..100u64 {
        let q = vec![
            ("collection_id".to_string(), collection.to_string()),
            ("search".to_string(), name.to_string()),
            ("page_size".to_string(), PAGE.to_string()),
            ("current_page".to_string(), page.to_string()),
        ];
        let v = api.send(Req::get("/prompts").query(q)).await?;
        let rows = shape::items(&v);
        if let Some(hit) = rows.iter().find(|p| {
            p.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.to_lowercase() == wanted)
        }) {
            return Ok(Some(hit.clone()));
        }
        let total = v.get("total").and_then(Value::as_f64).unwrap_or(0.0);
        if rows.is_empty() || ((page + 1) * PAGE) as f64 >= total {
            return Ok(None);
        }
    }
    Err(ApiError::Other(format!(
        "More than 10000 prompts match \"{name}\" in collection {collection}; could not tell whether it exists. Nothing was changed."
    )))
}

/// Fails unless the prompt answer names a live version.
fn active_version(raw: &Value) -> Result<(), ApiError> {
    if raw.get("prompt_version_id").is_some_and(js::truthy) {
        Ok(())
    } else {
        Err(ApiError::Other(
            "The source prompt has no live version (no `prompt_version_id` in Portkey's answer); publish one with publish_prompt first. Nothing was copied.".into(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Output shaping
// ---------------------------------------------------------------------------------------------

const PROMPT_ROW: &[&str] = &[
    "id",
    "name",
    "slug",
    "collection_id",
    "model",
    "status",
    "created_at",
    "last_updated_at",
];

fn shape_list(v: &Value, a: &ListPrompts) -> Value {
    let rows = shape::items(v);
    let paginated = a.page.current_page.is_some();
    let page = a.page.current_page.unwrap_or(0);
    let returned = rows.len() as u64;
    let size = a.page.page_size.unwrap_or(returned);
    let next = (page + 1) * size;
    let total = v.get("total").and_then(Value::as_f64);
    let has_more = paginated && returned > 0 && total.is_some_and(|t| (next as f64) < t);
    json!({
        "total": shape::total(v),
        "current_page": page,
        "page_size": size,
        "returned_count": returned,
        "has_more": has_more,
        "next_offset": if has_more { json!(next) } else { Value::Null },
        "next_page": if has_more { json!(page + 1) } else { Value::Null },
        "prompts": rows.iter().map(|r| shape::pick(r, PROMPT_ROW)).collect::<Vec<_>>(),
    })
}

fn shape_prompt(p: &Value, versions: &Value) -> Value {
    let current = if p.get("prompt_version_id").is_some_and(js::truthy) {
        let template = template_of(p.get("string"));
        let chat = template.trim_start().starts_with('[')
            && serde_json::from_str::<Value>(template.trim())
                .ok()
                .and_then(|x| x.get(0).and_then(|m| m.get("role")).map(js::truthy))
                .unwrap_or(false);
        let count = |k: &str| {
            p.get(k)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        let mut c = shape::obj(vec![
            ("id", field(p, "prompt_version_id")),
            (
                "version_number",
                p.get("prompt_version").cloned().unwrap_or(json!(0)),
            ),
            ("description", field(p, "prompt_version_description")),
            ("model", field(p, "model")),
            (
                "template_format",
                json!(if chat {
                    "chat messages (JSON array)"
                } else {
                    "plain string"
                }),
            ),
            ("template", json!(template)),
            (
                "parameters",
                p.get("parameters").cloned().unwrap_or(json!({})),
            ),
            ("metadata", shape::json_field(p.get("template_metadata"))),
            ("has_tools", json!(count("tools"))),
            ("has_functions", json!(count("functions"))),
        ]);
        if let (Value::Object(m), Some(raw)) = (&mut c, p.get("is_raw_template")) {
            m.insert("is_raw_template".into(), json!(js::truthy(raw)));
        }
        c
    } else {
        Value::Null
    };
    let rows: Vec<Value> = versions_of(versions).iter().map(version_row).collect();
    let mut out = shape::pick(
        p,
        &[
            "id",
            "name",
            "slug",
            "collection_id",
            "created_at",
            "last_updated_at",
        ],
    );
    if let Value::Object(m) = &mut out {
        m.insert("current_version".into(), current);
        m.insert("version_count".into(), json!(rows.len()));
        m.insert("versions".into(), Value::Array(rows));
    }
    out
}

fn version_row(v: &Value) -> Value {
    let mut row = shape::obj(vec![
        ("id", field(v, "id")),
        ("version_number", field(v, "prompt_version")),
        ("description", field(v, "prompt_description")),
        ("created_at", field(v, "created_at")),
    ]);
    if let (Value::Object(m), Some(raw)) = (&mut row, v.get("is_raw_template")) {
        m.insert("is_raw_template".into(), json!(js::truthy(raw)));
    }
    row
}

fn shape_versions(prompt_id: &str, v: &Value) -> Result<Value, ApiError> {
    let mut rows = Vec::new();
    for ver in versions_of(v) {
        let Some(tmpl) = ver.get("prompt_template") else {
            shape::need(&ver, "prompt_template")?;
            continue;
        };
        let text = match tmpl {
            Value::String(s) => s.clone(),
            Value::Object(m) if m.contains_key("string") => template_of(Some(tmpl)),
            other => js::stringify(other),
        };
        let mut preview: String = text.chars().take(200).collect();
        if text.chars().count() > 200 {
            preview.push_str("...");
        }
        rows.push(shape::obj(vec![
            ("id", field(&ver, "id")),
            ("version_number", field(&ver, "prompt_version")),
            ("description", field(&ver, "prompt_description")),
            ("status", field(&ver, "status")),
            ("label_id", field(&ver, "label_id")),
            ("created_at", field(&ver, "created_at")),
            ("template_preview", json!(preview)),
        ]));
    }
    Ok(json!({"prompt_id": prompt_id, "total_versions": rows.len(), "versions": rows}))
}

fn shape_version(v: &Value) -> Value {
    let names = |key: &str, inner: Option<&str>| -> Value {
        let list = v
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Value::Array(
            list.iter()
                .map(|x| {
                    let holder = inner.and_then(|i| x.get(i)).unwrap_or(x);
                    field(holder, "name")
                })
                .collect(),
        )
    };
    json!({
        "prompt": shape::pick(v, &["id", "name", "slug", "collection_id", "workspace_id"]),
        "version": shape::obj(vec![
            ("id", field(v, "prompt_version_id")),
            ("number", field(v, "prompt_version")),
            ("description", field(v, "prompt_version_description")),
            ("status", field(v, "prompt_version_status")),
            ("label_id", field(v, "prompt_version_label_id")),
            ("model", field(v, "model")),
            ("virtual_key", field(v, "virtual_key")),
            ("template", json!(template_of(v.get("string")))),
            ("parameters", field(v, "parameters")),
            ("metadata", shape::json_field(v.get("template_metadata"))),
            ("function_names", names("functions", None)),
            ("tool_names", names("tools", Some("function"))),
            ("tool_choice", field(v, "tool_choice")),
            ("created_at", field(v, "created_at")),
            ("last_updated_at", field(v, "last_updated_at")),
        ]),
    })
}

/// Members of a rendered request that are not hyperparameters.
const RENDER_BODY: &[&str] = &[
    "messages",
    "prompt",
    "model",
    "tools",
    "tool_choice",
    "functions",
    "function_call",
];

/// The rendered request: chat `messages` or a text-completion `prompt`, the model, tools, and
/// every other member as a hyperparameter.
fn shape_render(v: &Value) -> Result<Value, ApiError> {
    let d = shape::need(v, "data")?;
    let hyper: Map<String, Value> = d
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, x)| !RENDER_BODY.contains(&k.as_str()) && !x.is_null())
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(shape::obj(vec![
        ("success", field(v, "success")),
        ("rendered_messages", field(d, "messages")),
        ("rendered_prompt", field(d, "prompt")),
        ("model", field(d, "model")),
        ("tools", field(d, "tools")),
        ("tool_choice", field(d, "tool_choice")),
        ("functions", field(d, "functions")),
        ("function_call", field(d, "function_call")),
        ("hyperparameters", Value::Object(hyper)),
    ]))
}

/// The completion inside an answer: the spec's `{status, headers, body: {...}}`, or the
/// completion itself as older answers send it.
fn completion_of(v: &Value) -> &Value {
    match v.get("body") {
        Some(b @ Value::Object(_)) if b.get("choices").is_some() => b,
        _ => v,
    }
}

/// The first choice's text (chat `message.content` or text-completion `text`), finish reason,
/// tool calls and usage. An answer with no `choices` in either shape is passed on under `raw`:
/// the run has happened (and is billed), so an error would invite a second run.
fn shape_completion(v: &Value) -> Value {
    let c = completion_of(v);
    let choice = c.get("choices").and_then(|x| x.get(0));
    let message = choice.and_then(|x| x.get("message"));
    let response = match (message, choice) {
        (Some(m), _) => field(m, "content"),
        (None, Some(ch)) => field(ch, "text"),
        (None, None) => Value::Null,
    };
    let usage = match c.get("usage") {
        Some(u @ Value::Object(_)) => shape::pick(
            u,
            &[
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "completion_tokens_details",
                "prompt_tokens_details",
            ],
        ),
        _ => Value::Null,
    };
    let mut out = shape::pick(c, &["id", "model"]);
    if let Value::Object(m) = &mut out {
        m.insert("response".into(), response);
        m.insert(
            "finish_reason".into(),
            choice
                .map(|x| field(x, "finish_reason"))
                .unwrap_or(Value::Null),
        );
        if let Some(msg) = message {
            for k in ["tool_calls", "function_call"] {
                shape::put(m, k, field(msg, k));
            }
        }
        m.insert("usage".into(), usage);
        if choice.is_none() {
            m.insert("raw".into(), v.clone());
        }
    }
    out
}

/// Errors and warnings for billing metadata, as run_prompt_completion requires it.
fn billing_problems(
    client_id: Option<&str>,
    app: Option<&str>,
    env: Option<&str>,
    project: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let mut errors = Vec::new();
    for (name, v) in [("client_id", client_id), ("app", app), ("env", env)] {
        if v.is_none_or(str::is_empty) {
            errors.push(format!("Missing required field: {name}"));
        }
    }
    let mut warnings = Vec::new();
    if project.is_none_or(str::is_empty) {
        warnings.push(
            "Missing recommended field: project_id (helps with billing attribution)".to_string(),
        );
    }
    (errors, warnings)
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

async fn create_prompt(api: Api, a: CreatePrompt) -> Result<Value, ApiError> {
    let no_model = [&a.model, &a.ai_model_id, &a.finetune_id]
        .iter()
        .all(|m| m.as_deref().is_none_or(str::is_empty));
    if no_model {
        return Err(bad(
            "give the model: `model`, `ai_model_id` or `finetune_id`",
        ));
    }
    let text = template_text(&a.template, true)?;
    let mut body = Map::new();
    body.insert("name".into(), json!(a.name));
    body.insert("collection_id".into(), json!(a.collection_id));
    shape::put(&mut body, "string", json!(text));
    body.insert("parameters".into(), Value::Object(a.parameters));
    body.insert("virtual_key".into(), json!(a.virtual_key));
    shape::put(&mut body, "model", json!(a.model));
    shape::put(&mut body, "ai_model_id", json!(a.ai_model_id));
    shape::put(&mut body, "finetune_id", json!(a.finetune_id));
    version_body(&a.version, &mut body, "template_metadata")?;
    if a.version.dry_run == Some(true) {
        return Ok(json!({
            "dry_run": true,
            "action": "create",
            "message": format!("Nothing sent. This body would be POSTed to /prompts to create \"{}\".", a.name),
            "body": body,
        }));
    }
    let v = api.post("/prompts", Value::Object(body)).await?;
    Ok(shape::obj(vec![
        ("message", json!(format!("Prompt \"{}\" created.", a.name))),
        ("id", field(&v, "id")),
        ("slug", field(&v, "slug")),
        ("version_id", field(&v, "version_id")),
    ]))
}

async fn list_prompts(api: Api, mut a: ListPrompts) -> Result<Value, ApiError> {
    if a.page.page_size.is_some() && a.page.current_page.is_none() {
        a.page.current_page = Some(0);
    }
    let v = api.send(Req::get("/prompts").query_from(&a)).await?;
    Ok(shape_list(&v, &a))
}

async fn get_prompt(api: Api, a: PromptId) -> Result<Value, ApiError> {
    let id = enc(&a.prompt_id);
    let p = api.get(format!("/prompts/{id}")).await?;
    let versions = api.get(format!("/prompts/{id}/versions")).await?;
    Ok(shape_prompt(&p, &versions))
}

async fn update_prompt(api: Api, a: UpdatePrompt) -> Result<Value, ApiError> {
    let text = template_text(&a.template, false)?;
    let mut body = Map::new();
    shape::put(&mut body, "name", json!(a.name));
    shape::put(&mut body, "collection_id", json!(a.collection_id));
    shape::put(&mut body, "string", json!(text));
    shape::put(&mut body, "parameters", json!(a.parameters));
    shape::put(&mut body, "model", json!(a.model));
    shape::put(&mut body, "virtual_key", json!(a.virtual_key));
    version_body(&a.version, &mut body, "prompt_metadata")?;
    body.insert("patch".into(), json!(true));
    let path = format!("/prompts/{}", enc(&a.prompt_id));
    if a.version.dry_run == Some(true) {
        return Ok(json!({
            "dry_run": true,
            "action": "update",
            "message": format!("Nothing sent. This body would be PUT to {path}; it would save a new version."),
            "body": body,
        }));
    }
    let v = api.put(path, Value::Object(body)).await?;
    Ok(shape::obj(vec![
        (
            "message",
            json!("Prompt updated; publish_prompt makes a new version live."),
        ),
        ("id", field(&v, "id")),
        ("slug", field(&v, "slug")),
        ("new_version_id", field(&v, "prompt_version_id")),
    ]))
}

async fn delete_prompt(api: Api, a: PromptId) -> Result<Value, ApiError> {
    api.delete(format!("/prompts/{}", enc(&a.prompt_id)))
        .await?;
    Ok(json!({
        "message": format!("Prompt \"{}\" deleted with all its versions.", a.prompt_id),
        "success": true,
    }))
}

async fn publish_prompt(api: Api, a: PublishPrompt) -> Result<Value, ApiError> {
    api.put(
        format!("/prompts/{}/makeDefault", enc(&a.prompt_id)),
        json!({"version": a.version}),
    )
    .await?;
    Ok(json!({
        "message": format!("Version {} of prompt \"{}\" is now live.", js::number(&a.version), a.prompt_id),
        "prompt_id": a.prompt_id,
        "published_version": a.version,
        "success": true,
    }))
}

async fn list_prompt_versions(api: Api, a: PromptId) -> Result<Value, ApiError> {
    let v = api
        .get(format!("/prompts/{}/versions", enc(&a.prompt_id)))
        .await?;
    shape_versions(&a.prompt_id, &v)
}

async fn render_prompt(api: Api, a: RenderPrompt) -> Result<Value, ApiError> {
    let mut body = match shape::to_json(&a.hyperparameters.unwrap_or_default())? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    body.insert("variables".into(), Value::Object(a.variables));
    let v = api
        .post(
            format!("/prompts/{}/render", enc(&a.prompt_id)),
            Value::Object(body),
        )
        .await?;
    shape_render(&v)
}

async fn run_prompt_completion(api: Api, a: RunCompletion) -> Result<Value, ApiError> {
    let m = &a.metadata;
    let (errors, _) = billing_problems(Some(&m.client_id), Some(&m.app), Some(&m.env), None);
    if !errors.is_empty() {
        return Err(bad(format!(
            "metadata.client_id, metadata.app and metadata.env must not be empty ({})",
            errors.join("; ")
        )));
    }
    let mut body = match shape::to_json(&a.hyperparameters.unwrap_or_default())? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    body.insert("variables".into(), Value::Object(a.variables));
    body.insert("metadata".into(), shape::to_json(&a.metadata)?);
    body.insert("stream".into(), json!(false));
    let v = api
        .post(
            format!("/prompts/{}/completions", enc(&a.prompt_id)),
            Value::Object(body),
        )
        .await?;
    Ok(shape_completion(&v))
}

async fn migrate_prompt(api: Api, a: MigratePrompt) -> Result<Value, ApiError> {
    let text = template_text(&a.template, true)?.unwrap_or_default();
    let choice = tool_choice_wire(&a.version.tool_choice)?;
    let functions = shape::to_json(&a.version.functions)?;
    let tools = shape::to_json(&a.version.tools)?;
    let dry = a.version.dry_run == Some(true);
    let mut meta = a.version.template_metadata.clone().unwrap_or_default();
    meta.insert("app".into(), json!(a.app));
    meta.insert("env".into(), json!(a.env));

    let existing = find_by_name(&api, &a.name, &a.collection_id).await?;
    let (path, action) = match &existing {
        Some(row) => {
            let id = shape::need(row, "id")?
                .as_str()
                .unwrap_or_default()
                .to_string();
            let cur = api.get(format!("/prompts/{}", enc(&id))).await?;
            if !cur.get("prompt_version_id").is_some_and(js::truthy) {
                return Err(ApiError::Other(format!(
                    "Prompt \"{}\" exists but has no active version; publish one (publish_prompt) or fix it in Portkey, then retry. Nothing was changed.",
                    a.name
                )));
            }
            let cur_meta = shape::json_field(cur.get("template_metadata"));
            let differs = |key: &str, want: &Value| !js::deep_equal(&field(&cur, key), want);
            let changed = !js::deep_equal(
                cur.get("string")
                    .filter(|s| !s.is_null())
                    .unwrap_or(&json!("")),
                &json!(text),
            ) || !js::deep_equal(
                cur.get("parameters")
                    .filter(|s| !s.is_null())
                    .unwrap_or(&json!({})),
                &Value::Object(a.parameters.clone()),
            ) || a
                .model
                .as_ref()
                .is_some_and(|m| differs("model", &json!(m)))
                || differs("virtual_key", &json!(a.virtual_key))
                || a.version
                    .version_description
                    .as_ref()
                    .is_some_and(|d| differs("prompt_version_description", &json!(d)))
                || (!functions.is_null() && differs("functions", &functions))
                || (!tools.is_null() && differs("tools", &tools))
                || (!choice.is_null() && differs("tool_choice", &choice))
                || a.version.is_raw_template.is_some_and(|r| {
                    cur.get("is_raw_template")
                        .filter(|x| !x.is_null())
                        .map(js::truthy)
                        != Some(r)
                })
                || meta
                    .iter()
                    .any(|(k, v)| !js::deep_equal(&field(&cur_meta, k), v));
            if !changed {
                return Ok(json!({
                    "action": "unchanged",
                    "dry_run": dry,
                    "message": format!("Prompt \"{}\" is already up to date; nothing sent.", a.name),
                    "prompt_id": id,
                    "slug": field(row, "slug"),
                }));
            }
            (Some(format!("/prompts/{}", enc(&id))), "updated")
        }
        None => (None, "created"),
    };

    meta.insert("migrated_at".into(), json!(shape::now_iso()));
    let mut body = Map::new();
    if path.is_none() {
        body.insert("name".into(), json!(a.name));
        body.insert("collection_id".into(), json!(a.collection_id));
    }
    body.insert("string".into(), json!(text));
    body.insert("parameters".into(), Value::Object(a.parameters));
    body.insert("virtual_key".into(), json!(a.virtual_key));
    shape::put(&mut body, "model", json!(a.model));
    shape::put(
        &mut body,
        "version_description",
        json!(a.version.version_description),
    );
    let meta_key = if path.is_some() {
        "prompt_metadata"
    } else {
        "template_metadata"
    };
    body.insert(meta_key.into(), Value::Object(meta));
    shape::put(&mut body, "functions", functions);
    shape::put(&mut body, "tools", tools);
    shape::put(&mut body, "tool_choice", choice);
    shape::put(
        &mut body,
        "is_raw_template",
        json!(a.version.is_raw_template.map(u8::from)),
    );
    if path.is_some() {
        body.insert("patch".into(), json!(true));
    }

    if dry {
        let verb = if path.is_some() {
            "update (content differs)"
        } else {
            "create"
        };
        return Ok(shape::obj(vec![
            ("action", json!(action)),
            ("dry_run", json!(true)),
            (
                "message",
                json!(format!(
                    "Would {verb} prompt \"{}\"; nothing changed.",
                    a.name
                )),
            ),
            (
                "prompt_id",
                existing
                    .as_ref()
                    .map(|r| field(r, "id"))
                    .unwrap_or(Value::Null),
            ),
            (
                "slug",
                existing
                    .as_ref()
                    .map(|r| field(r, "slug"))
                    .unwrap_or(Value::Null),
            ),
            ("body", Value::Object(body)),
        ]));
    }
    let (v, message, version_key) = match path {
        Some(p) => (
            api.put(p, Value::Object(body)).await?,
            format!("Prompt \"{}\" updated with a new version.", a.name),
            "prompt_version_id",
        ),
        None => (
            api.post("/prompts", Value::Object(body)).await?,
            format!("Prompt \"{}\" created.", a.name),
            "version_id",
        ),
    };
    Ok(shape::obj(vec![
        ("action", json!(action)),
        ("dry_run", json!(false)),
        ("message", json!(message)),
        ("prompt_id", field(&v, "id")),
        ("slug", field(&v, "slug")),
        ("version_id", field(&v, version_key)),
    ]))
}

async fn promote_prompt(api: Api, a: PromotePrompt) -> Result<Value, ApiError> {
    let src = api
        .get(format!("/prompts/{}", enc(&a.source_prompt_id)))
        .await?;
    active_version(&src)?;
    let src_name = src.get("name").and_then(Value::as_str).unwrap_or_default();
    let src_slug = src.get("slug").and_then(Value::as_str).unwrap_or_default();
    let target_name = match a.target_name.as_deref() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => {
            let base = ["-dev", "-staging", "-prod"]
                .iter()
                .find_map(|s| src_name.strip_suffix(s))
                .unwrap_or(src_name);
            format!("{base}-{}", a.target_env)
        }
    };
    let number = match src.get("prompt_version") {
        Some(Value::Number(n)) => js::number(n),
        Some(Value::String(s)) => s.clone(),
        _ => "0".to_string(),
    };
    let mut meta = match shape::json_field(src.get("template_metadata")) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    meta.insert("env".into(), json!(a.target_env));
    meta.insert("promoted_from".into(), json!(src_slug));
    meta.insert("promoted_from_version".into(), json!(number));
    meta.insert("promoted_at".into(), json!(shape::now_iso()));
    let virtual_key = match a.virtual_key.as_deref() {
        Some(k) if !k.is_empty() => json!(k),
        _ => field(&src, "virtual_key"),
    };

    let existing = find_by_name(&api, &target_name, &a.target_collection_id).await?;
    let mut body = Map::new();
    if existing.is_none() {
        if !js::truthy(&virtual_key) {
            return Err(ApiError::Other(
                "The source version has no virtual_key and none was given: pass virtual_key. Nothing was created."
                    .into(),
            ));
        }
        body.insert("name".into(), json!(target_name));
        body.insert("collection_id".into(), json!(a.target_collection_id));
    }
    body.insert(
        "string".into(),
        src.get("string")
            .filter(|s| !s.is_null())
            .cloned()
            .unwrap_or(json!("")),
    );
    body.insert(
        "parameters".into(),
        src.get("parameters")
            .filter(|s| !s.is_null())
            .cloned()
            .unwrap_or(json!({})),
    );
    shape::put(&mut body, "virtual_key", virtual_key);
    for k in ["model", "functions", "tools", "tool_choice"] {
        shape::put(&mut body, k, field(&src, k));
    }
    if let Some(r) = src.get("is_raw_template") {
        body.insert("is_raw_template".into(), json!(u8::from(js::truthy(r))));
    }
    body.insert(
        "version_description".into(),
        json!(format!("Promoted from {src_slug} v{number}")),
    );
    let (v, action, version_key) = match &existing {
        Some(row) => {
            let id = shape::need(row, "id")?
                .as_str()
                .unwrap_or_default()
                .to_string();
            body.insert("prompt_metadata".into(), Value::Object(meta));
            body.insert("patch".into(), json!(true));
            let v = api
                .put(format!("/prompts/{}", enc(&id)), Value::Object(body))
                .await?;
            (v, "updated", "prompt_version_id")
        }
        None => {
            body.insert("template_metadata".into(), Value::Object(meta));
            (
                api.post("/prompts", Value::Object(body)).await?,
                "created",
                "version_id",
            )
        }
    };
    Ok(json!({
        "message": format!("Prompt promoted to {} as \"{target_name}\" ({action}).", a.target_env),
        "source": shape::obj(vec![
            ("prompt_id", json!(a.source_prompt_id)),
            ("version_id", field(&src, "prompt_version_id")),
        ]),
        "target": shape::obj(vec![
            ("prompt_id", field(&v, "id")),
            ("version_id", field(&v, version_key)),
            ("action", json!(action)),
        ]),
        "promoted_at": shape::now_iso(),
    }))
}

async fn validate_completion_metadata(_api: Api, a: CheckBilling) -> Result<Value, ApiError> {
    let (errors, warnings) = billing_problems(
        a.client_id.as_deref(),
        a.app.as_deref(),
        a.env.as_deref(),
        a.project_id.as_deref(),
    );
    Ok(json!({
        "valid": errors.is_empty(),
        "errors": errors,
        "warnings": warnings,
        "metadata": shape::to_json(&a)?,
    }))
}

async fn get_prompt_version(api: Api, a: VersionId) -> Result<Value, ApiError> {
    let v = api
        .get(format!(
            "/prompts/{}/versions/{}",
            enc(&a.prompt_id),
            enc(&a.version_id)
        ))
        .await?;
    Ok(shape_version(&v))
}

async fn update_prompt_version(api: Api, a: UpdateVersion) -> Result<Value, ApiError> {
    let label = a.label_id.filter(|l| !l.is_empty());
    api.put(
        format!(
            "/prompts/{}/versions/{}",
            enc(&a.prompt_id),
            enc(&a.version_id)
        ),
        json!({ "label_id": label }),
    )
    .await?;
    let what = if label.is_some() {
        "labelled"
    } else {
        "unlabelled"
    };
    Ok(json!({
        "message": format!("Version \"{}\" of prompt \"{}\" {what}.", a.version_id, a.prompt_id),
        "success": true,
    }))
}

/// The tools of this domain, in the reference's order.
pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "create_prompt",
            "Create a prompt and its first version from string or messages; give model, ai_model_id or finetune_id. Returns id, slug, version_id. Re-runnable deploy by name: migrate_prompt.",
            create_prompt,
        )
        .endpoint("POST /prompts"),
        tool(
            "list_prompts",
            "List prompts by collection, workspace or name search. Returns total, prompts[{id, name, slug, model, status}], has_more, next_page. Full prompt: get_prompt.",
            list_prompts,
        )
        .endpoint("GET /prompts"),
        tool(
            "get_prompt",
            "Get a prompt with its live version. Returns id, name, slug, current_version{id, version_number, model, template}, versions[]. An older version: get_prompt_version.",
            get_prompt,
        )
        .endpoint("GET /prompts/{prompt_id}")
        .endpoint("GET /prompts/{prompt_id}/versions")
        .untrusted_output(),
        tool(
            "update_prompt",
            "Update a prompt; only given fields change and a new version is saved, not live until publish_prompt. Returns id, slug, new_version_id.",
            update_prompt,
        )
        .endpoint("PUT /prompts/{prompt_id}"),
        tool(
            "delete_prompt",
            "Delete a prompt and all its versions; callers of its id or slug start failing. Returns success. Cannot be undone; keep a copy with get_prompt first.",
            delete_prompt,
        )
        .endpoint("DELETE /prompts/{prompt_id}"),
        tool(
            "publish_prompt",
            "Publish a version: it goes live for every caller at once. Returns prompt_id, published_version. Roll back by publishing the old number. Drafts: update_prompt; other collection: promote_prompt.",
            publish_prompt,
        )
        .endpoint("PUT /prompts/{prompt_id}/makeDefault"),
        tool(
            "list_prompt_versions",
            "List a prompt's versions. Returns prompt_id, total_versions, versions[{id, version_number, description, status, label_id, template_preview}]. One in full: get_prompt_version.",
            list_prompt_versions,
        )
        .endpoint("GET /prompts/{prompt_id}/versions")
        .untrusted_output(),
        tool(
            "render_prompt",
            "Render a prompt: fill its variables without calling the model, free. Returns rendered_messages, model, hyperparameters. To call the model: run_prompt_completion.",
            render_prompt,
        )
        .endpoint("POST /prompts/{prompt_id}/render")
        .untrusted_output(),
        tool(
            "run_prompt_completion",
            "Run a prompt on its model; billable, needs completions.write. Returns id, model, response, finish_reason, usage (tokens). Check metadata: validate_completion_metadata; no model call: render_prompt.",
            run_prompt_completion,
        )
        .endpoint("POST /prompts/{prompt_id}/completions")
        .read_only(false)
        .untrusted_output(),
        tool(
            "migrate_prompt",
            "Create or update a prompt by name in a collection, idempotently (CI); a new version only if content differs. Returns action (created, updated, unchanged), prompt_id, slug, version_id. One-off: create_prompt.",
            migrate_prompt,
        )
        .endpoint("GET /prompts")
        .endpoint("GET /prompts/{prompt_id}")
        .endpoint("POST /prompts")
        .endpoint("PUT /prompts/{prompt_id}")
        .idempotent(true)
        .open_world(false)
        .untrusted_output(),
        tool(
            "promote_prompt",
            "Promote a prompt's live version into another collection or env, creating or updating it there. Returns source{prompt_id, version_id}, target{prompt_id, version_id, action}. Make it live there: publish_prompt.",
            promote_prompt,
        )
        .endpoint("GET /prompts/{prompt_id}")
        .endpoint("GET /prompts")
        .endpoint("POST /prompts")
        .endpoint("PUT /prompts/{prompt_id}"),
        tool(
            "validate_completion_metadata",
            "Check billing metadata for run_prompt_completion locally; nothing is sent. Returns valid, errors, warnings, metadata.",
            validate_completion_metadata,
        )
        .no_key(),
        tool(
            "get_prompt_version",
            "Get one prompt version. Returns prompt{id, name, slug}, version{id, number, status, label_id, model, template, parameters, metadata}. Live one: get_prompt.",
            get_prompt_version,
        )
        .endpoint("GET /prompts/{prompt_id}/versions/{version_id}")
        .untrusted_output(),
        tool(
            "update_prompt_version",
            "Set or clear a prompt version's label, e.g. staging. Returns success. Labels: list_prompt_labels.",
            update_prompt_version,
        )
        .endpoint("PUT /prompts/{prompt_id}/versions/{version_id}"),
    ]
}
