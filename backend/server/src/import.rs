//! `siaga import …` and `siaga locate`: loading boundaries, faskes and OPDs, and checking them.
//!
//! Every import parses and validates the whole file first (with `siaga-spatial`'s strict parsers, whose errors
//! name the feature and the fault), then writes it in one transaction: a refused file leaves the previous data
//! exactly as it was.

use crate::geo::Geo;
use crate::store::{ChangeSet, Store, import};
use anyhow::{Context, bail};
use geo::InteriorPoint;
use siaga_spatial::Position;
use siaga_spatial::import::{
    FacilityImportOptions, RegionImportOptions, parse_agencies_csv, parse_agencies_geojson,
    parse_facilities_csv, parse_facilities_geojson, parse_regions, parse_villages_csv,
};
use siaga_spatial::layers::{AgencyArea, RegionLevel};
use siaga_spatial::streets::{StreetWay, place_tags, street_tags};
use std::fmt::Write as _;
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
    /// Streets and named places (landmarks: amenity, shop, tourism, office, named buildings, …) from an
    /// OpenStreetMap extract (`.osm.pbf`), for the call takers' place search. Each street and place gets the
    /// kelurahan and kecamatan of the regions already imported (import those first). Replaces the streets and
    /// places of the previous extract.
    Osm {
        /// The `.osm.pbf` file.
        file: String,
    },
    /// The road graph for drive-time recommendations and routes, from an OpenStreetMap extract (`.osm.pbf`)
    /// or a GeoJSON drive extract: drivable ways per vehicle profile, prepared as contraction hierarchies and
    /// written to `[roads] graph` (default `roads.graph` in `data_dir`) for `siaga serve` to load at start.
    /// Needs no database. A file that cannot be read changes nothing.
    Roads {
        /// The `.osm.pbf` (or `.geojson`) file.
        file: String,
        /// Write the prepared graph here instead of the configured path.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
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
        ImportCommand::Osm { file } => import_osm(store, file, now).await,
        ImportCommand::Opd { file } => import_opd(store, file, now).await,
        ImportCommand::Roads { file, out } => {
            let out = out.clone().unwrap_or_else(|| "data/roads.graph".into());
            import_roads(file, &out).await
        }
    }
}

/// Prepares the road graph of `file` and writes it to `out` (through a temporary file renamed into place).
pub async fn import_roads(file: &str, out: &Path) -> anyhow::Result<String> {
    let (input, output) = (std::path::PathBuf::from(file), out.to_owned());
    let started = std::time::Instant::now();
    let graph = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let graph = siaga_roads::RoadGraph::prepare_file(&input)
            .with_context(|| format!("reading roads from {}", input.display()))?;
        graph.save(&output)?;
        Ok(graph.stats())
    })
    .await??;
    Ok(format!(
        "road graph: {} nodes, {} segments ({} car, {} motorbike directed edges), prepared in {:.1} s, written to {}",
        graph.nodes,
        graph.segments,
        graph.car_edges,
        graph.motorbike_edges,
        started.elapsed().as_secs_f64(),
        out.display()
    ))
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

/// What an OSM extract holds for the gazetteer, before grouping: street ways and named places.
pub struct OsmExtract {
    /// Named street ways.
    pub ways: Vec<StreetWay>,
    /// Named places: id (`n…`, `w…`, `r…`), name, kind and point.
    pub places: Vec<(String, String, String, Position)>,
    /// Nodes the ways named but the file lacks (a clipped extract).
    pub missing_nodes: u64,
}

