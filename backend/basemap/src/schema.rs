//! The Protomaps basemap schema (v4), as `@protomaps/basemaps` filters it: which OSM features go into which
//! layer, with which `kind`, `kind_detail`, `min_zoom` and other attributes.
//!
//! Layers and what the style filters on:
//! * `earth`: land polygons (`kind=earth`).
//! * `water`: polygons (`kind` `ocean`, `water`, `lake`) and waterway lines (`kind` = the waterway tag: `river`
//!   and `stream` are drawn, from z9 and z14; `canal`, `drain`, `ditch` are kept with their own kind).
//! * `landuse`: `kind` park, cemetery, hospital, school, university, college, industrial, forest, wood, scrub,
//!   grass, grassland, beach, sand, military, aerodrome, playground, zoo, golf_course, pedestrian, pier, …
//! * `roads`: `kind` highway / major_road / minor_road / other / path / rail, `kind_detail` = the highway tag,
//!   `is_link`, `is_bridge`, `is_tunnel` (present only when true), `oneway=yes`, `name`, `ref`, `shield_text`,
//!   `min_zoom`.
//! * `buildings`: `kind=building` from z14.
//! * `boundaries`: region outlines, `kind` region / county / locality / neighbourhood, `kind_detail` the OSM
//!   admin_level of that Indonesian level (4 provinsi, 5 kab/kota, 6 kecamatan, 7 desa/kelurahan), `name`.
//! * `places`: `kind` region (provinsi), locality (kab/kota, kecamatan, OSM city/town/village/hamlet) or
//!   neighbourhood/macrohood (desa/kelurahan, OSM suburb/quarter/neighbourhood) with `name`, `min_zoom`,
//!   `population_rank`, `sort_key`.
//! * `pois`: named amenity/shop/tourism/leisure/… nodes (and named areas at a representative point) with
//!   `kind` = the tag's value, `name`, `min_zoom`.

use geo::{Area, BoundingRect, InteriorPoint, MultiLineString, MultiPolygon, Point};
use serde::{Deserialize, Serialize};
use siaga_osm::{Feature, Geometry, Kind, Tags};

use crate::geom::{Geom, project_lines, project_point, project_polygons};

/// A vector tile layer of the schema, in the order they are written into a tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Layer {
    Earth,
    Water,
    Landuse,
    Roads,
    Buildings,
    Boundaries,
    Places,
    Pois,
}

impl Layer {
    pub const ALL: [Layer; 8] = [
        Layer::Earth,
        Layer::Water,
        Layer::Landuse,
        Layer::Roads,
        Layer::Buildings,
        Layer::Boundaries,
        Layer::Places,
        Layer::Pois,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Earth => "earth",
            Layer::Water => "water",
            Layer::Landuse => "landuse",
            Layer::Roads => "roads",
            Layer::Buildings => "buildings",
            Layer::Boundaries => "boundaries",
            Layer::Places => "places",
            Layer::Pois => "pois",
        }
    }

    /// The attributes features of this layer may carry (for the archive's `vector_layers` metadata).
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        const KIND: (&str, &str) = ("kind", "String");
        const DETAIL: (&str, &str) = ("kind_detail", "String");
        const NAME: (&str, &str) = ("name", "String");
        const MINZ: (&str, &str) = ("min_zoom", "Number");
        match self {
            Layer::Earth => &[KIND, MINZ],
            Layer::Water => &[KIND, NAME, MINZ],
            Layer::Landuse => &[KIND, NAME, MINZ],
            Layer::Roads => &[
                KIND,
                DETAIL,
                NAME,
                MINZ,
                ("ref", "String"),
                ("shield_text", "String"),
                ("oneway", "String"),
                ("is_link", "Boolean"),
                ("is_bridge", "Boolean"),
                ("is_tunnel", "Boolean"),
            ],
            Layer::Buildings => &[KIND, MINZ],
            Layer::Boundaries => &[
                KIND,
                ("kind_detail", "Number"),
                NAME,
                MINZ,
                ("ref", "String"),
            ],
            Layer::Places => &[
                KIND,
                NAME,
                MINZ,
                ("population_rank", "Number"),
                ("sort_key", "Number"),
                ("ref", "String"),
            ],
            Layer::Pois => &[KIND, NAME, MINZ],
        }
    }
}

/// An attribute value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Val {
    S(String),
    I(i64),
    B(bool),
}

