//! Replays the reference's recorded examples (tests/fixtures/contract.json) against the binary:
//! every tool the registry has must send exactly the recorded requests and agree on `ok`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};

const SUFFIX: &str = "Enterprise-gated. Returns 403 on non-Enterprise Portkey plans.";

/// The day the reference's examples were recorded: timestamps it made "now" carry this date.
const RECORDED_DAY: &str = "2026-11-21T";

fn today_prefix() -> String {
    // Dates in bodies that say "now" are compared loosely, as check.py does: today's (what this
    // server sends) and the recording day's (what the fixture holds) both become "<now>".
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = (secs / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T")
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn norm(v: &Value, today: &str) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), norm(x, today))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| norm(x, today)).collect()),
        Value::String(s) if s.starts_with(today) || s.starts_with(RECORDED_DAY) => json!("<now>"),
        Value::Number(n) => json!(n.as_f64()),
        other => other.clone(),
    }
}

fn families(s: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut types = BTreeSet::new();
    let mut enums = BTreeSet::new();
    fn walk(x: &Value, t: &mut BTreeSet<String>, e: &mut BTreeSet<String>) {
        let Some(m) = x.as_object() else { return };
        for key in ["anyOf", "oneOf"] {
            for alt in m.get(key).and_then(Value::as_array).into_iter().flatten() {
                walk(alt, t, e);
            }
        }
        let ts: Vec<&str> = match m.get("type") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        for ty in ts {
            if ty != "null" {
                t.insert(if ty == "integer" {
                    "number".into()
                } else {
                    ty.to_string()
                });
            }
        }
        if let Some(c) = m.get("const").filter(|c| !c.is_null()) {
            e.insert(c.to_string());
        }
        for v in m
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !v.is_null() {
                e.insert(v.to_string());
            }
        }
    }
    walk(s, &mut types, &mut enums);
    (types, enums)
}

