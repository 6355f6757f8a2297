//! What the geo index is built from: region geometries, service areas and facilities.

use super::{Store, StoreResult, on_db, on_db_write};

/// A region with its GeoJSON geometry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegionGeometryRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub geometry: Option<String>,
}

/// A health facility row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct FacilityRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// Comma separated, e.g. `igd_24h`.
    pub capabilities: String,
    pub lon: f64,
    pub lat: f64,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
}

impl Store {
    /// Regions that have a geometry, optionally of one level.
    pub async fn region_geometries(
        &self,
        level: Option<&str>,
    ) -> StoreResult<Vec<RegionGeometryRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, RegionGeometryRow>(
            "SELECT code, name, level, geometry FROM regions WHERE geometry IS NOT NULL \
             AND ($1 IS NULL OR level = $1) ORDER BY code").bind(level).fetch_all(p).await)?)
    }

    /// Inserts or replaces a facility.
    pub async fn upsert_facility(&self, f: &FacilityRow, now: i64) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query(
            "INSERT INTO facilities (id, name, kind, capabilities, lon, lat, region_code, address, phone, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
             capabilities = excluded.capabilities, lon = excluded.lon, lat = excluded.lat, \
             region_code = excluded.region_code, address = excluded.address, phone = excluded.phone, \
             imported_at = excluded.imported_at")
            .bind(&f.id).bind(&f.name).bind(&f.kind).bind(&f.capabilities).bind(f.lon).bind(f.lat)
            .bind(&f.region_code).bind(&f.address).bind(&f.phone).bind(now)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every facility.
    pub async fn list_facilities(&self) -> StoreResult<Vec<FacilityRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, FacilityRow>(
            "SELECT id, name, kind, capabilities, lon, lat, region_code, address, phone FROM facilities ORDER BY id")
            .fetch_all(p).await)?)
    }

    /// The village gazetteer (`siaga import gazetteer`), ordered by code.
    pub async fn list_gazetteer(&self) -> StoreResult<Vec<GazetteerRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, GazetteerRow>(
            "SELECT code, name, kind, postal_code, lon, lat FROM gazetteer_places ORDER BY code")
            .fetch_all(p).await)?)
    }

    /// The streets of the imported OSM extract, ordered by id.
    pub async fn list_osm_streets(&self) -> StoreResult<Vec<OsmStreetRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, OsmStreetRow>(
            "SELECT id, name, highway, village_code, district_code, lon, lat, geometry FROM osm_streets \
             ORDER BY id")
            .fetch_all(p).await)?)
    }

    /// The named places of the imported OSM extract, ordered by id.
    pub async fn list_osm_places(&self) -> StoreResult<Vec<OsmPlaceRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, OsmPlaceRow>(
            "SELECT id, name, kind, village_code, district_code, lon, lat FROM osm_places ORDER BY id")
            .fetch_all(p).await)?)
    }

    /// How many OSM streets and places are stored.
    pub async fn count_osm(&self) -> StoreResult<i64> {
        Ok(on_db!(self, p => sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT COUNT(*) FROM osm_streets) + (SELECT COUNT(*) FROM osm_places)")
            .fetch_one(p).await)?)
    }
}

/// A street of an OSM extract (`siaga import osm`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OsmStreetRow {
    pub id: String,
    pub name: String,
    pub highway: String,
    pub village_code: Option<String>,
    pub district_code: Option<String>,
    pub lon: f64,
    pub lat: f64,
    /// GeoJSON MultiLineString.
    pub geometry: String,
}

/// A named place (landmark) of an OSM extract.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OsmPlaceRow {
    pub id: String,
    pub name: String,
    /// `key=value`, e.g. `amenity=hospital`.
    pub kind: String,
    pub village_code: Option<String>,
    pub district_code: Option<String>,
    pub lon: f64,
    pub lat: f64,
}

/// A village of the gazetteer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GazetteerRow {
    pub code: String,
    pub name: String,
    /// `desa` or `kelurahan`.
    pub kind: String,
    pub postal_code: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}
