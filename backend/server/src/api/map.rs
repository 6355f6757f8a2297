//! What the map client needs besides data: its runtime configuration and the offline basemap.
//!
//! The basemap is one PMTiles v3 archive on local disk (`[map] basemap_pmtiles`), served from the Siaga origin
//! with HTTP range requests, because a PMTiles reader fetches the header, directories and tiles as byte ranges
//! of the one file. Nothing here ever points the browser at another origin: the centre may have no internet.
//! Both endpoints are public: the basemap is not confidential and the client reads its configuration before
//! it draws a map.

use super::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Where the client finds the basemap archive (same origin).
pub const BASEMAP_PATH: &str = "/api/v1/basemap.pmtiles";

/// The map client's runtime configuration.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientConfigView {
    /// Same-origin URL of the offline basemap (a PMTiles v3 archive with the Protomaps basemap layers), or
    /// `null` when none is configured: the map then draws the imported data on a plain background.
    pub basemap_pmtiles_url: Option<String>,
    /// The server's VAPID public key (uncompressed P-256 point, base64url) for `pushManager.subscribe`, or
    /// `null` when Web Push is off (`[push] vapid_private_key`).
    pub vapid_public_key: Option<String>,
    /// Seconds between repeated alerts on a responder's phone while an assignment is not acknowledged.
    pub realert_s: u64,
    /// The service lines with a follow-up programme: a call taker may schedule call-backs for their calls.
    pub follow_up_lines: Vec<String>,
    /// The tiered service lines: their calls are offered to a regional team by the caller's locus, and a call
    /// taker may route a call of theirs once the locus is known.
    pub tiered_lines: Vec<String>,
}

/// The map client's configuration.
#[utoipa::path(get, path = "/api/v1/client-config", tag = "map", responses(
    (status = 200, body = ClientConfigView),
))]
pub async fn client_config(State(state): State<AppState>) -> Json<ClientConfigView> {
    Json(ClientConfigView {
        basemap_pmtiles_url: state
            .config
            .map
            .basemap_pmtiles
            .as_ref()
            .map(|_| BASEMAP_PATH.to_owned()),
        vapid_public_key: state.vapid.as_ref().map(|v| v.public_key.clone()),
        realert_s: state.config.push.realert_s,
        follow_up_lines: state.config.routing.follow_up_line_codes(),
        tiered_lines: state.config.routing.tiered_line_codes(),
    })
}

/// The offline basemap archive, whole or as one byte range (`Range: bytes=first-last`).
#[utoipa::path(get, path = "/api/v1/basemap.pmtiles", tag = "map", responses(
    (status = 200, description = "The whole archive", content_type = "application/octet-stream"),
    (status = 206, description = "The requested byte range; `Content-Range: bytes first-last/size`. \
        A last byte past the end is clamped to the end.", content_type = "application/octet-stream"),
    (status = 404, body = super::error::ErrorBody, description = "no basemap is configured"),
    (status = 416, description = "The range starts past the end, or several ranges were asked for; \
        `Content-Range: bytes */size`"),
))]
pub async fn basemap(State(state): State<AppState>, req: Request) -> Response {
    let Some(path) = state.config.map.basemap_pmtiles.clone() else {
        return ApiError::not_found("basemap (no [map] basemap_pmtiles configured)")
            .into_response();
    };
    let served = match ServeFile::new(&path).oneshot(req).await {
        Ok(res) => res.map(Body::new),
        Err(never) => match never {},
    };
    if served.status() == StatusCode::NOT_FOUND {
        // The file was configured and checked at start, then removed or made unreadable.
        return ApiError {
            source: Some(anyhow::anyhow!(
                "basemap file {} cannot be read",
                path.display()
            )),
            ..ApiError::new(
                ErrorCode::Unavailable,
                "the configured basemap file cannot be read",
            )
        }
        .into_response();
    }
    served
}
