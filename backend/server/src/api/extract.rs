//! Request extractors that answer in our error envelope: JSON bodies and the authenticated actor.

use super::error::{ApiError, ErrorCode};
pub use crate::auth::Actor;
use crate::auth::token_hash;
use crate::json::missing_field;
pub use crate::json::parse_json;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use siaga_core::role::Role;

/// A JSON body. Malformed input becomes a 400 (syntax) or 422 (shape) naming the failing field; an oversized
/// body a 413; a missing or wrong content type a 415.
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let mime = ct.split(';').next().unwrap_or("").trim();
                mime.eq_ignore_ascii_case("application/json")
            });
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a body with `Content-Type: application/json`",
            ));
        }
        let bytes = read_limited(req, state.config.max_body_bytes).await?;
        parse_json(&bytes).map(AppJson)
    }
}

/// How much of an oversized body is read and thrown away so the client, still sending, gets our 413
/// instead of a reset connection. Beyond this the connection is simply closed.
const DRAIN_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// Reads the body up to `limit` bytes; a larger body is drained (up to [`DRAIN_LIMIT_BYTES`]) and refused.
async fn read_limited(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    use futures::StreamExt;
    let mut stream = req.into_body().into_data_stream();
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(ErrorCode::BadRequest, format!("could not read body: {e}"))
        })?;
        seen = seen.saturating_add(chunk.len());
        if seen <= limit {
            buf.extend_from_slice(&chunk);
        } else if seen > DRAIN_LIMIT_BYTES {
            break;
        }
    }
    if seen > limit {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body is larger than {limit} bytes"),
        ));
    }
    Ok(Bytes::from(buf))
}

/// Refuses a request whose path does not percent-decode to text without U+0000 (`/units/%00`, `/units/%FF`):
/// such an id names nothing, and PostgreSQL would fail on it rather than find nothing.
pub async fn refuse_unreadable_path(
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !path_is_readable(req.uri().path()) {
        return ApiError::not_found("resource").into_response();
    }
    next.run(req).await
}

fn path_is_readable(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = path.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            decoded.push(b);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    !decoded.contains(&0) && std::str::from_utf8(&decoded).is_ok()
}

/// A query string, whose errors answer in our envelope and name the failing parameter.
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((name, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            let field = name.replace('\0', "");
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("query parameter {field} must not contain the NUL character"),
            )
            .with_field(field));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(AppQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.into_inner().to_string();
                let field = match missing_field(&message) {
                    Some(name) => name.to_owned(),
                    None if path != "." => path,
                    None => message
                        .strip_prefix("unknown field `")
                        .and_then(|r| r.split('`').next())
                        .unwrap_or("query")
                        .to_owned(),
                };
                ApiError::new(
                    ErrorCode::BadRequest,
                    format!("query parameter {field}: {message}"),
                )
                .with_field(field)
            })
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = match bearer_token(parts) {
            Some(token) => token,
            None => {
                super::security::cookie_token(&parts.headers, &parts.method)?.ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Unauthenticated,
                        "missing `Authorization: Bearer <token>` header (or the session cookie)",
                    )
                })?
            }
        };
        // The idempotency middleware authenticated this request already (same token): one lookup per request.
        let actor = match parts.extensions.get::<Actor>() {
            Some(a) if a.token_hash == token_hash(&token) => a.clone(),
            _ => authenticate(state, &token).await?,
        };
        if actor.user.must_change_password
            && !PASSWORD_CHANGE_ROUTES.contains(&(parts.method.as_str(), matched_route(parts)))
        {
            return Err(ApiError::new(
                ErrorCode::PasswordChangeRequired,
                "change your password first (POST /api/v1/auth/password)",
            ));
        }
        if actor.role == Role::Integration {
            let route = parts
                .extensions
                .get::<axum::extract::MatchedPath>()
                .map(axum::extract::MatchedPath::as_str);
            if !route.is_some_and(|r| INTEGRATION_ROUTES.contains(&r)) {
                return Err(ApiError::forbidden(
                    "integration accounts may only register calls, their AML payloads and hang-ups",
                ));
            }
        }
        Ok(actor)
    }
}

/// The route template of a request (`/api/v1/users/{id}`), or "" outside the router.
fn matched_route(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .map_or("", axum::extract::MatchedPath::as_str)
}

/// Everything an account that must change its password may do until it has.
const PASSWORD_CHANGE_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/password"),
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/logout"),
];

/// The client's IP address (the connection's peer), for the login throttle; `None` when the router was not
/// served with connect info (driven in-process).
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Everything a telephony/SMS gateway (role `integration`) may reach; the handlers check the method and the
/// rest. A second line of defence: a new endpoint is closed to gateways until it is listed here.
const INTEGRATION_ROUTES: &[&str] = &[
    "/api/v1/calls",
    "/api/v1/calls/{id}/aml",
    "/api/v1/calls/{id}/end",
    "/api/v1/auth/me",
    "/api/v1/auth/logout",
    "/api/v1/auth/password",
];

/// The one route that reads the token from `?access_token=` (the websocket upgrade); the request log hides
/// the parameter (`api::redact_access_token`).
pub const TOKEN_IN_QUERY_ROUTE: &str = "/api/v1/ws";

/// The token a request presents: `Authorization: Bearer …`, or `?access_token=` on the websocket route.
pub(super) fn bearer_token(parts: &Parts) -> Option<String> {
    if let Some(value) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
            .filter(|t| !t.is_empty());
    }
    // Browsers cannot set headers on a websocket upgrade; they pass the token as a query parameter. Nowhere
    // else: a token in a URL ends up in browser histories, proxy logs and `Referer` headers.
    let route = parts.extensions.get::<axum::extract::MatchedPath>()?;
    if route.as_str() != TOKEN_IN_QUERY_ROUTE {
        return None;
    }
    let query = parts.uri.query()?;
    query.split('&').find_map(|pair| {
        pair.strip_prefix("access_token=")
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    })
}

/// Resolves a bearer token to its actor, or says precisely why it is not accepted.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Actor, ApiError> {
    let hash = token_hash(token);
    let session =
        state.store.find_session(&hash).await?.ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthenticated, "unknown token; log in again")
        })?;
    if session.revoked_at.is_some() {
        return Err(ApiError::new(
            ErrorCode::SessionRevoked,
            "this session was ended; log in again",
        ));
    }
    if session.expires_at <= state.clock.now().0 {
        return Err(ApiError::new(
            ErrorCode::TokenExpired,
            "this token has expired; log in again",
        ));
    }
    if !session.user.active {
        return Err(ApiError::new(
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    let role = session
        .user
        .role
        .parse::<Role>()
        .map_err(|e| ApiError::internal(e.into()))?;
    Ok(Actor {
        user: session.user,
        role,
        token_hash: hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_decode_to_text_without_nul() {
        assert!(path_is_readable("/api/v1/units/01a2-b3"));
        assert!(path_is_readable("/api/v1/units/caf%C3%A9"));
        assert!(!path_is_readable("/api/v1/units/%00"));
        assert!(!path_is_readable("/api/v1/units/%ff"));
        assert!(path_is_readable("/api/v1/units/100%"));
    }
}
