//! Web Push to responders' phones: the subscriptions a responder's browser hands in, and the encrypted
//! pushes (RFC 8291 `aes128gcm`, VAPID RFC 8292) sent to a unit's crew when it is assigned and when the
//! assignment is still not acknowledged at its SLA target. The job that decides *when* is `jobs::push`.
//!
//! The encryption (and the request it goes in) is `web-push-native`'s; the VAPID token (an ES256 JWT) is
//! signed here with p256's ECDSA; reqwest sends the request. A push service's 404 or 410 means the browser withdrew the subscription: it is
//! deleted. Other failures are logged and counted (`siaga_push_total{outcome="failed"}`), never retried: the
//! next alert (the SLA breach) is another push, and the open page re-alerts by itself.

use super::common;
use crate::auth::Actor;
use crate::config::PushConfig;
use crate::error::{ApiError, ApiResult};
use crate::limits::{PushEndpoint, PushKey};
use crate::state::AppState;
use crate::store::{ChangeSet, PushSubscriptionRow, StoreError};
use anyhow::Context;
use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use web_push_native::{Auth, WebPushBuilder};

/// Longest accepted endpoint URL (browsers' are about 200–500 characters).
const MAX_ENDPOINT_LEN: usize = 2048;

/// How long a VAPID token is valid (RFC 8292 allows at most 24 hours).
const VAPID_TOKEN_S: i64 = 12 * 3600;

/// The server's VAPID identity.
pub struct Vapid {
    key: SigningKey,
    subject: String,
    /// The public key, uncompressed P-256 point, base64url: what the browser's `pushManager.subscribe` takes
    /// as `applicationServerKey`.
    pub public_key: String,
}

impl Vapid {
    /// The configured identity, or `None` when Web Push is off.
    pub fn from_config(c: &PushConfig) -> anyhow::Result<Option<Vapid>> {
        let Some(private) = &c.vapid_private_key else {
            return Ok(None);
        };
        let raw = Base64UrlUnpadded::decode_vec(private.trim())
            .ok()
            .filter(|r| r.len() == 32)
            .context("not 32 bytes in base64url without padding (see `siaga push-keys`)")?;
        let key = SigningKey::from_slice(&raw)
            .ok()
            .context("not a P-256 private key")?;
        let public_key = public_key_of(&key);
        Ok(Some(Vapid {
            key,
            subject: c.vapid_subject.clone(),
            public_key,
        }))
    }

    /// The `Authorization` header value for a push to `endpoint` (RFC 8292 §3): `vapid t=<ES256 JWT>,
    /// k=<public key>`, the JWT's audience being the endpoint's origin.
    pub fn authorization(&self, endpoint: &reqwest::Url, now_ms: i64) -> anyhow::Result<String> {
        let host = endpoint.host_str().context("endpoint has no host")?;
        let aud = match endpoint.port() {
            Some(port) => format!("{}://{host}:{port}", endpoint.scheme()),
            None => format!("{}://{host}", endpoint.scheme()),
        };
        let header = Base64UrlUnpadded::encode_string(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": aud,
            "exp": now_ms / 1000 + VAPID_TOKEN_S,
            "sub": self.subject,
        });
        let claims = Base64UrlUnpadded::encode_string(&serde_json::to_vec(&claims)?);
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        let signature = Base64UrlUnpadded::encode_string(&signature.to_bytes());
        Ok(format!(
            "vapid t={signing_input}.{signature}, k={}",
            self.public_key
        ))
    }
}

fn public_key_of(key: &SigningKey) -> String {
    Base64UrlUnpadded::encode_string(key.verifying_key().to_encoded_point(false).as_bytes())
}

/// A new key pair for `[push] vapid_private_key`, base64url: `(private, public)`.
pub fn generate_keys() -> (String, String) {
    let key = SigningKey::random(&mut rand::rngs::OsRng);
    (
        Base64UrlUnpadded::encode_string(&key.to_bytes()),
        public_key_of(&key),
    )
}

