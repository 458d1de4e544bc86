//! The workspace pin (`PORTKEY_WORKSPACE_ID`): which arguments name a workspace and how each one is
//! filled or checked, the schema decoration that tells clients so, and the single lookup that learns
//! the form of the workspace (id or slug) the user did not configure.
//!
//! Every tool's rules are its own declarations (`ToolDef::workspace_param`) plus one default: a
//! top-level `workspace_id` or `workspace_slug` it did not declare scopes the call and is filled.
//! Tools that act on the organisation as a whole carry `flags.org_wide` and are hidden by the
//! registry under a pin; nothing here runs for them.

use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use crate::client::{Api, enc};
use crate::error::ApiError;
use crate::registry::ToolDef;

/// The form of the pinned workspace a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The value as configured, id or slug (the API takes either).
    Given,
    /// The slug (the analytics filters take nothing else).
    Slug,
}

/// When a parameter that can reach past one workspace is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widens {
    /// When it is `true` (`allow_all_workspaces`).
    WhenTrue,
    /// Whenever it is given, whatever the value (`global_credit_limit`).
    WhenGiven,
    /// Unless it is one of these strings (`type`: only `workspace`).
    Unless(&'static [&'static str]),
}

/// How the pin treats one parameter, found by its path (`workspace_id`, `workspaces[].id`,
/// `allowed_workspaces[]`; `[]` steps into array items, `*` into every value of an object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Scopes the call to a workspace: left out, it is filled with the pin (top-level values and
    /// arrays only); naming another workspace is refused.
    Fill(Form),
    /// Names workspaces the call touches: any but the pinned one is refused; never filled.
    Match,
    /// Can reach past the pinned workspace (every workspace, the organisation): refused as told.
    Refuse(Widens),
    /// Names no workspace itself and applies only inside the workspaces named at the given path,
    /// which is checked (an API key created in the workspaces an invite names).
    Within(&'static str),
}

/// The pin as configured, and both forms once looked up (at most once per process).
#[derive(Debug)]
pub struct Pin {
    configured: String,
    resolved: OnceCell<ResolvedPin>,
}

/// What is known of the pinned workspace: the configured value and whichever of its id and slug
/// are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPin {
    configured: String,
    id: Option<String>,
    slug: Option<String>,
}

