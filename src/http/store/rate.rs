//! Rate limits counted in Redis (RATE_LIMIT_STORE=redis): the same token buckets as
//! `limits::Buckets`, kept in Redis and checked by one Lua script per request, so the check and
//! the spend are atomic and N instances enforce one limit. Redis's clock is the only clock.

use std::sync::LazyLock;
use std::time::Duration;

use super::{PREFIX, Redis, Unavailable, tag};
use crate::http::config::RateLimit;
use crate::http::limits::Buckets;

/// Refill by elapsed time, spend one token if there is one, else say how long until there is.
/// KEYS[1]: the bucket; ARGV[1]: capacity; ARGV[2]: window in ms. Returns {allowed, wait_ms}.
const TAKE: &str = r#"
local capacity = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
local per_ms = capacity / window
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * per_ms)
  at = now
end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], window + 1000)
return {allowed, wait}
"#;

static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(TAKE));

/// Why a request may not go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Over the limit: wait this long.
    Wait(Duration),
    /// The shared counter could not be reached.
    Unavailable(Unavailable),
}

/// Buckets in this process, or in Redis.
pub enum Limiter {
    Memory(Buckets),
    Redis(RedisBuckets),
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limiter::Memory(b) => b.fmt(f),
            Limiter::Redis(_) => f.write_str("Limiter::Redis"),
        }
    }
}

impl Limiter {
    /// Takes one token for `key`.
    pub async fn take(&self, key: &str) -> Result<(), Refused> {
        match self {
            Limiter::Memory(b) => b.take(key).map_err(Refused::Wait),
            Limiter::Redis(r) => r.take(key).await,
        }
    }
}

pub struct RedisBuckets {
    redis: Redis,
    /// `ip` or `principal`: the two limits never share a bucket.
    kind: &'static str,
    capacity: u32,
    window_ms: u64,
}

impl RedisBuckets {
    pub fn new(redis: Redis, kind: &'static str, rate: &RateLimit) -> RedisBuckets {
        RedisBuckets {
            redis,
            kind,
            capacity: rate.max.max(1),
            window_ms: u64::try_from(rate.window.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
        }
    }

    /// The bucket's key: the caller's address or principal only as a digest.
    fn key(&self, key: &str) -> String {
        format!("{PREFIX}:rl:{}:{}", self.kind, tag(self.kind, key))
    }

    pub async fn take(&self, key: &str) -> Result<(), Refused> {
        let mut call = SCRIPT.prepare_invoke();
        call.key(self.key(key))
            .arg(self.capacity)
            .arg(self.window_ms);
        let (allowed, wait_ms): (i64, i64) = self
            .redis
            .run("the rate limit check", call)
            .await
            .map_err(Refused::Unavailable)?;
        if allowed == 1 {
            Ok(())
        } else {
            Err(Refused::Wait(Duration::from_millis(
                u64::try_from(wait_ms).unwrap_or(1).max(1),
            )))
        }
    }
}