/// Reads the streets and named places of an `.osm.pbf`; a wrong, truncated or corrupt file is an error
/// before anything is kept.
pub fn read_osm(path: &Path) -> anyhow::Result<OsmExtract> {
    use siaga_osm::{Geometry, Kind};
    use std::ops::ControlFlow;
    let keep = |kind: Kind, tags: &[(&str, &str)]| match kind {
        Kind::Way => street_tags(tags).is_some() || place_tags(tags).is_some(),
        Kind::Node | Kind::Relation => place_tags(tags).is_some(),
    };
    let mut out = OsmExtract {
        ways: Vec::new(),
        places: Vec::new(),
        missing_nodes: 0,
    };
    let stats = siaga_osm::read(path, &keep, |f| {
        let tags: Vec<(&str, &str)> = f
            .tags
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let to_position = |c: geo::Coord<f64>| Position::from_lon_lat(c.x, c.y).ok();
        if let (Kind::Way, Geometry::Way(line), Some((name, highway))) =
            (f.kind, &f.geometry, street_tags(&tags))
        {
            out.ways.push(StreetWay {
                id: f.id,
                name: name.to_owned(),
                highway: highway.to_owned(),
                line: line.0.iter().filter_map(|c| to_position(*c)).collect(),
            });
            return ControlFlow::Continue(());
        }
        if let Some(place) = osm_place(&f, &tags) {
            out.places.push(place);
        }
        ControlFlow::Continue(())
    })?;
    out.missing_nodes = stats.missing_nodes;
    Ok(out)
}

/// The named place a feature is (see [`place_tags`]): its id (`n`, `w` or `r` and the OSM id), name, kind and
/// point: the node, a point inside the area, or a point on an open way.
fn osm_place(
    f: &siaga_osm::Feature,
    tags: &[(&str, &str)],
) -> Option<(String, String, String, Position)> {
    use siaga_osm::{Geometry, Kind};
    let (name, kind) = place_tags(tags)?;
    let point = match (&f.geometry, f.polygon()) {
        (_, Some(area)) => area.interior_point(),
        (Geometry::Point(p), None) => Some(*p),
        (Geometry::Way(line), None) => line.interior_point(),
        (Geometry::MultiPolygon(_), None) => None,
    }?;
    let prefix = match f.kind {
        Kind::Node => 'n',
        Kind::Way => 'w',
        Kind::Relation => 'r',
    };
    let position = Position::from_lon_lat(point.x(), point.y()).ok()?;
    Some((format!("{prefix}{}", f.id), name.to_owned(), kind, position))
}

/// Replaces the OSM streets and places with those of an extract.
async fn import_osm(store: &Store, file: &str, now: i64) -> anyhow::Result<String> {
    let started = std::time::Instant::now();
    let geo = Geo::load(store).await?;
    let path = std::path::PathBuf::from(file);
    let extract = tokio::task::spawn_blocking(move || read_osm(&path))
        .await?
        .map_err(|e| anyhow::anyhow!("{file} refused, nothing imported: {e}"))?;
    let way_count = extract.ways.len();
    let streets = geo.group_streets(extract.ways);
    if streets.is_empty() && extract.places.is_empty() {
        bail!("{file} refused, nothing imported: it holds no named street or place");
    }
    let mut set = ChangeSet::new(now);
    for s in import::delete_osm() {
        set.push(s);
    }
    let mut unplaced = 0usize;
    for s in &streets {
        unplaced += usize::from(s.area.district.is_none());
        set.push(import::insert_osm_street(
            &s.id,
            &s.name,
            &s.highway,
            s.area.village.as_deref(),
            s.area.district.as_deref(),
            (s.position.lon(), s.position.lat()),
            crate::geo::multi_line_geojson(&s.lines),
            now,
        ));
    }
    let mut places = extract.places;
    places.sort_by(|a, b| a.0.cmp(&b.0));
    places.dedup_by(|a, b| a.0 == b.0);
    for (id, name, kind, position) in &places {
        let area = geo.area_codes(*position);
        unplaced += usize::from(area.district.is_none());
        set.push(import::insert_osm_place(
            id,
            name,
            kind,
            area.village.as_deref(),
            area.district.as_deref(),
            (position.lon(), position.lat()),
            now,
        ));
    }
    store.commit(set).await?;
    let mut summary = format!(
        "imported {} streets ({way_count} named ways) and {} named places from {file} in {:.1} s",
        streets.len(),
        places.len(),
        started.elapsed().as_secs_f64()
    );
    if unplaced > 0 {
        let _ = write!(
            summary,
            "; {unplaced} lie in no imported kecamatan and have no context (import the regions first)"
        );
    }
    if extract.missing_nodes > 0 {
        let _ = write!(
            summary,
            "; {} nodes the ways name are not in the file (a clipped extract)",
            extract.missing_nodes
        );
    }
    Ok(summary)
}

