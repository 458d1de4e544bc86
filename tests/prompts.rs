//! prompts domain: each tool through MCP against the stand-in, asserting request and result.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use serde_json::{Value, json};

fn route(r: &Recorded) -> (String, String) {
    (r.method.clone(), r.path.clone())
}

fn is_now(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.starts_with("20")
}

#[tokio::test]
async fn create_prompt_sends_string_template() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "p1", "slug": "hello", "version_id": "v1", "object": "prompt"}),
    );
    let (env, sent) = h
        .call(
            "create_prompt",
            json!({"name": "p", "collection_id": "col-1", "string": "Hello {{name}}",
                "parameters": {"temperature": 0.2}, "virtual_key": "vk-1", "model": "gpt-4o",
                "version_description": "v1", "template_metadata": {"a": 1}, "is_raw_template": true,
                "functions": [{"name": "f", "parameters": {"type": "object"}, "extra": 1}],
                "tools": [{"type": "function", "function": {"name": "t", "description": "d"}}],
                "tool_choice": {"mode": "function", "function_name": "t"}}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(route(&sent[0]), ("POST".into(), "/v1/prompts".into()));
    assert_eq!(
        sent[0].body,
        Some(
            json!({"name": "p", "collection_id": "col-1", "string": "Hello {{name}}",
            "parameters": {"temperature": 0.2}, "virtual_key": "vk-1", "model": "gpt-4o",
            "version_description": "v1", "template_metadata": {"a": 1},
            "functions": [{"name": "f", "parameters": {"type": "object"}}],
            "tools": [{"type": "function", "function": {"name": "t", "description": "d"}}],
            "tool_choice": {"type": "function", "function": {"name": "t"}},
            "is_raw_template": 1})
        )
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["id"], "p1");
    assert_eq!(env["data"]["slug"], "hello");
    assert_eq!(env["data"]["version_id"], "v1");
}

#[tokio::test]
async fn create_prompt_serialises_messages_like_json_stringify() {
    let h = Harness::start().await;
    // Keys out of order, extra members, numbers JavaScript prints differently from Rust.
    let messages: Value = serde_json::from_str(
        r#"[{"name":"bob","content":[{"cache":{"x":1.0,"y":1e-7,"z":1e21},"text":"hi \u2028 \"q\" é","type":"text"}],"role":"user"}]"#,
    )
    .unwrap();
    let (env, sent) = h
        .call(
            "create_prompt",
            json!({"name": "chat", "collection_id": "c", "messages": messages, "parameters": {},
                "virtual_key": "vk", "ai_model_id": "m-1", "tool_choice": {"mode": "auto"}}),
        )
        .await;
    assert_eq!(env["ok"], true, "{env}");
    let body = sent[0].body.clone().unwrap();
    // What Node's JSON.stringify gives for the same array after zod's parse (recorded with zod 4.3.6).
    assert_eq!(
        body["string"],
        "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi \u{2028} \\\"q\\\" é\",\"cache\":{\"x\":1,\"y\":1e-7,\"z\":1e+21}}],\"name\":\"bob\"}]"
    );
    assert_eq!(body["ai_model_id"], "m-1");
    assert_eq!(body["tool_choice"], "auto");
    assert!(body.get("model").is_none() && body.get("messages").is_none());
}

#[tokio::test]
async fn create_prompt_refuses_incomplete_or_conflicting_input() {
    let h = Harness::start().await;
    let base = json!({"name": "p", "collection_id": "c", "parameters": {}, "virtual_key": "vk"});
    let with = |extra: Value| {
        let mut v = base.clone();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let msg = h
        .refused("create_prompt", with(json!({"string": "s"})))
        .await;
    assert!(
        msg.contains("model") && msg.contains("ai_model_id") && msg.contains("finetune_id"),
        "{msg}"
    );
    let msg = h
        .refused("create_prompt", with(json!({"string": "s", "model": ""})))
        .await;
    assert!(msg.contains("model"), "{msg}");
    let msg = h
        .refused("create_prompt", with(json!({"model": "m"})))
        .await;
    assert!(msg.contains("string") && msg.contains("messages"), "{msg}");
    let msg = h
        .refused(
            "create_prompt",
            with(
                json!({"model": "m", "string": "s", "messages": [{"role": "user", "content": []}]}),
            ),
        )
        .await;
    assert!(msg.contains("not both"), "{msg}");
    let msg = h
        .refused(
            "create_prompt",
            with(json!({"model": "m", "string": "s", "tool_choice": {"mode": "function"}})),
        )
        .await;
    assert!(msg.contains("function_name"), "{msg}");
    let msg = h
        .refused(
            "create_prompt",
            with(json!({"model": "m", "string": "s", "tool_choice": {"mode": "auto", "function_name": "f"}})),
        )
        .await;
    assert!(msg.contains("function_name"), "{msg}");
    h.refused(
        "create_prompt",
        with(json!({"model": "m", "string": "s", "messages": [{"role": "bot", "content": []}]})),
    )
    .await;
    h.refused(
        "create_prompt",
        with(json!({"model": "m", "string": "s", "tools": [{"type": "code", "function": {"name": "f"}}]})),
    )
    .await;
}

#[tokio::test]
async fn create_prompt_dry_run_sends_nothing() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "create_prompt",
            json!({"name": "p", "collection_id": "c", "string": "s", "parameters": {"k": 1},
                "virtual_key": "vk", "finetune_id": "ft", "dry_run": true}),
        )
        .await;
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["dry_run"], true);
    assert_eq!(env["data"]["action"], "create");
    assert_eq!(
        env["data"]["body"],
        json!({"name": "p", "collection_id": "c", "string": "s", "parameters": {"k": 1},
            "virtual_key": "vk", "finetune_id": "ft"})
    );
}

