//! The two workflows that find a prompt by name and write it only when needed: migrate_prompt
//! (deploy a template from code, re-runnable) and promote_prompt (copy the live version of one
//! prompt to another environment).

use serde_json::{Map, Value, json};

use super::super::common::field;
use super::inputs::{MigratePrompt, PromotePrompt};
use super::wire::{PromptBody, Write, given, template_text, tool_choice_wire};
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::js;
use crate::shape;

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

/// The id of a prompt found by name.
fn row_id(row: &Value) -> Result<String, ApiError> {
    Ok(shape::need(row, "id")?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// Whether a prompt answer names a live version.
fn has_live_version(prompt: &Value) -> bool {
    prompt.get("prompt_version_id").is_some_and(js::truthy)
}

/// A stored member that is present and not null.
fn stored<'a>(live: &'a Value, key: &str) -> Option<&'a Value> {
    live.get(key).filter(|x| !x.is_null())
}

// ---------------------------------------------------------------------------------- migrate

/// What migrate_prompt wants the prompt to hold, read once from the arguments.
struct Desired {
    text: String,
    parameters: Map<String, Value>,
    virtual_key: String,
    model: Option<String>,
    version_description: Option<String>,
    /// `functions`, `tools` and `tool_choice` in the API's form; null when not given.
    functions: Value,
    tools: Value,
    tool_choice: Value,
    is_raw_template: Option<bool>,
    /// `template_metadata` with `app` and `env` added.
    metadata: Map<String, Value>,
}

impl Desired {
    /// Checks the template and tool choice and reads the rest.
    fn of(a: &MigratePrompt) -> Result<Self, ApiError> {
        let mut metadata = a.version.template_metadata.clone().unwrap_or_default();
        metadata.insert("app".into(), json!(a.app));
        metadata.insert("env".into(), json!(a.env));
        Ok(Desired {
            text: template_text(&a.template, true)?.unwrap_or_default(),
            tool_choice: tool_choice_wire(&a.version.tool_choice)?,
            functions: shape::to_json(&a.version.functions)?,
            tools: shape::to_json(&a.version.tools)?,
            parameters: a.parameters.clone(),
            virtual_key: a.virtual_key.clone(),
            model: a.model.clone(),
            version_description: a.version.version_description.clone(),
            is_raw_template: a.version.is_raw_template,
            metadata,
        })
    }
}

/// What migrate_prompt does after looking the name up.
enum Plan {
    Create,
    /// Save a new version of the prompt found (`row` is its list row).
    Update {
        id: String,
        row: Value,
    },
}

impl Plan {
    fn write(&self) -> Write {
        match self {
            Plan::Create => Write::Create,
            Plan::Update { .. } => Write::Update,
        }
    }

    fn action(&self) -> &'static str {
        match self {
            Plan::Create => "created",
            Plan::Update { .. } => "updated",
        }
    }
}

/// `live[key]` differs from `want`, numbers compared by value.
fn differs(live: &Value, key: &str, want: &Value) -> bool {
    !js::deep_equal(&field(live, key), want)
}

/// The template text; a missing one reads as empty.
fn template_differs(d: &Desired, live: &Value) -> bool {
    !js::deep_equal(stored(live, "string").unwrap_or(&json!("")), &json!(d.text))
}

/// The model settings; missing ones read as `{}`.
fn parameters_differ(d: &Desired, live: &Value) -> bool {
    !js::deep_equal(
        stored(live, "parameters").unwrap_or(&json!({})),
        &Value::Object(d.parameters.clone()),
    )
}

/// The virtual key always; the model only when one is given.
fn model_or_key_differs(d: &Desired, live: &Value) -> bool {
    d.model
        .as_ref()
        .is_some_and(|m| differs(live, "model", &json!(m)))
        || differs(live, "virtual_key", &json!(d.virtual_key))
}

/// The version note, when one is given.
fn description_differs(d: &Desired, live: &Value) -> bool {
    d.version_description
        .as_ref()
        .is_some_and(|x| differs(live, "prompt_version_description", &json!(x)))
}

