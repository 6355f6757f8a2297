//! Positions in over HTTP: one GPS fix per request. The intake is `service::positions`; the websocket takes
//! the same fixes as `position` frames.

use super::error::ApiResult;
use super::extract::{Actor, AppJson};
use crate::live::position::{PositionAccepted, PositionFix};
use crate::service::positions::{self, BatchAccepted, UnitFix};
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
    (status = 503, body = super::error::ErrorBody,
        description = "not stored in time, or too many fixes waiting to be stored (with `Retry-After`): \
            send the fix again"),
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

/// A batch of fixes.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionBatch {
    /// 1 to 2,000 fixes, checked in order (a unit's fixes oldest first).
    pub fixes: Vec<UnitFix>,
}

/// Reports many GPS fixes at once: a responder's phone sending the track it buffered while it had no data
/// (its own unit only), or an admin's vehicle-tracking gateway sending a fleet. Each fix passes the checks of
/// a single fix; the answer lists the refused ones and comes once the accepted ones are stored (one group
/// commit). Sent again after a 503, the fixes already stored are refused as out of order, never stored twice. While
/// too many fixes wait to be stored, the rest of a batch is refused fix by fix with code `unavailable`: send
/// those again.
#[utoipa::path(post, path = "/api/v1/positions", tag = "live", security(("bearer" = [])),
    request_body = PositionBatch, responses(
    (status = 200, body = BatchAccepted),
    (status = 422, body = super::error::ErrorBody, description = "an empty batch or more than 2,000 fixes"),
    (status = 503, body = super::error::ErrorBody, description = "not stored in time; send the batch again"),
))]
pub async fn report_positions(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(batch): AppJson<PositionBatch>,
) -> ApiResult<Json<BatchAccepted>> {
    Ok(Json(
        positions::accept_fixes(&state, &actor, &batch.fixes).await?,
    ))
}