#[tokio::test]
async fn list_prompts_pages_and_summarises() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"total": 25, "data": [
            {"id": "a", "name": "A", "slug": "a", "collection_id": "c", "model": "m", "status": "active",
             "string": "secret template", "created_at": "t", "last_updated_at": "u"},
            {"id": "b", "name": "B", "slug": "b"}]}),
    );
    let (env, sent) = h
        .call("list_prompts", json!({"page_size": 2, "search": "x"}))
        .await;
    assert_eq!(route(&sent[0]), ("GET".into(), "/v1/prompts".into()));
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("current_page".into(), "0".into()),
            ("page_size".into(), "2".into()),
            ("search".into(), "x".into())
        ]
    );
    let d = &env["data"];
    assert_eq!(d["total"], 25);
    assert_eq!(d["returned_count"], 2);
    assert_eq!(d["has_more"], true);
    assert_eq!(d["next_offset"], 2);
    assert_eq!(d["next_page"], 1);
    assert_eq!(d["prompts"][0]["model"], "m");
    assert!(d["prompts"][0].get("string").is_none());

    let (env, sent) = h.call("list_prompts", json!({})).await;
    assert!(sent[0].query.is_empty());
    assert_eq!(env["data"]["has_more"], false);
    assert_eq!(env["data"]["page_size"], 2);
    assert_eq!(env["data"]["next_page"], Value::Null);
    h.refused("list_prompts", json!({"page_size": 101})).await;
}

#[tokio::test]
async fn get_prompt_reads_prompt_then_versions() {
    let h = Harness::start().await;
    h.api.respond(|r| {
        if r.path.ends_with("/versions") {
            // The documented bare-array form.
            Reply::json(
                200,
                json!([{"id": "v2", "prompt_version": 2, "prompt_description": "d", "created_at": "t", "is_raw_template": 0}]),
            )
        } else {
            Reply::json(
                200,
                json!({"id": "p1", "name": "P", "slug": "p", "collection_id": "c", "prompt_version_id": "v2",
                    "prompt_version": 2, "string": "[{\"role\":\"system\",\"content\":[]}]", "parameters": {"t": 1},
                    "model": "m", "tools": [{"type": "function"}], "template_metadata": "{\"app\":\"x\"}"}),
            )
        }
    });
    let (env, sent) = h.call("get_prompt", json!({"prompt_id": "a/b"})).await;
    assert_eq!(
        sent.iter().map(route).collect::<Vec<_>>(),
        vec![
            ("GET".into(), "/v1/prompts/a%2Fb".into()),
            ("GET".into(), "/v1/prompts/a%2Fb/versions".into())
        ]
    );
    let d = &env["data"];
    assert_eq!(d["id"], "p1");
    let cv = &d["current_version"];
    assert_eq!(cv["id"], "v2");
    assert_eq!(cv["version_number"], 2);
    assert_eq!(cv["template_format"], "chat messages (JSON array)");
    assert_eq!(cv["has_tools"], true);
    assert_eq!(cv["has_functions"], false);
    assert_eq!(cv["metadata"]["app"], "x");
    assert_eq!(d["version_count"], 1);
    assert_eq!(d["versions"][0]["version_number"], 2);
    assert_eq!(d["versions"][0]["is_raw_template"], false);

    // No live version: current_version is null, and the {data: [...]} form is read too.
    h.api.reply_json(
        200,
        json!({"id": "p1", "name": "P", "data": [{"id": "v1"}, {"id": "v2"}]}),
    );
    let (env, _) = h.call("get_prompt", json!({"prompt_id": "p1"})).await;
    assert_eq!(env["data"]["current_version"], Value::Null);
    assert_eq!(env["data"]["version_count"], 2);
}

