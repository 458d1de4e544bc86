//! The release metadata, offline: server.json against the MCP Registry's schema (vendored in
//! packaging/mcp-registry/, checked here by a small validator of the draft-07 keywords that schema
//! uses), and the names and versions that must agree across server.json, Cargo.toml, the npm
//! launcher, the PyPI project and README. scripts/artifacts-check.sh validates the built
//! artifacts with Python's jsonschema as well.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{Value, json};

fn read(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn json_file(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn schema() -> Value {
    json_file("packaging/mcp-registry/server.schema.json")
}

fn server() -> Value {
    json_file("server.json")
}

/// Every way `doc` breaks `schema`, as "path: what" lines. Covers the keywords the registry's
/// schema uses ($ref to its definitions, allOf, anyOf, not, enum, type, required, properties,
/// items, pattern, minLength, maxLength) and a few it may grow (oneOf, const,
/// additionalProperties). `format` is not checked.
fn violations(root: &Value, schema: &Value, doc: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(s) = schema.as_object() else {
        return out;
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/definitions/").expect("local $ref");
        return violations(root, &root["definitions"][name], doc, at);
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            out.extend(violations(root, sub, doc, at));
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array)
        && !any
            .iter()
            .any(|sub| violations(root, sub, doc, at).is_empty())
    {
        out.push(format!("{at}: matches none of anyOf"));
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let n = one
            .iter()
            .filter(|sub| violations(root, sub, doc, at).is_empty())
            .count();
        if n != 1 {
            out.push(format!("{at}: matches {n} of oneOf"));
        }
    }
    if let Some(not) = s.get("not")
        && violations(root, not, doc, at).is_empty()
    {
        out.push(format!("{at}: matches a schema it must not ({not})"));
    }
    if let Some(c) = s.get("const")
        && c != doc
    {
        out.push(format!("{at}: must be {c}"));
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(doc)
    {
        out.push(format!("{at}: {doc} is not one of {e:?}"));
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let fits = |t: &str| match t {
            "object" => doc.is_object(),
            "array" => doc.is_array(),
            "string" => doc.is_string(),
            "boolean" => doc.is_boolean(),
            "number" => doc.is_number(),
            "integer" => doc.is_i64() || doc.is_u64(),
            "null" => doc.is_null(),
            other => panic!("type {other}"),
        };
        if !types.iter().any(|t| fits(t)) {
            out.push(format!("{at}: {doc} is not of type {}", types.join(" or ")));
            return out;
        }
    }
    if let Some(text) = doc.as_str() {
        let len = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            out.push(format!("{at}: shorter than {min}"));
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            out.push(format!("{at}: {len} characters, more than {max}"));
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            let re = regex_lite::Regex::new(p).unwrap_or_else(|e| panic!("pattern {p}: {e}"));
            if !re.is_match(text) {
                out.push(format!("{at}: {text:?} does not match {p}"));
            }
        }
    }
    if let Some(obj) = doc.as_object() {
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    out.push(format!("{at}: missing required {r}"));
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, v) in obj {
            let here = format!("{at}/{k}");
            match props.and_then(|p| p.get(k)) {
                Some(sub) => out.extend(violations(root, sub, v, &here)),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{here}: not allowed")),
                    Some(sub @ Value::Object(_)) => out.extend(violations(root, sub, v, &here)),
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), doc.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            out.extend(violations(root, items, v, &format!("{at}/{i}")));
        }
    }
    out
}

fn check(doc: &Value) -> Vec<String> {
    let schema = schema();
    violations(&schema, &schema, doc, "")
}

#[test]
fn server_json_is_valid_against_the_vendored_schema() {
    let doc = server();
    let problems = check(&doc);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        doc["$schema"],
        schema()["$id"],
        "server.json names the vendored schema"
    );
}