/// Where a tool as tools/list shows it (schema, annotations, Enterprise suffix) differs from the contract.
fn schema_problems(name: &str, c: &Value, t: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    // Schema: property names, required, type families, enums.
    let props = |s: &Value| -> BTreeSet<String> {
        s["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let req = |s: &Value| -> BTreeSet<String> {
        s["required"]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let (sc, so) = (&c["input_schema"], &t["inputSchema"]);
    if props(sc) != props(so) {
        problems.push(format!(
            "{name}: properties {:?} != contract {:?}",
            props(so),
            props(sc)
        ));
    }
    if req(sc) != req(so) {
        problems.push(format!(
            "{name}: required {:?} != contract {:?}",
            req(so),
            req(sc)
        ));
    }
    for p in props(sc).intersection(&props(so)) {
        let (tc, ec) = families(&sc["properties"][p]);
        let (to, eo) = families(&so["properties"][p]);
        if !tc.is_empty() && !to.is_empty() && !tc.is_subset(&to) {
            problems.push(format!("{name}.{p}: types {to:?}, contract {tc:?}"));
        }
        if !ec.is_empty() && ec != eo {
            problems.push(format!("{name}.{p}: enum {eo:?}, contract {ec:?}"));
        }
    }
    let ann: serde_json::Map<String, Value> = t["annotations"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with("Hint"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if Value::Object(ann.clone()) != c["annotations"] {
        problems.push(format!(
            "{name}: annotations {ann:?} != {}",
            c["annotations"]
        ));
    }
    let gated = c["enterprise_gated"].as_bool().unwrap();
    if gated != t["description"].as_str().unwrap().ends_with(SUFFIX) {
        problems.push(format!("{name}: Enterprise suffix mismatch"));
    }
    problems
}

#[tokio::test]
async fn contract_examples_replay() {
    let contract = contract();
    // Listed deviations are not compared, as in shared/contract/check.py: a tool name skips the
    // tool's schema comparison and every example, an example id skips that example.
    let deviations = deviations();
    let api = StandIn::start().await;
    // The public catalog points at a closed loopback port: the reference reached no stand-in there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let env = with(env_for(&api), "PORTKEY_PUBLIC_BASE_URL", &closed_url);
    let mcp = Mcp::start(&env).await;
    let listed = mcp.list_tools().await;
    let mut problems = Vec::new();
    let mut replayed = 0;
    let mut skipped_examples = 0;
    let mut honoured = BTreeSet::new();
    for t in &listed {
        let name = t["name"].as_str().unwrap();
        let Some(c) = contract["tools"].get(name) else {
            problems.push(format!("{name}: not in the contract"));
            continue;
        };
        let tool_listed = deviations.contains_key(name);
        if tool_listed {
            honoured.insert(name.to_string());
        } else {
            problems.extend(schema_problems(name, c, t));
        }
        for ex in c["examples"].as_array().unwrap() {
            let id = ex["id"].as_str().unwrap();
            let example_listed = deviations.contains_key(id);
            if example_listed {
                honoured.insert(id.to_string());
            }
            if tool_listed || example_listed {
                skipped_examples += 1;
                continue;
            }
            replayed += 1;
            api.clear();
            let env = mcp.call(name, ex["args"].clone()).await;
            let today = today_prefix();
            let got: Vec<Value> = api
                .requests()
                .iter()
                .map(|r| {
                    json!([
                        r.method,
                        r.path,
                        r.sorted_query(),
                        norm(&r.body.clone().unwrap_or(Value::Null), &today)
                    ])
                })
                .collect();
            let want: Vec<Value> = ex["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| json!([r["method"], r["path"], r["query"], norm(&r["body"], &today)]))
                .collect();
            if got != want {
                problems.push(format!(
                    "{id}: requests differ\n   want {}\n   got  {}",
                    json!(want),
                    json!(got)
                ));
            }
            // The key goes in the header on every request to the admin API.
            for r in api.requests() {
                if r.header("x-portkey-api-key") != Some(TEST_KEY) {
                    problems.push(format!("{id}: request without the API key header"));
                }
            }
            match ex["ok"].as_bool() {
                None => {
                    if want.is_empty() && env["ok"] == json!(true) {
                        problems.push(format!(
                            "{id}: the contract refuses these arguments, the server accepted them"
                        ));
                    }
                }
                Some(ok) => {
                    if env["ok"] != json!(ok) {
                        problems.push(format!("{id}: ok={} contract ok={ok}: {env}", env["ok"]));
                    }
                }
            }
        }
    }
    eprintln!(
        "contract: {replayed} example calls replayed, {skipped_examples} skipped by {} deviations \
         (tests/fixtures/deviations.json){}",
        honoured.len(),
        if honoured.is_empty() {
            String::new()
        } else {
            format!(": {}", honoured.into_iter().collect::<Vec<_>>().join(", "))
        }
    );
    assert!(replayed > 0);
    assert!(
        problems.is_empty(),
        "{} contract problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(!mcp.stderr().contains(TEST_KEY), "the key reached stderr");
}

/// Every deviation names a tool or an example of the contract and says, in one line each, which
/// request of Portkey's OpenAPI it follows and why.
#[test]
fn deviations_name_real_tools_and_examples() {
    let contract = contract();
    let tools = contract["tools"].as_object().unwrap();
    let examples: BTreeSet<&str> = tools
        .values()
        .flat_map(|t| t["examples"].as_array().unwrap())
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    const METHODS: [&str; 5] = ["GET ", "POST ", "PUT ", "PATCH ", "DELETE "];
    let mut problems = Vec::new();
    for (key, entry) in &deviations() {
        if !tools.contains_key(key) && !examples.contains(key.as_str()) {
            problems.push(format!(
                "{key}: neither a tool nor an example id of the contract"
            ));
        }
        let Some(fields) = entry.as_object() else {
            problems.push(format!("{key}: not an object"));
            continue;
        };
        for field in ["spec", "why"] {
            match fields.get(field).and_then(Value::as_str).map(str::trim) {
                Some(text) if !text.is_empty() && !text.contains('\n') => {}
                _ => problems.push(format!("{key}: `{field}` must be one non-empty line")),
            }
        }
        let spec = fields.get("spec").and_then(Value::as_str).unwrap_or("");
        let shaped = METHODS
            .iter()
            .any(|m| spec.strip_prefix(m).is_some_and(|p| p.starts_with('/')));
        if !shaped {
            problems.push(format!(
                "{key}: `spec` must read \"METHOD /path\", found {spec:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