/// Portkey workspace ids are UUIDs; anything else configured is taken for a slug.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn same(a: &str, b: &str) -> bool {
    if is_uuid(a) && is_uuid(b) {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

impl ResolvedPin {
    /// Only what was configured: a UUID is the id, anything else the slug.
    pub fn configured(value: &str) -> ResolvedPin {
        let v = Some(value.to_string());
        let (id, slug) = if is_uuid(value) { (v, None) } else { (None, v) };
        ResolvedPin {
            configured: value.to_string(),
            id,
            slug,
        }
    }

    /// Both forms known.
    pub fn both(configured: &str, id: &str, slug: &str) -> ResolvedPin {
        ResolvedPin {
            configured: configured.to_string(),
            id: Some(id.to_string()),
            slug: Some(slug.to_string()),
        }
    }

    pub fn value(&self) -> &str {
        &self.configured
    }
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    pub fn slug(&self) -> Option<&str> {
        self.slug.as_deref()
    }

    fn form(&self, form: Form) -> Option<&str> {
        match form {
            Form::Given => Some(&self.configured),
            Form::Slug => self.slug(),
        }
    }

    /// Whether `v` names the pinned workspace; `None` when that needs the form not yet known.
    fn names(&self, v: &str) -> Option<bool> {
        let known = [Some(self.configured.as_str()), self.id(), self.slug()];
        if known.iter().flatten().any(|k| same(k, v)) {
            return Some(true);
        }
        if is_uuid(v) == is_uuid(&self.configured) || (self.id.is_some() && self.slug.is_some()) {
            return Some(false);
        }
        None
    }
}

impl Pin {
    pub fn new(configured: &str) -> Pin {
        Pin {
            configured: configured.trim().to_string(),
            resolved: OnceCell::new(),
        }
    }

    pub fn value(&self) -> &str {
        &self.configured
    }

    /// What is known now: both forms once looked up, else only the configured one.
    pub fn current(&self) -> ResolvedPin {
        self.resolved
            .get()
            .cloned()
            .unwrap_or_else(|| ResolvedPin::configured(&self.configured))
    }

    /// Looks the workspace up once (`GET /admin/workspaces/{id-or-slug}`) and keeps both forms; a
    /// failure is not kept, so the next call tries again.
    pub async fn resolve(&self, api: &Api) -> Result<ResolvedPin, ApiError> {
        self.resolved
            .get_or_try_init(|| lookup(api, &self.configured))
            .await
            .cloned()
    }
}

async fn lookup(api: &Api, configured: &str) -> Result<ResolvedPin, ApiError> {
    let v = api
        .get(format!("/admin/workspaces/{}", enc(configured)))
        .await?;
    let record = v
        .get("data")
        .filter(|d| d.is_object() && v.get("id").is_none())
        .unwrap_or(&v);
    let field = |k: &str| {
        record
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    match (field("id"), field("slug")) {
        (Some(id), Some(slug)) if same(id, configured) || same(slug, configured) => {
            Ok(ResolvedPin::both(configured, id, slug))
        }
        _ => Err(ApiError::Other(format!(
            "Portkey's answer for workspace {configured} did not carry an id and slug matching it."
        ))),
    }
}

/// Before a pinned call: looks the pinned workspace up when, and only when, the call needs the form
/// not configured (a slug for analytics, or to tell whether a value in the other form names the pin).
/// Calls refused for other reasons (no key, a widening flag, a workspace that is plainly another)
/// send nothing.
pub async fn ready(
    pin: Option<&Pin>,
    def: &ToolDef,
    args: &Value,
    api: &Api,
) -> Result<(), ApiError> {
    let Some(pin) = pin else { return Ok(()) };
    if def.flags.org_wide || !api.has_key() {
        return Ok(());
    }
    let mut probe = args.clone();
    if !matches!(
        check(def, &mut probe, &pin.current()),
        Err(Outcome::Unresolved)
    ) {
        return Ok(());
    }
    match pin.resolve(api).await {
        Ok(_) => Ok(()),
        Err(e) => Err(ApiError::Other(format!(
            "`{}` needs the id and slug of the pinned workspace, and looking up PORTKEY_WORKSPACE_ID={} failed: {e} Check that PORTKEY_WORKSPACE_ID names an existing workspace (its id or its slug) and that the API key may read it. Nothing else was sent.",
            def.name, pin.configured
        ))),
    }
}

/// Applies the pin to one call's arguments: fills what is left out, refuses what names another
/// workspace or reaches past it. Pure: `pin` says what is known of the workspace.
pub fn apply(def: &ToolDef, args: &mut Value, pin: &ResolvedPin) -> Result<(), ApiError> {
    match check(def, args, pin) {
        Ok(()) => Ok(()),
        Err(Outcome::Refused(e)) => Err(e),
        Err(Outcome::Unresolved) => Err(ApiError::Other(format!(
            "`{}` needs the id and slug of the pinned workspace {} (PORTKEY_WORKSPACE_ID), which have not been looked up. Nothing was sent.",
            def.name, pin.configured
        ))),
    }
}

/// The rules that hold for a tool: its declarations, then the default for a top-level
/// `workspace_id` or `workspace_slug` it did not declare.
pub fn rules(def: &ToolDef) -> Vec<(&'static str, Rule)> {
    let mut out = def.workspace_params.clone();
    let schema = def.peek_input_schema();
    let props = schema.get("properties").and_then(Value::as_object);
    for (name, array_path, form) in [
        ("workspace_id", "workspace_id[]", Form::Given),
        ("workspace_slug", "workspace_slug[]", Form::Slug),
    ] {
        let Some(prop) = props.and_then(|p| p.get(name)) else {
            continue;
        };
        if out.iter().any(|(p, _)| *p == name || *p == array_path) {
            continue;
        }
        let is_array = prop.get("type").and_then(Value::as_str) == Some("array");
        out.push((if is_array { array_path } else { name }, Rule::Fill(form)));
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Items,
    Values,
}

fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for seg in path.split('.') {
        if seg == "*" {
            out.push(Step::Values);
        } else if let Some(key) = seg.strip_suffix("[]") {
            out.push(Step::Key(key.to_string()));
            out.push(Step::Items);
        } else {
            out.push(Step::Key(seg.to_string()));
        }
    }
    out
}

/// The sub-schema a rule's path points at, if the schema has one there.
pub fn schema_at<'a>(schema: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let steps = steps(path);
    let (first, rest) = steps.split_first()?;
    let Step::Key(k) = first else { return None };
    let mut at = schema.get("properties")?.get(k.as_str())?;
    for step in rest {
        at = match step {
            Step::Key(k) => at.get("properties")?.get(k.as_str())?,
            Step::Items => at.get("items")?,
            Step::Values => at.get("additionalProperties")?,
        };
    }
    Some(at)
}

fn schema_at_mut<'a>(schema: &'a mut Map<String, Value>, path: &str) -> Option<&'a mut Value> {
    let steps = steps(path);
    let (first, rest) = steps.split_first()?;
    let Step::Key(k) = first else { return None };
    let mut at = schema.get_mut("properties")?.get_mut(k.as_str())?;
    for step in rest {
        at = match step {
            Step::Key(k) => at.get_mut("properties")?.get_mut(k.as_str())?,
            Step::Items => at.get_mut("items")?,
            Step::Values => at.get_mut("additionalProperties")?,
        };
    }
    Some(at)
}

