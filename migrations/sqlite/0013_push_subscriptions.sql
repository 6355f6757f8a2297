-- Web Push subscriptions of responders' phones (issue 14): one row per browser push endpoint, owned by the
-- user who subscribed it. The server pushes to the subscriptions of the users of a unit when the unit is
-- assigned and when an assignment's acknowledge SLA breaches; an endpoint the push service reports gone
-- (404/410) is deleted.
CREATE TABLE push_subscriptions (
    endpoint    TEXT PRIMARY KEY,           -- the push service URL the browser handed out (unique per device)
    user_id     TEXT NOT NULL REFERENCES users(id),
    p256dh      TEXT NOT NULL,              -- the browser's P-256 public key, base64url (RFC 8291)
    auth        TEXT NOT NULL,              -- the browser's 16-byte auth secret, base64url
    user_agent  TEXT,                       -- which phone, for the audit trail and the user
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
