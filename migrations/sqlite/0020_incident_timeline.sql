-- An incident's timeline: notes from call takers, dispatchers and crews, and an entry for every change to the
-- incident (status, escalation, decision, assignment steps, SLA clocks started, stopped and breached), written
-- in the transaction of the change. Unlike the event log it is never pruned. `seq` gives the stable order of
-- entries recorded at the same millisecond; `client_ref` is a note's client-generated id, so a note re-sent from
-- a phone's offline outbox is stored once.
CREATE TABLE incident_timeline (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    incident_id  TEXT NOT NULL REFERENCES incidents(id),
    at           BIGINT NOT NULL,
    kind         TEXT NOT NULL,             -- note | incident.created | assignment.status | sla.started | …
    actor_id     TEXT REFERENCES users(id), -- NULL when the system made the change (an SLA breach on time)
    actor_role   TEXT,
    unit_id      TEXT,
    text         TEXT,
    detail       TEXT,                      -- JSON object: what the kind needs beyond the text
    client_ref   TEXT,
    UNIQUE (incident_id, client_ref)
);
CREATE INDEX incident_timeline_incident ON incident_timeline(incident_id, at, seq);
