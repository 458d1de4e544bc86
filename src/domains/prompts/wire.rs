//! The request bodies the prompt tools send, as `Serialize` structs. A member a tool does not
//! give is left out; none is sent as null unless a field says so.

use serde::Serialize;
use serde_json::{Map, Number, Value, json};

use super::inputs::{Billing, ChoiceMode, Hyper, Template, ToolChoice, VersionFields};
use crate::error::ApiError;
use crate::js;
use crate::registry::bad;
use crate::shape;

/// Which write a prompt body is for: they name the metadata member differently, and an update
/// says `patch` so only the given members change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    Create,
    Update,
}

/// The body of POST /prompts (create) and PUT /prompts/{id} (update).
#[derive(Debug, Default, Serialize)]
pub(super) struct PromptBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<String>,
    /// The template text (or, when copied from a stored version, what Portkey stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_key: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai_model_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finetune_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_metadata: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_metadata: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub functions: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// Portkey takes the flag as 0 or 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_raw_template: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<bool>,
}

impl PromptBody {
    /// An empty body for `write`.
    pub fn new(write: Write) -> Self {
        PromptBody {
            patch: (write == Write::Update).then_some(true),
            ..PromptBody::default()
        }
    }

    /// Sets the metadata under the member `write` uses.
    pub fn metadata(&mut self, write: Write, meta: Option<Map<String, Value>>) {
        match write {
            Write::Create => self.template_metadata = meta,
            Write::Update => self.prompt_metadata = meta,
        }
    }

    /// The body for `write` with the optional version fields filled from `v`.
    pub fn with_version(v: &VersionFields, write: Write) -> Result<Self, ApiError> {
        let mut body = PromptBody {
            version_description: v.version_description.clone(),
            functions: given(shape::to_json(&v.functions)?),
            tools: given(shape::to_json(&v.tools)?),
            tool_choice: given(tool_choice_wire(&v.tool_choice)?),
            is_raw_template: v.is_raw_template.map(u8::from),
            ..PromptBody::new(write)
        };
        body.metadata(write, v.template_metadata.clone());
        Ok(body)
    }
}

/// `None` for a null, so a missing value is left out rather than sent as null.
pub(super) fn given(v: Value) -> Option<Value> {
    (!v.is_null()).then_some(v)
}

/// The body of render_prompt (model overrides and variables) and run_prompt_completion (the
/// same, with billing metadata and `stream: false`).
#[derive(Debug, Serialize)]
pub(super) struct CallBody<'a> {
    #[serde(flatten)]
    pub hyper: &'a Hyper,
    pub variables: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a Billing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

/// The body of publish_prompt.
#[derive(Debug, Serialize)]
pub(super) struct PublishBody<'a> {
    pub version: &'a Number,
}

/// The body of update_prompt_version: a null `label_id` removes the label.
#[derive(Debug, Serialize)]
pub(super) struct LabelBody<'a> {
    pub label_id: Option<&'a str>,
}

/// The template text the API stores: `string` as given, or the messages as JSON text.
pub(super) fn template_text(t: &Template, required: bool) -> Result<Option<String>, ApiError> {
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
pub(super) fn tool_choice_wire(tc: &Option<ToolChoice>) -> Result<Value, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn version(v: Value) -> VersionFields {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_create_body_names_template_metadata_and_leaves_out_what_is_not_given() {
        let v = version(
            json!({"template_metadata": {"a": 1}, "is_raw_template": true,
            "tool_choice": {"mode": "function", "function_name": "f"}}),
        );
        let body = PromptBody {
            name: Some("p".into()),
            ..PromptBody::with_version(&v, Write::Create).unwrap()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name": "p", "template_metadata": {"a": 1},
                   "tool_choice": {"type": "function", "function": {"name": "f"}}, "is_raw_template": 1})
        );
    }

    #[test]
    fn an_update_body_patches_and_names_prompt_metadata() {
        let v = version(json!({"template_metadata": {"a": 1}, "version_description": "d"}));
        let body = PromptBody::with_version(&v, Write::Update).unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"version_description": "d", "prompt_metadata": {"a": 1}, "patch": true})
        );
    }

    #[test]
    fn call_bodies_flatten_the_overrides() {
        let hyper: Hyper = serde_json::from_value(json!({"max_tokens": 5})).unwrap();
        let billing: Billing =
            serde_json::from_value(json!({"client_id": "c", "app": "a", "env": "e"})).unwrap();
        let vars = json!({"x": "y"}).as_object().unwrap().clone();
        let body = CallBody {
            hyper: &hyper,
            variables: &vars,
            metadata: Some(&billing),
            stream: Some(false),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"max_tokens": 5, "variables": {"x": "y"},
                   "metadata": {"client_id": "c", "app": "a", "env": "e"}, "stream": false})
        );
    }

    #[test]
    fn publish_and_label_bodies() {
        let n = Number::from(3);
        assert_eq!(
            serde_json::to_value(PublishBody { version: &n }).unwrap(),
            json!({"version": 3})
        );
        assert_eq!(
            serde_json::to_value(LabelBody { label_id: None }).unwrap(),
            json!({"label_id": null})
        );
    }
}
