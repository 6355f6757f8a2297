//! Administrative regions (province, regency, district, village).

use super::{Store, StoreResult, on_db, on_db_write};

/// A region row without its geometry.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub time_zone: String,
    pub number_prefix: Option<String>,
}

impl Store {
    /// Inserts or replaces a region.
    pub async fn upsert_region(
        &self,
        r: &RegionRow,
        geometry: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query(
            "INSERT INTO regions (code, name, level, parent_code, time_zone, number_prefix, geometry, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, \
             parent_code = excluded.parent_code, time_zone = excluded.time_zone, \
             number_prefix = excluded.number_prefix, geometry = excluded.geometry, imported_at = excluded.imported_at")
            .bind(&r.code).bind(&r.name).bind(&r.level).bind(&r.parent_code).bind(&r.time_zone)
            .bind(&r.number_prefix).bind(geometry).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Regions, optionally of one level, ordered by code.
    pub async fn list_regions(&self, level: Option<&str>) -> StoreResult<Vec<RegionRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, RegionRow>(
            "SELECT code, name, level, parent_code, time_zone, number_prefix FROM regions \
             WHERE ($1 IS NULL OR level = $1) ORDER BY code").bind(level).fetch_all(p).await)?)
    }

    /// The region with this code.
    pub async fn get_region(&self, code: &str) -> StoreResult<RegionRow> {
        on_db!(self, p => sqlx::query_as::<_, RegionRow>(
            "SELECT code, name, level, parent_code, time_zone, number_prefix FROM regions WHERE code = $1")
            .bind(code).fetch_optional(p).await)?
        .ok_or(super::StoreError::NotFound)
    }
}
