//! The one ordered path every tool call takes, whatever the transport:
//!
//! resolve the tool -> selection (domains, allow/exclude, read-only: the registry hides what is
//! not selected) -> journal available -> API key -> workspace pin and argument validation ->
//! path ids -> run the handler, which builds each request; before each one leaves, [`Gate`]
//! checks its path, asks the user when the request is destructive, and writes the journal's
//! intent line -> send -> shape (the handler) -> redact -> journal the outcome -> envelope.
//!
//! Nothing else decides policy. The domains only build requests and shape answers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ::http::Method;
use rmcp::model::{
    ElicitRequestParams, ElicitationAction, ProgressNotificationParam, ProgressToken,
};
use rmcp::service::Peer;
use rmcp::{ErrorData, RoleServer};
use serde_json::{Value, json};

use crate::client::{Api, PortkeyClient, Req, RequestKey, SendHook};
use crate::envelope;
use crate::error::ApiError;
use crate::journal::Journal;
use crate::redact::Redactor;
use crate::registry::{Registry, ToolDef};

/// Default limit on how long the user may take to answer a confirmation.
pub const DEFAULT_CONFIRM_TIMEOUT_MS: u64 = 120_000;

/// What the transport knows about one call besides its name and arguments.
#[derive(Clone, Default)]
pub struct CallCtx {
    /// The client, to ask for confirmation and to send progress; none in the CLI and tests.
    pub peer: Option<Peer<RoleServer>>,
    /// The client's progress token, when it asked for progress notifications.
    pub progress: Option<ProgressToken>,
    /// Who is calling (an HTTP principal); the write budget is counted per principal.
    pub principal: Option<String>,
    /// The caller's own Portkey key (HTTP without PORTKEY_API_KEY): sent for this call only in
    /// place of the configured one, and redacted from everything the call returns, logs or
    /// journals.
    pub key: Option<RequestKey>,
}

/// Calls of write tools in the last minute, per principal (`PORTKEY_MAX_WRITES_PER_MINUTE`).
#[derive(Debug, Default)]
struct WriteBudget {
    limit: u32,
    recent: Mutex<std::collections::HashMap<String, std::collections::VecDeque<Instant>>>,
}

const BUDGET_WINDOW: Duration = Duration::from_secs(60);

impl WriteBudget {
    /// Takes one write from `principal`'s budget, or says how long until one is free.
    fn take(&self, principal: &str) -> Result<(), ApiError> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let Ok(mut all) = self.recent.lock() else {
            return Ok(());
        };
        // Forget principals whose window is empty, so the map stays small.
        all.retain(|_, q| {
            q.back()
                .is_some_and(|t| now.duration_since(*t) < BUDGET_WINDOW)
        });
        let q = all.entry(principal.to_string()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= BUDGET_WINDOW)
        {
            q.pop_front();
        }
        if q.len() >= self.limit as usize {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = BUDGET_WINDOW.saturating_sub(now.duration_since(oldest));
            return Err(ApiError::WriteBudget {
                limit: self.limit,
                retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64,
            });
        }
        q.push_back(now);
        Ok(())
    }
}

/// The policy side of the server: everything a call needs besides its transport.
pub struct Pipeline {
    registry: Arc<Registry>,
    client: Arc<PortkeyClient>,
    confirm_destructive: bool,
    confirm_timeout: Duration,
    journal: Option<Arc<Journal>>,
    /// Set when PORTKEY_AUDIT_LOG was given but cannot be opened: write tools are refused.
    journal_error: Option<String>,
    budget: WriteBudget,
    /// Calls in flight, to give memory back after a burst.
    bursts: crate::memory::Bursts,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("confirm_destructive", &self.confirm_destructive)
            .field("journal", &self.journal.is_some())
            .finish()
    }
}

/// The settings of a pipeline besides its registry and client.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub confirm_destructive: bool,
    pub confirm_timeout_ms: u64,
    pub audit_log: Option<std::path::PathBuf>,
    /// Calls of write tools allowed per rolling minute and principal; 0 means no limit.
    pub max_writes_per_minute: u32,
}

