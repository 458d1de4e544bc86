//! Streamable HTTP: one deployment serving a team. An axum app with `/mcp` (rmcp's
//! `StreamableHttpService` behind the checks in `gate.rs`), `/health`, `/ready`, `/auth/info`,
//! `/` and, in oidc mode, OAuth discovery. Tool calls go through the same `PortkeyServer` and call
//! pipeline as stdio.

pub mod auth;
pub mod config;
pub mod gate;
pub mod handler;
pub mod limits;
pub mod oidc;
pub mod origin;
pub mod pages;
pub mod sessions;
pub mod store;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

pub use config::{HttpSettings, listen_port, transport_is_http};

use crate::client::PortkeyClient;
use crate::config::Config;
use crate::server::PortkeyServer;
use auth::Authenticator;
use config::Backend;
use config::{AuthMode, SessionMode, is_loopback_host};
use handler::{HttpHandler, Inflight};
use limits::Buckets;
use sessions::Sessions;
use store::Redis;
use store::events::{Events, MemoryEvents, RedisEvents};
use store::manager::Manager;
use store::rate::{Limiter, RedisBuckets};
use store::sessions::RedisSessions;

/// The address of the connection's peer, for plain and TLS listeners alike.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, NoDelay>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, NoDelay>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

/// A TCP listener whose connections have TCP_NODELAY set: answers stream as server-sent events
/// in small writes, and without it each event after the first would wait for the client's
/// delayed ACK (about 40 ms).
pub struct NoDelay(pub tokio::net::TcpListener);

impl axum::serve::Listener for NoDelay {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.0).await;
        let _ = stream.set_nodelay(true);
        (stream, addr)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// Everything the routes share.
pub struct Shared {
    pub settings: HttpSettings,
    pub auth: Authenticator,
    pub sessions: Sessions,
    pub ip_limits: Option<Limiter>,
    pub principal_limits: Option<Limiter>,
    /// The Redis the shared stores use, when any does (checked by `/ready`).
    pub redis: Option<Redis>,
    /// The server has no PORTKEY_API_KEY: every caller sends its own.
    pub byok: bool,
    pub client: Arc<PortkeyClient>,
    /// Tools on the full and on the read-only surface.
    pub tools: (usize, Option<usize>),
    pub stopping: AtomicBool,
    pub started: Instant,
    /// Where `/mcp` is reached, as advertised.
    pub endpoint: String,
    /// Host names accepted besides loopback ones when auth is none.
    pub allowed_hosts: Vec<String>,
}

pub type AppState = Arc<Shared>;

impl Shared {
    /// The RFC 9728 metadata URL, in oidc mode.
    pub fn resource_metadata_url(&self) -> Option<String> {
        self.auth.oidc()?;
        let base = self.endpoint.strip_suffix("/mcp").unwrap_or(&self.endpoint);
        Some(format!("{base}/.well-known/oauth-protected-resource"))
    }
}

/// The two builds of the server: every selected tool, and the read-only surface. The second is
/// built only when `read_only_callers` says some caller may get it (read-only tokens, oidc), and
/// is otherwise the first (which is then read-only itself, or serves nobody read-only). With
/// PORTKEY_HIDE_UNAVAILABLE and a server key, tools that key cannot use are left out of both.
pub async fn build_servers(
    config: &Config,
    read_only_callers: bool,
) -> Result<(PortkeyServer, PortkeyServer, Arc<PortkeyClient>), String> {
    let client = Arc::new(PortkeyClient::new(config)?);
    let unavailable = if config.hide_unavailable && client.has_key() {
        crate::unavailable_tools(config).await?
    } else {
        Default::default()
    };
    let registry = |c: &Config| {
        let mut sel = crate::selection(c);
        sel.unavailable = unavailable.clone();
        crate::registry::Registry::build(crate::domains::DOMAINS, &sel)
    };
    let full_registry = Arc::new(registry(config)?);
    let mut full = PortkeyServer::new(full_registry, client.clone(), config)?;
    if !client.has_key() {
        full = full.expecting_caller_keys();
    }
    if config.read_only || !read_only_callers {
        return Ok((full.clone(), full, client));
    }
    let mut ro_config = config.clone();
    ro_config.read_only = true;
    let ro_registry = Arc::new(registry(&ro_config)?);
    let mut read_only = PortkeyServer::new(ro_registry, client.clone(), &ro_config)?;
    if !client.has_key() {
        read_only = read_only.expecting_caller_keys();
    }
    Ok((full, read_only, client))
}

