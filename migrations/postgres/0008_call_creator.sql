-- The account that registered a call (issue 13): an integration account (a telephony gateway) may touch only
-- the calls it registered. Calls registered before this migration have none, so no gateway may touch them.
-- Same file, same meaning on both engines.
ALTER TABLE calls ADD COLUMN created_by TEXT;
