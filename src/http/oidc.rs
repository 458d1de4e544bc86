//! `MCP_AUTH_MODE=oidc` (and its alias `clerk`): bearer tokens are JWTs signed by the configured
//! issuer. Keys come from the issuer's JWKS, fetched on first use and again when a token names a
//! key id not seen yet (at most once every MCP_OIDC_JWKS_REFRESH_GAP_MS, default 30 s), so a key rotation needs no restart.
//! Only asymmetric algorithms are accepted; `iss`, `exp` and `sub` are required, `aud` is checked
//! when an audience is configured, and a small clock leeway is allowed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use super::auth::{Denied, Principal};
use super::config::OidcSettings;

/// A JWKS older than this is fetched again before use.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// Longest a JWKS fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS document read.
const MAX_JWKS_BYTES: usize = 512 * 1024;

const ACCEPTED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, Arc<(DecodingKey, Option<String>)>>,
    /// A key without a `kid`, used for tokens without one when it is the only key.
    lone: Option<Arc<(DecodingKey, Option<String>)>>,
    fetched: Option<Instant>,
}

pub struct Oidc {
    settings: OidcSettings,
    http: crate::upstream::Upstream,
    cache: RwLock<KeyCache>,
    fetching: Mutex<()>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.settings.issuer)
            .finish()
    }
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> Result<Oidc, String> {
        // The Portkey client's TLS, resolver and proxy settings; the identity provider may sit
        // on a private network.
        let http = crate::upstream::Upstream::new(true)
            .map_err(|e| format!("could not build the HTTP client for the JWKS: {e}"))?;
        Ok(Oidc {
            settings,
            http,
            cache: RwLock::new(KeyCache::default()),
            fetching: Mutex::new(()),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.settings.issuer
    }

    /// Checks a JWT and the policy on its claims.
    pub async fn check(&self, token: &str) -> Result<Principal, Denied> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Denied::Invalid("the bearer token is not a JWT".into()))?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(Denied::Invalid(format!(
                "tokens signed with {:?} are not accepted",
                header.alg
            )));
        }
        let key = self.key_for(header.kid.as_deref()).await?;
        if let Some(alg) = &key.1
            && alg != &format!("{:?}", header.alg)
        {
            return Err(Denied::Invalid(
                "the token's algorithm does not match its key".into(),
            ));
        }
        let mut validation = Validation::new(header.alg);
        let issuer = self.settings.issuer.as_str();
        validation.set_issuer(&[issuer.to_string(), format!("{issuer}/")]);
        if self.settings.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.settings.audience);
        }
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = self.settings.leeway_secs;
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<Value>(token, &key.0, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            let why = match e.kind() {
                K::ExpiredSignature => "the token has expired",
                K::ImmatureSignature => "the token is not valid yet",
                K::InvalidIssuer => "the token was issued by another issuer",
                K::InvalidAudience => "the token is meant for another audience",
                K::InvalidSignature => "the token's signature does not verify",
                K::MissingRequiredClaim(_) => "the token lacks a required claim (exp, iss, sub)",
                _ => "the token could not be verified",
            };
            Denied::Invalid(why.into())
        })?;
        self.principal(&data.claims)
    }

    /// Applies the allow lists and picks the tool surface from the claims.
    fn principal(&self, claims: &Value) -> Result<Principal, Denied> {
        let s = &self.settings;
        let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
        if sub.is_empty() {
            return Err(Denied::Invalid("the token has no subject".into()));
        }
        let org = claims
            .get("org_id")
            .and_then(Value::as_str)
            .or_else(|| claims.pointer("/o/id").and_then(Value::as_str));
        let roles = strings(claims, &["roles", "role", "org_role", "/o/rol"]);
        let permissions = strings(
            claims,
            &["permissions", "org_permissions", "/o/per", "scope"],
        );
        if !s.allowed_subjects.is_empty() && !s.allowed_subjects.iter().any(|a| a == sub) {
            return Err(Denied::Forbidden(
                "this user is not allowed on this server".into(),
            ));
        }
        if !s.allowed_orgs.is_empty() && !org.is_some_and(|o| s.allowed_orgs.iter().any(|a| a == o))
        {
            return Err(Denied::Forbidden(
                "this user's organisation is not allowed on this server".into(),
            ));
        }
        if !s.allowed_roles.is_empty() && !roles.iter().any(|r| s.allowed_roles.contains(r)) {
            return Err(Denied::Forbidden(
                "this user has none of the roles this server requires".into(),
            ));
        }
        if !s
            .required_permissions
            .iter()
            .all(|p| permissions.contains(p))
        {
            return Err(Denied::Forbidden(
                "this user lacks a permission this server requires".into(),
            ));
        }
        let writes = roles
            .iter()
            .chain(&permissions)
            .any(|r| s.write_roles.contains(r));
        Ok(Principal {
            id: format!("oidc:{}", clean(sub)),
            read_only: !writes,
        })
    }

    /// The key a token names, fetching the JWKS when it is unknown, stale or not loaded yet.
    async fn key_for(
        &self,
        kid: Option<&str>,
    ) -> Result<Arc<(DecodingKey, Option<String>)>, Denied> {
        if let Some(k) = self.cached(kid).await {
            return Ok(k);
        }
        {
            let _one_at_a_time = self.fetching.lock().await;
            // Another request may have fetched while this one waited.
            if let Some(k) = self.cached(kid).await {
                return Ok(k);
            }
            let recent =
                self.cache.read().await.fetched.is_some_and(|t| {
                    t.elapsed() < Duration::from_millis(self.settings.refresh_gap_ms)
                });
            if !recent {
                self.refresh().await?;
            }
        }
        self.cached(kid).await.ok_or_else(|| {
            Denied::Invalid("the token is signed with a key the issuer does not publish".into())
        })
    }

    async fn cached(&self, kid: Option<&str>) -> Option<Arc<(DecodingKey, Option<String>)>> {
        let cache = self.cache.read().await;
        if cache.fetched.is_none_or(|t| t.elapsed() > MAX_AGE) {
            return None;
        }
        match kid {
            Some(kid) => cache.keys.get(kid).cloned(),
            None => cache.lone.clone(),
        }
    }

    async fn refresh(&self) -> Result<(), Denied> {
        let unavailable = |why: String| {
            tracing::warn!(
                "could not load the JWKS from {}: {why}",
                self.settings.jwks_url
            );
            Denied::Invalid("the issuer's signing keys could not be loaded".into())
        };
        let (status, body) = self
            .http
            .fetch(&self.settings.jwks_url, MAX_JWKS_BYTES, FETCH_TIMEOUT)
            .await
            .map_err(unavailable)?;
        if !status.is_success() {
            return Err(unavailable(format!("HTTP {status}")));
        }
        let set: JwkSet =
            serde_json::from_slice(&body).map_err(|e| unavailable(format!("not a JWKS ({e})")))?;
        let mut fresh = KeyCache {
            fetched: Some(Instant::now()),
            ..KeyCache::default()
        };
        let mut unnamed = Vec::new();
        for jwk in &set.keys {
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            let alg = jwk.common.key_algorithm.map(|a| format!("{a:?}"));
            let entry = Arc::new((key, alg));
            match &jwk.common.key_id {
                Some(kid) => {
                    fresh.keys.insert(kid.clone(), entry);
                }
                None => unnamed.push(entry),
            }
        }
        if unnamed.len() == 1 && fresh.keys.is_empty() {
            fresh.lone = unnamed.pop();
        }
        *self.cache.write().await = fresh;
        Ok(())
    }
}