/// Functions, tools and tool_choice, each only when given.
fn tooling_differs(d: &Desired, live: &Value) -> bool {
    [
        ("functions", &d.functions),
        ("tools", &d.tools),
        ("tool_choice", &d.tool_choice),
    ]
    .iter()
    .any(|(key, want)| !want.is_null() && differs(live, key, want))
}

/// The raw-template flag, when given (Portkey stores it as 0/1).
fn raw_flag_differs(d: &Desired, live: &Value) -> bool {
    d.is_raw_template
        .is_some_and(|r| stored(live, "is_raw_template").map(js::truthy) != Some(r))
}

/// Every wanted metadata member (app and env included) must already be stored as given.
fn metadata_differs(d: &Desired, live: &Value) -> bool {
    let stored_meta = shape::json_field(live.get("template_metadata"));
    d.metadata
        .iter()
        .any(|(k, v)| !js::deep_equal(&field(&stored_meta, k), v))
}

/// Whether the live version differs from what is wanted in anything migrate_prompt sets.
fn needs_new_version(d: &Desired, live: &Value) -> bool {
    template_differs(d, live)
        || parameters_differ(d, live)
        || model_or_key_differs(d, live)
        || description_differs(d, live)
        || tooling_differs(d, live)
        || raw_flag_differs(d, live)
        || metadata_differs(d, live)
}

/// The prompt found by name, read in full; it must have a live version to compare with.
async fn live_prompt(api: &Api, row: &Value, name: &str) -> Result<(String, Value), ApiError> {
    let id = row_id(row)?;
    let live = api.get(format!("/prompts/{}", enc(&id))).await?;
    if !has_live_version(&live) {
        return Err(ApiError::Other(format!(
            "Prompt \"{name}\" exists but has no active version; publish one (publish_prompt) or fix it in Portkey, then retry. Nothing was changed."
        )));
    }
    Ok((id, live))
}

/// The body that creates the prompt or saves a new version of it, stamped `migrated_at`.
fn migrate_body(d: Desired, a: &MigratePrompt, write: Write) -> PromptBody {
    let creating = write == Write::Create;
    let mut metadata = d.metadata;
    metadata.insert("migrated_at".into(), json!(shape::now_iso()));
    let mut body = PromptBody {
        name: creating.then(|| a.name.clone()),
        collection_id: creating.then(|| a.collection_id.clone()),
        string: Some(json!(d.text)),
        parameters: Some(Value::Object(d.parameters)),
        virtual_key: Some(json!(d.virtual_key)),
        model: d.model.map(Value::String),
        version_description: d.version_description,
        functions: given(d.functions),
        tools: given(d.tools),
        tool_choice: given(d.tool_choice),
        is_raw_template: d.is_raw_template.map(u8::from),
        ..PromptBody::new(write)
    };
    body.metadata(write, Some(metadata));
    body
}

/// The answer when the live version already holds everything: nothing is sent.
fn unchanged(name: &str, id: String, row: &Value, dry: bool) -> Value {
    json!({
        "action": "unchanged",
        "dry_run": dry,
        "message": format!("Prompt \"{name}\" is already up to date; nothing sent."),
        "prompt_id": id,
        "slug": field(row, "slug"),
    })
}

/// The answer of a dry run: what would be sent, and to which prompt.
fn dry_run(name: &str, plan: &Plan, body: &PromptBody) -> Result<Value, ApiError> {
    let (verb, row) = match plan {
        Plan::Create => ("create", None),
        Plan::Update { row, .. } => ("update (content differs)", Some(row)),
    };
    Ok(shape::obj(vec![
        ("action", json!(plan.action())),
        ("dry_run", json!(true)),
        (
            "message",
            json!(format!("Would {verb} prompt \"{name}\"; nothing changed.")),
        ),
        ("prompt_id", row.map(|r| field(r, "id")).unwrap_or_default()),
        ("slug", row.map(|r| field(r, "slug")).unwrap_or_default()),
        ("body", shape::to_json(body)?),
    ]))
}

