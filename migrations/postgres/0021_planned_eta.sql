-- The travel time (seconds) Siaga estimated for the unit at the moment it was assigned, over the road graph or
-- the straight line: the planned ETA shown beside the arrival clock's target. NULL when the unit had no known
-- position.
ALTER TABLE assignments ADD COLUMN planned_eta_s BIGINT;
