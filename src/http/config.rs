//! The HTTP server's settings, read from `MCP_*` and related variables (the reference server's
//! names, so a deployment can switch). Every rule that can refuse a setting runs here, before a
//! socket is opened; an error names the variable.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::config::parse_switch;

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 3000;
pub const DEFAULT_MAX_SESSIONS: usize = 100;
pub const DEFAULT_SESSION_TIMEOUT_MS: u64 = 3_600_000;
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1024 * 1024;
pub const DEFAULT_RATE_LIMIT_MAX: u32 = 60;
pub const DEFAULT_RATE_LIMIT_WINDOW_MS: u64 = 60_000;
pub const DEFAULT_RATE_LIMIT_MAX_BUCKETS: usize = 10_000;
pub const DEFAULT_SHUTDOWN_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_REDIS_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_EVENT_TTL_SECONDS: u64 = 300;
pub const DEFAULT_EVENT_MAX_EVENTS: usize = 1_000;
pub const DEFAULT_EVENT_MAX_BYTES: usize = 4 * 1024 * 1024;

/// The variables of the shared stores (sessions, streams, rate limits), for the documentation
/// check.
pub const STORE_VARIABLES: &[&str] = &[
    "MCP_REDIS_URL",
    "REDIS_URL",
    "MCP_REDIS_TLS_CA_PATH",
    "MCP_REQUIRE_TLS_REDIS",
    "MCP_REDIS_COMMAND_TIMEOUT_MS",
    "MCP_SESSION_STORE",
    "MCP_EVENT_STORE",
    "MCP_EVENT_TTL_SECONDS",
    "MCP_EVENT_STORE_MAX_EVENTS",
    "MCP_EVENT_STORE_MAX_BYTES",
    "MCP_EVENT_ENCRYPTION_KEY",
    "RATE_LIMIT_STORE",
];

/// Where a piece of shared state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// In this process: lost with it, not seen by other instances.
    Memory,
    /// In Redis: shared by every instance pointed at it.
    Redis,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Redis => "redis",
        }
    }
}

/// The AES-256-GCM key for events kept in Redis; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct EventKey(pub [u8; 32]);

impl std::fmt::Debug for EventKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventKey(..)")
    }
}

/// A Redis URL; it may carry a password, so it is never printed whole.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(pub String);

impl RedisUrl {
    pub fn is_tls(&self) -> bool {
        self.0.to_ascii_lowercase().starts_with("rediss://")
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_tls() {
            "RedisUrl(rediss://..)"
        } else {
            "RedisUrl(redis://..)"
        })
    }
}

/// Resumable streams: where events are kept, how long and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSettings {
    pub backend: Backend,
    pub ttl: Duration,
    /// Events kept per stream; older ones are dropped first.
    pub max_events: usize,
    /// Bytes kept per stream (as stored); older events are dropped first.
    pub max_bytes: usize,
    /// Required with the Redis backend.
    pub key: Option<EventKey>,
}

/// The shared stores: where sessions, stream events and rate-limit buckets live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    pub redis_url: Option<RedisUrl>,
    /// Extra CA certificates (PEM) trusted for `rediss://`, besides the bundled roots.
    pub redis_ca: Option<PathBuf>,
    pub redis_timeout: Duration,
    pub sessions: Backend,
    /// `None`: streams resume only on the instance holding the session, from its own cache.
    pub events: Option<EventSettings>,
    pub rate_limits: Backend,
}

impl StoreSettings {
    /// Whether anything needs Redis.
    pub fn uses_redis(&self) -> bool {
        self.sessions == Backend::Redis
            || self.rate_limits == Backend::Redis
            || self
                .events
                .as_ref()
                .is_some_and(|e| e.backend == Backend::Redis)
    }
}

/// How callers prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Nobody is asked; only with MCP_ALLOW_UNAUTHENTICATED_HTTP=true.
    None,
    /// A shared secret in `Authorization: Bearer`.
    Bearer,
    /// A JWT signed by an OpenID Connect issuer (also `clerk`).
    Oidc,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::None => "none",
            AuthMode::Bearer => "bearer",
            AuthMode::Oidc => "oidc",
        }
    }
}

/// Whether the server keeps a session per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMode {
    Stateful,
    Stateless,
}

impl SessionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::Stateful => "stateful",
            SessionMode::Stateless => "stateless",
        }
    }
}

/// One allowed browser origin: a scheme, a host and a port (`None`: any port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginRule {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
}

/// Which `Origin` headers are accepted (a request without one is not a browser's and passes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origins {
    Any,
    List(Vec<OriginRule>),
}

/// An address range, for MCP_TRUST_PROXY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let bits = u32::from(self.prefix.min(32));
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let bits = u32::from(self.prefix.min(128));
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Whose address `X-Forwarded-For` may name (MCP_TRUST_PROXY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustProxy {
    /// The socket's peer is the client (default).
    Off,
    /// This many proxies in front of the server.
    Hops(usize),
    /// Proxies at these addresses.
    Ranges(Vec<Cidr>),
}

/// The token-bucket limits (RATE_LIMIT_*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub enabled: bool,
    pub max: u32,
    pub window: Duration,
    pub max_buckets: usize,
}

