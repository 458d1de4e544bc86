//! The small endpoints beside `/mcp`: liveness, readiness, what auth to use, OAuth discovery in
//! oidc mode, and a status page. None of them says anything secret.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::config::AuthMode;

const READY_TIMEOUT: Duration = Duration::from_secs(5);

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    resp
}

/// `GET /health`: the process is up.
pub async fn health(State(st): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"status": "ok", "uptime_seconds": st.started.elapsed().as_secs()}),
    )
}

/// `GET /ready`: the server takes requests; with MCP_READY_CHECK_MODE=portkey, Portkey answers.
pub async fn ready(State(st): State<AppState>) -> Response {
    if st.stopping.load(Ordering::SeqCst) {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "stopping"}),
        );
    }
    if let Some(redis) = &st.redis
        && let Err(why) = redis.ping().await
    {
        tracing::warn!("readiness check: {why}");
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "not_ready", "redis": "unreachable"}),
        );
    }
    if !st.settings.ready_check_portkey {
        return json_response(StatusCode::OK, &json!({"status": "ready"}));
    }
    match st.client.reachable(READY_TIMEOUT).await {
        Ok(_) => json_response(
            StatusCode::OK,
            &json!({"status": "ready", "portkey": "reachable"}),
        ),
        Err(why) => {
            tracing::warn!("readiness check: Portkey is not reachable: {why}");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"status": "not_ready", "portkey": "unreachable"}),
            )
        }
    }
}

/// `GET /auth/info`: how to connect (mode, session mode, endpoint).
pub async fn auth_info(State(st): State<AppState>) -> Response {
    let s = &st.settings;
    let mut body = serde_json::Map::new();
    let fields = json!({
        "auth_mode": s.auth.as_str(),
        "session_mode": s.session_mode.as_str(),
        "endpoint": st.endpoint,
        "portkey_key": if st.byok { "send yours in the X-Portkey-Api-Key header" } else { "configured on the server" },
        "read_only_tokens": !s.read_only_tokens.is_empty(),
    });
    if let Value::Object(m) = fields {
        body.extend(m);
    }
    if s.auth == AuthMode::Bearer {
        body.insert(
            "authorization".into(),
            json!("Authorization: Bearer <token>"),
        );
    }
    if let (Some(o), Some(meta)) = (st.auth.oidc(), st.resource_metadata_url()) {
        body.insert("issuer".into(), json!(o.issuer()));
        body.insert("resource_metadata".into(), json!(meta));
    }
    json_response(StatusCode::OK, &Value::Object(body))
}

/// `GET /.well-known/oauth-protected-resource` (RFC 9728), oidc mode only.
pub async fn resource_metadata(State(st): State<AppState>) -> Response {
    let Some(o) = st.auth.oidc() else {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": "not_found", "message": "this server does not use OAuth (MCP_AUTH_MODE is not oidc)"}),
        );
    };
    json_response(
        StatusCode::OK,
        &json!({
            "resource": st.endpoint,
            "authorization_servers": [o.issuer()],
            "bearer_methods_supported": ["header"],
            "resource_name": "Portkey Admin MCP",
        }),
    )
}

/// `GET /`: a short plain-text status page.
pub async fn index(State(st): State<AppState>) -> Response {
    let s = &st.settings;
    let open = st.sessions.open_count().await;
    let text = format!(
        "portkey-admin-mcp {}\n\nMCP endpoint: {} (Streamable HTTP)\nAuthentication: {}\nSessions: {} ({} open, at most {})\nTools: {}{}\nPortkey key: {}\n\nGET /health, GET /ready, GET /auth/info\n",
        env!("CARGO_PKG_VERSION"),
        st.endpoint,
        s.auth.as_str(),
        s.session_mode.as_str(),
        open,
        s.max_sessions,
        st.tools.0,
        st.tools
            .1
            .map(|n| format!(" ({n} for read-only callers)"))
            .unwrap_or_default(),
        if st.byok {
            "each caller sends its own (X-Portkey-Api-Key)"
        } else {
            "configured on the server"
        },
    );
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// Any other path.
pub async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": "not_found", "message": "no such endpoint; MCP is served at /mcp"}),
    )
}