/// Sends the body: a new prompt, or a new version of the one found.
async fn save(api: &Api, name: &str, plan: &Plan, body: &PromptBody) -> Result<Value, ApiError> {
    let (v, message, version_key) = match plan {
        Plan::Update { id, .. } => (
            api.put(format!("/prompts/{}", enc(id)), shape::to_json(body)?)
                .await?,
            format!("Prompt \"{name}\" updated with a new version."),
            "prompt_version_id",
        ),
        Plan::Create => (
            api.post("/prompts", shape::to_json(body)?).await?,
            format!("Prompt \"{name}\" created."),
            "version_id",
        ),
    };
    Ok(shape::obj(vec![
        ("action", json!(plan.action())),
        ("dry_run", json!(false)),
        ("message", json!(message)),
        ("prompt_id", field(&v, "id")),
        ("slug", field(&v, "slug")),
        ("version_id", field(&v, version_key)),
    ]))
}

/// Creates the prompt by name, or saves a new version when its content differs; re-running it
/// with the same arguments sends nothing.
pub(super) async fn migrate_prompt(api: Api, a: MigratePrompt) -> Result<Value, ApiError> {
    let wanted = Desired::of(&a)?;
    let dry = a.version.dry_run == Some(true);
    let plan = match find_by_name(&api, &a.name, &a.collection_id).await? {
        None => Plan::Create,
        Some(row) => {
            let (id, live) = live_prompt(&api, &row, &a.name).await?;
            if !needs_new_version(&wanted, &live) {
                return Ok(unchanged(&a.name, id, &row, dry));
            }
            Plan::Update { id, row }
        }
    };
    let body = migrate_body(wanted, &a, plan.write());
    if dry {
        return dry_run(&a.name, &plan, &body);
    }
    save(&api, &a.name, &plan, &body).await
}

// ---------------------------------------------------------------------------------- promote

/// The target's name: as given, else the source's with its -dev/-staging/-prod suffix swapped
/// for the target environment.
fn target_name(a: &PromotePrompt, source_name: &str) -> String {
    match a.target_name.as_deref() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => {
            let base = ["-dev", "-staging", "-prod"]
                .iter()
                .find_map(|s| source_name.strip_suffix(s))
                .unwrap_or(source_name);
            format!("{base}-{}", a.target_env)
        }
    }
}

/// The source's version number as text.
fn version_number(src: &Value) -> String {
    match src.get("prompt_version") {
        Some(Value::Number(n)) => js::number(n),
        Some(Value::String(s)) => s.clone(),
        _ => "0".to_string(),
    }
}

/// The source's metadata, stamped with where and when it was promoted from.
fn promoted_metadata(src: &Value, a: &PromotePrompt, number: &str) -> Map<String, Value> {
    let mut meta = match shape::json_field(src.get("template_metadata")) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    meta.insert("env".into(), json!(a.target_env));
    meta.insert(
        "promoted_from".into(),
        json!(src.get("slug").and_then(Value::as_str).unwrap_or_default()),
    );
    meta.insert("promoted_from_version".into(), json!(number));
    meta.insert("promoted_at".into(), json!(shape::now_iso()));
    meta
}

/// The source's live version as a body for the target.
fn promoted_body(src: &Value, virtual_key: Value, description: String, write: Write) -> PromptBody {
    PromptBody {
        string: Some(stored(src, "string").cloned().unwrap_or(json!(""))),
        parameters: Some(stored(src, "parameters").cloned().unwrap_or(json!({}))),
        virtual_key: given(virtual_key),
        model: given(field(src, "model")),
        functions: given(field(src, "functions")),
        tools: given(field(src, "tools")),
        tool_choice: given(field(src, "tool_choice")),
        is_raw_template: src.get("is_raw_template").map(|r| u8::from(js::truthy(r))),
        version_description: Some(description),
        ..PromptBody::new(write)
    }
}

