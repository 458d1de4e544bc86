//! Thin entry point: flags -> Config -> stderr logging -> serve MCP on stdio (or print the catalog).
#![deny(clippy::print_stdout)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use portkey_admin_mcp::config::{Cli, Command, Config};
use portkey_admin_mcp::{build_registry, domain_names};

fn init_logging(level: Option<&str>) {
    use tracing_subscriber::filter::{FilterExt, filter_fn};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};

    let wanted = std::env::var("RUST_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| level.map(str::to_string))
        .unwrap_or_else(|| "warn".to_string());
    let wanted = EnvFilter::try_new(&wanted).unwrap_or_else(|_| EnvFilter::new("warn"));
    // Whatever the filter asks for, only this crate may log below warn: rmcp logs whole JSON-RPC
    // messages at debug (tool arguments with provider keys, results with new API keys), and the
    // HTTP and TLS crates may log payloads too. A second filter on the same layer cannot be
    // outvoted by a more specific directive, as an added `rmcp=warn` directive could.
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .with_filter(wanted.and(filter_fn(|meta| log_allowed(meta.target(), *meta.level()))));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// True when an event or span of `target` at `level` may be logged at all: anything at warn or
/// above, and this crate's own records at any level.
fn log_allowed(target: &str, level: tracing::Level) -> bool {
    const OWN: &str = env!("CARGO_CRATE_NAME");
    level <= tracing::Level::WARN
        || target
            .strip_prefix(OWN)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// Keeps the process on 4 KiB pages from before mimalloc's constructor touches its arena
/// (`memory::no_huge_pages`): the linkers sort `.init_array.NNNNN` sections by number ahead of
/// the plain `.init_array` that mimalloc's constructor lands in (GCC; clang gives it 101).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(unsafe_code)]
#[used]
#[unsafe(link_section = ".init_array.00100")]
static EARLY: extern "C" fn() = portkey_admin_mcp::memory::no_huge_pages;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.opts.log_level.as_deref());
    let domains = domain_names();
    let config = match Config::from_opts(&cli.opts, &domains) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("portkey-admin-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Tools { domain, json }) => print_catalog(&config, &domain, json),
        Some(Command::Doctor { json }) => doctor(&config, json),
        Some(Command::Health { url }) => health(url),
        Some(Command::Http { host, port }) => serve_http(config, host.as_deref(), port),
        None => match portkey_admin_mcp::http::transport_is_http(&env_var) {
            Ok(true) => serve_http(config, None, None),
            Ok(false) => serve(config),
            Err(e) => {
                eprintln!("portkey-admin-mcp: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Serves Streamable HTTP (`http` subcommand, or MCP_TRANSPORT=http).
fn serve_http(config: Config, host: Option<&str>, port: Option<u16>) -> ExitCode {
    use portkey_admin_mcp::http::{HttpSettings, serve};
    let settings = match HttpSettings::from_env(&env_var, host, port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("portkey-admin-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match start_runtime(&mut tokio::runtime::Builder::new_multi_thread()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let code = runtime.block_on(async move {
        match serve(config, settings).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("portkey-admin-mcp: {e}");
                ExitCode::from(2)
            }
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

/// `health`: one GET with a 5 s limit; says what it got on stderr.
fn health(url: Option<String>) -> ExitCode {
    if url.is_none()
        && !matches!(
            portkey_admin_mcp::http::transport_is_http(&env_var),
            Ok(true)
        )
    {
        // The same image serves stdio, where there is no server to ask.
        eprintln!(
            "portkey-admin-mcp health: MCP_TRANSPORT is not http, so there is no HTTP server to check; pass --url to check one"
        );
        return ExitCode::SUCCESS;
    }
    let url = match url {
        Some(u) => u,
        None => match portkey_admin_mcp::http::listen_port(&env_var) {
            Ok(port) => format!("http://127.0.0.1:{port}/health"),
            Err(e) => {
                eprintln!("portkey-admin-mcp health: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let runtime = match start_runtime(&mut tokio::runtime::Builder::new_current_thread()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let client = match portkey_admin_mcp::upstream::Upstream::direct(true) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("portkey-admin-mcp health: cannot build an HTTP client: {e}");
                return ExitCode::from(2);
            }
        };
        match client
            .fetch(&url, 64 * 1024, std::time::Duration::from_secs(5))
            .await
        {
            Ok((status, _)) if status == http::StatusCode::OK => ExitCode::SUCCESS,
            Ok((status, _)) => {
                eprintln!("portkey-admin-mcp health: {url} answered {status}");
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("portkey-admin-mcp health: {url} did not answer: {e}");
                ExitCode::from(1)
            }
        }
    })
}

fn print_catalog(config: &Config, only: &[String], json: bool) -> ExitCode {
    let mut config = config.clone();
    if !only.is_empty() {
        match portkey_admin_mcp::config::parse_domains(&only.join(","), &domain_names()) {
            Ok(d) => config.domains = d,
            Err(e) => {
                eprintln!("portkey-admin-mcp: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let registry = match build_registry(&config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portkey-admin-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    let text = if json {
        portkey_admin_mcp::catalog_json(&registry)
    } else {
        portkey_admin_mcp::catalog_text(&registry)
    };
    if !print(&text) {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Writes a command's whole output to stdout; false when stdout is gone.
fn print(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_ok()
}

/// The one line a person who starts the server by hand sees: it is not stuck, it waits for a
/// client. Only when stdin is a terminal, and never on stdout.
fn greet_if_terminal() {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprintln!(
            "portkey-admin-mcp {}: waiting for an MCP client on stdio (start it from an MCP client; --help lists the settings; Ctrl-C stops)",
            env!("CARGO_PKG_VERSION")
        );
    }
}

/// Builds the async runtime a command runs on; a failure is reported once, here.
fn start_runtime(
    builder: &mut tokio::runtime::Builder,
) -> Result<tokio::runtime::Runtime, ExitCode> {
    builder.enable_all().build().map_err(|e| {
        eprintln!("portkey-admin-mcp: could not start the async runtime: {e}");
        ExitCode::from(1)
    })
}

fn doctor(config: &Config, json: bool) -> ExitCode {
    let runtime = match start_runtime(tokio::runtime::Builder::new_multi_thread().worker_threads(2))
    {
        Ok(r) => r,
        Err(code) => return code,
    };
    let reports = match runtime.block_on(portkey_admin_mcp::diagnose(config)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portkey-admin-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    let text = if json {
        let list: Vec<serde_json::Value> = reports.iter().map(|r| r.to_json()).collect();
        format!("{}\n", serde_json::json!({"areas": list}))
    } else {
        portkey_admin_mcp::doctor::text(&reports)
    };
    if !print(&text) {
        return ExitCode::from(1);
    }
    use portkey_admin_mcp::doctor::Verdict;
    let broken = reports
        .iter()
        .any(|r| matches!(r.verdict, Verdict::KeyInvalid | Verdict::NoKey));
    if broken {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn serve(config: Config) -> ExitCode {
    greet_if_terminal();
    // Every call runs on this thread, which also trims at quiet moments: mimalloc need not
    // purge on its own clock while calls are coming in.
    portkey_admin_mcp::memory::quiet_trims_only();
    // One thread: a stdio session is one client whose calls spend their time waiting on Portkey.
    // Two workers cost more CPU per call (tasks handed between threads, futex wake-ups) than
    // they gain; measured with `cargo bench` and scripts/bench-vs-reference.py.
    let runtime = match start_runtime(&mut tokio::runtime::Builder::new_current_thread()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let code = runtime.block_on(async move {
        let unavailable = if config.hide_unavailable {
            match portkey_admin_mcp::unavailable_tools(&config).await {
                Ok(u) => u,
                Err(e) => {
                    eprintln!("portkey-admin-mcp: {e}");
                    return ExitCode::from(2);
                }
            }
        } else {
            Default::default()
        };
        let server = match portkey_admin_mcp::build_server_without(&config, unavailable) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("portkey-admin-mcp: {e}");
                return ExitCode::from(2);
            }
        };
        // Building the tool table left some scratch memory free but held: once the first
        // answers are out, give it back.
        server.settle();
        tracing::info!(
            tools = server.registry().tools().len(),
            "serving MCP on stdio"
        );
        match portkey_admin_mcp::stdio::serve_stdio(server).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                ExitCode::from(1)
            }
        }
    });
    // A blocking stdin read (when stdin is not a pipe) cannot be cancelled; everything that
    // matters has been awaited, so do not wait for it.
    runtime.shutdown_background();
    code
}

#[cfg(test)]
mod tests {
    use super::log_allowed;
    use tracing::Level;

    #[test]
    fn only_this_crate_logs_below_warn() {
        for target in [
            "rmcp",
            "rmcp::service",
            "hyper_util::client::legacy::connect",
            "hyper",
            "rustls::conn",
            "h2",
        ] {
            assert!(!log_allowed(target, Level::DEBUG), "{target}");
            assert!(!log_allowed(target, Level::TRACE), "{target}");
            assert!(!log_allowed(target, Level::INFO), "{target}");
            assert!(log_allowed(target, Level::WARN), "{target}");
            assert!(log_allowed(target, Level::ERROR), "{target}");
        }
        for target in ["portkey_admin_mcp", "portkey_admin_mcp::client"] {
            assert!(log_allowed(target, Level::TRACE), "{target}");
        }
        assert!(!log_allowed("portkey_admin_mcp_evil", Level::DEBUG));
    }
}
