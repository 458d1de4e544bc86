//! Flat, portable JSON Schemas from schemars types, and the check of arguments against them.
//!
//! Flat means: no `$schema`, `$defs`/`$ref`, `title`, numeric `format`s, `true` sub-schemas or
//! `["T","null"]` type arrays. Clients with strict schema handling accept every tool.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

const NUMERIC_FORMATS: &[&str] = &[
    "int8", "int16", "int32", "int64", "int128", "uint8", "uint16", "uint32", "uint64", "uint128",
    "uint", "int", "float", "double",
];

/// The flat input schema of `T`, an object schema with `properties`.
pub fn input_schema<T: JsonSchema>() -> Map<String, Value> {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let root = generator.into_root_schema_for::<T>();
    let mut value = root.to_value();
    flatten(&mut value);
    let mut map = match value {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    map.remove("description");
    map.remove("$defs");
    map.remove("definitions");
    map.insert("type".into(), Value::String("object".into()));
    if !map.contains_key("properties") {
        map.insert("properties".into(), Value::Object(Map::new()));
    }
    if matches!(map.get("required"), Some(Value::Array(a)) if a.is_empty()) {
        map.remove("required");
    }
    // Keep `type` and `properties` first for readability.
    let mut ordered = Map::new();
    for key in ["type", "properties", "required"] {
        if let Some(v) = map.remove(key) {
            ordered.insert(key.into(), v);
        }
    }
    ordered.extend(map);
    ordered
}

/// Rewrites a schemars schema in place into the flat dialect. Recursion follows only the
/// keywords that hold schemas, so property names and keyword values (`writeOnly: true`,
/// `additionalProperties: false`) are never mistaken for schemas.
pub fn flatten(v: &mut Value) {
    if v.is_boolean() {
        // A `true`/`false` sub-schema: `true` becomes the equivalent `{}`; `false` stays (it means "nothing").
        if v == &Value::Bool(true) {
            *v = Value::Object(Map::new());
        }
        return;
    }
    let Value::Object(m) = v else { return };
    m.remove("$schema");
    m.remove("title");
    if let Some(Value::String(f)) = m.get("format")
        && NUMERIC_FORMATS.contains(&f.as_str())
    {
        m.remove("format");
    }
    // ["T","null"] -> "T"
    if let Some(Value::Array(types)) = m.get("type") {
        let kept: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        let new = match kept.len() {
            1 => kept.into_iter().next().unwrap_or(Value::Null),
            _ => Value::Array(kept),
        };
        m.insert("type".into(), new);
    }
    if let Some(Value::Array(e)) = m.get_mut("enum") {
        e.retain(|x| !x.is_null());
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = m.remove(key) {
            let mut alts: Vec<Value> = alts
                .into_iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            for a in alts.iter_mut() {
                flatten(a);
            }
            let all_consts = !alts.is_empty() && alts.iter().all(|a| a.get("const").is_some());
            if all_consts {
                let values: Vec<Value> = alts
                    .iter()
                    .filter_map(|a| a.get("const").cloned())
                    .collect();
                if let Some(t) = alts.first().and_then(|a| a.get("type")).cloned() {
                    m.insert("type".into(), t);
                }
                m.insert("enum".into(), Value::Array(values));
            } else if alts.len() == 1 {
                if let Some(Value::Object(only)) = alts.pop() {
                    for (k, val) in only {
                        m.entry(k).or_insert(val);
                    }
                }
            } else if !alts.is_empty() {
                m.insert(key.into(), Value::Array(alts));
            }
        }
    }
    if let Some(Value::Null) = m.get("default") {
        m.remove("default");
    }
    // `minimum: 0` beside `exclusiveMinimum: 0` (from an unsigned type) says nothing more.
    if let (Some(min), Some(xmin)) = (
        m.get("minimum").and_then(Value::as_f64),
        m.get("exclusiveMinimum").and_then(Value::as_f64),
    ) && min <= xmin
    {
        m.remove("minimum");
    }
    // Schema-valued keywords.
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        props.values_mut().for_each(flatten);
    }
    for key in ["items", "not", "contains", "propertyNames"] {
        if let Some(sub) = m.get_mut(key) {
            flatten(sub);
        }
    }
    // Map values of any JSON type: the boolean `true` says so; an empty `{}` there reads as a
    // forgotten type to strict linters (MCP Inspector's `untyped-schema`).
    if let Some(extra) = m.get_mut("additionalProperties") {
        if !extra.is_boolean() {
            flatten(extra);
        }
        if extra.as_object().is_some_and(|o| !constrains(o)) {
            *extra = Value::Bool(true);
        }
    }
    // An item schema's own description repeats the property's: drop it.
    if let Some(Value::Object(items)) = m.get_mut("items") {
        items.remove("description");
    }
    for key in ["allOf", "prefixItems"] {
        if let Some(Value::Array(alts)) = m.get_mut(key) {
            alts.iter_mut().for_each(flatten);
        }
    }
}

