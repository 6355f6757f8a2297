-- Siaga schema, PostgreSQL flavour. Keep in step with migrations/sqlite/0001_init.sql: same tables, columns
-- and meaning. Differences are only where the engines differ: auto-increment keys and floating point types.
-- All times are BIGINT milliseconds since the Unix epoch (UTC); no time arithmetic happens in SQL.

CREATE TABLE regions (
    code         TEXT PRIMARY KEY,          -- Kemendagri code, e.g. 31.71 or 31.71.01
    name         TEXT NOT NULL,
    level        TEXT NOT NULL,             -- province | regency | district | village
    parent_code  TEXT,
    time_zone    TEXT NOT NULL DEFAULT 'Asia/Jakarta',
    number_prefix TEXT,                     -- incident number prefix, e.g. BTM
    geometry     TEXT,                      -- GeoJSON MultiPolygon
    imported_at  BIGINT NOT NULL
);
CREATE INDEX regions_level ON regions(level);

CREATE TABLE agencies (
    id           TEXT PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    agency_type  TEXT NOT NULL,
    region_code  TEXT NOT NULL,
    phone        TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE service_areas (
    id           TEXT PRIMARY KEY,
    agency_id    TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    region_code  TEXT,                      -- the agency covers this whole region …
    geometry     TEXT,                      -- … or its own polygon (GeoJSON MultiPolygon)
    CHECK ((region_code IS NULL) <> (geometry IS NULL))
);
CREATE INDEX service_areas_agency ON service_areas(agency_id);

CREATE TABLE units (
    id           TEXT PRIMARY KEY,
    agency_id    TEXT NOT NULL REFERENCES agencies(id),
    call_sign    TEXT NOT NULL UNIQUE,
    unit_type    TEXT NOT NULL,
    status       TEXT NOT NULL,
    lon          DOUBLE PRECISION,
    lat          DOUBLE PRECISION,
    position_at  BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX units_agency ON units(agency_id);

CREATE TABLE unit_positions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id      TEXT NOT NULL,
    at           BIGINT NOT NULL,
    lon          DOUBLE PRECISION NOT NULL,
    lat          DOUBLE PRECISION NOT NULL,
    accuracy_m   DOUBLE PRECISION,
    heading_deg  DOUBLE PRECISION,
    speed_mps    DOUBLE PRECISION,
    flagged      TEXT
);
CREATE INDEX unit_positions_unit_at ON unit_positions(unit_id, at);

CREATE TABLE facilities (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,             -- hospital | puskesmas | clinic | other
    capabilities TEXT NOT NULL DEFAULT '',  -- comma separated, e.g. igd_24h
    lon          DOUBLE PRECISION NOT NULL,
    lat          DOUBLE PRECISION NOT NULL,
    region_code  TEXT,
    address      TEXT,
    phone        TEXT,
    imported_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    agency_id     TEXT REFERENCES agencies(id),
    unit_id       TEXT REFERENCES units(id),
    region_code   TEXT,                     -- supervisors and call takers may be scoped to a region
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash     TEXT PRIMARY KEY,        -- SHA-256 of the bearer token; the token itself is never stored
    user_id        TEXT NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT,
    revoked_by     TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username     TEXT NOT NULL,
    at           BIGINT NOT NULL,
    success      BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_user_at ON login_attempts(username, at);

CREATE TABLE calls (
    id             TEXT PRIMARY KEY,
    ani            TEXT NOT NULL,
    channel        TEXT NOT NULL,
    service_line   TEXT NOT NULL,
    status         TEXT NOT NULL,
    class          TEXT,
    ring_at        BIGINT NOT NULL,
    answered_at    BIGINT,
    ended_at       BIGINT,
    classified_at  BIGINT,
    call_taker_id  TEXT REFERENCES users(id),
    aml_raw        TEXT,
    aml_lon        DOUBLE PRECISION,
    aml_lat        DOUBLE PRECISION,
    aml_radius_m   DOUBLE PRECISION,
    aml_at         BIGINT,
    region_code    TEXT,
    routed_to      TEXT,
    prank_flag     BOOLEAN NOT NULL DEFAULT FALSE,
    incident_id    TEXT,
    notes          TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX calls_ani ON calls(ani);
CREATE INDEX calls_ring_at ON calls(ring_at);

CREATE TABLE incidents (
    id                TEXT PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,  -- e.g. BTM-20261124-0007
    status            TEXT NOT NULL,
    category          TEXT NOT NULL,
    subcategory       TEXT,
    priority          TEXT NOT NULL,
    reporter_name     TEXT,
    reporter_phone    TEXT,
    reporter_address  TEXT,
    reporter_lon      DOUBLE PRECISION,
    reporter_lat      DOUBLE PRECISION,
    lon               DOUBLE PRECISION NOT NULL,
    lat               DOUBLE PRECISION NOT NULL,
    accuracy_m        DOUBLE PRECISION,
    address           TEXT,
    region_code       TEXT,
    region_chain      TEXT,                  -- JSON array of {code, name, level}
    victims_count     BIGINT NOT NULL DEFAULT 0,
    victim_condition  TEXT NOT NULL DEFAULT 'unknown',
    description       TEXT,
    occurred_at       BIGINT,
    created_by        TEXT REFERENCES users(id),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    resolved_at       BIGINT,
    closed_at         BIGINT,
    closed_by         TEXT,
    final_report      TEXT
);
CREATE INDEX incidents_created_at ON incidents(created_at);
CREATE INDEX incidents_region ON incidents(region_code);

CREATE TABLE incident_calls (
    incident_id  TEXT NOT NULL REFERENCES incidents(id),
    call_id      TEXT NOT NULL REFERENCES calls(id),
    linked_at    BIGINT NOT NULL,
    PRIMARY KEY (incident_id, call_id)
);

-- One row per OPD an incident is escalated to; each OPD verifies or rejects on its own.
CREATE TABLE incident_agencies (
    incident_id    TEXT NOT NULL REFERENCES incidents(id),
    agency_id      TEXT NOT NULL REFERENCES agencies(id),
    agency_type    TEXT NOT NULL,
    status         TEXT NOT NULL,            -- escalated | verified | rejected
    escalated_at   BIGINT NOT NULL,
    decided_at     BIGINT,
    decided_by     TEXT,
    reason         TEXT,
    PRIMARY KEY (incident_id, agency_id)
);
CREATE INDEX incident_agencies_agency ON incident_agencies(agency_id, status);

-- Per region and local day: the last incident sequence number handed out.
CREATE TABLE incident_counters (
    prefix       TEXT NOT NULL,
    day          TEXT NOT NULL,             -- yyyymmdd in the region's time zone
    last_value   BIGINT NOT NULL,
    PRIMARY KEY (prefix, day)
);

CREATE TABLE assignments (
    id               TEXT PRIMARY KEY,
    incident_id      TEXT NOT NULL REFERENCES incidents(id),
    unit_id          TEXT NOT NULL REFERENCES units(id),
    agency_id        TEXT NOT NULL REFERENCES agencies(id),
    status           TEXT NOT NULL,
    assigned_by      TEXT REFERENCES users(id),
    assigned_at      BIGINT NOT NULL,
    acknowledged_at  BIGINT,
    en_route_at      BIGINT,
    on_scene_at      BIGINT,
    resolved_at      BIGINT,
    declined_at      BIGINT,
    cancelled_at     BIGINT,
    reason           TEXT,
    note             TEXT,
    share_reporter   BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX assignments_incident ON assignments(incident_id);
CREATE INDEX assignments_unit ON assignments(unit_id, status);

CREATE TABLE sla_policies (
    category     TEXT NOT NULL,             -- an incident category, or '*' for every category
    priority     TEXT NOT NULL,             -- a priority, or '*'
    kind         TEXT NOT NULL,             -- answer | escalation | dispatch | acknowledge | arrival | resolution
    target_ms    BIGINT NOT NULL,
    PRIMARY KEY (category, priority, kind)
);

CREATE TABLE sla_clocks (
    id            TEXT PRIMARY KEY,
    subject_type  TEXT NOT NULL,            -- call | incident | assignment
    subject_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    agency_id     TEXT,
    started_at    BIGINT NOT NULL,
    target_ms     BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    stopped_at    BIGINT,
    breached_at   BIGINT,
    UNIQUE (subject_type, subject_id, kind)
);
CREATE INDEX sla_clocks_running ON sla_clocks(stopped_at, due_at);

-- Replays of mutating requests carrying an Idempotency-Key: the first response is stored and returned again.
CREATE TABLE idempotency_keys (
    user_id       TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        BIGINT,
    response      TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);

-- Append-only: no UPDATE or DELETE is ever issued against this table.
CREATE TABLE audit_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_id      TEXT,
    actor_role    TEXT,
    action        TEXT NOT NULL,            -- e.g. user.create, session.force_logout, incident.read_personal
    subject_type  TEXT NOT NULL,
    subject_id    TEXT,
    before_json   TEXT,
    after_json    TEXT,
    detail        TEXT
);
CREATE INDEX audit_log_subject ON audit_log(subject_type, subject_id);
CREATE INDEX audit_log_at ON audit_log(at);

-- The durable, ordered event stream behind the websocket (resume_from=<seq>).
CREATE TABLE events (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    event_type    TEXT NOT NULL,
    agency_ids    TEXT,                     -- comma separated agencies allowed to see it; NULL = all
    unit_id       TEXT,
    region_code   TEXT,
    payload       TEXT NOT NULL
);

CREATE TABLE agent_states (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    state         TEXT NOT NULL,            -- logged_in | ready | on_call | aux | logged_out
    reason        TEXT,
    at            BIGINT NOT NULL,
    by_user_id    TEXT
);
CREATE INDEX agent_states_user_at ON agent_states(user_id, at);
