//! The checks in front of `/mcp`, in order: shutting down -> rate limit by client address ->
//! Origin -> Host (when nobody is authenticated) -> declared body size -> authentication -> rate
//! limit by principal -> the caller's Portkey key (bring your own key) -> session admission and
//! ownership. Each refusal is a JSON-RPC error body with the HTTP status that names it.

use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::auth::Denied;
use super::config::{AuthMode, SessionMode};
use super::handler::CallerKey;
use super::limits::{client_ip, retry_after_secs};
use super::origin::{host_allowed, origin_allowed};
use super::sessions::{Binding, Lookup};
use super::store::rate::Refused;
use super::{AppState, Peer};
use crate::client::RequestKey;

pub const SESSION_HEADER: &str = "mcp-session-id";
pub const KEY_HEADER: &str = "x-portkey-api-key";

/// A refusal: the status, a JSON-RPC error naming it, and any extra headers.
pub fn refuse(status: StatusCode, message: &str, headers: &[(HeaderName, String)]) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => -32001,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => -32003,
        _ => -32000,
    };
    let body = json!({
        "jsonrpc": "2.0",
        "error": {"code": code, "message": message},
        "id": null,
    });
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name.clone(), v);
        }
    }
    resp
}

fn too_many(refused: Refused, whom: &str) -> Response {
    let wait = match refused {
        Refused::Wait(wait) => wait,
        Refused::Unavailable(e) => {
            tracing::warn!("rate limit store: {e}");
            return store_unavailable(&format!("the shared rate limit cannot be checked: {e}"));
        }
    };
    let secs = retry_after_secs(wait);
    refuse(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Too many requests from this {whom}; retry after {secs} s"),
        &[(RETRY_AFTER, secs.to_string())],
    )
}

/// 503 when the shared store (Redis) cannot be used: the request may succeed once it is back.
fn store_unavailable(why: &str) -> Response {
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        &format!(
            "Temporarily unavailable: {why}. Retry shortly; if it persists, check that Redis (MCP_REDIS_URL) is running"
        ),
        &[(RETRY_AFTER, "2".into())],
    )
}