/// One feature of the basemap: its layer, the first zoom it appears at, its attributes and its geometry in
/// Web Mercator coordinates normalised to the unit square (x east, y south).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feat {
    pub layer: Layer,
    pub min_zoom: u8,
    /// Orders features in a layer (stable output): the OSM id or region code order.
    pub order: i64,
    pub attrs: Vec<(String, Val)>,
    pub geom: Geom,
}

fn s(key: &str, v: impl Into<String>) -> (String, Val) {
    (key.to_owned(), Val::S(v.into()))
}
fn i(key: &str, v: i64) -> (String, Val) {
    (key.to_owned(), Val::I(v))
}
fn b(key: &str) -> (String, Val) {
    (key.to_owned(), Val::B(true))
}

/// Which OSM elements the basemap needs (the reader's filter).
pub fn wanted(kind: Kind, tags: &[(&str, &str)]) -> bool {
    let has = |key: &str| tags.iter().any(|(k, _)| *k == key);
    let get = |key: &str| tags.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    match kind {
        Kind::Node => has("place") || (has("name") && POI_KEYS.iter().any(|k| has(k))),
        Kind::Way => {
            has("highway")
                || get("railway") == Some("rail")
                || has("building")
                || has("waterway")
                || area_kind(&|k| get(k)).is_some()
                || water_kind(&|k| get(k)).is_some()
                || (has("name") && POI_KEYS.iter().any(|k| has(k)))
        }
        Kind::Relation => {
            has("building") || area_kind(&|k| get(k)).is_some() || water_kind(&|k| get(k)).is_some()
        }
    }
}

const POI_KEYS: [&str; 8] = [
    "amenity",
    "shop",
    "tourism",
    "leisure",
    "historic",
    "office",
    "railway",
    "public_transport",
];

/// The landuse `kind` of an area, after its tags.
fn area_kind<'a>(get: &dyn Fn(&str) -> Option<&'a str>) -> Option<&'static str> {
    let kind = match (
        get("landuse"),
        get("leisure"),
        get("amenity"),
        get("natural"),
    ) {
        (_, Some("park" | "garden"), _, _) => "park",
        (_, Some("playground"), _, _) => "playground",
        (_, Some("golf_course"), _, _) => "golf_course",
        (_, Some("nature_reserve"), _, _) => "nature_reserve",
        (_, _, Some("hospital"), _) => "hospital",
        (_, _, Some("school"), _) => "school",
        (_, _, Some("university"), _) => "university",
        (_, _, Some("college"), _) => "college",
        (_, _, Some("grave_yard"), _) | (Some("cemetery"), _, _, _) => "cemetery",
        (Some("industrial"), _, _, _) => "industrial",
        (Some("forest"), _, _, _) => "forest",
        (Some("grass" | "recreation_ground"), _, _, _) => "grass",
        (Some("village_green"), _, _, _) => "village_green",
        (Some("allotments"), _, _, _) => "allotments",
        (Some("military"), _, _, _) => "military",
        (_, _, _, Some("wood")) => "wood",
        (_, _, _, Some("scrub")) => "scrub",
        (_, _, _, Some("grassland")) => "grassland",
        (_, _, _, Some("beach")) => "beach",
        (_, _, _, Some("sand")) => "sand",
        _ => {
            if get("aeroway") == Some("aerodrome") {
                "aerodrome"
            } else if get("tourism") == Some("zoo") {
                "zoo"
            } else if get("man_made") == Some("pier") {
                "pier"
            } else if get("highway") == Some("pedestrian") && get("area") == Some("yes") {
                "pedestrian"
            } else if get("boundary") == Some("national_park") {
                "national_park"
            } else if get("boundary") == Some("protected_area") {
                "protected_area"
            } else {
                return None;
            }
        }
    };
    Some(kind)
}

/// The water `kind` of a water area.
fn water_kind<'a>(get: &dyn Fn(&str) -> Option<&'a str>) -> Option<&'static str> {
    if get("natural") == Some("water") {
        return Some(if get("water") == Some("lake") {
            "lake"
        } else {
            "water"
        });
    }
    if get("waterway") == Some("riverbank") || matches!(get("landuse"), Some("reservoir" | "basin"))
    {
        return Some("water");
    }
    None
}

