//! Resumable streams (MCP_EVENT_STORE): every server-sent event of a session's streams is kept,
//! with an id, for MCP_EVENT_TTL_SECONDS, so a client that lost its connection reconnects with
//! `Last-Event-ID` and gets what it missed — from any instance when the events are in Redis.
//!
//! An event id is `<stream>.<position>`: the stream is a random name, the position the store's
//! own. Streams are kept under their session, so an id only means something within the session
//! it was sent in (and the HTTP layer checks the session is the caller's). In Redis each event
//! is sealed with AES-256-GCM bound to the session id and its owner (`seal.rs`); what stays in
//! this process's memory is kept as it is.

use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::ServerJsonRpcMessage;
use rmcp::transport::streamable_http_server::session::ServerSseMessage;
use serde::{Deserialize, Serialize};

use super::seal::{Sealer, binding};
use super::{PREFIX, Redis, Unavailable, tag};
use crate::http::config::{EventKey, EventSettings};

/// What is kept of one event.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m: Option<ServerJsonRpcMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<u64>,
}

fn encode(ev: &ServerSseMessage) -> Option<Vec<u8>> {
    let stored = Stored {
        m: ev.message.as_deref().cloned(),
        r: ev
            .retry
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    };
    serde_json::to_vec(&stored).ok()
}

fn decode(bytes: &[u8], id: String) -> Option<ServerSseMessage> {
    let stored: Stored = serde_json::from_slice(bytes).ok()?;
    let mut ev = ServerSseMessage::default();
    ev.event_id = Some(id);
    ev.message = stored.m.map(std::sync::Arc::new);
    ev.retry = stored.r.map(Duration::from_millis);
    Some(ev)
}

/// Whether an event ends its request's stream (the answer or an error).
pub fn is_final(ev: &ServerSseMessage) -> bool {
    matches!(
        ev.message.as_deref(),
        Some(ServerJsonRpcMessage::Response(_) | ServerJsonRpcMessage::Error(_))
    )
}

/// A fresh random stream name (16 hex digits) whose first letter says whether it is a
/// request's stream (`r`) or the session's standalone one (`c`).
pub fn new_stream(common: bool) -> Option<String> {
    let mut bytes = [0u8; 8];
    getrandom_fill(&mut bytes)?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("{}{hex}", if common { 'c' } else { 'r' }))
}

fn getrandom_fill(buf: &mut [u8]) -> Option<()> {
    use aes_gcm::aead::Generate;
    let n = aes_gcm::aead::Nonce::<aes_gcm::Aes256Gcm>::try_generate().ok()?;
    for (dst, src) in buf.iter_mut().zip(n.iter()) {
        *dst = *src;
    }
    Some(())
}

/// Splits an event id into its stream and position, when it is one of ours.
pub fn parse_id(id: &str) -> Option<(&str, &str)> {
    let (stream, pos) = id.split_once('.')?;
    let ok = stream.len() == 17
        && matches!(stream.as_bytes().first(), Some(b'c' | b'r'))
        && stream.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
        && !pos.is_empty()
        && pos.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    ok.then_some((stream, pos))
}

/// Where the events are kept.
pub enum Events {
    Memory(MemoryEvents),
    Redis(Box<RedisEvents>),
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Events::Memory(_) => "Events::Memory",
            Events::Redis(_) => "Events::Redis",
        })
    }
}

impl Events {
    /// Keeps `ev` as the next event of `stream` in `session` (owned by `principal`) and returns
    /// its id.
    pub async fn append(
        &self,
        session: &str,
        principal: &str,
        stream: &str,
        ev: &ServerSseMessage,
    ) -> Result<String, Unavailable> {
        let plain = encode(ev).ok_or_else(|| Unavailable("cannot encode an event".into()))?;
        match self {
            Events::Memory(m) => Ok(m.append(session, stream, plain)),
            Events::Redis(r) => r.append(session, principal, stream, &plain).await,
        }
    }

    /// The events of `stream` in `session` after position `after`, in order.
    pub async fn after(
        &self,
        session: &str,
        principal: &str,
        stream: &str,
        after: &str,
    ) -> Result<Vec<ServerSseMessage>, Unavailable> {
        let raw = match self {
            Events::Memory(m) => m.after(session, stream, after),
            Events::Redis(r) => r.after(session, principal, stream, after).await?,
        };
        Ok(raw
            .into_iter()
            .filter_map(|(pos, bytes)| decode(&bytes, format!("{stream}.{pos}")))
            .collect())
    }
}