/// A browser's subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SubscribeRequest {
    /// The push service URL.
    pub endpoint: PushEndpoint,
    /// The browser's keys.
    pub keys: SubscriptionKeys,
    /// When the browser will drop the subscription (ms), if it says; not used.
    #[serde(default, rename = "expirationTime")]
    #[allow(dead_code)]
    pub expiration_time: Option<f64>,
}

/// The keys of a subscription (RFC 8291), base64url.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key (65 bytes, uncompressed point).
    pub p256dh: PushKey,
    /// The browser's auth secret (16 bytes).
    pub auth: PushKey,
}

/// Which subscription to delete.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeRequest {
    pub endpoint: PushEndpoint,
}

/// A stored subscription, as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PushSubscriptionView {
    pub endpoint: String,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<PushSubscriptionRow> for PushSubscriptionView {
    fn from(r: PushSubscriptionRow) -> Self {
        PushSubscriptionView {
            endpoint: r.endpoint,
            user_agent: r.user_agent,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn decoded(value: &str, len: usize, field: &str) -> ApiResult<Vec<u8>> {
    // Browsers give base64url without padding; some libraries pad.
    Base64UrlUnpadded::decode_vec(value.trim_end_matches('='))
        .ok()
        .filter(|b| b.len() == len)
        .ok_or_else(|| ApiError::validation(field, format!("must be {len} bytes in base64url")))
}

/// Checks a subscription: an http(s) endpoint URL, a P-256 public key, a 16-byte auth secret.
pub fn check_subscription(config: &PushConfig, req: &SubscribeRequest) -> ApiResult<()> {
    let endpoint = req.endpoint.as_str();
    let scheme_ok = endpoint.starts_with("https://")
        || (config.allow_http_endpoints && endpoint.starts_with("http://"));
    if endpoint.len() > MAX_ENDPOINT_LEN
        || !scheme_ok
        || endpoint
            .parse::<reqwest::Url>()
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .is_none()
    {
        return Err(ApiError::validation(
            "endpoint",
            if config.allow_http_endpoints {
                "must be an http(s) URL of at most 2048 characters"
            } else {
                "must be an https URL of at most 2048 characters"
            },
        ));
    }
    let key = decoded(&req.keys.p256dh, 65, "keys.p256dh")?;
    p256::PublicKey::from_sec1_bytes(&key)
        .map_err(|_| ApiError::validation("keys.p256dh", "is not a P-256 public key"))?;
    decoded(&req.keys.auth, 16, "keys.auth")?;
    Ok(())
}

/// Stores (or renews) the caller's subscription; audited as `push.subscribe`.
pub async fn subscribe(
    state: &AppState,
    actor: &Actor,
    req: &SubscribeRequest,
    user_agent: Option<String>,
) -> ApiResult<PushSubscriptionView> {
    check_subscription(&state.config.push, req)?;
    let now = state.now_ms();
    let created_at = state
        .store
        .user_push_subscriptions(&actor.user.id)
        .await?
        .into_iter()
        .find(|s| s.endpoint == req.endpoint.as_str())
        .map_or(now, |s| s.created_at);
    let row = PushSubscriptionRow {
        endpoint: req.endpoint.as_str().to_owned(),
        user_id: actor.user.id.clone(),
        p256dh: req.keys.p256dh.trim_end_matches('=').to_owned(),
        auth: req.keys.auth.trim_end_matches('=').to_owned(),
        user_agent: user_agent.map(|ua| ua.chars().take(200).collect()),
        created_at,
        updated_at: now,
    };
    let mut set = ChangeSet::new(now);
    set.push(crate::store::upsert_push_subscription(&row));
    set.audit(common::audit(
        actor,
        now,
        "push.subscribe",
        "user",
        &actor.user.id,
        None,
        serde_json::to_value(&row).ok(),
    ));
    state.store.commit(set).await?;
    Ok(row.into())
}

/// Deletes the caller's subscription at `endpoint`; audited as `push.unsubscribe`. Deleting one the caller
/// does not have (already deleted, expired, or never made) changes nothing and is no error: the phone only
/// wants it gone.
pub async fn unsubscribe(state: &AppState, actor: &Actor, endpoint: &str) -> ApiResult<()> {
    if endpoint.is_empty() || endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(ApiError::validation(
            "endpoint",
            "must be the subscription's endpoint URL",
        ));
    }
    let owned = state
        .store
        .user_push_subscriptions(&actor.user.id)
        .await?
        .into_iter()
        .any(|s| s.endpoint == endpoint);
    if !owned {
        return Ok(());
    }
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(crate::store::delete_push_subscription(
        &actor.user.id,
        endpoint,
    ));
    set.audit(common::audit(
        actor,
        now,
        "push.unsubscribe",
        "user",
        &actor.user.id,
        Some(serde_json::json!({ "endpoint": endpoint })),
        None,
    ));
    match state.store.commit(set).await {
        // Deleted meanwhile (the push service reported it gone): nothing left to do.
        Ok(_) | Err(StoreError::Stale { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// What a push tells the phone; the service worker shows `title` and `body` and opens the responder page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PushMessage {
    /// `assignment` (a new one) or `unacknowledged` (its acknowledge SLA breached).
    pub kind: String,
    pub assignment_id: String,
    pub incident_id: String,
    pub incident_number: Option<String>,
    /// `p1` … `p4`, when known.
    pub priority: Option<String>,
    pub title: String,
    pub body: String,
}

/// How one delivery went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Failed,
    /// The subscription expired (404/410) and was deleted.
    Gone,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
            Outcome::Gone => "gone",
        }
    }
}

/// Pushes `message` to every phone of the crew of `unit_id`; returns the outcomes (also counted).
pub async fn push_to_unit(
    state: &AppState,
    vapid: &Vapid,
    http: &reqwest::Client,
    unit_id: &str,
    message: &PushMessage,
) -> Result<Vec<Outcome>, StoreError> {
    let subs = state.store.unit_push_subscriptions(unit_id).await?;
    let body = serde_json::to_vec(message).unwrap_or_default();
    let mut outcomes = Vec::with_capacity(subs.len());
    for sub in subs {
        let outcome = match deliver(state, vapid, http, &sub, &body).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), unit_id, "web push not sent");
                Outcome::Failed
            }
        };
        state.metrics.push_outcome(outcome.label());
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

