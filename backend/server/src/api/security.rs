//! Browser security at the HTTP edge: the headers every response carries, the session cookie, and the rules
//! that keep another site from using that cookie.
//!
//! The map client's session travels in an `HttpOnly`, `SameSite=Strict` cookie set by login and cleared by
//! logout, so no script (nor an injected one) can read the token; integrations, the simulator and the tests
//! keep the `Authorization: Bearer` header, which takes precedence. A request authenticated by the cookie is
//! refused (403) when
//! * it comes from another origin: its `Origin` header names another host than the one it was sent to
//!   (`X-Forwarded-Host`, else `Host`). Browsers always send `Origin` on websocket handshakes and on
//!   state-changing requests, and websockets are not protected by CORS, so this is what stops a page on a
//!   sibling host (same site, so `SameSite` lets the cookie through) from opening the live stream;
//! * it changes state (any method but GET, HEAD and OPTIONS) without an `X-Requested-With` header. A page
//!   of another origin cannot add that header without a CORS preflight, which Siaga never grants, so a
//!   cross-site form or `fetch` cannot act with the user's session (CSRF), whatever its content type.

use crate::config::HttpsMode;
use crate::error::ApiError;
use axum::Router;
use axum::extract::Request;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, COOKIE, HOST, ORIGIN, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use tower_http::set_header::SetResponseHeaderLayer;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "siaga_session";

/// The header a cookie-authenticated state-changing request must carry (any non-empty value).
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-requested-with");

/// The content security policy of every response. The map client loads only its own files; MapLibre runs
/// its workers from `blob:` URLs and draws decoded images from `data:`/`blob:` URLs; tiles, the basemap and
/// the live websocket are same-origin (`connect-src 'self'` covers `ws:`/`wss:` to the same host). No
/// inline script or style attribute is allowed: the client sets styles through the CSSOM.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
     worker-src 'self' blob:; child-src 'self' blob:; manifest-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Strict-Transport-Security` for responses to https requests: one year.
const HSTS: &str = "max-age=31536000";

/// Adds the security headers to every response of `router`: the API's, the map client's files, errors,
/// and `Strict-Transport-Security` when the request came over https.
pub fn with_security_headers(router: Router, https: HttpsMode) -> Router {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    router
        .layer(header(
            CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY_VALUE,
        ))
        .layer(header(X_FRAME_OPTIONS, "DENY"))
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(REFERRER_POLICY, "no-referrer"))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let https = is_https(req.headers(), https);
            async move {
                let mut response = next.run(req).await;
                if https {
                    response
                        .headers_mut()
                        .insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
                }
                response
            }
        }))
}

/// Whether the browser reached Siaga over https: as configured, or (`auto`) as the TLS proxy in front says in
/// `X-Forwarded-Proto`. A client that claims https over plain HTTP only gets a cookie its browser will not
/// keep and an HSTS header its browser ignores.
pub fn is_https(headers: &HeaderMap, mode: HttpsMode) -> bool {
    match mode {
        HttpsMode::Always => true,
        HttpsMode::Never => false,
        HttpsMode::Auto => headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https")),
    }
}

/// The `Set-Cookie` value that starts a browser session: lives until the session expires (`max_age_secs`),
/// so the responder's PWA stays signed in across restarts.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    cookie_value(token, max_age_secs.max(0), secure)
}

/// The `Set-Cookie` value that ends the browser session.
pub fn cleared_session_cookie(secure: bool) -> HeaderValue {
    cookie_value("", 0, secure)
}

fn cookie_value(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={token}; Path=/api; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    );
    // A token is hex and the rest is ASCII, so this cannot fail; an empty cookie would merely sign out.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session token of the request's cookie, if it carries one; an error when the cookie may not be used
/// for this request (see the module documentation).
pub fn cookie_token(headers: &HeaderMap, method: &Method) -> Result<Option<String>, ApiError> {
    let Some(token) = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_owned())
        })
    else {
        return Ok(None);
    };
    if !same_origin(headers) {
        return Err(ApiError::forbidden(
            "the session cookie is not accepted from another origin",
        ));
    }
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let marked = headers
        .get(CSRF_HEADER)
        .is_some_and(|v| !v.as_bytes().is_empty());
    if !safe && !marked {
        return Err(ApiError::forbidden(
            "a change authenticated by the session cookie needs the `X-Requested-With` header",
        ));
    }
    Ok(Some(token))
}

/// Whether the request's `Origin` (when it has one) is the host it was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let origin_host = origin
        .split_once("://")
        .map_or("", |(_, rest)| rest.trim_end_matches('/'));
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(HOST))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim);
    host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_cookie_is_read_among_others() {
        let h = headers(&[
            ("cookie", "lang=id; siaga_session=abc123"),
            ("host", "siaga.local"),
        ]);
        assert_eq!(
            cookie_token(&h, &Method::GET).unwrap().as_deref(),
            Some("abc123")
        );
        let h = headers(&[("cookie", "siaga_session=")]);
        assert_eq!(cookie_token(&h, &Method::GET).unwrap(), None);
    }

    #[test]
    fn cookie_changes_need_the_marker_header_and_the_same_origin() {
        fn post(pairs: &[(&'static str, &'static str)]) -> Result<Option<String>, ApiError> {
            cookie_token(&headers(pairs), &Method::POST)
        }
        let cookie = ("cookie", "siaga_session=abc");
        let host = ("host", "siaga.local:8112");
        assert!(post(&[cookie, host]).is_err());
        assert!(post(&[cookie, host, ("x-requested-with", "siaga")]).is_ok());
        assert!(
            post(&[
                cookie,
                host,
                ("x-requested-with", "siaga"),
                ("origin", "http://siaga.local:8112")
            ])
            .is_ok()
        );
        assert!(
            post(&[
                cookie,
                host,
                ("x-requested-with", "siaga"),
                ("origin", "http://evil.local:8112")
            ])
            .is_err()
        );
        // Behind a proxy the public host is the forwarded one.
        assert!(
            post(&[
                cookie,
                ("host", "127.0.0.1:8112"),
                ("x-forwarded-host", "siaga.example.id"),
                ("x-requested-with", "siaga"),
                ("origin", "https://siaga.example.id")
            ])
            .is_ok()
        );
        // A websocket handshake from another host is refused even though it is a GET.
        let get = cookie_token(
            &headers(&[cookie, host, ("origin", "http://other.siaga.local")]),
            &Method::GET,
        );
        assert!(get.is_err());
    }

    #[test]
    fn https_is_configured_or_said_by_the_proxy() {
        let plain = headers(&[]);
        let proxied = headers(&[("x-forwarded-proto", "https")]);
        assert!(!is_https(&plain, HttpsMode::Auto));
        assert!(is_https(&proxied, HttpsMode::Auto));
        assert!(is_https(&plain, HttpsMode::Always));
        assert!(!is_https(&proxied, HttpsMode::Never));
        let cookie = session_cookie("t0k", 60, true);
        assert_eq!(
            cookie.to_str().unwrap(),
            "siaga_session=t0k; Path=/api; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
    }
}