/// The first zoom at which an area of `area` (unit-square units) is at least 8×8 pixels of a 256-pixel tile,
/// clamped to `lo..=hi`.
fn min_zoom_for_area(area: f64, lo: u8, hi: u8) -> u8 {
    let px_at_z0 = area * 256.0 * 256.0;
    for z in lo..=hi {
        if px_at_z0 * 4f64.powi(i32::from(z)) >= 64.0 {
            return z;
        }
    }
    hi
}

/// Road `kind`, `min_zoom` for a highway tag value; None for values that are not drawn as roads.
fn road_class(highway: &str) -> Option<(&'static str, u8, bool)> {
    let (base, link) = match highway.strip_suffix("_link") {
        Some(base) => (base, true),
        None => (highway, false),
    };
    let (kind, min_zoom) = match base {
        "motorway" => ("highway", 3),
        "trunk" => ("major_road", 6),
        "primary" => ("major_road", 7),
        "secondary" => ("major_road", 9),
        "tertiary" => ("major_road", 10),
        "residential" | "unclassified" | "road" | "living_street" => ("minor_road", 12),
        "service" => ("minor_road", 13),
        "pedestrian" | "footway" | "path" | "cycleway" | "steps" | "corridor" | "bridleway" => {
            ("path", 14)
        }
        "track" => ("other", 14),
        _ => return None,
    };
    if link {
        return Some((kind, min_zoom.max(11), true));
    }
    Some((kind, min_zoom, false))
}

/// The POI kind of a named element, if it is one.
fn poi_kind(tags: &Tags) -> Option<(String, u8)> {
    for key in POI_KEYS {
        if let Some(value) = tags.get(key) {
            let value = match (key, value) {
                ("railway", "station" | "halt") | ("public_transport", "station") => "station",
                ("railway" | "public_transport", _) => continue,
                (_, v) if v == "yes" || v.is_empty() => continue,
                (_, v) => v,
            };
            let min_zoom = match value {
                "station" | "townhall" | "university" | "hospital" | "stadium" | "aerodrome"
                | "ferry_terminal" => 14,
                "school" | "college" | "police" | "fire_station" | "place_of_worship"
                | "museum" | "library" | "post_office" | "marketplace" | "mall" | "park"
                | "zoo" | "attraction" => 15,
                _ => 16,
            };
            return Some((value.to_owned(), min_zoom));
        }
    }
    if tags.get("highway") == Some("bus_stop") {
        return Some(("bus_stop".to_owned(), 17));
    }
    None
}

/// Turns one OSM feature into basemap features (zero, one, or two: an area and its label point).
pub fn from_osm(f: &Feature, out: &mut Vec<Feat>) {
    let tags = &f.tags;
    let name = tags.get("name").filter(|n| !n.is_empty());
    match &f.geometry {
        Geometry::Point(p) => {
            if let Some(place) = tags.get("place") {
                if let Some(feat) = osm_place(place, name, *p, f.id) {
                    out.push(feat);
                }
                return;
            }
            if let (Some(name), Some((kind, min_zoom))) = (name, poi_kind(tags)) {
                out.push(Feat {
                    layer: Layer::Pois,
                    min_zoom,
                    order: f.id,
                    attrs: vec![
                        s("kind", kind),
                        s("name", name),
                        i("min_zoom", i64::from(min_zoom)),
                    ],
                    geom: Geom::Point(project_point(*p)),
                });
            }
        }
        Geometry::Way(_) | Geometry::MultiPolygon(_) => {
            let order = if f.kind == Kind::Relation {
                -f.id
            } else {
                f.id
            };
            if let Some(area) = f.polygon() {
                area_features(tags, name, &area, order, out);
            } else if let Geometry::Way(line) = &f.geometry {
                line_features(tags, name, MultiLineString(vec![line.clone()]), order, out);
            }
        }
    }
}

fn osm_place(place: &str, name: Option<&str>, p: Point<f64>, id: i64) -> Option<Feat> {
    let name = name?;
    let (kind, min_zoom, rank) = match place {
        "city" => ("locality", 5, 11),
        "town" => ("locality", 8, 9),
        "village" => ("locality", 11, 6),
        "hamlet" | "isolated_dwelling" => ("locality", 13, 4),
        "suburb" => ("macrohood", 11, 5),
        "quarter" | "neighbourhood" => ("neighbourhood", 13, 3),
        "island" | "islet" => return None,
        _ => return None,
    };
    Some(place_feat(kind, name, min_zoom, rank, project_point(p), id))
}

