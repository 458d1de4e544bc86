//! The tool table: typed declarations from the domain modules, decorated once into the
//! list clients see. The registry never names a domain; `domains::DOMAINS` is the table.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::Api;
use crate::envelope;
use crate::error::ApiError;
use crate::schema;

/// The suffix every Enterprise-gated tool's description ends with.
pub const ENTERPRISE_SUFFIX: &str =
    "Enterprise-gated. Returns 403 on non-Enterprise Portkey plans.";

pub type BoxFuture = Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send>>;
pub type Handler = Arc<dyn Fn(Api, Value) -> BoxFuture + Send + Sync>;

/// One domain: its name and the function that declares its tools.
pub type Domain = (&'static str, fn() -> Vec<ToolDef>);

/// The four MCP behaviour hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

impl Hints {
    /// Hints inferred from the name's verb.
    pub fn infer(name: &str) -> Hints {
        let verb = name.split('_').next().unwrap_or("");
        let safe_read = matches!(verb, "get" | "list" | "validate" | "render" | "download");
        let unsafe_read = matches!(verb, "run" | "test");
        Hints {
            read_only: safe_read || unsafe_read,
            destructive: matches!(verb, "delete" | "remove" | "cancel" | "reset"),
            idempotent: safe_read,
            open_world: true,
        }
    }
}

/// A tool as a domain module declares it.
pub struct ToolDef {
    pub name: &'static str,
    pub domain: &'static str,
    pub description: String,
    pub input_schema: Map<String, Value>,
    pub gated: bool,
    /// `METHOD /path` lines for ENDPOINTS.md (`{v2}` marks the /v2 base).
    pub endpoints: Vec<&'static str>,
    overrides: [Option<bool>; 4],
    pub handler: Handler,
}

impl std::fmt::Debug for ToolDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolDef")
            .field("name", &self.name)
            .field("domain", &self.domain)
            .finish()
    }
}

/// An argument-validation failure from inside a handler; the wrapper adds the tool's name.
pub fn bad(message: impl Into<String>) -> ApiError {
    ApiError::InvalidArguments {
        tool: String::new(),
        message: message.into(),
    }
}

/// Declares a tool whose arguments deserialize into `I`.
pub fn tool<I, F, Fut>(name: &'static str, description: &'static str, f: F) -> ToolDef
where
    I: DeserializeOwned + JsonSchema + Send + 'static,
    F: Fn(Api, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, ApiError>> + Send + 'static,
{
    let f = Arc::new(f);
    let handler: Handler = Arc::new(move |api: Api, args: Value| -> BoxFuture {
        match serde_json::from_value::<I>(args) {
            Ok(input) => Box::pin(f(api, input)),
            Err(e) => {
                let msg = e.to_string();
                Box::pin(async move { Err(bad(msg)) })
            }
        }
    });
    ToolDef {
        name,
        domain: "",
        description: description.to_string(),
        input_schema: schema::input_schema::<I>(),
        gated: false,
        endpoints: Vec::new(),
        overrides: [None; 4],
        handler,
    }
}

impl ToolDef {
    /// Marks the tool as needing an Enterprise plan.
    pub fn gated(mut self) -> Self {
        self.gated = true;
        self
    }
    /// Records a `METHOD /path` the tool calls (for ENDPOINTS.md).
    pub fn endpoint(mut self, e: &'static str) -> Self {
        self.endpoints.push(e);
        self
    }
    pub fn read_only(mut self, v: bool) -> Self {
        self.overrides[0] = Some(v);
        self
    }
    pub fn destructive(mut self, v: bool) -> Self {
        self.overrides[1] = Some(v);
        self
    }
    pub fn idempotent(mut self, v: bool) -> Self {
        self.overrides[2] = Some(v);
        self
    }
    pub fn open_world(mut self, v: bool) -> Self {
        self.overrides[3] = Some(v);
        self
    }

    /// The tool's final hints: inferred, then the explicit overrides.
    pub fn hints(&self) -> Hints {
        let mut h = Hints::infer(self.name);
        let [r, d, i, o] = self.overrides;
        h.read_only = r.unwrap_or(h.read_only);
        h.destructive = d.unwrap_or(h.destructive);
        h.idempotent = i.unwrap_or(h.idempotent);
        h.open_world = o.unwrap_or(h.open_world);
        h
    }

    /// The description clients see, with the Enterprise suffix where it applies.
    pub fn full_description(&self) -> String {
        if self.gated {
            format!("{} {ENTERPRISE_SUFFIX}", self.description.trim_end())
        } else {
            self.description.clone()
        }
    }

    /// The decorated MCP tool entry.
    pub fn to_mcp(&self) -> rmcp::model::Tool {
        let h = self.hints();
        let annotations = rmcp::model::ToolAnnotations::new()
            .read_only(h.read_only)
            .destructive(h.destructive)
            .idempotent(h.idempotent)
            .open_world(h.open_world);
        rmcp::model::Tool::new(
            self.name,
            self.full_description(),
            Arc::new(self.input_schema.clone()),
        )
        .with_raw_output_schema(Arc::new(envelope::output_schema()))
        .with_annotations(annotations)
    }
}

/// Which tools a server instance exposes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Domains to include; empty means all (unless `tools` is given alone).
    pub domains: Vec<String>,
}

/// The built table: every enabled tool, its MCP entry, and a name index.
pub struct Registry {
    tools: Vec<Arc<ToolDef>>,
    listed: Arc<Vec<rmcp::model::Tool>>,
    index: HashMap<&'static str, usize>,
}

impl Registry {
    /// Builds the registry over a domain table, keeping only the selected domains.
    pub fn build(domains: &[Domain], selection: &Selection) -> Registry {
        let mut tools = Vec::new();
        for (domain, declare) in domains {
            if !selection.domains.is_empty() && !selection.domains.iter().any(|d| d == domain) {
                continue;
            }
            for mut def in declare() {
                def.domain = domain;
                tools.push(Arc::new(def));
            }
        }
        Self::from_defs(tools)
    }

    fn from_defs(tools: Vec<Arc<ToolDef>>) -> Registry {
        let index = tools.iter().enumerate().map(|(i, t)| (t.name, i)).collect();
        let listed = Arc::new(tools.iter().map(|t| t.to_mcp()).collect());
        Registry {
            tools,
            listed,
            index,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<ToolDef>> {
        self.index.get(name).and_then(|i| self.tools.get(*i))
    }

    pub fn tools(&self) -> &[Arc<ToolDef>] {
        &self.tools
    }

    /// The decorated tool list, built once.
    pub fn listed(&self) -> Arc<Vec<rmcp::model::Tool>> {
        self.listed.clone()
    }

    /// Runs one tool: argument check, handler, error naming. Never panics, never sends on bad input.
    pub async fn invoke(&self, def: &ToolDef, api: Api, args: Value) -> Result<Value, ApiError> {
        if !api.client().has_key() {
            return Err(ApiError::MissingApiKey);
        }
        if let Err(msg) = schema::check_args(&def.input_schema, &args) {
            return Err(ApiError::invalid(def.name, msg));
        }
        match (def.handler)(api, args).await {
            Err(ApiError::InvalidArguments { tool, message }) if tool.is_empty() => {
                Err(ApiError::invalid(def.name, message))
            }
            other => other,
        }
    }
}

/// Names of the domains in a table, in order.
pub fn domain_names(domains: &[Domain]) -> Vec<&'static str> {
    domains.iter().map(|(n, _)| *n).collect()
}
