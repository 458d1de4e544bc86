//! Session admission and binding. rmcp's session manager keeps the sessions themselves (and ends
//! them after `MCP_SESSION_TIMEOUT` of idleness); this module caps how many may be open
//! (`MCP_MAX_SESSIONS`, also the cap on concurrent stateless requests) and remembers which
//! principal, and which Portkey key digest, opened each one, so nobody else can use it. With
//! MCP_SESSION_STORE=redis the owner is kept in Redis instead (`store/sessions.rs`), so any
//! instance can check it, and a session ended or expired there is ended here too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::store::Unavailable;
use super::store::manager::Manager;
use super::store::sessions::{Owner, RedisSessions};

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
    /// The session store could not be asked.
    Unavailable(String),
}

pub struct Sessions {
    manager: Arc<LocalSessionManager>,
    streams: Arc<Manager>,
    /// Owners kept in Redis (MCP_SESSION_STORE=redis) instead of `bound`.
    shared: Option<RedisSessions>,
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
    pub async fn bind(
        self,
        id: &str,
        binding: Binding,
        read_only: bool,
    ) -> Result<(), Unavailable> {
        self.sessions.streams.note_owner(id, &binding.principal);
        if let Some(shared) = &self.sessions.shared {
            return shared.bind(id, &Owner::of(id, &binding, read_only)).await;
        }
        if let Ok(mut b) = self.sessions.bound.lock() {
            b.insert(id.to_string(), binding);
        }
        Ok(())
    }
}

impl Sessions {
    pub fn new(streams: Arc<Manager>, max: usize, shared: Option<RedisSessions>) -> Sessions {
        Sessions {
            manager: streams.local(),
            streams,
            shared,
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
        if let Some(shared) = &self.shared {
            return self.lookup_shared(shared, id, binding).await;
        }
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
        self.streams.note_owner(id, &owner.principal);
        Lookup::Yours
    }

    /// The owner from Redis (refreshing the session's idle timeout there). A session Redis no
    /// longer has is closed here too.
    async fn lookup_shared(&self, shared: &RedisSessions, id: &str, binding: &Binding) -> Lookup {
        let owner = match shared.touch(id).await {
            Ok(o) => o,
            Err(e) => return Lookup::Unavailable(e.0),
        };
        let Some(owner) = owner else {
            let sid: rmcp::transport::streamable_http_server::session::SessionId = Arc::from(id);
            if self.manager.has_session(&sid).await.unwrap_or(false) {
                let _ = self.manager.close_session(&sid).await;
            }
            return Lookup::NotFound;
        };
        if owner.principal != binding.principal {
            return Lookup::NotFound;
        }
        if !owner.same_key(id, binding) {
            return Lookup::OtherKey;
        }
        self.streams.note_owner(id, &owner.principal);
        Lookup::Yours
    }

    /// Whether a `Last-Event-ID` can name one of this server's events (with an event store, ids
    /// are the store's own; without one rmcp's).
    pub fn event_id_fits(&self, id: &str) -> bool {
        !self.streams.stores_events()
            || id == super::store::manager::rmcp_priming_id()
            || super::store::events::parse_id(id).is_some()
    }

    /// Closes a session that was opened but could not be recorded.
    pub async fn abandon(&self, id: &str) {
        let sid: rmcp::transport::streamable_http_server::session::SessionId = Arc::from(id);
        let _ = self.manager.close_session(&sid).await;
        self.forget(id);
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
