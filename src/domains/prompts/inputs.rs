//! The tools' inputs: the template, version fields, model settings and billing pieces they
//! share, then one struct a tool.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::super::common::Paging;

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

/// The schema of a free-form object argument.
pub(super) fn free_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object"})
}

/// The schema of a tool's `function`: checked in full when the arguments are read.
pub(super) fn function_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object", "required": ["name"]})
}
