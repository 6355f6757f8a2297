-- Login hardening (issue 13): one atomic throttle per username and per source, bounded keys, case-insensitive
-- usernames, and passwords that must be changed.

-- A password set by someone else (the first admin's, an admin's reset) must be changed before anything else.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- Usernames are unique whatever their letter case, and logins match them so. Accounts that clash with an
-- older one (`Admin` beside `admin`) are renamed `<name>.dup.<first 8 characters of the id>` so the index can
-- be built; an admin finds them by that suffix.
UPDATE users SET username = username || '.dup.' || substr(id, 1, 8)
WHERE EXISTS (
    SELECT 1 FROM users o
    WHERE lower(o.username) = lower(users.username)
      AND (o.created_at < users.created_at OR (o.created_at = users.created_at AND o.id < users.id))
);
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

-- Every attempt was a row holding the username as typed (900 KB names included), never pruned. The throttle
-- keeps one counter per key instead: `user:` or `source:` and the SHA-256 of the lower-cased username or of the
-- client's address, so a row has a bounded size; rows of windows that ended are pruned.
DROP TABLE login_attempts;
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    attempts     BIGINT NOT NULL,           -- reserved attempts of the current window (failed or in flight)
    window_start BIGINT NOT NULL            -- when the current window started (ms)
);
CREATE INDEX login_throttle_window ON login_throttle (window_start);
