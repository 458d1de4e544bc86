//! The connect-time half of the private-host rule: a DNS resolver for the HTTP client that drops
//! every loopback or private-network address a name resolves to, so a name such as an /etc/hosts
//! alias for 127.0.0.1 cannot carry the API key to an internal service. Start-up (`config.rs`) only sees
//! the literal host; this sees the addresses the connection would really use, and the connection
//! uses exactly the addresses returned here, so a second lookup cannot swap them.
//!
//! Names are resolved in Rust by hickory (the hosts file first, then the nameservers of
//! resolv.conf, or the system's DNS settings on Windows and macOS), never by glibc's
//! getaddrinfo: a statically linked glibc binary cannot load the NSS modules getaddrinfo needs,
//! and the released Linux binaries are static.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{LookupIpStrategy, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

use crate::config::is_private_ip;

/// The future a lookup function returns: every address the name resolves to.
pub type LookupFuture = Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;

/// A lookup function: hickory in production, a fake in tests.
pub type Lookup = Arc<dyn Fn(String) -> LookupFuture + Send + Sync>;

/// Most refused addresses named in one error message.
const NAMED_ADDRESSES: usize = 4;

/// A name that resolved only to addresses the private-host rule refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateAddressRefused {
    pub host: String,
    pub refused: Vec<SocketAddr>,
}

impl std::fmt::Display for PrivateAddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut named: Vec<String> = Vec::new();
        for addr in &self.refused {
            let ip = addr.ip().to_string();
            if !named.contains(&ip) {
                named.push(ip);
            }
        }
        let more = named.len().saturating_sub(NAMED_ADDRESSES);
        named.truncate(NAMED_ADDRESSES);
        let mut list = named.join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more"));
        }
        write!(
            f,
            "refused to connect to {host}: it resolves to {list}, a loopback or private-network address, so the API key is not sent there. Set PORTKEY_ALLOW_PRIVATE_BASE_URL=true to use a self-hosted gateway on a private network",
            host = self.host
        )
    }
}

impl std::error::Error for PrivateAddressRefused {}

