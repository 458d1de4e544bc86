//! Start-up configuration: environment variables and the matching command-line flags.
//! Every rule that can refuse a configuration runs here, before the server reads stdin.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use clap::{Args, Parser, Subcommand};
use url::Url;

pub const DEFAULT_BASE_URL: &str = "https://api.portkey.ai/v1";
pub const DEFAULT_PUBLIC_BASE_URL: &str = "https://api.portkey.ai";
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// portkey-admin-mcp: the Portkey Admin API as MCP tools, served on stdio.
#[derive(Debug, Parser)]
#[command(
    name = "portkey-admin-mcp",
    version,
    about,
    long_about = None,
    after_help = "Without a command it serves MCP on stdio: start it from an MCP client (Claude Code, Cursor, VS Code, ...), not by hand. Each option can also be set by the variable shown as [env: NAME]; a flag wins over its variable."
)]
pub struct Cli {
    #[command(flatten)]
    pub opts: Opts,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over Streamable HTTP at /mcp (settings in MCP_* variables; see the README).
    Http {
        /// Address to listen on (default MCP_HOST, else 127.0.0.1).
        #[arg(long)]
        host: Option<String>,
        /// Port to listen on (default MCP_PORT, else 3000; 0 picks a free port).
        #[arg(long)]
        port: Option<u16>,
    },
    /// Check that a running HTTP server answers (for container health checks): exits 0 when
    /// GET <url> answers 200, 1 otherwise.
    Health {
        /// What to ask [default: http://127.0.0.1:<MCP_PORT or 3000>/health].
        #[arg(long)]
        url: Option<String>,
    },
    /// Print the tool catalog grouped by domain (no API key needed).
    Tools {
        /// Only this domain (repeatable).
        #[arg(long = "domain")]
        domain: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Probe each area once with a cheap read (nothing is written) and say what the key can use.
    Doctor {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Options shared by serving and the `tools` listing.
#[derive(Debug, Args, Default, Clone)]
pub struct Opts {
    /// Portkey API key, sent only as the x-portkey-api-key header [default: none: tools are listed, calls answer how to set it].
    #[arg(long, env = "PORTKEY_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
    /// Admin API base URL [default: https://api.portkey.ai/v1].
    #[arg(long, env = "PORTKEY_BASE_URL", hide_env_values = true, global = true)]
    pub base_url: Option<String>,
    /// Base of Portkey's public catalog (model pricing), called without the key [default: https://api.portkey.ai].
    #[arg(
        long,
        env = "PORTKEY_PUBLIC_BASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub public_base_url: Option<String>,
    /// Allow an http:// base URL (bare flag or =true|false|1|0|yes|no|on|off) [default: off].
    #[arg(long, env = "PORTKEY_ALLOW_INSECURE_HTTP", hide_env_values = true, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub allow_insecure_http: Option<String>,
    /// Allow a loopback or private-network base URL (bare flag or =true|false|1|0|yes|no|on|off) [default: off].
    #[arg(long, env = "PORTKEY_ALLOW_PRIVATE_BASE_URL", hide_env_values = true, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub allow_private_base_url: Option<String>,
    /// Comma list of tool domains to expose; MCP_TOOL_DOMAINS is an alias [default: all].
    #[arg(
        long,
        env = "PORTKEY_TOOL_DOMAINS",
        hide_env_values = true,
        global = true
    )]
    pub tool_domains: Option<String>,
    /// Log level for stderr (error, warn, info, debug, trace; RUST_LOG wins) [default: warn].
    #[arg(long, env = "LOG_LEVEL", hide_env_values = true, global = true)]
    pub log_level: Option<String>,
    /// Time budget of one tool call in milliseconds, retries included [default: 30000].
    #[arg(long, env = "PORTKEY_TIMEOUT_MS", hide_env_values = true, global = true, value_parser = parse_timeout_ms)]
    pub timeout_ms: Option<u64>,
    /// Retries of a GET on 429/502/503/504 or a connection error [default: 2].
    #[arg(long, env = "PORTKEY_MAX_RETRIES", hide_env_values = true, global = true, value_parser = parse_max_retries)]
    pub max_retries: Option<u32>,
    /// Expose only read-only tools (bare flag or =true|false|1|0|yes|no|on|off) [default: off].
    #[arg(long, env = "PORTKEY_READ_ONLY", hide_env_values = true, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub read_only: Option<String>,
    /// Comma list of tool names to enable (added to the selected domains) [default: none].
    #[arg(long, env = "PORTKEY_TOOLS", hide_env_values = true, global = true)]
    pub tools: Option<String>,
    /// Comma list of tool names to disable [default: none].
    #[arg(
        long,
        env = "PORTKEY_EXCLUDE_TOOLS",
        hide_env_values = true,
        global = true
    )]
    pub exclude_tools: Option<String>,
    /// Pin every workspace_id to this workspace (its id or slug) [default: none].
    #[arg(
        long,
        env = "PORTKEY_WORKSPACE_ID",
        hide_env_values = true,
        global = true
    )]
    pub workspace_id: Option<String>,
    /// Ask the user (MCP elicitation) before any destructive call (bare flag or =true|false|1|0|yes|no|on|off) [default: off].
    #[arg(long, env = "PORTKEY_CONFIRM_DESTRUCTIVE", hide_env_values = true, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub confirm_destructive: Option<String>,
    /// How long the user has to answer a confirmation, in milliseconds [default: 120000].
    #[arg(long, env = "PORTKEY_CONFIRM_TIMEOUT_MS", hide_env_values = true, global = true, value_parser = parse_confirm_timeout_ms)]
    pub confirm_timeout_ms: Option<u64>,
    /// Append one JSON line per write-tool call to this file [default: none].
    #[arg(long, env = "PORTKEY_AUDIT_LOG", hide_env_values = true, global = true)]
    pub audit_log: Option<String>,
    /// At most this many calls of tools that change data per rolling minute [default: no limit].
    #[arg(long, env = "PORTKEY_MAX_WRITES_PER_MINUTE", hide_env_values = true, global = true, value_parser = parse_max_writes)]
    pub max_writes_per_minute: Option<u32>,
    /// At most this many requests to Portkey at once (1 to 256); the rest wait in order [default: 16].
    #[arg(long, env = "PORTKEY_MAX_CONCURRENCY", hide_env_values = true, global = true, value_parser = parse_max_concurrency)]
    pub max_concurrency: Option<u32>,
    /// Probe the key at start-up and leave out the tools it cannot use (true|false) [default: off].
    #[arg(long, env = "PORTKEY_HIDE_UNAVAILABLE", hide_env_values = true, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub hide_unavailable: Option<String>,
    /// `all` lists every tool; `discover` lists three tools that search, describe and call the rest [default: all].
    #[arg(long, env = "PORTKEY_TOOL_MODE", hide_env_values = true, global = true)]
    pub tool_mode: Option<String>,
}

