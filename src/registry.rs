//! The tool table: typed declarations from the domain modules, decorated once into the
//! list clients see. The registry never names a domain; `domains::DOMAINS` is the table.

mod schemas;

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::Api;
use crate::envelope;
use crate::error::ApiError;
use crate::pin;
#[cfg(test)]
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
    /// The input schema: see [`ToolDef::input_schema`].
    schema: SchemaSlot,
    /// Generates the input schema from the input type, for the test that keeps [`schemas`]
    /// current; the server itself only reads the table.
    #[cfg(test)]
    generate: fn() -> Map<String, Value>,
    pub gated: bool,
    /// `METHOD /path` lines for ENDPOINTS.md (`{v2}` marks the /v2 base).
    pub endpoints: Vec<&'static str>,
    overrides: [Option<bool>; 4],
    /// Facts the call pipeline acts on; set by the domain that declares the tool.
    pub flags: Flags,
    /// Where the tool's arguments name workspaces, and how the workspace pin treats each
    /// (`pin::rules` adds the default for a top-level `workspace_id` / `workspace_slug`).
    pub workspace_params: Vec<(&'static str, pin::Rule)>,
    pub handler: Handler,
}

/// Per-tool facts the call pipeline needs beyond the MCP hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// The tool calls the admin API and so needs `PORTKEY_API_KEY` (false for local checks and the
    /// key-less public catalog).
    pub needs_key: bool,
    /// The result carries a new secret the user asked for (a new API key): it is not redacted.
    pub returns_new_secret: bool,
    /// A call can take access away (workspaces, users, capabilities): confirmed like a delete.
    pub revokes_access: bool,
    /// The tool acts on the whole organisation, beyond any one workspace: disabled under a pin.
    pub org_wide: bool,
    /// The result carries text written by end users or models (logs, templates, completions):
    /// it is fenced off as untrusted data.
    pub untrusted_output: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            needs_key: true,
            returns_new_secret: false,
            revokes_access: false,
            org_wide: false,
            untrusted_output: false,
        }
    }
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
        match serde_path_to_error::deserialize::<_, I>(args) {
            Ok(input) => Box::pin(f(api, input)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner().to_string();
                let msg = if path.is_empty() || path == "." {
                    inner
                } else {
                    format!("`{path}`: {inner}")
                };
                Box::pin(async move { Err(bad(msg)) })
            }
        }
    });
    ToolDef {
        name,
        domain: "",
        description: description.to_string(),
        schema: SchemaSlot::precomputed(name),
        #[cfg(test)]
        generate: schema::input_schema::<I>,
        gated: false,
        endpoints: Vec::new(),
        overrides: [None; 4],
        flags: Flags::default(),
        workspace_params: Vec::new(),
        handler,
    }
}

/// A tool's input schema, held as compact JSON text: the generated table's ([`schemas`]), or the
/// registry's edit of it (the workspace pin). Parsed where a map is needed: once for a tool that
/// is called (then kept, for argument checks), and for each `tools/list` (then dropped).
struct SchemaSlot {
    /// The text; `None` when the generated table has no entry for the tool, which
    /// [`Registry::build`] refuses.
    text: Option<Cow<'static, str>>,
    /// The map kept for argument checks once the tool has been called.
    called: OnceLock<Arc<Map<String, Value>>>,
}

impl SchemaSlot {
    fn precomputed(name: &str) -> SchemaSlot {
        SchemaSlot {
            text: lookup_schema(name).map(Cow::Borrowed),
            called: OnceLock::new(),
        }
    }

    /// A fresh map from the text. The table's texts are checked by the test that generates
    /// them, so a parse failure (or a missing text, refused at registry build) cannot reach a
    /// served tool; it would read as an empty schema.
    fn parse(&self) -> Arc<Map<String, Value>> {
        let text = self.text.as_deref().unwrap_or("{}");
        Arc::new(serde_json::from_str(text).unwrap_or_default())
    }

    /// The map, for a call: kept once parsed.
    fn get(&self) -> Arc<Map<String, Value>> {
        self.called.get_or_init(|| self.parse()).clone()
    }

    /// The map if it is held, else a fresh parse that is not kept (for a listing).
    fn get_transient(&self) -> Arc<Map<String, Value>> {
        match self.called.get() {
            Some(m) => m.clone(),
            None => self.parse(),
        }
    }
}

impl ToolDef {
    /// The tool's input schema (the flat JSON Schema clients see).
    pub fn input_schema(&self) -> Arc<Map<String, Value>> {
        self.schema.get()
    }

    /// The input schema, without keeping a parse of it for later (for a look while the registry
    /// is built; a tool already called answers from its kept map).
    pub fn peek_input_schema(&self) -> Arc<Map<String, Value>> {
        self.schema.get_transient()
    }

