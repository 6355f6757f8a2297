//! Web Push subscriptions over HTTP: a responder's phone hands in (or withdraws) the subscription its browser
//! made with the server's VAPID public key (`/api/v1/client-config`). The pushes themselves are sent by
//! `jobs::push`; the workflows are [`crate::service::push`].

use super::error::ApiResult;
use super::extract::{Actor, AppJson};
use crate::service::push;
pub use crate::service::push::{
    PushSubscriptionView, SubscribeRequest, SubscriptionKeys, UnsubscribeRequest,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode};
use siaga_core::role::Role;

/// Stores the caller's push subscription (responders), or renews it when the endpoint is already known.
/// Audited as `push.subscribe`.
#[utoipa::path(post, path = "/api/v1/push/subscriptions", tag = "live", security(("bearer" = [])),
    request_body = SubscribeRequest, responses(
    (status = 201, body = PushSubscriptionView),
    (status = 403, body = super::error::ErrorBody, description = "not a responder"),
    (status = 422, body = super::error::ErrorBody,
        description = "`field` names what is wrong: `endpoint` (not an https URL), `keys.p256dh`, `keys.auth`"),
))]
pub async fn subscribe(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    AppJson(req): AppJson<SubscribeRequest>,
) -> ApiResult<(StatusCode, Json<PushSubscriptionView>)> {
    actor.require(&[Role::Responder])?;
    let ua = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let view = push::subscribe(&state, &actor, &req, ua).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Deletes one of the caller's push subscriptions (responders); one the caller does not have is already
/// gone (204 too). Audited as `push.unsubscribe`.
#[utoipa::path(delete, path = "/api/v1/push/subscriptions", tag = "live", security(("bearer" = [])),
    request_body = UnsubscribeRequest, responses(
    (status = 204, description = "deleted"),
    (status = 403, body = super::error::ErrorBody, description = "not a responder"),
    (status = 422, body = super::error::ErrorBody, description = "`endpoint` empty or too long"),
))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<UnsubscribeRequest>,
) -> ApiResult<StatusCode> {
    actor.require(&[Role::Responder])?;
    push::unsubscribe(&state, &actor, req.endpoint.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}