/// How the tools are presented to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolMode {
    /// Every enabled tool is listed.
    #[default]
    All,
    /// Three tools are listed: search, describe and call the enabled ones.
    Discover,
}

/// Parses `PORTKEY_TOOL_MODE`.
pub fn parse_tool_mode(raw: Option<&str>) -> Result<ToolMode, String> {
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("all") => Ok(ToolMode::All),
        Some("discover") => Ok(ToolMode::Discover),
        Some(other) => Err(format!(
            "PORTKEY_TOOL_MODE (--tool-mode) must be `all` or `discover`, not \"{}\"",
            other.chars().take(40).collect::<String>()
        )),
    }
}

/// Default bound on simultaneous requests to Portkey.
pub const DEFAULT_MAX_CONCURRENCY: u32 = 16;

/// clap parser of `PORTKEY_MAX_CONCURRENCY`: 1 to 256.
fn parse_max_concurrency(raw: &str) -> Result<u32, String> {
    let n = parse_number(
        raw,
        DEFAULT_MAX_CONCURRENCY,
        "PORTKEY_MAX_CONCURRENCY",
        "a whole number from 1 to 256",
    )?;
    if (1..=256).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "PORTKEY_MAX_CONCURRENCY takes a whole number from 1 to 256, not {n}"
        ))
    }
}

