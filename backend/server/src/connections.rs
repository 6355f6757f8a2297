//! The connection edge: the accept loop `axum::serve` would be, plus the limits it does not offer.
//!
//! * A header-read timeout (`http.header_read_timeout_secs`): a client that has not sent a whole request head
//!   in time is disconnected. hyper starts the same timer when a kept-alive connection goes idle after a
//!   response, so it is also the idle keep-alive timeout.
//! * A cap on open connections (`http.max_open_connections`): each connection holds a permit for as long as
//!   its socket lives, websockets included (the permit travels inside the socket hyper hands over on an
//!   upgrade). A connection beyond the cap is answered a bare 503 and closed at once, so a flood of idle or
//!   half-sent connections cannot exhaust file descriptors while the connections already open keep working.
//! * Graceful shutdown as `axum::serve` does it: stop accepting, let in-flight requests finish (bounded by
//!   the request timeout layer), close idle connections, and return once every HTTP connection has ended.
//!   Upgraded websockets have left hyper by then; `app` closes them with a resume hint.
//!
//! Only HTTP/1.1 is served: the header-read timeout exists for HTTP/1 alone, and browsers speak HTTP/2 only
//! over TLS, which the reverse proxy in front terminates.

use crate::config::HttpConfig;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

/// What a connection beyond the cap is told before it is closed.
const REFUSAL: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 2\r\n\
connection: close\r\n\r\n";

/// How often, at most, refused connections are logged (a flood must not flood the log too).
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes, then finishes in-flight requests and returns
/// once every HTTP connection has ended.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &HttpConfig,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_open_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs));
    // Connection tasks watch `stop`; each holds a clone of `running`, so `recv` ends once all have ended.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (running, mut all_ended) = mpsc::channel::<()>(1);
    let mut refused = Refusals::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            // A fresh socket's send buffer is empty: the write completes at once or not at all.
            let _ = stream.try_write(REFUSAL);
            refused.note(limits.max_open_connections);
            continue;
        };
        let io = TokioIo::new(Counted {
            stream,
            _permit: permit,
        });
        // The peer address reaches the handlers as axum's `ConnectInfo` (`extract::ClientIp`: the login
        // throttle counts per source).
        let service = tower::util::MapRequest::new(
            router.clone(),
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            },
        );
        let conn = http
            .serve_connection(io, TowerToHyperService::new(service))
            .with_upgrades();
        let mut stop = stop_rx.clone();
        let running = running.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                () = async { drop(stop.wait_for(|stop| *stop).await) } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                // Header timeouts, resets and malformed requests: the client's business, not an error here.
                tracing::debug!(error = %e, "connection ended");
            }
            drop(running);
        });
    }
    drop(listener);
    stop_tx.send_replace(true);
    drop(running);
    let _ = all_ended.recv().await;
}

/// Logs refused connections, at most once per [`REFUSAL_LOG_EVERY`].
#[derive(Default)]
struct Refusals {
    count: u64,
    logged_at: Option<Instant>,
}

impl Refusals {
    fn note(&mut self, cap: usize) {
        self.count += 1;
        if self
            .logged_at
            .is_none_or(|at| at.elapsed() >= REFUSAL_LOG_EVERY)
        {
            tracing::warn!(
                refused = self.count,
                max_open_connections = cap,
                "refusing connections: every allowed connection is open"
            );
            self.count = 0;
            self.logged_at = Some(Instant::now());
        }
    }
}

/// Accept errors: a client that gave up before it was accepted is nothing; anything else (out of file
/// descriptors) is logged and retried after a second, as hyper and axum do, rather than spinning.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A client socket that holds its connection permit until it is dropped, also after an upgrade hands it to a
/// websocket.
struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
