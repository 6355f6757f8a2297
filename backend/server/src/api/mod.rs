//! The HTTP surface: one router (the API's table of contents), middleware, and the OpenAPI document
//! generated from the same registration.

pub mod doc;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod incidents;

pub mod agencies;
pub mod agents;
pub mod assignments;
pub mod audit;
pub mod auth;
pub mod call_backs;
pub mod calls;
pub mod geo;
pub mod live;
pub mod map;
pub mod positions;
pub mod push;
pub mod reports;
pub mod routing;
pub mod security;
pub mod system;
pub mod timeline;
pub mod users;

use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use error::{ApiError, ErrorCode, LoggedCause};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Siaga 112 API",
        description = "Computer-aided dispatch for Indonesian 112 centres. Every error body is \
            `{\"error\": {\"code\", \"message\", \"field\"?, \"allowed\"?}}`; `code` is stable.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(
        error::ErrorBody,
        ErrorCode,
        siaga_core::call::CallStatus,
        siaga_core::unit::UnitType,
        siaga_core::incident::Category,
        crate::events::DomainEvent,
        crate::live::event::EventEnvelope,
        crate::live::event::ControlFrame,
        crate::live::event::ClientPositionFrame
    )),
    tags(
        (name = "system", description = "Health, readiness, metrics"),
        (name = "auth", description = "Login, logout, sessions"),
        (name = "users", description = "Accounts and roles"),
        (name = "agencies", description = "OPD (agencies), their units and regions"),
        (name = "audit", description = "The append-only audit trail"),
        (name = "agents", description = "Agent states (ready, AUX, on call) and shift schedules"),
        (name = "reports", description = "KPIs, the monthly report and the incident heat map"),
        (name = "calls", description = "Calls to 112 and service lines (layer 1)"),
        (name = "incidents", description = "Incidents, escalation and dispatch (layer 2)"),
        (name = "assignments", description = "Units' assignments (layer 3)"),
        (name = "geo", description = "Locate, nearest units and facilities, map layers"),
        (name = "map", description = "Map client configuration and the offline basemap"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Token from POST /api/v1/auth/login"))
                    .build(),
            ),
        );
    }
}

/// The API routes and the OpenAPI document describing them.
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::healthz))
        .routes(routes!(system::readyz))
        .routes(routes!(system::metrics))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::update_user))
        .routes(routes!(users::force_logout))
        .routes(routes!(users::issue_service_token))
        .routes(routes!(agencies::list_agencies, agencies::create_agency))
        .routes(routes!(agencies::update_agency))
        .routes(routes!(agencies::list_units, agencies::create_unit))
        .routes(routes!(agencies::get_unit))
        .routes(routes!(agencies::update_unit_status))
        .routes(routes!(agencies::list_regions))
        .routes(routes!(audit::list_audit))
        .routes(routes!(agents::set_my_state))
        .routes(routes!(agents::list_agents))
        .routes(routes!(agents::upload_schedules))
        .routes(routes!(reports::kpi_report))
        .routes(routes!(reports::monthly_report))
        .routes(routes!(reports::heatmap))
        .routes(routes!(calls::create_call, calls::list_calls))
        .routes(routes!(calls::get_call))
        .routes(routes!(calls::answer_call))
        .routes(routes!(calls::classify_call))
        .routes(routes!(calls::end_call))
        .routes(routes!(calls::attach_aml))
        .routes(routes!(call_backs::caller_history))
        .routes(routes!(
            call_backs::list_call_backs,
            call_backs::request_call_back
        ))
        .routes(routes!(call_backs::claim_call_back))
        .routes(routes!(call_backs::record_call_back_outcome))
        .routes(routes!(routing::list_service_lines))
        .routes(routes!(routing::route_call))
        .routes(routes!(routing::take_call))
        .routes(routes!(routing::schedule_follow_ups))
        .routes(routes!(routing::list_follow_ups))
        .routes(routes!(routing::record_follow_up_outcome))
        .routes(routes!(
            incidents::create_incident,
            incidents::list_incidents
        ))
        .routes(routes!(incidents::find_duplicates))
        .routes(routes!(
            incidents::get_incident,
            incidents::correct_incident
        ))
        .routes(routes!(incidents::link_call))
        .routes(routes!(incidents::verify_incident))
        .routes(routes!(incidents::reject_incident))
        .routes(routes!(incidents::escalate_incident))
        .routes(routes!(incidents::recommendations))
        .routes(routes!(incidents::incident_route))
        .routes(routes!(incidents::create_assignment))
        .routes(routes!(incidents::close_incident))
        .routes(routes!(incidents::cancel_incident))
        .routes(routes!(incidents::merge_incident))
        .routes(routes!(timeline::get_timeline, timeline::add_note))
        .routes(routes!(assignments::list_assignments))
        .routes(routes!(assignments::get_assignment))
        .routes(routes!(assignments::update_assignment_status))
        .routes(routes!(geo::locate))
        .routes(routes!(geo::coverage))
        .routes(routes!(geo::nearest_units))
        .routes(routes!(geo::search_places))
        .routes(routes!(geo::regions_geojson))
        .routes(routes!(geo::facilities_geojson))
        .routes(routes!(map::client_config))
        .routes(routes!(map::basemap))
        .routes(routes!(live::connect_live))
        .routes(routes!(positions::report_unit_position))
        .routes(routes!(positions::report_positions))
        .routes(routes!(push::subscribe, push::unsubscribe))
        .split_for_parts();
    // After the merge: the routes' operations exist only now.
    doc::CommonErrors.modify(&mut openapi);
    (router, openapi)
}

