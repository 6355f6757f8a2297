//! Streets and named places (landmarks) from OpenStreetMap, for the gazetteer: which OSM elements count, how
//! the ways of one street are grouped, which kelurahan and kecamatan they lie in, and where on a street the pin
//! goes.
//!
//! This module does not read OSM files: the caller decodes the PBF and hands over ways with their positions
//! and nodes with their tags. What it decides:
//!
//! * A **street** is a way tagged `highway` (a road class, not a proposed or razed one) with a `name`. The ways
//!   of one name are grouped per area: the kelurahan/desa containing each way's midpoint, else its kecamatan.
//!   So "Jalan Pemuda" is one result per kelurahan it runs through, not one per OSM way and not one for the
//!   whole country. Ways in no loaded region are grouped by name and nearness (pieces within some 200 m of
//!   each other, so both carriageways of a boulevard are one street).
//! * A **place** is a named node, or a named closed way (an area, pinned at a point inside it), tagged with one
//!   of [`PLACE_KEYS`] or `building`. Its kind is the first of those tags, e.g. `amenity=hospital`.
//! * Where a street's pin goes: the point of its lines nearest a given point ([`nearest_on_lines`]), or
//!   without one the representative point stored with it (on the line, near its length-weighted centre).

use crate::convert::{Position, PositionExt};
use crate::jurisdiction::Located;
use crate::layers::{AdminLayers, RegionLevel};
use geo::{Centroid, InteriorPoint};
use std::collections::{BTreeMap, HashMap};

/// Tag keys that make a named element a place (landmark), in the order their value names its kind.
pub const PLACE_KEYS: [&str; 11] = [
    "amenity",
    "healthcare",
    "shop",
    "tourism",
    "leisure",
    "office",
    "historic",
    "place",
    "craft",
    "man_made",
    "railway",
];

/// `highway` values that are not (or no longer) a street one could stand on.
const NOT_STREETS: [&str; 8] = [
    "proposed",
    "construction",
    "abandoned",
    "razed",
    "disused",
    "platform",
    "bus_stop",
    "elevator",
];

/// Road classes, most important first: a street made of several ways takes the most important class.
const ROAD_CLASSES: [&str; 13] = [
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "pedestrian",
    "track",
    "footway",
    "path",
];

/// A point outside every region of a level but within this distance of one counts as in it: the boundaries
/// are simplified, so a street along a border may fall in a sliver between two kelurahan.
const SLIVER_M: f64 = 250.0;

/// The street name and road class of a way, when its tags make it a street.
pub fn street_tags<'a>(tags: &[(&'a str, &'a str)]) -> Option<(&'a str, &'a str)> {
    let tag = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let highway = tag("highway")?;
    let name = tag("name")?.trim();
    if name.is_empty() || NOT_STREETS.contains(&highway) {
        return None;
    }
    Some((name, highway))
}

/// The name and kind (`key=value`, e.g. `amenity=hospital`) of a node or area, when its tags make it a place.
/// A named building without another kind is `building=<value>`. Streets are not places.
pub fn place_tags<'a>(tags: &[(&'a str, &'a str)]) -> Option<(&'a str, String)> {
    let tag = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let name = tag("name")?.trim();
    if name.is_empty() || tag("highway").is_some() {
        return None;
    }
    PLACE_KEYS
        .iter()
        .chain(std::iter::once(&"building"))
        .find_map(|k| {
            let v = tag(k)?;
            (v != "no").then(|| format!("{k}={v}"))
        })
        .map(|kind| (name, kind))
}

/// A named OSM way that is a street (see [`street_tags`]), with its positions.
#[derive(Debug, Clone)]
pub struct StreetWay {
    /// The OSM way id.
    pub id: i64,
    /// The `name` tag.
    pub name: String,
    /// The `highway` tag.
    pub highway: String,
    /// The positions of the way's nodes that were found, in order; ways sharing a position (a node) join.
    pub line: Vec<Position>,
}

/// Where a point lies: the kelurahan/desa and kecamatan codes of the loaded regions.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AreaCodes {
    /// The village (kelurahan/desa) code, when villages are loaded and the point is in (or next to) one.
    pub village: Option<String>,
    /// The district (kecamatan) code, likewise.
    pub district: Option<String>,
}

