//! Positions in over HTTP: one GPS fix per request. The intake is `service::positions`; the websocket takes
//! the same fixes as `position` frames.

use super::error::ApiResult;
use super::extract::{Actor, AppJson};
use crate::live::position::{PositionAccepted, PositionFix};
use crate::service::positions;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Reports a GPS fix of a unit: its own responder, or an admin. Accepted fixes update the unit's position,
/// are stored in the audit track (in batches) and published as coalesced `unit.position` events.
#[utoipa::path(post, path = "/api/v1/units/{id}/position", tag = "live", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PositionFix, responses(
    (status = 202, body = PositionAccepted),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody,
        description = "out of range, out of order (not newer than the last accepted fix) or physically impossible"),
))]
pub async fn report_unit_position(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(fix): AppJson<PositionFix>,
) -> ApiResult<(StatusCode, Json<PositionAccepted>)> {
    let accepted = positions::accept_fix(&state, &actor, &id, fix).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}
