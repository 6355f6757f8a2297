//! One websocket connection: hello, replay of missed events, the live stream, positions in, keepalive. The
//! upgrade itself is the HTTP endpoint `api::live`; a position frame is handed to `service::positions`.
//!
//! Hand-over from replay to live (the ordering invariant): the connection first replays from the database
//! up to the hub's current head without being registered (so a long replay cannot overflow its queue),
//! then registers, which returns the head H at registration; it replays again up to H, and from then on
//! takes events from its queue, all of which have seq > H. `cursor` is the last seq processed; any queued
//! event with seq ≤ cursor is skipped, so the client sees every event it may see exactly once, in order.
//!
//! The connection ends with a close frame whose reason says where to resume: `slow consumer; resume from
//! <seq>` (its queue overflowed), `idle timeout`, `session ended` / `token expired` / `account disabled`
//! (code 4001: log in again), or `server shutting down; resume from <seq>`.
//!
//! Session end: a logout, force logout, disabled account or password reset appends an internal
//! `session.revoked` entry to the log in the transaction that revokes the session. The feed of every
//! instance hands it to its hub, which drops this connection's queue at that entry, so no event after the
//! revocation reaches the client; a replay stops at it the same way. A revocation committed before this
//! connection registered is caught by one look at the session right after registering, and the session's
//! expiry by a timer. The look at each ping stays as the last line of defence.

use super::event::{Audience, ControlFrame, HelloUser, PreparedEvent};
use super::hub::Kick;
use super::position::PositionFix;
use crate::auth::Actor;
use crate::error::{ApiError, ErrorCode};
use crate::json::parse_json;
use crate::service::positions::accept_fix;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::SinkExt;
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Close codes (4000–4999 are the application's).
pub mod close_code {
    /// The server is stopping; resume on another instance or after restart.
    pub const GOING_AWAY: u16 = 1001;
    /// An unexpected server error; resume shortly.
    pub const INTERNAL: u16 = 1011;
    /// The session was revoked or expired, or the account disabled: log in again.
    pub const SESSION_ENDED: u16 = 4001;
    /// The client did not keep up; resume from the seq in the reason.
    pub const SLOW_CONSUMER: u16 = 4002;
    /// Nothing was heard from the client (not even a pong) for the idle timeout.
    pub const IDLE_TIMEOUT: u16 = 4003;
}

/// Largest client message; positions are a few hundred bytes.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

/// Events read per replay query.
const REPLAY_BATCH: i64 = 500;

/// Most queued frames written with one flush.
const BURST_MAX: usize = 64;

/// Runs one upgraded connection of `actor` to its end, resuming after `resume_from` when given (the endpoint,
/// `api::live`, has checked it is ≥ 0).
pub async fn serve(state: AppState, actor: Actor, socket: WebSocket, resume_from: Option<i64>) {
    let mut conn = Connection::new(state, actor, socket);
    conn.run(resume_from).await;
}

/// How a connection ended, and the close frame it sends.
struct End {
    code: u16,
    reason: String,
}

struct Connection {
    state: AppState,
    actor: Actor,
    audience: Audience,
    socket: WebSocket,
    /// Last log seq handled (sent, or skipped as not visible).
    cursor: i64,
    registration: Option<u64>,
    last_heard: Instant,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(id) = self.registration.take() {
            self.state.live.hub().unregister(id);
        }
    }
}

impl Connection {
    fn new(state: AppState, actor: Actor, socket: WebSocket) -> Connection {
        Connection {
            audience: Audience::of(&actor),
            state,
            actor,
            socket,
            cursor: 0,
            registration: None,
            last_heard: Instant::now(),
        }
    }

    async fn run(&mut self, resume_from: Option<i64>) {
        let end = match self.stream(resume_from).await {
            Ok(end) | Err(end) => end,
        };
        tracing::debug!(user.id = %self.actor.user.id, code = end.code, reason = %end.reason,
            "websocket closed");
        if end.code != 0 {
            let frame = CloseFrame {
                code: end.code,
                reason: end.reason.into(),
            };
            let _ = tokio::time::timeout(
                self.write_timeout(),
                self.socket.send(Message::Close(Some(frame))),
            )
            .await;
        }
    }

    fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.state.config.live.write_timeout_secs)
    }

    fn resume_hint(&self, what: &str) -> End {
        End {
            code: if what.starts_with("slow") {
                close_code::SLOW_CONSUMER
            } else {
                close_code::GOING_AWAY
            },
            reason: format!("{what}; resume from {}", self.cursor),
        }
    }

    async fn send(&mut self, text: Utf8Bytes) -> Result<(), End> {
        match tokio::time::timeout(self.write_timeout(), self.socket.send(Message::Text(text)))
            .await
        {
            Ok(Ok(())) => Ok(()),
            // The peer is gone or stopped reading entirely; no close frame can get through.
            _ => Err(End {
                code: 0,
                reason: "write failed".into(),
            }),
        }
    }

    /// Writes the events of `burst` this connection has not sent yet, in order, and flushes once.
    async fn send_burst(&mut self, burst: &[Arc<PreparedEvent>]) -> Result<(), End> {
        let cursor = self.cursor;
        let timeout = self.write_timeout();
        let socket = &mut self.socket;
        let write = async {
            for event in burst.iter().filter(|e| e.seq > cursor) {
                socket.feed(Message::Text(event.text.clone())).await?;
            }
            socket.flush().await
        };
        match tokio::time::timeout(timeout, write).await {
            Ok(Ok(())) => {
                self.cursor = burst.iter().map(|e| e.seq).fold(cursor, i64::max);
                Ok(())
            }
            _ => Err(End {
                code: 0,
                reason: "write failed".into(),
            }),
        }
    }

    async fn send_control(&mut self, frame: ControlFrame) -> Result<(), End> {
        self.send(frame.to_text()).await
    }

    fn internal(&self, e: impl std::fmt::Display) -> End {
        tracing::error!(error = %e, user.id = %self.actor.user.id, "websocket stream failed");
        End {
            code: close_code::INTERNAL,
            reason: format!("internal error; resume from {}", self.cursor),
        }
    }

    /// Sends every visible event with cursor < seq ≤ `upto` from the database.
    async fn replay(&mut self, upto: i64) -> Result<(), End> {
        while self.cursor < upto {
            let rows = self
                .state
                .store
                .events_after(self.cursor, REPLAY_BATCH)
                .await
                .map_err(|e| self.internal(e))?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                if row.seq > upto {
                    self.cursor = upto;
                    return Ok(());
                }
                let event = PreparedEvent::from_row(row);
                if event.revokes(&self.actor.token_hash) {
                    return Err(session_end("session ended".into()));
                }
                if event.visible_to(&self.audience) {
                    self.send(event.text.clone()).await?;
                }
                self.cursor = event.seq;
            }
        }
        self.cursor = self.cursor.max(upto);
        Ok(())
    }

    async fn stream(&mut self, resume_from: Option<i64>) -> Result<End, End> {
        let live = self.state.live.clone();
        let hub = live.hub();
        let mut shutdown = live.shutdown_signal();
        if *shutdown.borrow_and_update() {
            return Ok(self.resume_hint("server shutting down"));
        }
        hub.wait_ready().await;
        let now = self.state.now_ms();
        let user = HelloUser {
            id: self.actor.user.id.clone(),
            username: self.actor.user.username.clone(),
            display_name: self.actor.user.display_name.clone(),
            agency_id: self.actor.user.agency_id.clone(),
            unit_id: self.actor.user.unit_id.clone(),
            region_code: self.actor.user.region_code.clone(),
        };
        let capacity = self.state.config.live.client_queue_len;

        // Decide whether the requested position can be served before anything is sent.
        let mut resync = None;
        if let Some(requested) = resume_from {
            let store = &self.state.store;
            let oldest = store
                .first_event_seq()
                .await
                .map_err(|e| self.internal(e))?;
            let newest = store.last_event_seq().await.map_err(|e| self.internal(e))?;
            if requested > newest {
                resync = Some((requested, oldest, "resume_from is newer than the event log"));
            } else if oldest > 0 && requested + 1 < oldest {
                resync = Some((
                    requested,
                    oldest,
                    "events after resume_from are no longer kept",
                ));
            }
        }

        let mut registration = match (resume_from, resync) {
            (Some(requested), None) => {
                self.send_control(ControlFrame::Hello {
                    seq: requested,
                    at: now,
                    user,
                    role: self.actor.role,
                    resumed: true,
                })
                .await?;
                self.cursor = requested;
                // Catch up unregistered first, so a long replay cannot overflow the queue.
                if let Some(head) = hub.head() {
                    self.replay(head).await?;
                }
                let reg = hub
                    .register(self.audience.clone(), &self.actor.token_hash, capacity)
                    .ok_or_else(|| self.internal("hub not ready"))?;
                self.registration = Some(reg.id);
                self.replay(reg.head).await?;
                reg
            }
            (_, resync) => {
                let reg = hub
                    .register(self.audience.clone(), &self.actor.token_hash, capacity)
                    .ok_or_else(|| self.internal("hub not ready"))?;
                self.registration = Some(reg.id);
                self.cursor = reg.head;
                self.send_control(ControlFrame::Hello {
                    seq: reg.head,
                    at: now,
                    user,
                    role: self.actor.role,
                    resumed: false,
                })
                .await?;
                if let Some((requested, oldest_seq, reason)) = resync {
                    self.send_control(ControlFrame::ResyncRequired {
                        seq: reg.head,
                        at: now,
                        requested,
                        oldest_seq,
                        reason: reason.into(),
                    })
                    .await?;
                }
                reg
            }
        };

        // Registered: every later revocation reaches the hub; one that came before is in the database.
        let expires_at = check_session(self.state.clone(), self.actor.token_hash.clone()).await?;
        let expiry = match expires_at {
            Some(at) => {
                let left_ms = u64::try_from(at - self.state.now_ms()).unwrap_or(0);
                tokio::time::Instant::now() + Duration::from_millis(left_ms)
            }
            // The database could not say; the check at each ping will.
            None => far_future(),
        };
        let expiry = tokio::time::sleep_until(expiry);
        tokio::pin!(expiry);

        let ping_every = Duration::from_secs(self.state.config.live.ping_interval_secs);
        let idle_timeout = Duration::from_secs(self.state.config.live.idle_timeout_secs);
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
        self.last_heard = Instant::now();
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => return Ok(self.resume_hint("server shutting down")),
                kick = &mut registration.kicked => {
                    self.registration = None;
                    return Ok(match kick {
                        Ok(Kick::SessionEnded) => session_end("session ended".into()),
                        Ok(Kick::ShuttingDown) => self.resume_hint("server shutting down"),
                        Ok(Kick::SlowConsumer) | Err(_) => self.resume_hint("slow consumer"),
                    });
                }
                () = &mut expiry => return Ok(session_end("token expired".into())),
                incoming = self.socket.recv() => {
                    let Some(Ok(message)) = incoming else {
                        return Ok(End { code: 0, reason: "client went away".into() });
                    };
                    self.last_heard = Instant::now();
                    match message {
                        Message::Text(text) => self.on_text(text.as_str()).await?,
                        Message::Binary(_) => {
                            self.send_error(ApiError::new(ErrorCode::BadRequest,
                                "binary frames are not accepted; send JSON text"), None).await?;
                        }
                        Message::Close(_) => return Ok(End { code: 0, reason: "client closed".into() }),
                        Message::Ping(_) | Message::Pong(_) => {}
                    }
                }
                event = registration.queue.recv() => {
                    let Some(event) = event else {
                        return Ok(self.resume_hint("slow consumer"));
                    };
                    // The frames queued behind it go out with it: one flush (one write) for a burst.
                    let mut burst = vec![event];
                    while burst.len() < BURST_MAX
                        && let Ok(next) = registration.queue.try_recv()
                    {
                        burst.push(next);
                    }
                    self.send_burst(&burst).await?;
                }
                _ = ping.tick() => {
                    if self.last_heard.elapsed() > idle_timeout {
                        return Ok(End { code: close_code::IDLE_TIMEOUT, reason: "idle timeout".into() });
                    }
                    check_session(self.state.clone(), self.actor.token_hash.clone()).await?;
                    match tokio::time::timeout(self.write_timeout(),
                        self.socket.send(Message::Ping(Default::default()))).await {
                        Ok(Ok(())) => {}
                        _ => return Err(End { code: 0, reason: "write failed".into() }),
                    }
                }
            }
        }
    }

    async fn send_error(
        &mut self,
        e: ApiError,
        r#ref: Option<serde_json::Value>,
    ) -> Result<(), End> {
        let frame = ControlFrame::Error {
            at: self.state.now_ms(),
            code: e.code,
            message: e.message,
            field: e.field,
            r#ref,
        };
        self.send_control(frame).await
    }

    /// Handles one client text frame; refusals become error frames and the connection stays open.
    async fn on_text(&mut self, text: &str) -> Result<(), End> {
        let frame = match parse_client_frame(text, self.actor.user.unit_id.as_deref()) {
            Ok(frame) => frame,
            Err(refused) => return self.send_error(refused.error, refused.r#ref).await,
        };
        match frame {
            ClientFrame::Position {
                unit_id,
                fix,
                r#ref,
            } => match accept_fix(&self.state, &self.actor, &unit_id, fix).await {
                Ok(accepted) => {
                    let frame = ControlFrame::PositionAck {
                        at: self.state.now_ms(),
                        unit_id: accepted.unit_id,
                        position_at: accepted.position_at,
                        r#ref,
                    };
                    self.send_control(frame).await
                }
                Err(e) => self.send_error(e, r#ref).await,
            },
        }
    }
}

/// A client text frame, parsed and shape-checked (the fix itself is checked by `accept_fix`).
#[derive(Debug, Clone)]
pub enum ClientFrame {
    /// `{"type": "position", …}`: a GPS fix for `unit_id` (the sender's own unit when the frame names none).
    Position {
        /// The unit the fix is for.
        unit_id: String,
        /// The fix.
        fix: PositionFix,
        /// The client's correlation value, echoed in the answer.
        r#ref: Option<serde_json::Value>,
    },
}

/// A refused client frame: the error frame to send, and the client's `ref` when it could be read.
#[derive(Debug)]
pub struct FrameRefused {
    /// What is wrong (naming the field where there is one).
    pub error: ApiError,
    /// The frame's `ref`, echoed in the error frame.
    pub r#ref: Option<serde_json::Value>,
}

/// Parses one client text frame. Pure: `own_unit_id` is the sender's unit, the default `unit_id`.
///
/// # Errors
///
/// [`FrameRefused`] for invalid JSON, a missing or unknown `type`, a malformed position, or a position without
/// a unit.
pub fn parse_client_frame(
    text: &str,
    own_unit_id: Option<&str>,
) -> Result<ClientFrame, FrameRefused> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| FrameRefused {
        error: ApiError::new(ErrorCode::InvalidJson, format!("invalid JSON: {e}")),
        r#ref: None,
    })?;
    let r#ref = value.get("ref").cloned();
    let refuse = |error: ApiError, r#ref: Option<serde_json::Value>| FrameRefused { error, r#ref };
    match value.get("type").and_then(|t| t.as_str()) {
        Some("position") => {
            let msg: PositionMessage = match parse_json(text.as_bytes()) {
                Ok(m) => m,
                Err(e) => return Err(refuse(e, r#ref)),
            };
            let fix = msg.fix();
            let Some(unit_id) = msg.unit_id.or_else(|| own_unit_id.map(str::to_owned)) else {
                return Err(refuse(
                    ApiError::validation(
                        "unit_id",
                        "unit_id is required: this account has no unit",
                    ),
                    r#ref,
                ));
            };
            Ok(ClientFrame::Position {
                unit_id,
                fix,
                r#ref,
            })
        }
        Some(other) => Err(refuse(
            ApiError::new(
                ErrorCode::BadRequest,
                format!("unknown message type `{other}`; expected `position`"),
            )
            .with_field("type"),
            r#ref,
        )),
        None => Err(refuse(
            ApiError::new(
                ErrorCode::BadRequest,
                "a message is a JSON object with a string `type`",
            )
            .with_field("type"),
            r#ref,
        )),
    }
}

/// `{"type": "position", …fix}` from a client; `unit_id` defaults to the responder's own unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionMessage {
    #[serde(rename = "type")]
    _type: String,
    #[serde(rename = "ref")]
    _ref: Option<serde_json::Value>,
    unit_id: Option<String>,
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
    heading_deg: Option<f64>,
    speed_mps: Option<f64>,
    at: i64,
}

