//! The demo centre: a hand-drawn, clearly labelled DEMO version of Kota Batam with its OPDs, units, faskes
//! and one user per role. Loading is idempotent: what exists already is left as it is.
//!
//! The data is embedded from `geodata/demo/` so `siaga demo` works from any folder.

use crate::auth::Actor;
use crate::limits::Text;
use crate::service::accounts::{CreateUserRequest, create_account};
use crate::state::AppState;
use crate::store::{AgencyRow, FacilityRow, RegionRow, ServiceAreaRow, UnitRow};
use anyhow::Context;
use serde::Deserialize;
use siaga_core::role::Role;
use std::collections::HashMap;
use std::fmt::Write;

/// Regions of the demo city (GeoJSON FeatureCollection).
pub const DEMO_REGIONS: &str = include_str!("../../../geodata/demo/regions.geojson");
/// OpenStreetMap streets of the demo area for the place search (© OpenStreetMap contributors, ODbL 1.0).
pub const DEMO_STREETS: &[u8] = include_bytes!("../../../geodata/demo/streets.osm.pbf");
/// Agencies, units, facilities and users of the demo city.
pub const DEMO_DATA: &str = include_str!("../../../geodata/demo/demo.json");

#[derive(Deserialize)]
struct DemoData {
    password: String,
    agencies: Vec<DemoAgency>,
    units: Vec<DemoUnit>,
    facilities: Vec<FacilityRow>,
    users: Vec<DemoUser>,
}

#[derive(Deserialize)]
struct DemoAgency {
    code: String,
    name: String,
    agency_type: String,
    region_code: String,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct DemoUnit {
    agency_code: String,
    call_sign: String,
    unit_type: String,
    lon: f64,
    lat: f64,
}

#[derive(Deserialize)]
struct DemoUser {
    username: String,
    display_name: String,
    role: Role,
    agency_code: Option<String>,
    unit_call_sign: Option<String>,
}

#[derive(Deserialize)]
struct RegionCollection {
    features: Vec<RegionFeature>,
}

#[derive(Deserialize)]
struct RegionFeature {
    properties: RegionRow,
    geometry: serde_json::Value,
}

/// Loads the demo data and returns a summary with the URL-independent login list.
pub async fn load(state: &AppState) -> anyhow::Result<String> {
    let data: DemoData = serde_json::from_str(DEMO_DATA).context("parsing embedded demo.json")?;
    let regions: RegionCollection =
        serde_json::from_str(DEMO_REGIONS).context("parsing embedded regions.geojson")?;
    let now = state.now_ms();
    let store = &state.store;

    for f in &regions.features {
        store
            .upsert_region(&f.properties, Some(&f.geometry.to_string()), now)
            .await?;
    }
    for f in &data.facilities {
        store.upsert_facility(f, now).await?;
    }
    crate::import::load_osm_once(store, DEMO_STREETS, now).await?;
    let agency_ids = load_agencies(state, &data.agencies, now).await?;
    let unit_ids = load_units(state, &data.units, &agency_ids, now).await?;
    load_users(state, data, &agency_ids, &unit_ids).await
}

/// Creates the demo agencies that do not exist yet, each serving its region; returns every agency's id by
/// code.
async fn load_agencies(
    state: &AppState,
    agencies: &[DemoAgency],
    now: i64,
) -> anyhow::Result<HashMap<String, String>> {
    let store = &state.store;
    let mut agency_ids: HashMap<String, String> = store
        .list_agencies()
        .await?
        .into_iter()
        .map(|a| (a.code, a.id))
        .collect();
    for a in agencies {
        if agency_ids.contains_key(&a.code) {
            continue;
        }
        let row = AgencyRow {
            id: uuid::Uuid::now_v7().to_string(),
            code: a.code.clone(),
            name: a.name.clone(),
            agency_type: a.agency_type.clone(),
            region_code: a.region_code.clone(),
            phone: a.phone.clone(),
            created_at: now,
            updated_at: now,
        };
        store.create_agency(&row).await?;
        store
            .add_service_area(&ServiceAreaRow {
                id: uuid::Uuid::now_v7().to_string(),
                agency_id: row.id.clone(),
                region_code: Some(a.region_code.clone()),
                geometry: None,
            })
            .await?;
        agency_ids.insert(row.code, row.id);
    }
    Ok(agency_ids)
}

/// Creates the demo units that do not exist yet, available at their stations; returns every unit's id by
/// call sign.
async fn load_units(
    state: &AppState,
    units: &[DemoUnit],
    agency_ids: &HashMap<String, String>,
    now: i64,
) -> anyhow::Result<HashMap<String, String>> {
    let store = &state.store;
    let mut unit_ids: HashMap<String, String> = store
        .list_units(None, None)
        .await?
        .into_iter()
        .map(|u| (u.call_sign, u.id))
        .collect();
    for u in units {
        if unit_ids.contains_key(&u.call_sign) {
            continue;
        }
        let agency_id = agency_ids
            .get(&u.agency_code)
            .with_context(|| format!("demo unit {} names unknown agency", u.call_sign))?;
        let row = UnitRow {
            id: uuid::Uuid::now_v7().to_string(),
            agency_id: agency_id.clone(),
            call_sign: u.call_sign.clone(),
            unit_type: u.unit_type.clone(),
            status: "available".into(),
            lon: Some(u.lon),
            lat: Some(u.lat),
            position_at: Some(now),
            created_at: now,
            updated_at: now,
        };
        store.create_unit(&row).await?;
        unit_ids.insert(row.call_sign, row.id);
    }
    Ok(unit_ids)
}

/// Creates the demo users (and a demo `admin`) that do not exist yet, through the same account checks as
/// the API; returns the summary with every demo login.
async fn load_users(
    state: &AppState,
    data: DemoData,
    agency_ids: &HashMap<String, String>,
    unit_ids: &HashMap<String, String>,
) -> anyhow::Result<String> {
    let existing: Vec<String> = state
        .store
        .list_users(None, None)
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    let mut all_users = vec![DemoUser {
        username: "admin".into(),
        display_name: "Administrator (demo)".into(),
        role: Role::Admin,
        agency_code: None,
        unit_call_sign: None,
    }];
    all_users.extend(data.users);
    let mut summary = String::from("Demo centre loaded: Kota Batam (DEMO data).\nDemo logins");
    let _ = writeln!(summary, " (password for all: {}):", data.password);
    for u in all_users {
        let _ = writeln!(summary, "  {:<16} {}", u.username, u.role);
        if existing.contains(&u.username) {
            continue;
        }
        let agency_id = u
            .agency_code
            .as_ref()
            .and_then(|c| agency_ids.get(c).cloned());
        let unit_id = u
            .unit_call_sign
            .as_ref()
            .and_then(|c| unit_ids.get(c).cloned());
        create_account(
            state,
            None::<&Actor>,
            CreateUserRequest {
                username: Text::trusted(u.username.clone()),
                display_name: Text::trusted(u.display_name),
                role: u.role,
                password: data.password.clone(),
                agency_id: agency_id.map(Text::trusted),
                unit_id: unit_id.map(Text::trusted),
                region_code: None,
                team_id: None,
                must_change_password: false,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating demo user {}: {}", u.username, e.message))?;
    }
    Ok(summary)
}