impl AreaCodes {
    /// The codes of the village and district at `p` (see [`SLIVER_M`]).
    pub fn at(layers: &AdminLayers, p: Position) -> AreaCodes {
        let mut codes = AreaCodes::default();
        for link in layers.chain_at(p) {
            let code = match link.located {
                Located::Inside { area } => area.id.clone(),
                Located::Outside {
                    nearest,
                    distance_m,
                } if distance_m <= SLIVER_M => nearest.id.clone(),
                Located::Outside { .. } => continue,
            };
            match link.level {
                RegionLevel::Village => codes.village = Some(code),
                RegionLevel::District => codes.district = Some(code),
                _ => {}
            }
        }
        codes
    }
}

/// One street in one area: the ways of a name grouped (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Street {
    /// `w` and the lowest OSM way id of the group, e.g. `w24055272`: stable while that way exists.
    pub id: String,
    /// The name.
    pub name: String,
    /// The most important road class among the ways.
    pub highway: String,
    /// The area the ways lie in.
    pub area: AreaCodes,
    /// The ways' lines (each with at least two points).
    pub lines: Vec<Vec<Position>>,
    /// A point on the lines near their length-weighted centre: the pin when no point is given.
    pub position: Position,
}

/// A named place (landmark) from OSM.
#[derive(Debug, Clone, PartialEq)]
pub struct OsmPlace {
    /// `n<id>` for a node, `w<id>` for an area drawn as a closed way.
    pub id: String,
    /// The name.
    pub name: String,
    /// `key=value`, e.g. `amenity=hospital` (see [`place_tags`]).
    pub kind: String,
    /// The node, or a point inside the area.
    pub position: Position,
    /// The area it lies in.
    pub area: AreaCodes,
}

/// A point inside the closed ring `ring` (first point equal to the last), or on it when the ring has no
/// inside (a degenerate polygon); `None` for fewer than four points.
pub fn area_point(ring: &[Position]) -> Option<Position> {
    if ring.len() < 4 {
        return None;
    }
    let polygon = geo::Polygon::new(
        geo::LineString::from(ring.iter().map(|p| p.to_coord()).collect::<Vec<_>>()),
        Vec::new(),
    );
    let point = polygon.interior_point()?;
    Position::from_lon_lat(point.x(), point.y()).ok()
}

/// Groups street ways into streets: by name and area (the village, else the district, at each way's
/// midpoint); ways in no area by name and nearness. Ways with fewer than two positions are left out.
/// The result is ordered by id.
pub fn group_streets(ways: Vec<StreetWay>, layers: &AdminLayers) -> Vec<Street> {
    let mut groups: BTreeMap<(String, AreaCodes), Vec<StreetWay>> = BTreeMap::new();
    for way in ways.into_iter().filter(|w| w.line.len() >= 2) {
        let Some(mid) = midpoint(&way.line) else {
            continue;
        };
        let area = AreaCodes::at(layers, mid);
        let area = if area.village.is_some() {
            area
        } else {
            AreaCodes {
                village: None,
                district: area.district,
            }
        };
        groups
            .entry((way.name.clone(), area))
            .or_default()
            .push(way);
    }
    let mut streets = Vec::new();
    for ((name, area), ways) in groups {
        let pieces = if area.village.is_none() && area.district.is_none() {
            connected(ways)
        } else {
            vec![ways]
        };
        for piece in pieces {
            if let Some(street) = street_of(name.clone(), area.clone(), piece) {
                streets.push(street);
            }
        }
    }
    streets.sort_by(|a, b| a.id.cmp(&b.id));
    streets
}

/// Ways of one name closer than about this many degrees (some 200 m) belong to one street when no region
/// tells them apart: the two carriageways of a boulevard are separate OSM ways that share no node.
const NEAR_DEG: f64 = 0.002;

