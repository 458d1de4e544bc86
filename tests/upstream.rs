//! The connection to Portkey end to end: an `https://` base URL verified against the trust store
//! (`SSL_CERT_FILE`), a certificate nobody vouches for refused with nothing sent, and the proxy
//! variables (`HTTPS_PROXY` through a CONNECT tunnel, to a plain or a TLS proxy, `HTTP_PROXY`
//! with the request forwarded, `NO_PROXY` going around). Every server here is a loopback
//! stand-in started by the test; the certificates come from `openssl` (CI installs it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use base64::Engine;
use common::{Mcp, StandIn, TEST_KEY, env_for, read_head, tempdir, with, with_all};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

fn openssl(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is needed for the TLS tests (Debian package openssl)");
    assert!(status.success(), "openssl {args:?} failed");
}

/// A CA (`ca.pem`) and a certificate it signed for 127.0.0.1 and localhost (`srv.pem`,
/// `srv.key`), in a fresh directory.
fn certificates() -> PathBuf {
    let dir = tempdir("upstream-tls");
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=upstream test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        &dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "srv.key",
            "-out",
            "srv.csr",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n",
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "srv.pem",
        ],
    );
    dir
}

/// Terminates TLS with `srv.pem` and relays each connection to the plain stand-in; returns the
/// TLS address.
async fn tls_front(certs: &Path, api: &StandIn) -> SocketAddr {
    tls_before(certs, api.addr).await
}

/// Terminates TLS with `srv.pem` and relays each connection to `backend` in plain TCP.
async fn tls_before(certs: &Path, backend: SocketAddr) -> SocketAddr {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certs.join("srv.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(certs.join("srv.key")).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

/// A request line a proxy received, and its Proxy-Authorization.
type Seen = (String, Option<String>);

/// A CONNECT proxy: records each CONNECT's request line and Proxy-Authorization, then tunnels
/// to the address asked for.
#[derive(Clone, Default)]
struct ConnectProxy {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ConnectProxy {
    async fn start(&self) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = self.seen.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut reader = BufReader::new(sock);
                    let Some((line, headers)) = read_head(&mut reader).await else {
                        return;
                    };
                    let auth = headers.get("proxy-authorization").cloned();
                    seen.lock().unwrap().push((line.clone(), auth));
                    let mut parts = line.split(' ');
                    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
                        let _ = reader
                            .get_mut()
                            .write_all(
                                b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n",
                            )
                            .await;
                        return;
                    };
                    let Ok(mut upstream) = TcpStream::connect(target).await else {
                        let _ = reader
                            .get_mut()
                            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                            .await;
                        return;
                    };
                    let mut sock = reader.into_inner();
                    if sock
                        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut sock, &mut upstream).await;
                });
            }
        });
        addr
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// The environment pointing the server at the TLS front, trusting `trust` (a PEM file).
fn tls_env(api: &StandIn, front: SocketAddr, trust: &Path) -> Vec<(String, String)> {
    with_all(
        env_for(api),
        &[
            ("PORTKEY_BASE_URL", &format!("https://{front}/v1")),
            ("PORTKEY_PUBLIC_BASE_URL", &format!("https://{front}")),
            ("SSL_CERT_FILE", trust.to_str().unwrap()),
        ],
    )
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test]
async fn https_base_url_is_verified_against_the_trust_store() {
    let certs = certificates();
    let api = StandIn::start().await;
    let front = tls_front(&certs, &api).await;
    let mcp = Mcp::start(&tls_env(&api, front, &certs.join("ca.pem"))).await;
    let env = mcp.call("get_config", json!({"slug": "pc-1"})).await;
    assert_eq!(env["ok"], json!(true), "{env}");
    let sent = api.only();
    assert_eq!(sent.method, "GET");
    assert_eq!(sent.path, "/v1/configs/pc-1");
    assert_eq!(sent.header("x-portkey-api-key"), Some(TEST_KEY));
    assert_eq!(sent.header("accept"), Some("application/json"));
    assert!(
        sent.header("user-agent")
            .is_some_and(|ua| ua.starts_with("portkey-admin-mcp/")),
        "{sent:?}"
    );
    // A second call, on the pooled connection, arrives too.
    let again = mcp.call("get_config", json!({"slug": "pc-2"})).await;
    assert_eq!(again["ok"], json!(true), "{again}");
    assert_eq!(api.requests().len(), 2);
}