    /// Changes the input schema while the registry is being built (the workspace pin): the
    /// edited schema is kept as text like the others, and nothing parsed before is kept.
    pub fn edit_input_schema(&mut self, edit: impl FnOnce(&mut Map<String, Value>)) {
        let mut map = Arc::unwrap_or_clone(self.schema.get_transient());
        edit(&mut map);
        let text = Value::Object(map).to_string();
        self.schema = SchemaSlot {
            text: Some(Cow::Owned(text)),
            called: OnceLock::new(),
        };
    }

    /// True when the generated table has this tool's input schema (see [`schemas`]).
    pub fn has_input_schema(&self) -> bool {
        self.schema.text.is_some()
    }

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
    /// Marks the tool as sending nothing that needs the API key.
    pub fn no_key(mut self) -> Self {
        self.flags.needs_key = false;
        self
    }
    /// Marks the tool's result as carrying a new secret on purpose.
    pub fn returns_new_secret(mut self) -> Self {
        self.flags.returns_new_secret = true;
        self
    }
    /// Marks the tool as able to revoke access.
    pub fn revokes_access(mut self) -> Self {
        self.flags.revokes_access = true;
        self
    }
    /// Marks the tool's result as carrying text from end users or models.
    pub fn untrusted_output(mut self) -> Self {
        self.flags.untrusted_output = true;
        self
    }
    /// Marks the tool as acting on the organisation as a whole.
    pub fn org_wide(mut self) -> Self {
        self.flags.org_wide = true;
        self
    }
    /// Declares how the workspace pin treats the parameter at `path` (`workspaces[].id`).
    pub fn workspace_param(mut self, path: &'static str, rule: pin::Rule) -> Self {
        self.workspace_params.push((path, rule));
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
        self.to_mcp_sharing(&Arc::new(envelope::output_schema()))
    }

    /// The decorated MCP tool entry, pointing at this tool's schema and at `output_schema`
    /// (one copy for the whole list) rather than copies of them.
    fn to_mcp_sharing(&self, output_schema: &Arc<Map<String, Value>>) -> rmcp::model::Tool {
        let h = self.hints();
        let annotations = rmcp::model::ToolAnnotations::new()
            .read_only(h.read_only)
            .destructive(h.destructive)
            .idempotent(h.idempotent)
            .open_world(h.open_world);
        rmcp::model::Tool::new(
            self.name,
            self.full_description(),
            self.schema.get_transient(),
        )
        .with_raw_output_schema(output_schema.clone())
        .with_annotations(annotations)
    }
}

/// Which tools a server instance exposes, and the policies applied to calls.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Domains to include; empty means all (unless `tools` is given alone).
    pub domains: Vec<String>,
    /// Tools added by name (`PORTKEY_TOOLS`).
    pub tools: Vec<String>,
    /// Tools removed by name (`PORTKEY_EXCLUDE_TOOLS`).
    pub exclude: Vec<String>,
    /// Only read-only tools (`PORTKEY_READ_ONLY`).
    pub read_only: bool,
    /// The workspace the server is pinned to (`PORTKEY_WORKSPACE_ID`); see `pin`.
    pub workspace_pin: Option<String>,
    /// Tools the API key cannot use, with why (`PORTKEY_HIDE_UNAVAILABLE`, see `doctor`).
    pub unavailable: HashMap<String, String>,
}

/// Why a known tool is not callable on this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    Domain,
    NotAllowed,
    Excluded,
    ReadOnly,
    Pinned,
}

impl Hidden {
    fn reason(self) -> &'static str {
        match self {
            Hidden::Domain => "its domain is not enabled (PORTKEY_TOOL_DOMAINS)",
            Hidden::NotAllowed => "it is not in the allow list (PORTKEY_TOOLS)",
            Hidden::Excluded => "it is excluded (PORTKEY_EXCLUDE_TOOLS)",
            Hidden::ReadOnly => {
                "the server is read-only (PORTKEY_READ_ONLY) and this tool changes data"
            }
            Hidden::Pinned => {
                "it acts on the whole organisation and this server is pinned to one workspace (PORTKEY_WORKSPACE_ID)"
            }
        }
    }
}

/// The built table: every enabled tool, its MCP entry, and a name index.
pub struct Registry {
    tools: Vec<Arc<ToolDef>>,
    /// The envelope's output schema, one copy for every listed tool.
    output_schema: Arc<Map<String, Value>>,
    index: HashMap<&'static str, usize>,
    hidden: HashMap<&'static str, Hidden>,
    unavailable: HashMap<&'static str, String>,
    pin: Option<pin::Pin>,
    read_only: bool,
}