/// The whole HTTP application: API, OpenAPI document, metrics, and the built map client, every response with
/// the security headers ([`security`]).
pub fn router(state: AppState) -> Router {
    let https = state.config.http.https;
    security::with_security_headers(application(state), https)
}

fn application(state: AppState) -> Router {
    let (api, openapi) = api_routes();
    let openapi = Arc::new(openapi);
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let static_dir = state.config.static_dir.clone();
    // The client's build leaves next to each file its brotli (quality 11) and gzip (level 9) forms
    // (`map-client/scripts/precompress.mjs`); they are sent as they are when the browser accepts them, smaller
    // than what on-the-fly compression makes (MapLibre: 246 kB instead of 301 kB). Other files are compressed
    // on the fly (`compression`), which leaves a response that already has its encoding alone.
    let spa = ServeDir::new(&static_dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(static_dir.join("index.html"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    // Glyph ranges the map asks for by codepoint: a range that is not there is a 404 (MapLibre then draws
    // those characters with a local font), never the app shell's HTML.
    let glyphs = ServeDir::new(static_dir.join("glyphs"))
        .precompressed_br()
        .precompressed_gzip();

    api.route(
        "/api/openapi.json",
        get(move || {
            let doc = Arc::clone(&openapi);
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    )
    .route("/api/{*rest}", axum::routing::any(unknown_api_route))
    .route_layer(middleware::from_fn_with_state(
        state.clone(),
        idempotency::idempotency,
    ))
    .route_layer(middleware::from_fn(extract::refuse_unreadable_path))
    .route_layer(middleware::from_fn_with_state(state.clone(), observe))
    .nest_service("/glyphs", glyphs)
    .fallback_service(spa)
    .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
    .layer(middleware::from_fn_with_state(timeout, request_timeout))
    .layer(CatchPanicLayer::custom(panic_response))
    .layer(middleware::from_fn(cache_policy))
    .layer(compression())
    .layer(TraceLayer::new_for_http().make_span_with(request_span))
    .with_state(state)
}

/// gzip or brotli, as the client accepts, for every response worth it (tower-http's default: over 32 bytes,
/// not images, not event streams) — except a websocket upgrade, whose connection is no longer HTTP. MapLibre
/// alone is 1.1 MB raw and 0.3 MB gzipped, which is what a responder's phone on patchy data pays.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().compress_when(DefaultPredicate::new().and(
        |status: StatusCode,
         _: axum::http::Version,
         _: &axum::http::HeaderMap,
         _: &axum::http::Extensions| { status != StatusCode::SWITCHING_PROTOCOLS },
    ))
}

/// Caching: Vite's content-hashed assets (`/assets/…`) never change, so browsers keep them a year without
/// asking; the pages and the service worker are revalidated on every load so a new release is picked up;
/// API answers (personal data) are never stored by a browser or a proxy.
async fn cache_policy(req: Request, next: Next) -> Response {
    let policy = cache_control_for(req.uri().path());
    let mut response = next.run(req).await;
    if !response
        .headers()
        .contains_key(axum::http::header::CACHE_CONTROL)
    {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static(policy),
        );
    }
    response
}

fn cache_control_for(path: &str) -> &'static str {
    if path.starts_with("/api/") || path == "/metrics" {
        "no-store"
    } else if path.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Answers a request that takes longer than `limit` with 503 `unavailable` in the error envelope; its work
/// is dropped, so nothing it had not committed is kept and the client may retry.
async fn request_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => timed_out(limit),
    }
}