/// OpenID Connect settings (MCP_OIDC_* or the reference's CLERK_*).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcSettings {
    pub issuer: String,
    pub audience: Vec<String>,
    pub jwks_url: String,
    /// Roles (in `roles`, `org_role` or `permissions`) that get the write tools; empty: everyone.
    pub write_roles: Vec<String>,
    pub allowed_subjects: Vec<String>,
    pub allowed_orgs: Vec<String>,
    pub allowed_roles: Vec<String>,
    /// Permissions a caller must all hold.
    pub required_permissions: Vec<String>,
    /// Clock leeway on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Shortest time between two JWKS fetches caused by unknown key ids, in milliseconds.
    pub refresh_gap_ms: u64,
}

/// A bearer token as its SHA-256 digest: the tokens themselves are not kept.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenDigest(pub [u8; 32]);

impl TokenDigest {
    pub fn of(token: &str) -> TokenDigest {
        TokenDigest(Sha256::digest(token.as_bytes()).into())
    }
}

impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenDigest(..)")
    }
}

/// Everything the HTTP transport runs with.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub host: String,
    pub port: u16,
    /// MCP_PUBLIC_BASE_URL without a trailing slash: what the server advertises.
    pub public_base_url: Option<String>,
    pub auth: AuthMode,
    pub tokens: Vec<TokenDigest>,
    pub read_only_tokens: Vec<TokenDigest>,
    pub session_mode: SessionMode,
    pub max_sessions: usize,
    pub session_timeout: Duration,
    pub max_request_bytes: usize,
    pub origins: Origins,
    pub rate: RateLimit,
    pub trust_proxy: TrustProxy,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub ready_check_portkey: bool,
    pub shutdown_timeout: Duration,
    pub oidc: Option<OidcSettings>,
    pub stores: StoreSettings,
}

/// Reads one variable, trimmed; blank counts as unset.
type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn var(get: Lookup, name: &str) -> Option<String> {
    get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn number<T: std::str::FromStr>(
    get: Lookup,
    name: &str,
    default: T,
    what: &str,
) -> Result<T, String> {
    match var(get, name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name} takes {what}, not \"{}\"", quoted(&v))),
    }
}

fn switch(get: Lookup, name: &str, default: bool) -> Result<bool, String> {
    match var(get, name) {
        None => Ok(default),
        Some(v) => parse_switch(name, &name.to_ascii_lowercase().replace('_', "-"), Some(&v)),
    }
}

fn list(get: Lookup, name: &str) -> Vec<String> {
    crate::config::name_list(var(get, name).as_deref())
}

fn quoted(v: &str) -> String {
    let mut out: String = v.chars().take(40).flat_map(char::escape_debug).collect();
    if v.chars().nth(40).is_some() {
        out.push_str("...");
    }
    out
}

/// Parses a size such as `1mb`, `512kb`, `100b` or a plain number of bytes (units of 1024).
pub fn parse_size(raw: &str) -> Option<usize> {
    let s = raw.trim().to_ascii_lowercase();
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(digits_end);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "kb" | "k" => 1024.0,
        "mb" | "m" => 1024.0 * 1024.0,
        "gb" | "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = (n * mult).floor();
    (bytes.is_finite() && bytes >= 1.0 && bytes <= usize::MAX as f64).then_some(bytes as usize)
}

/// Parses one origin (`scheme://host[:port]`, `:*` for any port) into its parts.
pub fn parse_origin(raw: &str, wildcard_port: bool) -> Option<OriginRule> {
    let raw = raw.trim().trim_end_matches('/');
    let (scheme, rest) = raw.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let (host, port): (String, Option<&str>) = if let Some(v6) = rest.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        let port = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':')?)
        };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (rest.to_ascii_lowercase(), None),
        }
    };
    let default_port = if scheme == "https" { 443 } else { 80 };
    let port = match port {
        None => Some(default_port),
        Some("*") if wildcard_port => None,
        Some(p) => Some(p.parse().ok()?),
    };
    if host.is_empty() {
        return None;
    }
    Some(OriginRule { scheme, host, port })
}

/// The default: pages served from this machine (localhost, 127.0.0.1, [::1]) on any port.
pub fn loopback_origins() -> Vec<OriginRule> {
    let mut out = Vec::new();
    for scheme in ["http", "https"] {
        for host in ["localhost", "127.0.0.1", "[::1]"] {
            out.push(OriginRule {
                scheme: scheme.into(),
                host: host.into(),
                port: None,
            });
        }
    }
    out
}

fn parse_cidr(raw: &str) -> Option<Cidr> {
    let (ip, prefix) = match raw.split_once('/') {
        Some((ip, p)) => (ip.trim(), Some(p.trim().parse::<u8>().ok()?)),
        None => (raw.trim(), None),
    };
    let addr = canonical(ip.parse::<IpAddr>().ok()?);
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some(Cidr { addr, prefix })
}

