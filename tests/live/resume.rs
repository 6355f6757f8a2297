//! Resuming: after a drop a client gets exactly the events it missed, in order, then the live stream; a
//! position that is no longer kept (or never existed) is answered with resync_required.

use crate::{
    append, assert_increasing, broadcast, chrono_now_ms, event, events_until, log_after, seqs,
    server,
};
use serde_json::json;
use siaga_tests::{Engine, Options, TestServer, WS_WAIT, engine_tests};

engine_tests!(
    resume_after_a_forced_disconnect_has_exact_sequence_continuity,
    resume_while_events_keep_arriving_has_no_gap_and_no_duplicate,
    this_instances_commits_and_another_writers_interleave_without_a_gap_or_a_duplicate,
    a_dispatcher_resumes_with_only_the_events_its_agency_may_see,
    resume_from_a_seq_no_longer_kept_requires_a_resync,
    the_log_prunes_events_past_retention_and_a_resume_from_before_them_requires_a_resync,
);

async fn resume_after_a_forced_disconnect_has_exact_sequence_continuity(engine: Engine) {
    // Arrange: a supervisor (sees everything) connected and receiving.
    let srv = server(engine).await;
    let token = srv.demo_login("supervisor").await;
    let mut ws = srv.ws(&token).await;
    let hello = ws.next().await;
    let start = hello["seq"].as_i64().unwrap();
    let first = append(&srv, &broadcast(5, "before")).await;
    let got = events_until(&mut ws, *first.last().unwrap()).await;
    assert_eq!(seqs(&got), first);
    let last_seen = *first.last().unwrap();
    assert!(last_seen > start);

    // Act: the network drops; events keep being written; the client comes back.
    ws.cut();
    let missed = append(&srv, &broadcast(7, "missed")).await;
    let mut ws = srv.ws_resume(&token, last_seen).await;
    let hello = ws.next().await;
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["seq"], last_seen);
    assert_eq!(hello["resumed"], true);
    let replayed = events_until(&mut ws, *missed.last().unwrap()).await;
    let live = append(&srv, &broadcast(3, "after")).await;
    let live_got = events_until(&mut ws, *live.last().unwrap()).await;

    // Assert: exactly the missed events, then exactly the new ones.
    assert_eq!(seqs(&replayed), missed);
    assert!(replayed.iter().all(|f| f["label"] == "missed"));
    assert_eq!(seqs(&live_got), live);
}

async fn resume_while_events_keep_arriving_has_no_gap_and_no_duplicate(engine: Engine) {
    let srv = server(engine).await;
    let token = srv.demo_login("supervisor").await;
    let before = append(&srv, &broadcast(3, "before")).await;
    let resume_from = before[0];

    // A producer writes one event per transaction while the client resumes, so the replay/live hand-over
    // happens with commits in flight.
    let producer = {
        let store = srv.store().await;
        tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..60 {
                let e = broadcast(1, &format!("racing-{i}"));
                seqs.extend(store.append_events(chrono_now_ms(), &e).await.unwrap());
                tokio::task::yield_now().await;
            }
            store.close().await;
            seqs
        })
    };
    let mut ws = srv.ws_resume(&token, resume_from).await;
    let produced = producer.await.unwrap();
    let got = events_until(&mut ws, *produced.last().unwrap()).await;

    let expected: Vec<i64> = log_after(&srv, resume_from)
        .await
        .iter()
        .map(|r| r.seq)
        .filter(|s| *s <= *produced.last().unwrap())
        .collect();
    assert_increasing(&seqs(&got));
    assert_eq!(seqs(&got), expected);
}

/// The feed publishes this instance's own commits without reading them back, and reads the log for
/// everything else. Commits through the API (this instance) and through a second store handle (another
/// writer, seen only in the log) interleave, and a supervisor still receives every one, once, in log order.
async fn this_instances_commits_and_another_writers_interleave_without_a_gap_or_a_duplicate(
    engine: Engine,
) {
    let srv = server(engine).await;
    let supervisor = srv.demo_login("supervisor").await;
    let operator = srv.demo_login("operator1").await;
    let mut ws = srv.ws(&supervisor).await;
    let start = append(&srv, &broadcast(1, "start")).await[0];
    events_until(&mut ws, start).await;

    let other_writer = {
        let store = srv.store().await;
        tokio::spawn(async move {
            for i in 0..40 {
                let e = broadcast(1, &format!("other-{i}"));
                store.append_events(chrono_now_ms(), &e).await.unwrap();
                tokio::task::yield_now().await;
            }
            store.close().await;
        })
    };
    for i in 0..40 {
        let body = if i % 2 == 0 {
            json!({"state": "ready"})
        } else {
            json!({"state": "aux", "reason": "istirahat"})
        };
        let (status, v) = srv.post("/api/v1/agents/me/state", &operator, body).await;
        assert!(status.is_success(), "{v}");
    }
    other_writer.await.unwrap();
    let last = append(&srv, &broadcast(1, "end")).await[0];
    let got = events_until(&mut ws, last).await;
    assert_increasing(&seqs(&got));

    let kinds = ["agent.state", "incident.updated"];
    let got: Vec<_> = got
        .into_iter()
        .filter(|f| kinds.iter().any(|k| f["type"] == *k))
        .collect();
    let expected: Vec<i64> = log_after(&srv, start)
        .await
        .iter()
        .filter(|r| r.seq <= last && kinds.contains(&r.event_type.as_str()))
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs(&got), expected);
    let count = |kind: &str| got.iter().filter(|f| f["type"] == kind).count();
    assert_eq!(count("agent.state"), 40, "this instance's commits");
    assert_eq!(count("incident.updated"), 41, "the other writer's commits");
}