#[tokio::test]
async fn update_prompt_sends_patch_body() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "p1", "slug": "p", "prompt_version_id": "v9"}),
    );
    let (env, sent) = h.call("update_prompt", json!({"prompt_id": "p1"})).await;
    assert_eq!(route(&sent[0]), ("PUT".into(), "/v1/prompts/p1".into()));
    assert_eq!(sent[0].body, Some(json!({"patch": true})));
    assert_eq!(env["data"]["new_version_id"], "v9");

    let (_, sent) = h
        .call(
            "update_prompt",
            json!({"prompt_id": "p1", "name": "N", "messages": [{"role": "system", "content": [{"type": "text", "text": "hi"}]}],
                "template_metadata": {"k": "v"}, "is_raw_template": false, "tool_choice": {"mode": "none"}}),
        )
        .await;
    assert_eq!(
        sent[0].body,
        Some(json!({"name": "N",
            "string": "[{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]",
            "prompt_metadata": {"k": "v"}, "tool_choice": "none", "is_raw_template": 0, "patch": true}))
    );
}

#[tokio::test]
async fn update_prompt_dry_run_and_refusals() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "update_prompt",
            json!({"prompt_id": "p1", "string": "new", "dry_run": true}),
        )
        .await;
    assert!(sent.is_empty());
    assert_eq!(env["data"]["action"], "update");
    assert_eq!(env["data"]["body"], json!({"string": "new", "patch": true}));
    let msg = h
        .refused(
            "update_prompt",
            json!({"prompt_id": "p1", "string": "a", "messages": []}),
        )
        .await;
    assert!(msg.contains("not both"), "{msg}");
    let msg = h
        .refused(
            "update_prompt",
            json!({"prompt_id": "p1", "tool_choice": {"mode": "none", "function_name": "f"}}),
        )
        .await;
    assert!(msg.contains("function_name"), "{msg}");
}

#[tokio::test]
async fn delete_prompt_accepts_204() {
    let h = Harness::start().await;
    h.api
        .respond(|_| Reply::raw(204, "application/json", Vec::new()));
    let (env, sent) = h.call("delete_prompt", json!({"prompt_id": "p 1"})).await;
    assert_eq!(
        route(&sent[0]),
        ("DELETE".into(), "/v1/prompts/p%201".into())
    );
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["success"], true);
}

#[tokio::test]
async fn publish_prompt_makes_version_default() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call("publish_prompt", json!({"prompt_id": "p1", "version": 3}))
        .await;
    assert_eq!(
        route(&sent[0]),
        ("PUT".into(), "/v1/prompts/p1/makeDefault".into())
    );
    assert_eq!(sent[0].raw_body, br#"{"version":3}"#.to_vec());
    assert_eq!(env["data"]["published_version"], 3);
    h.refused("publish_prompt", json!({"prompt_id": "p1", "version": 0}))
        .await;
}