/// clap parser of `PORTKEY_MAX_WRITES_PER_MINUTE`.
fn parse_max_writes(raw: &str) -> Result<u32, String> {
    parse_number(
        raw,
        0,
        "PORTKEY_MAX_WRITES_PER_MINUTE",
        "a whole number of calls (0 for no limit)",
    )
}

/// The validated configuration the server runs with.
#[derive(Clone)]
pub struct Config {
    pub api_key: Option<String>,
    pub base_url: String,
    pub v2_base_url: String,
    pub public_base_url: String,
    /// PORTKEY_ALLOW_PRIVATE_BASE_URL: loopback and private-network addresses may be used,
    /// both as literal hosts and as the addresses a name resolves to at connect time.
    pub allow_private_base_url: bool,
    /// Selected domains, lower-case; empty means every domain.
    pub domains: Vec<String>,
    pub timeout_ms: u64,
    pub max_retries: u32,
    pub read_only: bool,
    pub tools: Vec<String>,
    pub exclude_tools: Vec<String>,
    pub workspace_id: Option<String>,
    pub confirm_destructive: bool,
    pub confirm_timeout_ms: u64,
    pub audit_log: Option<std::path::PathBuf>,
    /// Calls of write tools allowed per rolling minute; 0 means no limit.
    pub max_writes_per_minute: u32,
    pub tool_mode: ToolMode,
    /// Probe the key at start-up and hide what it cannot use (`PORTKEY_HIDE_UNAVAILABLE`).
    pub hide_unavailable: bool,
    /// Most requests to Portkey in flight at once (`PORTKEY_MAX_CONCURRENCY`).
    pub max_concurrency: u32,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .field("base_url", &self.base_url)
            .field("v2_base_url", &self.v2_base_url)
            .field("public_base_url", &self.public_base_url)
            .field("allow_private_base_url", &self.allow_private_base_url)
            .field("domains", &self.domains)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("read_only", &self.read_only)
            .field("tools", &self.tools)
            .field("exclude_tools", &self.exclude_tools)
            .field("workspace_id", &self.workspace_id)
            .field("confirm_destructive", &self.confirm_destructive)
            .field("audit_log", &self.audit_log)
            .field("max_writes_per_minute", &self.max_writes_per_minute)
            .field("tool_mode", &self.tool_mode)
            .field("hide_unavailable", &self.hide_unavailable)
            .field("max_concurrency", &self.max_concurrency)
            .finish()
    }
}

/// The spellings a switch accepts, for error messages.
pub const SWITCH_VALUES: &str = "true/false, 1/0, yes/no or on/off";

/// Reads one on/off switch. `true|1|yes|on` and `false|0|no|off` in any case, trimmed; unset or
/// empty is off. Anything else is an error naming the variable and its flag, so a typo stops
/// start-up instead of quietly leaving a safety control off.
pub fn parse_switch(var: &str, flag: &str, raw: Option<&str>) -> Result<bool, String> {
    let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(false);
    };
    const ON: [&str; 4] = ["true", "1", "yes", "on"];
    const OFF: [&str; 4] = ["false", "0", "no", "off"];
    if ON.iter().any(|w| value.eq_ignore_ascii_case(w)) {
        return Ok(true);
    }
    if OFF.iter().any(|w| value.eq_ignore_ascii_case(w)) {
        return Ok(false);
    }
    Err(format!(
        "{var} (--{flag}) must be one of {SWITCH_VALUES} (any case), not \"{}\"",
        shown(value)
    ))
}

/// A value as quoted back in an error: at most 40 characters, control characters escaped.
fn shown(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(40)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().nth(40).is_some() {
        out.push_str("...");
    }
    out
}

/// A whole number as a variable's value; empty (or blank) means the default.
fn parse_number<T: std::str::FromStr>(
    raw: &str,
    default: T,
    var: &str,
    what: &str,
) -> Result<T, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(default);
    }
    value
        .parse()
        .map_err(|_| format!("{var} takes {what}, not \"{}\"", shown(value)))
}

