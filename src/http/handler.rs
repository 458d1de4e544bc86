//! The MCP handler behind `/mcp`: the same [`PortkeyServer`] as stdio (so the pipeline, every
//! safety control and the journal apply), in two builds — all selected tools, and the read-only
//! surface — picked per request by the principal the HTTP layer authenticated. A tool call also
//! takes the caller's own Portkey key from the request when the server has none.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::request::Parts;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    InitializeRequestParams, InitializeResult, ListPromptsResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tokio::sync::Notify;

use super::auth::Principal;
use crate::client::RequestKey;
use crate::server::PortkeyServer;

/// The caller's Portkey key, put in the request's extensions by the HTTP layer (bring your own
/// key). It lives as long as the request does.
#[derive(Clone, Debug)]
pub struct CallerKey(pub RequestKey);

/// Tool calls running now, so shutdown can wait for them.
#[derive(Clone, Default)]
pub struct Inflight(Arc<(AtomicUsize, Notify)>);

impl Inflight {
    pub fn count(&self) -> usize {
        self.0.0.load(Ordering::SeqCst)
    }

    fn enter(&self) -> InflightGuard {
        self.0.0.fetch_add(1, Ordering::SeqCst);
        InflightGuard(self.clone())
    }

    /// Waits until no tool call is running.
    pub async fn idle(&self) {
        loop {
            let notified = self.0.1.notified();
            if self.count() == 0 {
                return;
            }
            notified.await;
        }
    }
}

struct InflightGuard(Inflight);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        let inner = &self.0.0;
        if inner.0.fetch_sub(1, Ordering::SeqCst) == 1 {
            inner.1.notify_waiters();
        }
    }
}

#[derive(Clone)]
pub struct HttpHandler {
    full: PortkeyServer,
    read_only: PortkeyServer,
    inflight: Inflight,
}

impl HttpHandler {
    pub fn new(full: PortkeyServer, read_only: PortkeyServer, inflight: Inflight) -> HttpHandler {
        HttpHandler {
            full,
            read_only,
            inflight,
        }
    }

    /// The build for this request's principal. A request the HTTP layer did not mark gets the
    /// read-only build (the HTTP layer marks every request it lets through).
    fn pick(&self, context: &RequestContext<RoleServer>) -> &PortkeyServer {
        let principal = parts(context).and_then(|p| p.extensions.get::<Principal>());
        match principal {
            Some(p) if !p.read_only => &self.full,
            _ => &self.read_only,
        }
    }
}

fn parts(context: &RequestContext<RoleServer>) -> Option<&Parts> {
    context.extensions.get::<Parts>()
}

impl ServerHandler for HttpHandler {
    fn get_info(&self) -> ServerConfig {
        self.full.get_info()
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        self.pick(&context).negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        self.pick(&context).list_tools(request, context).await
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let _running = self.inflight.enter();
        let key = parts(&context)
            .and_then(|p| p.extensions.get::<CallerKey>())
            .map(|k| k.0.clone());
        let server = self.pick(&context).clone();
        let principal = parts(&context)
            .and_then(|p| p.extensions.get::<Principal>())
            .map(|p| p.id.clone());
        server.call_tool_for(request, context, principal, key).await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.pick(&context).list_resources(request, context).await
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.pick(&context).read_resource(request, context).await
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        self.pick(&context).list_prompts(request, context).await
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        self.pick(&context).get_prompt(request, context).await
    }
}
