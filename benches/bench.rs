//! `cargo bench`: start-up to a full tools/list, call latency and throughput, CPU per call, memory
//! after bursts and the peak number of simultaneous upstream requests, against a loopback stand-in.
//! Prints figures; asserts nothing about timing. `scripts/bench-vs-reference.py` runs the same load
//! beside the TypeScript reference.
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

/// Portkey returns a config's body as a JSON string.
const CONFIG_BODY: &str = r#"{"retry": {"attempts": 3}}"#;

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

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

/// User + system CPU time the process has used so far, in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    let tick = clock_ticks();
    Some((utime + stime) / tick)
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `n` get_config calls written at once, then all their answers awaited.
async fn pipelined(mcp: &Arc<Mcp>, n: usize) {
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let mcp = mcp.clone();
        tasks.push(tokio::spawn(async move {
            mcp.request(
                "tools/call",
                json!({"name": "get_config", "arguments": {"slug": "bench"}}),
            )
            .await
        }));
    }
    for t in tasks {
        let answer = t.await.unwrap();
        assert!(
            answer["result"]["isError"] == json!(false),
            "burst call failed: {answer}"
        );
    }
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
                json!({"id": "c", "slug": "s", "name": "n", "status": "active", "config": CONFIG_BODY}),
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
        let pid = mcp.child_id().unwrap();
        let cpu_before = cpu_seconds(pid);
        let started = Instant::now();
        for _ in 0..n {
            mcp.call("get_config", json!({"slug": "bench"})).await;
        }
        let per_call = started.elapsed() / n as u32;
        let cpu_sequential = cpu_seconds(pid)
            .zip(cpu_before)
            .map(|(after, before)| (after - before) / n as f64);
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

        // 4. Bursts, as in issue 17: 5 bursts of 1000 pipelined calls, then 2000 calls in waves
        // of 100, against a stand-in that holds each request 2 ms.
        api.respond(|_| {
            Reply::json(
                200,
                json!({"id": "c", "slug": "s", "name": "n", "status": "active", "config": CONFIG_BODY}),
            )
            .delay(Duration::from_millis(2))
        });
        let mcp = Arc::new(Mcp::start(&env).await);
        let pid = mcp.child_id().unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let idle = rss_kib(pid, "VmRSS");
        pipelined(&mcp, 100).await;
        api.reset_peak();
        let cpu_before = cpu_seconds(pid);
        let started = Instant::now();
        for _ in 0..5 {
            pipelined(&mcp, 1000).await;
        }
        let bursts_elapsed = started.elapsed();
        let started = Instant::now();
        for _ in 0..20 {
            pipelined(&mcp, 100).await;
        }
        let waves_elapsed = started.elapsed();
        let burst_calls = 7000.0;
        let cpu_burst = cpu_seconds(pid)
            .zip(cpu_before)
            .map(|(after, before)| (after - before) / burst_calls);
        let burst_peak = rss_kib(pid, "VmHWM");
        // What the process keeps once the load has passed (it gives memory back when it goes
        // quiet), as scripts/bench-vs-reference.py reads it.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let burst_final = rss_kib(pid, "VmRSS");
        let upstream_peak = api.peak_open();

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
        let mb = |kib: Option<u64>| match kib {
            Some(k) => format!("{:.1} MB", k as f64 / 1024.0),
            None => "unavailable (no /proc)".to_string(),
        };
        let us = |s: Option<f64>| match s {
            Some(s) => format!("{:.0} us", s * 1e6),
            None => "unavailable (no /proc)".to_string(),
        };
        println!("  peak RSS after the load:      {}", mb(rss));
        println!("  CPU per call, sequential:     {}", us(cpu_sequential));
        println!("  bursts (5 x 1000 pipelined, then 2000 in waves of 100; stand-in holds each 2 ms):");
        println!("    idle RSS before:            {}", mb(idle));
        println!("    CPU per call:               {}", us(cpu_burst));
        println!("    peak RSS:                   {}", mb(burst_peak));
        println!("    RSS 1 s after:              {}", mb(burst_final));
        println!("    peak simultaneous upstream: {upstream_peak}");
        println!(
            "    bursts {:.2} s, waves {:.0} calls/s",
            bursts_elapsed.as_secs_f64(),
            2000.0 / waves_elapsed.as_secs_f64()
        );
    });
}
