//! Web Push to a responder's phone: the phone's browser subscribes (here: a P-256 key pair and an auth secret
//! made as a browser makes them), and a push service (here: a local HTTP receiver) gets an RFC 8291 payload
//! it can decrypt with the subscription's private key, signed with the server's VAPID key (RFC 8292), when the
//! unit is assigned and again when the assignment is not acknowledged within its SLA target.

use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

engine_tests!(
    an_assignment_is_pushed_encrypted_to_the_crews_phone_and_again_when_not_acknowledged,
    push_subscriptions_are_for_responders_and_bad_ones_name_the_field,
);

/// A test-only VAPID key (never used outside tests).
const VAPID_PRIVATE: &str = "eGBniik67G4qQfyyptizZvsGqgqpBbVjXzzp5ZiawY4";

fn push_on(c: &mut siaga::config::Config) {
    c.push.vapid_private_key = Some(VAPID_PRIVATE.to_owned());
    c.push.vapid_subject = "mailto:ops@siaga.test".to_owned();
    c.push.allow_http_endpoints = true;
}

/// One request as the push service received it.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal push service on 127.0.0.1: records every request; answers 201, 410 under `/gone/` (the
/// subscription expired), 500 under `/fail/` (the service is broken).
async fn push_service() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let path = lines
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .unwrap_or("")
                    .to_owned();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = buf[head_end..].to_vec();
                let status = if path.starts_with("/gone/") {
                    "410 Gone"
                } else if path.starts_with("/fail/") {
                    "500 Internal Server Error"
                } else {
                    "201 Created"
                };
                sink.lock().unwrap().push(Received {
                    path,
                    headers,
                    body,
                });
                let _ = sock
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    (base, got)
}

/// A browser's side of a subscription: its P-256 key pair and 16-byte auth secret.
struct BrowserKeys {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl BrowserKeys {
    fn new() -> BrowserKeys {
        let mut auth = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut auth);
        BrowserKeys {
            secret: p256::SecretKey::random(&mut rand::rngs::OsRng),
            auth,
        }
    }

    /// What `PushSubscription.toJSON()` gives.
    fn subscription(&self, endpoint: &str) -> Value {
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {
                "p256dh": Base64UrlUnpadded::encode_string(public.as_bytes()),
                "auth": Base64UrlUnpadded::encode_string(&self.auth),
            }
        })
    }

    fn decrypt(&self, body: &[u8]) -> Value {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(body.to_vec(), &self.secret, &auth)
            .expect("the payload decrypts with the subscription's private key");
        serde_json::from_slice(&plain).unwrap()
    }
}

/// Checks the VAPID header (RFC 8292): the JWT is signed by the key the server publishes, for the endpoint's
/// origin, not expired; returns its claims.
fn check_vapid(r: &Received, origin: &str, published_key: &str, now_s: i64) -> Value {
    let auth = r.header("authorization").expect("Authorization header");
    let rest = auth.strip_prefix("vapid t=").expect("vapid scheme");
    let (token, key) = rest.split_once(", k=").unwrap();
    assert_eq!(key, published_key, "k= is the key in client-config");
    let (signing_input, sig) = token.rsplit_once('.').unwrap();
    let verifying =
        VerifyingKey::from_sec1_bytes(&Base64UrlUnpadded::decode_vec(key).unwrap()).unwrap();
    let sig = Signature::from_slice(&Base64UrlUnpadded::decode_vec(sig).unwrap()).unwrap();
    verifying
        .verify(signing_input.as_bytes(), &sig)
        .expect("the VAPID token verifies with the published key");
    let (header, claims) = signing_input.split_once('.').unwrap();
    let header: Value =
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims: Value =
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(claims).unwrap()).unwrap();
    assert_eq!(claims["aud"], origin);
    assert_eq!(claims["sub"], "mailto:ops@siaga.test");
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now_s && exp <= now_s + 24 * 3600, "{claims}");
    claims
}

