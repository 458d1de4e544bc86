//! `cargo bench`: start-up to a full tools/list, peak RSS, and call throughput against a loopback
//! stand-in. Prints figures; asserts nothing about timing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

async fn direct_request_time(api: &StandIn, n: usize) -> Duration {
    let client = reqwest::Client::new();
    let url = format!("{}/configs/bench", api.base());
    let started = Instant::now();
    for _ in 0..n {
        client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    started.elapsed() / n as u32
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let api = StandIn::start().await;
        api.respond(|_| {
            Reply::json(
                200,
                json!({"id": "c", "slug": "s", "name": "n", "status": "active", "config": {}}),
            )
        });
        let env = env_for(&api);

        // 1. Start-up: spawn -> initialize -> full tools/list.
        let mut startups = Vec::new();
        let mut tool_count = 0;
        for _ in 0..31 {
            let started = Instant::now();
            let mcp = Mcp::start(&env).await;
            let tools = mcp.list_tools().await;
            startups.push(started.elapsed());
            tool_count = tools.len();
        }
        let startup = median(startups);

        // 2. Sequential calls: added time per call over a direct HTTP request.
        let mcp = Mcp::start(&env).await;
        for _ in 0..50 {
            mcp.call("get_config", json!({"slug": "bench"})).await;
        }
        let n = 1000;
        let started = Instant::now();
        for _ in 0..n {
            mcp.call("get_config", json!({"slug": "bench"})).await;
        }
        let per_call = started.elapsed() / n as u32;
        let direct = direct_request_time(&api, n).await;

        // 3. Throughput with 16 calls in flight.
        let mcp = Arc::new(mcp);
        let gate = Arc::new(tokio::sync::Semaphore::new(16));
        let total = 4000;
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(total);
        for _ in 0..total {
            let mcp = mcp.clone();
            let gate = gate.clone();
            tasks.push(tokio::spawn(async move {
                let _p = gate.acquire().await.unwrap();
                mcp.call("get_config", json!({"slug": "bench"})).await
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = started.elapsed();
        let rss = mcp.child_id().and_then(peak_rss_kib);

        println!("portkey-admin-mcp benchmark ({tool_count} tools, loopback stand-in)");
        println!(
            "  initialize + full tools/list, median of 31 cold starts: {:.2} ms",
            startup.as_secs_f64() * 1e3
        );
        println!(
            "  sequential call round trip:   {:.3} ms",
            per_call.as_secs_f64() * 1e3
        );
        println!(
            "  direct HTTP request:          {:.3} ms",
            direct.as_secs_f64() * 1e3
        );
        println!(
            "  added per call:               {:.3} ms",
            per_call.saturating_sub(direct).as_secs_f64() * 1e3
        );
        println!(
            "  throughput, 16 in flight:     {:.0} calls/s ({total} calls in {:.2} s)",
            total as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64()
        );
        match rss {
            Some(kib) => println!(
                "  peak RSS after the load:      {:.1} MB",
                kib as f64 / 1024.0
            ),
            None => println!("  peak RSS: unavailable (no /proc)"),
        }
    });
}