fn place_feat(kind: &str, name: &str, min_zoom: u8, rank: i64, at: Point<f64>, order: i64) -> Feat {
    Feat {
        layer: Layer::Places,
        min_zoom,
        order,
        attrs: vec![
            s("kind", kind),
            s("name", name),
            i("min_zoom", i64::from(min_zoom)),
            i("population_rank", rank),
            i("sort_key", i64::from(min_zoom)),
        ],
        geom: Geom::Point(at),
    }
}

fn area_features(
    tags: &Tags,
    name: Option<&str>,
    area: &MultiPolygon<f64>,
    order: i64,
    out: &mut Vec<Feat>,
) {
    let projected = project_polygons(area);
    let size = projected.unsigned_area();
    let get = |k: &str| tags.get(k);
    if tags.has("building") || tags.has("building:part") {
        let kind = if tags.has("building") {
            "building"
        } else {
            "building_part"
        };
        out.push(Feat {
            layer: Layer::Buildings,
            min_zoom: 14,
            order,
            attrs: vec![s("kind", kind), i("min_zoom", 14)],
            geom: Geom::Polygons(projected.clone()),
        });
    } else if let Some(kind) = water_kind(&get) {
        let min_zoom = min_zoom_for_area(size, 4, 14);
        out.push(Feat {
            layer: Layer::Water,
            min_zoom,
            order,
            attrs: vec![s("kind", kind), i("min_zoom", i64::from(min_zoom))],
            geom: Geom::Polygons(projected.clone()),
        });
    } else if let Some(kind) = area_kind(&get) {
        let min_zoom = min_zoom_for_area(size, 6, 14);
        let mut attrs = vec![s("kind", kind), i("min_zoom", i64::from(min_zoom))];
        if let Some(name) = name {
            attrs.push(s("name", name));
        }
        out.push(Feat {
            layer: Layer::Landuse,
            min_zoom,
            order,
            attrs,
            geom: Geom::Polygons(projected.clone()),
        });
    }
    // A named hospital, school, market… drawn as an area also gets a POI label at a point inside it.
    if let (Some(name), Some((kind, min_zoom))) = (name, poi_kind(tags))
        && let Some(at) = projected.interior_point()
    {
        out.push(Feat {
            layer: Layer::Pois,
            min_zoom,
            order,
            attrs: vec![
                s("kind", kind),
                s("name", name),
                i("min_zoom", i64::from(min_zoom)),
            ],
            geom: Geom::Point(at),
        });
    }
}

fn line_features(
    tags: &Tags,
    name: Option<&str>,
    line: MultiLineString<f64>,
    order: i64,
    out: &mut Vec<Feat>,
) {
    let projected = project_lines(&line);
    if let Some(highway) = tags.get("highway") {
        let Some((kind, min_zoom, link)) = road_class(highway) else {
            return;
        };
        let mut attrs = vec![
            s("kind", kind),
            s("kind_detail", highway),
            i("min_zoom", i64::from(min_zoom)),
        ];
        if let Some(name) = name {
            attrs.push(s("name", name));
        }
        if let Some(r) = tags.get("ref").filter(|r| !r.is_empty()) {
            attrs.push(s("ref", r));
            let first = r.split(';').next().unwrap_or(r).trim();
            attrs.push(s("shield_text", first));
        }
        if link {
            attrs.push(b("is_link"));
        }
        if matches!(tags.get("bridge"), Some(v) if v != "no") {
            attrs.push(b("is_bridge"));
        }
        if matches!(tags.get("tunnel"), Some(v) if v != "no") {
            attrs.push(b("is_tunnel"));
        }
        if tags.get("oneway") == Some("yes") {
            attrs.push(s("oneway", "yes"));
        }
        out.push(Feat {
            layer: Layer::Roads,
            min_zoom,
            order,
            attrs,
            geom: Geom::Lines(projected),
        });
    } else if tags.get("railway") == Some("rail") {
        if tags.has("service") {
            return; // sidings and yards
        }
        let mut attrs = vec![
            s("kind", "rail"),
            s("kind_detail", "rail"),
            i("min_zoom", 11),
        ];
        if let Some(name) = name {
            attrs.push(s("name", name));
        }
        if matches!(tags.get("tunnel"), Some(v) if v != "no") {
            attrs.push(b("is_tunnel"));
        }
        out.push(Feat {
            layer: Layer::Roads,
            min_zoom: 11,
            order,
            attrs,
            geom: Geom::Lines(projected),
        });
    } else if let Some(waterway) = tags.get("waterway") {
        let min_zoom = match waterway {
            "river" => 9,
            "canal" => 11,
            "stream" | "drain" | "ditch" => 14,
            _ => return,
        };
        let mut attrs = vec![s("kind", waterway), i("min_zoom", min_zoom)];
        if let Some(name) = name {
            attrs.push(s("name", name));
        }
        out.push(Feat {
            layer: Layer::Water,
            min_zoom: min_zoom as u8,
            order,
            attrs,
            geom: Geom::Lines(projected),
        });
    }
}

