-- How each step of an assignment reached Siaga when the crew did not post it from its own app: 'radio' when a
-- dispatcher recorded a step the crew reported by radio; NULL for the crew's own step (or a step not taken).
ALTER TABLE assignments ADD COLUMN acknowledged_via TEXT;
ALTER TABLE assignments ADD COLUMN en_route_via TEXT;
ALTER TABLE assignments ADD COLUMN on_scene_via TEXT;
ALTER TABLE assignments ADD COLUMN resolved_via TEXT;
ALTER TABLE assignments ADD COLUMN declined_via TEXT;