struct MemStream {
    events: VecDeque<(u64, Vec<u8>)>,
    bytes: usize,
    next: u64,
    touched: Instant,
}

/// Events in this process, with the same TTL and caps as in Redis.
pub struct MemoryEvents {
    settings: EventSettings,
    streams: Mutex<HashMap<String, MemStream>>,
}

impl MemoryEvents {
    pub fn new(settings: &EventSettings) -> MemoryEvents {
        MemoryEvents {
            settings: settings.clone(),
            streams: Mutex::new(HashMap::new()),
        }
    }

    fn append(&self, session: &str, stream: &str, plain: Vec<u8>) -> String {
        let now = Instant::now();
        let Ok(mut map) = self.streams.lock() else {
            return format!("{stream}.0");
        };
        let ttl = self.settings.ttl;
        map.retain(|_, s| now.saturating_duration_since(s.touched) < ttl);
        let s = map
            .entry(format!("{session}/{stream}"))
            .or_insert(MemStream {
                events: VecDeque::new(),
                bytes: 0,
                next: 1,
                touched: now,
            });
        let pos = s.next;
        s.next += 1;
        s.touched = now;
        s.bytes += plain.len();
        s.events.push_back((pos, plain));
        while s.events.len() > 1
            && (s.events.len() > self.settings.max_events || s.bytes > self.settings.max_bytes)
        {
            if let Some((_, old)) = s.events.pop_front() {
                s.bytes = s.bytes.saturating_sub(old.len());
            }
        }
        format!("{stream}.{pos}")
    }

    fn after(&self, session: &str, stream: &str, after: &str) -> Vec<(String, Vec<u8>)> {
        let Ok(after) = after.parse::<u64>() else {
            return Vec::new();
        };
        let Ok(map) = self.streams.lock() else {
            return Vec::new();
        };
        let Some(s) = map.get(&format!("{session}/{stream}")) else {
            return Vec::new();
        };
        if Instant::now().saturating_duration_since(s.touched) >= self.settings.ttl {
            return Vec::new();
        }
        s.events
            .iter()
            .filter(|(pos, _)| *pos > after)
            .map(|(pos, b)| (pos.to_string(), b.clone()))
            .collect()
    }
}

/// Appends one sealed event to a Redis stream and keeps the stream within its caps.
/// KEYS[1]: the stream; KEYS[2]: its byte count. ARGV: the event, max events, max bytes, TTL ms.
const APPEND: &str = r#"
local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
local bytes = redis.call('INCRBY', KEYS[2], string.len(ARGV[1]))
local n = redis.call('XLEN', KEYS[1])
local max_events = tonumber(ARGV[2])
local max_bytes = tonumber(ARGV[3])
while n > 1 and (n > max_events or bytes > max_bytes) do
  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  redis.call('XDEL', KEYS[1], first[1])
  bytes = redis.call('DECRBY', KEYS[2], string.len(first[2][2]))
  n = n - 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return id
"#;

static APPEND_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(APPEND));

/// Events in Redis streams, sealed.
pub struct RedisEvents {
    redis: Redis,
    sealer: Sealer,
    settings: EventSettings,
}

impl RedisEvents {
    pub fn new(redis: Redis, key: &EventKey, settings: &EventSettings) -> RedisEvents {
        RedisEvents {
            redis,
            sealer: Sealer::new(key),
            settings: settings.clone(),
        }
    }

    fn key(session: &str, stream: &str) -> String {
        format!("{PREFIX}:ev:{}:{stream}", tag("session", session))
    }

    async fn append(
        &self,
        session: &str,
        principal: &str,
        stream: &str,
        plain: &[u8],
    ) -> Result<String, Unavailable> {
        let sealed = self
            .sealer
            .seal(plain, &binding(session, principal))
            .ok_or_else(|| Unavailable("cannot seal an event (no randomness)".into()))?;
        let key = Self::key(session, stream);
        let mut call = APPEND_SCRIPT.prepare_invoke();
        call.key(&key)
            .key(format!("{key}:bytes"))
            .arg(sealed)
            .arg(self.settings.max_events)
            .arg(self.settings.max_bytes)
            .arg(u64::try_from(self.settings.ttl.as_millis()).unwrap_or(u64::MAX));
        let pos: String = self.redis.run("storing an event", call).await?;
        Ok(format!("{stream}.{pos}"))
    }