/// clap parser of `PORTKEY_TIMEOUT_MS` / `--timeout-ms`.
fn parse_timeout_ms(raw: &str) -> Result<u64, String> {
    parse_number(
        raw,
        DEFAULT_TIMEOUT_MS,
        "PORTKEY_TIMEOUT_MS",
        "a whole number of milliseconds (e.g. 30000)",
    )
}

/// clap parser of `PORTKEY_CONFIRM_TIMEOUT_MS` / `--confirm-timeout-ms`.
fn parse_confirm_timeout_ms(raw: &str) -> Result<u64, String> {
    parse_number(
        raw,
        crate::pipeline::DEFAULT_CONFIRM_TIMEOUT_MS,
        "PORTKEY_CONFIRM_TIMEOUT_MS",
        "a whole number of milliseconds (e.g. 120000)",
    )
}

/// clap parser of `PORTKEY_MAX_RETRIES` / `--max-retries`.
fn parse_max_retries(raw: &str) -> Result<u32, String> {
    parse_number(
        raw,
        DEFAULT_MAX_RETRIES,
        "PORTKEY_MAX_RETRIES",
        "a whole number of retries (e.g. 2)",
    )
}

impl Config {
    /// Validates the options. `valid_domains` is the registry's domain table, in order.
    pub fn from_opts(opts: &Opts, valid_domains: &[&str]) -> Result<Config, String> {
        let insecure = parse_switch(
            "PORTKEY_ALLOW_INSECURE_HTTP",
            "allow-insecure-http",
            opts.allow_insecure_http.as_deref(),
        )?;
        let private = parse_switch(
            "PORTKEY_ALLOW_PRIVATE_BASE_URL",
            "allow-private-base-url",
            opts.allow_private_base_url.as_deref(),
        )?;
        let read_only = parse_switch("PORTKEY_READ_ONLY", "read-only", opts.read_only.as_deref())?;
        let confirm_destructive = parse_switch(
            "PORTKEY_CONFIRM_DESTRUCTIVE",
            "confirm-destructive",
            opts.confirm_destructive.as_deref(),
        )?;
        let base = opts
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_BASE_URL);
        let base_url = check_base_url("PORTKEY_BASE_URL", base, insecure, private)?;
        let public = opts
            .public_base_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_PUBLIC_BASE_URL);
        let public_base_url = check_base_url("PORTKEY_PUBLIC_BASE_URL", public, insecure, private)?;
        let v2_base_url = match base_url.strip_suffix("/v1") {
            Some(stem) => format!("{stem}/v2"),
            None => base_url.clone(),
        };
        let domains_raw = opts
            .tool_domains
            .clone()
            .or_else(|| std::env::var("MCP_TOOL_DOMAINS").ok())
            .unwrap_or_default();
        let domains = parse_domains(&domains_raw, valid_domains)?;
        let api_key = opts
            .api_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        Ok(Config {
            api_key,
            base_url,
            v2_base_url,
            public_base_url,
            allow_private_base_url: private,
            domains,
            timeout_ms: opts
                .timeout_ms
                .filter(|t| *t > 0)
                .unwrap_or(DEFAULT_TIMEOUT_MS),
            max_retries: opts.max_retries.unwrap_or(DEFAULT_MAX_RETRIES).min(10),
            read_only,
            tools: name_list(opts.tools.as_deref()),
            exclude_tools: name_list(opts.exclude_tools.as_deref()),
            workspace_id: opts
                .workspace_id
                .as_deref()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_string),
            confirm_destructive,
            confirm_timeout_ms: opts
                .confirm_timeout_ms
                .filter(|t| *t > 0)
                .unwrap_or(crate::pipeline::DEFAULT_CONFIRM_TIMEOUT_MS),
            audit_log: opts
                .audit_log
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(std::path::PathBuf::from),
            max_writes_per_minute: opts.max_writes_per_minute.unwrap_or(0),
            tool_mode: parse_tool_mode(opts.tool_mode.as_deref())?,
            max_concurrency: opts.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY),
            hide_unavailable: parse_switch(
                "PORTKEY_HIDE_UNAVAILABLE",
                "hide-unavailable",
                opts.hide_unavailable.as_deref(),
            )?,
        })
    }
}