/// Whether a fill rule may sit at this path: a top-level value or a top-level array of values.
pub fn fillable(path: &str) -> bool {
    matches!(
        steps(path).as_slice(),
        [Step::Key(_)] | [Step::Key(_), Step::Items]
    )
}

enum Outcome {
    Refused(ApiError),
    /// The call needs a form of the workspace not known yet.
    Unresolved,
}

/// Calls `f` on every value present at `steps` under `v` (nulls skipped).
fn each_mut(
    v: &mut Value,
    steps: &[Step],
    f: &mut dyn FnMut(&mut Value) -> Result<(), Outcome>,
) -> Result<(), Outcome> {
    let Some((step, rest)) = steps.split_first() else {
        return if v.is_null() { Ok(()) } else { f(v) };
    };
    match (step, v) {
        (Step::Key(k), Value::Object(m)) => match m.get_mut(k.as_str()) {
            Some(child) => each_mut(child, rest, f),
            None => Ok(()),
        },
        (Step::Items, Value::Array(items)) => {
            items.iter_mut().try_for_each(|x| each_mut(x, rest, f))
        }
        (Step::Values, Value::Object(m)) => m.values_mut().try_for_each(|x| each_mut(x, rest, f)),
        _ => Ok(()),
    }
}

fn refused(def: &ToolDef, pin: &ResolvedPin, why: String) -> Outcome {
    Outcome::Refused(ApiError::Refused(format!(
        "This server is pinned to workspace {} (PORTKEY_WORKSPACE_ID); `{}` was refused because {why} Nothing was sent.",
        pin.configured, def.name
    )))
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.chars().take(80).collect(),
        other => other.to_string().chars().take(80).collect(),
    }
}

