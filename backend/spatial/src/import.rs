//! Strict parsers for region, facility and agency input (GeoJSON and CSV).
//!
//! Every parser reads from an `impl Read` the caller opened (this crate does no I/O of its own), never panics,
//! and either returns every record or an [`ImportError`] naming **every** faulty record, for example
//! `feature #12 (code 31.71): ring 0 is not closed`. Nothing is half-imported.
//!
//! # GeoJSON rules (all parsers)
//!
//! * The document is a `FeatureCollection`. A top-level `crs` member, if present and not null, must name WGS84
//!   lon/lat: `urn:ogc:def:crs:OGC:1.3:CRS84`, `urn:ogc:def:crs:OGC::CRS84`, `urn:ogc:def:crs:EPSG::4326` or
//!   `EPSG:4326`. Anything else (a UTM zone such as EPSG:32748, say) is refused rather than misread.
//! * Positions are `[lon, lat, …]` with lon in −180..=180 and lat in −90..=90.
//! * Polygon rings have at least 4 positions, at least 3 distinct points, and are closed (last = first).
//! * Rings do not intersect themselves, rings do not cross or share a stretch of boundary, holes lie inside
//!   their exterior, and MultiPolygon parts do not lie inside one another (see `topology`).
//!
//! # Schemas
//!
//! * **Regions** ([`parse_regions`]): Polygon/MultiPolygon features; the code and name come from the properties
//!   named in [`RegionImportOptions`] (`code` and `name` by default). A code may be a string or an integer; it
//!   must be non-empty and unique.
//! * **Facilities, GeoJSON** ([`parse_facilities_geojson`]): the shared faskes schema. Point features with
//!   properties `id`, `name`, `type` (`hospital`, `puskesmas`, `clinic`, `midwife`, `pharmacy`,
//!   `health_office`, or `other`; the last three map to [`FacilityKind::Other`]) and optional `capabilities`
//!   (an array of names, or one string separated by `;` or `,`).
//! * **Facilities, CSV** ([`parse_facilities_csv`]): header `id,name,kind,lon,lat,capabilities`; `kind` as
//!   above; `capabilities` separated by `;` (may be empty).
//! * **Agencies, CSV** ([`parse_agencies_csv`]): header `id,name,agency_type,region_codes`; `agency_type` one of
//!   `health, fire, disaster, police, social, transport, other`; `region_codes` separated by `;`.
//! * **Agencies, GeoJSON** ([`parse_agencies_geojson`]): properties `id`, `name`, `agency_type`, and either a
//!   Polygon/MultiPolygon geometry (its own service area) or a null geometry with `region_codes` (an array, or
//!   one string separated by `;`). Giving both is an error.
//!
//! CSV columns may come in any order; extra columns are ignored.

mod topology;

use crate::convert::{InvalidPosition, Position, PositionExt, from_geojson};
use crate::facilities::{Capability, Facility, FacilityKind};
use crate::jurisdiction::Area;
use crate::layers::{Agency, AgencyArea, RegionLevel};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};
use siaga_core::agency::AgencyType;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::Read;
use topology::{RingRef, TopologyFault};

/// How to read a region GeoJSON: which level it is and which properties hold the code and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionImportOptions {
    /// The administrative level of every feature.
    pub level: RegionLevel,
    /// The property holding the unique region code (`--code-field`), e.g. `"code"` or `"kode"`.
    pub code_field: String,
    /// The property holding the display name (`--name-field`).
    pub name_field: String,
}

impl RegionImportOptions {
    /// Options for the shared boundary files: properties `code` and `name`.
    pub fn new(level: RegionLevel) -> RegionImportOptions {
        RegionImportOptions {
            level,
            code_field: "code".into(),
            name_field: "name".into(),
        }
    }
}

/// The regions of one level, as parsed.
#[derive(Debug, Clone)]
pub struct RegionSet {
    /// The level given in the options.
    pub level: RegionLevel,
    /// One area per feature, in file order.
    pub areas: Vec<Area>,
}

/// How to read facility GeoJSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FacilityImportOptions {
    /// Give every `hospital` the `igd_24h` capability when the feature lists no capabilities. Indonesian law
    /// obliges hospitals to provide emergency care, and the shared faskes data has no capability field, so this
    /// defaults to `true`.
    pub hospitals_have_igd_24h: bool,
}

