-- Cancelling and merging incidents (siaga_core::cancel). A cancelled incident keeps why, by whom and when; a
-- duplicate names the incident it duplicates (`duplicate_of`) and, when it was merged, the master that took its
-- calls and assignments (`merged_into`), so its number keeps leading there.
ALTER TABLE incidents ADD COLUMN cancel_reason TEXT;   -- false_alarm | duplicate | caller_withdrew | handled_elsewhere
ALTER TABLE incidents ADD COLUMN cancel_note TEXT;
ALTER TABLE incidents ADD COLUMN cancelled_at BIGINT;
ALTER TABLE incidents ADD COLUMN cancelled_by TEXT REFERENCES users(id);
ALTER TABLE incidents ADD COLUMN duplicate_of TEXT REFERENCES incidents(id);
ALTER TABLE incidents ADD COLUMN merged_into TEXT REFERENCES incidents(id);
-- A clock stopped because its subject was withdrawn: neither met nor breached in the figures
-- (siaga_core::sla::stop_decision).
ALTER TABLE sla_clocks ADD COLUMN cancelled_at BIGINT;
