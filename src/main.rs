//! Thin entry point: flags -> Config -> stderr logging -> serve MCP on stdio (or print the catalog).
#![deny(clippy::print_stdout)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use portkey_admin_mcp::config::{Cli, Command, Config};
use portkey_admin_mcp::{build_registry, build_server, domain_names};
use rmcp::ServiceExt;

fn init_logging(level: Option<&str>) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| level.map(str::to_string))
        .unwrap_or_else(|| "warn".to_string());
    // rmcp logs whole requests (tool arguments, which may hold credentials) at debug level:
    // keep it at warn whatever the user asks for.
    let filter = format!("{filter},rmcp=warn");
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}

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
        None => serve(config),
    }
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
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn serve(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portkey-admin-mcp: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let server = match build_server(&config) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("portkey-admin-mcp: {e}");
                return ExitCode::from(2);
            }
        };
        tracing::info!(
            tools = server.registry().tools().len(),
            "serving MCP on stdio"
        );
        let running = match server.serve(rmcp::transport::stdio()).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("MCP initialisation failed: {e}");
                return ExitCode::from(1);
            }
        };
        match running.waiting().await {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("MCP session ended with an error: {e}");
                ExitCode::from(1)
            }
        }
    })
}
