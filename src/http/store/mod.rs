//! Shared state for several instances behind one address: sessions that survive their instance
//! (`sessions.rs`), resumable streams (`events.rs`, sealed with `seal.rs` in Redis) and rate
//! limits counted across instances (`rate.rs`). Nothing here is built unless the HTTP server is
//! started with a store set to redis (or the memory event store), so stdio never touches it.

pub mod events;
pub mod manager;
pub mod rate;
pub mod seal;
pub mod sessions;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};

use super::config::{RedisUrl, StoreSettings};

/// Every key this server writes starts with this.
pub const PREFIX: &str = "pkmcp";

/// A failure to reach or use Redis, as a caller should read it (never with the URL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// One connection to Redis shared by every task, re-established in the background after a
/// failure; every command is bounded by MCP_REDIS_COMMAND_TIMEOUT_MS.
#[derive(Clone)]
pub struct Redis {
    conn: ConnectionManager,
    timeout: Duration,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The Redis error without anything from the URL: its kind and the server's own words.
fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() {
        "Redis did not answer in time".into()
    } else if e.is_connection_refusal() || e.is_connection_dropped() || e.is_io_error() {
        "Redis is unreachable".into()
    } else {
        format!("Redis refused the command ({})", kind(e))
    }
}

/// The error's kind, and the server's error code when it sent one.
fn kind(e: &redis::RedisError) -> String {
    match e.code() {
        Some(code) => format!("{:?}: {code}", e.kind()),
        None => format!("{:?}", e.kind()),
    }
}

impl Redis {
    /// Connects once (a failure here stops start-up) and keeps reconnecting afterwards.
    pub async fn connect(settings: &StoreSettings) -> Result<Redis, String> {
        let Some(url) = &settings.redis_url else {
            return Err("no Redis URL: set MCP_REDIS_URL".into());
        };
        let client = client(url, settings.redis_ca.as_deref())?;
        let timeout = settings.redis_timeout;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let conn = tokio::time::timeout(
            timeout,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| {
            format!(
                "cannot reach Redis at MCP_REDIS_URL within {} ms (MCP_REDIS_COMMAND_TIMEOUT_MS); start it, fix the URL, or set the stores to memory",
                timeout.as_millis()
            )
        })?
        .map_err(|e| {
            let tls_hint = if url.is_tls() {
                "; with rediss://, the server's certificate must be valid for its host name and signed by a trusted CA (MCP_REDIS_TLS_CA_PATH for a private one)"
            } else {
                ""
            };
            format!(
                "cannot reach Redis at MCP_REDIS_URL ({}); start it, fix the URL, or set the stores to memory{tls_hint}",
                describe(&e)
            )
        })?;
        let redis = Redis { conn, timeout };
        redis
            .ping()
            .await
            .map_err(|e| format!("Redis at MCP_REDIS_URL does not answer: {e}"))?;
        Ok(redis)
    }

    /// Runs one command or pipeline, within the command timeout.
    pub async fn run<T: redis::FromRedisValue>(
        &self,
        what: &str,
        cmd: impl RunOn,
    ) -> Result<T, Unavailable> {
        let mut conn = self.conn.clone();
        match tokio::time::timeout(self.timeout, cmd.run_on(&mut conn)).await {
            Ok(Ok(v)) => redis::from_redis_value(v)
                .map_err(|_| Unavailable(format!("unexpected answer from Redis to {what}"))),
            Ok(Err(e)) => Err(Unavailable(format!("{} ({what})", describe(&e)))),
            Err(_) => Err(Unavailable(format!(
                "Redis did not answer within {} ms ({what})",
                self.timeout.as_millis()
            ))),
        }
    }

    /// Whether Redis answers now.
    pub async fn ping(&self) -> Result<(), Unavailable> {
        let pong: String = self.run("PING", redis::cmd("PING")).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(Unavailable("Redis answered PING oddly".into()))
        }
    }
}

/// A command or a pipeline, sent on the shared connection.
pub trait RunOn {
    fn run_on(
        self,
        conn: &mut ConnectionManager,
    ) -> impl Future<Output = redis::RedisResult<redis::Value>> + Send;
}

impl RunOn for redis::Cmd {
    async fn run_on(self, conn: &mut ConnectionManager) -> redis::RedisResult<redis::Value> {
        self.query_async::<redis::Value>(conn).await
    }
}

impl RunOn for redis::Pipeline {
    async fn run_on(self, conn: &mut ConnectionManager) -> redis::RedisResult<redis::Value> {
        self.query_async::<redis::Value>(conn).await
    }
}

/// The client for `url`: with `rediss://`, rustls trusting the bundled Mozilla roots plus the
/// certificates in MCP_REDIS_TLS_CA_PATH.
fn client(url: &RedisUrl, ca: Option<&std::path::Path>) -> Result<redis::Client, String> {
    let bad = |e: redis::RedisError| {
        format!(
            "MCP_REDIS_URL is not a usable Redis URL ({}); the form is redis[s]://[user:password@]host[:port][/db]",
            kind(&e)
        )
    };
    if !url.is_tls() {
        return redis::Client::open(url.0.as_str()).map_err(bad);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut pem = String::new();
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str(&pem_block(der.as_ref()));
    }
    if let Some(path) = ca {
        let extra = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read MCP_REDIS_TLS_CA_PATH {}: {e}", path.display()))?;
        if !extra.contains("-----BEGIN CERTIFICATE-----") {
            return Err(format!(
                "MCP_REDIS_TLS_CA_PATH {} holds no PEM certificate",
                path.display()
            ));
        }
        pem.push_str(&extra);
        pem.push('\n');
    }
    redis::Client::build_with_tls(
        url.0.as_str(),
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.into_bytes()),
        },
    )
    .map_err(bad)
}

fn pem_block(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// A short stable name for an identifier (session id, principal, address), so keys in Redis
/// do not carry the identifiers themselves.
pub fn tag(kind: &str, id: &str) -> String {
    let d = Sha256::digest(format!("{PREFIX}\0{kind}\0{id}").as_bytes());
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl RunOn for redis::ScriptInvocation<'_> {
    async fn run_on(self, conn: &mut ConnectionManager) -> redis::RedisResult<redis::Value> {
        self.invoke_async::<redis::Value>(conn).await
    }
}
