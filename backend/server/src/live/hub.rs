//! The fan-out of one instance: connected clients, each with a bounded queue, fed by the event feed.
//!
//! Invariant: the hub's `head` is the sequence number up to which events have been offered to every
//! registered queue. A client that registers while the head is H receives, through its queue, exactly the
//! events with seq > H that its audience allows; everything up to H it must read from the database. Both
//! `publish` and `register` run under one lock, which is what makes that hand-over exact.
//!
//! A full queue never blocks the feed: the client is removed and told, through its kick channel, to close
//! with "slow consumer; resume from <seq>". Memory per client is bounded by the queue length.
//!
//! A revoked session is handled in the same pass: when the feed publishes the internal `session.revoked`
//! entry naming a client's session, the client is removed and told to close with "session ended", and no
//! event after that entry reaches its queue.

use super::event::{Audience, PreparedEvent};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, watch};

/// A registered client as the hub sees it.
struct Client {
    audience: Audience,
    /// The token hash of the client's session.
    session: String,
    queue: mpsc::Sender<Arc<PreparedEvent>>,
    kick: Option<oneshot::Sender<Kick>>,
}

/// Why the hub dropped a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kick {
    /// Its queue was full: it resumes from where it was.
    SlowConsumer,
    /// Its session was revoked: it must log in again.
    SessionEnded,
    /// The instance is stopping.
    ShuttingDown,
}

#[derive(Default)]
struct HubState {
    next_id: u64,
    clients: HashMap<u64, Client>,
    /// Last seq offered to every queue; `None` until the feed has read the log head at start.
    head: Option<i64>,
}

/// Connected clients of this instance and the position of the feed.
pub struct Hub {
    // A std mutex: publish and register do a few map operations and `try_send`s, never await.
    state: Mutex<HubState>,
    /// Flips to `Some(head)` once the feed knows where the log ends; connections wait for it.
    ready: watch::Sender<Option<i64>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            state: Mutex::default(),
            ready: watch::channel(None).0,
        }
    }
}

/// What a connection gets when it registers.
pub struct Registration {
    /// Its id, for [`Hub::unregister`].
    pub id: u64,
    /// Events with seq > `head` that its audience may see.
    pub queue: mpsc::Receiver<Arc<PreparedEvent>>,
    /// Fires when the hub dropped the client, saying why.
    pub kicked: oneshot::Receiver<Kick>,
    /// The feed position at registration.
    pub head: i64,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the starting head (once, by the feed) and releases waiting connections.
    pub fn set_ready(&self, head: i64) {
        let mut st = self.lock();
        if st.head.is_none() {
            st.head = Some(head);
        }
        let head = st.head.unwrap_or(head);
        drop(st);
        self.ready.send_replace(Some(head));
    }

    /// Waits until the feed has started.
    pub async fn wait_ready(&self) {
        let mut rx = self.ready.subscribe();
        // The sender lives as long as the hub, so this only returns once ready.
        let _ = rx.wait_for(Option::is_some).await;
    }

    /// The feed position: every event up to it has been offered to registered clients.
    pub fn head(&self) -> Option<i64> {
        self.lock().head
    }

    /// Number of connected clients.
    pub fn client_count(&self) -> usize {
        self.lock().clients.len()
    }