#[tokio::test]
async fn list_prompt_versions_previews_templates() {
    let h = Harness::start().await;
    let long = "x".repeat(250);
    h.api.reply_json(
        200,
        json!({"data": [
            {"id": "v1", "prompt_version": 1, "prompt_template": long, "label_id": "l", "status": "active"},
            {"id": "v2", "prompt_version": 2, "prompt_template": {"string": "short"}},
            {"id": "v3", "prompt_template": {"messages": [1]}}]}),
    );
    let (env, sent) = h
        .call("list_prompt_versions", json!({"prompt_id": "p1"}))
        .await;
    assert_eq!(
        route(&sent[0]),
        ("GET".into(), "/v1/prompts/p1/versions".into())
    );
    let d = &env["data"];
    assert_eq!(d["total_versions"], 3);
    let preview = d["versions"][0]["template_preview"].as_str().unwrap();
    assert_eq!(preview.len(), 203);
    assert!(preview.ends_with("..."));
    assert_eq!(d["versions"][0]["label_id"], "l");
    assert_eq!(d["versions"][1]["template_preview"], "short");
    assert_eq!(d["versions"][2]["template_preview"], "{\"messages\":[1]}");

    // A version without its template is an answer of the wrong shape.
    h.api
        .reply_json(200, json!({"data": [{"id": "v1", "prompt_version": 1}]}));
    let (env, _) = h
        .call("list_prompt_versions", json!({"prompt_id": "p1"}))
        .await;
    assert_eq!(env["ok"], false);
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("prompt_template")
    );
}

#[tokio::test]
async fn render_prompt_flattens_hyperparameters() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"success": true, "data": {"messages": [{"role": "user", "content": "hi Ann"}],
            "model": "gpt-4o", "max_tokens": 5, "temperature": 0.1}}),
    );
    let (env, sent) = h
        .call(
            "render_prompt",
            json!({"prompt_id": "p1", "variables": {"name": "Ann", "n": 2, "b": true},
                "hyperparameters": {"max_tokens": 5, "stop": ["\n"]}}),
        )
        .await;
    assert_eq!(
        route(&sent[0]),
        ("POST".into(), "/v1/prompts/p1/render".into())
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"max_tokens": 5, "stop": ["\n"], "variables": {"name": "Ann", "n": 2, "b": true}})
        )
    );
    let d = &env["data"];
    assert_eq!(d["rendered_messages"][0]["content"], "hi Ann");
    assert_eq!(d["model"], "gpt-4o");
    assert_eq!(
        d["hyperparameters"],
        json!({"max_tokens": 5, "temperature": 0.1})
    );
    h.refused(
        "render_prompt",
        json!({"prompt_id": "p1", "variables": {}, "hyperparameters": {"temperature": 3}}),
    )
    .await;
    h.refused(
        "render_prompt",
        json!({"prompt_id": "p1", "variables": {"v": {"nested": 1}}}),
    )
    .await;
}

/// POST /prompts/{id}/render can answer a text-completion request (`prompt`, not `messages`):
/// the prompt comes back, and every parameter the render holds is kept.
#[tokio::test]
async fn render_prompt_keeps_text_prompts_tools_and_all_parameters() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"success": true, "data": {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi to Ann",
            "max_tokens": 20, "stop": ["\n"], "presence_penalty": 0.5, "seed": 7}}),
    );
    let (env, _) = h
        .call("render_prompt", json!({"prompt_id": "p1", "variables": {}}))
        .await;
    let d = &env["data"];
    assert_eq!(d["rendered_prompt"], "Say hi to Ann");
    assert!(d.get("rendered_messages").is_none());
    assert_eq!(
        d["hyperparameters"],
        json!({"max_tokens": 20, "stop": ["\n"], "presence_penalty": 0.5, "seed": 7})
    );

    let tools = json!([{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]);
    h.api.reply_json(
        200,
        json!({"success": true, "data": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}],
            "tools": tools, "tool_choice": "auto", "response_format": {"type": "json_object"}}}),
    );
    let (env, _) = h
        .call("render_prompt", json!({"prompt_id": "p1", "variables": {}}))
        .await;
    let d = &env["data"];
    assert_eq!(d["tools"], tools);
    assert_eq!(d["tool_choice"], "auto");
    assert_eq!(
        d["hyperparameters"],
        json!({"response_format": {"type": "json_object"}})
    );
}