#[tokio::test]
async fn a_certificate_nobody_vouches_for_is_refused_and_nothing_is_sent() {
    let certs = certificates();
    let api = StandIn::start().await;
    let front = tls_front(&certs, &api).await;
    // The store trusts an unrelated certificate (the server's own leaf is not a CA).
    let mcp = Mcp::start(&tls_env(&api, front, &certs.join("srv.pem"))).await;
    let env = mcp.call("get_config", json!({"slug": "pc-1"})).await;
    assert_eq!(env["ok"], json!(false), "{env}");
    let msg = env["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("certificate"),
        "the TLS verdict is named: {msg}"
    );
    assert!(
        msg.contains(&format!("GET https://{front}/v1/configs/pc-1")),
        "{msg}"
    );
    assert!(api.requests().is_empty(), "sent {:?}", api.requests());
    assert!(!env.to_string().contains(TEST_KEY), "{env}");
    assert!(!mcp.stderr().contains(TEST_KEY));
}

/// A call to an `https://` base through the CONNECT proxy `HTTPS_PROXY` names, with
/// credentials; the proxy itself reached over TLS when `proxy_over_tls`. Checks what the proxy
/// and the API received.
async fn call_through_a_connect_proxy(proxy_over_tls: bool) {
    let certs = certificates();
    let api = StandIn::start().await;
    let front = tls_front(&certs, &api).await;
    let proxy = ConnectProxy::default();
    let mut proxy_addr = proxy.start().await;
    if proxy_over_tls {
        proxy_addr = tls_before(&certs, proxy_addr).await;
    }
    let scheme = if proxy_over_tls { "https" } else { "http" };
    let env = with(
        tls_env(&api, front, &certs.join("ca.pem")),
        "HTTPS_PROXY",
        &format!("{scheme}://ops:s3cret@{proxy_addr}"),
    );
    let mcp = Mcp::start(&env).await;
    let env = mcp.call("get_config", json!({"slug": "pc-1"})).await;
    assert_eq!(env["ok"], json!(true), "{env}");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, format!("CONNECT {front} HTTP/1.1"));
    assert_eq!(seen[0].1.as_deref(), Some(basic("ops", "s3cret").as_str()));
    // Inside the tunnel the request is the ordinary one, with the key; the proxy never saw it.
    let sent = api.only();
    assert_eq!(sent.path, "/v1/configs/pc-1");
    assert_eq!(sent.header("x-portkey-api-key"), Some(TEST_KEY));
    assert!(sent.header("proxy-authorization").is_none(), "{sent:?}");
}

#[tokio::test]
async fn https_goes_through_the_connect_proxy_the_environment_names() {
    call_through_a_connect_proxy(false).await;
}

#[tokio::test]
async fn an_https_proxy_is_reached_over_tls_and_tunnels_the_request() {
    // The CONNECT arrives through the proxy's own TLS: a plain connection would fail there.
    call_through_a_connect_proxy(true).await;
}

#[tokio::test]
async fn plain_http_is_forwarded_by_the_proxy_and_no_proxy_goes_around_it() {
    // The "proxy" is a recording stand-in: a forwarded request names the whole URL.
    let proxy = StandIn::start().await;
    let api = StandIn::start().await;
    let env = with(
        env_for(&api),
        "HTTP_PROXY",
        &format!("http://ops:s3cret@{}", proxy.addr),
    );
    let mcp = Mcp::start(&env).await;
    let out = mcp.call("get_config", json!({"slug": "pc-1"})).await;
    assert_eq!(out["ok"], json!(true), "{out}");
    assert!(api.requests().is_empty(), "went around the proxy");
    let sent = proxy.only();
    assert_eq!(sent.path, format!("http://{}/v1/configs/pc-1", api.addr));
    assert_eq!(
        sent.header("proxy-authorization"),
        Some(basic("ops", "s3cret").as_str())
    );
    assert_eq!(sent.header("x-portkey-api-key"), Some(TEST_KEY));
    drop(mcp);

    // NO_PROXY names the host: straight to it.
    proxy.clear();
    let mcp = Mcp::start(&with(env, "NO_PROXY", "127.0.0.1")).await;
    let out = mcp.call("get_config", json!({"slug": "pc-1"})).await;
    assert_eq!(out["ok"], json!(true), "{out}");
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    assert_eq!(api.only().path, "/v1/configs/pc-1");
}

#[tokio::test]
async fn a_socks_proxy_is_a_clear_error() {
    let api = StandIn::start().await;
    let env = with(env_for(&api), "HTTP_PROXY", "socks5://127.0.0.1:9");
    let mcp = Mcp::start(&env).await;
    let out = mcp.call("get_config", json!({"slug": "pc-1"})).await;
    assert_eq!(out["ok"], json!(false), "{out}");
    let msg = out["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("socks5"), "{msg}");
    assert!(msg.contains("NO_PROXY"), "{msg}");
    assert!(api.requests().is_empty());
}