async fn dispatcher_visible(srv: &TestServer, after: i64, agency: &str) -> Vec<i64> {
    log_after(srv, after)
        .await
        .iter()
        .filter(|r| match &r.agency_ids {
            None => true,
            Some(list) => list.split(',').any(|a| a == agency),
        })
        .map(|r| r.seq)
        .collect()
}

async fn a_dispatcher_resumes_with_only_the_events_its_agency_may_see(engine: Engine) {
    let srv = server(engine).await;
    let supervisor = srv.demo_login("supervisor").await;
    let damkar = srv.agency_id(&supervisor, "DAMKAR-BTM").await;
    let polres = srv.agency_id(&supervisor, "POLRESTA-BRL").await;
    let token = srv.demo_login("dispatch.damkar").await;
    let mut ws = srv.ws(&token).await;
    let start = ws.next().await["seq"].as_i64().unwrap();
    ws.cut();

    let mut events = Vec::new();
    for i in 0..12 {
        let agency = if i % 3 == 0 { &damkar } else { &polres };
        events.push(event(
            "incident.created",
            Some(vec![agency.as_str()]),
            None,
            json!({"i": i}),
        ));
    }
    events.push(event(
        "incident.updated",
        None,
        None,
        json!({"label": "marker"}),
    ));
    let written = append(&srv, &events).await;

    let mut ws = srv.ws_resume(&token, start).await;
    let got = events_until(&mut ws, *written.last().unwrap()).await;
    let expected = dispatcher_visible(&srv, start, &damkar).await;
    assert_eq!(seqs(&got), expected);
    assert_eq!(expected.len(), 4 + 1);
}

async fn resume_from_a_seq_no_longer_kept_requires_a_resync(engine: Engine) {
    let srv = server(engine).await;
    let token = srv.demo_login("supervisor").await;
    let written = append(&srv, &broadcast(10, "old")).await;
    // Retention removed the oldest events.
    let cutoff = written[5];
    srv.execute_sql(&format!("DELETE FROM events WHERE seq <= {cutoff}"))
        .await;

    let mut ws = srv.ws_resume(&token, written[1]).await;
    let hello = ws.next().await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["resumed"], false);
    let resync = ws.next().await;
    assert_eq!(resync["type"], "resync_required", "{resync}");
    assert_eq!(resync["requested"], written[1]);
    assert_eq!(resync["oldest_seq"], written[6]);
    assert_eq!(resync["seq"], hello["seq"]);
    // The live stream continues on the same connection with every event after `seq` (the instance's feed
    // position, which may trail a write made a moment ago by another handle).
    let live = append(&srv, &broadcast(1, "live")).await;
    let got = events_until(&mut ws, live[0]).await;
    let after_hello: Vec<i64> = log_after(&srv, hello["seq"].as_i64().unwrap())
        .await
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs(&got), after_hello);
    assert_eq!(after_hello.last(), Some(&live[0]));

    // Resuming exactly at the edge of what is kept is fine: nothing is missing.
    let mut ws = srv.ws_resume(&token, cutoff).await;
    assert_eq!(ws.next().await["resumed"], true);
    let got = events_until(&mut ws, live[0]).await;
    assert_eq!(seqs(&got), [&written[6..], &live[..]].concat());

    // A seq the log never had (another database, a corrupted client) is not trusted either.
    let mut ws = srv.ws_resume(&token, live[0] + 1000).await;
    ws.next().await;
    let resync = ws.next().await;
    assert_eq!(resync["type"], "resync_required");
}

async fn the_log_prunes_events_past_retention_and_a_resume_from_before_them_requires_a_resync(
    engine: Engine,
) {
    // Arrange: a day of retention, pruned every second, on a clock the test moves.
    let srv = TestServer::start_with(
        engine,
        Options {
            demo: true,
            manual_clock_at: Some(chrono_now_ms()),
            tweak: Some(|c| {
                c.live.poll_interval_ms = 20;
                c.live.event_retention_hours = 24;
                c.live.event_prune_every_secs = 1;
            }),
        },
    )
    .await;
    let written = append(&srv, &broadcast(10, "old")).await;
    let clock = srv.clock.clone().unwrap();

    // Act: a day passes (the events are still kept until it has), then one more hour.
    clock.advance(23 * 3_600_000);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let store = srv.store().await;
    assert!(
        store.first_event_seq().await.unwrap() <= written[0],
        "pruned too early"
    );
    clock.advance(2 * 3_600_000);
    let deadline = tokio::time::Instant::now() + WS_WAIT;
    let newest = loop {
        let (first, last) = (
            store.first_event_seq().await.unwrap(),
            store.last_event_seq().await.unwrap(),
        );
        if first == last {
            break last;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not pruned: {first}..{last}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    store.close().await;

    // Assert: only the newest event is kept (the log's head survives), and resuming from a pruned seq is
    // answered with resync_required.
    assert!(newest >= *written.last().unwrap());
    let token = srv.demo_login("supervisor").await;
    let mut ws = srv.ws_resume(&token, written[1]).await;
    let hello = ws.next().await;
    assert_eq!(hello["resumed"], false, "{hello}");
    let resync = ws.next().await;
    assert_eq!(resync["type"], "resync_required", "{resync}");
    assert_eq!(resync["oldest_seq"], newest);
    // New events keep their increasing sequence numbers after pruning.
    let after = append(&srv, &broadcast(1, "after")).await;
    assert!(after[0] > newest);
    let got = events_until(&mut ws, after[0]).await;
    assert_eq!(got.last().unwrap()["seq"], after[0]);
}