#[test]
fn the_validator_catches_what_the_registry_rejects() {
    let mut no_name = server();
    no_name.as_object_mut().unwrap().remove("name");
    assert!(
        check(&no_name)
            .iter()
            .any(|p| p.contains("missing required name"))
    );
    let mut long = server();
    long["description"] = json!("x".repeat(101));
    assert!(check(&long).iter().any(|p| p.contains("more than 100")));
    let mut bad_name = server();
    bad_name["name"] = json!("no-slash-here");
    assert!(
        check(&bad_name)
            .iter()
            .any(|p| p.contains("does not match"))
    );
    let mut latest = server();
    latest["packages"][0]["version"] = json!("latest");
    assert!(check(&latest).iter().any(|p| p.contains("packages/0")));
    let mut transport = server();
    transport["packages"][1]["transport"] = json!({"type": "carrier-pigeon"});
    assert!(!check(&transport).is_empty());
    let mut unnamed = server();
    unnamed["packages"][0]["environmentVariables"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert!(
        check(&unnamed)
            .iter()
            .any(|p| p.contains("environmentVariables/0: missing required name"))
    );
    let mut repo = server();
    repo["repository"].as_object_mut().unwrap().remove("source");
    assert!(
        check(&repo)
            .iter()
            .any(|p| p.contains("missing required source"))
    );
    let mut secret = server();
    secret["packages"][0]["environmentVariables"][0]["isSecret"] = json!("yes");
    assert!(
        check(&secret)
            .iter()
            .any(|p| p.contains("not of type boolean"))
    );
}

#[test]
fn versions_and_names_agree_everywhere() {
    let doc = server();
    let version = env!("CARGO_PKG_VERSION");
    let name = doc["name"].as_str().unwrap();
    assert_eq!(doc["version"], version);
    let repo = env!("CARGO_PKG_REPOSITORY");
    assert_eq!(doc["repository"]["url"], repo);
    // The registry accepts io.github.<owner>/... from that GitHub owner.
    let owner = repo
        .strip_prefix("https://github.com/")
        .and_then(|r| r.split('/').next())
        .unwrap();
    assert!(name.starts_with(&format!("io.github.{owner}/")), "{name}");

    let launcher = json_file("packaging/npm/launcher/package.json");
    assert_eq!(launcher["mcpName"], name);
    assert_eq!(
        launcher["bin"]["portkey-admin-mcp"],
        "bin/portkey-admin-mcp.js"
    );
    let npm_name = launcher["name"].as_str().unwrap();
    assert_ne!(
        npm_name, "portkey-admin-mcp",
        "that npm name is the TypeScript reference's"
    );
    let pypi = read("packaging/pypi/pyproject.toml");
    assert!(
        pypi.contains(&format!("name = \"{npm_name}\"")),
        "PyPI and npm share one name"
    );
    assert!(pypi.contains("bindings = \"bin\""));
    assert!(read("packaging/pypi/README.md").contains(&format!("mcp-name: {name}")));

    let packages = doc["packages"].as_array().unwrap();
    let kinds: Vec<&str> = packages
        .iter()
        .map(|p| p["registryType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["npm", "pypi", "oci"]);
    for p in packages {
        assert_eq!(p["transport"]["type"], "stdio", "{p}");
        let id = p["identifier"].as_str().unwrap();
        match p["registryType"].as_str().unwrap() {
            "oci" => assert!(id.ends_with(&format!(":{version}")), "{id}"),
            _ => {
                assert_eq!(id, npm_name);
                assert_eq!(p["version"], version);
            }
        }
        let key = p["environmentVariables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "PORTKEY_API_KEY")
            .unwrap_or_else(|| panic!("{id} lists PORTKEY_API_KEY"));
        assert_eq!(key["isSecret"], true, "{id}");
        assert_eq!(key["isRequired"], true, "{id}");
    }
}

#[test]
fn readme_install_lines_use_the_published_names() {
    let readme = read("README.md");
    let repo = env!("CARGO_PKG_REPOSITORY");
    for line in [
        "npx -y portkey-admin-mcp-rs",
        "uvx --from portkey-admin-mcp-rs portkey-admin-mcp",
        "cargo install --locked portkey-admin-mcp",
        "claude mcp add portkey-admin -e PORTKEY_API_KEY=pk-... -- portkey-admin-mcp",
        "~/.codeium/windsurf/mcp_config.json",
        "\"type\": \"stdio\"",
        repo,
    ] {
        assert!(readme.contains(line), "README lacks {line}");
    }
    // The broken form: -e takes several values and swallows the server name.
    assert!(
        !readme.contains("claude mcp add -e"),
        "README still has `claude mcp add -e`"
    );
    let oci = server()["packages"][2]["identifier"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(readme.contains(&oci), "README names the image {oci}");
}

/// The Dockerfile's final stage is the image dist.sh assembles: the same binary path, user,
/// passwd and group lines, working directory, environment and entrypoint, built with the same
/// static-linking flags.
#[test]
fn the_dockerfile_and_dist_sh_build_the_same_image() {
    let docker = read("Dockerfile");
    let dist = read("scripts/dist.sh");
    let name = "portkey-admin-mcp";
    let final_stage = docker.rsplit("\nFROM ").next().unwrap();
    assert!(
        final_stage.starts_with("scratch"),
        "the final stage is empty: {final_stage}"
    );

    // Binary path and entrypoint.
    let bin = format!("/usr/local/bin/{name}");
    assert!(dist.contains("cp \"$bin\" \"$rootfs/usr/local/bin/$name\""));
    assert!(dist.contains("--config.entrypoint \"/usr/local/bin/$name\""));
    assert!(docker.contains(&format!("/rootfs{bin}")));
    assert!(final_stage.contains(&format!("ENTRYPOINT [\"{bin}\"]")));
    assert!(final_stage.contains(&format!("CMD [\"{bin}\", \"health\"]")));

    // User, passwd and group, working directory.
    assert!(dist.contains("--config.user 65532:65532"));
    assert!(final_stage.contains("\nUSER 65532:65532\n"));
    let passwd = "printf 'root:x:0:0:root:/root:/sbin/nologin\\nmcp:x:65532:65532:portkey-admin-mcp:/tmp:/sbin/nologin\\n'";
    let group = "printf 'root:x:0:\\nmcp:x:65532:\\n'";
    for (what, line) in [("passwd", passwd), ("group", group)] {
        assert!(dist.contains(line), "dist.sh {what}");
        assert!(docker.contains(line), "Dockerfile {what}");
    }
    assert!(
        dist.contains("chmod 1777 \"$rootfs/tmp\"") && docker.contains("chmod 1777 /rootfs/tmp")
    );
    assert!(dist.contains("--config.workingdir /tmp") && final_stage.contains("\nWORKDIR /tmp\n"));

    // Environment.
    let env_line = final_stage.lines().find(|l| l.starts_with("ENV ")).unwrap();
    for kv in ["PATH=/usr/local/bin", "MCP_TRANSPORT=stdio", "HOME=/tmp"] {
        assert!(dist.contains(&format!("--config.env {kv}")), "dist.sh {kv}");
        assert!(
            env_line.split_whitespace().any(|w| w == kv),
            "Dockerfile {kv}"
        );
    }

    // Static linking.
    for flag in ["+crt-static", "getrandom_backend=\\\"linux_getrandom\\\""] {
        assert!(dist.contains(flag), "dist.sh {flag}");
        assert!(docker.contains(flag), "Dockerfile {flag}");
    }
    assert!(read(".dockerignore").lines().any(|l| l == "target/"));
    // The same code layout on x86_64: the startup order, and the list itself.
    for text in [&dist, &docker] {
        assert!(text.contains("--symbol-ordering-file="));
        assert!(text.contains("scripts/startup-order.txt"));
    }
    let order = read("scripts/startup-order.txt");
    let names: Vec<&str> = order.lines().collect();
    assert!(
        names.iter().any(|n| n.contains("portkey_admin_mcp")),
        "scripts/startup-order.txt lists none of this crate's functions: run scripts/startup-order.py"
    );
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "scripts/startup-order.txt is sorted and has no duplicates"
    );
}

/// compose.yaml: two instances sharing Redis for sessions, events and rate limits, Redis, and
/// nginx in front (its configuration in the repository, naming both instances).
#[test]
fn compose_runs_two_instances_redis_and_a_proxy() {
    use yaml_rust2::{Yaml, YamlLoader};
    let docs = YamlLoader::load_from_str(&read("compose.yaml")).expect("compose.yaml parses");
    let doc = &docs[0];
    let services = doc["services"].as_hash().unwrap();
    let names: Vec<&str> = services.keys().filter_map(|k| k.as_str()).collect();
    assert_eq!(names, ["mcp-1", "mcp-2", "redis", "proxy"]);

    // `<<: *mcp` merges the shared definition.
    let resolve = |svc: &Yaml| -> Yaml {
        let mut out = svc["<<"].as_hash().cloned().unwrap_or_default();
        for (k, v) in svc.as_hash().unwrap() {
            if k.as_str() != Some("<<") {
                out.insert(k.clone(), v.clone());
            }
        }
        Yaml::Hash(out)
    };
    let documented = read("README.md");
    for name in ["mcp-1", "mcp-2"] {
        let svc = resolve(&doc["services"][name]);
        assert_eq!(
            svc["build"].as_str(),
            Some("."),
            "{name} builds the Dockerfile"
        );
        let env = svc["environment"].as_hash().unwrap();
        let get = |k: &str| env.get(&Yaml::String(k.into())).and_then(|v| v.as_str());
        assert_eq!(get("MCP_TRANSPORT"), Some("http"));
        assert_eq!(get("MCP_HOST"), Some("0.0.0.0"));
        assert_eq!(get("MCP_PORT"), Some("3000"));
        assert_eq!(get("MCP_REDIS_URL"), Some("redis://redis:6379/0"));
        for store in ["MCP_SESSION_STORE", "MCP_EVENT_STORE", "RATE_LIMIT_STORE"] {
            assert_eq!(get(store), Some("redis"), "{name} {store}");
        }
        assert!(
            get("MCP_EVENT_ENCRYPTION_KEY").unwrap().contains(":?"),
            "required"
        );
        assert!(get("MCP_AUTH_TOKEN").unwrap().contains(":?"), "required");
        // Every variable set is one the server documents.
        for k in env.keys().filter_map(|k| k.as_str()) {
            assert!(
                documented.contains(&format!("`{k}`")) || documented.contains(k),
                "README lacks {k}"
            );
        }
        assert_eq!(
            svc["depends_on"]["redis"]["condition"].as_str(),
            Some("service_healthy")
        );
    }
    let redis = &doc["services"]["redis"];
    assert!(redis["image"].as_str().unwrap().starts_with("redis:"));
    let proxy = &doc["services"]["proxy"];
    let mount = proxy["volumes"][0].as_str().unwrap();
    let conf_path = mount.split(':').next().unwrap().trim_start_matches("./");
    let conf = read(conf_path);
    for name in ["mcp-1", "mcp-2"] {
        assert!(
            conf.contains(&format!("server {name}:3000")),
            "nginx names {name}"
        );
    }
    assert!(
        conf.contains("proxy_buffering off"),
        "events stream through unbuffered"
    );
    assert!(
        conf.contains("proxy_next_upstream"),
        "a request finding an instance down goes to the other"
    );
}
