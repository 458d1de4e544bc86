//! The session manager behind `/mcp`: rmcp's in-process manager for the sessions themselves,
//! with every event of their streams kept in the event store (when one is set) under ids of the
//! store's own, so a reconnect with `Last-Event-ID` is answered from the store — on this
//! instance or, with Redis, on any other.
//!
//! A stream's events are read from the session and stored by a task of their own, so what a
//! client misses while disconnected is still kept. A request's stream is drained to its answer;
//! the session's standalone stream only while its client is attached.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{Stream, StreamExt};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::model::ServerJsonRpcMessage;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::{
    EventStore, RestoreOutcome, ServerSseMessage, SessionId, SessionManager,
};
use tokio_stream::wrappers::ReceiverStream;

use super::events::{Events, is_final, new_stream, parse_id};

type Boxed = Pin<Box<dyn Stream<Item = ServerSseMessage> + Send + Sync + 'static>>;

/// How often a resumed request stream looks for events another instance stored.
const POLL: Duration = Duration::from_millis(200);
/// A resumed request stream with nothing new for this long ends (the client may reconnect).
const QUIET_LIMIT: Duration = Duration::from_secs(60);
/// Owners remembered before the ones of sessions no longer held here are dropped.
const OWNERS_BOUND: usize = 4096;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ManagerError(String);

fn wrap(e: impl std::fmt::Display) -> ManagerError {
    ManagerError(e.to_string())
}

pub struct Manager {
    local: Arc<LocalSessionManager>,
    events: Option<Arc<Events>>,
    /// The principal owning each session this instance has served, for binding its events.
    owners: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field("events", &self.events)
            .finish()
    }
}

impl Manager {
    pub fn new(local: Arc<LocalSessionManager>, events: Option<Arc<Events>>) -> Manager {
        Manager {
            local,
            events,
            owners: Mutex::new(HashMap::new()),
        }
    }

    pub fn stores_events(&self) -> bool {
        self.events.is_some()
    }

    pub fn local(&self) -> Arc<LocalSessionManager> {
        self.local.clone()
    }

    /// Records that `session` belongs to `principal` (the HTTP layer checked it).
    pub fn note_owner(&self, session: &str, principal: &str) {
        if self.events.is_none() {
            return;
        }
        if let Ok(mut o) = self.owners.lock() {
            // A session's entry goes when it closes here; one checked here but never opened here
            // (its restore failed) would stay, so past a bound keep only sessions held here.
            if o.len() >= OWNERS_BOUND
                && let Ok(live) = self.local.sessions.try_read()
            {
                o.retain(|id, _| live.contains_key(id.as_str()));
            }
            o.insert(session.to_string(), principal.to_string());
        }
    }

    fn owner(&self, session: &str) -> Option<String> {
        self.owners.lock().ok()?.get(session).cloned()
    }

    /// Stores every event of `inner` and passes it on with its stored id.
    fn persisted(&self, session: &SessionId, inner: Boxed, common: bool) -> Boxed {
        let (Some(events), Some(principal), Some(stream)) =
            (self.events.clone(), self.owner(session), new_stream(common))
        else {
            if self.events.is_some() {
                tracing::warn!("a stream of a session with no known owner is not stored");
            }
            return inner;
        };
        let session = session.to_string();
        let (tx, rx) = tokio::sync::mpsc::channel::<ServerSseMessage>(64);
        tokio::spawn(async move {
            let mut inner = inner;
            let mut tx = Some(tx);
            loop {
                let next = match &tx {
                    Some(t) if common => tokio::select! {
                        ev = inner.next() => ev,
                        _ = t.closed() => None,
                    },
                    _ => inner.next().await,
                };
                let Some(mut ev) = next else { break };
                match events.append(&session, &principal, &stream, &ev).await {
                    Ok(id) => ev.event_id = Some(id),
                    Err(e) => {
                        tracing::warn!("an event could not be stored for resumption: {e}");
                        ev.event_id = None;
                    }
                }
                if let Some(t) = &tx
                    && t.send(ev).await.is_err()
                {
                    tx = None;
                    if common {
                        break;
                    }
                }
            }
        });
        Box::pin(ReceiverStream::new(rx))
    }