/// The ways split into pieces that lie near each other: union-find over grid cells of [`NEAR_DEG`], a way
/// joining every way with a point in its cells or the neighbouring ones.
fn connected(ways: Vec<StreetWay>) -> Vec<Vec<StreetWay>> {
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let cell = |p: &Position| {
        (
            (p.lon() / NEAR_DEG).floor() as i64,
            (p.lat() / NEAR_DEG).floor() as i64,
        )
    };
    let mut parent: Vec<usize> = (0..ways.len()).collect();
    let mut owner: HashMap<(i64, i64), usize> = HashMap::new();
    for (i, way) in ways.iter().enumerate() {
        for (x, y) in way.line.iter().map(cell) {
            for (dx, dy) in [
                (-1, -1),
                (-1, 0),
                (-1, 1),
                (0, -1),
                (0, 0),
                (0, 1),
                (1, -1),
                (1, 0),
                (1, 1),
            ] {
                if let Some(&j) = owner.get(&(x + dx, y + dy)) {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a] = b;
                }
            }
            owner.entry((x, y)).or_insert(i);
        }
    }
    let mut pieces: BTreeMap<usize, Vec<StreetWay>> = BTreeMap::new();
    for (i, way) in ways.into_iter().enumerate() {
        let root = find(&mut parent, i);
        pieces.entry(root).or_default().push(way);
    }
    pieces.into_values().collect()
}

fn street_of(name: String, area: AreaCodes, ways: Vec<StreetWay>) -> Option<Street> {
    let id = ways.iter().map(|w| w.id).min()?;
    let highway = ways
        .iter()
        .map(|w| w.highway.as_str())
        .min_by_key(|h| {
            ROAD_CLASSES
                .iter()
                .position(|c| h.strip_suffix("_link").unwrap_or(h) == *c)
                .unwrap_or(ROAD_CLASSES.len())
        })?
        .to_owned();
    let lines: Vec<Vec<Position>> = ways.into_iter().map(|w| w.line).collect();
    let multi = geo::MultiLineString::new(
        lines
            .iter()
            .map(|l| geo::LineString::from(l.iter().map(|p| p.to_coord()).collect::<Vec<_>>()))
            .collect(),
    );
    let centre = multi.centroid()?;
    let centre = Position::from_lon_lat(centre.x(), centre.y()).ok()?;
    let position = nearest_on_lines(&lines, centre)?;
    Some(Street {
        id: format!("w{id}"),
        name,
        highway,
        area,
        lines,
        position,
    })
}

/// The point halfway along `line` (by length).
fn midpoint(line: &[Position]) -> Option<Position> {
    let lengths: Vec<f64> = line.windows(2).map(|w| w[0].haversine_m(w[1])).collect();
    let total: f64 = lengths.iter().sum();
    let mut left = total / 2.0;
    for (w, len) in line.windows(2).zip(&lengths) {
        if left <= *len {
            let t = if *len > 0.0 { left / len } else { 0.0 };
            return Position::from_lon_lat(
                w[0].lon() + (w[1].lon() - w[0].lon()) * t,
                w[0].lat() + (w[1].lat() - w[0].lat()) * t,
            )
            .ok();
        }
        left -= len;
    }
    line.last().copied()
}

/// The point of `lines` nearest to `p`, `None` when they hold no point.
///
/// Each segment is projected in a local plane around `p` (longitude scaled by the cosine of its latitude),
/// which for street-sized segments differs from the great-circle answer by centimetres.
pub fn nearest_on_lines(lines: &[Vec<Position>], p: Position) -> Option<Position> {
    let k = p.lat().to_radians().cos();
    let to_xy = |q: Position| ((q.lon() - p.lon()) * k, q.lat() - p.lat());
    let mut best: Option<(f64, f64, f64)> = None;
    let mut consider = |x: f64, y: f64| {
        let d = x * x + y * y;
        if best.is_none_or(|(bd, _, _)| d < bd) {
            best = Some((d, x, y));
        }
    };
    for line in lines {
        if let [only] = line.as_slice() {
            let (x, y) = to_xy(*only);
            consider(x, y);
        }
        for w in line.windows(2) {
            let (ax, ay) = to_xy(w[0]);
            let (bx, by) = to_xy(w[1]);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            consider(ax + t * dx, ay + t * dy);
        }
    }
    let (_, x, y) = best?;
    Position::from_lon_lat(p.lon() + x / k, p.lat() + y).ok()
}