/// One of Siaga's regions (a GeoJSON feature of the region import format, or a stored region).
#[derive(Clone, Debug)]
pub struct Region {
    /// Dotted Kemendagri code; its segment count is the level (1 provinsi … 4 desa/kelurahan).
    pub code: String,
    pub name: String,
    /// Lon/lat degrees.
    pub area: MultiPolygon<f64>,
}

impl Region {
    /// 1 provinsi, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan.
    pub fn level(&self) -> usize {
        self.code.split('.').count()
    }
}

/// A region's outline (`boundaries`) and label point (`places`).
pub fn from_region(r: &Region, order: i64, out: &mut Vec<Feat>) {
    let level = r.level();
    let (kind, admin_level, line_zoom, place_kind, place_zoom, rank) = match level {
        1 => ("region", 4, 0, "region", 4, 12),
        2 => ("county", 5, 5, "locality", 8, 10),
        3 => ("locality", 6, 9, "locality", 11, 7),
        _ => ("neighbourhood", 7, 12, "neighbourhood", 13, 3),
    };
    let projected = project_polygons(&r.area);
    let rings: Vec<_> = projected
        .iter()
        .flat_map(|p| std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned()))
        .collect();
    if rings.is_empty() {
        return;
    }
    out.push(Feat {
        layer: Layer::Boundaries,
        min_zoom: line_zoom,
        order,
        attrs: vec![
            s("kind", kind),
            i("kind_detail", admin_level),
            s("name", r.name.clone()),
            s("ref", r.code.clone()),
            i("min_zoom", i64::from(line_zoom)),
        ],
        geom: Geom::Lines(MultiLineString(rings)),
    });
    // A region's label goes inside it; a tiny region's label waits until it is big enough to hold it.
    let place_zoom =
        place_zoom.max(min_zoom_for_area(projected.unsigned_area(), 0, 14).saturating_sub(1));
    if let Some(at) = largest(&projected).and_then(|p| p.interior_point()) {
        let mut feat = place_feat(place_kind, &r.name, place_zoom, rank, at, order);
        if level > 1 {
            // Below z6 the style labels a province (kind region) with its `ref`; a numeric code would be noise.
            feat.attrs.push(s("ref", r.code.clone()));
        }
        out.push(feat);
    }
}

fn largest(mp: &MultiPolygon<f64>) -> Option<&geo::Polygon<f64>> {
    mp.iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
}

/// Whether an OSM place node duplicates a region's label (same name, case-insensitively).
pub fn is_region_name(names: &std::collections::HashSet<String>, f: &Feature) -> bool {
    f.tags.has("place")
        && f.tags
            .get("name")
            .is_some_and(|n| names.contains(&n.to_lowercase()))
}

