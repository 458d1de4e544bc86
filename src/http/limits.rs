//! Rate limits: token buckets keyed by client address (before authentication) and by principal
//! (after it), and the rule that decides a request's client address behind proxies
//! (`MCP_TRUST_PROXY`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use super::config::{RateLimit, TrustProxy, canonical};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets: each key may spend `max` requests at once and regains them evenly over the
/// window. Past `max_buckets` keys, new keys share one overflow bucket.
pub struct Buckets {
    capacity: f64,
    per_sec: f64,
    max_buckets: usize,
    inner: Mutex<(HashMap<String, Bucket>, Bucket)>,
}

impl std::fmt::Debug for Buckets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buckets")
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Buckets {
    pub fn new(rate: &RateLimit) -> Buckets {
        let capacity = f64::from(rate.max.max(1));
        let secs = rate.window.as_secs_f64().max(0.001);
        let now = Instant::now();
        Buckets {
            capacity,
            per_sec: capacity / secs,
            max_buckets: rate.max_buckets,
            inner: Mutex::new((
                HashMap::new(),
                Bucket {
                    tokens: capacity,
                    at: now,
                },
            )),
        }
    }

    /// Takes one token for `key`; `Err(wait)` when there is none, with the time until there is.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut guard) = self.inner.lock() else {
            return Ok(());
        };
        let (map, overflow) = &mut *guard;
        if !map.contains_key(key) && map.len() >= self.max_buckets {
            // Buckets that have filled up again hold no state worth keeping.
            let (capacity, per_sec) = (self.capacity, self.per_sec);
            map.retain(|_, b| refilled(b, now, capacity, per_sec) < capacity);
        }
        let bucket = if map.contains_key(key) || map.len() < self.max_buckets {
            map.entry(key.to_string()).or_insert(Bucket {
                tokens: self.capacity,
                at: now,
            })
        } else {
            overflow
        };
        bucket.tokens = refilled(bucket, now, self.capacity, self.per_sec);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            Err(Duration::from_secs_f64(missing / self.per_sec))
        }
    }

    /// How many keys have their own bucket.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.0.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn refilled(b: &Bucket, now: Instant, capacity: f64, per_sec: f64) -> f64 {
    let gained = now.saturating_duration_since(b.at).as_secs_f64() * per_sec;
    (b.tokens + gained).min(capacity)
}

/// The whole seconds a client should wait, at least 1, for `Retry-After`.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// The client's address: the socket peer, or with trusted proxies an address from
/// `X-Forwarded-For`, read from the right and never past a hop that is not trusted.
pub fn client_ip(trust: &TrustProxy, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let peer_ip = canonical(peer.ip());
    if *trust == TrustProxy::Off {
        return peer_ip;
    }
    // The chain from the client (left) to the peer (right); an unreadable entry stops the walk.
    let mut forwarded: Vec<Option<IpAddr>> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            forwarded.push(None);
            continue;
        };
        for part in text.split(',') {
            forwarded.push(parse_forwarded(part.trim()));
        }
    }
    let mut hops: Vec<Option<IpAddr>> = forwarded;
    hops.push(Some(peer_ip));
    let mut chosen = peer_ip;
    match trust {
        TrustProxy::Off => {}
        TrustProxy::Hops(n) => {
            for (walked, hop) in hops.iter().rev().enumerate() {
                if walked > *n {
                    break;
                }
                match hop {
                    Some(ip) => chosen = *ip,
                    None => break,
                }
            }
        }
        TrustProxy::Ranges(ranges) => {
            for hop in hops.iter().rev() {
                let Some(ip) = hop else { break };
                chosen = *ip;
                if !ranges.iter().any(|r| r.contains(*ip)) {
                    break;
                }
            }
        }
    }
    chosen
}

/// One `X-Forwarded-For` entry: an address, maybe with a port or in brackets.
fn parse_forwarded(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse::<IpAddr>().ok())
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::config::Cidr;
    use axum::http::HeaderValue;

    fn rate(max: u32, window_ms: u64, buckets: usize) -> RateLimit {
        RateLimit {
            enabled: true,
            max,
            window: Duration::from_millis(window_ms),
            max_buckets: buckets,
        }
    }

    #[test]
    fn buckets_spend_and_refill() {
        let b = Buckets::new(&rate(3, 3000, 10));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.take_at("a", t0).is_ok());
        }
        let wait = b.take_at("a", t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_millis(1000),
            "{wait:?}"
        );
        assert_eq!(retry_after_secs(wait), 1);
        assert!(b.take_at("b", t0).is_ok(), "keys are independent");
        assert!(b.take_at("a", t0 + Duration::from_millis(1001)).is_ok());
        assert!(b.take_at("a", t0 + Duration::from_millis(1002)).is_err());
    }

    #[test]
    fn past_the_bucket_cap_new_keys_share_one() {
        let b = Buckets::new(&rate(1, 60_000, 2));
        let t0 = Instant::now();
        assert!(b.take_at("a", t0).is_ok());
        assert!(b.take_at("b", t0).is_ok());
        assert!(
            b.take_at("c", t0).is_ok(),
            "the overflow bucket's first token"
        );
        assert!(b.take_at("d", t0).is_err(), "shared with c");
        assert_eq!(b.len(), 2);
        // Once a and b have refilled they are dropped to make room.
        assert!(b.take_at("e", t0 + Duration::from_secs(61)).is_ok());
        assert_eq!(b.len(), 1);
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn client_address_behind_proxies() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let h = xff("203.0.113.9, 198.51.100.1");
        let ip = |t: &TrustProxy, h: &HeaderMap| client_ip(t, peer, h).to_string();
        assert_eq!(ip(&TrustProxy::Off, &h), "10.0.0.2");
        assert_eq!(ip(&TrustProxy::Hops(1), &h), "198.51.100.1");
        assert_eq!(ip(&TrustProxy::Hops(2), &h), "203.0.113.9");
        assert_eq!(ip(&TrustProxy::Hops(9), &h), "203.0.113.9");
        let ranges = TrustProxy::Ranges(vec![Cidr {
            addr: "10.0.0.0".parse().unwrap(),
            prefix: 8,
        }]);
        assert_eq!(ip(&ranges, &h), "198.51.100.1");
        assert_eq!(ip(&ranges, &xff("203.0.113.9, 10.9.9.9")), "203.0.113.9");
        assert_eq!(
            ip(&TrustProxy::Hops(2), &xff("garbage, 198.51.100.1")),
            "198.51.100.1"
        );
        assert_eq!(ip(&TrustProxy::Hops(1), &HeaderMap::new()), "10.0.0.2");
        assert_eq!(
            ip(&TrustProxy::Hops(1), &xff("[2001:db8::1]:443")),
            "2001:db8::1"
        );
        let untrusted_peer: SocketAddr = "192.0.2.7:1".parse().unwrap();
        assert_eq!(
            client_ip(&ranges, untrusted_peer, &h).to_string(),
            "192.0.2.7"
        );
    }
}