fn parse_trust_proxy(raw: Option<String>) -> Result<TrustProxy, String> {
    let Some(v) = raw else {
        return Ok(TrustProxy::Off);
    };
    let lower = v.to_ascii_lowercase();
    match lower.as_str() {
        "false" | "off" | "no" | "0" => return Ok(TrustProxy::Off),
        "true" | "on" | "yes" => {
            return Err("MCP_TRUST_PROXY=true would believe X-Forwarded-For from anyone who connects; give the number of proxy hops or the proxies' addresses (e.g. 1, or 10.0.0.0/8)".into());
        }
        _ => {}
    }
    if let Ok(n) = lower.parse::<usize>() {
        return Ok(TrustProxy::Hops(n));
    }
    let mut ranges = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let part_lower = part.to_ascii_lowercase();
        let named: &[&str] = match part_lower.as_str() {
            "loopback" => &["127.0.0.0/8", "::1/128"],
            "linklocal" => &["169.254.0.0/16", "fe80::/10"],
            "uniquelocal" => &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
            _ => &[],
        };
        if !named.is_empty() {
            ranges.extend(named.iter().filter_map(|c| parse_cidr(c)));
            continue;
        }
        ranges.push(parse_cidr(part).ok_or_else(|| {
            format!(
                "MCP_TRUST_PROXY takes a number of proxy hops, false, or a comma list of addresses, CIDR ranges (e.g. 10.0.0.0/8), loopback, linklocal or uniquelocal, not \"{}\"",
                quoted(part)
            )
        })?);
    }
    Ok(TrustProxy::Ranges(ranges))
}

/// True for names and addresses that always mean this machine.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    let h = h.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<IpAddr>()
            .map(|ip| canonical(ip).is_loopback())
            .unwrap_or(false)
}

/// An issuer or JWKS URL: https, or http on a loopback host.
fn check_idp_url(name: &str, raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{name} is not a valid URL ({e})"))?;
    let loopback = url.host_str().is_some_and(is_loopback_host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(format!(
                "{name} must be an https:// URL (http:// is accepted only on a loopback host)"
            ));
        }
    }
    Ok(raw.trim_end_matches('/').to_string())
}

fn oidc_settings(get: Lookup, clerk: bool) -> Result<OidcSettings, String> {
    let pick = |ours: &str, theirs: &str| {
        var(get, ours).or_else(|| if clerk { var(get, theirs) } else { None })
    };
    let pick_list = |ours: &str, theirs: &str| {
        let l = list(get, ours);
        if l.is_empty() && clerk {
            list(get, theirs)
        } else {
            l
        }
    };
    let issuer_var = if clerk {
        "CLERK_ISSUER"
    } else {
        "MCP_OIDC_ISSUER"
    };
    let issuer = pick("MCP_OIDC_ISSUER", "CLERK_ISSUER").ok_or_else(|| {
        format!("MCP_AUTH_MODE={} needs {issuer_var}: the URL of the identity provider that signs the tokens", if clerk { "clerk" } else { "oidc" })
    })?;
    let issuer = check_idp_url(issuer_var, &issuer)?;
    let jwks_url = match pick("MCP_OIDC_JWKS_URL", "CLERK_JWKS_URL") {
        Some(u) => check_idp_url("MCP_OIDC_JWKS_URL", &u)?,
        None => format!("{issuer}/.well-known/jwks.json"),
    };
    let settings = OidcSettings {
        issuer,
        audience: pick_list("MCP_OIDC_AUDIENCE", "CLERK_AUDIENCE"),
        jwks_url,
        write_roles: list(get, "MCP_WRITE_ROLES"),
        allowed_subjects: pick_list("MCP_OIDC_ALLOWED_SUBJECTS", "CLERK_ALLOWED_SUBJECTS"),
        allowed_orgs: pick_list("MCP_OIDC_ALLOWED_ORGS", "CLERK_ALLOWED_ORGANIZATION_IDS"),
        allowed_roles: pick_list("MCP_OIDC_ALLOWED_ROLES", "CLERK_ALLOWED_ROLES"),
        required_permissions: pick_list(
            "MCP_OIDC_REQUIRED_PERMISSIONS",
            "CLERK_REQUIRED_PERMISSIONS",
        ),
        refresh_gap_ms: number(
            get,
            "MCP_OIDC_JWKS_REFRESH_GAP_MS",
            30_000,
            "a whole number of milliseconds",
        )?,
        leeway_secs: number(
            get,
            "MCP_OIDC_CLOCK_LEEWAY_SECONDS",
            30,
            "a whole number of seconds",
        )?,
    };
    // As the reference does: a Clerk instance signs tokens for every user of every application
    // on it, so clerk mode needs an audience and a policy saying who may come in.
    if clerk && settings.audience.is_empty() {
        return Err("MCP_AUTH_MODE=clerk needs CLERK_AUDIENCE (or MCP_OIDC_AUDIENCE): the audience this server's tokens are issued for".into());
    }
    if clerk
        && settings.allowed_subjects.is_empty()
        && settings.allowed_orgs.is_empty()
        && settings.allowed_roles.is_empty()
        && settings.required_permissions.is_empty()
    {
        return Err("MCP_AUTH_MODE=clerk needs a policy: set at least one of CLERK_ALLOWED_SUBJECTS, CLERK_ALLOWED_ORGANIZATION_IDS, CLERK_ALLOWED_ROLES or CLERK_REQUIRED_PERMISSIONS".into());
    }
    Ok(settings)
}

fn backend(get: Lookup, name: &str, off: bool) -> Result<Option<Backend>, String> {
    match var(get, name).map(|v| v.to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) if v == "memory" => Ok(Some(Backend::Memory)),
        Some(v) if v == "redis" => Ok(Some(Backend::Redis)),
        Some(v) if off && (v == "none" || v == "off") => Ok(None),
        Some(v) => Err(format!(
            "{name} must be {}memory or redis, not \"{}\"",
            if off { "none, " } else { "" },
            quoted(&v)
        )),
    }
}