    /// Adds a client of the session with this token hash, with a queue of `capacity` events.
    pub fn register(
        &self,
        audience: Audience,
        session: &str,
        capacity: usize,
    ) -> Option<Registration> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (kick_tx, kick_rx) = oneshot::channel();
        let mut st = self.lock();
        let head = st.head?;
        st.next_id += 1;
        let id = st.next_id;
        st.clients.insert(
            id,
            Client {
                audience,
                session: session.to_owned(),
                queue: tx,
                kick: Some(kick_tx),
            },
        );
        Some(Registration {
            id,
            queue: rx,
            kicked: kick_rx,
            head,
        })
    }

    /// Removes a client (its connection ended).
    pub fn unregister(&self, id: u64) {
        self.lock().clients.remove(&id);
    }

    /// Offers `events` (ascending seq, all after the current head) to every client allowed to see them and
    /// moves the head to `new_head`; drops the clients whose session an event revokes. Returns how many
    /// clients were dropped as slow consumers.
    pub fn publish(&self, events: &[Arc<PreparedEvent>], new_head: i64) -> usize {
        let mut st = self.lock();
        let mut slow = Vec::new();
        let mut ended = Vec::new();
        let mut gone = Vec::new();
        for (id, client) in &st.clients {
            for ev in events {
                if ev.revokes(&client.session) {
                    ended.push(*id);
                    break;
                }
                if !ev.visible_to(&client.audience) {
                    continue;
                }
                match client.queue.try_send(Arc::clone(ev)) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        slow.push(*id);
                        break;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        gone.push(*id);
                        break;
                    }
                }
            }
        }
        for id in gone {
            st.clients.remove(&id);
        }
        for (ids, why) in [(&slow, Kick::SlowConsumer), (&ended, Kick::SessionEnded)] {
            for id in ids {
                if let Some(mut client) = st.clients.remove(id)
                    && let Some(kick) = client.kick.take()
                {
                    let _ = kick.send(why);
                }
            }
        }
        if st.head.is_none_or(|h| new_head > h) {
            st.head = Some(new_head);
        }
        slow.len()
    }

    /// Kicks every client (server shutdown); each closes with a resume hint.
    pub fn kick_all(&self) {
        let mut st = self.lock();
        for (_, mut client) in st.clients.drain() {
            if let Some(kick) = client.kick.take() {
                let _ = kick.send(Kick::ShuttingDown);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EventRow;

    fn ev(seq: i64, agency: Option<&str>) -> Arc<PreparedEvent> {
        Arc::new(PreparedEvent::from_row(EventRow {
            seq,
            at: 0,
            event_type: "incident.created".into(),
            agency_ids: agency.map(Into::into),
            unit_id: None,
            region_code: None,
            payload: "{}".into(),
        }))
    }

    #[test]
    fn a_full_queue_drops_only_that_client() {
        let hub = Hub::default();
        hub.set_ready(10);
        let all = Audience::Overseer { region: None };
        let mut slow = hub.register(all.clone(), "s1", 2).unwrap();
        let mut fast = hub.register(all, "s2", 100).unwrap();
        assert_eq!(slow.head, 10);
        let events: Vec<_> = (11..=15).map(|s| ev(s, None)).collect();
        assert_eq!(hub.publish(&events, 15), 1);
        assert_eq!(slow.kicked.try_recv(), Ok(Kick::SlowConsumer));
        assert!(fast.kicked.try_recv().is_err());
        for seq in 11..=15 {
            assert_eq!(fast.queue.try_recv().unwrap().seq, seq);
        }
        assert_eq!(hub.client_count(), 1);
        assert_eq!(hub.head(), Some(15));
    }

    #[test]
    fn registration_sees_events_after_the_head_only() {
        let hub = Hub::default();
        assert!(
            hub.register(Audience::Overseer { region: None }, "s1", 4)
                .is_none()
        );
        hub.set_ready(3);
        hub.publish(&[ev(4, None)], 4);
        let mut reg = hub
            .register(
                Audience::Dispatcher {
                    agency_id: "a".into(),
                },
                "s1",
                4,
            )
            .unwrap();
        assert_eq!(reg.head, 4);
        hub.publish(&[ev(5, Some("b")), ev(6, Some("a"))], 6);
        assert_eq!(reg.queue.try_recv().unwrap().seq, 6);
        assert!(reg.queue.try_recv().is_err());
    }

    #[test]
    fn a_revoked_session_gets_nothing_after_its_revocation() {
        let hub = Hub::default();
        hub.set_ready(0);
        let all = Audience::Overseer { region: None };
        let mut revoked = hub.register(all.clone(), "gone", 10).unwrap();
        let mut other = hub.register(all, "kept", 10).unwrap();
        let revocation = Arc::new(PreparedEvent::from_row(EventRow {
            seq: 2,
            at: 0,
            event_type: crate::events::session::SessionsRevoked::row(&["gone".into()]).event_type,
            agency_ids: Some(String::new()),
            unit_id: None,
            region_code: None,
            payload: r#"{"sessions":["gone"]}"#.into(),
        }));
        assert_eq!(hub.publish(&[ev(1, None), revocation, ev(3, None)], 3), 0);
        assert_eq!(revoked.kicked.try_recv(), Ok(Kick::SessionEnded));
        assert_eq!(revoked.queue.try_recv().unwrap().seq, 1);
        assert!(revoked.queue.try_recv().is_err());
        // Everyone else sees the events, but never the internal entry.
        assert_eq!(other.queue.try_recv().unwrap().seq, 1);
        assert_eq!(other.queue.try_recv().unwrap().seq, 3);
        assert!(other.kicked.try_recv().is_err());
        assert_eq!(hub.client_count(), 1);
    }
}