/// The spec's answer wraps the completion: `{status, headers, body: {choices, usage, ...}}`.
#[tokio::test]
async fn run_prompt_completion_reads_the_specs_wrapped_answer() {
    let h = Harness::start().await;
    let meta = json!({"client_id": "c1", "app": "billing", "env": "prod"});
    h.api.reply_json(
        200,
        json!({"status": "200", "headers": {"content-type": "application/json"},
            "body": {"id": "chatcmpl-9", "object": "chat.completion", "created": 1_767_225_600, "model": "gpt-4o",
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": null,
                    "message": {"role": "assistant", "content": "Hello from the body"}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9,
                    "completion_tokens_details": {"reasoning_tokens": 2}}}}),
    );
    let (env, _) = h
        .call(
            "run_prompt_completion",
            json!({"prompt_id": "p1", "variables": {}, "metadata": meta}),
        )
        .await;
    let d = &env["data"];
    assert_eq!(d["id"], "chatcmpl-9");
    assert_eq!(d["model"], "gpt-4o");
    assert_eq!(d["response"], "Hello from the body");
    assert_eq!(d["finish_reason"], "stop");
    assert_eq!(
        d["usage"],
        json!({"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9,
            "completion_tokens_details": {"reasoning_tokens": 2}})
    );
    assert!(d.get("raw").is_none());

    // A tool call comes back with the (empty) content.
    let calls = json!([{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":1}"}}]);
    h.api.reply_json(
        200,
        json!({"status": "200", "headers": {}, "body": {"id": "c2", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": null,
                "message": {"role": "assistant", "content": null, "tool_calls": calls}}]}}),
    );
    let (env, _) = h
        .call(
            "run_prompt_completion",
            json!({"prompt_id": "p1", "variables": {}, "metadata": meta}),
        )
        .await;
    assert_eq!(env["data"]["finish_reason"], "tool_calls");
    assert_eq!(env["data"]["tool_calls"], calls);

    // A text completion (the spec's other body) answers with `choices[].text`.
    h.api.reply_json(
        200,
        json!({"status": "200", "headers": {}, "body": {"id": "c3", "object": "text_completion", "created": 1,
            "model": "gpt-3.5-turbo-instruct", "choices": [{"index": 0, "finish_reason": "length", "logprobs": null, "text": "Once upon"}]}}),
    );
    let (env, _) = h
        .call(
            "run_prompt_completion",
            json!({"prompt_id": "p1", "variables": {}, "metadata": meta}),
        )
        .await;
    assert_eq!(env["data"]["response"], "Once upon");
    assert_eq!(env["data"]["finish_reason"], "length");

    // Neither shape: the run happened (and is billed), so the answer is passed on under `raw`.
    h.api
        .reply_json(200, json!({"status": "200", "result": {"output": "text"}}));
    let (env, _) = h
        .call(
            "run_prompt_completion",
            json!({"prompt_id": "p1", "variables": {}, "metadata": meta}),
        )
        .await;
    assert_eq!(env["ok"], true);
    assert_eq!(env["data"]["raw"]["result"]["output"], "text");
}