impl Default for FacilityImportOptions {
    fn default() -> Self {
        FacilityImportOptions {
            hospitals_have_igd_24h: true,
        }
    }
}

/// Which record an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordRef {
    /// A GeoJSON feature, 0-based index in `features`.
    Feature(usize),
    /// A CSV line, 1-based, the header being line 1.
    Line(u64),
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordRef::Feature(i) => write!(f, "feature #{i}"),
            RecordRef::Line(l) => write!(f, "line {l}"),
        }
    }
}

/// What is wrong with one record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Fault {
    /// A required property or column is absent or null.
    #[error("missing {0}")]
    Missing(String),
    /// A required property or column is empty.
    #[error("{0} is empty")]
    Empty(String),
    /// A property has the wrong JSON type.
    #[error("{field} must be {expected}")]
    WrongType {
        /// The property.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A value is not one of the allowed names.
    #[error("{field}: {message}")]
    UnknownValue {
        /// The property or column.
        field: String,
        /// The list of allowed values.
        message: String,
    },
    /// A key (code or id) repeats an earlier record's.
    #[error("duplicate {field} {value} (first in {first})")]
    Duplicate {
        /// The key field.
        field: String,
        /// The repeated value.
        value: String,
        /// The first record with it.
        first: RecordRef,
    },
    /// The feature has no geometry.
    #[error("has no geometry")]
    NoGeometry,
    /// The geometry has the wrong type.
    #[error("geometry type {found} is not {expected}")]
    GeometryType {
        /// The type found.
        found: String,
        /// The types allowed.
        expected: &'static str,
    },
    /// The geometry is not valid GeoJSON.
    #[error("malformed geometry: {0}")]
    MalformedGeometry(String),
    /// A position is not a valid lon/lat.
    #[error("{ring} position {index}: {}", position_problem(*.problem, *.value))]
    Position {
        /// The ring (or "point").
        ring: String,
        /// Position index in the ring.
        index: usize,
        /// Which coordinate is wrong.
        problem: InvalidPosition,
        /// That coordinate as given, degrees (`None` when the position lacks it).
        value: Option<f64>,
    },
    /// A number column could not be read.
    #[error("{field}: `{value}` is not a number")]
    NotANumber {
        /// The column.
        field: String,
        /// The text found.
        value: String,
    },
    /// A ring's last position differs from its first.
    #[error("{0} is not closed")]
    RingNotClosed(String),
    /// A ring is too short.
    #[error("{ring} has {positions} positions; a ring needs at least 4 with 3 distinct points")]
    RingTooShort {
        /// The ring.
        ring: String,
        /// Positions found.
        positions: usize,
    },
    /// A ring intersects itself.
    #[error("{0} intersects itself")]
    SelfIntersection(String),
    /// Two rings cross.
    #[error("{0} crosses {1}")]
    RingsCross(String, String),
    /// Two rings share a stretch of boundary.
    #[error("{0} and {1} share a stretch of boundary")]
    RingsTouchAlongLine(String, String),
    /// A hole is outside its polygon.
    #[error("{0} (a hole) is not inside its exterior ring")]
    HoleOutside(String),
    /// One part lies inside another.
    #[error("polygons {0} and {1} overlap")]
    PolygonsOverlap(usize, usize),
    /// A feature gives both a geometry and region codes.
    #[error("give either a geometry or region_codes, not both")]
    AreaTwice,
}

/// One faulty record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordError {
    /// Where it is.
    pub record: RecordRef,
    /// Its key, `(label, value)`, e.g. `("code", "31.71")`, when it could be read.
    pub key: Option<(String, String)>,
    /// What is wrong.
    pub fault: Fault,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some((label, value)) => write!(f, "{} ({label} {value}): {}", self.record, self.fault),
            None => write!(f, "{}: {}", self.record, self.fault),
        }
    }
}

/// Why an import failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// The input is not JSON.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// The input is not readable CSV.
    #[error("not valid CSV: {0}")]
    Csv(String),
    /// The JSON is not a FeatureCollection.
    #[error("expected a GeoJSON FeatureCollection, found {0}")]
    NotFeatureCollection(String),
    /// The `crs` member names a CRS other than WGS84 lon/lat.
    #[error("unsupported crs {0}: coordinates must be WGS84 lon/lat (CRS84 or EPSG:4326)")]
    UnsupportedCrs(String),
    /// A CSV header lacks a required column.
    #[error("missing column {0}")]
    MissingColumn(&'static str),
    /// Some records are faulty; all of them are listed.
    #[error("{}", records_message(.0))]
    Records(Vec<RecordError>),
}