/// Keeps the addresses a connection may use: all of them when private hosts are allowed, else
/// the public ones; an error naming the host and the refused addresses when none is left.
pub fn filter_addrs(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, PrivateAddressRefused> {
    if allow_private {
        return Ok(addrs);
    }
    let (public, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
        addrs.into_iter().partition(|a| !is_private_ip(a.ip()));
    if !refused.is_empty() {
        tracing::debug!(host, refused = refused.len(), "dropped private addresses");
    }
    if public.is_empty() && !refused.is_empty() {
        return Err(PrivateAddressRefused {
            host: host.to_string(),
            refused,
        });
    }
    Ok(public)
}

/// The resolver behind [`hickory_lookup`], built on first use (listing tools resolves nothing).
type SharedResolver = Arc<OnceLock<Result<TokioResolver, String>>>;

/// A hickory resolver with the system's settings and both address families. Without a usable
/// resolv.conf (an empty container root, say) it still answers from the hosts file, and says
/// once on stderr that nothing else will resolve, rather than quietly asking a public resolver.
fn build_resolver() -> Result<TokioResolver, String> {
    let mut builder = match TokioResolver::builder_tokio() {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(
                "no usable DNS configuration ({e}): only names in the hosts file will resolve"
            );
            TokioResolver::builder_with_config(
                ResolverConfig::from_parts(None, Vec::new(), Vec::new()),
                TokioRuntimeProvider::default(),
            )
        }
    };
    builder.options_mut().ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    builder
        .build()
        .map_err(|e| format!("could not set up DNS resolution: {e}"))
}

/// The production lookup: hickory, so the hosts file counts and no libc resolver is involved.
pub fn hickory_lookup() -> Lookup {
    let shared: SharedResolver = Arc::new(OnceLock::new());
    Arc::new(move |host: String| {
        let shared = Arc::clone(&shared);
        Box::pin(async move {
            let resolver = shared
                .get_or_init(build_resolver)
                .as_ref()
                .map_err(|e| std::io::Error::other(e.clone()))?;
            let answer = resolver
                .lookup_ip(host.as_str())
                .await
                .map_err(|e| std::io::Error::other(format!("could not resolve {host}: {e}")))?;
            Ok(answer.iter().map(|ip| SocketAddr::new(ip, 0)).collect())
        }) as LookupFuture
    })
}

/// The resolver the HTTP clients connect through.
#[derive(Clone)]
pub struct GuardedResolver {
    allow_private: bool,
    lookup: Lookup,
}

impl std::fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedResolver")
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

impl GuardedResolver {
    /// Resolves with hickory ([`hickory_lookup`]).
    pub fn new(allow_private: bool) -> Self {
        Self::with_lookup(allow_private, hickory_lookup())
    }

    /// Resolves with `lookup` (tests pass a fake one).
    pub fn with_lookup(allow_private: bool, lookup: Lookup) -> Self {
        GuardedResolver {
            allow_private,
            lookup,
        }
    }

    /// Resolves `host` and filters the answer.
    pub async fn resolve_host(
        &self,
        host: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let addrs = (self.lookup)(host.to_string()).await?;
        Ok(filter_addrs(host, addrs, self.allow_private)?)
    }
}

/// The resolver of the HTTP client's connector ([`crate::upstream`]).
impl tower_service::Service<hyper_util::client::legacy::connect::dns::Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        let me = self.clone();
        Box::pin(async move { Ok(me.resolve_host(name.as_str()).await?.into_iter()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn sa(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse::<IpAddr>().unwrap(), 0)
    }

    fn fake(answer: Vec<SocketAddr>) -> Lookup {
        Arc::new(move |_host: String| {
            let answer = answer.clone();
            Box::pin(async move { Ok(answer) }) as LookupFuture
        })
    }

    fn mixed() -> Vec<SocketAddr> {
        vec![
            sa("127.0.0.1"),
            sa("8.8.8.8"),
            sa("10.0.0.7"),
            sa("::1"),
            sa("2606:4700::1111"),
            sa("64:ff9b::a00:1"),
        ]
    }

    #[tokio::test]
    async fn keeps_only_public_answers() {
        let r = GuardedResolver::with_lookup(false, fake(mixed()));
        let got = r.resolve_host("gw.example.com").await.unwrap();
        assert_eq!(got, vec![sa("8.8.8.8"), sa("2606:4700::1111")]);
    }

    #[tokio::test]
    async fn all_private_is_a_clear_error() {
        let r = GuardedResolver::with_lookup(
            false,
            fake(vec![sa("127.0.0.1"), sa("::1"), sa("169.254.169.254")]),
        );
        let e = r.resolve_host("vm").await.unwrap_err();
        let refused = e.downcast_ref::<PrivateAddressRefused>().unwrap();
        assert_eq!(refused.host, "vm");
        assert_eq!(refused.refused.len(), 3);
        let msg = e.to_string();
        assert!(msg.contains("vm") && msg.contains("127.0.0.1"), "{msg}");
        assert!(msg.contains("PORTKEY_ALLOW_PRIVATE_BASE_URL=true"), "{msg}");
        assert!(e.source().is_none(), "the refusal is the innermost error");
    }

    #[tokio::test]
    async fn allow_switch_keeps_everything() {
        let r = GuardedResolver::with_lookup(true, fake(mixed()));
        assert_eq!(r.resolve_host("vm").await.unwrap(), mixed());
    }

    #[tokio::test]
    async fn lookup_errors_pass_through() {
        let failing: Lookup = Arc::new(|_host: String| {
            Box::pin(async {
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such host",
                ))
            }) as LookupFuture
        });
        let r = GuardedResolver::with_lookup(false, failing);
        let e = r.resolve_host("nope.example").await.unwrap_err();
        assert!(e.to_string().contains("no such host"), "{e}");
    }

    #[tokio::test]
    async fn the_connectors_resolver_filters_too() {
        use hyper_util::client::legacy::connect::dns::Name;
        use std::str::FromStr;
        use tower_service::Service;
        let mut r = GuardedResolver::with_lookup(false, fake(vec![sa("127.0.0.1")]));
        let err = match r.call(Name::from_str("localtest.me").unwrap()).await {
            Ok(_) => panic!("a private-only answer must fail"),
            Err(e) => e,
        };
        assert!(err.to_string().contains("localtest.me"), "{err}");
        let mut r = GuardedResolver::with_lookup(false, fake(mixed()));
        let addrs: Vec<SocketAddr> = r
            .call(Name::from_str("gw.example.com").unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(addrs, vec![sa("8.8.8.8"), sa("2606:4700::1111")]);
    }

    #[test]
    fn message_names_a_few_addresses() {
        let refused = (1..=6u8)
            .map(|i| SocketAddr::from(([10, 0, 0, i], 443)))
            .collect();
        let e = PrivateAddressRefused {
            host: "many.internal.example".into(),
            refused,
        };
        let msg = e.to_string();
        assert!(
            msg.contains("10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4 and 2 more"),
            "{msg}"
        );
    }

    /// The real resolver answers from the hosts file, with no libc resolver involved.
    #[tokio::test]
    async fn hickory_reads_the_hosts_file() {
        let got = (hickory_lookup())("localhost".to_string()).await.unwrap();
        assert!(got.iter().any(|a| a.ip().is_loopback()), "{got:?}");
        let r = GuardedResolver::new(false);
        let e = r.resolve_host("localhost").await.unwrap_err();
        assert!(
            e.to_string().contains("refused to connect to localhost"),
            "{e}"
        );
    }

    #[test]
    fn empty_answer_is_not_a_refusal() {
        assert_eq!(filter_addrs("x", Vec::new(), false), Ok(Vec::new()));
    }
}
