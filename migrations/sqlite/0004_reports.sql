-- Reports and agent schedules (issue 7). Same file, same meaning on both engines.
--
-- Reports read one period at a time through range scans on the time column each record is counted by
-- (calls.ring_at, incidents.created_at, agent_states.at, agent_shifts.shift_start), then reach the rows
-- linked to those records by key. The indexes below make every such step an index probe.

-- Scheduled shifts of call takers and dispatchers, for adherence. Times are UTC milliseconds; the upload
-- gives local wall-clock times which the server converts with the agent's region time zone.
CREATE TABLE agent_shifts (
    user_id      TEXT NOT NULL REFERENCES users(id),
    shift_start  BIGINT NOT NULL,
    shift_end    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT,
    PRIMARY KEY (user_id, shift_start),
    CHECK (shift_end > shift_start)
);
CREATE INDEX agent_shifts_start ON agent_shifts(shift_start);

-- The calls of a period with every column a report reads, so the busiest read of a report is one index
-- range scan that never visits the table (SQLite) or an index-only scan (PostgreSQL).
CREATE INDEX calls_report ON calls(ring_at, region_code, answered_at, ended_at, status, class, call_taker_id, incident_id, id);
-- Calls linked to an incident (first answer per incident).
CREATE INDEX calls_incident ON calls(incident_id);
-- Calls answered by one call taker (per-agent figures).
CREATE INDEX calls_taker_ring ON calls(call_taker_id, ring_at);
-- Agent states of a period for every agent at once.
CREATE INDEX agent_states_at ON agent_states(at);
-- Incidents of one region in a period (heat map, regional reports).
CREATE INDEX incidents_region_created ON incidents(region_code, created_at);
-- Calls still open, per call taker (who is on a call now); stays small because ended calls leave it.
CREATE INDEX calls_open_by_taker ON calls(call_taker_id) WHERE ended_at IS NULL;
