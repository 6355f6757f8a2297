//! Users, login sessions and the login throttle.

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
    /// The password was set by someone else (the first admin's, an admin's reset): until the user changes it,
    /// the account may only change it, read itself and log out.
    pub must_change_password: bool,
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
    /// See [`UserRow::must_change_password`].
    pub must_change_password: bool,
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
     u.region_code, u.team_id, u.active, u.must_change_password, u.created_at, u.updated_at";

impl Store {
    /// Inserts a user; a username taken in any letter case is a [`StoreError::Conflict`] (the unique index
    /// `users_username_lower`).
    pub async fn create_user(&self, u: &NewUser, now: i64) -> StoreResult<UserRow> {
        on_db_write!(self, p => sqlx::query(
            "INSERT INTO users (id, username, display_name, role, agency_id, unit_id, region_code, \
             password_hash, active, created_at, updated_at, team_id, must_change_password) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9, $10, $11)")
            .bind(&u.id).bind(&u.username).bind(&u.display_name).bind(&u.role)
            .bind(&u.agency_id).bind(&u.unit_id).bind(&u.region_code).bind(&u.password_hash).bind(now)
            .bind(&u.team_id).bind(u.must_change_password)
            .execute(p).await.map(|r| r.rows_affected()))?;
        self.get_user(&u.id).await
    }

    /// The user with this id.
    pub async fn get_user(&self, id: &str) -> StoreResult<UserRow> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        on_db!(self, p => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// The user whose username is `lowercase_username` in any letter case, with the password hash.
    pub async fn find_user_for_login(
        &self,
        lowercase_username: &str,
    ) -> StoreResult<Option<UserWithHash>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE lower(u.username) = $1"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, UserWithHash>(&sql).bind(lowercase_username).fetch_optional(p).await)?,
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

    /// Replaces a user's password hash, and whether the user must change it before doing anything else.
    pub async fn set_password_hash(
        &self,
        id: &str,
        hash: &str,
        must_change: bool,
        now: i64,
    ) -> StoreResult<()> {
        let done = on_db_write!(self, p => sqlx::query(
            "UPDATE users SET password_hash = $2, must_change_password = $3, updated_at = $4 WHERE id = $1")
            .bind(id).bind(hash).bind(must_change).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The password hash of the user with this id.
    pub async fn password_hash(&self, id: &str) -> StoreResult<String> {
        on_db!(self, p => sqlx::query_scalar::<_, String>("SELECT password_hash FROM users WHERE id = $1")
            .bind(id).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
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
                 WHERE token_hash = $1 AND revoked_at IS NULL AND $5 IS NULL RETURNING token_hash",
                token_hash,
                None,
                None,
                now,
                reason,
                note,
            )
            .await?;
        Ok(!revoked.is_empty())
    }

    /// Revokes every live session of a user (force logout, disabled account, password reset) except `keep`
    /// (the session that changed its own password); returns how many were revoked. `note` as for
    /// [`Store::revoke_session`].
    pub async fn revoke_user_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
        by: &str,
        now: i64,
        reason: &str,
        note: fn(&[String]) -> NewEvent,
    ) -> StoreResult<u64> {
        let revoked = self
            .revoke_where(
                "UPDATE sessions SET revoked_at = $2, revoked_reason = $3, revoked_by = $4 \
                 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
                 AND ($5 IS NULL OR token_hash <> $5) RETURNING token_hash",
                user_id,
                Some(by),
                keep,
                now,
                reason,
                note,
            )
            .await?;
        Ok(revoked.len() as u64)
    }

    /// Runs one revoking `UPDATE … RETURNING token_hash` (`$1` the subject, `$2` now, `$3` the reason, `$4` who
    /// revoked, `$5` a session to keep) and appends `note` of the revoked hashes, in one transaction.
    #[expect(
        clippy::too_many_arguments,
        reason = "the statement's five parameters, the time and the note"
    )]
    async fn revoke_where(
        &self,
        sql: &str,
        subject: &str,
        by: Option<&str>,
        keep: Option<&str>,
        now: i64,
        reason: &str,
        note: fn(&[String]) -> NewEvent,
    ) -> StoreResult<Vec<String>> {
        let (revoked, rows) = on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            let revoked: Vec<String> = sqlx::query_scalar(sql)
                .bind(subject).bind(now).bind(reason).bind(by).bind(keep)
                .fetch_all(&mut *tx).await?;
            let rows = if revoked.is_empty() {
                Vec::new()
            } else {
                tx.insert_events(now, &[note(&revoked)]).await?
            };
            tx.commit().await?;
            (revoked, rows)
        });
        self.announce_events(rows);
        Ok(revoked)
    }

    /// Reserves one attempt under a throttle key, atomically on every instance: the key's counter goes up by
    /// one unless it already holds `limit` attempts of a window that started after `expired_before` (an
    /// older window starts afresh at `now`). Returns the start of the key's window when the attempt was
    /// reserved, `None` when it is refused.
    pub async fn reserve_login_attempt(
        &self,
        key: &str,
        limit: u32,
        now: i64,
        expired_before: i64,
    ) -> StoreResult<Option<i64>> {
        Ok(on_db_write!(self, p => sqlx::query_scalar::<_, i64>(
            "INSERT INTO login_throttle (throttle_key, attempts, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (throttle_key) DO UPDATE SET \
             attempts = CASE WHEN login_throttle.window_start <= $3 THEN 1 \
                        ELSE login_throttle.attempts + 1 END, \
             window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 \
                            ELSE login_throttle.window_start END \
             WHERE login_throttle.window_start <= $3 OR login_throttle.attempts < $4 \
             RETURNING window_start")
            .bind(key).bind(now).bind(expired_before).bind(i64::from(limit))
            .fetch_optional(p).await)?)
    }

    /// Gives back one reserved attempt (the password was not checked).
    pub async fn release_login_attempt(&self, key: &str) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query(
            "UPDATE login_throttle SET attempts = attempts - 1 WHERE throttle_key = $1 AND attempts > 0")
            .bind(key).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets a throttle key's attempts (a successful login, an admin's reset or re-enable).
    pub async fn clear_login_attempts(&self, key: &str) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
            .bind(key).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// When the window of a throttle key started, if it has one.
    pub async fn login_window_start(&self, key: &str) -> StoreResult<Option<i64>> {
        Ok(on_db!(self, p => sqlx::query_scalar::<_, i64>(
            "SELECT window_start FROM login_throttle WHERE throttle_key = $1")
            .bind(key).fetch_optional(p).await)?)
    }

    /// Deletes the throttle rows whose window started at or before `expired_before`; returns how many.
    pub async fn prune_login_attempts(&self, expired_before: i64) -> StoreResult<u64> {
        Ok(
            on_db_write!(self, p => sqlx::query("DELETE FROM login_throttle WHERE window_start <= $1")
            .bind(expired_before).execute(p).await.map(|r| r.rows_affected()))?,
        )
    }
}