/// Decodes MCP_EVENT_ENCRYPTION_KEY: base64 (standard or URL-safe, padded or not) of 32 bytes.
pub fn parse_event_key(raw: &str) -> Option<EventKey> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let raw = raw.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(raw).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
        .map(EventKey)
}

/// The shared stores (MCP_SESSION_STORE, MCP_EVENT_STORE, RATE_LIMIT_STORE) and the Redis they
/// may use. Every combination that cannot work is refused here, naming what to set.
fn store_settings(
    get: Lookup,
    session_mode: SessionMode,
    rate_enabled: bool,
) -> Result<StoreSettings, String> {
    let sessions = backend(get, "MCP_SESSION_STORE", false)?.unwrap_or(Backend::Memory);
    let rate_limits = backend(get, "RATE_LIMIT_STORE", false)?.unwrap_or(Backend::Memory);
    let event_backend = backend(get, "MCP_EVENT_STORE", true)?;
    let redis_timeout = Duration::from_millis(number(
        get,
        "MCP_REDIS_COMMAND_TIMEOUT_MS",
        DEFAULT_REDIS_TIMEOUT_MS,
        "a whole number of milliseconds",
    )?);
    if redis_timeout.is_zero() {
        return Err("MCP_REDIS_COMMAND_TIMEOUT_MS must be above 0".into());
    }
    let events = match event_backend {
        None => None,
        Some(backend) => {
            let ttl_secs = number(
                get,
                "MCP_EVENT_TTL_SECONDS",
                DEFAULT_EVENT_TTL_SECONDS,
                "a whole number of seconds",
            )?;
            let max_events = number(
                get,
                "MCP_EVENT_STORE_MAX_EVENTS",
                DEFAULT_EVENT_MAX_EVENTS,
                "a whole number of events",
            )?;
            let max_bytes = match var(get, "MCP_EVENT_STORE_MAX_BYTES") {
                None => DEFAULT_EVENT_MAX_BYTES,
                Some(v) => parse_size(&v).ok_or_else(|| {
                    format!(
                        "MCP_EVENT_STORE_MAX_BYTES takes a size such as 4mb, 512kb or 65536, not \"{}\"",
                        quoted(&v)
                    )
                })?,
            };
            if ttl_secs == 0 || max_events == 0 {
                return Err("MCP_EVENT_TTL_SECONDS and MCP_EVENT_STORE_MAX_EVENTS must be above 0 (or leave MCP_EVENT_STORE unset)".into());
            }
            let key = match var(get, "MCP_EVENT_ENCRYPTION_KEY") {
                None => None,
                Some(v) => Some(parse_event_key(&v).ok_or(
                    "MCP_EVENT_ENCRYPTION_KEY must be the base64 of exactly 32 random bytes (e.g. `openssl rand -base64 32`)",
                )?),
            };
            if backend == Backend::Redis && key.is_none() {
                return Err("MCP_EVENT_STORE=redis needs MCP_EVENT_ENCRYPTION_KEY (the base64 of 32 random bytes, e.g. `openssl rand -base64 32`, the same on every instance): events carry tool results and are kept in Redis only encrypted".into());
            }
            if session_mode == SessionMode::Stateless {
                return Err("MCP_EVENT_STORE keeps the events of sessions; with MCP_SESSION_MODE=stateless there are none. Unset MCP_EVENT_STORE or use MCP_SESSION_MODE=stateful".into());
            }
            Some(EventSettings {
                backend,
                ttl: Duration::from_secs(ttl_secs),
                max_events,
                max_bytes,
                key,
            })
        }
    };
    if backend_is_redis(&events) && sessions != Backend::Redis {
        return Err("MCP_EVENT_STORE=redis needs MCP_SESSION_STORE=redis: a stream resumes on another instance only if that instance can take over the session".into());
    }
    if sessions == Backend::Redis && session_mode == SessionMode::Stateless {
        return Err("MCP_SESSION_STORE=redis keeps sessions; with MCP_SESSION_MODE=stateless there are none. Unset MCP_SESSION_STORE or use MCP_SESSION_MODE=stateful".into());
    }
    if rate_limits == Backend::Redis && !rate_enabled {
        return Err("RATE_LIMIT_STORE=redis is set but RATE_LIMIT_ENABLED=false; enable the rate limit or unset RATE_LIMIT_STORE".into());
    }
    let redis_url = var(get, "MCP_REDIS_URL")
        .or_else(|| var(get, "REDIS_URL"))
        .map(RedisUrl);
    let redis_ca = var(get, "MCP_REDIS_TLS_CA_PATH").map(PathBuf::from);
    let settings = StoreSettings {
        redis_url,
        redis_ca,
        redis_timeout,
        sessions,
        events,
        rate_limits,
    };
    let require_tls = switch(get, "MCP_REQUIRE_TLS_REDIS", false)?;
    match &settings.redis_url {
        None if settings.uses_redis() => {
            return Err("a store is set to redis (MCP_SESSION_STORE, MCP_EVENT_STORE or RATE_LIMIT_STORE) but no Redis is named: set MCP_REDIS_URL (or REDIS_URL), e.g. redis://redis:6379/0 or rediss://user:password@host:6380".into());
        }
        Some(url) => {
            let lower = url.0.to_ascii_lowercase();
            if !lower.starts_with("redis://") && !lower.starts_with("rediss://") {
                return Err("MCP_REDIS_URL must start with redis:// or rediss:// (TLS)".into());
            }
            if require_tls && !url.is_tls() {
                return Err("MCP_REQUIRE_TLS_REDIS=true but MCP_REDIS_URL is redis://; use rediss:// so Redis traffic is encrypted".into());
            }
            if settings.redis_ca.is_some() && !url.is_tls() {
                return Err("MCP_REDIS_TLS_CA_PATH is set but MCP_REDIS_URL is redis:// (no TLS); use rediss:// or unset MCP_REDIS_TLS_CA_PATH".into());
            }
        }
        None => {}
    }
    Ok(settings)
}

