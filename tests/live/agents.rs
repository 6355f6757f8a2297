//! Agent states on the live stream: supervisors' boards see logins, ready/AUX and (forced) logouts as they
//! happen; no dispatcher, call taker or responder receives them.

use crate::{append, event, events_until, server};
use serde_json::{Value, json};
use siaga_tests::{Engine, engine_tests};

engine_tests!(agent_state_changes_reach_supervisors_live_and_nobody_else,);

/// The `agent.state` frames among `frames`, as (username, state, reason).
fn agent_states(frames: &[Value]) -> Vec<(String, String, Option<String>)> {
    frames
        .iter()
        .filter(|f| f["type"] == "agent.state")
        .map(|f| {
            (
                f["username"].as_str().unwrap_or_default().to_owned(),
                f["state"].as_str().unwrap_or_default().to_owned(),
                f["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn agent_state_changes_reach_supervisors_live_and_nobody_else(engine: Engine) {
    let srv = server(engine).await;
    let supervisor = srv.demo_login("supervisor").await;
    let mut board = srv.ws(&supervisor).await;
    assert_eq!(board.next().await["type"], "hello");
    let mut others = Vec::new();
    for user in ["dispatch.dinkes", "operator2", "amb01"] {
        let token = srv.demo_login(user).await;
        let mut ws = srv.ws(&token).await;
        assert_eq!(ws.next().await["type"], "hello");
        others.push((user, ws));
    }

    // An agent logs in, goes ready, takes a break, and is logged out by the supervisor.
    let op = srv.demo_login("operator1").await;
    for body in [
        json!({"state": "ready"}),
        json!({"state": "aux", "reason": "istirahat"}),
    ] {
        let (s, v) = srv.post("/api/v1/agents/me/state", &op, body).await;
        assert!(s.is_success(), "{v}");
    }
    let (_, me) = srv.get("/api/v1/auth/me", &op).await;
    let id = me["id"].as_str().unwrap().to_owned();
    let (s, v) = srv
        .post(
            &format!("/api/v1/users/{id}/force-logout"),
            &supervisor,
            json!({"reason": "shift over"}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    // A marker every client may see (the responder's own unit), to know when each has read all before it.
    let amb01 = srv.unit_id(&supervisor, "AMB-01").await;
    let marker = append(
        &srv,
        &[event(
            "incident.updated",
            None,
            Some(&amb01),
            json!({"label": "marker"}),
        )],
    )
    .await[0];

    let seen = events_until(&mut board, marker).await;
    let operator1: Vec<_> = agent_states(&seen)
        .into_iter()
        .filter(|(u, _, _)| u == "operator1")
        .collect();
    let expected = [
        ("logged_in", None),
        ("ready", None),
        ("aux", Some("istirahat")),
        ("logged_out", Some("forced")),
    ]
    .map(|(s, r)| ("operator1".to_owned(), s.to_owned(), r.map(str::to_owned)));
    assert_eq!(operator1, expected, "{seen:?}");
    let forced = seen.iter().rfind(|f| f["type"] == "agent.state").unwrap();
    assert_eq!(forced["user_id"], id.as_str(), "{forced}");
    assert!(forced["by_user_id"].is_string(), "{forced}");

    for (user, ws) in &mut others {
        let seen = events_until(ws, marker).await;
        assert_eq!(agent_states(&seen), Vec::new(), "{user} saw {seen:?}");
    }
}