#[tokio::test]
async fn run_prompt_completion_sends_billing_metadata() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "cmpl-1", "model": "gpt-4o", "choices": [{"message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4, "cost": 9}}),
    );
    let meta = json!({"client_id": "c1", "app": "billing", "env": "prod", "project_id": "pr"});
    let (env, sent) = h
        .call(
            "run_prompt_completion",
            json!({"prompt_id": "p1", "variables": {"x": "y"}, "metadata": meta, "hyperparameters": {"temperature": 0.5}}),
        )
        .await;
    assert_eq!(
        route(&sent[0]),
        ("POST".into(), "/v1/prompts/p1/completions".into())
    );
    assert_eq!(
        sent[0].body,
        Some(
            json!({"temperature": 0.5, "variables": {"x": "y"}, "metadata": meta, "stream": false})
        )
    );
    let d = &env["data"];
    assert_eq!(d["response"], "Hello");
    assert_eq!(d["finish_reason"], "stop");
    assert_eq!(
        d["usage"],
        json!({"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4})
    );
    let msg = h
        .refused(
            "run_prompt_completion",
            json!({"prompt_id": "p1", "variables": {}, "metadata": {"client_id": "", "app": "a", "env": "e"}}),
        )
        .await;
    assert!(msg.contains("client_id"), "{msg}");
    h.refused(
        "run_prompt_completion",
        json!({"prompt_id": "p1", "variables": {}}),
    )
    .await;
    h.refused(
        "run_prompt_completion",
        json!({"prompt_id": "p1", "variables": {}, "metadata": {"client_id": "c", "app": "", "env": "e"}}),
    )
    .await;
}

fn migrate_args() -> Value {
    json!({"name": "Greeting", "app": "billing", "env": "prod", "collection_id": "col-1",
        "string": "Hello", "parameters": {"t": 1}, "virtual_key": "vk-1", "model": "gpt-4o"})
}

#[tokio::test]
async fn migrate_prompt_creates_when_missing() {
    let h = Harness::start().await;
    h.api.respond(|r| {
        if r.method == "GET" {
            Reply::json(
                200,
                json!({"total": 1, "data": [{"id": "other", "name": "Greeting-old"}]}),
            )
        } else {
            Reply::json(
                200,
                json!({"id": "new", "slug": "greeting", "version_id": "v1"}),
            )
        }
    });
    let mut args = migrate_args();
    args["template_metadata"] = json!({"team": "x", "app": "ignored"});
    let (env, sent) = h.call("migrate_prompt", args).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(route(&sent[0]), ("GET".into(), "/v1/prompts".into()));
    assert_eq!(
        sent[0].sorted_query(),
        vec![
            ("collection_id".into(), "col-1".into()),
            ("current_page".into(), "0".into()),
            ("page_size".into(), "100".into()),
            ("search".into(), "Greeting".into())
        ]
    );
    assert_eq!(route(&sent[1]), ("POST".into(), "/v1/prompts".into()));
    let mut body = sent[1].body.clone().unwrap();
    assert!(is_now(&body["template_metadata"]["migrated_at"]), "{body}");
    body["template_metadata"]
        .as_object_mut()
        .unwrap()
        .remove("migrated_at");
    assert_eq!(
        body,
        json!({"name": "Greeting", "collection_id": "col-1", "string": "Hello", "parameters": {"t": 1},
            "virtual_key": "vk-1", "model": "gpt-4o",
            "template_metadata": {"team": "x", "app": "billing", "env": "prod"}})
    );
    assert_eq!(
        env["data"],
        json!({"action": "created", "dry_run": false, "message": env["data"]["message"],
            "prompt_id": "new", "slug": "greeting", "version_id": "v1"})
    );
}

/// A stand-in where "Greeting" exists (found on the second page) with the given live version.
fn existing(h: &Harness, current: Value) {
    h.api.respond(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/v1/prompts") => {
            let page = r
                .query
                .iter()
                .find(|(k, _)| k == "current_page")
                .map(|(_, v)| v.clone());
            if page.as_deref() == Some("0") {
                let rows: Vec<Value> = (0..100)
                    .map(|i| json!({"id": format!("x{i}"), "name": format!("Greeting {i}")}))
                    .collect();
                Reply::json(200, json!({"total": 101, "data": rows}))
            } else {
                Reply::json(
                    200,
                    json!({"total": 101, "data": [{"id": "p7", "name": "greeting", "slug": "greeting"}]}),
                )
            }
        }
        ("GET", "/v1/prompts/p7") => Reply::json(200, current.clone()),
        ("PUT", "/v1/prompts/p7") => Reply::json(
            200,
            json!({"id": "p7", "slug": "greeting", "prompt_version_id": "v8"}),
        ),
        _ => Reply::json(500, json!({"message": format!("unexpected {} {}", r.method, r.path)})),
    });
}

fn live(extra: Value) -> Value {
    let mut v = json!({"id": "p7", "name": "greeting", "prompt_version_id": "v7", "prompt_version": 7,
        "string": "Hello", "parameters": {"t": 1.0}, "model": "gpt-4o", "virtual_key": "vk-1",
        "template_metadata": {"app": "billing", "env": "prod", "migrated_at": "old"}});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

#[tokio::test]
async fn migrate_prompt_leaves_identical_prompt_alone() {
    let h = Harness::start().await;
    existing(&h, live(json!({})));
    let (env, sent) = h.call("migrate_prompt", migrate_args()).await;
    assert_eq!(
        sent.iter().map(route).collect::<Vec<_>>(),
        vec![
            ("GET".into(), "/v1/prompts".into()),
            ("GET".into(), "/v1/prompts".into()),
            ("GET".into(), "/v1/prompts/p7".into())
        ]
    );
    assert_eq!(env["data"]["action"], "unchanged");
    assert_eq!(env["data"]["prompt_id"], "p7");
}

#[tokio::test]
async fn migrate_prompt_updates_changed_prompt() {
    let h = Harness::start().await;
    existing(&h, live(json!({"string": "Hi"})));
    let (env, sent) = h.call("migrate_prompt", migrate_args()).await;
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_eq!(route(&sent[3]), ("PUT".into(), "/v1/prompts/p7".into()));
    let mut body = sent[3].body.clone().unwrap();
    assert!(is_now(&body["prompt_metadata"]["migrated_at"]));
    body["prompt_metadata"]
        .as_object_mut()
        .unwrap()
        .remove("migrated_at");
    assert_eq!(
        body,
        json!({"string": "Hello", "parameters": {"t": 1}, "virtual_key": "vk-1", "model": "gpt-4o",
            "prompt_metadata": {"app": "billing", "env": "prod"}, "patch": true})
    );
    assert_eq!(env["data"]["action"], "updated");
    assert_eq!(env["data"]["version_id"], "v8");

    // dry_run: the same lookups, no write.
    let mut args = migrate_args();
    args["dry_run"] = json!(true);
    let (env, sent) = h.call("migrate_prompt", args).await;
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|r| r.method == "GET"));
    assert_eq!(env["data"]["action"], "updated");
    assert_eq!(env["data"]["dry_run"], true);
    assert_eq!(env["data"]["body"]["patch"], true);
}