/// Great-circle distance in metres from `p` to the nearest point of `lines` (infinite without a point).
pub fn distance_to_lines_m(lines: &[Vec<Position>], p: Position) -> f64 {
    nearest_on_lines(lines, p).map_or(f64::INFINITY, |q| q.haversine_m(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(lon: f64, lat: f64) -> Position {
        Position::from_lon_lat(lon, lat).unwrap()
    }

    fn way(id: i64, name: &str, line: &[(f64, f64)]) -> StreetWay {
        StreetWay {
            id,
            name: name.into(),
            highway: "residential".into(),
            line: line.iter().map(|(x, y)| pos(*x, *y)).collect(),
        }
    }

    #[test]
    fn streets_and_places_are_told_apart_by_their_tags() {
        assert_eq!(
            street_tags(&[("highway", "secondary"), ("name", "Jalan Pemuda")]),
            Some(("Jalan Pemuda", "secondary"))
        );
        assert_eq!(street_tags(&[("highway", "secondary")]), None);
        assert_eq!(
            street_tags(&[("highway", "proposed"), ("name", "Jalan Baru")]),
            None
        );
        assert_eq!(
            place_tags(&[("name", "Masjid Al-Azhar"), ("amenity", "place_of_worship")]),
            Some(("Masjid Al-Azhar", "amenity=place_of_worship".to_owned()))
        );
        assert_eq!(
            place_tags(&[("building", "yes"), ("name", "Menara BCA")]),
            Some(("Menara BCA", "building=yes".to_owned()))
        );
        // A named road is a street, not a place; an unnamed shop is nothing to search for.
        assert_eq!(
            place_tags(&[("highway", "residential"), ("name", "Jalan Pemuda")]),
            None
        );
        assert_eq!(place_tags(&[("shop", "bakery")]), None);
    }

    #[test]
    fn the_nearest_point_lies_on_the_line() {
        let lines = vec![vec![pos(106.90, -6.15), pos(106.92, -6.15)]];
        let q = nearest_on_lines(&lines, pos(106.91, -6.151)).unwrap();
        assert!(
            (q.lon() - 106.91).abs() < 1e-9 && (q.lat() + 6.15).abs() < 1e-9,
            "{q:?}"
        );
        // Beyond the end, the end.
        let q = nearest_on_lines(&lines, pos(106.95, -6.14)).unwrap();
        assert_eq!(q, pos(106.92, -6.15));
        assert!((distance_to_lines_m(&lines, pos(106.91, -6.151)) - 110.6).abs() < 1.0);
        assert!(nearest_on_lines(&[], pos(106.9, -6.1)).is_none());
    }

    #[test]
    fn ways_outside_every_region_are_grouped_by_name_and_nearness() {
        let layers = AdminLayers::new(Vec::new(), Vec::new()).unwrap();
        let streets = group_streets(
            vec![
                way(3, "Jalan Pemuda", &[(106.90, -6.15), (106.91, -6.15)]),
                way(2, "Jalan Pemuda", &[(106.91, -6.15), (106.92, -6.15)]),
                // The other carriageway, 20 m away, sharing no point.
                way(
                    6,
                    "Jalan Pemuda",
                    &[(106.9101, -6.1502), (106.9199, -6.1502)],
                ),
                // Far away, not connected: another Jalan Pemuda.
                way(9, "Jalan Pemuda", &[(110.40, -7.0), (110.41, -7.0)]),
                way(4, "Gang Mawar", &[(106.92, -6.15), (106.92, -6.16)]),
                way(5, "Gang Sepi", &[(106.92, -6.15)]),
            ],
            &layers,
        );
        let summary: Vec<(&str, &str, usize)> = streets
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str(), s.lines.len()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("w2", "Jalan Pemuda", 3),
                ("w4", "Gang Mawar", 1),
                ("w9", "Jalan Pemuda", 1)
            ]
        );
        // The pin without a bias is on the street, near its middle.
        let first = &streets[0];
        assert!(
            distance_to_lines_m(&first.lines, first.position) < 0.01,
            "{first:?}"
        );
        assert!((first.position.lon() - 106.91).abs() < 0.003, "{first:?}");
    }

    #[test]
    fn an_area_is_pinned_inside_it() {
        let ring = [
            pos(106.90, -6.15),
            pos(106.91, -6.15),
            pos(106.91, -6.14),
            pos(106.90, -6.14),
            pos(106.90, -6.15),
        ];
        let p = area_point(&ring).unwrap();
        assert!(p.lon() > 106.90 && p.lon() < 106.91 && p.lat() > -6.15 && p.lat() < -6.14);
        assert!(area_point(&ring[..3]).is_none());
    }
}