impl Registry {
    /// Builds the registry over a domain table, applying the selection. Unknown tool names are an error
    /// naming them.
    pub fn build(domains: &[Domain], selection: &Selection) -> Result<Registry, String> {
        let all = declare_all(domains);
        if let Some(def) = all.iter().find(|t| !t.has_input_schema()) {
            return Err(format!(
                "tool \"{}\" has no input schema in the generated table (src/registry/schemas.rs); run `UPDATE_SCHEMAS=1 cargo test --lib schemas` to regenerate it",
                def.name
            ));
        }
        for name in selection.tools.iter().chain(selection.exclude.iter()) {
            if !all.iter().any(|t| t.name == name) {
                return Err(format!(
                    "unknown tool \"{name}\" in PORTKEY_TOOLS / PORTKEY_EXCLUDE_TOOLS; run `portkey-admin-mcp tools` to see every tool name"
                ));
            }
        }
        let domains_given = !selection.domains.is_empty();
        let tools_given = !selection.tools.is_empty();
        let mut tools = Vec::new();
        let mut hidden = HashMap::new();
        let mut unavailable = HashMap::new();
        for mut def in all {
            let in_domain = if domains_given {
                selection.domains.iter().any(|d| d == def.domain)
            } else {
                !tools_given
            };
            let allowed = selection.tools.iter().any(|t| t == def.name);
            let verdict = if selection.read_only && !def.hints().read_only {
                Some(Hidden::ReadOnly)
            } else if selection.exclude.iter().any(|t| t == def.name) {
                Some(Hidden::Excluded)
            } else if in_domain || allowed {
                (selection.workspace_pin.is_some() && def.flags.org_wide).then_some(Hidden::Pinned)
            } else if tools_given && !domains_given {
                Some(Hidden::NotAllowed)
            } else {
                Some(Hidden::Domain)
            };
            if verdict.is_none()
                && let Some(why) = selection.unavailable.get(def.name)
            {
                unavailable.insert(def.name, why.clone());
                continue;
            }
            match verdict {
                Some(h) => {
                    hidden.insert(def.name, h);
                }
                None => {
                    if let Some(ws) = &selection.workspace_pin {
                        pin::pin_schema(&mut def, ws);
                    }
                    tools.push(Arc::new(def));
                }
            }
        }
        let index = tools.iter().enumerate().map(|(i, t)| (t.name, i)).collect();
        Ok(Registry {
            tools,
            output_schema: Arc::new(envelope::output_schema()),
            index,
            unavailable,
            hidden,
            pin: selection.workspace_pin.as_deref().map(pin::Pin::new),
            read_only: selection.read_only,
        })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<ToolDef>> {
        self.index.get(name).and_then(|i| self.tools.get(*i))
    }

    /// Why a known tool is not callable here, if it is hidden.
    pub fn hidden_reason(&self, name: &str) -> Option<String> {
        self.hidden
            .get(name)
            .map(|h| h.reason().to_string())
            .or_else(|| self.unavailable.get(name).cloned())
    }

    /// How many tools are left out because the API key cannot use them.
    pub fn unavailable_count(&self) -> usize {
        self.unavailable.len()
    }

    pub fn tools(&self) -> &[Arc<ToolDef>] {
        &self.tools
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn workspace_pin(&self) -> Option<&str> {
        self.pin.as_ref().map(pin::Pin::value)
    }

    /// The workspace pin, when one is configured.
    pub fn pin(&self) -> Option<&pin::Pin> {
        self.pin.as_ref()
    }

    /// The decorated tool list, built for each `tools/list` (parsed from the schemas' text) and
    /// dropped once it is sent: an idle server does not hold the list.
    pub fn listed(&self) -> Vec<rmcp::model::Tool> {
        self.tools
            .iter()
            .map(|t| t.to_mcp_sharing(&self.output_schema))
            .collect()
    }
}

/// Runs every domain's declarations and returns the tools in table order, each with its domain.
fn declare_all(domains: &[Domain]) -> Vec<ToolDef> {
    domains
        .iter()
        .flat_map(|(domain, f)| {
            f().into_iter().map(move |mut def| {
                def.domain = domain;
                def
            })
        })
        .collect()
}

/// A tool's input schema from the generated table (sorted by name), as compact JSON text.
fn lookup_schema(name: &str) -> Option<&'static str> {
    schemas::SCHEMAS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .and_then(|i| schemas::SCHEMAS.get(i))
        .map(|(_, text)| *text)
}

/// Names of the domains in a table, in order.
pub fn domain_names(domains: &[Domain]) -> Vec<&'static str> {
    domains.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const TABLE_PATH: &str = "src/registry/schemas.rs";
    const REGENERATE: &str = "UPDATE_SCHEMAS=1 cargo test --lib schemas";

