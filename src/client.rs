//! `PortkeyClient`: the only code that speaks HTTP to Portkey. One pooled client
//! ([`crate::upstream`]), reused; one `send` that turns every answer into data or an
//! [`ApiError`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::http::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use ::http::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::error::ApiError;

/// Largest response body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// The header that carries the API key.
const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-portkey-api-key");
/// The headers naming Portkey's id for a request, in the order they are read.
const PORTKEY_REQUEST_ID: HeaderName = HeaderName::from_static("x-portkey-request-id");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest wait a Retry-After header may impose.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// Which base URL a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// The configured base (`.../v1`).
    V1,
    /// The same base with its final `/v1` replaced by `/v2`.
    V2,
    /// Portkey's public catalog, called without the API key.
    Public,
}

/// One request as a domain handler describes it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub base: Base,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Req {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Req {
            method,
            base: Base::V1,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::POST, path).body(body)
    }
    pub fn put(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::PUT, path).body(body)
    }
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    /// Adds query pairs (already rendered, see [`query_of`]).
    pub fn query(mut self, pairs: Vec<(String, String)>) -> Self {
        self.query.extend(pairs);
        self
    }
    /// Adds the fields of a serialisable value as query pairs.
    pub fn query_from<T: Serialize>(self, value: &T) -> Self {
        let pairs = query_of(value);
        self.query(pairs)
    }
    pub fn v2(mut self) -> Self {
        self.base = Base::V2;
        self
    }
    pub fn public(mut self) -> Self {
        self.base = Base::Public;
        self
    }
}

/// A request as it was sent, for the audit journal.
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
}

/// Why a built path cannot be sent: a segment that is empty, `.` or `..` (in any spelling) would
/// make the URL parser drop or climb a segment, so the request would reach another endpoint.
/// Returns the offending segment, decoded.
pub fn bad_segment(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    if rest.is_empty() {
        return None;
    }
    rest.split('/').find_map(|seg| {
        let decoded = decode_segment(seg);
        is_dot_or_empty(&decoded).then_some(decoded)
    })
}

/// Whether a (decoded) path segment is one the URL parser would drop or climb: empty, `.`, `..`.
pub fn is_dot_or_empty(segment: &str) -> bool {
    matches!(segment, "" | "." | "..")
}

/// A path segment with its percent-escapes decoded (invalid UTF-8 shown as U+FFFD).
pub fn decode_segment(seg: &str) -> String {
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%'
            && let Some(h) = b.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(h)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes one path segment exactly like JavaScript's `encodeURIComponent`.
pub fn enc(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            )
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Renders a scalar for a query string; `None` for null.
pub fn query_scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(crate::js::number(n)),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// The fields of a serialisable value as query pairs: nulls skipped, arrays repeated.
pub fn query_of<T: Serialize>(value: &T) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(Value::Object(map)) = serde_json::to_value(value) {
        for (k, v) in map {
            match v {
                Value::Array(items) => {
                    for item in items {
                        if let Some(s) = query_scalar(&item) {
                            out.push((k.clone(), s));
                        }
                    }
                }
                other => {
                    if let Some(s) = query_scalar(&other) {
                        out.push((k, s));
                    }
                }
            }
        }
    }
    out
}

/// A Portkey API key that arrived with one HTTP request (bring your own key). It is used for
/// the requests of that one tool call only: kept in no session, no log line, no error message.
#[derive(Clone)]
pub struct RequestKey {
    header: HeaderValue,
    text: Arc<str>,
}

impl RequestKey {
    /// The key as a header value marked sensitive; `None` when it is blank or could not be sent
    /// as a header.
    pub fn new(key: &str) -> Option<RequestKey> {
        let key = key.trim();
        if key.is_empty() {
            return None;
        }
        let mut header = HeaderValue::from_str(key).ok()?;
        header.set_sensitive(true);
        Some(RequestKey {
            header,
            text: Arc::from(key),
        })
    }

    /// The key itself, for redaction only.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Debug for RequestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestKey([redacted])")
    }
}

