//! The demo centre on real places: Kota Adm. Jakarta Utara and Jakarta Timur with their real kecamatan and
//! kelurahan boundaries, DEMO records of the real OPDs, units parked on real OpenStreetMap road nodes, and one
//! user per role; optionally the real faskes of the area from a file (`siaga demo --faskes FILE`), since the
//! faskes data may not be redistributed. Loading is idempotent: what exists already is left as it is.
//!
//! The data is embedded from `geodata/demo/` (derived by `geodata/demo/make_demo.py`) so `siaga demo` works
//! from any folder. [`load_set`] loads another set of the same format (the tests' fictional fixture centre).

use crate::auth::Actor;
use crate::limits::Text;
use crate::service::accounts::{CreateUserRequest, create_account};
use crate::state::AppState;
use crate::store::{AgencyRow, FacilityRow, RegionRow, ServiceAreaRow, UnitRow};
use anyhow::Context;
use serde::Deserialize;
use siaga_core::role::Role;
use siaga_core::unit::{UnitType, Vehicle};
use siaga_spatial::import::{FacilityImportOptions, parse_facilities_geojson};
use siaga_spatial::{Facility, Position};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::path::Path;

/// Regions of the demo centre (GeoJSON FeatureCollection).
pub const DEMO_REGIONS: &str = include_str!("../../../geodata/demo/regions.geojson");
/// OpenStreetMap streets of the demo area for the place search (© OpenStreetMap contributors, ODbL 1.0).
pub const DEMO_STREETS: &[u8] = include_bytes!("../../../geodata/demo/streets.osm.pbf");
/// Agencies, units and users of the demo centre.
pub const DEMO_DATA: &str = include_str!("../../../geodata/demo/demo.json");

#[derive(Deserialize)]
struct DemoData {
    /// What the centre is, for the summary.
    #[serde(default)]
    centre: Option<String>,
    password: String,
    agencies: Vec<DemoAgency>,
    units: Vec<DemoUnit>,
    #[serde(default)]
    facilities: Vec<FacilityRow>,
    users: Vec<DemoUser>,
}

#[derive(Deserialize)]
struct DemoAgency {
    code: String,
    name: String,
    agency_type: String,
    /// The region the agency belongs to (e.g. the province `31` for a DKI-wide office).
    region_code: String,
    /// The regions it serves; by default its own region.
    #[serde(default)]
    serves: Vec<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct DemoUnit {
    agency_code: String,
    call_sign: String,
    unit_type: UnitType,
    /// Default: the unit type's ([`UnitType::default_vehicle`]).
    vehicle: Option<Vehicle>,
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

/// Loads the embedded demo centre, then the real faskes inside its regions from `faskes` (a GeoJSON file of
/// the shared faskes schema) when given; returns a summary with the URL-independent login list. A faskes file
/// that cannot be read or is refused stops the load before anything is written.
pub async fn load(state: &AppState, faskes: Option<&Path>) -> anyhow::Result<String> {
    let faskes = faskes.map(read_faskes).transpose()?;
    let mut summary = load_set(state, DEMO_REGIONS, DEMO_DATA).await?;
    // The streets after the regions: each street's kelurahan comes from them.
    crate::import::load_osm_once(&state.store, DEMO_STREETS, state.now_ms()).await?;
    if let Some((path, facilities)) = faskes {
        let line = load_faskes(state, &path, &facilities, DEMO_REGIONS).await?;
        let _ = writeln!(summary, "{line}");
    }
    Ok(summary)
}

/// Loads a demo set: regions (GeoJSON FeatureCollection whose properties are region rows) and the agencies,
/// units, facilities and users of `data_json` (the format of `geodata/demo/demo.json`); returns the summary.
pub async fn load_set(
    state: &AppState,
    regions_json: &str,
    data_json: &str,
) -> anyhow::Result<String> {
    let data: DemoData = serde_json::from_str(data_json).context("parsing the demo data")?;
    let regions: RegionCollection =
        serde_json::from_str(regions_json).context("parsing the demo regions")?;
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
        let serves = if a.serves.is_empty() {
            std::slice::from_ref(&a.region_code)
        } else {
            a.serves.as_slice()
        };
        for code in serves {
            store
                .add_service_area(&ServiceAreaRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    agency_id: row.id.clone(),
                    region_code: Some(code.clone()),
                    geometry: None,
                })
                .await?;
        }
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
            unit_type: u.unit_type.as_str().to_owned(),
            vehicle: u
                .vehicle
                .unwrap_or(u.unit_type.default_vehicle())
                .as_str()
                .to_owned(),
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
    let centre = data.centre.as_deref().unwrap_or("DEMO data");
    let mut summary = format!("Demo centre loaded: {centre}.\nDemo logins");
    let _ = writeln!(summary, " (password for all: {}):", data.password);
    for u in all_users {
        let _ = writeln!(summary, "  {:<20} {}", u.username, u.role);
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

/// The faskes of a GeoJSON file (the shared faskes schema), with the path as shown in messages.
fn read_faskes(path: &Path) -> anyhow::Result<(String, Vec<Facility>)> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("reading the faskes file {shown}"))?;
    let facilities = parse_facilities_geojson(bytes.as_slice(), FacilityImportOptions::default())
        .map_err(|e| anyhow::anyhow!("the faskes file {shown} was refused: {e}"))?;
    Ok((shown, facilities))
}

/// Adds the `facilities` that lie inside a kab/kota of `regions_json`, each with the finest region it lies in;
/// returns a one-line summary.
async fn load_faskes(
    state: &AppState,
    shown: &str,
    facilities: &[Facility],
    regions_json: &str,
) -> anyhow::Result<String> {
    let regions: RegionCollection =
        serde_json::from_str(regions_json).context("parsing the demo regions")?;
    let demo_regencies: BTreeSet<String> = regions
        .features
        .into_iter()
        .filter(|f| f.properties.level == "regency")
        .map(|f| f.properties.code)
        .collect();
    // The region index is built from what was just stored, so every point is located against it.
    state.geo.reload(&state.store).await?;
    let now = state.now_ms();
    let mut kept = 0;
    for f in facilities {
        let Some(region_code) = demo_region_of(state, f.position, &demo_regencies) else {
            continue;
        };
        let row = FacilityRow {
            id: f.id.clone(),
            name: f.name.clone(),
            kind: serde_json::to_value(f.kind)?
                .as_str()
                .unwrap_or("other")
                .to_owned(),
            capabilities: f
                .capabilities
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(","),
            lon: f.position.lon(),
            lat: f.position.lat(),
            region_code: Some(region_code),
            address: None,
            phone: None,
        };
        state.store.upsert_facility(&row, now).await?;
        kept += 1;
    }
    Ok(format!(
        "Faskes: {kept} of the {} in {shown} lie inside the demo regions and were loaded.",
        facilities.len()
    ))
}

/// The finest region a point lies inside when it lies inside one of `regencies`; `None` otherwise.
fn demo_region_of(state: &AppState, p: Position, regencies: &BTreeSet<String>) -> Option<String> {
    let location = state.geo.locate(p);
    let inside: Vec<&crate::geo::RegionLink> =
        location.region_chain.iter().filter(|l| l.inside).collect();
    let in_demo = inside
        .iter()
        .any(|l| l.level == "regency" && regencies.contains(&l.code));
    in_demo.then(|| inside.last().map(|l| l.code.clone()))?
}