async fn wait_for(got: &Arc<Mutex<Vec<Received>>>, n: usize) -> Vec<Received> {
    for _ in 0..200 {
        let seen = got.lock().unwrap().clone();
        if seen.len() >= n {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the push service got {} requests, expected {n}",
        got.lock().unwrap().len()
    );
}

fn wall_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

async fn an_assignment_is_pushed_encrypted_to_the_crews_phone_and_again_when_not_acknowledged(
    engine: Engine,
) {
    let srv = TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(wall_ms()),
            demo: true,
            tweak: Some(push_on),
        },
    )
    .await;
    let clock = srv.clock.clone().unwrap();
    let (push_base, got) = push_service().await;

    // The phone reads the server's public key, subscribes with it and hands the subscription in.
    let (_, config) = srv
        .call(Method::GET, "/api/v1/client-config", None, None)
        .await;
    let published = config["vapid_public_key"].as_str().unwrap().to_owned();
    assert_eq!(config["realert_s"], 30);
    let phone = BrowserKeys::new();
    let stale_phone = BrowserKeys::new();
    let broken_phone = BrowserKeys::new();
    let amb01 = srv.demo_login("amb01").await;
    for (keys, path) in [
        (&phone, "/push/amb01-phone"),
        (&stale_phone, "/gone/old-phone"),
        (&broken_phone, "/fail/tablet"),
    ] {
        let (s, v) = srv
            .post(
                "/api/v1/push/subscriptions",
                &amb01,
                keys.subscription(&format!("{push_base}{path}")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let supervisor = srv.demo_login("supervisor").await;
    let (_, audit) = srv
        .get("/api/v1/audit?action=push.subscribe", &supervisor)
        .await;
    assert_eq!(audit.as_array().unwrap().len(), 3, "{audit}");

    // A dispatcher assigns AMB-01.
    let taker = srv.demo_login("operator1").await;
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"category": "health", "priority": "p1", "location": {"lon": 104.05, "lat": 1.125},
                   "address": "Jl. Engku Putri 1", "victims": {"count": 1, "condition": "serious"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let dinkes = srv.demo_login("dispatch.dinkes").await;
    let unit = srv.unit_id(&dinkes, "AMB-01").await;
    let (s, assignment) = srv
        .post(
            &format!(
                "/api/v1/incidents/{}/assignments",
                incident["id"].as_str().unwrap()
            ),
            &dinkes,
            json!({"unit_id": unit, "note": "Lantai 2"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{assignment}");

    // Every phone is pushed to; the live one decrypts the assignment, the gone one is forgotten, the one
    // whose service fails is kept (counted, logged).
    let seen = wait_for(&got, 3).await;
    let live = seen.iter().find(|r| r.path == "/push/amb01-phone").unwrap();
    assert_eq!(live.header("content-encoding"), Some("aes128gcm"));
    assert_eq!(live.header("urgency"), Some("high"));
    assert_eq!(live.header("ttl"), Some("600"));
    check_vapid(
        live,
        &push_base,
        &published,
        siaga::clock::Clock::now(&clock).0 / 1000,
    );
    let message = phone.decrypt(&live.body);
    assert_eq!(message["kind"], "assignment", "{message}");
    assert_eq!(message["assignment_id"], assignment["id"]);
    assert_eq!(message["priority"], "p1");
    assert_eq!(message["incident_number"], incident["number"]);
    let title = message["title"].as_str().unwrap();
    assert!(
        title.contains("P1") && title.contains(incident["number"].as_str().unwrap()),
        "{title}"
    );
    assert!(
        message["body"]
            .as_str()
            .unwrap()
            .contains("Jl. Engku Putri 1"),
        "{message}"
    );
    assert!(seen.iter().any(|r| r.path == "/gone/old-phone"));
    for _ in 0..100 {
        if srv
            .query_i64("SELECT COUNT(*) FROM push_subscriptions")
            .await
            == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        srv.query_i64("SELECT COUNT(*) FROM push_subscriptions")
            .await,
        2
    );

    // Nobody acknowledges: past the acknowledge target the phone is pushed to again.
    clock.advance(10 * 60 * 1000);
    let seen = wait_for(&got, 5).await;
    let again = seen[3..]
        .iter()
        .find(|r| r.path == "/push/amb01-phone")
        .expect("the live phone is pushed to again");
    let message = phone.decrypt(&again.body);
    assert_eq!(message["kind"], "unacknowledged", "{message}");
    assert_eq!(message["assignment_id"], assignment["id"]);

    // Counted for the metrics scraper.
    let (_, metrics) = srv
        .call(Method::GET, "/metrics", Some(supervisor.as_str()), None)
        .await;
    let text = metrics
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| metrics.to_string());
    assert!(
        text.contains("siaga_push_total{outcome=\"sent\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("siaga_push_total{outcome=\"gone\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("siaga_push_total{outcome=\"failed\"} 2"),
        "{text}"
    );

    // Unsubscribing removes it (audited); again, it is already gone; an empty endpoint names the field.
    let body = json!({"endpoint": format!("{push_base}/push/amb01-phone")});
    for _ in 0..2 {
        let (s, v) = srv
            .call(
                Method::DELETE,
                "/api/v1/push/subscriptions",
                Some(amb01.as_str()),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    }
    assert_eq!(
        srv.query_i64("SELECT COUNT(*) FROM push_subscriptions")
            .await,
        1,
        "the broken service's subscription is kept"
    );
    let e = assert_error(
        &srv.call(
            Method::DELETE,
            "/api/v1/push/subscriptions",
            Some(amb01.as_str()),
            Some(json!({"endpoint": ""})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "endpoint");
    let (_, audit) = srv
        .get("/api/v1/audit?action=push.unsubscribe", &supervisor)
        .await;
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
}

async fn push_subscriptions_are_for_responders_and_bad_ones_name_the_field(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let (_, config) = srv
        .call(Method::GET, "/api/v1/client-config", None, None)
        .await;
    assert_eq!(
        config["vapid_public_key"],
        Value::Null,
        "Web Push is off without a key"
    );
    let keys = BrowserKeys::new();
    let good = keys.subscription("https://push.example.net/send/abc");
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    assert_error(
        &srv.post("/api/v1/push/subscriptions", &dispatcher, good.clone())
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let amb01 = srv.demo_login("amb01").await;
    let mut cases = Vec::new();
    let mut v = good.clone();
    v["endpoint"] = json!("http://push.example.net/send/abc");
    cases.push((v, "endpoint"));
    let mut v = good.clone();
    v["endpoint"] = json!("not a url");
    cases.push((v, "endpoint"));
    let mut v = good.clone();
    v["keys"]["p256dh"] = json!("AAAA");
    cases.push((v, "keys.p256dh"));
    let mut v = good.clone();
    v["keys"]["p256dh"] = json!(Base64UrlUnpadded::encode_string(&[4u8; 65]));
    cases.push((v, "keys.p256dh"));
    let mut v = good.clone();
    v["keys"]["auth"] = json!("c2hvcnQ");
    cases.push((v, "keys.auth"));
    let mut v = good.clone();
    v["keys"].as_object_mut().unwrap().remove("auth");
    cases.push((v, "keys.auth"));
    for (body, field) in cases {
        let got = srv
            .post("/api/v1/push/subscriptions", &amb01, body.clone())
            .await;
        assert!(got.0.is_client_error(), "{body}: {got:?}");
        assert_eq!(got.1["error"]["field"], field, "{body}: {:?}", got.1);
    }
    let (s, v) = srv.post("/api/v1/push/subscriptions", &amb01, good).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
