-- Streets and named places (landmarks) from an OpenStreetMap extract, for the call takers' place search,
-- imported with `siaga import osm` (which replaces both tables). A street is the OSM ways of one name in one
-- kelurahan (else kecamatan); village_code and district_code are the loaded regions containing it at import,
-- from which the search names its context.
CREATE TABLE osm_streets (
    id             TEXT PRIMARY KEY,        -- 'w' and the lowest way id of the group
    name           TEXT NOT NULL,
    highway        TEXT NOT NULL,           -- the most important road class of its ways
    village_code   TEXT,
    district_code  TEXT,
    lon            DOUBLE PRECISION NOT NULL,  -- a point on the lines near their middle
    lat            DOUBLE PRECISION NOT NULL,
    geometry       TEXT NOT NULL,           -- GeoJSON MultiLineString
    imported_at    BIGINT NOT NULL
);

CREATE TABLE osm_places (
    id             TEXT PRIMARY KEY,        -- 'n<id>' for a node, 'w<id>' for an area
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,           -- key=value, e.g. amenity=hospital
    village_code   TEXT,
    district_code  TEXT,
    lon            DOUBLE PRECISION NOT NULL,
    lat            DOUBLE PRECISION NOT NULL,
    imported_at    BIGINT NOT NULL
);