/// The shared HTTP client and the configured bases.
pub struct PortkeyClient {
    /// Built on first use: loading the platform's trust roots is the slowest part of start-up,
    /// and listing tools needs no HTTP at all.
    http: std::sync::OnceLock<Result<crate::upstream::Upstream, String>>,
    base: String,
    v2_base: String,
    public_base: String,
    /// The path part of each base (`/v1`, `/v2`, ``), parsed once.
    base_paths: [String; 3],
    /// Each base parsed once (`None` when it carries a query or fragment, or does not parse):
    /// a request's URL is this with the path and query set, so the host is not parsed again.
    base_urls: [Option<url::Url>; 3],
    key: Option<HeaderValue>,
    key_text: Option<String>,
    timeout: Duration,
    max_retries: u32,
    /// PORTKEY_ALLOW_PRIVATE_BASE_URL, for the connect-time address check.
    allow_private: bool,
    /// At most `PORTKEY_MAX_CONCURRENCY` requests in flight; waiters are served in order.
    slots: tokio::sync::Semaphore,
}

impl std::fmt::Debug for PortkeyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortkeyClient")
            .field("base", &self.base)
            .field("v2_base", &self.v2_base)
            .field("public_base", &self.public_base)
            .field("key", &self.key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl PortkeyClient {
    pub fn new(config: &Config) -> Result<Self, String> {
        // Installing the process-wide crypto provider twice is harmless; the error is ignored.
        let key = match config.api_key.as_deref() {
            Some(k) => {
                let mut v = HeaderValue::from_str(k).map_err(|_| {
                    "PORTKEY_API_KEY contains characters not allowed in an HTTP header".to_string()
                })?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        Ok(PortkeyClient {
            http: std::sync::OnceLock::new(),
            base: config.base_url.clone(),
            v2_base: config.v2_base_url.clone(),
            public_base: config.public_base_url.clone(),
            base_paths: [
                path_of(&config.base_url),
                path_of(&config.v2_base_url),
                path_of(&config.public_base_url),
            ],
            base_urls: [
                plain_url(&config.base_url),
                plain_url(&config.v2_base_url),
                plain_url(&config.public_base_url),
            ],
            key,
            key_text: config.api_key.clone(),
            timeout: Duration::from_millis(config.timeout_ms),
            max_retries: config.max_retries,
            slots: tokio::sync::Semaphore::new(config.max_concurrency.clamp(1, 256) as usize),
            allow_private: config.allow_private_base_url,
        })
    }

    fn http(&self) -> Result<&crate::upstream::Upstream, ApiError> {
        self.http
            .get_or_init(|| crate::upstream::Upstream::new(self.allow_private))
            .as_ref()
            .map_err(|e| ApiError::Other(e.clone()))
    }

    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// The call budget configured for one tool call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether Portkey's API answers at all within `timeout` (any HTTP status counts), for the
    /// HTTP server's readiness check. Sends no key; returns the status.
    pub async fn reachable(&self, timeout: Duration) -> Result<u16, String> {
        let http = self.http().map_err(|e| e.to_string())?;
        match tokio::time::timeout(timeout, http.get(&self.base)).await {
            Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
            Ok(Err(e)) => Err(e),
            Ok(Ok(resp)) => Ok(resp.status().as_u16()),
        }
    }

    /// The configured API key, for redaction only.
    pub fn api_key(&self) -> Option<&str> {
        self.key_text.as_deref()
    }

    fn base_for(&self, req: &Req) -> &str {
        match req.base {
            Base::V1 => &self.base,
            Base::V2 => &self.v2_base,
            Base::Public => &self.public_base,
        }
    }

    /// The path Portkey will see for `req` (the base URL's path included), exactly as sent.
    pub fn full_path(&self, req: &Req) -> String {
        let i = match req.base {
            Base::V1 => 0,
            Base::V2 => 1,
            Base::Public => 2,
        };
        let base_path = self.base_paths.get(i).map(String::as_str).unwrap_or("");
        format!("{base_path}{}", req.path)
    }

    /// Refuses a request whose path would not reach the endpoint it names: an empty, `.` or `..`
    /// segment, or anything the URL parser would rewrite.
    pub fn check_path(&self, req: &Req) -> Result<(), ApiError> {
        self.checked_url(req).map(|_| ())
    }

    /// The URL `req` is sent to, after the checks of [`check_path`](Self::check_path), and
    /// its path ([`full_path`](Self::full_path)).
    fn checked_url(&self, req: &Req) -> Result<(url::Url, String), ApiError> {
        if let Some(seg) = bad_segment(&req.path) {
            return Err(crate::registry::bad(format!(
                "an id in the request path is {}; an empty, \".\" or \"..\" id would send the request to a different endpoint. Pass the object's real id. Nothing was sent.",
                if seg.is_empty() {
                    "empty".to_string()
                } else {
                    format!("\"{seg}\"")
                }
            )));
        }
        let full = self.full_path(req);
        let parsed = self.parse_url(req, &full).map_err(|e| {
            crate::registry::bad(format!(
                "the request URL could not be built ({e}); check the ids passed. Nothing was sent."
            ))
        })?;
        if parsed.path() != full {
            return Err(crate::registry::bad(
                "an id in the request path would be rewritten by URL parsing and reach a different endpoint; pass the object's real id. Nothing was sent.",
            ));
        }
        Ok((parsed, full))
    }

    /// `url_for(req)` parsed: from the base parsed at start-up with the path and the query set
    /// (the same parser rules, without parsing the scheme and host again), else parsed whole.
    fn parse_url(&self, req: &Req, full_path: &str) -> Result<url::Url, url::ParseError> {
        let i = match req.base {
            Base::V1 => 0,
            Base::V2 => 1,
            Base::Public => 2,
        };
        let Some(Some(base)) = self.base_urls.get(i) else {
            return url::Url::parse(&self.url_for(req));
        };
        let mut url = base.clone();
        url.set_path(full_path);
        if !req.query.is_empty() {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &req.query {
                ser.append_pair(k, v);
            }
            url.set_query(Some(&ser.finish()));
        }
        Ok(url)
    }

    fn url_for(&self, req: &Req) -> String {
        let base = self.base_for(req);
        let mut url = format!("{base}{}", req.path);
        if !req.query.is_empty() {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &req.query {
                ser.append_pair(k, v);
            }
            url.push('?');
            url.push_str(&ser.finish());
        }
        url
    }

    /// Sends one request to its checked URL, retrying safe reads, within the deadline, with the
    /// key of the caller's request in place of the configured one when there is one.
    pub async fn send_as(
        &self,
        req: &Req,
        (url, full_path): (&url::Url, &str),
        deadline: Instant,
        log: &Mutex<Vec<Sent>>,
        caller_key: Option<&RequestKey>,
    ) -> Result<Value, ApiError> {
        let key = caller_key.map(|k| &k.header).or(self.key.as_ref());
        if req.base != Base::Public && key.is_none() {
            return Err(ApiError::MissingApiKey);
        }
        let retryable = req.method == Method::GET;
        let mut attempt: u32 = 0;
        loop {
            let now = Instant::now();
            let remaining = deadline.saturating_duration_since(now);
            if remaining.is_zero() {
                return Err(ApiError::Timeout {
                    ms: self.timeout.as_millis() as u64,
                });
            }
            let outcome =
                tokio::time::timeout(remaining, self.send_once(req, (url, full_path), log, key))
                    .await;
            let result = match outcome {
                Ok(r) => r,
                Err(_) => {
                    return Err(ApiError::Timeout {
                        ms: self.timeout.as_millis() as u64,
                    });
                }
            };
            let wait = match &result {
                Err(Attempt { error, retry_after }) if retryable && attempt < self.max_retries => {
                    match error {
                        ApiError::Status {
                            status: 429 | 502 | 503 | 504,
                            ..
                        } => Some(retry_after.unwrap_or_else(|| backoff(attempt))),
                        ApiError::Transport { .. } => Some(backoff(attempt)),
                        _ => None,
                    }
                }
                _ => None,
            };
            match (result, wait) {
                (Ok(v), _) => return Ok(v),
                (Err(a), None) => return Err(a.error),
                (Err(a), Some(wait)) => {
                    let wait = wait.min(MAX_RETRY_WAIT);
                    if Instant::now() + wait >= deadline {
                        return Err(a.error);
                    }
                    tracing::info!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "retrying GET {}",
                        req.path
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn send_once(
        &self,
        req: &Req,
        (url, full_path): (&url::Url, &str),
        log: &Mutex<Vec<Sent>>,
        key: Option<&HeaderValue>,
    ) -> Result<Value, Attempt> {
        let http = self.http().map_err(Attempt::plain)?;
        // Only an error names the target; it is built then.
        let target = || format!("{} {}", req.method, strip_query(&self.url_for(req)));
        let uri: ::http::Uri = url.as_str().parse().map_err(|e| {
            Attempt::plain(ApiError::Transport {
                target: target(),
                detail: format!("the URL is not a valid request target ({e})"),
            })
        })?;
        let body = match &req.body {
            Some(body) => crate::upstream::Body::new(body.to_string().into()),
            None => crate::upstream::Body::default(),
        };
        let mut request = ::http::Request::new(body);
        *request.method_mut() = req.method.clone();
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        if let (true, Some(k)) = (req.base != Base::Public, key) {
            headers.insert(API_KEY_HEADER, k.clone());
        }
        if req.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        tracing::debug!(method = %req.method, path = %req.path, "sending");
        // Recorded before it leaves, so a call cut short (timeout, cancellation) still knows
        // what it sent; the status is filled in when the answer comes.
        let slot = log.lock().ok().map(|mut l| {
            l.push(Sent {
                method: req.method.to_string(),
                path: full_path.to_string(),
                status: None,
                request_id: None,
            });
            l.len() - 1
        });
        let resp = match http.send(request).await {
            Ok(r) => r,
            Err(e) => {
                return Err(Attempt::plain(ApiError::Transport {
                    target: target(),
                    detail: crate::upstream::describe(&e),
                }));
            }
        };
        let status = resp.status();
        let request_id = resp
            .headers()
            .get(&PORTKEY_REQUEST_ID)
            .or_else(|| resp.headers().get(&REQUEST_ID))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let (Ok(mut l), Some(i)) = (log.lock(), slot)
            && let Some(e) = l.get_mut(i)
        {
            e.status = Some(status.as_u16());
            e.request_id = request_id;
        }
        let retry_after = resp.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        if status.is_redirection() {
            let location = resp
                .headers()
                .get(::http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(strip_query);
            return Err(Attempt::plain(ApiError::Redirect {
                status: status.as_u16(),
                location,
            }));
        }
        // Read the body with a size cap.
        let bytes = match crate::upstream::read_body(resp.into_body(), MAX_BODY_BYTES).await {
            Ok(bytes) => bytes,
            Err(crate::upstream::BodyError::TooLarge) => {
                return Err(Attempt::plain(ApiError::TooLarge {
                    status: status.as_u16(),
                    limit: MAX_BODY_BYTES,
                }));
            }
            Err(crate::upstream::BodyError::Broken(detail)) => {
                return Err(Attempt::plain(ApiError::Transport {
                    target: target(),
                    detail,
                }));
            }
        };
        if status.is_success() {
            return self
                .decode_success(req, status, &bytes)
                .map_err(Attempt::plain);
        }
        Err(Attempt {
            error: self.decode_failure(status, &bytes, retry_after),
            retry_after,
        })
    }

    fn decode_success(
        &self,
        req: &Req,
        status: StatusCode,
        bytes: &[u8],
    ) -> Result<Value, ApiError> {
        if status == StatusCode::NO_CONTENT
            || (bytes.iter().all(u8::is_ascii_whitespace) && req.method != Method::GET)
        {
            return Ok(Value::Null);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::Decode {
                status: status.as_u16(),
                excerpt: "(empty body)".into(),
            });
        }
        serde_json::from_slice(bytes).map_err(|_| ApiError::Decode {
            status: status.as_u16(),
            excerpt: self.excerpt(bytes),
        })
    }

    fn decode_failure(
        &self,
        status: StatusCode,
        bytes: &[u8],
        retry_after: Option<Duration>,
    ) -> ApiError {
        let code_u16 = status.as_u16();
        let retry_after_seconds = if code_u16 == 429 {
            Some(retry_after.map(|d| d.as_secs().max(1)).unwrap_or(1))
        } else {
            None
        };
        let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
        let Some(body) = parsed.filter(Value::is_object) else {
            let excerpt = self.excerpt(bytes);
            let message = if excerpt.is_empty() || excerpt == "(empty body)" {
                status
                    .canonical_reason()
                    .unwrap_or("request failed")
                    .to_string()
            } else {
                format!(
                    "{} (the body was not JSON: {excerpt})",
                    status.canonical_reason().unwrap_or("request failed")
                )
            };
            return ApiError::Status {
                status: code_u16,
                message,
                code: None,
                slug: None,
                body: None,
                retry_after_seconds,
            };
        };
        let err = ["error", "data"]
            .iter()
            .find_map(|k| body.get(*k).filter(|v| v.is_object() || v.is_string()))
            .unwrap_or(&body);
        let text = |v: &Value, keys: &[&str]| -> Option<String> {
            keys.iter().find_map(|k| match v.get(*k) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
        };
        let message = match err {
            Value::String(s) => Some(s.clone()),
            other => text(other, &["message", "error_message", "detail"])
                .or_else(|| text(&body, &["message"])),
        }
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("request failed")
                .to_string()
        });
        let code = text(err, &["errorCode", "code", "error_code"])
            .or_else(|| text(&body, &["errorCode", "code"]));
        let slug = text(err, &["slug"]).or_else(|| text(&body, &["slug"]));
        ApiError::Status {
            status: code_u16,
            message,
            code,
            slug,
            body: None,
            retry_after_seconds,
        }
    }

    fn excerpt(&self, bytes: &[u8]) -> String {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return "(empty body)".into();
        }
        let text = String::from_utf8_lossy(bytes);
        let squashed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut cut: String = squashed.chars().take(160).collect();
        if squashed.chars().count() > 160 {
            cut.push('…');
        }
        cut
    }
}

/// The path part of a base URL without its trailing slash (`https://h/v1` -> `/v1`).
/// `base` parsed, when it has neither a query nor a fragment (a path can then be set on it).
fn plain_url(base: &str) -> Option<url::Url> {
    url::Url::parse(base)
        .ok()
        .filter(|u| u.query().is_none() && u.fragment().is_none() && !u.cannot_be_a_base())
}

fn path_of(base: &str) -> String {
    url::Url::parse(base)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default()
}

/// One attempt's failure and the server's Retry-After, if any.
struct Attempt {
    error: ApiError,
    retry_after: Option<Duration>,
}

impl Attempt {
    fn plain(error: ApiError) -> Self {
        Attempt {
            error,
            retry_after: None,
        }
    }
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// Parses Retry-After as delta-seconds or an HTTP date.
pub fn parse_retry_after(v: &HeaderValue) -> Option<Duration> {
    let s = v.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_WAIT));
    }
    let when = httpdate::parse_http_date(s).ok()?;
    let wait = when
        .duration_since(std::time::SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(wait.min(MAX_RETRY_WAIT))
}

/// Exponential backoff with jitter: ~250 ms, 500 ms, 1 s, ... (+ up to 25 %).
fn backoff(attempt: u32) -> Duration {
    let base = 250u64.saturating_mul(1u64 << attempt.min(6));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let jitter = nanos % (base / 4 + 1);
    Duration::from_millis(base + jitter)
}

/// What the call pipeline does right before a request leaves: check, confirm, journal. The
/// client calls it and knows nothing of what it does.
pub trait SendHook: Send + Sync {
    /// Runs before `req` (to `full_path`) is sent; an error means it is not sent. `Ok(true)`
    /// restarts the call's time budget (the user was asked, and time spent waiting does not count).
    fn before_send<'a>(
        &'a self,
        req: &'a Req,
        full_path: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<bool, ApiError>> + Send + 'a>>;
}

/// A handle for one tool call: the shared client, the call's deadline, what it sent, and the
/// pipeline's hook.
#[derive(Clone)]
pub struct Api {
    client: Arc<PortkeyClient>,
    deadline: Arc<Mutex<Instant>>,
    sent: Arc<Mutex<Vec<Sent>>>,
    hook: Option<Arc<dyn SendHook>>,
    /// The caller's own key (bring your own key over HTTP), used instead of the configured one.
    key: Option<RequestKey>,
}

impl Api {
    pub fn new(client: Arc<PortkeyClient>) -> Self {
        let deadline = Instant::now() + client.timeout();
        Api {
            client,
            deadline: Arc::new(Mutex::new(deadline)),
            sent: Arc::new(Mutex::new(Vec::new())),
            hook: None,
            key: None,
        }
    }

    /// The same handle sending `key` (the caller's own) instead of the configured key.
    pub fn with_key(mut self, key: Option<RequestKey>) -> Self {
        self.key = key;
        self
    }

    /// Whether requests of this call have a key to send.
    pub fn has_key(&self) -> bool {
        self.key.is_some() || self.client.has_key()
    }

    /// The same handle with the pipeline's hook run before every request.
    pub fn with_hook(mut self, hook: Arc<dyn SendHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    fn deadline(&self) -> Instant {
        self.deadline
            .lock()
            .map(|d| *d)
            .unwrap_or_else(|_| Instant::now())
    }

    pub async fn send(&self, req: Req) -> Result<Value, ApiError> {
        if req.base != Base::Public && !self.has_key() {
            return Err(ApiError::MissingApiKey);
        }
        let (url, full) = self.client.checked_url(&req)?;
        if let Some(hook) = &self.hook
            && hook.before_send(&req, &full).await?
            && let Ok(mut d) = self.deadline.lock()
        {
            *d = Instant::now() + self.client.timeout();
        }
        // Wait for a free slot within the call's own budget; a call that cannot start in time
        // is answered with the timeout and sends nothing. Dropping this future (cancellation)
        // leaves the queue without sending.
        let deadline = self.deadline();
        let wait = deadline.saturating_duration_since(Instant::now());
        let _slot = match tokio::time::timeout(wait, self.client.slots.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => {
                return Err(ApiError::Other(
                    "the request queue is closed; the server is shutting down".into(),
                ));
            }
            Err(_) => {
                return Err(ApiError::Timeout {
                    ms: self.client.timeout().as_millis() as u64,
                });
            }
        };
        // A request that would leave with almost no time left would most likely time out in
        // flight, leaving the change in doubt: below a floor, it is not sent at all.
        let floor = (self.client.timeout() / 4).min(Duration::from_millis(100));
        if deadline.saturating_duration_since(Instant::now()) < floor {
            return Err(ApiError::Timeout {
                ms: self.client.timeout().as_millis() as u64,
            });
        }
        // Boxed, and only once a slot is held: the request's state (hyper, the
        // timeout) is most of a call's future, so a queued call stays small, and the tasks
        // that hold a call move a pointer rather than kilobytes each time they change state.
        Box::pin(
            self.client
                .send_as(&req, (&url, &full), deadline, &self.sent, self.key.as_ref()),
        )
        .await
    }
    pub async fn get(&self, path: impl Into<String>) -> Result<Value, ApiError> {
        self.send(Req::get(path)).await
    }
    pub async fn post(&self, path: impl Into<String>, body: Value) -> Result<Value, ApiError> {
        self.send(Req::post(path, body)).await
    }
    pub async fn put(&self, path: impl Into<String>, body: Value) -> Result<Value, ApiError> {
        self.send(Req::put(path, body)).await
    }
    pub async fn delete(&self, path: impl Into<String>) -> Result<Value, ApiError> {
        self.send(Req::delete(path)).await
    }

    /// The requests this call has sent so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn client(&self) -> &PortkeyClient {
        &self.client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enc_matches_encode_uri_component() {
        assert_eq!(enc("a/b"), "a%2Fb");
        assert_eq!(enc("../x"), "..%2Fx");
        assert_eq!(enc("a b"), "a%20b");
        assert_eq!(enc("é"), "%C3%A9");
        assert_eq!(enc("A-z_0.9!~*'()"), "A-z_0.9!~*'()");
        assert_eq!(enc("?#&=+"), "%3F%23%26%3D%2B");
    }

    #[test]
    fn dot_and_empty_segments_are_found() {
        assert_eq!(
            bad_segment("/admin/workspaces/../users/u"),
            Some("..".into())
        );
        assert_eq!(bad_segment("/admin/workspaces/./users"), Some(".".into()));
        assert_eq!(bad_segment("/admin/workspaces//users"), Some(String::new()));
        assert_eq!(bad_segment("/admin/users/"), Some(String::new()));
        assert_eq!(bad_segment("/a/%2e%2E/b"), Some("..".into()));
        assert_eq!(bad_segment("/a/.%2e"), Some("..".into()));
        assert_eq!(bad_segment("/a/..x/b"), None);
        assert_eq!(bad_segment("/a/%2E%2E%2Fx"), None);
        assert_eq!(bad_segment("/admin/users/u-1"), None);
    }

    #[test]
    fn query_of_skips_nulls_and_repeats_arrays() {
        let q = query_of(&serde_json::json!({"a": 1.0, "b": null, "c": ["x", "y"], "d": true}));
        assert_eq!(
            q,
            vec![
                ("a".into(), "1".into()),
                ("c".into(), "x".into()),
                ("c".into(), "y".into()),
                ("d".into(), "true".into())
            ]
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static("3")),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static("999")),
            Some(MAX_RETRY_WAIT)
        );
        let past = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }
}