/// The string values of the claims at `paths` (a name or a JSON pointer): arrays of strings,
/// and strings split on spaces and commas.
fn strings(claims: &Value, paths: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for path in paths {
        let v = if path.starts_with('/') {
            claims.pointer(path)
        } else {
            claims.get(*path)
        };
        match v {
            Some(Value::String(s)) => out.extend(
                s.split([' ', ','])
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            ),
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
            }
            _ => {}
        }
    }
    out
}

/// A subject as it may appear in a log line: printable, at most 100 characters.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn oidc(f: impl FnOnce(&mut OidcSettings)) -> Oidc {
        let mut s = OidcSettings {
            issuer: "https://idp.example.com".into(),
            jwks_url: "https://idp.example.com/.well-known/jwks.json".into(),
            ..OidcSettings::default()
        };
        f(&mut s);
        Oidc::new(s).unwrap()
    }

    #[test]
    fn write_roles_decide_the_surface() {
        let o = oidc(|s| s.write_roles = vec!["org:admin".into(), "portkey:write".into()]);
        let p = o
            .principal(&json!({"sub": "user_1", "org_role": "org:admin"}))
            .unwrap();
        assert!(!p.read_only);
        assert_eq!(p.id, "oidc:user_1");
        let p = o
            .principal(&json!({"sub": "user_2", "permissions": ["portkey:write"]}))
            .unwrap();
        assert!(!p.read_only);
        let p = o
            .principal(&json!({"sub": "user_3", "roles": ["viewer"]}))
            .unwrap();
        assert!(p.read_only);
        let o = oidc(|_| {});
        assert!(
            o.principal(&json!({"sub": "u", "org_role": "org:admin"}))
                .unwrap()
                .read_only
        );
    }

    #[test]
    fn allow_lists_refuse_with_forbidden() {
        let o = oidc(|s| {
            s.allowed_orgs = vec!["org_A".into()];
            s.required_permissions = vec!["org:portkey:use".into()];
        });
        assert!(
            o.principal(
                &json!({"sub": "u", "org_id": "org_A", "org_permissions": ["org:portkey:use"]})
            )
            .is_ok()
        );
        assert!(
            o.principal(&json!({"sub": "u", "o": {"id": "org_A", "per": "org:portkey:use,other"}}))
                .is_ok()
        );
        assert!(matches!(
            o.principal(
                &json!({"sub": "u", "org_id": "org_B", "org_permissions": ["org:portkey:use"]})
            ),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            o.principal(&json!({"sub": "u", "org_id": "org_A"})),
            Err(Denied::Forbidden(_))
        ));
        let o = oidc(|s| s.allowed_subjects = vec!["user_ok".into()]);
        assert!(o.principal(&json!({"sub": "user_ok"})).is_ok());
        assert!(matches!(
            o.principal(&json!({"sub": "user_no"})),
            Err(Denied::Forbidden(_))
        ));
    }
}