impl PositionMessage {
    fn fix(&self) -> PositionFix {
        PositionFix {
            lat: self.lat,
            lon: self.lon,
            accuracy_m: self.accuracy_m,
            heading_deg: self.heading_deg,
            speed_mps: self.speed_mps,
            at: self.at,
        }
    }
}

/// The close that sends the client back to the login.
fn session_end(reason: String) -> End {
    End {
        code: close_code::SESSION_ENDED,
        reason,
    }
}

/// An instant no connection lives to see.
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(100 * 365 * 86_400)
}

/// The connection's session as the database has it now: its expiry while it holds (`None` when the database
/// could not answer: a hiccup is not the client's fault, the next look decides), the close when it ended.
/// Takes owned values: a connection holds its socket, which is not `Sync`, so a borrow of it must not live
/// across this await.
async fn check_session(state: AppState, token_hash: String) -> Result<Option<i64>, End> {
    match state.store.find_session(&token_hash).await {
        Ok(Some(s)) if s.revoked_at.is_some() => Err(session_end("session ended".into())),
        Ok(Some(s)) if s.expires_at <= state.now_ms() => Err(session_end("token expired".into())),
        Ok(Some(s)) if !s.user.active => Err(session_end("account disabled".into())),
        Ok(Some(s)) => Ok(Some(s.expires_at)),
        Ok(None) => Err(session_end("session ended".into())),
        Err(_) => Ok(None),
    }
}