/// Copies the live version of a prompt to another environment's prompt, creating it by name
/// when it does not exist.
pub(super) async fn promote_prompt(api: Api, a: PromotePrompt) -> Result<Value, ApiError> {
    let src = api
        .get(format!("/prompts/{}", enc(&a.source_prompt_id)))
        .await?;
    if !has_live_version(&src) {
        return Err(ApiError::Other(
            "The source prompt has no live version (no `prompt_version_id` in Portkey's answer); publish one with publish_prompt first. Nothing was copied.".into(),
        ));
    }
    let src_name = src.get("name").and_then(Value::as_str).unwrap_or_default();
    let src_slug = src.get("slug").and_then(Value::as_str).unwrap_or_default();
    let target = target_name(&a, src_name);
    let number = version_number(&src);
    let meta = promoted_metadata(&src, &a, &number);
    let virtual_key = match a.virtual_key.as_deref() {
        Some(k) if !k.is_empty() => json!(k),
        _ => field(&src, "virtual_key"),
    };
    let description = format!("Promoted from {src_slug} v{number}");

    let existing = find_by_name(&api, &target, &a.target_collection_id).await?;
    let (v, action, version_key) = match &existing {
        Some(row) => {
            let id = row_id(row)?;
            let mut body = promoted_body(&src, virtual_key, description, Write::Update);
            body.metadata(Write::Update, Some(meta));
            let v = api
                .put(format!("/prompts/{}", enc(&id)), shape::to_json(&body)?)
                .await?;
            (v, "updated", "prompt_version_id")
        }
        None => {
            if !js::truthy(&virtual_key) {
                return Err(ApiError::Other(
                    "The source version has no virtual_key and none was given: pass virtual_key. Nothing was created."
                        .into(),
                ));
            }
            let mut body = PromptBody {
                name: Some(target.clone()),
                collection_id: Some(a.target_collection_id.clone()),
                ..promoted_body(&src, virtual_key, description, Write::Create)
            };
            body.metadata(Write::Create, Some(meta));
            (
                api.post("/prompts", shape::to_json(&body)?).await?,
                "created",
                "version_id",
            )
        }
    };
    Ok(json!({
        "message": format!("Prompt promoted to {} as \"{target}\" ({action}).", a.target_env),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(extra: Value) -> Desired {
        let mut args = json!({"name": "G", "app": "billing", "env": "prod", "collection_id": "c",
            "string": "Hello", "parameters": {"t": 1}, "virtual_key": "vk"});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Desired::of(&serde_json::from_value(args).unwrap()).unwrap()
    }

    fn live(extra: Value) -> Value {
        let mut v = json!({"string": "Hello", "parameters": {"t": 1.0}, "virtual_key": "vk",
            "template_metadata": "{\"app\":\"billing\",\"env\":\"prod\",\"migrated_at\":\"old\"}"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    }

    #[test]
    fn each_predicate_sees_only_its_own_difference() {
        let same = wanted(json!({}));
        assert!(!needs_new_version(&same, &live(json!({}))));
        assert!(template_differs(
            &same,
            &live(json!({"string": null, "x": 1}))
        ));
        assert!(parameters_differ(&same, &live(json!({"parameters": {}}))));
        assert!(model_or_key_differs(
            &same,
            &live(json!({"virtual_key": "other"}))
        ));
        // A model, a note, tools or the raw flag count only when given.
        assert!(!model_or_key_differs(&same, &live(json!({"model": "m"}))));
        let given = wanted(json!({"model": "m", "version_description": "d",
            "tools": [], "is_raw_template": true, "template_metadata": {"team": "x"}}));
        assert!(model_or_key_differs(&given, &live(json!({}))));
        assert!(description_differs(&given, &live(json!({}))));
        assert!(tooling_differs(&given, &live(json!({}))));
        assert!(!tooling_differs(&given, &live(json!({"tools": []}))));
        assert!(raw_flag_differs(
            &given,
            &live(json!({"is_raw_template": 0}))
        ));
        assert!(!raw_flag_differs(
            &given,
            &live(json!({"is_raw_template": 1}))
        ));
        assert!(metadata_differs(&given, &live(json!({}))));
        assert!(!metadata_differs(&same, &live(json!({}))));
    }
}
