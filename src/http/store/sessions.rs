//! Sessions kept in Redis (MCP_SESSION_STORE=redis), so a session opened on one instance goes on
//! on any other. One hash per session, under a digest of its id, expiring after
//! MCP_SESSION_TIMEOUT of idleness and refreshed on every request:
//! - `init`: the client's `initialize` parameters (protocol version, capabilities, client
//!   info), written by rmcp through its `SessionStore` hook and replayed by the instance that
//!   takes the session over;
//! - `owner`: the principal that opened it, whether it had the read-only surface, and the
//!   Portkey key binding as a digest mixed with the session id (never the key).

use std::time::Duration;

use rmcp::transport::streamable_http_server::session::{
    SessionState, SessionStore, SessionStoreError,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{PREFIX, Redis, Unavailable, tag};
use crate::http::sessions::Binding;

/// Who owns a session, as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Owner {
    pub principal: String,
    pub read_only: bool,
    /// Hex of SHA-256(session id, digest of the Portkey key), when the caller sent a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Owner {
    pub fn of(session: &str, binding: &Binding, read_only: bool) -> Owner {
        Owner {
            principal: binding.principal.clone(),
            read_only,
            key: binding.key.map(|k| key_tag(session, &k)),
        }
    }

    /// Whether `binding`'s key is the one this session was opened with.
    pub fn same_key(&self, session: &str, binding: &Binding) -> bool {
        self.key == binding.key.map(|k| key_tag(session, &k))
    }
}

fn key_tag(session: &str, key_digest: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"portkey-admin-mcp session key\0");
    h.update(session.as_bytes());
    h.update([0]);
    h.update(key_digest);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone)]
pub struct RedisSessions {
    redis: Redis,
    /// The idle timeout; `None`: sessions do not expire.
    ttl: Option<Duration>,
}

impl std::fmt::Debug for RedisSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessions")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl RedisSessions {
    pub fn new(redis: Redis, ttl: Option<Duration>) -> RedisSessions {
        RedisSessions { redis, ttl }
    }

    pub fn redis(&self) -> &Redis {
        &self.redis
    }

    fn key(id: &str) -> String {
        format!("{PREFIX}:s:{}", tag("session", id))
    }

    fn expire(&self, pipe: &mut redis::Pipeline, key: &str) {
        if let Some(ttl) = self.ttl {
            pipe.cmd("PEXPIRE")
                .arg(key)
                .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
                .ignore();
        }
    }

    /// Records the owner of a session just opened.
    pub async fn bind(&self, id: &str, owner: &Owner) -> Result<(), Unavailable> {
        let key = Self::key(id);
        let json = serde_json::to_string(owner)
            .map_err(|_| Unavailable("cannot encode the session owner".into()))?;
        let mut pipe = redis::pipe();
        pipe.cmd("HSET").arg(&key).arg("owner").arg(json).ignore();
        self.expire(&mut pipe, &key);
        self.redis.run("recording the session", pipe).await
    }

    /// The owner of a live session, refreshing its idle timeout; `None` when Redis has no such
    /// session (expired, ended, never opened).
    pub async fn touch(&self, id: &str) -> Result<Option<Owner>, Unavailable> {
        let key = Self::key(id);
        let mut pipe = redis::pipe();
        pipe.cmd("HGET").arg(&key).arg("owner");
        self.expire(&mut pipe, &key);
        let (owner,): (Option<String>,) = self.redis.run("looking up the session", pipe).await?;
        Ok(owner.and_then(|o| serde_json::from_str(&o).ok()))
    }

    pub async fn remove(&self, id: &str) -> Result<(), Unavailable> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(Self::key(id));
        let _: i64 = self.redis.run("ending the session", cmd).await?;
        Ok(())
    }
}

/// rmcp's hook: the `initialize` parameters, stored after the handshake and loaded by the
/// instance that takes the session over.
#[async_trait::async_trait]
impl SessionStore for RedisSessions {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let mut cmd = redis::cmd("HGET");
        cmd.arg(Self::key(session_id)).arg("init");
        let init: Option<String> = self.redis.run("loading the session", cmd).await?;
        let Some(init) = init else {
            return Ok(None);
        };
        let params = serde_json::from_str(&init)
            .map_err(|_| Unavailable("the stored session cannot be read".into()))?;
        Ok(Some(SessionState::new(params)))
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let key = Self::key(session_id);
        let json = serde_json::to_string(&state.initialize_params)
            .map_err(|_| Unavailable("cannot encode the session".into()))?;
        let mut pipe = redis::pipe();
        pipe.cmd("HSET").arg(&key).arg("init").arg(json).ignore();
        self.expire(&mut pipe, &key);
        let () = self.redis.run("storing the session", pipe).await?;
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        self.remove(session_id).await?;
        Ok(())
    }
}
