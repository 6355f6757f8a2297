//! Web Push subscriptions of responders' phones. A subscription's writes by its user go through a
//! [`super::ChangeSet`] (audited); the push job reads a unit's subscriptions and deletes endpoints the push
//! service reports gone.

use super::{Stmt, Store, StoreResult, on_db, on_db_write};

/// A stored subscription.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct PushSubscriptionRow {
    pub endpoint: String,
    pub user_id: String,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's auth secret, base64url.
    #[serde(skip)]
    pub auth: String,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Stores a subscription, or renews it when the endpoint is known (a browser re-subscribing, or the phone
/// passed to another crew member: the endpoint then belongs to the user who subscribed last).
pub fn upsert_push_subscription(r: &PushSubscriptionRow) -> Stmt {
    Stmt::new(
        "INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth, user_agent, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, \
         p256dh = excluded.p256dh, auth = excluded.auth, user_agent = excluded.user_agent, \
         updated_at = excluded.updated_at",
    )
    .text(&r.endpoint)
    .text(&r.user_id)
    .text(&r.p256dh)
    .text(&r.auth)
    .opt_text(r.user_agent.clone())
    .int(r.created_at)
    .int(r.updated_at)
}

/// Deletes a user's subscription; rolls the change back unless there was one.
pub fn delete_push_subscription(user_id: &str, endpoint: &str) -> Stmt {
    Stmt::new("DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2")
        .text(endpoint)
        .text(user_id)
        .expect(1)
}

const COLUMNS: &str =
    "s.endpoint, s.user_id, s.p256dh, s.auth, s.user_agent, s.created_at, s.updated_at";

impl Store {
    /// The subscriptions of the active users of a unit (its crew's phones).
    pub async fn unit_push_subscriptions(
        &self,
        unit_id: &str,
    ) -> StoreResult<Vec<PushSubscriptionRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM push_subscriptions s JOIN users u ON u.id = s.user_id \
             WHERE u.unit_id = $1 AND u.active ORDER BY s.endpoint"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, PushSubscriptionRow>(&sql).bind(unit_id).fetch_all(p).await)?,
        )
    }

    /// A user's subscriptions.
    pub async fn user_push_subscriptions(
        &self,
        user_id: &str,
    ) -> StoreResult<Vec<PushSubscriptionRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM push_subscriptions s WHERE s.user_id = $1 ORDER BY s.endpoint"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, PushSubscriptionRow>(&sql).bind(user_id).fetch_all(p).await)?,
        )
    }

    /// Forgets an endpoint its push service reported gone (404/410). Not audited: the browser withdrew it.
    pub async fn forget_push_endpoint(&self, endpoint: &str) -> StoreResult<u64> {
        Ok(
            on_db_write!(self, p => sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
            .bind(endpoint).execute(p).await.map(|r| r.rows_affected()))?,
        )
    }
}
