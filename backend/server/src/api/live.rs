//! The live stream's HTTP endpoint: checks the upgrade request and hands the socket to `live::socket`.

use super::error::{ApiError, ApiResult, ErrorCode};
use super::extract::{Actor, AppQuery};
use crate::live::socket::{self, MAX_CLIENT_MESSAGE_BYTES};
use crate::state::AppState;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::response::Response;
use serde::Deserialize;

/// Initial read buffer of a websocket connection, bytes.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Query parameters of the websocket endpoint.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// Resume after this seq: every event after it that the user may see is replayed first.
    pub resume_from: Option<i64>,
    /// The bearer token, for clients that cannot set headers on the upgrade (browsers).
    pub access_token: Option<String>,
}

/// The live stream. Upgrade to a websocket; frames are JSON text described by `docs/events.schema.json`.
/// The first frame is `hello`; with `resume_from`, missed events follow in order before the live stream,
/// or `resync_required` when they are no longer kept.
#[utoipa::path(get, path = "/api/v1/ws", tag = "live", security(("bearer" = [])),
    params(WsQuery), responses(
    (status = 101, description = "switching to the websocket protocol"),
    (status = 400, body = super::error::ErrorBody, description = "not a websocket upgrade, or bad resume_from"),
    (status = 401, body = super::error::ErrorBody),
))]
pub async fn connect_live(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<WsQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let upgrade = upgrade.map_err(|e| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("expected a websocket upgrade: {e}"),
        )
    })?;
    if query.resume_from.is_some_and(|s| s < 0) {
        return Err(
            ApiError::new(ErrorCode::BadRequest, "resume_from must be ≥ 0")
                .with_field("resume_from"),
        );
    }
    // Clients send only small frames (positions, pongs): a 4 KiB read buffer instead of tungstenite's 128 KiB
    // keeps thousands of idle desks cheap (it grows for a larger frame, up to the message limit).
    Ok(upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES)
        .on_upgrade(move |ws| socket::serve(state, actor, ws, query.resume_from)))
}