async fn deliver(
    state: &AppState,
    vapid: &Vapid,
    http: &reqwest::Client,
    sub: &PushSubscriptionRow,
    body: &[u8],
) -> anyhow::Result<Outcome> {
    let ua_public = p256::PublicKey::from_sec1_bytes(&Base64UrlUnpadded::decode_vec(&sub.p256dh)?)
        .map_err(|_| anyhow::anyhow!("stored p256dh is not a P-256 key"))?;
    let auth_bytes = Base64UrlUnpadded::decode_vec(&sub.auth)?;
    anyhow::ensure!(auth_bytes.len() == 16, "stored auth secret is not 16 bytes");
    let auth = Auth::clone_from_slice(&auth_bytes);
    let url: reqwest::Url = sub.endpoint.parse()?;
    let mut req = WebPushBuilder::new(sub.endpoint.parse()?, ua_public, auth)
        .with_valid_duration(Duration::from_secs(state.config.push.ttl_s))
        .build(body.to_vec())
        .map_err(|e| anyhow::anyhow!("encrypting the push: {e}"))?;
    req.headers_mut().insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&vapid.authorization(&url, state.now_ms())?)?,
    );
    // RFC 8030 §5.3: an assignment must wake the phone now, not when it next has spare battery.
    req.headers_mut()
        .insert("urgency", reqwest::header::HeaderValue::from_static("high"));
    let res = http.execute(reqwest::Request::try_from(req)?).await?;
    let status = res.status();
    if status.is_success() {
        return Ok(Outcome::Sent);
    }
    if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
        state.store.forget_push_endpoint(&sub.endpoint).await?;
        tracing::info!(user_id = %sub.user_id, "web push subscription expired; deleted");
        return Ok(Outcome::Gone);
    }
    let text = res.text().await.unwrap_or_default();
    anyhow::bail!(
        "push service answered {status}: {}",
        text.chars().take(200).collect::<String>()
    )
}
