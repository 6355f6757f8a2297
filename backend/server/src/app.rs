//! The running server: shared state, start-up, and graceful shutdown.
//!
//! The binary binds the listener; [`serve`] takes it already bound together with a shutdown future, so tests
//! bind `127.0.0.1:0`, spawn the server and talk to it with no race and no sleep.

use crate::api;
use crate::config::Config;
pub use crate::state::AppState;
use crate::store::Store;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// Opens the store named by the configuration and applies migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url(), config.max_connections).await?;
    store.migrate().await?;
    Ok(store)
}

/// Serves HTTP on `listener` (through [`crate::connections`]: header-read timeout, connection cap) until
/// `shutdown` completes, then finishes in-flight requests and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    // The log head before the geo index is read: the feed replays unit events from there, so a unit created or
    // moved on another instance meanwhile is not missed by this instance's index.
    let head = state.store.last_event_seq().await?;
    state.geo.reload(&state.store).await?;
    let roads = state.config.roads_graph_path();
    let geo = state.geo.clone();
    tokio::task::spawn_blocking(move || geo.load_roads(&roads)).await??;
    if let Some(csv) = &state.config.coverage.population_csv {
        state.geo.load_population(csv)?;
    }
    start_live(&state, head);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = crate::sla_runner::start(state.clone(), stop_rx.clone());
    let fallback = crate::jobs::routing_fallback::start(state.clone(), stop_rx.clone());
    let pusher = crate::jobs::push::start(state.clone(), head, stop_rx.clone());
    let pruner = crate::live::prune::start(state.clone(), stop_rx);
    let router = api::router(state.clone());
    tracing::info!(listen = %addr, engine = ?state.store.engine(), "siaga serving");
    crate::connections::serve(listener, router, &state.config.http, shutdown).await;
    let _ = stop_tx.send(true);
    let _ = runner.await;
    let _ = fallback.await;
    if let Some(pruner) = pruner {
        let _ = pruner.await;
    }
    if let Some(pusher) = pusher {
        let _ = pusher.await;
    }
    // Flush buffered positions and close websockets (with a resume hint) before the database goes.
    stop_live(&state).await;
    state.store.close().await;
    tracing::info!("siaga stopped");
    Ok(())
}

/// Starts the instance's live tasks: the event feed from log position `head` and the position writer. Later
/// calls do nothing.
fn start_live(state: &AppState, head: i64) {
    let live = &state.live;
    if !live.claim_start() {
        return;
    }
    let feed = tokio::spawn(crate::live::feed::run(
        state.clone(),
        head,
        live.shutdown_signal(),
    ));
    let writer = tokio::spawn(crate::service::positions::run_writer(
        state.clone(),
        live.shutdown_signal(),
    ));
    live.hold([feed, writer]);
}

/// Stops the live tasks: the position writer flushes every buffered fix, and every connected client is closed
/// with "server shutting down; resume from <seq>". Runs before the store closes.
async fn stop_live(state: &AppState) {
    for task in state.live.shut_down() {
        if tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .is_err()
        {
            tracing::warn!("a live background task did not stop within 10 s");
        }
    }
}

/// The OpenAPI document as committed at `docs/openapi.json` (pretty, final newline).
pub fn openapi_text() -> String {
    let (_, doc) = api::api_routes();
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_openapi_document_is_generated_from_the_routes() {
        let committed: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/openapi.json"))
                .expect("docs/openapi.json is JSON");
        let generated: serde_json::Value =
            serde_json::from_str(&super::openapi_text()).expect("the document serialises");
        assert!(
            committed == generated,
            "docs/openapi.json is stale: regenerate it with `siaga openapi > docs/openapi.json`, then \
             `npm run gen:api` in map-client/"
        );
    }
}
