//! The fan-out of one instance: connected clients, each with a bounded queue, fed by the event feed.
//!
//! Invariant: the hub's `head` is the sequence number up to which events have been offered to every
//! registered queue. A client that registers while the head is H receives, through its queue, exactly the
//! events with seq > H that its audience allows; everything up to H it must read from the database. Both
//! `publish` and `register` run under one lock, which is what makes that hand-over exact.
//!
//! A full queue never blocks the feed: the client is removed and told, through its kick channel, to close
//! with "slow consumer; resume from <seq>". Memory per client is bounded by the queue length.

use super::event::{Audience, PreparedEvent};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, watch};

/// A registered client as the hub sees it.
struct Client {
    audience: Audience,
    queue: mpsc::Sender<Arc<PreparedEvent>>,
    kick: Option<oneshot::Sender<()>>,
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
    /// Fires when the hub dropped the client because its queue was full.
    pub kicked: oneshot::Receiver<()>,
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

    /// Adds a client with a queue of `capacity` events.
    pub fn register(&self, audience: Audience, capacity: usize) -> Option<Registration> {
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
    /// moves the head to `new_head`. Returns how many clients were dropped as slow consumers.
    pub fn publish(&self, events: &[Arc<PreparedEvent>], new_head: i64) -> usize {
        let mut st = self.lock();
        let mut slow = Vec::new();
        let mut gone = Vec::new();
        for (id, client) in &st.clients {
            for ev in events {
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
        for id in &slow {
            if let Some(mut client) = st.clients.remove(id)
                && let Some(kick) = client.kick.take()
            {
                let _ = kick.send(());
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
                let _ = kick.send(());
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
        let mut slow = hub.register(all.clone(), 2).unwrap();
        let mut fast = hub.register(all, 100).unwrap();
        assert_eq!(slow.head, 10);
        let events: Vec<_> = (11..=15).map(|s| ev(s, None)).collect();
        assert_eq!(hub.publish(&events, 15), 1);
        assert!(slow.kicked.try_recv().is_ok());
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
            hub.register(Audience::Overseer { region: None }, 4)
                .is_none()
        );
        hub.set_ready(3);
        hub.publish(&[ev(4, None)], 4);
        let mut reg = hub
            .register(
                Audience::Dispatcher {
                    agency_id: "a".into(),
                },
                4,
            )
            .unwrap();
        assert_eq!(reg.head, 4);
        hub.publish(&[ev(5, Some("b")), ev(6, Some("a"))], 6);
        assert_eq!(reg.queue.try_recv().unwrap().seq, 6);
        assert!(reg.queue.try_recv().is_err());
    }
}