/// Whether a schema object holds any keyword that constrains a value (a `description` alone
/// does not).
pub fn constrains(s: &Map<String, Value>) -> bool {
    const CONSTRAINING: &[&str] = &[
        "type",
        "enum",
        "const",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "properties",
        "items",
        "additionalProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minItems",
        "maxItems",
        "required",
        "$ref",
    ];
    s.keys().any(|k| CONSTRAINING.contains(&k.as_str()))
}

/// Checks `args` against a flat schema: types, required members, enums, ranges and lengths.
/// Returns the first problem in plain words, naming the argument.
pub fn check_args(schema: &Map<String, Value>, args: &Value) -> Result<(), String> {
    check_map(schema, args, "")
}

/// How a checked value is named in a message: `arguments` at the top, else its path in
/// backticks. Formatted only when a message is built.
struct Name<'a>(&'a str);

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("arguments")
        } else {
            write!(f, "`{}`", self.0)
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "null" => v.is_null(),
        _ => true,
    }
}

fn check(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    match schema.as_object() {
        Some(s) => check_map(s, v, at),
        None => Ok(()),
    }
}

/// The keywords of one schema object that [`check_map`] reads, gathered in one pass over its
/// members. A schema object has a handful of members, and a lookup by name hashes the name
/// each time: a tool's schema is read on every call, a dozen keywords per level.
#[derive(Default)]
struct Keywords<'a> {
    any_of: Option<&'a Value>,
    one_of: Option<&'a Value>,
    kind: Option<&'a Value>,
    allowed: Option<&'a Value>,
    constant: Option<&'a Value>,
    minimum: Option<&'a Value>,
    maximum: Option<&'a Value>,
    exclusive_minimum: Option<&'a Value>,
    exclusive_maximum: Option<&'a Value>,
    min_length: Option<&'a Value>,
    max_length: Option<&'a Value>,
    pattern: Option<&'a Value>,
    format: Option<&'a Value>,
    min_items: Option<&'a Value>,
    max_items: Option<&'a Value>,
    items: Option<&'a Value>,
    required: Option<&'a Value>,
    properties: Option<&'a Value>,
    additional: Option<&'a Value>,
}

impl<'a> Keywords<'a> {
    fn of(s: &'a Map<String, Value>) -> Self {
        let mut k = Keywords::default();
        for (name, value) in s {
            let slot = match name.as_str() {
                "anyOf" => &mut k.any_of,
                "oneOf" => &mut k.one_of,
                "type" => &mut k.kind,
                "enum" => &mut k.allowed,
                "const" => &mut k.constant,
                "minimum" => &mut k.minimum,
                "maximum" => &mut k.maximum,
                "exclusiveMinimum" => &mut k.exclusive_minimum,
                "exclusiveMaximum" => &mut k.exclusive_maximum,
                "minLength" => &mut k.min_length,
                "maxLength" => &mut k.max_length,
                "pattern" => &mut k.pattern,
                "format" => &mut k.format,
                "minItems" => &mut k.min_items,
                "maxItems" => &mut k.max_items,
                "items" => &mut k.items,
                "required" => &mut k.required,
                "properties" => &mut k.properties,
                "additionalProperties" => &mut k.additional,
                _ => continue,
            };
            *slot = Some(value);
        }
        k
    }
}

/// The member `key` of a small map, found by comparing names: no hashing. Falls back to the
/// map's own lookup when the map is large.
pub fn member<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if m.len() <= 8 {
        m.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        m.get(key)
    }
}

