//! Agencies (OPD), their service areas, and their units.

use super::scope::{UNIT_REGION, place_within};
use super::{Stmt, Store, StoreError, StoreResult, on_db, on_db_write};

/// An agency row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AgencyRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub agency_type: String,
    pub region_code: String,
    pub phone: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A unit row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct UnitRow {
    pub id: String,
    pub agency_id: String,
    pub call_sign: String,
    pub unit_type: String,
    /// `car` or `motorbike` (`siaga_core::unit::Vehicle`).
    pub vehicle: String,
    pub status: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub position_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A service area: a whole region, or an agency's own polygon (GeoJSON).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceAreaRow {
    pub id: String,
    pub agency_id: String,
    pub region_code: Option<String>,
    pub geometry: Option<String>,
}

const UNIT_COLUMNS: &str = "id, agency_id, call_sign, unit_type, vehicle, status, lon, lat, position_at, created_at, updated_at";

impl Store {
    /// Inserts an agency; a taken code is a conflict.
    pub async fn create_agency(&self, a: &AgencyRow) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query(
            "INSERT INTO agencies (id, code, name, agency_type, region_code, phone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&a.id).bind(&a.code).bind(&a.name).bind(&a.agency_type).bind(&a.region_code)
            .bind(&a.phone).bind(a.created_at).bind(a.updated_at).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every agency, ordered by code.
    pub async fn list_agencies(&self) -> StoreResult<Vec<AgencyRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, AgencyRow>(
            "SELECT id, code, name, agency_type, region_code, phone, created_at, updated_at \
             FROM agencies ORDER BY code").fetch_all(p).await)?)
    }

    /// The agency with this id.
    pub async fn get_agency(&self, id: &str) -> StoreResult<AgencyRow> {
        on_db!(self, p => sqlx::query_as::<_, AgencyRow>(
            "SELECT id, code, name, agency_type, region_code, phone, created_at, updated_at \
             FROM agencies WHERE id = $1").bind(id).fetch_optional(p).await)?
        .ok_or(StoreError::NotFound)
    }

    /// Adds a service area to an agency.
    pub async fn add_service_area(&self, area: &ServiceAreaRow) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query(
            "INSERT INTO service_areas (id, agency_id, region_code, geometry) VALUES ($1, $2, $3, $4)")
            .bind(&area.id).bind(&area.agency_id).bind(&area.region_code).bind(&area.geometry)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every service area of every agency.
    pub async fn list_service_areas(&self) -> StoreResult<Vec<ServiceAreaRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, ServiceAreaRow>(
            "SELECT id, agency_id, region_code, geometry FROM service_areas ORDER BY agency_id, id")
            .fetch_all(p).await)?)
    }

    /// Inserts a unit; a taken call sign is a conflict.
    pub async fn create_unit(&self, u: &UnitRow) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query(
            "INSERT INTO units (id, agency_id, call_sign, unit_type, status, lon, lat, position_at, \
             created_at, updated_at, vehicle) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&u.id).bind(&u.agency_id).bind(&u.call_sign).bind(&u.unit_type).bind(&u.status)
            .bind(u.lon).bind(u.lat).bind(u.position_at).bind(u.created_at).bind(u.updated_at)
            .bind(&u.vehicle)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Units, optionally only one agency's and only those of agencies based inside a region scope
    /// (`region`), ordered by call sign.
    pub async fn list_units(
        &self,
        agency_id: Option<&str>,
        region: Option<&str>,
    ) -> StoreResult<Vec<UnitRow>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units un WHERE ($1 IS NULL OR agency_id = $1) AND {} \
             ORDER BY call_sign",
            place_within(UNIT_REGION, 2)
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, UnitRow>(&sql).bind(agency_id).bind(region).fetch_all(p).await)?,
        )
    }

    /// The unit with this id.
    pub async fn get_unit(&self, id: &str) -> StoreResult<UnitRow> {
        let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1");
        on_db!(self, p => sqlx::query_as::<_, UnitRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// The units with these ids, in no particular order (ids of no unit are left out).
    pub async fn units_by_ids(&self, ids: &[&str]) -> StoreResult<Vec<UnitRow>> {
        self.rows_for_ids(ids, |values| {
            format!("SELECT {UNIT_COLUMNS} FROM {values} JOIN units ON units.id = v.column1")
        })
        .await
    }
}

/// Renames an agency or changes its phone, guarded on the `updated_at` it was read with (a concurrent edit
/// wins and this one is refused).
pub fn update_agency(a: &AgencyRow, read_at: i64) -> Stmt {
    Stmt::new(
        "UPDATE agencies SET name = $2, phone = $3, updated_at = $4 WHERE id = $1 AND updated_at = $5",
    )
    .text(&a.id)
    .text(&a.name)
    .opt_text(a.phone.as_deref())
    .int(a.updated_at)
    .int(read_at)
    .expect(1)
}

/// Adds an agency, for a [`ChangeSet`](super::ChangeSet); a taken code makes the commit a conflict.
pub fn insert_agency(a: &AgencyRow) -> Stmt {
    Stmt::new(
        "INSERT INTO agencies (id, code, name, agency_type, region_code, phone, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .text(&a.id)
    .text(&a.code)
    .text(&a.name)
    .text(&a.agency_type)
    .text(&a.region_code)
    .opt_text(a.phone.as_deref())
    .int(a.created_at)
    .int(a.updated_at)
}
