//! Browser-facing checks: the `Origin` header against ALLOWED_ORIGINS, and, when nobody is
//! authenticated, the `Host` header against the names this server answers to (a DNS-rebinding
//! page cannot then reach a server on localhost).

use super::config::{Origins, is_loopback_host, parse_origin};

/// Whether a request with this `Origin` may proceed (no header: not a browser, it may).
pub fn origin_allowed(origin: Option<&str>, allowed: &Origins) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let rules = match allowed {
        Origins::Any => return true,
        Origins::List(rules) => rules,
    };
    let Some(o) = parse_origin(origin, false) else {
        return false;
    };
    rules
        .iter()
        .any(|r| r.scheme == o.scheme && r.host == o.host && (r.port.is_none() || r.port == o.port))
}

/// The host part of a `Host` header value (port dropped, brackets kept off).
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// Whether `Host` names this machine or one of `extra` (the public base URL's host, the bound
/// address).
pub fn host_allowed(host: Option<&str>, extra: &[String]) -> bool {
    let Some(host) = host else {
        return false;
    };
    let name = host_name(host).to_ascii_lowercase();
    is_loopback_host(&name) || extra.iter().any(|e| e.eq_ignore_ascii_case(&name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::config::{loopback_origins, parse_origin};

    #[test]
    fn default_origins_are_this_machine() {
        let d = Origins::List(loopback_origins());
        for ok in [
            None,
            Some("http://localhost:5173"),
            Some("http://127.0.0.1"),
            Some("https://[::1]:8443"),
        ] {
            assert!(origin_allowed(ok, &d), "{ok:?}");
        }
        for bad in [
            Some("https://evil.example"),
            Some("null"),
            Some("http://localhost.evil.example"),
            Some("http://127.0.0.1.evil.example:80"),
            Some("file://"),
        ] {
            assert!(!origin_allowed(bad, &d), "{bad:?}");
        }
        assert!(origin_allowed(Some("https://evil.example"), &Origins::Any));
    }

    #[test]
    fn listed_origins_match_scheme_host_and_port() {
        let l = Origins::List(vec![parse_origin("https://app.example.com", true).unwrap()]);
        assert!(origin_allowed(Some("https://app.example.com"), &l));
        assert!(origin_allowed(Some("https://app.example.com:443"), &l));
        assert!(!origin_allowed(Some("http://app.example.com"), &l));
        assert!(!origin_allowed(Some("https://app.example.com:8443"), &l));
        assert!(!origin_allowed(Some("http://localhost:3000"), &l));
    }

    #[test]
    fn hosts() {
        let extra = vec!["mcp.example.com".to_string()];
        for ok in [
            "localhost:3000",
            "127.0.0.1",
            "[::1]:3000",
            "MCP.example.com:443",
        ] {
            assert!(host_allowed(Some(ok), &extra), "{ok}");
        }
        for bad in ["evil.example", "evil.example:3000", "10.0.0.5:3000"] {
            assert!(!host_allowed(Some(bad), &extra), "{bad}");
        }
        assert!(!host_allowed(None, &extra));
    }
}
