//! Prompts: templates and their versions, rendering and completions, and the CI helpers
//! (migrate by name, promote across environments, billing-metadata preflight).
//!
//! `inputs` holds what the tools take, `wire` what they send, `shaping` what they answer, and
//! `sync` the two workflows that compare and copy prompts (migrate_prompt, promote_prompt).

mod inputs;
mod shaping;
mod sync;
mod wire;

use serde_json::{Value, json};

pub use inputs::*;
use shaping::{
    billing_problems, shape_completion, shape_list, shape_prompt, shape_render, shape_version,
    shape_versions,
};
use sync::{migrate_prompt, promote_prompt};
use wire::{CallBody, LabelBody, PromptBody, PublishBody, Write, template_text};

use super::common::field;
use crate::client::{Api, Req, enc};
use crate::error::ApiError;
use crate::js;
use crate::registry::{ToolDef, bad, tool};
use crate::shape;

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
    let body = PromptBody {
        name: Some(a.name.clone()),
        collection_id: Some(a.collection_id),
        string: text.map(Value::String),
        parameters: Some(Value::Object(a.parameters)),
        virtual_key: Some(json!(a.virtual_key)),
        model: a.model.map(Value::String),
        ai_model_id: a.ai_model_id,
        finetune_id: a.finetune_id,
        ..PromptBody::with_version(&a.version, Write::Create)?
    };
    if a.version.dry_run == Some(true) {
        return Ok(json!({
            "dry_run": true,
            "action": "create",
            "message": format!("Nothing sent. This body would be POSTed to /prompts to create \"{}\".", a.name),
            "body": body,
        }));
    }
    let v = api.post("/prompts", shape::to_json(&body)?).await?;
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
    let body = PromptBody {
        name: a.name,
        collection_id: a.collection_id,
        string: text.map(Value::String),
        parameters: a.parameters.map(Value::Object),
        model: a.model.map(Value::String),
        virtual_key: a.virtual_key.map(Value::String),
        ..PromptBody::with_version(&a.version, Write::Update)?
    };
    let path = format!("/prompts/{}", enc(&a.prompt_id));
    if a.version.dry_run == Some(true) {
        return Ok(json!({
            "dry_run": true,
            "action": "update",
            "message": format!("Nothing sent. This body would be PUT to {path}; it would save a new version."),
            "body": body,
        }));
    }
    let v = api.put(path, shape::to_json(&body)?).await?;
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
        shape::to_json(&PublishBody {
            version: &a.version,
        })?,
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
    let body = CallBody {
        hyper: &a.hyperparameters.unwrap_or_default(),
        variables: &a.variables,
        metadata: None,
        stream: None,
    };
    let v = api
        .post(
            format!("/prompts/{}/render", enc(&a.prompt_id)),
            shape::to_json(&body)?,
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
    let body = CallBody {
        hyper: &a.hyperparameters.unwrap_or_default(),
        variables: &a.variables,
        metadata: Some(&a.metadata),
        stream: Some(false),
    };
    let v = api
        .post(
            format!("/prompts/{}/completions", enc(&a.prompt_id)),
            shape::to_json(&body)?,
        )
        .await?;
    Ok(shape_completion(&v))
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
        shape::to_json(&LabelBody {
            label_id: label.as_deref(),
        })?,
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