/// A comma list of names, trimmed, empties dropped, duplicates removed.
pub fn name_list(raw: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.unwrap_or("").split(',') {
        let name = part.trim().to_string();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Parses a comma list of domain names; an unknown one is an error naming the valid ones.
pub fn parse_domains(raw: &str, valid: &[&str]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(',') {
        let name = part.trim().to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        if !valid.contains(&name.as_str()) {
            return Err(format!(
                "unknown tool domain \"{name}\" in PORTKEY_TOOL_DOMAINS; valid domains: {}",
                valid.join(", ")
            ));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

/// Checks one base URL against the scheme and host rules; returns it with trailing slashes trimmed.
pub fn check_base_url(
    var: &str,
    raw: &str,
    insecure: bool,
    private: bool,
) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url =
        Url::parse(trimmed).map_err(|e| format!("{var} is not a valid URL ({e}): {trimmed}"))?;
    match url.scheme() {
        "https" => {}
        "http" if insecure => {}
        "http" => {
            return Err(format!(
                "{var} uses http://, which would send the API key unencrypted. Use https://, or set PORTKEY_ALLOW_INSECURE_HTTP=true for a trusted self-hosted gateway."
            ));
        }
        other => return Err(format!("{var} must be an http(s) URL, not {other}:")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{var} must not carry credentials in the URL"));
    }
    let host = url
        .host()
        .ok_or_else(|| format!("{var} has no host: {trimmed}"))?;
    if !private && is_private_host(&host) {
        return Err(format!(
            "{var} points at a loopback or private-network host ({host}). Set PORTKEY_ALLOW_PRIVATE_BASE_URL=true to use a self-hosted gateway there."
        ));
    }
    Ok(trimmed.to_string())
}

fn is_private_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => is_private_name(d),
        url::Host::Ipv4(ip) => is_private_v4(*ip),
        url::Host::Ipv6(ip) => is_private_v6(*ip),
    }
}

/// Names that always mean this machine or an internal network, whatever DNS says today.
pub fn is_private_name(name: &str) -> bool {
    let d = name.trim_end_matches('.').to_ascii_lowercase();
    let under = |zone: &str| d == zone || d.ends_with(&format!(".{zone}"));
    under("localhost") || under("internal") || under("local") || under("localtest.me")
}

/// IPv4 ranges that are not a public internet host: this machine, private and shared networks,
/// link-local, benchmarking, IETF protocol assignments, documentation, multicast, reserved and
/// broadcast.
fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network"
        || a == 127 // loopback
        || a == 10
        || (a == 172 && (16..=31).contains(&b))
        || (a == 192 && b == 168)
        || (a == 169 && b == 254) // link-local
        || (a == 100 && (64..=127).contains(&b)) // CGNAT shared space
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224 // multicast 224/4, reserved 240/4, broadcast
}

/// The IPv4 address carried in the last 32 bits of `ip`.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let [.., w, x, y, z] = ip.octets();
    Ipv4Addr::new(w, x, y, z)
}

/// IPv6 ranges that are not a public internet host, including the forms that carry an IPv4
/// address (mapped, compatible, NAT64, 6to4), judged by that address.
fn is_private_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let [s0, s1, s2, s3, s4, s5, ..] = s;
    if s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0 && s4 == 0 {
        // ::ffff:a.b.c.d (mapped) is judged by its IPv4 address; the rest of ::/80 (loopback,
        // unspecified, the deprecated IPv4-compatible ::a.b.c.d, unassigned) is refused.
        return s5 != 0xffff || is_private_v4(low_v4(ip));
    }
    if s0 == 0x64 && s1 == 0xff9b && (s2 == 1 || (s2 == 0 && s3 == 0 && s4 == 0 && s5 == 0)) {
        // NAT64: 64:ff9b::/96 (well-known) and 64:ff9b:1::/48 (local use).
        return is_private_v4(low_v4(ip));
    }
    if s0 == 0x2002 {
        // 6to4: the IPv4 address is in the second and third groups.
        let [hi_a, hi_b] = s1.to_be_bytes();
        let [lo_a, lo_b] = s2.to_be_bytes();
        return is_private_v4(Ipv4Addr::new(hi_a, hi_b, lo_a, lo_b));
    }
    (s0 == 0x2001 && s1 == 0) // Teredo: tunnels to an address that cannot be checked here
        || (s0 & 0xfe00) == 0xfc00 // unique local
        || (s0 & 0xffc0) == 0xfe80 // link-local
        || (s0 & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s0 & 0xff00) == 0xff00 // multicast
}

