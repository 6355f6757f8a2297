-- The national village gazetteer (desa/kelurahan: code, name, postal code, centroid) for the call takers'
-- address search, imported with `siaga import gazetteer`. Villages have no boundary here: the search pins a
-- village at its centroid (or, without one, inside its kecamatan).
CREATE TABLE gazetteer_places (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,             -- desa | kelurahan | empty (the source does not say)
    postal_code  TEXT,
    lon          REAL,
    lat          REAL,
    imported_at  BIGINT NOT NULL
);