    /// Every declared tool's schema, generated from its input type, sorted by tool name.
    fn generated() -> Vec<(&'static str, String)> {
        let mut rows: Vec<(&'static str, String)> = declare_all(crate::domains::DOMAINS)
            .iter()
            .map(|def| (def.name, Value::Object((def.generate)()).to_string()))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        rows
    }

    /// A raw string literal holding `text`, with enough `#`s that nothing inside ends it.
    fn raw_literal(text: &str) -> String {
        let mut hashes = String::from("#");
        while text.contains(&format!("\"{hashes}")) {
            hashes.push('#');
        }
        format!("r{hashes}\"{text}\"{hashes}")
    }

    /// The generated file's text.
    fn render(rows: &[(&str, String)]) -> String {
        let mut out = format!(
            "// @generated by `{REGENERATE}` from the domains' input types (their\n\
             // `JsonSchema` derives, flattened by `schema::input_schema`). Do not edit by hand: change\n\
             // the input type and run the command again. The test that writes this file fails while\n\
             // it differs from what the input types generate, or while a tool is missing.\n\
             \n\
             //! Every tool's input schema as compact JSON text, sorted by tool name, so that start-up\n\
             //! reads schemas instead of generating them.\n\
             \n\
             /// (tool name, input schema), sorted by tool name; {} tools.\n\
             #[rustfmt::skip]\n\
             pub(super) static SCHEMAS: &[(&str, &str)] = &[\n",
            rows.len()
        );
        for (name, text) in rows {
            out.push_str(&format!("({name:?}, {}),\n", raw_literal(text)));
        }
        out.push_str("];\n");
        out
    }

    #[test]
    fn generated_schemas_are_current() {
        let rows = generated();
        for pair in rows.windows(2) {
            assert_ne!(pair[0].0, pair[1].0, "two tools are named {}", pair[0].0);
        }
        let want = render(&rows);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE_PATH);
        if std::env::var("UPDATE_SCHEMAS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &want).unwrap();
            return;
        }
        // Name what differs in the table compiled into this build, then compare the file itself.
        let stale: Vec<&str> = rows
            .iter()
            .filter(|(name, text)| lookup_schema(name) != Some(text.as_str()))
            .map(|(name, _)| *name)
            .chain(
                schemas::SCHEMAS
                    .iter()
                    .map(|(name, _)| *name)
                    .filter(|name| !rows.iter().any(|(n, _)| n == name)),
            )
            .collect();
        assert!(
            stale.is_empty(),
            "{TABLE_PATH} is out of date for {} tools ({}); run `{REGENERATE}` to regenerate it",
            stale.len(),
            stale.join(", ")
        );
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{TABLE_PATH} is not the file the generator writes; run `{REGENERATE}` to regenerate it"
        );
    }

    #[test]
    fn table_schemas_parse_to_the_generated_maps() {
        for def in declare_all(crate::domains::DOMAINS) {
            assert_eq!(
                *def.input_schema(),
                (def.generate)(),
                "{}: run `{REGENERATE}`",
                def.name
            );
        }
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct NoArgs {}

    fn unlisted() -> Vec<ToolDef> {
        vec![tool(
            "get_something_not_in_the_table",
            "A tool whose schema was never generated.",
            |_api, _args: NoArgs| async { Ok(Value::Null) },
        )]
    }

    #[test]
    fn a_tool_missing_from_the_table_stops_the_registry_build() {
        let domains: &[Domain] = &[("configs", crate::domains::configs::tools), ("x", unlisted)];
        let err = Registry::build(domains, &Selection::default())
            .err()
            .expect("a tool without a schema must not be served");
        assert!(
            err.contains("get_something_not_in_the_table") && err.contains(REGENERATE),
            "{err}"
        );
        // The same table without it builds, and every tool has its schema.
        let reg = Registry::build(&domains[..1], &Selection::default()).unwrap();
        assert!(!reg.tools().is_empty());
        assert!(reg.tools().iter().all(|t| t.has_input_schema()));
    }

    #[test]
    fn a_called_tools_schema_is_parsed_once_and_kept() {
        let reg = Registry::build(crate::domains::DOMAINS, &Selection::default()).unwrap();
        let t = reg.get("list_configs").unwrap();
        let peek = t.peek_input_schema();
        let a = t.input_schema();
        let b = t.input_schema();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&peek, &a), "a peek is not kept");
        assert_eq!(peek, a);
        // A listing after the call hands out the kept map; other tools are parsed afresh.
        let listed = reg.listed();
        let entry = listed.iter().find(|e| e.name == "list_configs").unwrap();
        assert!(Arc::ptr_eq(&entry.input_schema, &a));
    }
}
