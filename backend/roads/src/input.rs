//! Reading road ways: an OpenStreetMap `.osm.pbf` (through `siaga-osm`), or the shared GeoJSON drive extracts.
//!
//! GeoJSON comes in two shapes, both read here:
//! * one LineString per OSM way whose properties are the way's raw tags (`highway`, `oneway`, `name`, …, plus
//!   `osm_id`): the Overpass-derived `osm_drive_*.geojson` extracts;
//! * one LineString per *directed* edge `u → v` of an osmnx graph (properties `u`, `v`, `osmid`, `highway`,
//!   `oneway` as a boolean, `maxspeed`, `name`): each feature is a one-way way drawn from `u` to `v`, since osmnx
//!   already wrote a two-way street as two features.

use std::ops::ControlFlow;
use std::path::Path;

use serde_json::Value;

/// One OSM way with the tags the profiles read and its coordinates (lon, lat) in drawing order.
#[derive(Clone, Debug, PartialEq)]
pub struct RawWay {
    pub id: i64,
    pub tags: Vec<(String, String)>,
    pub coords: Vec<[f64; 2]>,
}

impl RawWay {
    /// The value of tag `key`.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Osm(#[from] siaga_osm::OsmError),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a GeoJSON road extract: {reason}")]
    GeoJson { path: String, reason: String },
    #[error("{path} has no drivable way")]
    Empty { path: String },
}

/// The tags a profile or a turn list reads; others are dropped to keep memory low on big extracts.
const KEPT_TAGS: &[&str] = &[
    "highway",
    "oneway",
    "oneway:motorcycle",
    "junction",
    "maxspeed",
    "access",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "motorcycle",
    "emergency",
    "area",
    "name",
    "ref",
];

fn keep_tags<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    tags.filter(|(k, _)| KEPT_TAGS.contains(k))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Reads the ways of `path`: `.pbf` as OpenStreetMap PBF, `.geojson`/`.json` as a GeoJSON extract.
pub fn read_ways(path: &Path) -> Result<Vec<RawWay>, InputError> {
    let name = path.to_string_lossy().to_lowercase();
    let ways = if name.ends_with(".geojson") || name.ends_with(".json") {
        read_geojson(path)?
    } else {
        read_pbf(path)?
    };
    if ways.is_empty() {
        return Err(InputError::Empty {
            path: path.display().to_string(),
        });
    }
    Ok(ways)
}

/// Reads the `highway` ways of an OpenStreetMap PBF.
pub fn read_pbf(path: &Path) -> Result<Vec<RawWay>, InputError> {
    let keep = |kind: siaga_osm::Kind, tags: &[(&str, &str)]| {
        kind == siaga_osm::Kind::Way && tags.iter().any(|(k, _)| *k == "highway")
    };
    let mut ways = Vec::new();
    siaga_osm::read(path, &keep, |feature| {
        if let siaga_osm::Geometry::Way(line) = &feature.geometry {
            ways.push(RawWay {
                id: feature.id,
                tags: keep_tags(feature.tags.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                coords: line.0.iter().map(|c| [c.x, c.y]).collect(),
            });
        }
        ControlFlow::Continue(())
    })?;
    // Blocks decode in parallel: sort so the graph (and its hash-free layout) is the same on every run.
    ways.sort_by_key(|w| w.id);
    Ok(ways)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_owned()),
        // osmnx merges ways and writes a list where they differ: the first stands for the edge.
        Value::Array(items) => items.first().and_then(scalar),
        _ => None,
    }
}

/// Reads a GeoJSON road extract (see the module documentation for the two shapes).
pub fn read_geojson(path: &Path) -> Result<Vec<RawWay>, InputError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Io {
        path: shown.clone(),
        source,
    })?;
    let bad = |reason: String| InputError::GeoJson {
        path: shown.clone(),
        reason,
    };
    let doc: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let features = doc["features"]
        .as_array()
        .ok_or_else(|| bad("no `features` array".into()))?;
    let mut ways = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let props = &f["properties"];
        if f["geometry"]["type"] != "LineString" {
            continue;
        }
        let coords: Vec<[f64; 2]> = f["geometry"]["coordinates"]
            .as_array()
            .ok_or_else(|| bad(format!("feature #{i}: no coordinates")))?
            .iter()
            .filter_map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?]))
            .collect();
        if coords.len() < 2 {
            continue;
        }
        let Some(obj) = props.as_object() else {
            continue;
        };
        let osmnx_edge = obj.contains_key("u") && obj.contains_key("v");
        let id = ["osm_id", "osmid"]
            .iter()
            .find_map(|k| scalar(&props[*k]))
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(i as i64);
        let mut tags: Vec<(String, String)> = obj
            .iter()
            .filter(|(k, _)| KEPT_TAGS.contains(&k.as_str()))
            .filter_map(|(k, v)| Some((k.clone(), scalar(v)?)))
            .collect();
        if osmnx_edge {
            // A directed edge: drawn from u to v, and the reverse direction (if any) is its own feature.
            tags.retain(|(k, _)| k != "oneway" && k != "junction");
            tags.push(("oneway".into(), "yes".into()));
        }
        if !tags.iter().any(|(k, _)| k == "highway") {
            continue;
        }
        ways.push(RawWay { id, tags, coords });
    }
    Ok(ways)
}
