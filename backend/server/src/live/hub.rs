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
use std::collections::{HashMap, HashSet};
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
    /// Who may be reached by what, so an event is offered only to the clients that can see it instead of
    /// being checked against every connected client (thousands of desks, most of another agency).
    index: AudienceIndex,
    /// Last seq offered to every queue; `None` until the feed has read the log head at start.
    head: Option<i64>,
}

/// The clients grouped by the part of their audience an event's [`Reach`](crate::events::Reach) names.
/// Every client is in exactly one group; the final word is still `PreparedEvent::visible_to`.
#[derive(Default)]
struct AudienceIndex {
    /// Dispatchers, by agency.
    by_agency: HashMap<String, Vec<u64>>,
    /// Responders, by unit.
    by_unit: HashMap<String, Vec<u64>>,
    /// Everyone else: supervisors, admins, call takers, and accounts without an agency or unit.
    broad: Vec<u64>,
}

impl AudienceIndex {
    fn group(&mut self, audience: &Audience) -> &mut Vec<u64> {
        match audience {
            Audience::Dispatcher { agency_id } if !agency_id.is_empty() => {
                self.by_agency.entry(agency_id.clone()).or_default()
            }
            Audience::Responder {
                unit_id: Some(unit_id),
            } => self.by_unit.entry(unit_id.clone()).or_default(),
            _ => &mut self.broad,
        }
    }

    fn add(&mut self, id: u64, audience: &Audience) {
        self.group(audience).push(id);
    }

    fn remove(&mut self, id: u64, audience: &Audience) {
        let group = self.group(audience);
        group.retain(|c| *c != id);
        // Empty groups are dropped so the maps do not grow with every agency or unit ever connected.
        if group.is_empty() {
            match audience {
                Audience::Dispatcher { agency_id } => {
                    self.by_agency.remove(agency_id);
                }
                Audience::Responder {
                    unit_id: Some(unit_id),
                } => {
                    self.by_unit.remove(unit_id);
                }
                _ => {}
            }
        }
    }

    /// The clients that may see an event of `reach`, each once, in no particular order.
    fn candidates<'a>(&'a self, reach: &'a crate::events::Reach) -> impl Iterator<Item = u64> + 'a {
        let dispatchers: Box<dyn Iterator<Item = &u64>> = match &reach.agency_ids {
            None => Box::new(self.by_agency.values().flatten()),
            Some(ids) => Box::new(ids.iter().filter_map(|a| self.by_agency.get(a)).flatten()),
        };
        let responders = reach
            .unit_id
            .as_ref()
            .and_then(|u| self.by_unit.get(u))
            .into_iter()
            .flatten();
        self.broad
            .iter()
            .chain(dispatchers)
            .chain(responders)
            .copied()
    }
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

impl HubState {
    /// Removes a client from the map and the index.
    fn remove(&mut self, id: u64) -> Option<Client> {
        let client = self.clients.remove(&id)?;
        self.index.remove(id, &client.audience);
        Some(client)
    }
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
        st.index.add(id, &audience);
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
        self.lock().remove(id);
    }

    /// Offers `events` (ascending seq, all after the current head) to every client allowed to see them and
    /// moves the head to `new_head`; drops the clients whose session an event revokes. Returns how many
    /// clients were dropped as slow consumers.
    pub fn publish(&self, events: &[Arc<PreparedEvent>], new_head: i64) -> usize {
        let mut st = self.lock();
        let mut slow = Vec::new();
        let mut ended = Vec::new();
        let mut gone = Vec::new();
        // Clients dropped in this pass get no later event of it.
        let mut dropped: HashSet<u64> = HashSet::new();
        for ev in events {
            if !ev.revoked_sessions.is_empty() {
                // Rare: a revocation is matched against every client's session.
                for (id, client) in &st.clients {
                    if !dropped.contains(id) && ev.revokes(&client.session) {
                        ended.push(*id);
                        dropped.insert(*id);
                    }
                }
            }
            for id in st.index.candidates(&ev.reach) {
                if dropped.contains(&id) {
                    continue;
                }
                let Some(client) = st.clients.get(&id) else {
                    continue;
                };
                if !ev.visible_to(&client.audience) {
                    continue;
                }
                match client.queue.try_send(Arc::clone(ev)) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        slow.push(id);
                        dropped.insert(id);
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        gone.push(id);
                        dropped.insert(id);
                    }
                }
            }
        }
        for id in gone {
            st.remove(id);
        }
        for (ids, why) in [(&slow, Kick::SlowConsumer), (&ended, Kick::SessionEnded)] {
            for id in ids {
                if let Some(mut client) = st.remove(*id)
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
        st.index = AudienceIndex::default();
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

    #[test]
    fn each_audience_gets_what_its_reach_names_and_leaving_clears_the_index() {
        let hub = Hub::default();
        hub.set_ready(0);
        let desk = |a: &str| Audience::Dispatcher {
            agency_id: a.into(),
        };
        let mut a1 = hub.register(desk("a"), "s1", 10).unwrap();
        let mut a2 = hub.register(desk("a"), "s2", 10).unwrap();
        let mut b = hub.register(desk("b"), "s3", 10).unwrap();
        let mut crew = hub
            .register(
                Audience::Responder {
                    unit_id: Some("u1".into()),
                },
                "s4",
                10,
            )
            .unwrap();
        let mut boss = hub
            .register(Audience::Overseer { region: None }, "s5", 10)
            .unwrap();
        let mut for_unit = EventRow {
            seq: 3,
            at: 0,
            event_type: "assignment.created".into(),
            agency_ids: Some("b".into()),
            unit_id: Some("u1".into()),
            region_code: None,
            payload: "{}".into(),
        };
        let unit_event = Arc::new(PreparedEvent::from_row(for_unit.clone()));
        hub.publish(&[ev(1, Some("a")), ev(2, None), unit_event], 3);
        let seqs = |r: &mut Registration| {
            std::iter::from_fn(|| r.queue.try_recv().ok().map(|e| e.seq)).collect::<Vec<_>>()
        };
        assert_eq!(seqs(&mut a1), [1, 2]);
        assert_eq!(seqs(&mut a2), [1, 2]);
        assert_eq!(seqs(&mut b), [2, 3]);
        assert_eq!(seqs(&mut crew), [3]);
        assert_eq!(seqs(&mut boss), [1, 2, 3]);

        // Leaving removes the client from its group; the others of the agency still get its events.
        hub.unregister(a1.id);
        hub.unregister(crew.id);
        for_unit.seq = 5;
        hub.publish(
            &[
                ev(4, Some("a")),
                Arc::new(PreparedEvent::from_row(for_unit)),
            ],
            5,
        );
        assert_eq!(seqs(&mut a2), [4]);
        assert_eq!(seqs(&mut b), [5]);
        assert_eq!(seqs(&mut boss), [4, 5]);
        let st = hub.lock();
        assert_eq!(st.index.by_agency["a"], [a2.id]);
        assert!(!st.index.by_unit.contains_key("u1"));
    }
}