fn backend_is_redis(events: &Option<EventSettings>) -> bool {
    events.as_ref().is_some_and(|e| e.backend == Backend::Redis)
}

/// Whether the default command should serve HTTP instead of stdio (MCP_TRANSPORT).
pub fn transport_is_http(get: Lookup) -> Result<bool, String> {
    match var(get, "MCP_TRANSPORT").map(|v| v.to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if v == "stdio" => Ok(false),
        Some(v) if v == "http" || v == "streamable-http" => Ok(true),
        Some(v) => Err(format!(
            "MCP_TRANSPORT must be stdio or http, not \"{}\"",
            quoted(&v)
        )),
    }
}

/// The port the server listens on when the command line names none: `PORT` (set by most
/// container platforms) wins over `MCP_PORT`; 3000 by default.
pub fn listen_port(get: Lookup) -> Result<u16, String> {
    match var(get, "PORT") {
        Some(_) => number(get, "PORT", DEFAULT_PORT, "a port number (0 to 65535)"),
        None => number(get, "MCP_PORT", DEFAULT_PORT, "a port number (0 to 65535)"),
    }
}

impl HttpSettings {
    /// Reads and checks every setting. `host` and `port` from the command line win over the
    /// variables.
    pub fn from_env(
        get: Lookup,
        host: Option<&str>,
        port: Option<u16>,
    ) -> Result<HttpSettings, String> {
        let host = host
            .map(str::to_string)
            .or_else(|| var(get, "MCP_HOST"))
            .unwrap_or_else(|| DEFAULT_HOST.to_string());
        let port = match port {
            Some(p) => p,
            None => listen_port(get)?,
        };
        let public_base_url = match var(get, "MCP_PUBLIC_BASE_URL") {
            None => None,
            Some(u) => {
                let parsed = url::Url::parse(&u)
                    .map_err(|e| format!("MCP_PUBLIC_BASE_URL is not a valid URL ({e})"))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err("MCP_PUBLIC_BASE_URL must be an http(s) URL with a host".into());
                }
                Some(u.trim_end_matches('/').to_string())
            }
        };
        let tokens_raw = list(get, "MCP_AUTH_TOKEN");
        let ro_raw = list(get, "MCP_READ_ONLY_AUTH_TOKEN");
        let auth = match var(get, "MCP_AUTH_MODE").map(|m| m.to_ascii_lowercase()) {
            None => AuthMode::Bearer,
            Some(m) if m == "none" => AuthMode::None,
            Some(m) if m == "bearer" => AuthMode::Bearer,
            Some(m) if m == "oidc" || m == "clerk" => AuthMode::Oidc,
            Some(m) => {
                return Err(format!(
                    "MCP_AUTH_MODE must be none, bearer, oidc or clerk, not \"{}\"",
                    quoted(&m)
                ));
            }
        };
        let clerk = var(get, "MCP_AUTH_MODE").is_some_and(|m| m.eq_ignore_ascii_case("clerk"));
        let allow_unauth = switch(get, "MCP_ALLOW_UNAUTHENTICATED_HTTP", false)?;
        match auth {
            AuthMode::None if !allow_unauth => {
                return Err("MCP_AUTH_MODE=none would let anyone who can reach the port use every tool with this server's Portkey key. Set MCP_AUTH_MODE=bearer with MCP_AUTH_TOKEN, or set MCP_ALLOW_UNAUTHENTICATED_HTTP=true if the port is reachable only by you".into());
            }
            AuthMode::Bearer if tokens_raw.is_empty() && ro_raw.is_empty() => {
                return Err("the HTTP server needs a way to authenticate callers: set MCP_AUTH_TOKEN (a comma list of secrets, each at least 16 characters) for MCP_AUTH_MODE=bearer, or MCP_AUTH_MODE=oidc with MCP_OIDC_ISSUER".into());
            }
            _ => {}
        }
        for t in tokens_raw.iter().chain(&ro_raw) {
            if t.chars().count() < 16 {
                return Err("every MCP_AUTH_TOKEN and MCP_READ_ONLY_AUTH_TOKEN must be at least 16 characters long (use a random secret, e.g. `openssl rand -hex 32`)".into());
            }
        }
        if tokens_raw.iter().any(|t| ro_raw.contains(t)) {
            return Err("a token is listed in both MCP_AUTH_TOKEN and MCP_READ_ONLY_AUTH_TOKEN; list each token once".into());
        }
        let session_mode = match var(get, "MCP_SESSION_MODE").map(|m| m.to_ascii_lowercase()) {
            None => SessionMode::Stateful,
            Some(m) if m == "stateful" => SessionMode::Stateful,
            Some(m) if m == "stateless" => SessionMode::Stateless,
            Some(m) => {
                return Err(format!(
                    "MCP_SESSION_MODE must be stateful or stateless, not \"{}\"",
                    quoted(&m)
                ));
            }
        };
        let max_sessions = number(
            get,
            "MCP_MAX_SESSIONS",
            DEFAULT_MAX_SESSIONS,
            "a whole number of sessions",
        )?;
        if max_sessions == 0 {
            return Err("MCP_MAX_SESSIONS must be at least 1".into());
        }
        let session_timeout_ms = number(
            get,
            "MCP_SESSION_TIMEOUT",
            DEFAULT_SESSION_TIMEOUT_MS,
            "a whole number of milliseconds",
        )?;

