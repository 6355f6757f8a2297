//! Login, logout, "who am I" and one's own password. The workflows are in [`crate::service::accounts`].

use super::error::ApiResult;
use super::extract::{Actor, AppJson, ClientIp};
use super::security;
use crate::service::accounts;
use crate::service::accounts::UserView;
pub use crate::service::accounts::{ChangePasswordRequest, LoginRequest, LoginView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::AppendHeaders;

/// Exchanges username (any letter case) and password for a session: a bearer token in the body
/// (integrations, scripts), and the same token in an `HttpOnly` session cookie for the browser (see
/// `api::security`). Throttled per username and per client address: after `auth.login_max_failures` failures
/// of a username (or `auth.login_source_max_failures` of an address) within `auth.login_window_secs`,
/// attempts are refused unchecked. When `must_change_password` is true the token serves only
/// `POST /api/v1/auth/password`, `GET /api/v1/auth/me` and logout.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginView, headers(
        ("set-cookie" = String, description = "`siaga_session`: the session for browsers (HttpOnly, \
            SameSite=Strict, until `expires_at`)")
    )),
    (status = 401, body = super::error::ErrorBody, description = "wrong username or password"),
    (status = 403, body = super::error::ErrorBody, description = "account disabled"),
    (status = 429, body = super::error::ErrorBody,
        description = "too many failed attempts for this username or from this address (see `Retry-After`)"),
    (status = 503, body = super::error::ErrorBody,
        description = "too many passwords being checked at once (see `Retry-After`), or the database is unreachable"),
))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(source): ClientIp,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> ApiResult<(
    AppendHeaders<[(HeaderName, HeaderValue); 1]>,
    Json<LoginView>,
)> {
    let view = accounts::login(&state, source, req).await?;
    let max_age_secs = (view.expires_at - state.now_ms()) / 1000;
    let secure = security::is_https(&headers, state.config.http.https);
    let cookie = security::session_cookie(&view.token, max_age_secs, secure);
    Ok((AppendHeaders([(SET_COOKIE, cookie)]), Json(view)))
}

/// Ends the caller's session; the token stops working at once, and the session cookie is cleared.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "logged out"),
    (status = 401, body = super::error::ErrorBody),
))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    actor: Actor,
) -> ApiResult<(AppendHeaders<[(HeaderName, HeaderValue); 1]>, StatusCode)> {
    accounts::logout(&state, &actor).await?;
    let secure = security::is_https(&headers, state.config.http.https);
    let cookie = security::cleared_session_cookie(secure);
    Ok((
        AppendHeaders([(SET_COOKIE, cookie)]),
        StatusCode::NO_CONTENT,
    ))
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, body = super::error::ErrorBody),
))]
pub async fn me(actor: Actor) -> Json<UserView> {
    Json(actor.user.into())
}

/// Changes the caller's own password (any role). The current password is checked through the login
/// throttle. Clears `must_change_password`, ends the user's other sessions (this one stays) and is audited.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordRequest, responses(
    (status = 200, body = UserView),
    (status = 422, body = super::error::ErrorBody,
        description = "the current password is wrong (`field`: `current_password`), or the new one is too weak"),
    (status = 429, body = super::error::ErrorBody, description = "too many failed attempts (see `Retry-After`)"),
    (status = 503, body = super::error::ErrorBody,
        description = "too many passwords being checked at once (see `Retry-After`), or the database is unreachable"),
))]
pub async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    ClientIp(source): ClientIp,
    AppJson(req): AppJson<ChangePasswordRequest>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(
        accounts::change_password(&state, &actor, source, req).await?,
    ))
}