/// The bounding box of a feature's geometry (unit square).
pub fn bbox(geom: &Geom) -> Option<geo::Rect<f64>> {
    match geom {
        Geom::Point(p) => Some(geo::Rect::new(p.0, p.0)),
        Geom::Lines(l) => l.bounding_rect(),
        Geom::Polygons(p) => p.bounding_rect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn feature(kind: Kind, tags: &[(&str, &str)], geometry: Geometry) -> Feature {
        Feature {
            kind,
            id: 1,
            tags: Tags(
                tags.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            geometry,
        }
    }

    fn attr<'a>(f: &'a Feat, key: &str) -> Option<&'a Val> {
        f.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn square() -> Geometry {
        Geometry::Way(LineString::from(vec![
            (106.90, -6.16),
            (106.91, -6.16),
            (106.91, -6.15),
            (106.90, -6.15),
            (106.90, -6.16),
        ]))
    }

    fn made(f: &Feature) -> Vec<Feat> {
        let mut out = Vec::new();
        from_osm(f, &mut out);
        out
    }

    #[test]
    fn roads_get_their_class_detail_name_ref_and_flags() {
        let line = Geometry::Way(LineString::from(vec![(106.90, -6.16), (106.91, -6.16)]));
        let tags = [
            ("highway", "trunk_link"),
            ("name", "Jalan Tol"),
            ("ref", "E1;E2"),
            ("bridge", "yes"),
            ("oneway", "yes"),
        ];
        let out = made(&feature(Kind::Way, &tags, line));
        assert_eq!(out.len(), 1);
        let road = &out[0];
        assert_eq!(road.layer, Layer::Roads);
        assert_eq!(attr(road, "kind"), Some(&Val::S("major_road".into())));
        assert_eq!(
            attr(road, "kind_detail"),
            Some(&Val::S("trunk_link".into()))
        );
        assert_eq!(attr(road, "shield_text"), Some(&Val::S("E1".into())));
        assert_eq!(attr(road, "is_link"), Some(&Val::B(true)));
        assert_eq!(attr(road, "is_bridge"), Some(&Val::B(true)));
        assert_eq!(
            attr(road, "is_tunnel"),
            None,
            "flags are present only when true"
        );
        assert_eq!(attr(road, "oneway"), Some(&Val::S("yes".into())));
        assert_eq!(road.min_zoom, 11);
    }

    #[test]
    fn areas_go_to_buildings_water_or_landuse_and_named_amenities_get_a_poi() {
        let out = made(&feature(Kind::Way, &[("building", "yes")], square()));
        assert_eq!(out[0].layer, Layer::Buildings);
        assert_eq!(out[0].min_zoom, 14);

        let out = made(&feature(
            Kind::Way,
            &[("natural", "water"), ("water", "lake")],
            square(),
        ));
        assert_eq!(out[0].layer, Layer::Water);
        assert_eq!(attr(&out[0], "kind"), Some(&Val::S("lake".into())));

        let out = made(&feature(
            Kind::Way,
            &[("amenity", "hospital"), ("name", "RSUD Koja")],
            square(),
        ));
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].layer, attr(&out[0], "kind")),
            (Layer::Landuse, Some(&Val::S("hospital".into())))
        );
        assert_eq!(out[1].layer, Layer::Pois);
        assert!(matches!(out[1].geom, Geom::Point(_)));
    }

    #[test]
    fn place_and_poi_nodes() {
        let at = Geometry::Point(Point::new(106.9, -6.16));
        let out = made(&feature(
            Kind::Node,
            &[("place", "suburb"), ("name", "Pegangsaan Dua")],
            at.clone(),
        ));
        assert_eq!(out[0].layer, Layer::Places);
        assert_eq!(attr(&out[0], "kind"), Some(&Val::S("macrohood".into())));
        let out = made(&feature(
            Kind::Node,
            &[("amenity", "cafe"), ("name", "Kopi")],
            at.clone(),
        ));
        assert_eq!(
            (out[0].layer, attr(&out[0], "kind")),
            (Layer::Pois, Some(&Val::S("cafe".into())))
        );
        assert!(
            made(&feature(Kind::Node, &[("amenity", "cafe")], at)).is_empty(),
            "unnamed POIs are left out"
        );
    }

    #[test]
    fn regions_give_an_outline_by_level_and_a_label_inside() {
        let area = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (106.89, -6.17),
                (106.93, -6.17),
                (106.93, -6.14),
                (106.89, -6.14),
                (106.89, -6.17),
            ]),
            vec![],
        )]);
        let region = Region {
            code: "31.72.06".into(),
            name: "Kelapa Gading".into(),
            area,
        };
        let mut out = Vec::new();
        from_region(&region, 0, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].layer, Layer::Boundaries);
        assert_eq!(attr(&out[0], "kind_detail"), Some(&Val::I(6)));
        assert_eq!(out[1].layer, Layer::Places);
        assert_eq!(attr(&out[1], "name"), Some(&Val::S("Kelapa Gading".into())));
        assert_eq!(attr(&out[1], "kind"), Some(&Val::S("locality".into())));
    }
}
