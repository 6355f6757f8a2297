//! `siaga import …` and `siaga locate`: loading boundaries, faskes and OPDs, and checking them.
//!
//! Every import parses and validates the whole file first (with `siaga-spatial`'s strict parsers, whose errors
//! name the feature and the fault), then writes it in one transaction: a refused file leaves the previous data
//! exactly as it was.

use crate::geo::Geo;
use crate::store::{ChangeSet, Store, import};
use anyhow::{Context, bail};
use siaga_spatial::Position;
use siaga_spatial::import::{
    FacilityImportOptions, RegionImportOptions, parse_agencies_csv, parse_agencies_geojson,
    parse_facilities_csv, parse_facilities_geojson, parse_regions, parse_villages_csv,
};
use siaga_spatial::layers::{AgencyArea, RegionLevel};
use std::io::{BufRead, Read, Write};
use std::path::Path;

/// `siaga import …` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// Administrative regions from a GeoJSON FeatureCollection (WGS84 lon/lat). Replaces that level.
    Regions {
        /// The GeoJSON file (`-` for standard input, e.g. `zcat x.geojson.gz | siaga import regions - …`).
        file: String,
        /// province, regency (kab/kota), district (kecamatan) or village (desa/kelurahan).
        #[arg(long, value_parser = parse_level)]
        level: RegionLevel,
        /// Property holding the Kemendagri code.
        #[arg(long, default_value = "code")]
        code_field: String,
        /// Property holding the name.
        #[arg(long, default_value = "name")]
        name_field: String,
    },
    /// Health facilities (faskes) from GeoJSON (the shared faskes schema) or CSV
    /// (`id,name,kind,lon,lat,capabilities`). Adds or updates by id.
    Faskes {
        /// The file; `.csv` is read as CSV, anything else as GeoJSON.
        file: String,
    },
    /// The village gazetteer (desa/kelurahan with postal code and centroid) from CSV
    /// (`code,district_code,name,type,postal_code,lat,lng`, e.g. the shared `desa_kelurahan.csv`), for the
    /// call takers' address search. Replaces the whole gazetteer.
    Gazetteer {
        /// The CSV file (`-` for standard input).
        file: String,
    },
    /// Agencies (OPD) and their service areas from CSV (`id,name,agency_type,region_codes`) or GeoJSON
    /// (polygon service areas). Adds or updates by id (used as the agency code).
    Opd {
        /// The file; `.csv` is read as CSV, anything else as GeoJSON.
        file: String,
    },
}

fn parse_level(s: &str) -> Result<RegionLevel, String> {
    let s = match s {
        "kabkota" | "kab" | "kota" => "regency",
        "kecamatan" | "kec" => "district",
        "desa" | "kelurahan" | "desa_kelurahan" => "village",
        "provinsi" => "province",
        other => other,
    };
    RegionLevel::ALL
        .into_iter()
        .find(|l| l.as_str() == s)
        .ok_or_else(|| {
            format!("unknown level `{s}`; expected province, regency, district or village")
        })
}

fn read_input(file: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("opening {file}"))?
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {file}"))?;
    }
    Ok(bytes)
}

/// The time zone of a region from its province code: WITA and WIT provinces by Kemendagri code, WIB otherwise.
pub fn time_zone_for_code(code: &str) -> &'static str {
    let province = code.split('.').next().unwrap_or("");
    match province {
        "51" | "52" | "53" | "63" | "64" | "65" | "71" | "72" | "73" | "74" | "75" | "76" => {
            "Asia/Makassar"
        }
        p if p.starts_with('8') || p.starts_with('9') => "Asia/Jayapura",
        _ => "Asia/Jakarta",
    }
}

fn parent_of(code: &str) -> Option<String> {
    code.rsplit_once('.').map(|(parent, _)| parent.to_owned())
}

/// Runs one import; returns a one-line summary.
pub async fn run(store: &Store, cmd: &ImportCommand, now: i64) -> anyhow::Result<String> {
    match cmd {
        ImportCommand::Regions {
            file,
            level,
            code_field,
            name_field,
        } => {
            let options = RegionImportOptions {
                level: *level,
                code_field: code_field.clone(),
                name_field: name_field.clone(),
            };
            import_regions(store, file, &options, now).await
        }
        ImportCommand::Faskes { file } => import_faskes(store, file, now).await,
        ImportCommand::Gazetteer { file } => import_gazetteer(store, file, now).await,
        ImportCommand::Opd { file } => import_opd(store, file, now).await,
    }
}

/// Replaces one level of regions.
async fn import_regions(
    store: &Store,
    file: &str,
    options: &RegionImportOptions,
    now: i64,
) -> anyhow::Result<String> {
    let bytes = read_input(file)?;
    let level = options.level;
    let set = parse_regions(bytes.as_slice(), options)
        .map_err(|e| anyhow::anyhow!("{file} refused, nothing imported: {e}"))?;
    let mut changes = ChangeSet::new(now);
    changes.push(import::delete_regions_of_level(level.as_str()));
    for area in &set.areas {
        let geometry = geojson::Geometry::from(&area.geometry);
        changes.push(import::upsert_region(
            &area.id,
            &area.name,
            level.as_str(),
            parent_of(&area.id),
            time_zone_for_code(&area.id),
            geometry.to_string(),
            now,
        ));
    }
    store.commit(changes).await?;
    Ok(format!(
        "imported {} {} regions from {file}",
        set.areas.len(),
        level
    ))
}