impl Pipeline {
    pub fn new(registry: Arc<Registry>, client: Arc<PortkeyClient>, policy: &Policy) -> Pipeline {
        let (journal, journal_error) = match &policy.audit_log {
            None => (None, None),
            Some(path) => match Journal::open(path) {
                Ok(j) => (Some(Arc::new(j)), None),
                Err(e) => {
                    tracing::error!(
                        "{e}; tools that change data are refused until the journal can be written"
                    );
                    (None, Some(e))
                }
            },
        };
        let ms = if policy.confirm_timeout_ms == 0 {
            DEFAULT_CONFIRM_TIMEOUT_MS
        } else {
            policy.confirm_timeout_ms
        };
        Pipeline {
            registry,
            client,
            confirm_destructive: policy.confirm_destructive,
            confirm_timeout: Duration::from_millis(ms),
            journal,
            journal_error,
            budget: WriteBudget {
                limit: policy.max_writes_per_minute,
                recent: Mutex::new(std::collections::HashMap::new()),
            },
            bursts: crate::memory::Bursts::default(),
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn client(&self) -> &PortkeyClient {
        &self.client
    }

    /// Runs one tool call to its envelope. The context's peer is asked to confirm destructive
    /// requests (none: they are refused) and told of progress; the call stops, and its outcome is
    /// journaled, when `cancelled` resolves.
    pub async fn call(
        &self,
        name: &str,
        args: Value,
        ctx: CallCtx,
        cancelled: impl Future<Output = ()>,
    ) -> Result<Value, ErrorData> {
        let _in_flight = self.bursts.enter();
        // Resolve the tool; the registry already applied the selection.
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
        let key_text = ctx
            .key
            .as_ref()
            .map(RequestKey::expose)
            .or(self.client.api_key());
        let redactor = Redactor::new(key_text, &args);
        let writes = !def.hints().read_only;
        let journal = if writes { self.journal.clone() } else { None };
        let journal_args = journal.as_ref().map(|_| redactor.journal_args(&args));
        let call_id = journal.as_ref().map(|j| j.call_id()).unwrap_or_default();

        let gate = Arc::new(Gate {
            def: def.clone(),
            args: Mutex::new(Value::Null),
            journal: journal.clone(),
            journal_args: journal_args.clone().unwrap_or(Value::Null),
            call_id: call_id.clone(),
            principal: ctx.principal.clone(),
            confirm: self.confirm_destructive.then(|| Confirmer {
                peer: ctx.peer.clone(),
                timeout: self.confirm_timeout,
            }),
            confirmed: Mutex::new(false),
            redactor: redactor.clone(),
            progress: match (ctx.peer.clone(), ctx.progress.clone()) {
                (Some(p), Some(t)) => Some((p, t)),
                _ => None,
            },
            requests: std::sync::atomic::AtomicU32::new(0),
        });
        let has_key = ctx.key.is_some() || self.client.has_key();
        let api = Api::new(self.client.clone())
            .with_hook(gate.clone())
            .with_key(ctx.key.clone());

        let run = async {
            self.admit(&def, writes, has_key)?;
            crate::pin::ready(self.registry.pin(), &def, &args, &api).await?;
            let args = self.validate(&def, args)?;
            check_path_ids(&def, &args)?;
            if writes {
                self.budget.take(ctx.principal.as_deref().unwrap_or(""))?;
            }
            // Only a confirmation quotes the arguments.
            if gate.confirm.is_some()
                && let Ok(mut a) = gate.args.lock()
            {
                *a = args.clone();
            }
            run_handler(&def, api.clone(), args).await
        };
        let result = tokio::select! {
            r = run => r,
            _ = cancelled => {
                let sent = api.sent();
                tracing::info!(tool = %def.name, "call cancelled by the client");
                Err(ApiError::Cancelled { sent: !sent.is_empty() })
            }
        };

        // The answer moves into the envelope; only the error is kept for the journal.
        let (mut env, error) = match result {
            Ok(data) => (envelope::success(data), None),
            Err(e) => {
                tracing::warn!(
                    tool = def.name,
                    kind = e.kind(),
                    status = e.status(),
                    "tool call failed: {}",
                    redactor.text(&e.to_string())
                );
                (envelope::failure(&e), Some(e))
            }
        };
        redactor.envelope(&mut env, def.flags.returns_new_secret);

        if let (Some(j), Some(jargs)) = (&journal, &journal_args) {
            let message = error.as_ref().map(|e| redactor.text(&e.to_string()));
            let outcome = match &message {
                None => Ok(()),
                Some(m) => Err(m.as_str()),
            };
            let kind = error.as_ref().map(ApiError::kind);
            let principal = ctx.principal.as_deref();
            if let Err(e) = j.outcome(
                &call_id,
                def.name,
                jargs,
                &api.sent(),
                outcome,
                kind,
                principal,
            ) {
                tracing::error!("{e}");
            }
        }
        Ok(env)
    }

    /// The workspace pin applied, then the arguments checked against the tool's schema.
    fn validate(&self, def: &ToolDef, mut args: Value) -> Result<Value, ApiError> {
        if let Some(pin) = self.registry.pin() {
            crate::pin::apply(def, &mut args, &pin.current())?;
        }
        crate::schema::check_args(&def.input_schema(), &args)
            .map_err(|msg| ApiError::invalid(def.name, msg))?;
        Ok(args)
    }

    /// The checks that need no arguments: the journal for write tools, the key.
    fn admit(&self, def: &ToolDef, writes: bool, has_key: bool) -> Result<(), ApiError> {
        if writes && let Some(e) = &self.journal_error {
            return Err(ApiError::Refused(format!(
                "The audit journal (PORTKEY_AUDIT_LOG) cannot be written ({e}), so tools that change data are refused. Fix the path or unset PORTKEY_AUDIT_LOG. Nothing was sent."
            )));
        }
        if def.flags.needs_key && !has_key {
            return Err(ApiError::MissingApiKey);
        }
        Ok(())
    }
}

/// Runs the tool's handler (it builds the requests and shapes the answer), naming the tool in
/// its validation errors.
async fn run_handler(def: &ToolDef, api: Api, args: Value) -> Result<Value, ApiError> {
    match (def.handler)(api, args).await {
        Err(ApiError::InvalidArguments { tool, message }) if tool.is_empty() => {
            Err(ApiError::invalid(def.name, message))
        }
        other => other,
    }
}

/// The placeholders of a tool's declared endpoints (`{workspace_id}` -> `workspace_id`).
fn path_params(def: &ToolDef) -> Vec<&str> {
    let mut out = Vec::new();
    for e in &def.endpoints {
        for seg in e.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
                && !out.contains(&name)
            {
                out.push(name);
            }
        }
    }
    out
}

/// Refuses, naming the argument, an id that would change which endpoint a request reaches.
fn check_path_ids(def: &ToolDef, args: &Value) -> Result<(), ApiError> {
    let Some(map) = args.as_object() else {
        return Ok(());
    };
    for name in path_params(def) {
        if let Some(Value::String(s)) = map.get(name) {
            let t = s.as_str();
            if crate::client::is_dot_or_empty(t) {
                return Err(ApiError::invalid(
                    def.name,
                    format!(
                        "`{name}` is {}; it goes into the request path, where an empty, \".\" or \"..\" value would reach a different endpoint. Pass the object's real id. Nothing was sent.",
                        if t.is_empty() {
                            "empty".to_string()
                        } else {
                            format!("\"{t}\"")
                        }
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Asks the user through MCP elicitation.
struct Confirmer {
    peer: Option<Peer<RoleServer>>,
    timeout: Duration,
}

/// Runs before each request of one call: confirmation, then the journal's intent line.
struct Gate {
    def: Arc<ToolDef>,
    /// The validated arguments, for the confirmation's summary.
    args: Mutex<Value>,
    journal: Option<Arc<Journal>>,
    journal_args: Value,
    call_id: String,
    /// The HTTP caller, for the journal.
    principal: Option<String>,
    confirm: Option<Confirmer>,
    confirmed: Mutex<bool>,
    redactor: Redactor,
    /// Where progress goes, when the client asked for it.
    progress: Option<(Peer<RoleServer>, ProgressToken)>,
    /// Requests sent so far, for progress.
    requests: std::sync::atomic::AtomicU32,
}

impl Gate {
    /// Whether this request needs the user's yes: any DELETE, and any write of a tool that is
    /// destructive or can revoke access.
    fn needs_confirmation(&self, req: &Req) -> bool {
        if self.confirm.is_none() || req.method == Method::GET {
            return false;
        }
        req.method == Method::DELETE
            || self.def.hints().destructive
            || self.def.flags.revokes_access
    }

    async fn ask(&self, req: &Req, full_path: &str) -> Result<(), ApiError> {
        let how_to_disable = "Unset PORTKEY_CONFIRM_DESTRUCTIVE (or drop --confirm-destructive) to allow destructive tools without confirmation.";
        let Some(confirm) = &self.confirm else {
            return Ok(());
        };
        let supports = confirm
            .peer
            .as_ref()
            .and_then(|p| p.peer_info())
            .is_some_and(|info| info.capabilities.elicitation.is_some());
        let Some(peer) = confirm.peer.as_ref().filter(|_| supports) else {
            return Err(ApiError::Refused(format!(
                "`{}` would send {} {} and this server requires the user's confirmation first (PORTKEY_CONFIRM_DESTRUCTIVE), but this client does not support MCP elicitation, so it cannot ask. Nothing was sent. {how_to_disable}",
                self.def.name,
                req.method,
                escape(full_path)
            )));
        };
        let args = self.args.lock().map(|a| a.clone()).unwrap_or(Value::Null);
        let message = self
            .redactor
            .text(&confirmation_text(&self.def, req, full_path, &args));
        let params = serde_json::from_value::<ElicitRequestParams>(json!({
            "mode": "form",
            "message": message,
            "requestedSchema": {
                "type": "object",
                "properties": {
                    "confirm": {"type": "boolean", "title": "Send it", "description": format!("Yes sends {} {}", req.method, escape(full_path))}
                },
                "required": ["confirm"]
            }
        }))
        .map_err(|e| ApiError::Other(format!("could not build the confirmation request: {e}")))?;
        let answer = tokio::time::timeout(confirm.timeout, peer.create_elicitation(params)).await;
        match answer {
            Err(_) => Err(ApiError::Refused(format!(
                "The user did not answer the confirmation for `{}` within {} s; nothing was sent. Ask the user before trying again.",
                self.def.name,
                confirm.timeout.as_secs()
            ))),
            Ok(Err(e)) => Err(ApiError::Refused(format!(
                "Could not get the user's confirmation for `{}` ({e}); nothing was sent. {how_to_disable}",
                self.def.name
            ))),
            Ok(Ok(result)) => {
                let yes = result
                    .content
                    .as_ref()
                    .and_then(|c| c.get("confirm"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if matches!(result.action, ElicitationAction::Accept) && yes {
                    Ok(())
                } else {
                    Err(ApiError::Refused(format!(
                        "The user declined `{}` ({} {}); nothing was sent. Ask the user before trying again.",
                        self.def.name,
                        req.method,
                        escape(full_path)
                    )))
                }
            }
        }
    }
}

impl SendHook for Gate {
    fn before_send<'a>(
        &'a self,
        req: &'a Req,
        full_path: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<bool, ApiError>> + Send + 'a>> {
        Box::pin(async move {
            let mut restart_budget = false;
            let already = self.confirmed.lock().map(|c| *c).unwrap_or(false);
            if !already && self.needs_confirmation(req) {
                self.ask(req, full_path).await?;
                if let Ok(mut c) = self.confirmed.lock() {
                    *c = true;
                }
                restart_budget = true;
            }
            if let Some(j) = &self.journal {
                j.intent(
                    &self.call_id,
                    self.def.name,
                    &self.journal_args,
                    req.method.as_str(),
                    full_path,
                    self.principal.as_deref(),
                )
                .map_err(|e| {
                    ApiError::Refused(format!(
                        "{e}. The request was not sent, because every change must be journaled first (PORTKEY_AUDIT_LOG); free space or fix the file, or unset PORTKEY_AUDIT_LOG."
                    ))
                })?;
            }
            let n = self
                .requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            if let Some((peer, token)) = &self.progress {
                let note = ProgressNotificationParam::new(token.clone(), f64::from(n))
                    .with_message(format!("request {n}: {} {}", req.method, escape(full_path)));
                if let Err(e) = peer.notify_progress(note).await {
                    tracing::debug!("could not send progress: {e}");
                }
            }
            Ok(restart_budget)
        })
    }
}

/// Control and direction-changing characters written visibly, and long values cut.
pub fn escape(s: &str) -> String {
    escape_within(s, 120)
}

/// The same escaping with a chosen length limit (a request path is never cut).
fn escape_within(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == max {
            let rest = s.chars().count() - max;
            out.push_str(&format!("…(+{rest} characters)"));
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}') =>
            {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// The object ids a request's path names, by the tool's declared endpoint templates.
fn path_ids(def: &ToolDef, req: &Req) -> Vec<(String, String)> {
    let actual: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    for e in &def.endpoints {
        let mut words = e.split_whitespace();
        let first = words.next().unwrap_or("");
        let (method, template) = if first.starts_with('{') {
            (words.next().unwrap_or(""), words.next().unwrap_or(""))
        } else {
            (first, words.next().unwrap_or(""))
        };
        if method != req.method.as_str() {
            continue;
        }
        let tmpl: Vec<&str> = template.trim_start_matches('/').split('/').collect();
        if tmpl.len() != actual.len() {
            continue;
        }
        let fits = tmpl
            .iter()
            .zip(&actual)
            .all(|(t, a)| t.starts_with('{') || t == a);
        if !fits {
            continue;
        }
        return tmpl
            .iter()
            .zip(&actual)
            .filter_map(|(t, a)| {
                let name = t.strip_prefix('{')?.strip_suffix('}')?;
                Some((name.to_string(), crate::client::decode_segment(a)))
            })
            .collect();
    }
    Vec::new()
}

/// What an array in the body holds, in a few words: its size and the ids of its items.
fn summarise_array(items: &[Value]) -> String {
    const SHOWN: usize = 10;
    let ids: Vec<String> = items
        .iter()
        .take(SHOWN)
        .map(|item| match item {
            Value::String(s) => escape(s),
            Value::Object(m) => [
                "id",
                "slug",
                "workspace_id",
                "user_id",
                "email",
                "name",
                "model_slug",
            ]
            .iter()
            .find_map(|k| m.get(*k).and_then(Value::as_str))
            .map(escape)
            .unwrap_or_else(|| "(no id)".to_string()),
            other => escape(&other.to_string()),
        })
        .collect();
    let more = items.len().saturating_sub(SHOWN);
    let tail = if more > 0 {
        format!(", and {more} more")
    } else {
        String::new()
    };
    format!(
        "{} item{}: {}{tail}",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        ids.join(", ")
    )
}

/// The confirmation a user sees: the exact request, the ids it names, what its body changes.
fn confirmation_text(def: &ToolDef, req: &Req, full_path: &str, args: &Value) -> String {
    let mut lines = vec![format!(
        "Allow `{}` to send {} {}",
        def.name,
        req.method,
        escape_within(full_path, usize::MAX)
    )];
    let ids = path_ids(def, req);
    if !ids.is_empty() {
        let list: Vec<String> = ids
            .iter()
            .map(|(k, v)| format!("{k} = \"{}\"", escape(v)))
            .collect();
        lines.push(format!("Object: {}", list.join(", ")));
    }
    let body = req.body.as_ref().or(Some(args));
    if let Some(Value::Object(m)) = body {
        let mut arrays = Vec::new();
        for (k, v) in m {
            if let Value::Array(items) = v {
                arrays.push(format!("{} ({})", escape(k), summarise_array(items)));
            }
        }
        if !arrays.is_empty() && req.body.is_some() {
            lines.push(format!("Lists it sets: {}", arrays.join("; ")));
        }
    }
    let warning = if req.method == Method::DELETE || def.hints().destructive {
        "This may not be undoable."
    } else {
        "This can take access away at once."
    };
    lines.push(warning.to_string());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_shows_controls_and_cuts() {
        assert_eq!(escape("a\nb\tc\u{202e}"), "a\\nb\\tc\\u{202e}");
        let long = "x".repeat(130);
        assert!(escape(&long).ends_with("…(+10 characters)"));
    }

    #[test]
    fn arrays_are_counted_and_named() {
        let items = vec![json!({"id": "ws-1"}), json!("u-2"), json!({"role": "x"})];
        assert_eq!(summarise_array(&items), "3 items: ws-1, u-2, (no id)");
    }
}