/// A header value as text, when it is text.
fn header(req: &Request, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn unauthorized(st: &AppState, denied: &Denied) -> Response {
    let mut challenge = String::from("Bearer realm=\"portkey-admin-mcp\"");
    if let Some(meta) = st.resource_metadata_url() {
        challenge.push_str(&format!(", resource_metadata=\"{meta}\""));
    }
    let message = match denied {
        Denied::Missing => {
            "Authentication required: send Authorization: Bearer <token>".to_string()
        }
        Denied::Invalid(why) => {
            challenge.push_str(&format!(
                ", error=\"invalid_token\", error_description=\"{}\"",
                why.replace('"', "'")
            ));
            format!("Authentication failed: {why}")
        }
        Denied::Forbidden(why) => {
            return refuse(StatusCode::FORBIDDEN, &format!("Forbidden: {why}"), &[]);
        }
    };
    refuse(
        StatusCode::UNAUTHORIZED,
        &message,
        &[(WWW_AUTHENTICATE, challenge)],
    )
}

pub async fn gate(
    State(st): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    mut req: Request,
    next: Next,
) -> Response {
    if st.stopping.load(Ordering::SeqCst) {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is shutting down; reconnect shortly",
            &[(RETRY_AFTER, "5".into())],
        );
    }
    let ip = client_ip(&st.settings.trust_proxy, peer, req.headers());
    if let Some(b) = &st.ip_limits
        && let Err(refused) = b.take(&ip.to_string()).await
    {
        tracing::info!(%ip, "rate limited by address");
        return too_many(refused, "address");
    }
    if !origin_allowed(header(&req, ORIGIN), &st.settings.origins) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Forbidden: this Origin is not allowed (ALLOWED_ORIGINS)",
            &[],
        );
    }
    if st.settings.auth == AuthMode::None && !host_allowed(header(&req, HOST), &st.allowed_hosts) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Forbidden: this Host is not served without authentication",
            &[],
        );
    }
    let declared = header(&req, CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > st.settings.max_request_bytes as u64) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "The request body is larger than {} bytes (MCP_MAX_REQUEST_SIZE)",
                st.settings.max_request_bytes
            ),
            &[],
        );
    }
    let principal = match st.auth.check(req.headers()).await {
        Ok(p) => p,
        Err(denied) => {
            tracing::info!(%ip, "request refused: {denied:?}");
            return unauthorized(&st, &denied);
        }
    };
    if st.settings.auth != AuthMode::None
        && let Some(b) = &st.principal_limits
        && let Err(refused) = b.take(&principal.id).await
    {
        tracing::info!(principal = %principal.id, "rate limited by principal");
        return too_many(refused, "caller");
    }
    // The caller's key never goes further than this request's extensions.
    let sent_key = req.headers_mut().remove(KEY_HEADER);
    let key = if st.byok {
        match sent_key
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(RequestKey::new)
        {
            Some(k) => Some(k),
            None => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "This server has no Portkey API key of its own: send yours in the X-Portkey-Api-Key header with every request",
                    &[(
                        WWW_AUTHENTICATE,
                        "X-Portkey-Api-Key realm=\"portkey-admin-mcp\"".into(),
                    )],
                );
            }
        }
    } else {
        None
    };
    let binding = Binding {
        principal: principal.id.clone(),
        key: key
            .as_ref()
            .map(|k| Sha256::digest(k.expose().as_bytes()).into()),
    };
    let session = header(&req, SESSION_HEADER).map(str::to_string);
    let method = req.method().clone();
    let read_only = principal.read_only;
    req.extensions_mut().insert(principal);
    if let Some(k) = key {
        req.extensions_mut().insert(CallerKey(k));
    }

    if st.settings.session_mode == SessionMode::Stateless {
        let Some(_permit) = st.sessions.stateless_permit() else {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is at its limit of concurrent requests (MCP_MAX_SESSIONS); retry shortly",
                &[(RETRY_AFTER, "1".into())],
            );
        };
        return next.run(req).await;
    }

    if let Some(id) = session {
        match st.sessions.lookup(&id, &binding).await {
            Lookup::Yours => {}
            Lookup::NotFound => {
                return refuse(
                    StatusCode::NOT_FOUND,
                    "Session not found: it expired, was closed, or belongs to someone else; initialize a new one",
                    &[],
                );
            }
            Lookup::OtherKey => {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "Forbidden: this session was opened with a different Portkey API key; initialize a new session to switch keys",
                    &[],
                );
            }
            Lookup::Unavailable(why) => {
                tracing::warn!("session store: {why}");
                return store_unavailable(&format!("the session store cannot be reached ({why})"));
            }
        }
        if let Some(last) = header(&req, "last-event-id")
            && !st.sessions.event_id_fits(last)
        {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Last-Event-ID is not an event id this server sent; reconnect without it to open a new stream",
                &[],
            );
        }
        let mut resp = next.run(req).await;
        if method == Method::DELETE && resp.status().is_success() {
            st.sessions.forget(&id);
            // rmcp answers 202; some clients (the Python SDK) expect 200 for a session ended.
            *resp.status_mut() = StatusCode::OK;
        }
        return resp;
    }
    if method != Method::POST {
        return next.run(req).await;
    }
    let Some(place) = st.sessions.reserve().await else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "The server has {} open sessions, its limit (MCP_MAX_SESSIONS); close one (DELETE /mcp) or retry later",
                st.settings.max_sessions
            ),
            &[(RETRY_AFTER, "5".into())],
        );
    };
    let resp = next.run(req).await;
    if let Some(id) = resp
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        tracing::info!(principal = %binding.principal, "session opened");
        let id = id.to_string();
        if let Err(why) = place.bind(&id, binding, read_only).await {
            tracing::warn!("session store: {why}");
            st.sessions.abandon(&id).await;
            return store_unavailable(&format!("the new session cannot be recorded ({why})"));
        }
    }
    resp
}

/// Headers on every answer: no sniffing, no framing, no referrer; HSTS when serving TLS.
pub async fn security_headers(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if st.settings.tls.is_some() {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}
