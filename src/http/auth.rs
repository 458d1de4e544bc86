//! Who is calling: the bearer-token check (digests compared in constant time) and, in oidc mode,
//! the JWT check in `oidc.rs`. The result is a [`Principal`] that every later step (rate limits,
//! sessions, the choice of tool surface) keys on.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

use super::config::{AuthMode, HttpSettings, TokenDigest};
use super::oidc::Oidc;

/// The caller a request was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// A stable name safe to log and to bind sessions to: `anonymous`, `token:<12 hex of the
    /// token's digest>` or `oidc:<subject>`.
    pub id: String,
    /// This caller gets the read-only tool surface.
    pub read_only: bool,
}

impl Principal {
    pub fn anonymous() -> Principal {
        Principal {
            id: "anonymous".into(),
            read_only: false,
        }
    }
}

/// Why a request was not let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No credentials: 401.
    Missing,
    /// Credentials that do not check out: 401 with `error="invalid_token"`.
    Invalid(String),
    /// A valid caller that policy turns away: 403.
    Forbidden(String),
}

/// The configured way of checking callers.
pub struct Authenticator {
    mode: AuthMode,
    tokens: Vec<(TokenDigest, bool)>,
    oidc: Option<Oidc>,
}

impl Authenticator {
    pub fn new(settings: &HttpSettings) -> Result<Authenticator, String> {
        let mut tokens: Vec<(TokenDigest, bool)> =
            settings.tokens.iter().map(|d| (d.clone(), false)).collect();
        tokens.extend(settings.read_only_tokens.iter().map(|d| (d.clone(), true)));
        let oidc = match &settings.oidc {
            Some(o) if settings.auth == AuthMode::Oidc => Some(Oidc::new(o.clone())?),
            _ => None,
        };
        Ok(Authenticator {
            mode: settings.auth,
            tokens,
            oidc,
        })
    }

    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    pub fn oidc(&self) -> Option<&Oidc> {
        self.oidc.as_ref()
    }

    /// Checks a request's credentials.
    pub async fn check(&self, headers: &HeaderMap) -> Result<Principal, Denied> {
        match self.mode {
            AuthMode::None => Ok(Principal::anonymous()),
            AuthMode::Bearer => {
                let token = bearer(headers)?;
                self.check_token(token)
            }
            AuthMode::Oidc => {
                let token = bearer(headers)?;
                match &self.oidc {
                    Some(o) => o.check(token).await,
                    None => Err(Denied::Invalid("token checking is not configured".into())),
                }
            }
        }
    }

    /// Compares the token's digest with every configured digest, each in constant time and
    /// without stopping at a match, so timing tells nothing about which token or how much of it.
    fn check_token(&self, token: &str) -> Result<Principal, Denied> {
        let presented = TokenDigest::of(token);
        let mut found: Option<&(TokenDigest, bool)> = None;
        for entry in &self.tokens {
            if bool::from(entry.0.0.ct_eq(&presented.0)) && found.is_none() {
                found = Some(entry);
            }
        }
        let Some((digest, read_only)) = found else {
            return Err(Denied::Invalid("the bearer token is not valid".into()));
        };
        Ok(Principal {
            id: format!("token:{}", short_hex(&digest.0)),
            read_only: *read_only,
        })
    }
}

/// The first 6 bytes of a digest in hex: enough to tell principals apart in logs, useless for
/// guessing the token.
pub fn short_hex(bytes: &[u8]) -> String {
    bytes.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
pub fn bearer(headers: &HeaderMap) -> Result<&str, Denied> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(Denied::Missing);
    };
    let text = value
        .to_str()
        .map_err(|_| Denied::Invalid("the Authorization header is not readable text".into()))?;
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Denied::Invalid(
            "the Authorization header must use the Bearer scheme".into(),
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Denied::Missing);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn auth(tokens: &[&str], ro: &[&str]) -> Authenticator {
        Authenticator {
            mode: AuthMode::Bearer,
            tokens: tokens
                .iter()
                .map(|t| (TokenDigest::of(t), false))
                .chain(ro.iter().map(|t| (TokenDigest::of(t), true)))
                .collect(),
            oidc: None,
        }
    }

    fn with_auth(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[tokio::test]
    async fn tokens_are_checked_and_named_by_digest() {
        let a = auth(&["writer-token-0123456789"], &["reader-token-0123456789"]);
        let w = a
            .check(&with_auth("Bearer writer-token-0123456789"))
            .await
            .unwrap();
        assert!(!w.read_only);
        assert!(w.id.starts_with("token:") && w.id.len() == 18, "{}", w.id);
        assert!(!w.id.contains("writer"));
        let r = a
            .check(&with_auth("bearer  reader-token-0123456789 "))
            .await
            .unwrap();
        assert!(r.read_only);
        assert_ne!(r.id, w.id);
        assert_eq!(a.check(&HeaderMap::new()).await, Err(Denied::Missing));
        assert!(matches!(
            a.check(&with_auth("Bearer nope")).await,
            Err(Denied::Invalid(_))
        ));
        assert!(matches!(
            a.check(&with_auth("Basic d3JpdGVyOng=")).await,
            Err(Denied::Invalid(_))
        ));
        assert_eq!(a.check(&with_auth("Bearer ")).await, Err(Denied::Missing));
    }
}