    async fn after(
        &self,
        session: &str,
        principal: &str,
        stream: &str,
        after: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, Unavailable> {
        let mut cmd = redis::cmd("XRANGE");
        cmd.arg(Self::key(session, stream))
            .arg(format!("({after}"))
            .arg("+");
        let value: redis::Value = self.redis.run("reading events", cmd).await?;
        let ad = binding(session, principal);
        let mut out = Vec::new();
        for (pos, sealed) in stream_entries(value) {
            match self.sealer.open(&sealed, &ad) {
                Some(plain) => out.push((pos, plain)),
                None => {
                    tracing::warn!(
                        "a stored event does not open for this session and owner; skipped"
                    );
                }
            }
        }
        Ok(out)
    }
}

/// `[[id, [field, value, ...]], ...]` from XRANGE as (id, value of field `e`).
fn stream_entries(value: redis::Value) -> Vec<(String, Vec<u8>)> {
    let redis::Value::Array(entries) = value else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        let redis::Value::Array(parts) = entry else {
            continue;
        };
        let mut parts = parts.into_iter();
        let (Some(id), Some(redis::Value::Array(fields))) = (parts.next(), parts.next()) else {
            continue;
        };
        let id = match id {
            redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
            redis::Value::SimpleString(s) => s,
            _ => continue,
        };
        let mut fields = fields.into_iter();
        while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
            if let (redis::Value::BulkString(n), redis::Value::BulkString(v)) = (name, value)
                && n == b"e"
            {
                out.push((id.clone(), v));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(max_events: usize, max_bytes: usize) -> EventSettings {
        EventSettings {
            backend: crate::http::config::Backend::Memory,
            ttl: Duration::from_secs(60),
            max_events,
            max_bytes,
            key: None,
        }
    }

    fn priming(ms: u64) -> ServerSseMessage {
        ServerSseMessage::retry(Duration::from_millis(ms))
    }

    #[test]
    fn ids_name_their_stream() {
        let s = new_stream(false).unwrap();
        assert_eq!(s.len(), 17);
        assert!(s.starts_with('r'));
        assert!(new_stream(true).unwrap().starts_with('c'));
        assert_eq!(parse_id(&format!("{s}.12")), Some((s.as_str(), "12")));
        assert_eq!(
            parse_id(&format!("{s}.1700000000000-3")),
            Some((s.as_str(), "1700000000000-3"))
        );
        assert_eq!(parse_id("0/3"), None);
        assert_eq!(parse_id("x0123456789abcdef.1"), None);
        assert_eq!(parse_id(&format!("{s}.")), None);
    }

    #[tokio::test]
    async fn memory_keeps_events_in_order_within_caps() {
        let ev = Events::Memory(MemoryEvents::new(&settings(3, 1 << 20)));
        let st = new_stream(false).unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(ev.append("s1", "p", &st, &priming(i)).await.unwrap());
        }
        let got = ev.after("s1", "p", &st, "0").await.unwrap();
        let retries: Vec<u64> = got
            .iter()
            .map(|e| e.retry.unwrap().as_millis() as u64)
            .collect();
        assert_eq!(retries, vec![2, 3, 4], "the oldest dropped past 3 events");
        let (_, pos) = parse_id(&ids[3]).unwrap();
        let got = ev.after("s1", "p", &st, pos).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].event_id.as_deref(), Some(ids[4].as_str()));
        assert!(ev.after("s2", "p", &st, "0").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn memory_byte_cap_keeps_the_newest() {
        let ev = Events::Memory(MemoryEvents::new(&settings(100, 30)));
        for i in 0..4 {
            ev.append("s", "p", "rB", &priming(1000 + i)).await.unwrap();
        }
        let got = ev.after("s", "p", "rB", "0").await.unwrap();
        assert!(!got.is_empty() && got.len() < 4, "{}", got.len());
        assert_eq!(got.last().unwrap().retry, Some(Duration::from_millis(1003)));
    }

    #[test]
    fn a_tool_answer_round_trips() {
        let msg: ServerJsonRpcMessage = serde_json::from_value(serde_json::json!({
            "jsonrpc": "2.0", "id": 3,
            "result": {"content": [{"type": "text", "text": "MARKER"}],
                       "structuredContent": {"ok": true, "data": {"x": 1}}, "isError": false}
        }))
        .unwrap();
        let before = serde_json::to_value(&msg).unwrap();
        let ev = ServerSseMessage::from_message(msg);
        let back = decode(&encode(&ev).unwrap(), "rX.1".into()).unwrap();
        assert!(is_final(&back));
        assert_eq!(
            serde_json::to_value(back.message.as_deref().unwrap()).unwrap(),
            before
        );
    }
}