#[tokio::test]
async fn migrate_prompt_refusals_and_missing_version() {
    let h = Harness::start().await;
    let mut args = migrate_args();
    args.as_object_mut().unwrap().remove("string");
    let msg = h.refused("migrate_prompt", args).await;
    assert!(msg.contains("string") && msg.contains("messages"), "{msg}");
    let mut args = migrate_args();
    args["tool_choice"] = json!({"mode": "function", "function_name": ""});
    h.refused("migrate_prompt", args).await;
    let mut args = migrate_args();
    args["app"] = json!("");
    h.refused("migrate_prompt", args).await;

    existing(
        &h,
        json!({"id": "p7", "name": "greeting", "string": "Hello"}),
    );
    let (env, sent) = h.call("migrate_prompt", migrate_args()).await;
    assert_eq!(env["ok"], false);
    assert!(sent.iter().all(|r| r.method == "GET"));
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no active version")
    );
}

fn source() -> Value {
    json!({"id": "s1", "name": "greet-staging", "slug": "greet-staging", "prompt_version_id": "sv3",
        "prompt_version": 3, "string": "Hi {{x}}", "parameters": {"t": 1}, "model": "gpt-4o",
        "virtual_key": "vk-src", "is_raw_template": 1, "template_metadata": {"app": "a", "env": "staging"}})
}

#[tokio::test]
async fn promote_prompt_creates_target() {
    let h = Harness::start().await;
    h.api
        .respond(|r| match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/v1/prompts/s1") => Reply::json(200, source()),
            ("GET", "/v1/prompts") => Reply::json(200, json!({"total": 0, "data": []})),
            ("POST", "/v1/prompts") => Reply::json(
                200,
                json!({"id": "t1", "slug": "greet-prod", "version_id": "tv1"}),
            ),
            _ => Reply::json(500, json!({"message": "unexpected"})),
        });
    let (env, sent) = h
        .call(
            "promote_prompt",
            json!({"source_prompt_id": "s1", "target_collection_id": "col-p", "target_env": "prod"}),
        )
        .await;
    assert_eq!(
        sent.iter().map(route).collect::<Vec<_>>(),
        vec![
            ("GET".into(), "/v1/prompts/s1".into()),
            ("GET".into(), "/v1/prompts".into()),
            ("POST".into(), "/v1/prompts".into())
        ]
    );
    assert!(
        sent[1]
            .query
            .contains(&("search".into(), "greet-prod".into()))
    );
    let mut body = sent[2].body.clone().unwrap();
    assert!(is_now(&body["template_metadata"]["promoted_at"]));
    body["template_metadata"]
        .as_object_mut()
        .unwrap()
        .remove("promoted_at");
    assert_eq!(
        body,
        json!({"name": "greet-prod", "collection_id": "col-p", "string": "Hi {{x}}", "parameters": {"t": 1},
            "virtual_key": "vk-src", "model": "gpt-4o", "is_raw_template": 1,
            "version_description": "Promoted from greet-staging v3",
            "template_metadata": {"app": "a", "env": "prod", "promoted_from": "greet-staging", "promoted_from_version": "3"}})
    );
    let d = &env["data"];
    assert_eq!(d["source"], json!({"prompt_id": "s1", "version_id": "sv3"}));
    assert_eq!(
        d["target"],
        json!({"prompt_id": "t1", "version_id": "tv1", "action": "created"})
    );
}

