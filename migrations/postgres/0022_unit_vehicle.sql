-- What a unit drives: `car` or `motorbike` (siaga_core::unit::Vehicle). Its routes, drive-time ETAs and coverage
-- follow that vehicle's road rules (a motorbike may take tracks and gang paths, never toll roads). Existing
-- units keep the car every unit type defaults to.
ALTER TABLE units ADD COLUMN vehicle TEXT NOT NULL DEFAULT 'car';
