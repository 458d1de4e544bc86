//! Session admission and binding. rmcp's session manager keeps the sessions themselves (and ends
//! them after `MCP_SESSION_TIMEOUT` of idleness); this module caps how many may be open
//! (`MCP_MAX_SESSIONS`, also the cap on concurrent stateless requests) and remembers which
//! principal, and which Portkey key digest, opened each one, so nobody else can use it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Who a session belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct Binding {
    pub principal: String,
    /// The SHA-256 digest of the Portkey key the session was opened with (bring your own key).
    pub key: Option<[u8; 32]>,
}

impl std::fmt::Debug for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binding")
            .field("principal", &self.principal)
            .field("key", &self.key.map(|_| "[digest]"))
            .finish()
    }
}

/// What a request naming a session may do.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The session is live and belongs to this caller.
    Yours,
    /// No such live session, or it belongs to someone else (the two are not told apart).
    NotFound,
    /// The caller's own session, but opened with another Portkey key.
    OtherKey,
}

pub struct Sessions {
    manager: Arc<LocalSessionManager>,
    max: usize,
    bound: Mutex<HashMap<String, Binding>>,
    /// Initialize requests admitted and not answered yet.
    opening: Mutex<usize>,
    stateless: Arc<Semaphore>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").field("max", &self.max).finish()
    }
}

/// A place held for a session being opened; dropping it gives the place back.
pub struct Opening<'a> {
    sessions: &'a Sessions,
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        if let Ok(mut n) = self.sessions.opening.lock() {
            *n = n.saturating_sub(1);
        }
    }
}

impl Opening<'_> {
    /// Records that session `id`, now open, belongs to `binding`.
    pub fn bind(self, id: &str, binding: Binding) {
        if let Ok(mut b) = self.sessions.bound.lock() {
            b.insert(id.to_string(), binding);
        }
    }
}

impl Sessions {
    pub fn new(manager: Arc<LocalSessionManager>, max: usize) -> Sessions {
        Sessions {
            manager,
            max,
            bound: Mutex::new(HashMap::new()),
            opening: Mutex::new(0),
            stateless: Arc::new(Semaphore::new(max)),
        }
    }

    pub fn manager(&self) -> Arc<LocalSessionManager> {
        self.manager.clone()
    }

    /// How many sessions are open now.
    pub async fn open_count(&self) -> usize {
        self.manager.sessions.read().await.len()
    }

    /// Holds a place for a new session, or `None` when `max` are open or opening.
    pub async fn reserve(&self) -> Option<Opening<'_>> {
        let live: Vec<String> = self
            .manager
            .sessions
            .read()
            .await
            .keys()
            .map(|k| k.to_string())
            .collect();
        if let Ok(mut b) = self.bound.lock() {
            // Sessions that ended (idle expiry, DELETE, shutdown) leave their binding behind.
            b.retain(|id, _| live.contains(id));
        }
        let Ok(mut opening) = self.opening.lock() else {
            return None;
        };
        if live.len().saturating_add(*opening) >= self.max {
            return None;
        }
        *opening += 1;
        Some(Opening { sessions: self })
    }

    /// Whether `id` is a live session of this caller.
    pub async fn lookup(&self, id: &str, binding: &Binding) -> Lookup {
        let owner = self.bound.lock().ok().and_then(|b| b.get(id).cloned());
        let Some(owner) = owner else {
            return Lookup::NotFound;
        };
        let live = self
            .manager
            .has_session(&Arc::from(id))
            .await
            .unwrap_or(false);
        if !live {
            self.forget(id);
            return Lookup::NotFound;
        }
        if owner.principal != binding.principal {
            return Lookup::NotFound;
        }
        if owner.key != binding.key {
            return Lookup::OtherKey;
        }
        Lookup::Yours
    }

    /// Drops the binding of a session that was closed.
    pub fn forget(&self, id: &str) {
        if let Ok(mut b) = self.bound.lock() {
            b.remove(id);
        }
    }

    /// A place for one stateless request, or `None` when `max` are running.
    pub fn stateless_permit(&self) -> Option<OwnedSemaphorePermit> {
        self.stateless.clone().try_acquire_owned().ok()
    }
}
