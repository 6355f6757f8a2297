-- Call-back tasks (siaga_core::call_back): the centre rings back an abandoned or silent call, or a caller a
-- call taker or dispatcher wants to confirm with. One row per task; each attempt is an audit entry and updates
-- the task's counters. A task is open (claimed by one call taker, or by nobody) until it is done.
CREATE TABLE call_backs (
    id                TEXT PRIMARY KEY,
    call_id           TEXT NOT NULL REFERENCES calls(id),
    incident_id       TEXT REFERENCES incidents(id),
    ani               TEXT NOT NULL,            -- the number to call back (personal data)
    reason            TEXT NOT NULL,            -- abandoned | ghost | confirm
    status            TEXT NOT NULL,            -- open | done
    due_at            BIGINT NOT NULL,
    note              TEXT,                     -- why a person asked for it
    created_by        TEXT REFERENCES users(id), -- NULL when the system created it
    created_at        BIGINT NOT NULL,
    claimed_by        TEXT REFERENCES users(id),
    claimed_at        BIGINT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    first_attempt_at  BIGINT,
    last_attempt_at   BIGINT,
    last_outcome      TEXT,                     -- reached | no_answer | busy | switched_off | wrong_number
    last_note         TEXT,
    last_by           TEXT REFERENCES users(id),
    done_at           BIGINT
);
-- The work list (open tasks, soonest due first) and a caller's open tasks.
CREATE INDEX call_backs_open ON call_backs(status, due_at);
CREATE INDEX call_backs_ani ON call_backs(ani, status);
CREATE INDEX call_backs_created ON call_backs(created_at);
-- An automatic task is created once per call and reason (a retried request cannot make two).
CREATE UNIQUE INDEX call_backs_automatic ON call_backs(call_id, reason) WHERE reason <> 'confirm';
-- Caller history reads a number's calls, newest first.
CREATE INDEX calls_ani_ring ON calls(ani, ring_at);