impl ImportError {
    /// The stable snake_case error code.
    pub fn code(&self) -> &'static str {
        "invalid_import"
    }
}

fn records_message(errors: &[RecordError]) -> String {
    const SHOWN: usize = 20;
    let mut s = format!("{} invalid record(s)", errors.len());
    for e in errors.iter().take(SHOWN) {
        s.push_str("\n  ");
        s.push_str(&e.to_string());
    }
    if errors.len() > SHOWN {
        s.push_str(&format!("\n  … and {} more", errors.len() - SHOWN));
    }
    s
}

/// CRS names accepted as WGS84 longitude/latitude.
const WGS84_NAMES: [&str; 5] = [
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "urn:ogc:def:crs:EPSG:4326",
];

/// Reads a FeatureCollection and returns its features as JSON objects (non-objects become `None`).
fn read_features(reader: impl Read) -> Result<Vec<Option<Map<String, Value>>>, ImportError> {
    let doc: Value =
        serde_json::from_reader(reader).map_err(|e| ImportError::Json(e.to_string()))?;
    let Value::Object(mut doc) = doc else {
        return Err(ImportError::NotFeatureCollection(json_kind(&doc).into()));
    };
    match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {}
        Some(other) => return Err(ImportError::NotFeatureCollection(other.to_owned())),
        None => {
            return Err(ImportError::NotFeatureCollection(
                "an object without a type".into(),
            ));
        }
    }
    check_crs(doc.get("crs"))?;
    let Some(Value::Array(features)) = doc.remove("features") else {
        return Err(ImportError::NotFeatureCollection(
            "no features array".into(),
        ));
    };
    Ok(features
        .into_iter()
        .map(|f| match f {
            Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Feature") => Some(o),
            _ => None,
        })
        .collect())
}

