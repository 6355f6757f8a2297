//! Users, login sessions and login attempts.

use super::scope::{USER_REGION, person_within};
use super::{EventSink, NewEvent, Store, StoreError, StoreResult, on_db, on_db_write};

/// A user row (the password hash is carried only by [`UserWithHash`]).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<String>,
    pub unit_id: Option<String>,
    pub region_code: Option<String>,
    /// The regional team of a call taker (tiered service lines); `None` is the central team.
    pub team_id: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user row with its password hash, for login only.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserWithHash {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: String,
}

/// Fields of a new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<String>,
    pub unit_id: Option<String>,
    pub region_code: Option<String>,
    pub team_id: Option<String>,
    pub password_hash: String,
}

/// A live session joined with its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    #[sqlx(flatten)]
    pub user: UserRow,
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.agency_id, u.unit_id, \
     u.region_code, u.team_id, u.active, u.created_at, u.updated_at";

impl Store {
    /// Inserts a user; a taken username is a [`StoreError::Conflict`].
    pub async fn create_user(&self, u: &NewUser, now: i64) -> StoreResult<UserRow> {
        on_db_write!(self, p => sqlx::query(
            "INSERT INTO users (id, username, display_name, role, agency_id, unit_id, region_code, \
             password_hash, active, created_at, updated_at, team_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9, $10)")
            .bind(&u.id).bind(&u.username).bind(&u.display_name).bind(&u.role)
            .bind(&u.agency_id).bind(&u.unit_id).bind(&u.region_code).bind(&u.password_hash).bind(now)
            .bind(&u.team_id)
            .execute(p).await.map(|r| r.rows_affected()))?;
        self.get_user(&u.id).await
    }

    /// The user with this id.
    pub async fn get_user(&self, id: &str) -> StoreResult<UserRow> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        on_db!(self, p => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// The user with this username, with the password hash.
    pub async fn find_user_for_login(&self, username: &str) -> StoreResult<Option<UserWithHash>> {
        let sql =
            format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1");
        Ok(
            on_db!(self, p => sqlx::query_as::<_, UserWithHash>(&sql).bind(username).fetch_optional(p).await)?,
        )
    }

    /// Users, optionally only those of one agency and those working inside a region scope (a user of no region
    /// works for the whole centre: in no regional scope), ordered by username.
    pub async fn list_users(
        &self,
        agency_id: Option<&str>,
        region: Option<&str>,
    ) -> StoreResult<Vec<UserRow>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE ($1 IS NULL OR u.agency_id = $1) AND {} \
             ORDER BY u.username",
            person_within(USER_REGION, 2)
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, UserRow>(&sql).bind(agency_id).bind(region).fetch_all(p).await)?,
        )
    }

    /// The region a user works for (its own, else its agency's); `None`: the whole centre.
    pub async fn user_region(&self, id: &str) -> StoreResult<Option<String>> {
        let sql = format!("SELECT {USER_REGION} FROM users u WHERE u.id = $1");
        on_db!(self, p => sqlx::query_scalar::<_, Option<String>>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// Number of users; zero on a fresh database.
    pub async fn count_users(&self) -> StoreResult<i64> {
        let n: i64 =
            on_db!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await)?;
        Ok(n)
    }

    /// Enables or disables a user.
    pub async fn set_user_active(&self, id: &str, active: bool, now: i64) -> StoreResult<()> {
        let done = on_db_write!(self, p => sqlx::query("UPDATE users SET active = $2, updated_at = $3 WHERE id = $1")
            .bind(id).bind(active).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Replaces a user's password hash.
    pub async fn set_password_hash(&self, id: &str, hash: &str, now: i64) -> StoreResult<()> {
        let done = on_db_write!(self, p => sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id).bind(hash).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Stores a new session under the SHA-256 of its token.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $3)")
            .bind(token_hash).bind(user_id).bind(now).bind(expires_at).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The session with this token hash and its user, whatever its state.
    pub async fn find_session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        let sql = format!(
            "SELECT s.token_hash, s.expires_at, s.revoked_at, {USER_COLUMNS} \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, SessionRow>(&sql).bind(token_hash).fetch_optional(p).await)?,
        )
    }

    /// Revokes one session (logout). Returns whether a live session was revoked.
    ///
    /// `note` makes the log entry that tells every instance's live feed (`events::session`); it is appended in
    /// the same transaction when a session was revoked.
    pub async fn revoke_session(
        &self,
        token_hash: &str,
        now: i64,
        reason: &str,
        note: fn(&[String]) -> NewEvent,
    ) -> StoreResult<bool> {
        let revoked = self
            .revoke_where(
                "UPDATE sessions SET revoked_at = $2, revoked_reason = $3, revoked_by = COALESCE($4, user_id) \
                 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING token_hash",
                token_hash,
                None,
                now,
                reason,
                note,
            )
            .await?;
        Ok(!revoked.is_empty())
    }

    /// Revokes every live session of a user (force logout, disabled account, password reset); returns how
    /// many were revoked. `note` as for [`Store::revoke_session`].
    pub async fn revoke_user_sessions(
        &self,
        user_id: &str,
        by: &str,
        now: i64,
        reason: &str,
        note: fn(&[String]) -> NewEvent,
    ) -> StoreResult<u64> {
        let revoked = self
            .revoke_where(
                "UPDATE sessions SET revoked_at = $2, revoked_reason = $3, revoked_by = $4 \
                 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 RETURNING token_hash",
                user_id,
                Some(by),
                now,
                reason,
                note,
            )
            .await?;
        Ok(revoked.len() as u64)
    }

    /// Runs one revoking `UPDATE … RETURNING token_hash` (`$1` the subject, `$2` now, `$3` the reason, `$4` who
    /// revoked) and appends `note` of the revoked hashes, in one transaction.
    async fn revoke_where(
        &self,
        sql: &str,
        subject: &str,
        by: Option<&str>,
        now: i64,
        reason: &str,
        note: fn(&[String]) -> NewEvent,
    ) -> StoreResult<Vec<String>> {
        let revoked = on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            let revoked: Vec<String> = sqlx::query_scalar(sql)
                .bind(subject).bind(now).bind(reason).bind(by)
                .fetch_all(&mut *tx).await?;
            if !revoked.is_empty() {
                tx.insert_events(now, &[note(&revoked)]).await?;
            }
            tx.commit().await?;
            revoked
        });
        if !revoked.is_empty() {
            self.signal_events();
        }
        Ok(revoked)
    }

    /// Records a login attempt, for throttling and audit.
    pub async fn record_login_attempt(
        &self,
        username: &str,
        now: i64,
        success: bool,
    ) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query("INSERT INTO login_attempts (username, at, success) VALUES ($1, $2, $3)")
            .bind(username).bind(now).bind(success).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Failed attempts for `username` since `since` and after its last success.
    pub async fn recent_login_failures(&self, username: &str, since: i64) -> StoreResult<i64> {
        let n: i64 = on_db!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE username = $1 AND at >= $2 AND success = FALSE \
             AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE username = $1 AND success = TRUE), 0)")
            .bind(username).bind(since).fetch_one(p).await)?;
        Ok(n)
    }
}