fn check_map(s: &Map<String, Value>, v: &Value, at: &str) -> Result<(), String> {
    let name = Name(at);
    let k = Keywords::of(s);
    if let Some(alts) = k.any_of.or(k.one_of).and_then(Value::as_array)
        && !alts.iter().any(|a| check(a, v, at).is_ok())
    {
        return match alts.iter().map(|a| check(a, v, at)).find_map(Result::err) {
            Some(e) if alts.len() == 1 => Err(e),
            _ => Err(format!("{name} does not match any allowed form")),
        };
    }
    match k.kind {
        Some(Value::String(t)) if !type_ok(t, v) => {
            return Err(format!(
                "{name} must be {} {t}, got {}",
                article(t),
                type_name(v)
            ));
        }
        Some(Value::Array(ts)) if !ts.iter().filter_map(Value::as_str).any(|t| type_ok(t, v)) => {
            let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            return Err(format!(
                "{name} must be one of types {}, got {}",
                names.join("/"),
                type_name(v)
            ));
        }
        _ => {}
    }
    if let Some(Value::Array(allowed)) = k.allowed
        && !allowed.contains(v)
    {
        let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
        return Err(format!(
            "{name} must be one of {}, got {v}",
            list.join(", ")
        ));
    }
    if let Some(c) = k.constant
        && c != v
    {
        return Err(format!("{name} must be {c}"));
    }
    if let Some(x) = v.as_f64() {
        let bound = |b: Option<&Value>| b.and_then(Value::as_f64);
        if let Some(min) = bound(k.minimum)
            && x < min
        {
            return Err(format!("{name} must be at least {min}, got {x}"));
        }
        if let Some(max) = bound(k.maximum)
            && x > max
        {
            return Err(format!("{name} must be at most {max}, got {x}"));
        }
        if let Some(min) = bound(k.exclusive_minimum)
            && x <= min
        {
            return Err(format!("{name} must be greater than {min}, got {x}"));
        }
        if let Some(max) = bound(k.exclusive_maximum)
            && x >= max
        {
            return Err(format!("{name} must be less than {max}, got {x}"));
        }
    }
    if let Some(text) = v.as_str() {
        let len = text.chars().count() as u64;
        if let Some(min) = k.min_length.and_then(Value::as_u64)
            && len < min
        {
            return Err(if min == 1 {
                format!("{name} must not be empty")
            } else {
                format!("{name} must be at least {min} characters long")
            });
        }
        if let Some(max) = k.max_length.and_then(Value::as_u64)
            && len > max
        {
            return Err(format!("{name} must be at most {max} characters long"));
        }
        if let Some(Value::String(p)) = k.pattern
            && regex_lite::Regex::new(p).is_ok_and(|re| !re.is_match(text))
        {
            return Err(format!("{name} must match the pattern {p}, got \"{text}\""));
        }
        if let Some(Value::String(f)) = k.format
            && !format_ok(f, text)
        {
            return Err(format!("{name} must be a valid {f}, got \"{text}\""));
        }
    }
    if let Some(items) = v.as_array() {
        let n = items.len() as u64;
        if let Some(min) = k.min_items.and_then(Value::as_u64)
            && n < min
        {
            return Err(format!("{name} must have at least {min} item(s)"));
        }
        if let Some(max) = k.max_items.and_then(Value::as_u64)
            && n > max
        {
            return Err(format!("{name} must have at most {max} items"));
        }
        if let Some(item_schema) = k.items {
            for (i, item) in items.iter().enumerate() {
                check(item_schema, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Some(obj) = v.as_object() {
        if let Some(Value::Array(req)) = k.required {
            for r in req.iter().filter_map(Value::as_str) {
                // A null passes here: whether the field may be null is the input type's call.
                if member(obj, r).is_none() {
                    let path = if at.is_empty() {
                        r.to_string()
                    } else {
                        format!("{at}.{r}")
                    };
                    return Err(format!("`{path}` is required"));
                }
            }
        }
        let props = k.properties.and_then(Value::as_object);
        for (key, child) in obj {
            if child.is_null() {
                continue;
            }
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            if let Some(ps) = props.and_then(|p| member(p, key)) {
                check(ps, child, &path)?;
            } else if let Some(extra) = k.additional {
                if extra == &Value::Bool(false) {
                    return Err(format!("`{path}` is not an accepted argument"));
                }
                check(extra, child, &path)?;
            }
        }
    }
    Ok(())
}

fn article(t: &str) -> &'static str {
    if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn format_ok(format: &str, s: &str) -> bool {
    match format {
        "email" => {
            let mut parts = s.splitn(2, '@');
            let (local, domain) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        "uuid" => {
            let groups: Vec<&str> = s.split('-').collect();
            groups.len() == 5
                && groups
                    .iter()
                    .zip([8, 4, 4, 4, 12])
                    .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
        }
        "uri" => s.contains("://") && url::Url::parse(s).is_ok(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Sample {
        /// Slug.
        slug: String,
        /// Page size.
        #[schemars(range(min = 1, max = 100))]
        page_size: Option<u32>,
        /// Mode.
        mode: Option<Mode>,
        /// Free form.
        extra: Option<Value>,
        /// Items.
        tags: Option<Vec<Inner>>,
    }

    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        /// Key.
        key: String,
    }

    #[derive(serde::Deserialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Mode {
        Simple,
        Semantic,
    }

    #[test]
    fn flat_schema_has_no_refs_nulls_or_formats() {
        let s = Value::Object(input_schema::<Sample>());
        let text = s.to_string();
        for bad in ["$ref", "$defs", "$schema", "\"null\"", "uint32", "title"] {
            assert!(!text.contains(bad), "{bad} in {text}");
        }
        assert_eq!(s["required"], json!(["slug"]));
        assert_eq!(
            s["properties"]["mode"]["enum"],
            json!(["simple", "semantic"])
        );
        assert_eq!(s["properties"]["page_size"]["maximum"], json!(100));
        assert_eq!(
            s["properties"]["tags"]["items"]["properties"]["key"]["type"],
            json!("string")
        );
        assert!(s["properties"]["extra"].is_object());
    }

    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct FreeForm {
        /// Any JSON values by name.
        bag: Option<std::collections::HashMap<String, Value>>,
        /// Strings by name.
        tags: Option<std::collections::HashMap<String, String>>,
    }

    #[test]
    fn free_form_maps_say_true_and_typed_maps_keep_their_type() {
        let s = Value::Object(input_schema::<FreeForm>());
        assert_eq!(s["properties"]["bag"]["additionalProperties"], json!(true));
        assert_eq!(
            s["properties"]["tags"]["additionalProperties"],
            json!({"type": "string"})
        );
        let m = input_schema::<FreeForm>();
        assert!(check_args(&m, &json!({"bag": {"a": [1, {"b": null}]}})).is_ok());
        assert!(check_args(&m, &json!({"tags": {"a": 1}})).is_err());
    }

    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Keywordish {
        /// A property named like a keyword.
        title: Option<String>,
        /// Another.
        items: Option<Vec<String>>,
        /// Hex colour.
        #[schemars(regex(pattern = r"^#[0-9A-Fa-f]{6}$"))]
        color: Option<String>,
        /// Closed map.
        closed: Option<Closed>,
    }

    #[derive(serde::Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Closed {
        /// Only member.
        a: Option<String>,
    }

    #[test]
    fn keyword_named_properties_and_boolean_keywords_survive() {
        let s = Value::Object(input_schema::<Keywordish>());
        assert_eq!(
            s["properties"]["title"]["description"],
            json!("A property named like a keyword.")
        );
        assert_eq!(s["properties"]["items"]["description"], json!("Another."));
        assert_eq!(
            s["properties"]["closed"]["additionalProperties"],
            json!(false)
        );
        let m = input_schema::<Keywordish>();
        assert!(check_args(&m, &json!({"color": "#00ff00"})).is_ok());
        assert!(
            check_args(&m, &json!({"color": "green"}))
                .unwrap_err()
                .contains("pattern")
        );
        assert!(
            check_args(&m, &json!({"closed": {"b": 1}}))
                .unwrap_err()
                .contains("closed.b")
        );
    }

    #[test]
    fn check_args_reports_argument_names() {
        let s = input_schema::<Sample>();
        assert!(check_args(&s, &json!({"slug": "a"})).is_ok());
        assert_eq!(
            check_args(&s, &json!({})).unwrap_err(),
            "`slug` is required"
        );
        assert!(
            check_args(&s, &json!({"slug": 1}))
                .unwrap_err()
                .contains("`slug` must be a string")
        );
        assert!(
            check_args(&s, &json!({"slug": "a", "page_size": 101}))
                .unwrap_err()
                .contains("at most 100")
        );
        assert!(
            check_args(&s, &json!({"slug": "a", "mode": "x"}))
                .unwrap_err()
                .contains("one of")
        );
        assert!(
            check_args(&s, &json!({"slug": "a", "tags": [{}]}))
                .unwrap_err()
                .contains("tags[0].key")
        );
        assert!(
            check_args(&s, &json!({"slug": "a", "page_size": 1.5}))
                .unwrap_err()
                .contains("integer")
        );
    }
}
