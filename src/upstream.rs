//! The connection layer under [`PortkeyClient`](crate::client::PortkeyClient): hyper's pooled
//! HTTP/1.1 client, TLS by rustls, names resolved by [`GuardedResolver`], and the proxy the
//! environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, as curl reads them).
//!
//! It is hyper's client used directly, not through reqwest: reqwest adds a redirect layer that
//! cannot be switched off and parses every request's URL twice more (once on the way out, once
//! on the way back), a fifth of the CPU a tool call costs. What reqwest did for this client is
//! here: the platform's certificate verifier with Mozilla's roots added, a connect timeout,
//! connection reuse, `Accept` and `User-Agent`, and proxies (a CONNECT tunnel for `https://`
//! targets, the absolute-form request line for `http://` ones).

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ::http::header::{ACCEPT, HeaderValue, PROXY_AUTHORIZATION, USER_AGENT};
use ::http::{Request, Response, Uri};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tower_service::Service;

use crate::netguard::GuardedResolver;

/// A request body: JSON text, or nothing.
pub type Body = Full<Bytes>;

type BoxError = Box<dyn StdError + Send + Sync>;

/// How long a TCP connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP keepalive: idle time before the first probe, and between probes.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// How long an idle pooled connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(60);

/// The pooled client, and the proxy rules it was built with.
#[derive(Clone)]
pub struct Upstream {
    client: Client<HttpsConnector<ProxyConnector>, Body>,
    proxies: Arc<Matcher>,
    /// Whether the environment names any proxy; without one, a request skips the rules.
    any_proxy: bool,
    user_agent: HeaderValue,
}

/// The variables the proxy rules are read from that name a proxy (`NO_PROXY` only exempts).
const PROXY_VARIABLES: [&str; 6] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").finish_non_exhaustive()
    }
}

impl Upstream {
    /// A client whose target names resolve through the private-host rule (`allow_private`
    /// switches the rule off), with the proxies the environment names.
    pub fn new(allow_private: bool) -> Result<Self, String> {
        let any_proxy = PROXY_VARIABLES
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        Self::build(allow_private, Matcher::from_env(), any_proxy)
    }

    /// A client that ignores the proxy variables (the `health` command asks this machine's own
    /// server).
    pub fn direct(allow_private: bool) -> Result<Self, String> {
        Self::build(allow_private, Matcher::builder().build(), false)
    }

    fn build(allow_private: bool, proxies: Matcher, any_proxy: bool) -> Result<Self, String> {
        let proxies = Arc::new(proxies);
        let tls = tls_config()?;
        let connector = ProxyConnector {
            direct: tcp_connector(GuardedResolver::new(allow_private)),
            // The proxy is where the user sends everything on purpose, most often an address
            // on their own network: the private-host rule guards targets, not the proxy. An
            // `https://` proxy is reached over TLS (verified as any server is).
            to_proxy: with_tls(tls.clone(), tcp_connector(GuardedResolver::new(true))),
            proxies: proxies.clone(),
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .pool_timer(TokioTimer::new())
            .build(with_tls(tls, connector));
        Ok(Upstream {
            client,
            proxies,
            any_proxy,
            user_agent: HeaderValue::from_static(concat!(
                "portkey-admin-mcp/",
                env!("CARGO_PKG_VERSION")
            )),
        })
    }

    /// Sends `req`, adding `Accept: application/json`, the user agent, and a plain-HTTP
    /// proxy's credentials; the answer's body is still to be read.
    pub async fn send(
        &self,
        mut req: Request<Body>,
    ) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
        let headers = req.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, self.user_agent.clone());
        if self.any_proxy
            && req.uri().scheme_str() == Some("http")
            && let Some(auth) = self
                .proxies
                .intercept(req.uri())
                .as_ref()
                .and_then(Intercept::basic_auth)
        {
            // A CONNECT tunnel carries its own credentials; a forwarded request carries them.
            let mut auth = auth.clone();
            auth.set_sensitive(true);
            req.headers_mut().insert(PROXY_AUTHORIZATION, auth);
        }
        self.client.request(req).await
    }

    /// A GET of `url` without the API key; the answer's body is still to be read. The error
    /// says what went wrong in words.
    pub async fn get(&self, url: &str) -> Result<Response<Incoming>, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("{url} is not a valid URL ({e})"))?;
        let mut req = Request::new(Body::default());
        *req.uri_mut() = uri;
        self.send(req).await.map_err(|e| describe(&e))
    }

    /// A [`get`](Self::get) of `url` and its body, refused past `limit` bytes, all within
    /// `timeout`: the status and the body.
    pub async fn fetch(
        &self,
        url: &str,
        limit: usize,
        timeout: Duration,
    ) -> Result<(::http::StatusCode, Vec<u8>), String> {
        let read = async {
            let resp = self.get(url).await?;
            let status = resp.status();
            match read_body(resp.into_body(), limit).await {
                Ok(bytes) => Ok((status, bytes)),
                Err(BodyError::TooLarge) => Err(format!("the answer is larger than {limit} bytes")),
                Err(BodyError::Broken(why)) => Err(why),
            }
        };
        match tokio::time::timeout(timeout, read).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
        }
    }
}

