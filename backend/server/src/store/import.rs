//! Statements of `siaga import`, for a [`ChangeSet`](super::ChangeSet): a whole file is written in one
//! transaction, so a refused file leaves the previous data as it was. Regions and facilities are upserted by
//! code and id, agencies by code; a gazetteer import and a region level replace what was there.

use super::Stmt;

/// Deletes every region of one level (before the level is imported again).
pub fn delete_regions_of_level(level: &str) -> Stmt {
    Stmt::new("DELETE FROM regions WHERE level = $1").text(level)
}

/// Inserts or replaces a region with its GeoJSON geometry.
pub fn upsert_region(
    code: &str,
    name: &str,
    level: &str,
    parent_code: Option<String>,
    time_zone: &str,
    geometry: String,
    now: i64,
) -> Stmt {
    Stmt::new(
        "INSERT INTO regions (code, name, level, parent_code, time_zone, geometry, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
         level = excluded.level, parent_code = excluded.parent_code, time_zone = excluded.time_zone, \
         geometry = excluded.geometry, imported_at = excluded.imported_at",
    )
    .text(code)
    .text(name)
    .text(level)
    .opt_text(parent_code)
    .text(time_zone)
    .text(geometry)
    .int(now)
}

/// Inserts or replaces a health facility; `capabilities` is comma-separated.
pub fn upsert_facility(
    id: &str,
    name: &str,
    kind: String,
    capabilities: String,
    lon: f64,
    lat: f64,
    now: i64,
) -> Stmt {
    Stmt::new(
        "INSERT INTO facilities (id, name, kind, capabilities, lon, lat, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         kind = excluded.kind, capabilities = excluded.capabilities, lon = excluded.lon, \
         lat = excluded.lat, imported_at = excluded.imported_at",
    )
    .text(id)
    .text(name)
    .text(kind)
    .text(capabilities)
    .float(lon)
    .float(lat)
    .int(now)
}

/// Deletes the whole gazetteer (before it is imported again).
pub fn delete_gazetteer() -> Stmt {
    Stmt::new("DELETE FROM gazetteer_places")
}

/// Inserts one gazetteer place (a village), with its centroid when known.
pub fn insert_gazetteer_place(
    code: &str,
    name: &str,
    kind: &str,
    postal_code: Option<String>,
    lon_lat: Option<(f64, f64)>,
    now: i64,
) -> Stmt {
    Stmt::new(
        "INSERT INTO gazetteer_places (code, name, kind, postal_code, lon, lat, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .text(code)
    .text(name)
    .text(kind)
    .opt_text(postal_code)
    .opt_float(lon_lat.map(|p| p.0))
    .opt_float(lon_lat.map(|p| p.1))
    .int(now)
}

/// Inserts an agency, or updates the one with the same `code` (its id and creation time stay).
pub fn upsert_agency(
    id: &str,
    code: &str,
    name: &str,
    agency_type: &str,
    region_code: String,
    now: i64,
) -> Stmt {
    Stmt::new(
        "INSERT INTO agencies (id, code, name, agency_type, region_code, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
         agency_type = excluded.agency_type, region_code = excluded.region_code, \
         updated_at = excluded.updated_at",
    )
    .text(id)
    .text(code)
    .text(name)
    .text(agency_type)
    .text(region_code)
    .int(now)
}

/// Deletes an agency's service areas (before its areas are imported again).
pub fn delete_service_areas(agency_id: &str) -> Stmt {
    Stmt::new("DELETE FROM service_areas WHERE agency_id = $1").text(agency_id)
}

/// Adds a service area made of one region.
pub fn insert_region_service_area(id: String, agency_id: &str, region_code: &str) -> Stmt {
    Stmt::new("INSERT INTO service_areas (id, agency_id, region_code) VALUES ($1, $2, $3)")
        .text(id)
        .text(agency_id)
        .text(region_code)
}

/// Adds a service area drawn as a polygon (GeoJSON geometry).
pub fn insert_polygon_service_area(id: String, agency_id: &str, geometry: String) -> Stmt {
    Stmt::new("INSERT INTO service_areas (id, agency_id, geometry) VALUES ($1, $2, $3)")
        .text(id)
        .text(agency_id)
        .text(geometry)
}

/// Deletes every OSM street and place (before an extract is imported again).
pub fn delete_osm() -> [Stmt; 2] {
    [
        Stmt::new("DELETE FROM osm_streets"),
        Stmt::new("DELETE FROM osm_places"),
    ]
}

/// Inserts one street: its name, road class, area codes, representative point and GeoJSON MultiLineString.
#[expect(clippy::too_many_arguments, reason = "one column each")]
pub fn insert_osm_street(
    id: &str,
    name: &str,
    highway: &str,
    village_code: Option<&str>,
    district_code: Option<&str>,
    lon_lat: (f64, f64),
    geometry: String,
    now: i64,
) -> Stmt {
    Stmt::new(
        "INSERT INTO osm_streets (id, name, highway, village_code, district_code, lon, lat, geometry, \
         imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .text(id)
    .text(name)
    .text(highway)
    .opt_text(village_code)
    .opt_text(district_code)
    .float(lon_lat.0)
    .float(lon_lat.1)
    .text(geometry)
    .int(now)
}

/// Inserts one named place (landmark) with its kind (`key=value`) and area codes.
pub fn insert_osm_place(
    id: &str,
    name: &str,
    kind: &str,
    village_code: Option<&str>,
    district_code: Option<&str>,
    lon_lat: (f64, f64),
    now: i64,
) -> Stmt {
    Stmt::new(
        "INSERT INTO osm_places (id, name, kind, village_code, district_code, lon, lat, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .text(id)
    .text(name)
    .text(kind)
    .opt_text(village_code)
    .opt_text(district_code)
    .float(lon_lat.0)
    .float(lon_lat.1)
    .int(now)
}