/// True when `ip` is an address the base-URL rules treat as private.
pub fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &[&str] = &["users", "prompts", "analytics"];

    fn opts(base: &str) -> Opts {
        Opts {
            base_url: Some(base.to_string()),
            ..Opts::default()
        }
    }

    #[test]
    fn default_base_and_v2() {
        let c = Config::from_opts(&Opts::default(), D).unwrap();
        assert_eq!(c.base_url, "https://api.portkey.ai/v1");
        assert_eq!(c.v2_base_url, "https://api.portkey.ai/v2");
        assert_eq!(c.public_base_url, "https://api.portkey.ai");
        assert!(c.domains.is_empty());
        assert_eq!(c.timeout_ms, 30_000);
    }

    #[test]
    fn trailing_slashes_trimmed() {
        let c = Config::from_opts(&opts("https://gw.example.com/v1///"), D).unwrap();
        assert_eq!(c.base_url, "https://gw.example.com/v1");
        assert_eq!(c.v2_base_url, "https://gw.example.com/v2");
    }

    #[test]
    fn refuses_non_http_and_plain_http() {
        assert!(
            Config::from_opts(&opts("ftp://x.example.com"), D)
                .unwrap_err()
                .contains("http(s)")
        );
        let e = Config::from_opts(&opts("http://gw.example.com/v1"), D).unwrap_err();
        assert!(e.contains("PORTKEY_ALLOW_INSECURE_HTTP"), "{e}");
        let mut o = opts("http://gw.example.com/v1");
        o.allow_insecure_http = Some("YES".into());
        assert!(Config::from_opts(&o, D).is_ok());
    }

    #[test]
    fn refuses_private_hosts_unless_allowed() {
        for host in [
            "https://127.0.0.1/v1",
            "https://10.1.2.3",
            "https://172.16.0.1",
            "https://172.31.255.1",
            "https://192.168.1.1",
            "https://100.64.0.1",
            "https://169.254.169.254",
            "https://0.0.0.0",
            "https://localhost:8080",
            "https://api.localhost",
            "https://[::1]",
            "https://[fd00::1]",
            "https://[fe80::1]",
            "https://[::ffff:10.0.0.1]",
            // Names that always mean this machine or an internal network.
            "https://LOCALHOST.",
            "https://metadata.google.internal/v1",
            "https://internal",
            "https://printer.local",
            "https://localtest.me:8443/v1",
            "https://api.localtest.me",
            // IPv4 ranges beyond RFC 1918.
            "https://127.1.2.3",
            "https://0.1.2.3",
            "https://100.127.255.254",
            "https://169.254.0.1",
            "https://198.18.0.1",
            "https://198.19.255.255",
            "https://192.0.0.8",
            "https://192.0.2.1",
            "https://198.51.100.7",
            "https://203.0.113.9",
            "https://224.0.0.1",
            "https://239.255.255.250",
            "https://240.0.0.1",
            "https://255.255.255.255",
            "https://2130706433", // 127.0.0.1 written as one number
            "https://0x7f.1",
            // IPv6 ranges and the forms that carry an IPv4 address.
            "https://[::]",
            "https://[::127.0.0.1]",
            "https://[::8.8.8.8]",
            "https://[::ffff:127.0.0.1]",
            "https://[::ffff:7f00:1]",
            "https://[64:ff9b::7f00:1]",
            "https://[64:ff9b::10.0.0.1]",
            "https://[64:ff9b:1::a9fe:a9fe]",
            "https://[2002:7f00:1::1]",
            "https://[2002:c0a8:101::]",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
            "https://[2001::1]",
            "https://[fc00::1]",
            "https://[fdff:ffff::1]",
            "https://[febf::1]",
            "https://[fec0::1]",
            "https://[ff02::1]",
            "https://[ff0e::1]",
        ] {
            let e = Config::from_opts(&opts(host), D).unwrap_err();
            assert!(e.contains("PORTKEY_ALLOW_PRIVATE_BASE_URL"), "{host}: {e}");
            let mut o = opts(host);
            o.allow_private_base_url = Some("1".into());
            assert!(Config::from_opts(&o, D).is_ok(), "{host}");
        }
        for host in [
            "https://172.32.0.1",
            "https://100.128.0.1",
            "https://[2001:db8::1]",
            "https://8.8.8.8",
            "https://1.1.1.1/v1",
            "https://[2606:4700::1111]",
            "https://api.portkey.ai/v1",
            "https://[::ffff:8.8.8.8]",
            "https://[64:ff9b::808:808]",
            "https://[2002:808:808::1]",
            "https://[2001:4860::8888]",
            "https://172.15.255.255",
            "https://198.17.0.1",
            "https://198.20.0.1",
            "https://192.0.1.1",
            "https://223.255.255.254",
            "https://local.example.com",
            "https://internal.example.com",
            "https://notlocaltest.me",
        ] {
            assert!(Config::from_opts(&opts(host), D).is_ok(), "{host}");
        }
    }

    #[test]
    fn private_ip_classification() {
        for ip in [
            "127.0.0.1",
            "::1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "198.18.0.1",
            "2001::",
        ] {
            assert!(is_private_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2a00:1450::1",
        ] {
            assert!(!is_private_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn allow_private_switch_reaches_config() {
        assert!(
            !Config::from_opts(&Opts::default(), D)
                .unwrap()
                .allow_private_base_url
        );
        let o = Opts {
            allow_private_base_url: Some("true".into()),
            ..Opts::default()
        };
        assert!(Config::from_opts(&o, D).unwrap().allow_private_base_url);
    }

    #[test]
    fn public_base_follows_same_rules() {
        let o = Opts {
            public_base_url: Some("http://127.0.0.1:9".into()),
            ..Opts::default()
        };
        assert!(Config::from_opts(&o, D).is_err());
        let o = Opts {
            public_base_url: Some("https://[64:ff9b::7f00:1]".into()),
            ..Opts::default()
        };
        let e = Config::from_opts(&o, D).unwrap_err();
        assert!(e.contains("PORTKEY_PUBLIC_BASE_URL"), "{e}");
    }

    #[test]
    fn domains_trimmed_case_insensitive_and_checked() {
        let o = Opts {
            tool_domains: Some(" Prompts, ANALYTICS ,,".into()),
            ..Opts::default()
        };
        assert_eq!(
            Config::from_opts(&o, D).unwrap().domains,
            vec!["prompts", "analytics"]
        );
        let o = Opts {
            tool_domains: Some("prompts,nope".into()),
            ..Opts::default()
        };
        let e = Config::from_opts(&o, D).unwrap_err();
        assert!(
            e.contains("nope") && e.contains("users, prompts, analytics"),
            "{e}"
        );
    }

    #[test]
    fn switches_take_the_usual_spellings() {
        for on in ["true", "TRUE", " True ", "1", "yes", "YES", "on", "On\t"] {
            assert_eq!(parse_switch("V", "v", Some(on)), Ok(true), "{on:?}");
        }
        for off in ["false", "FALSE", "0", "no", "No", "off", " OFF ", "", "   "] {
            assert_eq!(parse_switch("V", "v", Some(off)), Ok(false), "{off:?}");
        }
        assert_eq!(parse_switch("V", "v", None), Ok(false));
    }

    #[test]
    fn a_switch_with_any_other_value_stops_start_up() {
        for bad in [
            "enabled",
            "y",
            "n",
            "tru",
            "2",
            "-1",
            "yes please",
            "on\u{7}",
        ] {
            let e = parse_switch("PORTKEY_X", "x", Some(bad)).unwrap_err();
            assert!(e.contains("PORTKEY_X") && e.contains("--x"), "{e}");
            assert!(e.contains(SWITCH_VALUES), "{e}");
        }
        let long = "z".repeat(500);
        let e = parse_switch("PORTKEY_X", "x", Some(&long)).unwrap_err();
        assert!(e.len() < 200, "{e}");
    }

    #[test]
    fn every_switch_is_strict_and_named() {
        type Set = fn(&mut Opts, String);
        let cases: [(&str, Set); 4] = [
            ("PORTKEY_READ_ONLY", |o, v| o.read_only = Some(v)),
            ("PORTKEY_CONFIRM_DESTRUCTIVE", |o, v| {
                o.confirm_destructive = Some(v)
            }),
            ("PORTKEY_ALLOW_INSECURE_HTTP", |o, v| {
                o.allow_insecure_http = Some(v)
            }),
            ("PORTKEY_ALLOW_PRIVATE_BASE_URL", |o, v| {
                o.allow_private_base_url = Some(v)
            }),
        ];
        for (var, set) in cases {
            let mut o = Opts::default();
            set(&mut o, "enabled".into());
            let e = Config::from_opts(&o, D).unwrap_err();
            assert!(e.starts_with(var) && e.contains("on/off"), "{var}: {e}");
            let mut o = Opts::default();
            set(&mut o, "On".into());
            assert!(Config::from_opts(&o, D).is_ok(), "{var}");
        }
        let o = Opts {
            read_only: Some("on".into()),
            confirm_destructive: Some("YES".into()),
            ..Opts::default()
        };
        let c = Config::from_opts(&o, D).unwrap();
        assert!(c.read_only && c.confirm_destructive);
        let o = Opts {
            read_only: Some("off".into()),
            ..Opts::default()
        };
        assert!(!Config::from_opts(&o, D).unwrap().read_only);
    }

    #[test]
    fn numbers_name_their_variable() {
        assert_eq!(parse_timeout_ms(" 5000 "), Ok(5000));
        assert_eq!(parse_timeout_ms(""), Ok(DEFAULT_TIMEOUT_MS));
        assert_eq!(parse_max_retries("  "), Ok(DEFAULT_MAX_RETRIES));
        assert_eq!(parse_max_retries("3"), Ok(3));
        let e = parse_timeout_ms("30s").unwrap_err();
        assert!(e.contains("PORTKEY_TIMEOUT_MS") && e.contains("30s"), "{e}");
        let e = parse_max_retries("-1").unwrap_err();
        assert!(e.contains("PORTKEY_MAX_RETRIES"), "{e}");
    }

    #[test]
    fn a_bare_switch_flag_takes_no_value_from_the_next_word() {
        let cli =
            Cli::try_parse_from(["portkey-admin-mcp", "--read-only", "tools", "--json"]).unwrap();
        assert_eq!(cli.opts.read_only.as_deref(), Some("true"));
        assert!(matches!(
            cli.command,
            Some(Command::Tools { json: true, .. })
        ));
        let cli = Cli::try_parse_from(["portkey-admin-mcp", "--read-only=false"]).unwrap();
        assert_eq!(cli.opts.read_only.as_deref(), Some("false"));
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from([
            "portkey-admin-mcp",
            "tools",
            "--confirm-destructive",
            "--allow-insecure-http=on",
        ])
        .unwrap();
        assert_eq!(cli.opts.confirm_destructive.as_deref(), Some("true"));
        assert_eq!(cli.opts.allow_insecure_http.as_deref(), Some("on"));
        assert!(Cli::try_parse_from(["portkey-admin-mcp", "--timeout-ms", "soon"]).is_err());
    }

    #[test]
    fn debug_hides_key() {
        let o = Opts {
            api_key: Some("pk-secret-123".into()),
            ..Opts::default()
        };
        let c = Config::from_opts(&o, D).unwrap();
        assert!(!format!("{c:?}").contains("pk-secret-123"));
    }
}
