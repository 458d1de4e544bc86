//! AES-256-GCM for what is kept in Redis on a caller's behalf: a random 96-bit nonce per value,
//! stored before the ciphertext, and associated data naming the session and principal the value
//! belongs to, so a value moved to another session or read for another principal fails to open.

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use crate::http::config::EventKey;

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(AES-256-GCM)")
    }
}

/// The associated data for one stream's events: the session and its owner.
pub fn binding(session: &str, principal: &str) -> Vec<u8> {
    let mut ad = b"portkey-admin-mcp event v1\0".to_vec();
    ad.extend_from_slice(session.as_bytes());
    ad.push(0);
    ad.extend_from_slice(principal.as_bytes());
    ad
}

impl Sealer {
    pub fn new(key: &EventKey) -> Sealer {
        Sealer {
            cipher: Aes256Gcm::new(&key.0.into()),
        }
    }

    /// `nonce || ciphertext+tag`, or `None` when no random nonce could be drawn.
    pub fn seal(&self, plain: &[u8], ad: &[u8]) -> Option<Vec<u8>> {
        let nonce = Nonce::try_generate().ok()?;
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: ad,
                },
            )
            .ok()?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        Some(out)
    }

    /// The plain bytes, or `None` when the value was not sealed with this key and `ad`.
    pub fn open(&self, sealed: &[u8], ad: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).ok()?;
        self.cipher
            .decrypt(&nonce, Payload { msg: body, aad: ad })
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_same_key_and_binding() {
        let s = Sealer::new(&EventKey([7; 32]));
        let ad = binding("session-1", "alice");
        let a = s.seal(b"tool result MARKER", &ad).unwrap();
        let b = s.seal(b"tool result MARKER", &ad).unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.windows(6).any(|w| w == b"MARKER"));
        assert_eq!(s.open(&a, &ad).unwrap(), b"tool result MARKER");
        assert!(s.open(&a, &binding("session-2", "alice")).is_none());
        assert!(s.open(&a, &binding("session-1", "mallory")).is_none());
        assert!(Sealer::new(&EventKey([8; 32])).open(&a, &ad).is_none());
        let mut tampered = a.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(s.open(&tampered, &ad).is_none());
        assert!(s.open(&a[..5], &ad).is_none());
    }
}
