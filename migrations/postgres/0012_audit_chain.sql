-- A tamper-evident audit trail: every entry carries the SHA-256 of its content chained to the entry before
-- it (`prev_hash`), so an edited, inserted or deleted row breaks the chain (`siaga audit verify`). Entries
-- written before this migration are chained once when the server opens the database (their hash is NULL
-- until then). The triggers refuse every UPDATE of a chained entry, every DELETE and TRUNCATE: an edit
-- needs a deliberate `ALTER TABLE … DISABLE TRIGGER`, and even then the chain shows it.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

-- The entries that existed before the chain: only these are ever chained after the fact.
CREATE TABLE audit_chain_origin (legacy_max_id BIGINT NOT NULL);
INSERT INTO audit_chain_origin (legacy_max_id) SELECT COALESCE(MAX(id), 0) FROM audit_log;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW WHEN (OLD.hash IS NOT NULL) EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
