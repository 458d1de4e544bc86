//! The MCP surface: server info and instructions, tools, the workflow-guide resource and the
//! planning prompt. Tool calls go through the registry; results through the envelope.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, Implementation, ListPromptsResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, Prompt, PromptArgument, PromptMessage,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, Role, ServerCapabilities, ServerConfig,
};
use rmcp::model::{ElicitRequestParams, ElicitationAction};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};

use crate::client::{Api, PortkeyClient};
use crate::config::Config;
use crate::envelope;
use crate::error::ApiError;
use crate::journal::Journal;
use crate::registry::Registry;
use crate::registry::ToolDef;
use crate::scrub;

pub const GUIDE_URI: &str = "portkey-admin://docs/workflow-guide";
pub const GUIDE: &str = include_str!("guide.md");
pub const PLAN_PROMPT: &str = "plan_portkey_admin_workflow";

/// Tools whose result deliberately carries a new secret the user asked for.
const RETURNS_NEW_SECRET: &[&str] = &["create_api_key", "rotate_api_key"];

/// The server state shared by every request.
#[derive(Clone)]
pub struct PortkeyServer {
    registry: Arc<Registry>,
    client: Arc<PortkeyClient>,
    instructions: Arc<String>,
    confirm_destructive: bool,
    journal: Option<Arc<Journal>>,
    /// Set when PORTKEY_AUDIT_LOG was given but cannot be written: write tools are refused.
    journal_error: Option<Arc<String>>,
}

/// How a destructive call's confirmation went.
enum Confirmation {
    Yes,
    Refused(ApiError),
}

impl PortkeyServer {
    pub fn new(
        registry: Arc<Registry>,
        client: Arc<PortkeyClient>,
        config: &Config,
    ) -> Result<Self, String> {
        let mut text = String::from(
            "Administer a Portkey AI Gateway account. Discover with a list_ tool, then read one object with the matching get_ tool. \
Analytics tools need a time window (time_of_generation_min and time_of_generation_max, ISO 8601). \
Prompt workflow: list_collections -> create_prompt or migrate_prompt (dry_run first) -> render_prompt -> publish_prompt -> promote_prompt. \
Every result is {ok, data} or {ok:false, error:{message}}; error.message says what to fix. \
Enterprise-gated tools answer 403 on other plans. Read the resource portkey-admin://docs/workflow-guide for the full guide.",
        );
        if !config.domains.is_empty()
            || !config.tools.is_empty()
            || !config.exclude_tools.is_empty()
        {
            text.push_str(
                " Only some tool domains or tools are enabled on this server (PORTKEY_TOOL_DOMAINS / PORTKEY_TOOLS); tools outside them are not available.",
            );
        }
        if registry.read_only() {
            text.push_str(" This server is READ-ONLY: only tools that read are available; nothing can be created, changed or deleted.");
        }
        if let Some(ws) = registry.workspace_pin() {
            text.push_str(&crate::pin::instructions(ws));
        }
        if config.confirm_destructive {
            text.push_str(" Destructive tools ask the user to confirm before anything is sent.");
        }
        if !client.has_key() {
            text.push_str(
                " PORTKEY_API_KEY is not set: tool calls will fail until it is configured.",
            );
        }
        let (journal, journal_error) = match &config.audit_log {
            None => (None, None),
            Some(path) => match Journal::open(path) {
                Ok(j) => (Some(Arc::new(j)), None),
                Err(e) => {
                    tracing::error!(
                        "{e}; tools that change data are refused until the journal can be written"
                    );
                    (None, Some(Arc::new(e)))
                }
            },
        };
        Ok(PortkeyServer {
            registry,
            client,
            instructions: Arc::new(text),
            confirm_destructive: config.confirm_destructive,
            journal,
            journal_error,
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Runs one tool call to its envelope. `peer` is used to ask for confirmation of destructive
    /// calls; without it (tests, CLI) a confirmation-requiring call is refused.
    pub async fn call(
        &self,
        name: &str,
        args: Value,
        peer: Option<&Peer<RoleServer>>,
    ) -> Result<Value, ErrorData> {
        let Some(def) = self.registry.get(name).cloned() else {
            if let Some(reason) = self.registry.hidden_reason(name) {
                let e = ApiError::Refused(format!(
                    "The tool `{name}` is disabled on this server because {reason}. Nothing was sent."
                ));
                return Ok(envelope::failure(&e));
            }
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {name}; call tools/list for the available tools"),
                None,
            ));
        };
        let api = Api::new(self.client.clone());
        let hints = def.hints();
        let original_args = args.clone();
        let result = async {
            if !hints.read_only
                && let Some(e) = &self.journal_error {
                    return Err(ApiError::Refused(format!(
                        "The audit journal (PORTKEY_AUDIT_LOG) cannot be written ({e}), so tools that change data are refused. Fix the path or unset PORTKEY_AUDIT_LOG. Nothing was sent."
                    )));
                }
            crate::pin::ready(self.registry.pin(), &def, &args, &api).await?;
            let args = self.registry.prepare(&def, self.client.has_key(), args)?;
            if hints.destructive && self.confirm_destructive
                && let Confirmation::Refused(e) = confirm(peer, &def, &args).await {
                    return Err(e);
                }
            self.registry.run(&def, api.clone(), args).await
        }
        .await;
        if !hints.read_only
            && let Some(j) = &self.journal
        {
            let outcome = match &result {
                Ok(_) => Ok(()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = j.record(
                def.name,
                &original_args,
                &api.sent(),
                outcome.as_ref().map(|_| ()).map_err(String::as_str),
            ) {
                tracing::error!("{e}");
            }
        }
        let mut env = match result {
            Ok(data) => envelope::success(data),
            Err(e) => {
                tracing::warn!(
                    tool = def.name,
                    kind = e.kind(),
                    status = e.status(),
                    "tool call failed: {}",
                    scrub::scrub_text(&self.client.redact(&e.to_string()))
                );
                envelope::failure(&e)
            }
        };
        // The API key and every secret the caller sent are replaced wherever they came back.
        let mut sent_secrets = secret_values(&original_args);
        sent_secrets.extend(self.client.api_key().map(str::to_string));
        if !sent_secrets.is_empty() {
            redact_strings(&mut env, &sent_secrets);
        }
        if RETURNS_NEW_SECRET.contains(&def.name) {
            scrub_except_new_key(&mut env);
        } else {
            scrub::scrub_value(&mut env);
        }
        Ok(env)
    }
}

/// Scrubs everything but the new key a key-issuing tool returns on purpose.
fn scrub_except_new_key(env: &mut Value) {
    let kept: Vec<(String, Value)> = match env.get_mut("data").and_then(Value::as_object_mut) {
        Some(data) => ["key", "api_key"]
            .iter()
            .filter_map(|k| data.remove(*k).map(|v| ((*k).to_string(), v)))
            .collect(),
        None => Vec::new(),
    };
    scrub::scrub_value(env);
    if let Some(data) = env.get_mut("data").and_then(Value::as_object_mut) {
        for (k, v) in kept {
            data.insert(k, v);
        }
    }
}

/// What a destructive call will touch, for the confirmation message.
fn describe_target(args: &Value) -> String {
    let Some(map) = args.as_object() else {
        return String::new();
    };
    let parts: Vec<String> = map
        .iter()
        .filter(|(_, v)| v.is_string() || v.is_number() || v.is_boolean())
        .take(6)
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.chars().take(80).collect::<String>(),
                other => other.to_string(),
            };
            format!("{k}={text}")
        })
        .collect();
    scrub::scrub_text(&parts.join(", "))
}