    /// The events after `last` from the store; for a request's stream that has not reached its
    /// answer yet, goes on watching the store for the rest (another instance may be writing it).
    async fn replay(
        &self,
        session: &SessionId,
        stream: &str,
        after: &str,
    ) -> Result<Boxed, ManagerError> {
        let Some(events) = self.events.clone() else {
            return Err(ManagerError("no event store".into()));
        };
        let principal = self
            .owner(session)
            .ok_or_else(|| ManagerError("the session's owner is not known here".into()))?;
        let first = events
            .after(session, &principal, stream, after)
            .await
            .map_err(wrap)?;
        let done = first.iter().any(is_final);
        let common = stream.starts_with('c');
        if done || common {
            let replayed: Boxed = Box::pin(futures::stream::iter(first));
            if common {
                let live = self.create_standalone_stream(session).await?;
                return Ok(Box::pin(replayed.chain(live)));
            }
            return Ok(replayed);
        }
        let mut last = first
            .last()
            .and_then(|e| e.event_id.as_deref())
            .and_then(parse_id)
            .map(|(_, p)| p.to_string())
            .unwrap_or_else(|| after.to_string());
        let (tx, rx) = tokio::sync::mpsc::channel::<ServerSseMessage>(64);
        let session = session.to_string();
        let stream = stream.to_string();
        tokio::spawn(async move {
            for ev in first {
                if tx.send(ev).await.is_err() {
                    return;
                }
            }
            let mut quiet = Duration::ZERO;
            while quiet < QUIET_LIMIT && !tx.is_closed() {
                tokio::time::sleep(POLL).await;
                let more = match events.after(&session, &principal, &stream, &last).await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!("resumed stream: {e}");
                        quiet += POLL;
                        continue;
                    }
                };
                if more.is_empty() {
                    quiet += POLL;
                    continue;
                }
                quiet = Duration::ZERO;
                for ev in more {
                    if let Some((_, p)) = ev.event_id.as_deref().and_then(parse_id) {
                        last = p.to_string();
                    }
                    let end = is_final(&ev);
                    if tx.send(ev).await.is_err() || end {
                        return;
                    }
                }
            }
        });
        Ok(Box::pin(ReceiverStream::new(rx)))
    }
}

/// The id rmcp gives the priming event it puts before a standalone stream (and before the answer
/// to `initialize`), outside any stored stream.
pub fn rmcp_priming_id() -> &'static str {
    "0"
}

impl SessionManager for Manager {
    type Error = ManagerError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        self.local.create_session().await.map_err(wrap)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.local
            .initialize_session(id, message)
            .await
            .map_err(wrap)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.local.has_session(id).await.map_err(wrap)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        if let Ok(mut o) = self.owners.lock() {
            o.remove(id.as_ref());
        }
        self.local.close_session(id).await.map_err(wrap)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let inner: Boxed = Box::pin(self.local.create_stream(id, message).await.map_err(wrap)?);
        Ok(self.persisted(id, inner, false))
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.local.accept_message(id, message).await.map_err(wrap)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let inner: Boxed = Box::pin(
            self.local
                .create_standalone_stream(id)
                .await
                .map_err(wrap)?,
        );
        Ok(self.persisted(id, inner, true))
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        if self.events.is_some() {
            if last_event_id == rmcp_priming_id() {
                // rmcp's own first event of a standalone stream, sent before anything is stored:
                // there is nothing to replay, so the client gets the live stream again.
                let live = self.create_standalone_stream(id).await?;
                return Ok(Box::pin(live) as Boxed);
            }
            let Some((stream, pos)) = parse_id(&last_event_id) else {
                return Err(ManagerError(
                    "Last-Event-ID is not an event id this server sent".into(),
                ));
            };
            return self.replay(id, stream, pos).await;
        }
        let inner: Boxed = Box::pin(self.local.resume(id, last_event_id).await.map_err(wrap)?);
        Ok(inner)
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        self.local.restore_session(id).await.map_err(wrap)
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        None
    }
}