fn check_crs(crs: Option<&Value>) -> Result<(), ImportError> {
    let Some(crs) = crs else { return Ok(()) };
    if crs.is_null() {
        return Ok(());
    }
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str);
    match name {
        Some(n) if WGS84_NAMES.contains(&n) => Ok(()),
        Some(n) => Err(ImportError::UnsupportedCrs(n.to_owned())),
        None => Err(ImportError::UnsupportedCrs(crs.to_string())),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn properties(feature: &Map<String, Value>) -> Option<&Map<String, Value>> {
    feature.get("properties").and_then(Value::as_object)
}

/// A required key-like property: a non-empty string (trimmed) or an integer.
fn key_property(props: Option<&Map<String, Value>>, field: &str) -> Result<String, Fault> {
    match props.and_then(|p| p.get(field)) {
        None | Some(Value::Null) => Err(Fault::Missing(format!("property `{field}`"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(Fault::Empty(format!("property `{field}`")))
        }
        Some(Value::String(s)) => Ok(s.trim().to_owned()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(_) => Err(Fault::WrongType {
            field: format!("property `{field}`"),
            expected: "a string or an integer",
        }),
    }
}

/// A required non-empty string property.
fn string_property(props: Option<&Map<String, Value>>, field: &str) -> Result<String, Fault> {
    match props.and_then(|p| p.get(field)) {
        None | Some(Value::Null) => Err(Fault::Missing(format!("property `{field}`"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(Fault::Empty(format!("property `{field}`")))
        }
        Some(Value::String(s)) => Ok(s.trim().to_owned()),
        Some(_) => Err(Fault::WrongType {
            field: format!("property `{field}`"),
            expected: "a string",
        }),
    }
}

/// An optional list property: an array of strings, or one string split on `;` (and `,` when `commas`).
fn list_property(
    props: Option<&Map<String, Value>>,
    field: &str,
    commas: bool,
) -> Result<Vec<String>, Fault> {
    let wrong = || Fault::WrongType {
        field: format!("property `{field}`"),
        expected: "an array of strings or a string",
    };
    match props.and_then(|p| p.get(field)) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(split_list(s, commas)),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(|s| s.trim().to_owned()).ok_or_else(wrong))
            .filter(|r| r.as_ref().map_or(true, |s| !s.is_empty()))
            .collect(),
        Some(_) => Err(wrong()),
    }
}

fn split_list(s: &str, commas: bool) -> Vec<String> {
    s.split(|c| c == ';' || (commas && c == ','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The feature's geometry object, if any.
fn geometry(feature: &mut Map<String, Value>) -> Option<Value> {
    match feature.remove("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => Some(g),
    }
}

fn ring_label(polygon: Option<usize>, ring: usize) -> String {
    match polygon {
        Some(p) => format!("polygon {p} ring {ring}"),
        None => format!("ring {ring}"),
    }
}

/// Parses and validates a Polygon or MultiPolygon geometry.
fn parse_areal(geometry: Value) -> Result<MultiPolygon<f64>, Fault> {
    let geom = geojson::Geometry::from_json_value(geometry)
        .map_err(|e| Fault::MalformedGeometry(e.to_string()))?;
    let (raw, multi) = match geom.value {
        geojson::Value::Polygon(p) => (vec![p], false),
        geojson::Value::MultiPolygon(mp) => (mp, true),
        other => {
            return Err(Fault::GeometryType {
                found: other.type_name().to_owned(),
                expected: "a Polygon or MultiPolygon",
            });
        }
    };
    let mut polygons = Vec::with_capacity(raw.len());
    for (p, rings) in raw.iter().enumerate() {
        let label_p = multi.then_some(p);
        if rings.is_empty() {
            return Err(Fault::RingTooShort {
                ring: ring_label(label_p, 0),
                positions: 0,
            });
        }
        let mut lines = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            lines.push(parse_ring(ring, &ring_label(label_p, r))?);
        }
        let mut lines = lines.into_iter();
        let exterior = lines.next().unwrap_or_else(|| LineString(vec![]));
        polygons.push(Polygon::new(exterior, lines.collect()));
    }
    let label = |(p, r): RingRef| ring_label(multi.then_some(p), r);
    if let Some(fault) = topology::check(&polygons) {
        return Err(match fault {
            TopologyFault::SelfIntersection(r) => Fault::SelfIntersection(label(r)),
            TopologyFault::RingsCross(a, b) => Fault::RingsCross(label(a), label(b)),
            TopologyFault::RingsTouchAlongLine(a, b) => {
                Fault::RingsTouchAlongLine(label(a), label(b))
            }
            TopologyFault::HoleOutside(r) => Fault::HoleOutside(label(r)),
            TopologyFault::PolygonsOverlap(a, b) => Fault::PolygonsOverlap(a, b),
        });
    }
    Ok(MultiPolygon(polygons))
}

fn parse_ring(ring: &[Vec<f64>], label: &str) -> Result<LineString<f64>, Fault> {
    let mut coords = Vec::with_capacity(ring.len());
    for (index, pos) in ring.iter().enumerate() {
        let p = from_geojson(pos).map_err(|problem| position_fault(label, index, pos, problem))?;
        coords.push(p.to_coord());
    }
    let distinct = {
        let mut d: Vec<Coord<f64>> = coords.clone();
        d.dedup();
        if d.len() > 1 && d.first() == d.last() {
            d.pop();
        }
        d.len()
    };
    if coords.len() < 4 || distinct < 3 {
        return Err(Fault::RingTooShort {
            ring: label.to_owned(),
            positions: coords.len(),
        });
    }
    if coords.first() != coords.last() {
        return Err(Fault::RingNotClosed(label.to_owned()));
    }
    Ok(LineString(coords))
}

/// Collects per-record results into all records or every error.
struct Collector<T> {
    ok: Vec<T>,
    errors: Vec<RecordError>,
    seen: HashMap<String, RecordRef>,
    key_label: String,
}

impl<T> Collector<T> {
    fn new(key_label: &str) -> Self {
        Collector {
            ok: Vec::new(),
            errors: Vec::new(),
            seen: HashMap::new(),
            key_label: key_label.to_owned(),
        }
    }

    fn fail(&mut self, record: RecordRef, key: Option<&str>, fault: Fault) {
        self.errors.push(RecordError {
            record,
            key: key.map(|k| (self.key_label.clone(), k.to_owned())),
            fault,
        });
    }

    /// Records the key; a repeat is a fault.
    fn claim(&mut self, record: RecordRef, key: &str) -> Result<(), Fault> {
        if let Some(first) = self.seen.get(key) {
            return Err(Fault::Duplicate {
                field: self.key_label.clone(),
                value: key.to_owned(),
                first: *first,
            });
        }
        self.seen.insert(key.to_owned(), record);
        Ok(())
    }

    fn finish(self) -> Result<Vec<T>, ImportError> {
        if self.errors.is_empty() {
            Ok(self.ok)
        } else {
            Err(ImportError::Records(self.errors))
        }
    }
}

/// Parses administrative regions from a GeoJSON FeatureCollection. See the module docs for the rules.
///
/// ```
/// use siaga_spatial::import::{parse_regions, RegionImportOptions};
/// use siaga_spatial::RegionLevel;
/// let json = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"kode":"31.71","nama":"Jakarta Pusat"},
///   "geometry":{"type":"Polygon","coordinates":[[[106.8,-6.2],[106.9,-6.2],[106.9,-6.1],[106.8,-6.2]]]}}]}"#;
/// let opts = RegionImportOptions { level: RegionLevel::Regency, code_field: "kode".into(), name_field: "nama".into() };
/// let set = parse_regions(json.as_bytes(), &opts)?;
/// assert_eq!(set.areas[0].id, "31.71");
///
/// let open = json.replace("[106.8,-6.2]]]", "[106.8,-6.15]]]");
/// let err = parse_regions(open.as_bytes(), &opts).unwrap_err();
/// assert!(err.to_string().contains("feature #0 (code 31.71): ring 0 is not closed"));
/// # Ok::<(), siaga_spatial::import::ImportError>(())
/// ```
///
/// # Errors
///
/// [`ImportError`] for unreadable input, a wrong CRS, or any faulty feature (all are listed).
pub fn parse_regions(
    reader: impl Read,
    options: &RegionImportOptions,
) -> Result<RegionSet, ImportError> {
    let features = read_features(reader)?;
    let mut out: Collector<Area> = Collector::new("code");
    for (i, feature) in features.into_iter().enumerate() {
        let rec = RecordRef::Feature(i);
        let Some(mut feature) = feature else {
            out.fail(
                rec,
                None,
                Fault::WrongType {
                    field: "feature".into(),
                    expected: "a GeoJSON Feature object",
                },
            );
            continue;
        };
        let props = properties(&feature);
        let code = match key_property(props, &options.code_field) {
            Ok(c) => c,
            Err(fault) => {
                out.fail(rec, None, fault);
                continue;
            }
        };
        // Claim the key before any other check, so a repeated key is reported even when its first record
        // is faulty for another reason.
        if let Err(fault) = out.claim(rec, &code) {
            out.fail(rec, Some(&code), fault);
            continue;
        }
        let result = (|| {
            let name = string_property(properties(&feature), &options.name_field)?;
            let geometry = parse_areal(geometry(&mut feature).ok_or(Fault::NoGeometry)?)?;
            Ok(Area {
                id: code.clone(),
                name,
                geometry,
            })
        })();
        match result {
            Ok(area) => out.ok.push(area),
            Err(fault) => out.fail(rec, Some(&code), fault),
        }
    }
    Ok(RegionSet {
        level: options.level,
        areas: out.finish()?,
    })
}

/// Maps the faskes `type` / CSV `kind` names to a [`FacilityKind`].
fn facility_kind(s: &str) -> Option<FacilityKind> {
    match s {
        "hospital" => Some(FacilityKind::Hospital),
        "puskesmas" => Some(FacilityKind::Puskesmas),
        "clinic" => Some(FacilityKind::Clinic),
        "midwife" | "pharmacy" | "health_office" | "other" => Some(FacilityKind::Other),
        _ => None,
    }
}

const KIND_NAMES: &str = "hospital, puskesmas, clinic, midwife, pharmacy, health_office, other";

fn capabilities(names: &[String], field: &str) -> Result<BTreeSet<Capability>, Fault> {
    names
        .iter()
        .map(|n| {
            n.parse::<Capability>().map_err(|e| Fault::UnknownValue {
                field: field.to_owned(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// Reads a FeatureCollection of records keyed by their `id` property and builds one `T` per feature with
/// `build`. Every fault is collected: a member that is not a Feature object, a missing or repeated `id`, or
/// whatever `build` refuses.
fn parse_keyed_features<T>(
    reader: impl Read,
    mut build: impl FnMut(&str, &mut Map<String, Value>) -> Result<T, Fault>,
) -> Result<Vec<T>, ImportError> {
    let features = read_features(reader)?;
    let mut out: Collector<T> = Collector::new("id");
    for (i, feature) in features.into_iter().enumerate() {
        let rec = RecordRef::Feature(i);
        let Some(mut feature) = feature else {
            out.fail(
                rec,
                None,
                Fault::WrongType {
                    field: "feature".into(),
                    expected: "a GeoJSON Feature object",
                },
            );
            continue;
        };
        let id = match key_property(properties(&feature), "id") {
            Ok(id) => id,
            Err(fault) => {
                out.fail(rec, None, fault);
                continue;
            }
        };
        if let Err(fault) = out.claim(rec, &id) {
            out.fail(rec, Some(&id), fault);
            continue;
        }
        match build(&id, &mut feature) {
            Ok(record) => out.ok.push(record),
            Err(fault) => out.fail(rec, Some(&id), fault),
        }
    }
    out.finish()
}

/// Parses health facilities from the shared faskes GeoJSON schema. See the module docs.
///
/// # Errors
///
/// [`ImportError`] for unreadable input, a wrong CRS, or any faulty feature (all are listed).
pub fn parse_facilities_geojson(
    reader: impl Read,
    options: FacilityImportOptions,
) -> Result<Vec<Facility>, ImportError> {
    parse_keyed_features(reader, |id, feature| {
        let props = properties(feature);
        let name = string_property(props, "name")?;
        let ty = string_property(props, "type")?;
        let kind = facility_kind(&ty).ok_or_else(|| Fault::UnknownValue {
            field: "property `type`".into(),
            message: format!("unknown facility type `{ty}`; expected one of {KIND_NAMES}"),
        })?;
        let listed = list_property(props, "capabilities", true)?;
        let mut caps = capabilities(&listed, "property `capabilities`")?;
        if listed.is_empty() && options.hospitals_have_igd_24h && kind == FacilityKind::Hospital {
            caps.insert(Capability::Igd24h);
        }
        let position = point_geometry(geometry(feature).ok_or(Fault::NoGeometry)?)?;
        Ok(Facility {
            id: id.to_owned(),
            name,
            kind,
            position,
            capabilities: caps,
        })
    })
}

/// The fault of position `index` of `ring` (`"point"` for a point), given as `[lon, lat, …]`.
fn position_fault(ring: &str, index: usize, lon_lat: &[f64], problem: InvalidPosition) -> Fault {
    let value = match problem {
        InvalidPosition::Longitude => lon_lat.first(),
        InvalidPosition::Latitude => lon_lat.get(1),
    };
    Fault::Position {
        ring: ring.to_owned(),
        index,
        problem,
        value: value.copied(),
    }
}

/// What is wrong with one coordinate, naming its value: import files are fixed by hand, so the message says
/// which number to look for.
fn position_problem(problem: InvalidPosition, value: Option<f64>) -> String {
    let (axis, range, hint) = match problem {
        InvalidPosition::Longitude => ("longitude", "-180..180", ""),
        InvalidPosition::Latitude => ("latitude", "-90..90", " (are lon and lat swapped?)"),
    };
    match value {
        Some(v) => format!("{axis} {v} is outside {range}{hint}"),
        None => format!("{axis} is missing"),
    }
}

/// A point from two number columns of a CSV row.
fn csv_point(
    table: &CsvTable,
    row: &csv::StringRecord,
    lon_col: &str,
    lat_col: &str,
) -> Result<Position, Fault> {
    let lon = number(table.get(row, lon_col), lon_col)?;
    let lat = number(table.get(row, lat_col), lat_col)?;
    Position::from_lon_lat(lon, lat)
        .map_err(|problem| position_fault("point", 0, &[lon, lat], problem))
}

fn point_geometry(geometry: Value) -> Result<Position, Fault> {
    let geom = geojson::Geometry::from_json_value(geometry)
        .map_err(|e| Fault::MalformedGeometry(e.to_string()))?;
    match geom.value {
        geojson::Value::Point(p) => from_geojson(&p).map_err(|e| position_fault("point", 0, &p, e)),
        other => Err(Fault::GeometryType {
            found: other.type_name().to_owned(),
            expected: "a Point",
        }),
    }
}

/// A CSV file with named columns.
struct CsvTable {
    columns: HashMap<String, usize>,
    reader: csv::Reader<Box<dyn Read>>,
}

impl CsvTable {
    fn open(
        reader: impl Read + 'static,
        required: &[&'static str],
    ) -> Result<CsvTable, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(Box::new(reader) as Box<dyn Read>);
        let headers = reader
            .headers()
            .map_err(|e| ImportError::Csv(e.to_string()))?;
        let columns: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_owned(), i))
            .collect();
        for col in required {
            if !columns.contains_key(*col) {
                return Err(ImportError::MissingColumn(col));
            }
        }
        Ok(CsvTable { columns, reader })
    }

    fn get<'r>(&self, row: &'r csv::StringRecord, col: &str) -> &'r str {
        self.columns
            .get(col)
            .and_then(|i| row.get(*i))
            .unwrap_or("")
    }
}

fn required(value: &str, col: &str) -> Result<String, Fault> {
    if value.is_empty() {
        Err(Fault::Empty(format!("column `{col}`")))
    } else {
        Ok(value.to_owned())
    }
}

fn number(value: &str, col: &str) -> Result<f64, Fault> {
    value.parse::<f64>().map_err(|_| Fault::NotANumber {
        field: format!("column `{col}`"),
        value: value.to_owned(),
    })
}

/// The row loop shared by the CSV parsers: opens the table with the `required` columns, reads the `key` column
/// of each row (non-empty, unique), and builds the record with `build(key, table, row)`, collecting every
/// faulty row instead of stopping at the first.
fn parse_keyed_rows<T>(
    reader: impl Read + 'static,
    required_columns: &[&'static str],
    key: &'static str,
    mut build: impl FnMut(&str, &CsvTable, &csv::StringRecord) -> Result<T, Fault>,
) -> Result<Vec<T>, ImportError> {
    let mut table = CsvTable::open(reader, required_columns)?;
    let mut out: Collector<T> = Collector::new(key);
    let mut row = csv::StringRecord::new();
    loop {
        match table.reader.read_record(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ImportError::Csv(e.to_string())),
        }
        let rec = RecordRef::Line(row.position().map_or(0, csv::Position::line));
        let id = match required(table.get(&row, key), key) {
            Ok(id) => id,
            Err(fault) => {
                out.fail(rec, None, fault);
                continue;
            }
        };
        if let Err(fault) = out.claim(rec, &id) {
            out.fail(rec, Some(&id), fault);
            continue;
        }
        match build(&id, &table, &row) {
            Ok(record) => out.ok.push(record),
            Err(fault) => out.fail(rec, Some(&id), fault),
        }
    }
    out.finish()
}

/// Parses health facilities from CSV with header `id,name,kind,lon,lat,capabilities`. See the module docs.
///
/// # Errors
///
/// [`ImportError`] for unreadable CSV, a missing column, or any faulty row (all are listed).
pub fn parse_facilities_csv(reader: impl Read + 'static) -> Result<Vec<Facility>, ImportError> {
    parse_keyed_rows(
        reader,
        &["id", "name", "kind", "lon", "lat", "capabilities"],
        "id",
        |id, table, row| {
            let name = required(table.get(row, "name"), "name")?;
            let kind_s = table.get(row, "kind");
            let kind = facility_kind(kind_s).ok_or_else(|| Fault::UnknownValue {
                field: "column `kind`".into(),
                message: format!("unknown facility kind `{kind_s}`; expected one of {KIND_NAMES}"),
            })?;
            let position = csv_point(table, row, "lon", "lat")?;
            let caps = capabilities(
                &split_list(table.get(row, "capabilities"), false),
                "column `capabilities`",
            )?;
            Ok(Facility {
                id: id.to_owned(),
                name,
                kind,
                position,
                capabilities: caps,
            })
        },
    )
}

/// A village (desa/kelurahan) of the national gazetteer: a name and code without a boundary, with the postal
/// code and, for most, the centroid of its polygon.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageRecord {
    /// Kemendagri code, e.g. `11.01.01.2001`.
    pub code: String,
    /// The name, e.g. `Keude Bakongan`.
    pub name: String,
    /// `desa`, `kelurahan`, or empty when the source does not say.
    pub kind: String,
    /// Five digits, when known.
    pub postal_code: Option<String>,
    /// The centroid, when known (a few hundred villages have none).
    pub position: Option<Position>,
}

/// Parses the village gazetteer CSV (`code,district_code,name,type,postal_code,lat,lng`; other columns such as
/// `regency_code` are ignored): the code must extend its district code, `type` is `desa`, `kelurahan` or blank,
/// the postal code has five digits or is blank, and `lat`/`lng` are both blank or both a valid position.
///
/// # Errors
///
/// [`ImportError`] for unreadable CSV, a missing column, or any faulty row (all are listed).
pub fn parse_villages_csv(reader: impl Read + 'static) -> Result<Vec<VillageRecord>, ImportError> {
    parse_keyed_rows(
        reader,
        &[
            "code",
            "district_code",
            "name",
            "type",
            "postal_code",
            "lat",
            "lng",
        ],
        "code",
        |code, table, row| {
            let district = table.get(row, "district_code");
            if !code
                .strip_prefix(district)
                .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
            {
                return Err(Fault::UnknownValue {
                    field: "column `district_code`".into(),
                    message: format!("code `{code}` does not extend district code `{district}`"),
                });
            }
            let name = required(table.get(row, "name"), "name")?;
            // Blank in the shared data for 14 villages whose code does not say (code digit 3, in Papua).
            let kind = match table.get(row, "type") {
                k @ ("desa" | "kelurahan" | "") => k.to_owned(),
                other => {
                    return Err(Fault::UnknownValue {
                        field: "column `type`".into(),
                        message: format!(
                            "unknown village type `{other}`; expected desa, kelurahan or nothing"
                        ),
                    });
                }
            };
            let postal = table.get(row, "postal_code");
            let postal_code = match postal {
                "" => None,
                p if p.len() == 5 && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.to_owned()),
                other => {
                    return Err(Fault::UnknownValue {
                        field: "column `postal_code`".into(),
                        message: format!("postal code `{other}` is not five digits"),
                    });
                }
            };
            let position = match (table.get(row, "lng"), table.get(row, "lat")) {
                ("", "") => None,
                _ => Some(csv_point(table, row, "lng", "lat")?),
            };
            Ok(VillageRecord {
                code: code.to_owned(),
                name,
                kind,
                postal_code,
                position,
            })
        },
    )
}

fn agency_type(s: &str, field: &str) -> Result<AgencyType, Fault> {
    s.parse::<AgencyType>().map_err(|e| Fault::UnknownValue {
        field: field.to_owned(),
        message: e.to_string(),
    })
}

/// Parses agencies from CSV with header `id,name,agency_type,region_codes`. See the module docs.
///
/// # Errors
///
/// [`ImportError`] for unreadable CSV, a missing column, or any faulty row (all are listed).
pub fn parse_agencies_csv(reader: impl Read + 'static) -> Result<Vec<Agency>, ImportError> {
    parse_keyed_rows(
        reader,
        &["id", "name", "agency_type", "region_codes"],
        "id",
        |id, table, row| {
            let name = required(table.get(row, "name"), "name")?;
            let ty = agency_type(table.get(row, "agency_type"), "column `agency_type`")?;
            let codes = split_list(table.get(row, "region_codes"), false);
            if codes.is_empty() {
                return Err(Fault::Empty("column `region_codes`".into()));
            }
            Ok(Agency {
                id: id.to_owned(),
                name,
                agency_type: ty,
                area: AgencyArea::Regions(codes),
            })
        },
    )
}

/// Parses agencies from GeoJSON: own polygons, or null geometry with `region_codes`. See the module docs.
///
/// # Errors
///
/// [`ImportError`] for unreadable input, a wrong CRS, or any faulty feature (all are listed).
pub fn parse_agencies_geojson(reader: impl Read) -> Result<Vec<Agency>, ImportError> {
    parse_keyed_features(reader, |id, feature| {
        let props = properties(feature);
        let name = string_property(props, "name")?;
        let ty = agency_type(
            &string_property(props, "agency_type")?,
            "property `agency_type`",
        )?;
        let codes = list_property(props, "region_codes", false)?;
        let area = match (geometry(feature), codes.is_empty()) {
            (Some(_), false) => return Err(Fault::AreaTwice),
            (Some(g), true) => AgencyArea::Polygon(parse_areal(g)?),
            (None, false) => AgencyArea::Regions(codes),
            (None, true) => {
                return Err(Fault::Missing("geometry or property `region_codes`".into()));
            }
        };
        Ok(Agency {
            id: id.to_owned(),
            name,
            agency_type: ty,
            area,
        })
    })
}

#[cfg(test)]
mod tests;