        let max_request_bytes = match var(get, "MCP_MAX_REQUEST_SIZE") {
            None => DEFAULT_MAX_REQUEST_BYTES,
            Some(v) => parse_size(&v).ok_or_else(|| {
                format!(
                    "MCP_MAX_REQUEST_SIZE takes a size such as 1mb, 512kb or 65536, not \"{}\"",
                    quoted(&v)
                )
            })?,
        };
        let origins = match var(get, "ALLOWED_ORIGINS").or_else(|| var(get, "CORS_ORIGIN")) {
            None => Origins::List(loopback_origins()),
            Some(v) if v == "*" => Origins::Any,
            Some(v) => {
                let mut rules = Vec::new();
                for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    rules.push(parse_origin(part, true).ok_or_else(|| {
                        format!("ALLOWED_ORIGINS takes a comma list of origins such as https://app.example.com or http://localhost:*, not \"{}\"", quoted(part))
                    })?);
                }
                Origins::List(rules)
            }
        };
        let rate = RateLimit {
            enabled: switch(get, "RATE_LIMIT_ENABLED", true)?,
            max: number(
                get,
                "RATE_LIMIT_MAX",
                DEFAULT_RATE_LIMIT_MAX,
                "a whole number of requests",
            )?,
            window: Duration::from_millis(number(
                get,
                "RATE_LIMIT_WINDOW_MS",
                DEFAULT_RATE_LIMIT_WINDOW_MS,
                "a whole number of milliseconds",
            )?),
            max_buckets: number(
                get,
                "RATE_LIMIT_MAX_BUCKETS",
                DEFAULT_RATE_LIMIT_MAX_BUCKETS,
                "a whole number of buckets",
            )?,
        };
        if rate.enabled && (rate.max == 0 || rate.window.is_zero()) {
            return Err("RATE_LIMIT_MAX and RATE_LIMIT_WINDOW_MS must be above 0 (or set RATE_LIMIT_ENABLED=false)".into());
        }
        let trust_proxy = parse_trust_proxy(var(get, "MCP_TRUST_PROXY"))?;
        let tls = match (var(get, "MCP_TLS_CERT_PATH"), var(get, "MCP_TLS_KEY_PATH")) {
            (None, None) => None,
            (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
            _ => return Err("MCP_TLS_CERT_PATH and MCP_TLS_KEY_PATH go together: set both, or neither for plain HTTP".into()),
        };
        let ready_check_portkey =
            match var(get, "MCP_READY_CHECK_MODE").map(|m| m.to_ascii_lowercase()) {
                None => false,
                Some(m) if m == "portkey" => true,
                Some(m) if m == "none" || m == "local" => false,
                Some(m) => {
                    return Err(format!(
                        "MCP_READY_CHECK_MODE must be portkey or none, not \"{}\"",
                        quoted(&m)
                    ));
                }
            };
        let shutdown_timeout = Duration::from_millis(number(
            get,
            "MCP_SHUTDOWN_TIMEOUT_MS",
            DEFAULT_SHUTDOWN_TIMEOUT_MS,
            "a whole number of milliseconds",
        )?);
        let oidc = match auth {
            AuthMode::Oidc => Some(oidc_settings(get, clerk)?),
            _ => None,
        };
        let stores = store_settings(get, session_mode, rate.enabled)?;
        Ok(HttpSettings {
            stores,
            host,
            port,
            public_base_url,
            auth,
            tokens: tokens_raw.iter().map(|t| TokenDigest::of(t)).collect(),
            read_only_tokens: ro_raw.iter().map(|t| TokenDigest::of(t)).collect(),
            session_mode,
            max_sessions,
            session_timeout: Duration::from_millis(session_timeout_ms),
            max_request_bytes,
            origins,
            rate,
            trust_proxy,
            tls,
            ready_check_portkey,
            shutdown_timeout,
            oidc,
        })
    }

    /// The URL clients reach `/mcp` at, as advertised.
    pub fn endpoint(&self, bound: Option<std::net::SocketAddr>) -> String {
        match &self.public_base_url {
            Some(base) => format!("{base}/mcp"),
            None => {
                let scheme = if self.tls.is_some() { "https" } else { "http" };
                match bound {
                    Some(addr) => format!("{scheme}://{addr}/mcp"),
                    None => format!("{scheme}://{}:{}/mcp", self.host, self.port),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<HttpSettings, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        HttpSettings::from_env(&|k| map.get(k).cloned(), None, None)
    }

    const TOKEN: &str = "0123456789abcdef0123";

    #[test]
    fn defaults_with_a_token() {
        let s = settings(&[("MCP_AUTH_TOKEN", TOKEN)]).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 3000));
        assert_eq!(s.auth, AuthMode::Bearer);
        assert_eq!(s.session_mode, SessionMode::Stateful);
        assert_eq!(s.max_sessions, 100);
        assert_eq!(s.session_timeout, Duration::from_millis(3_600_000));
        assert_eq!(s.max_request_bytes, 1024 * 1024);
        assert_eq!(s.origins, Origins::List(loopback_origins()));
        assert!(s.rate.enabled);
        assert_eq!(s.trust_proxy, TrustProxy::Off);
        assert!(!format!("{s:?}").contains(TOKEN));
    }

    #[test]
    fn start_up_refusals_name_the_variable() {
        let e = settings(&[]).unwrap_err();
        assert!(e.contains("MCP_AUTH_TOKEN"), "{e}");
        let e = settings(&[("MCP_AUTH_MODE", "none")]).unwrap_err();
        assert!(e.contains("MCP_ALLOW_UNAUTHENTICATED_HTTP"), "{e}");
        assert!(
            settings(&[
                ("MCP_AUTH_MODE", "none"),
                ("MCP_ALLOW_UNAUTHENTICATED_HTTP", "true")
            ])
            .is_ok()
        );
        let e = settings(&[("MCP_AUTH_TOKEN", "short")]).unwrap_err();
        assert!(e.contains("16 characters"), "{e}");
        let e = settings(&[("MCP_AUTH_TOKEN", TOKEN), ("MCP_SESSION_MODE", "sticky")]).unwrap_err();
        assert!(e.contains("MCP_SESSION_MODE"), "{e}");
        let e = settings(&[("MCP_AUTH_TOKEN", TOKEN), ("MCP_TLS_CERT_PATH", "/x")]).unwrap_err();
        assert!(e.contains("MCP_TLS_KEY_PATH"), "{e}");
        let e = settings(&[("MCP_AUTH_MODE", "oidc")]).unwrap_err();
        assert!(e.contains("MCP_OIDC_ISSUER"), "{e}");
        let e = settings(&[
            ("MCP_AUTH_MODE", "oidc"),
            ("MCP_OIDC_ISSUER", "http://idp.example.com"),
        ])
        .unwrap_err();
        assert!(e.contains("https"), "{e}");
        let e = settings(&[
            ("MCP_AUTH_MODE", "clerk"),
            ("CLERK_ISSUER", "http://127.0.0.1:9/"),
            ("CLERK_AUDIENCE", "a"),
        ])
        .unwrap_err();
        assert!(e.contains("CLERK_ALLOWED_ORGANIZATION_IDS"), "{e}");
        let e = settings(&[
            ("MCP_AUTH_MODE", "clerk"),
            ("CLERK_ISSUER", "http://127.0.0.1:9/"),
            ("CLERK_ALLOWED_ROLES", "admin"),
        ])
        .unwrap_err();
        assert!(e.contains("CLERK_AUDIENCE"), "{e}");
        let s = settings(&[
            ("MCP_AUTH_MODE", "clerk"),
            ("CLERK_ISSUER", "http://127.0.0.1:9/"),
            ("CLERK_AUDIENCE", "a"),
            ("CLERK_REQUIRED_PERMISSIONS", "org:mcp:use"),
        ])
        .unwrap();
        let o = s.oidc.unwrap();
        assert_eq!(o.jwks_url, "http://127.0.0.1:9/.well-known/jwks.json");
        let e = settings(&[("MCP_AUTH_TOKEN", TOKEN), ("MCP_PORT", "70000")]).unwrap_err();
        assert!(e.contains("MCP_PORT"), "{e}");
        let e =
            settings(&[("MCP_AUTH_TOKEN", TOKEN), ("RATE_LIMIT_ENABLED", "maybe")]).unwrap_err();
        assert!(e.contains("RATE_LIMIT_ENABLED"), "{e}");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1mb"), Some(1_048_576));
        assert_eq!(parse_size("512KB"), Some(524_288));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("100b"), Some(100));
        assert_eq!(parse_size("1.5kb"), Some(1536));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("1tb"), None);
    }

    #[test]
    fn origins_parse() {
        assert_eq!(
            parse_origin("https://App.Example.com", true),
            Some(OriginRule {
                scheme: "https".into(),
                host: "app.example.com".into(),
                port: Some(443)
            })
        );
        assert_eq!(parse_origin("http://localhost:*", true).unwrap().port, None);
        assert_eq!(parse_origin("http://localhost:*", false), None);
        assert_eq!(
            parse_origin("http://[::1]:8080", false).unwrap().host,
            "[::1]"
        );
        assert_eq!(
            parse_origin("http://[::1]:8080", false).unwrap().port,
            Some(8080)
        );
        assert_eq!(parse_origin("null", false), None);
        assert_eq!(parse_origin("ftp://x", false), None);
        assert_eq!(parse_origin("http://a/b", false), None);
    }

    #[test]
    fn trust_proxy_forms() {
        assert_eq!(parse_trust_proxy(None), Ok(TrustProxy::Off));
        assert_eq!(parse_trust_proxy(Some("2".into())), Ok(TrustProxy::Hops(2)));
        assert!(parse_trust_proxy(Some("true".into())).is_err());
        let TrustProxy::Ranges(named) =
            parse_trust_proxy(Some("loopback,uniquelocal".into())).unwrap()
        else {
            panic!("ranges expected");
        };
        assert!(
            named
                .iter()
                .any(|r| r.contains("172.20.1.1".parse().unwrap()))
        );
        assert!(named.iter().any(|r| r.contains("::1".parse().unwrap())));
        assert!(!named.iter().any(|r| r.contains("8.8.8.8".parse().unwrap())));
        let TrustProxy::Ranges(r) = parse_trust_proxy(Some("10.0.0.0/8, ::1".into())).unwrap()
        else {
            panic!("ranges expected");
        };
        assert!(r[0].contains("10.2.3.4".parse().unwrap()));
        assert!(!r[0].contains("11.2.3.4".parse().unwrap()));
        assert!(r[1].contains("::1".parse().unwrap()));
        assert!(r[0].contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(parse_trust_proxy(Some("10.0.0.0/40".into())).is_err());
        assert!(parse_trust_proxy(Some("proxy.example.com".into())).is_err());
    }

    #[test]
    fn transport_switch() {
        let none: &dyn Fn(&str) -> Option<String> = &|_| None;
        assert_eq!(transport_is_http(none), Ok(false));
        let http: &dyn Fn(&str) -> Option<String> = &|_| Some("HTTP".into());
        assert_eq!(transport_is_http(http), Ok(true));
        let bad: &dyn Fn(&str) -> Option<String> = &|_| Some("ws".into());
        assert!(
            transport_is_http(bad)
                .unwrap_err()
                .contains("MCP_TRANSPORT")
        );
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST.",
            "127.0.0.1",
            "[::1]",
            "127.9.9.9",
            "a.localhost",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "[::2]", "localhost.example.com"] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
    #[test]
    fn store_settings_and_their_refusals() {
        const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let s = settings(&[("MCP_AUTH_TOKEN", TOKEN)]).unwrap();
        assert!(!s.stores.uses_redis());
        assert_eq!(s.stores.events, None);
        assert_eq!(s.stores.redis_timeout, Duration::from_millis(5000));
        let all = settings(&[
            ("MCP_AUTH_TOKEN", TOKEN),
            ("REDIS_URL", "redis://:secretpw@127.0.0.1:6379/0"),
            ("MCP_SESSION_STORE", "redis"),
            ("MCP_EVENT_STORE", "redis"),
            ("MCP_EVENT_ENCRYPTION_KEY", KEY),
            ("RATE_LIMIT_STORE", "redis"),
            ("MCP_REDIS_COMMAND_TIMEOUT_MS", "250"),
        ])
        .unwrap();
        assert!(all.stores.uses_redis());
        let ev = all.stores.events.clone().unwrap();
        assert_eq!(ev.ttl, Duration::from_secs(300));
        assert_eq!(ev.key.as_ref().unwrap().0[31], 31);
        assert_eq!(all.stores.redis_timeout, Duration::from_millis(250));
        let shown = format!("{all:?}");
        assert!(
            !shown.contains("secretpw") && !shown.contains(KEY),
            "{shown}"
        );

        let refused = |extra: &[(&str, &str)], needle: &str| {
            let mut v = vec![("MCP_AUTH_TOKEN", TOKEN)];
            v.extend_from_slice(extra);
            let e = settings(&v).unwrap_err();
            assert!(e.contains(needle), "{e}");
        };
        refused(&[("MCP_SESSION_STORE", "redis")], "MCP_REDIS_URL");
        refused(&[("RATE_LIMIT_STORE", "redis")], "MCP_REDIS_URL");
        refused(
            &[("MCP_SESSION_STORE", "disk")],
            "MCP_SESSION_STORE must be",
        );
        refused(
            &[
                ("MCP_REDIS_URL", "redis://h:6379"),
                ("MCP_SESSION_STORE", "redis"),
                ("MCP_EVENT_STORE", "redis"),
            ],
            "MCP_EVENT_ENCRYPTION_KEY",
        );
        refused(
            &[
                ("MCP_EVENT_STORE", "memory"),
                ("MCP_EVENT_ENCRYPTION_KEY", "c2hvcnQ="),
            ],
            "32 random bytes",
        );
        refused(
            &[
                ("MCP_REDIS_URL", "redis://h:6379"),
                ("MCP_EVENT_STORE", "redis"),
                ("MCP_EVENT_ENCRYPTION_KEY", KEY),
            ],
            "MCP_SESSION_STORE=redis",
        );
        refused(
            &[
                ("MCP_REDIS_URL", "redis://h:6379"),
                ("MCP_SESSION_STORE", "redis"),
                ("MCP_REQUIRE_TLS_REDIS", "true"),
            ],
            "rediss://",
        );
        refused(
            &[
                ("MCP_REDIS_URL", "http://h:6379"),
                ("MCP_SESSION_STORE", "redis"),
            ],
            "redis:// or rediss://",
        );
        refused(
            &[
                ("MCP_REDIS_URL", "redis://h:6379"),
                ("MCP_SESSION_STORE", "redis"),
                ("MCP_SESSION_MODE", "stateless"),
            ],
            "stateless",
        );
        assert!(
            settings(&[
                ("MCP_AUTH_TOKEN", TOKEN),
                ("MCP_REDIS_URL", "rediss://h:6380"),
                ("MCP_SESSION_STORE", "redis"),
                ("MCP_REQUIRE_TLS_REDIS", "true"),
            ])
            .is_ok()
        );
    }
}
