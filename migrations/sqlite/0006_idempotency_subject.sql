-- Idempotency keys are claimed in the transaction of the change their request makes (crash safety, issue 8).
-- The claim names the change's subject, so a retry whose first response was lost to a crash between the
-- commit and the reply is answered with that subject's current state instead of running the change again.
-- Same file, same meaning on both engines.
ALTER TABLE idempotency_keys ADD COLUMN subject_type TEXT;
ALTER TABLE idempotency_keys ADD COLUMN subject_id TEXT;
