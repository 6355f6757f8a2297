//! Live operations: the websocket stream of events, resumable by sequence number, and unit positions in.
//! (Being built; see issue 5.)

use crate::app::AppState;
use utoipa_axum::router::OpenApiRouter;

/// Per-instance live state (hub of connected clients, event feed). Cheap to clone.
#[derive(Clone, Default)]
pub struct Live {}

/// Routes of the live layer (websocket, position intake), merged into the API router.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

/// Starts the instance's background tasks (event feed, position batching). Called once by `serve`.
pub fn start(_state: &AppState) {}
