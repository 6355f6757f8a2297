-- A call taker's console lists the incidents it filed, newest first (GET /incidents?mine=true).
CREATE INDEX incidents_created_by ON incidents(created_by, created_at);