/// Asks the user, through MCP elicitation, whether a destructive call may go ahead.
async fn confirm(peer: Option<&Peer<RoleServer>>, def: &ToolDef, args: &Value) -> Confirmation {
    let how_to_disable = "Unset PORTKEY_CONFIRM_DESTRUCTIVE (or drop --confirm-destructive) to allow destructive tools without confirmation.";
    let supports = peer
        .and_then(|p| p.peer_info())
        .is_some_and(|info| info.capabilities.elicitation.is_some());
    let Some(peer) = peer.filter(|_| supports) else {
        return Confirmation::Refused(ApiError::Refused(format!(
            "`{}` is destructive and this server requires the user's confirmation first (PORTKEY_CONFIRM_DESTRUCTIVE), but this client does not support MCP elicitation, so it cannot ask. Nothing was sent. {how_to_disable}",
            def.name
        )));
    };
    let target = describe_target(args);
    let message = format!(
        "Confirm `{}` on {}. This change cannot be undone.",
        def.name,
        if target.is_empty() {
            "the given object".to_string()
        } else {
            target
        }
    );
    let params = serde_json::from_value::<ElicitRequestParams>(json!({
        "mode": "form",
        "message": message,
        "requestedSchema": {
            "type": "object",
            "properties": {
                "confirm": {"type": "boolean", "title": "Go ahead", "description": format!("Yes to run {}", def.name)}
            },
            "required": ["confirm"]
        }
    }));
    let params = match params {
        Ok(p) => p,
        Err(e) => {
            return Confirmation::Refused(ApiError::Other(format!(
                "could not build the confirmation request: {e}"
            )));
        }
    };
    let declined = || {
        Confirmation::Refused(ApiError::Refused(format!(
            "The user declined `{}`; nothing was sent. Ask the user before trying again.",
            def.name
        )))
    };
    match peer.create_elicitation(params).await {
        Ok(result) => {
            let yes = result
                .content
                .as_ref()
                .and_then(|c| c.get("confirm"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if matches!(result.action, ElicitationAction::Accept) && yes {
                Confirmation::Yes
            } else {
                declined()
            }
        }
        Err(e) => Confirmation::Refused(ApiError::Refused(format!(
            "Could not get the user's confirmation for `{}` ({e}); nothing was sent. {how_to_disable}",
            def.name
        ))),
    }
}

/// Values the caller passed under secret-looking names (keys, tokens, passwords, headers): they
/// go to Portkey and must never come back in a result or error.
fn secret_values(args: &Value) -> Vec<String> {
    fn walk(v: &Value, under_secret: bool, out: &mut Vec<String>) {
        match v {
            Value::String(s) if under_secret && s.chars().count() >= 16 => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, under_secret, out)),
            Value::Object(m) => {
                for (k, x) in m {
                    let secret =
                        under_secret || crate::shape::is_secret_name(k) || k.contains("header");
                    walk(x, secret, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(args, false, &mut out);
    out
}

fn redact_strings(v: &mut Value, secrets: &[String]) {
    match v {
        Value::String(s) => {
            for secret in secrets {
                if s.contains(secret.as_str()) {
                    *s = s.replace(secret.as_str(), scrub::REDACTED);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| redact_strings(x, secrets)),
        Value::Object(m) => m.values_mut().for_each(|x| redact_strings(x, secrets)),
        _ => {}
    }
}

fn plan_prompt() -> Prompt {
    Prompt::new(
        PLAN_PROMPT,
        Some("Plan a safe, ordered sequence of Portkey admin tool calls for a task."),
        Some(vec![
            PromptArgument::new("task")
                .with_description("What you want done in Portkey (at most 500 characters)")
                .with_required(true),
            PromptArgument::new("area")
                .with_description(
                    "Optional focus area, e.g. prompts, keys, analytics (at most 80 characters)",
                )
                .with_required(false),
        ]),
    )
}

fn guide_resource() -> Resource {
    Resource::new(GUIDE_URI, "workflow-guide")
        .with_title("Portkey admin workflow guide")
        .with_description(
            "How to discover, change and audit a Portkey account safely with these tools",
        )
        .with_mime_type("text/markdown")
        .with_size(GUIDE.len() as u64)
}

impl ServerHandler for PortkeyServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new(
            "portkey-admin-mcp",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(self.instructions.as_str())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            (*self.registry.listed()).clone(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = Value::Object(request.arguments.unwrap_or_default());
        let name = request.name.to_string();
        let envelope = tokio::select! {
            r = self.call(&name, args, Some(&context.peer)) => r?,
            _ = context.ct.cancelled() => {
                tracing::info!(tool = %name, "call cancelled by the client");
                envelope::failure(&ApiError::Other("The call was cancelled by the client; nothing more was sent.".into()))
            }
        };
        let ok = envelope.get("ok").and_then(Value::as_bool).unwrap_or(false);
        let result = if ok {
            CallToolResult::structured(envelope)
        } else {
            CallToolResult::structured_error(envelope)
        };
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![guide_resource()]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != GUIDE_URI {
            return Err(ErrorData::resource_not_found(
                format!(
                    "no resource at {}; the only resource is {GUIDE_URI}",
                    request.uri
                ),
                None,
            ));
        }
        let contents = ResourceContents::text(GUIDE, GUIDE_URI).with_mime_type("text/markdown");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(vec![plan_prompt()]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if request.name != PLAN_PROMPT {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown prompt: {}; the only prompt is {PLAN_PROMPT}",
                    request.name
                ),
                None,
            ));
        }
        let args = request.arguments.unwrap_or_default();
        let get = |k: &str| {
            args.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let task = get("task")
            .ok_or_else(|| ErrorData::invalid_params("argument `task` is required", None))?;
        if task.chars().count() > 500 {
            return Err(ErrorData::invalid_params(
                "argument `task` must be at most 500 characters",
                None,
            ));
        }
        let area = get("area");
        if area.is_some_and(|a| a.chars().count() > 80) {
            return Err(ErrorData::invalid_params(
                "argument `area` must be at most 80 characters",
                None,
            ));
        }
        let area_line = area
            .map(|a| format!("Focus area: {a}\n"))
            .unwrap_or_default();
        let ask = format!(
            "Task: {task}\n{area_line}\nUsing the Portkey admin tools of this server and the guide above, write a numbered plan of tool calls that does this task safely:\n\
1. Start with read-only calls (list_/get_) that confirm the ids and the current state.\n\
2. For each write, name the tool, its arguments, and what it changes; use dry_run where a tool offers it.\n\
3. Mark every destructive or irreversible step and ask for confirmation before it.\n\
4. End with the read calls that verify the result.\n\
Do not call any tool yet; present the plan first."
        );
        let messages = vec![
            PromptMessage::new_text(
                Role::User,
                format!("Reference guide for this server:\n\n{GUIDE}"),
            ),
            PromptMessage::new_text(Role::User, ask),
        ];
        Ok(GetPromptResult::new(messages)
            .with_description("A safe, ordered plan of Portkey admin tool calls")
            .into())
    }
}
