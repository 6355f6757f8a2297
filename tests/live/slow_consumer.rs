//! Backpressure: a client that stops reading is dropped with a resume hint; others are not slowed.

use crate::{append, assert_increasing, events_until, seqs};
use serde_json::json;
use siaga::store::NewEvent;
use siaga_tests::{Engine, TestServer, WsClient, engine_tests};

engine_tests!(slow_consumer_is_dropped_and_resumes_without_affecting_a_fast_one);

fn padded(n: usize, round: usize) -> Vec<NewEvent> {
    let pad = "x".repeat(16 * 1024);
    (0..n)
        .map(|i| {
            crate::event(
                "incident.updated",
                None,
                None,
                json!({"round": round, "i": i, "pad": pad}),
            )
        })
        .collect()
}

async fn slow_consumer_is_dropped_and_resumes_without_affecting_a_fast_one(engine: Engine) {
    // Arrange: small queues; one client that never reads (with a tiny receive buffer) and one that does.
    let srv = TestServer::demo_with(engine, |c| {
        c.live.poll_interval_ms = 20;
        c.live.client_queue_len = 256;
        // The slow client reads nothing until every round is written; keep its stalled write alive.
        c.live.write_timeout_secs = 300;
    })
    .await;
    let token = srv.demo_login("supervisor").await;
    let mut slow = WsClient::connect_small_buffer(&srv.base, &token).await;
    let mut fast = srv.ws(&token).await;
    let start = fast.next().await["seq"].as_i64().unwrap();

    // Act: 1 500 events of 16 KiB (24 MiB, far beyond socket buffers plus the queue), in rounds of 100 that
    // the fast client reads before the next round is written.
    let mut written = Vec::new();
    for round in 0..15 {
        let seqs_round = append(&srv, &padded(100, round)).await;
        let got = events_until(&mut fast, *seqs_round.last().unwrap()).await;
        assert_eq!(seqs(&got), seqs_round, "fast client, round {round}");
        written.extend(seqs_round);
    }
    let last = *written.last().unwrap();

    // Assert: the slow client got a prefix of the stream, in order, then a close frame naming where to
    // resume; resuming there delivers the rest with no gap.
    let mut received = Vec::new();
    while let Some(frame) = slow.next_within(siaga_tests::WS_WAIT).await {
        if let Some(seq) = frame["seq"].as_i64()
            && frame["type"] != "hello"
        {
            received.push(seq);
        }
    }
    let (code, reason) = slow.closed.clone().unwrap();
    assert_eq!(code, 4002, "{reason}");
    assert!(
        reason.starts_with("slow consumer; resume from "),
        "{reason}"
    );
    let hint: i64 = reason.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        received.len() < written.len(),
        "the slow client was never slow"
    );
    assert_eq!(received, written[..received.len()].to_vec());
    assert_eq!(hint, received.last().copied().unwrap_or(start));

    let mut resumed = srv.ws_resume(&token, hint).await;
    let rest = events_until(&mut resumed, last).await;
    let rest = seqs(&rest);
    assert_increasing(&rest);
    assert_eq!([received, rest].concat(), written);
}
