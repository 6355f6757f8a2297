-- Tiered routing of service lines and follow-up call tasks (issue 4, point 7). Same meaning on both engines.

-- Which regional team a call taker belongs to (NULL: the central team).
ALTER TABLE users ADD COLUMN team_id TEXT;

-- A call routed to a regional team (calls.routed_to holds the team id; NULL means central) is offered to that
-- team at offered_at; if nobody of the team takes it by fallback_at it falls back to central (fell_back_at).
ALTER TABLE calls ADD COLUMN offered_at BIGINT;
ALTER TABLE calls ADD COLUMN fallback_at BIGINT;
ALTER TABLE calls ADD COLUMN taken_at BIGINT;
ALTER TABLE calls ADD COLUMN taken_by TEXT REFERENCES users(id);
ALTER TABLE calls ADD COLUMN fell_back_at BIGINT;
CREATE INDEX calls_pending_fallback ON calls(fallback_at) WHERE routed_to IS NOT NULL AND taken_at IS NULL
    AND fell_back_at IS NULL;

-- Follow-up calls of a line's programme (e.g. 7 call-backs of a quitline), one row per scheduled call.
CREATE TABLE follow_ups (
    id            TEXT PRIMARY KEY,
    call_id       TEXT NOT NULL REFERENCES calls(id),
    service_line  TEXT NOT NULL,
    ani           TEXT NOT NULL,            -- the number to call back (personal data)
    ordinal       BIGINT NOT NULL,          -- 1 = first follow-up
    day_offset    BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    status        TEXT NOT NULL,            -- pending | done | cancelled
    outcome       TEXT,                     -- reached | no_answer | refused | wrong_number | completed
    note          TEXT,
    attempted_at  BIGINT,
    by_user_id    TEXT REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    UNIQUE (call_id, ordinal)
);
CREATE INDEX follow_ups_due ON follow_ups(status, due_at);