#[tokio::test]
async fn promote_prompt_updates_existing_target() {
    let h = Harness::start().await;
    h.api
        .respond(|r| match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/v1/prompts/s1") => Reply::json(200, source()),
            ("GET", "/v1/prompts") => Reply::json(
                200,
                json!({"total": 1, "data": [{"id": "t1", "name": "Live"}]}),
            ),
            ("PUT", "/v1/prompts/t1") => {
                Reply::json(200, json!({"id": "t1", "prompt_version_id": "tv2"}))
            }
            _ => Reply::json(500, json!({"message": "unexpected"})),
        });
    let (env, sent) = h
        .call(
            "promote_prompt",
            json!({"source_prompt_id": "s1", "target_collection_id": "col-p", "target_env": "prod",
                "target_name": "live", "virtual_key": "vk-prod"}),
        )
        .await;
    assert_eq!(route(&sent[2]), ("PUT".into(), "/v1/prompts/t1".into()));
    let body = sent[2].body.clone().unwrap();
    assert_eq!(body["virtual_key"], "vk-prod");
    assert_eq!(body["patch"], true);
    assert_eq!(body["prompt_metadata"]["env"], "prod");
    assert!(body.get("name").is_none() && body.get("template_metadata").is_none());
    assert_eq!(env["data"]["target"]["action"], "updated");
    assert_eq!(env["data"]["target"]["version_id"], "tv2");
}

#[tokio::test]
async fn promote_prompt_needs_a_live_source_version() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "promote_prompt",
            json!({"source_prompt_id": "s1", "target_collection_id": "c", "target_env": "prod"}),
        )
        .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(env["ok"], false);
    h.refused(
        "promote_prompt",
        json!({"source_prompt_id": "s1", "target_collection_id": "c", "target_env": ""}),
    )
    .await;
}

#[tokio::test]
async fn validate_completion_metadata_is_local() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "validate_completion_metadata",
            json!({"client_id": "c", "app": "a", "env": "prod"}),
        )
        .await;
    assert!(sent.is_empty());
    assert_eq!(env["data"]["valid"], true);
    assert_eq!(env["data"]["errors"], json!([]));
    assert_eq!(env["data"]["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(
        env["data"]["metadata"],
        json!({"client_id": "c", "app": "a", "env": "prod"})
    );
    let (env, sent) = h
        .call("validate_completion_metadata", json!({"client_id": ""}))
        .await;
    assert!(sent.is_empty());
    assert_eq!(env["data"]["valid"], false);
    assert_eq!(env["data"]["errors"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn get_prompt_version_shapes_version() {
    let h = Harness::start().await;
    h.api.reply_json(
        200,
        json!({"id": "p1", "name": "P", "slug": "p", "prompt_version_id": "v1", "prompt_version": 4,
            "string": {"string": "Hi"}, "functions": [{"name": "f"}],
            "tools": [{"type": "function", "function": {"name": "t"}}], "model": "m"}),
    );
    let (env, sent) = h
        .call(
            "get_prompt_version",
            json!({"prompt_id": "p1", "version_id": "v/1"}),
        )
        .await;
    assert_eq!(
        route(&sent[0]),
        ("GET".into(), "/v1/prompts/p1/versions/v%2F1".into())
    );
    let d = &env["data"];
    assert_eq!(d["prompt"], json!({"id": "p1", "name": "P", "slug": "p"}));
    assert_eq!(d["version"]["id"], "v1");
    assert_eq!(d["version"]["number"], 4);
    assert_eq!(d["version"]["template"], "Hi");
    assert_eq!(d["version"]["function_names"], json!(["f"]));
    assert_eq!(d["version"]["tool_names"], json!(["t"]));
}

#[tokio::test]
async fn update_prompt_version_sets_and_clears_label() {
    let h = Harness::start().await;
    let (env, sent) = h
        .call(
            "update_prompt_version",
            json!({"prompt_id": "p1", "version_id": "v1", "label_id": "l1"}),
        )
        .await;
    assert_eq!(
        route(&sent[0]),
        ("PUT".into(), "/v1/prompts/p1/versions/v1".into())
    );
    assert_eq!(sent[0].body, Some(json!({"label_id": "l1"})));
    assert_eq!(env["data"]["success"], true);
    let (_, sent) = h
        .call(
            "update_prompt_version",
            json!({"prompt_id": "p1", "version_id": "v1", "label_id": ""}),
        )
        .await;
    assert_eq!(sent[0].body, Some(json!({"label_id": null})));
}