fn timed_out(limit: Duration) -> Response {
    ApiError::new(
        ErrorCode::Unavailable,
        format!(
            "the request took longer than {} s and was abandoned; retry shortly",
            limit.as_secs()
        ),
    )
    .into_response()
}

/// The span of one request, as tower-http's default (`DEBUG`, method, URI, version) but with the URI's
/// `access_token` hidden.
fn request_span(req: &Request) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %req.method(),
        uri = %redact_access_token(req.uri()),
        version = ?req.version(),
    )
}

/// The URI as logged: the value of any `access_token` query parameter (read on the websocket route,
/// `extract::TOKEN_IN_QUERY_ROUTE`) replaced, so a bearer token never reaches the logs.
pub fn redact_access_token(uri: &axum::http::Uri) -> std::borrow::Cow<'_, str> {
    let Some(query) = uri.query() else {
        return uri.path().into();
    };
    let query: Vec<&str> = query
        .split('&')
        .map(|pair| {
            let key = form_urlencoded::parse(pair.as_bytes())
                .next()
                .map(|(k, _)| k);
            if key.is_some_and(|k| k == "access_token") {
                "access_token=REDACTED"
            } else {
                pair
            }
        })
        .collect();
    format!("{}?{}", uri.path(), query.join("&")).into()
}

async fn unknown_api_route() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such API endpoint")
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(ErrorCode::Internal, "internal error").into_response()
}

/// Counts and times each request by route template, and logs the cause of any 5xx once.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status();
    if let Some(LoggedCause(cause)) = response.extensions().get::<LoggedCause>() {
        tracing::error!(http.route = %route, http.status = status.as_u16(), error = ?cause, "request failed");
    }
    state.metrics.observe(
        &method,
        &route,
        status.as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::redact_access_token;

    #[test]
    fn the_logged_uri_hides_the_access_token_and_keeps_the_rest() {
        let cases = [
            ("/api/v1/ws", "/api/v1/ws"),
            (
                "/api/v1/ws?access_token=abc123&resume_from=7",
                "/api/v1/ws?access_token=REDACTED&resume_from=7",
            ),
            (
                "/api/v1/ws?resume_from=7&access%5Ftoken=abc123&access_token",
                "/api/v1/ws?resume_from=7&access_token=REDACTED&access_token=REDACTED",
            ),
            ("/api/v1/audit?limit=5", "/api/v1/audit?limit=5"),
        ];
        for (uri, logged) in cases {
            let uri: axum::http::Uri = uri.parse().unwrap();
            assert_eq!(redact_access_token(&uri), logged);
        }
    }
}