/// Why an answer's body could not be read whole.
#[derive(Debug)]
pub enum BodyError {
    /// It is longer than the limit given.
    TooLarge,
    /// The connection failed part way, as words.
    Broken(String),
}

/// An answer's body, at most `limit` bytes of it (trailers are skipped).
pub async fn read_body(mut body: Incoming, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut bytes = Vec::new();
    while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
        let frame = frame.map_err(|e| {
            BodyError::Broken(format!(
                "the answer broke off while reading its body ({})",
                innermost(&e)
            ))
        })?;
        if let Ok(chunk) = frame.into_data() {
            if bytes.len() + chunk.len() > limit {
                return Err(BodyError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok(bytes)
}

/// What went wrong sending a request, for an error message: the kind, then the innermost
/// cause (the resolver's refusal, the TLS verdict, the socket error).
pub fn describe(e: &hyper_util::client::legacy::Error) -> String {
    let kind = if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    format!("{kind}: {}", innermost(e))
}

/// The innermost cause of `e` as text, or `e`'s own text when it has no cause.
fn innermost(e: &(dyn StdError + 'static)) -> String {
    let mut inner = e;
    while let Some(cause) = inner.source() {
        inner = cause;
    }
    inner.to_string()
}

/// `connector` with TLS over it for `https://` URIs (HTTP/1.1); `http://` ones pass plain.
fn with_tls<C>(tls: rustls::ClientConfig, connector: C) -> HttpsConnector<C> {
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector)
}

fn tcp_connector(resolver: GuardedResolver) -> HttpConnector<GuardedResolver> {
    let mut http = HttpConnector::new_with_resolver(resolver);
    // TLS takes `https://` targets: the connector below it must let them through.
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    http.set_nodelay(true);
    // A pooled connection a middlebox dropped silently is found out within a minute or so.
    http.set_keepalive(Some(KEEPALIVE));
    http.set_keepalive_interval(Some(KEEPALIVE));
    http.set_keepalive_retries(Some(3));
    http
}

/// TLS for the client: rustls with ring; the platform's verifier, to which Mozilla's roots are
/// added where that verifier reads a certificate store from files (Linux and the other
/// Unixes), so a corporate CA in `SSL_CERT_FILE` or the system bundle is trusted and the static
/// binary also works in an empty root. macOS and Windows use the operating system's verifier
/// alone.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    #[cfg(not(any(target_vendor = "apple", windows, target_os = "android")))]
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(bundled_roots(), provider.clone());
    #[cfg(any(target_vendor = "apple", windows, target_os = "android"))]
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone());
    let verifier = verifier.map_err(|e| format!("could not set up TLS verification: {e}"))?;
    // No ALPN here: the connector's builder sets it from the protocols it enables.
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("could not set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Mozilla's root certificates, compiled in.
#[cfg(not(any(target_vendor = "apple", windows, target_os = "android")))]
pub(crate) fn bundled_roots() -> Vec<rustls::pki_types::CertificateDer<'static>> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec()
}

/// Opens the TCP connection for a target: straight to it, through a CONNECT tunnel for an
/// `https://` target the proxy rules intercept, or to the proxy itself for an intercepted
/// `http://` target (the request line then names the whole URL).
#[derive(Clone)]
struct ProxyConnector {
    direct: HttpConnector<GuardedResolver>,
    to_proxy: HttpsConnector<HttpConnector<GuardedResolver>>,
    proxies: Arc<Matcher>,
}

/// A connection to the target or to a proxy: plain TCP, or TLS to an `https://` proxy.
type Stream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

impl Service<Uri> for ProxyConnector {
    type Response = ProxiedIo;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxiedIo, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let Some(intercept) = self.proxies.intercept(&dst) else {
            let connecting = self.direct.call(dst);
            return Box::pin(async move {
                let io = connecting.await.map_err(BoxError::from)?;
                Ok(ProxiedIo {
                    io: MaybeHttpsStream::Http(io),
                    forwarded: false,
                })
            });
        };
        let proxy = intercept.uri().clone();
        if !matches!(proxy.scheme_str(), Some("http" | "https")) {
            let scheme = proxy.scheme_str().unwrap_or("(none)").to_string();
            return Box::pin(async move {
                Err(BoxError::from(format!(
                    "the proxy set in the environment uses the {scheme} scheme; only http:// and https:// proxies are supported (set NO_PROXY to reach Portkey directly)"
                )))
            });
        }
        if dst.scheme_str() == Some("https") {
            let mut tunnel = Tunnel::new(proxy, self.to_proxy.clone());
            if let Some(auth) = intercept.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            let connecting = tunnel.call(dst);
            Box::pin(async move {
                let io = connecting.await.map_err(BoxError::from)?;
                Ok(ProxiedIo {
                    io,
                    forwarded: false,
                })
            })
        } else {
            let connecting = self.to_proxy.call(proxy);
            Box::pin(async move {
                let io = connecting.await?;
                Ok(ProxiedIo {
                    io,
                    forwarded: true,
                })
            })
        }
    }
}

/// A connection, marked when requests on it go to a proxy that forwards them (hyper then writes
/// the request line in absolute form).
struct ProxiedIo {
    io: Stream,
    forwarded: bool,
}

impl Connection for ProxiedIo {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forwarded)
    }
}

impl hyper::rt::Read for ProxiedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for ProxiedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