/// Adds or updates health facilities by id.
async fn import_faskes(store: &Store, file: &str, now: i64) -> anyhow::Result<String> {
    let bytes = read_input(file)?;
    let facilities = if is_csv(file) {
        parse_facilities_csv(std::io::Cursor::new(bytes))
    } else {
        parse_facilities_geojson(bytes.as_slice(), FacilityImportOptions::default())
    }
    .map_err(|e| anyhow::anyhow!("{file} refused, nothing imported: {e}"))?;
    let mut set = ChangeSet::new(now);
    for f in &facilities {
        let kind = serde_json::to_value(f.kind)?
            .as_str()
            .unwrap_or("other")
            .to_owned();
        let caps: Vec<&str> = f.capabilities.iter().map(|c| c.as_str()).collect();
        set.push(import::upsert_facility(
            &f.id,
            &f.name,
            kind,
            caps.join(","),
            f.position.lon(),
            f.position.lat(),
            now,
        ));
    }
    store.commit(set).await?;
    Ok(format!(
        "imported {} facilities from {file}",
        facilities.len()
    ))
}

/// Replaces the village gazetteer.
async fn import_gazetteer(store: &Store, file: &str, now: i64) -> anyhow::Result<String> {
    let bytes = read_input(file)?;
    let villages = parse_villages_csv(std::io::Cursor::new(bytes))
        .map_err(|e| anyhow::anyhow!("{file} refused, nothing imported: {e}"))?;
    let mut set = ChangeSet::new(now);
    set.push(import::delete_gazetteer());
    for v in &villages {
        set.push(import::insert_gazetteer_place(
            &v.code,
            &v.name,
            &v.kind,
            v.postal_code.clone(),
            v.position.map(|p| (p.lon(), p.lat())),
            now,
        ));
    }
    store.commit(set).await?;
    let pinned = villages.iter().filter(|v| v.position.is_some()).count();
    Ok(format!(
        "imported {} villages ({pinned} with a centroid) into the gazetteer from {file}",
        villages.len()
    ))
}

/// Adds or updates agencies by code, replacing each one's service areas.
async fn import_opd(store: &Store, file: &str, now: i64) -> anyhow::Result<String> {
    let bytes = read_input(file)?;
    let agencies = if is_csv(file) {
        parse_agencies_csv(std::io::Cursor::new(bytes))
    } else {
        parse_agencies_geojson(bytes.as_slice())
    }
    .map_err(|e| anyhow::anyhow!("{file} refused, nothing imported: {e}"))?;
    let existing = store.list_agencies().await?;
    let mut set = ChangeSet::new(now);
    for a in &agencies {
        let id = existing
            .iter()
            .find(|e| e.code == a.id)
            .map_or_else(|| uuid::Uuid::now_v7().to_string(), |e| e.id.clone());
        let region = match &a.area {
            AgencyArea::Regions(codes) => codes.first().cloned().unwrap_or_default(),
            AgencyArea::Polygon(_) => String::new(),
        };
        set.push(import::upsert_agency(
            &id,
            &a.id,
            &a.name,
            a.agency_type.as_str(),
            region,
            now,
        ));
        set.push(import::delete_service_areas(&id));
        match &a.area {
            AgencyArea::Regions(codes) => {
                for code in codes {
                    set.push(import::insert_region_service_area(
                        uuid::Uuid::now_v7().to_string(),
                        &id,
                        code,
                    ));
                }
            }
            AgencyArea::Polygon(mp) => {
                set.push(import::insert_polygon_service_area(
                    uuid::Uuid::now_v7().to_string(),
                    &id,
                    geojson::Geometry::from(mp).to_string(),
                ));
            }
        }
    }
    store.commit(set).await?;
    Ok(format!("imported {} agencies from {file}", agencies.len()))
}

fn is_csv(file: &str) -> bool {
    Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// `siaga locate`: `lon,lat` lines in, `lon,lat,region_code,region_name` lines out (empty code and name when
/// the point is outside every region). A malformed line is reported on stderr and skipped.
pub async fn locate(
    store: &Store,
    input: impl BufRead,
    mut out: impl Write,
) -> anyhow::Result<usize> {
    let geo = Geo::load(store).await?;
    let mut bad = 0usize;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let parsed = trimmed.split_once(',').and_then(|(lon, lat)| {
            Position::from_lon_lat(lon.trim().parse().ok()?, lat.trim().parse().ok()?).ok()
        });
        let Some(p) = parsed else {
            eprintln!(
                "line {}: expected `lon,lat` in degrees, got `{trimmed}`",
                n + 1
            );
            bad += 1;
            continue;
        };
        let located = geo.locate(p);
        let finest = located.region_chain.iter().rev().find(|l| l.inside);
        let (code, name) = finest.map_or(("", ""), |l| (l.code.as_str(), l.name.as_str()));
        let name = if name.contains(',') || name.contains('"') {
            format!("\"{}\"", name.replace('"', "\"\""))
        } else {
            name.to_owned()
        };
        writeln!(out, "{},{},{code},{name}", p.lon(), p.lat())?;
    }
    if bad > 0 {
        bail!("{bad} malformed line(s) skipped");
    }
    Ok(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_follow_the_province() {
        assert_eq!(time_zone_for_code("31.71"), "Asia/Jakarta");
        assert_eq!(time_zone_for_code("51.71.01"), "Asia/Makassar");
        assert_eq!(time_zone_for_code("73.71"), "Asia/Makassar");
        assert_eq!(time_zone_for_code("94.71"), "Asia/Jayapura");
        assert_eq!(time_zone_for_code("81.01"), "Asia/Jayapura");
        assert_eq!(time_zone_for_code("61.71"), "Asia/Jakarta");
    }

    #[test]
    fn levels_accept_indonesian_names() {
        assert_eq!(parse_level("kabkota"), Ok(RegionLevel::Regency));
        assert_eq!(parse_level("kecamatan"), Ok(RegionLevel::District));
        assert!(parse_level("rt").is_err());
    }
}