fn check(def: &ToolDef, args: &mut Value, pin: &ResolvedPin) -> Result<(), Outcome> {
    if !args.is_object() {
        return Ok(());
    }
    let mut unresolved = false;
    for (path, rule) in rules(def) {
        let steps = steps(path);
        if let (Rule::Fill(form), Value::Object(map)) = (rule, &mut *args)
            && let [Step::Key(k), tail @ ..] = steps.as_slice()
            && map.get(k.as_str()).is_none_or(Value::is_null)
        {
            match pin.form(form) {
                Some(v) if tail.is_empty() => {
                    map.insert(k.clone(), Value::String(v.to_string()));
                }
                Some(v) if tail == [Step::Items] => {
                    map.insert(k.clone(), Value::Array(vec![Value::String(v.to_string())]));
                }
                Some(_) => {}
                None => unresolved = true,
            }
        }
        let mut leaf = |v: &mut Value| -> Result<(), Outcome> {
            match rule {
                Rule::Fill(_) | Rule::Match => {
                    let Value::String(s) = v else {
                        return Err(refused(
                            def,
                            pin,
                            format!("`{path}` must be a workspace id or slug, not {}.", show(v)),
                        ));
                    };
                    match pin.names(s) {
                        Some(true) => {
                            // The analytics filters take the slug only: the pin's id becomes its slug.
                            if let Rule::Fill(Form::Slug) = rule {
                                match pin.slug() {
                                    Some(slug) => *s = slug.to_string(),
                                    None => unresolved = true,
                                }
                            }
                            Ok(())
                        }
                        Some(false) => {
                            let fix = match rule {
                                Rule::Fill(_) => {
                                    format!("Leave `{path}` out or use {}.", pin.configured)
                                }
                                _ => format!("Name only {} there.", pin.configured),
                            };
                            Err(refused(
                                def,
                                pin,
                                format!("`{path}` names workspace {}. {fix}", show(v)),
                            ))
                        }
                        None => {
                            unresolved = true;
                            Ok(())
                        }
                    }
                }
                Rule::Refuse(w) => {
                    let (hit, fix) = match w {
                        Widens::WhenTrue => (
                            v == &Value::Bool(true),
                            "Leave it out or set it to false.".to_string(),
                        ),
                        Widens::WhenGiven => (true, "Leave it out.".to_string()),
                        Widens::Unless(ok) => (
                            v.as_str().is_none_or(|s| !ok.contains(&s)),
                            format!("Use {}.", ok.join(" or ")),
                        ),
                    };
                    if hit {
                        Err(refused(
                            def,
                            pin,
                            format!("`{path}` = {} reaches past that workspace. {fix}", show(v)),
                        ))
                    } else {
                        Ok(())
                    }
                }
                Rule::Within(_) => Ok(()),
            }
        };
        each_mut(args, &steps, &mut leaf)?;
    }
    if unresolved {
        Err(Outcome::Unresolved)
    } else {
        Ok(())
    }
}

/// Describes every pinned parameter in a tool's schema: filled ones as pinned and no longer
/// required, checked ones as taking only the pinned workspace, widening ones as refused.
pub fn pin_schema(def: &mut ToolDef, ws: &str) {
    let rules = rules(def);
    if rules.is_empty() {
        return;
    }
    def.edit_input_schema(|schema| pin_schema_map(schema, rules, ws));
}

fn pin_schema_map(schema: &mut Map<String, Value>, rules: Vec<(&'static str, Rule)>, ws: &str) {
    for (path, rule) in rules {
        let Some(Value::Object(prop)) = schema_at_mut(schema, path) else {
            continue;
        };
        let orig = prop
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim_end_matches('.')
            .to_string();
        let text = match rule {
            Rule::Fill(Form::Slug) if is_uuid(ws) => format!(
                "Pinned by the server to the slug of workspace {ws} (PORTKEY_WORKSPACE_ID); leave it out"
            ),
            Rule::Fill(_) if path.ends_with("[]") => {
                format!("Pinned to [{ws}] by the server (PORTKEY_WORKSPACE_ID); leave it out")
            }
            Rule::Fill(_) => {
                format!("Pinned to {ws} by the server (PORTKEY_WORKSPACE_ID); leave it out")
            }
            Rule::Match => format!("{orig}; only the pinned workspace {ws} is accepted"),
            Rule::Refuse(Widens::WhenTrue) => {
                format!("{orig}; true is refused (pinned to workspace {ws})")
            }
            Rule::Refuse(Widens::WhenGiven) => {
                format!("{orig}; refused while pinned to workspace {ws}")
            }
            Rule::Refuse(Widens::Unless(ok)) => {
                if let Some(Value::Array(values)) = prop.get_mut("enum") {
                    values.retain(|v| v.as_str().is_some_and(|s| ok.contains(&s)));
                }
                format!(
                    "{orig}; only {} while pinned to workspace {ws}",
                    ok.join(" or ")
                )
            }
            Rule::Within(_) => continue,
        };
        prop.insert("description".into(), Value::String(text));
        if let (Rule::Fill(_), [Step::Key(k), ..]) = (rule, steps(path).as_slice())
            && let Some(Value::Array(req)) = schema.get_mut("required")
        {
            req.retain(|r| r.as_str() != Some(k.as_str()));
            if req.is_empty() {
                schema.remove("required");
            }
        }
    }
}

/// The sentence the server's instructions carry under a pin.
pub fn instructions(ws: &str) -> String {
    format!(
        " This server is pinned to workspace {ws} (PORTKEY_WORKSPACE_ID): leave workspace_id and workspace_slug out and the server fills them in; a call naming another workspace, or reaching every workspace or the whole organisation, is refused, and organisation-wide tools are not available."
    )
}