async fn bind(settings: &HttpSettings) -> Result<tokio::net::TcpListener, String> {
    let host = settings.host.trim_start_matches('[').trim_end_matches(']');
    tokio::net::TcpListener::bind((host, settings.port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}:{} (MCP_HOST, MCP_PORT): {e}",
                settings.host, settings.port
            )
        })
}

/// Resolves when the process is asked to stop (SIGTERM, or ctrl-c).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Serves MCP over Streamable HTTP until SIGTERM or ctrl-c, then drains: new requests get 503,
/// running tool calls get up to MCP_SHUTDOWN_TIMEOUT_MS to finish, then sessions are closed.
pub async fn serve(config: Config, settings: HttpSettings) -> Result<(), String> {
    let read_only_callers =
        !settings.read_only_tokens.is_empty() || settings.auth == AuthMode::Oidc;
    let (full, read_only, client) = build_servers(&config, read_only_callers).await?;
    full.settle();
    read_only.settle();
    let byok = !client.has_key();
    let tools = (
        full.registry().tools().len(),
        read_only_callers.then(|| read_only.registry().tools().len()),
    );
    let auth = Authenticator::new(&settings)?;
    let tls = match &settings.tls {
        Some((cert, key)) => Some(tls::load(cert, key)?),
        None => None,
    };
    // Redis first: when a store needs it and it cannot be reached, nothing is served.
    let redis = if settings.stores.uses_redis() {
        Some(Redis::connect(&settings.stores).await?)
    } else {
        None
    };
    let listener = bind(&settings).await?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    if settings.auth == AuthMode::None && !is_loopback_host(&bound.ip().to_string()) {
        tracing::warn!(
            "serving without authentication on {bound}, which is not a loopback address: anyone who can reach it can use every tool"
        );
    }

    let mut manager = LocalSessionManager::default();
    // MCP_SESSION_TIMEOUT=0 keeps idle sessions open (as the reference does).
    manager.session_config.keep_alive =
        (!settings.session_timeout.is_zero()).then_some(settings.session_timeout);
    let session_ttl = manager.session_config.keep_alive;
    let events = match (&settings.stores.events, &redis) {
        (None, _) => None,
        (Some(e), Some(r)) if e.backend == Backend::Redis => match &e.key {
            Some(key) => Some(Arc::new(Events::Redis(Box::new(RedisEvents::new(
                r.clone(),
                key,
                e,
            ))))),
            None => return Err("MCP_EVENT_STORE=redis needs MCP_EVENT_ENCRYPTION_KEY".into()),
        },
        (Some(e), _) => Some(Arc::new(Events::Memory(MemoryEvents::new(e)))),
    };
    let shared_sessions = match (&redis, settings.stores.sessions) {
        (Some(r), Backend::Redis) => Some(RedisSessions::new(r.clone(), session_ttl)),
        _ => None,
    };
    let manager = Arc::new(Manager::new(Arc::new(manager), events));
    let mcp_cancel = CancellationToken::new();
    let stateful = settings.session_mode == SessionMode::Stateful;
    let mut rmcp_config = StreamableHttpServerConfig::default()
        .with_cancellation_token(mcp_cancel.child_token())
        .with_legacy_session_mode(stateful)
        .with_json_response(!stateful)
        .with_max_request_body_bytes(settings.max_request_bytes)
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        // The Host and Origin checks run in gate.rs, with this server's own rules and answers.
        .disable_allowed_hosts()
        .disable_allowed_origins();
    if let Some(shared) = &shared_sessions {
        rmcp_config.session_store = Some(Arc::new(shared.clone()));
    }
    let inflight = Inflight::default();
    let handler = HttpHandler::new(full, read_only, inflight.clone());
    let service =
        StreamableHttpService::new(move || Ok(handler.clone()), manager.clone(), rmcp_config);

    let endpoint = settings.endpoint(Some(bound));
    let mut allowed_hosts = Vec::new();
    if let Some(h) = settings
        .public_base_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
    {
        allowed_hosts.push(h.trim_start_matches('[').trim_end_matches(']').to_string());
    }
    if !bound.ip().is_unspecified() {
        allowed_hosts.push(bound.ip().to_string());
    }
    let rate_on = settings.rate.enabled;
    let limiter = |kind: &'static str| match (&redis, settings.stores.rate_limits) {
        (Some(r), Backend::Redis) => {
            Limiter::Redis(RedisBuckets::new(r.clone(), kind, &settings.rate))
        }
        _ => Limiter::Memory(Buckets::new(&settings.rate)),
    };
    let state: AppState = Arc::new(Shared {
        ip_limits: rate_on.then(|| limiter("ip")),
        principal_limits: rate_on.then(|| limiter("principal")),
        sessions: Sessions::new(manager, settings.max_sessions, shared_sessions),
        redis,
        auth,
        byok,
        client,
        tools,
        stopping: AtomicBool::new(false),
        started: Instant::now(),
        endpoint: endpoint.clone(),
        allowed_hosts,
        settings,
    });

    let mcp = Router::new()
        .route_service("/mcp", service)
        .route_layer(from_fn_with_state(state.clone(), gate::gate));
    let app = Router::new()
        .route("/", get(pages::index))
        .route("/health", get(pages::health))
        .route("/ready", get(pages::ready))
        .route("/auth/info", get(pages::auth_info))
        .route(
            "/.well-known/oauth-protected-resource",
            get(pages::resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(pages::resource_metadata),
        )
        .merge(mcp)
        .fallback(pages::not_found)
        .layer(from_fn_with_state(state.clone(), gate::security_headers))
        .with_state(state.clone());

    eprintln!(
        "portkey-admin-mcp: listening on {bound}; MCP endpoint {endpoint} (auth: {}, sessions: {}, {} tools{})",
        state.settings.auth.as_str(),
        state.settings.session_mode.as_str(),
        tools.0,
        if byok {
            ", callers send their own Portkey key"
        } else {
            ""
        },
    );

    let stop = CancellationToken::new();
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            stop_signal().await;
            stop.cancel();
        });
    }
    let grace = state.settings.shutdown_timeout;
    {
        let stop = stop.clone();
        let state = state.clone();
        let mcp_cancel = mcp_cancel.clone();
        tokio::spawn(async move {
            stop.cancelled().await;
            state.stopping.store(true, Ordering::SeqCst);
            tracing::info!(
                running = inflight.count(),
                "stopping: waiting for running tool calls"
            );
            if tokio::time::timeout(grace, inflight.idle()).await.is_err() {
                tracing::warn!(
                    running = inflight.count(),
                    "tool calls still running after MCP_SHUTDOWN_TIMEOUT_MS; closing anyway"
                );
            }
            // Let the last answers reach their streams before the sessions close.
            tokio::time::sleep(Duration::from_millis(200)).await;
            mcp_cancel.cancel();
        });
    }
    let make = app.into_make_service_with_connect_info::<Peer>();
    let graceful = stop.clone().cancelled_owned();
    let run = async move {
        match tls {
            Some(config) => {
                let listener = tls::TlsListener::new(listener, config)
                    .map_err(|e| format!("cannot start TLS: {e}"))?;
                axum::serve(listener, make)
                    .with_graceful_shutdown(graceful)
                    .await
            }
            None => {
                axum::serve(NoDelay(listener), make)
                    .with_graceful_shutdown(graceful)
                    .await
            }
        }
        .map_err(|e| format!("the HTTP server stopped: {e}"))
    };
    let deadline = async {
        stop.cancelled().await;
        tokio::time::sleep(grace + Duration::from_secs(3)).await;
    };
    tokio::select! {
        r = run => r,
        _ = deadline => {
            tracing::warn!("connections still open after the shutdown timeout; exiting");
            Ok(())
        }
    }
}