/// Imports an embedded OSM extract (the demo's streets) unless streets or places are stored already; returns
/// the summary, or `None` when it was skipped.
pub async fn load_osm_once(store: &Store, pbf: &[u8], now: i64) -> anyhow::Result<Option<String>> {
    if store.count_osm().await? > 0 {
        return Ok(None);
    }
    // The reader reads a file (several passes), so the embedded bytes go to a temporary one first.
    let path = std::env::temp_dir().join(format!("siaga-osm-{}.osm.pbf", uuid::Uuid::now_v7()));
    std::fs::write(&path, pbf).with_context(|| format!("writing {}", path.display()))?;
    let result = import_osm(store, &path.to_string_lossy(), now).await;
    let _ = std::fs::remove_file(&path);
    result.map(Some)
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
    fn named_nodes_and_areas_become_places_pinned_at_or_inside_them() {
        use siaga_osm::{Feature, Geometry, Kind, Tags};
        let tags = |pairs: &[(&str, &str)]| {
            Tags(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        };
        let borrowed = |f: &Feature| -> Vec<(String, String)> { f.tags.0.clone() };
        let place = |f: &Feature| {
            let owned = borrowed(f);
            let t: Vec<(&str, &str)> = owned
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            osm_place(f, &t)
        };
        let mosque = Feature {
            kind: Kind::Node,
            id: 42,
            tags: tags(&[("amenity", "place_of_worship"), ("name", "Masjid Raya")]),
            geometry: Geometry::Point(geo::Point::new(106.9, -6.16)),
        };
        let (id, name, kind, at) = place(&mosque).unwrap();
        assert_eq!(
            (id.as_str(), name.as_str(), kind.as_str()),
            ("n42", "Masjid Raya", "amenity=place_of_worship")
        );
        assert_eq!((at.lon(), at.lat()), (106.9, -6.16));

        let square = geo::LineString::from(vec![
            (106.90, -6.15),
            (106.91, -6.15),
            (106.91, -6.14),
            (106.90, -6.14),
            (106.90, -6.15),
        ]);
        let mall = Feature {
            kind: Kind::Way,
            id: 7,
            tags: tags(&[
                ("shop", "mall"),
                ("building", "yes"),
                ("name", "Mal Kelapa Gading"),
            ]),
            geometry: Geometry::Way(square),
        };
        let (id, _, kind, at) = place(&mall).unwrap();
        assert_eq!((id.as_str(), kind.as_str()), ("w7", "shop=mall"));
        assert!((106.90..106.91).contains(&at.lon()) && (-6.15..-6.14).contains(&at.lat()));

        // No name, or a street: not a place.
        let unnamed = Feature {
            tags: tags(&[("amenity", "bench")]),
            ..mosque.clone()
        };
        assert!(place(&unnamed).is_none());
        let street = Feature {
            tags: tags(&[("highway", "residential"), ("name", "Jalan Pemuda")]),
            ..mall
        };
        assert!(place(&street).is_none());
    }

    #[test]
    fn levels_accept_indonesian_names() {
        assert_eq!(parse_level("kabkota"), Ok(RegionLevel::Regency));
        assert_eq!(parse_level("kecamatan"), Ok(RegionLevel::District));
        assert!(parse_level("rt").is_err());
    }
}
