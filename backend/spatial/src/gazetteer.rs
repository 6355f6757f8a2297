//! [`Gazetteer`]: find a place by name — an administrative region (province to village), a health facility,
//! a street or a named OSM place (landmark), the things a caller names — so the call taker can put the pin
//! there and refine it.
//!
//! Matching ignores case, accents and punctuation, understands the usual Indonesian abbreviations ("Jl." is
//! "Jalan", "Gg." is "Gang", "Kel." is "Kelurahan"; see [`normalize`]), and words may be typed in part: every
//! word of the query must begin a word of the place's name ("bat kot" finds "Batam Kota"). A street may be
//! named without its "Jalan", and a query may add the kelurahan or kecamatan ("pemuda rawamangun").
//!
//! Ranking, best first: the whole name equal to the query, then names starting with it, then names holding
//! every word, then names and context holding them; within a rank, places nearer the given point first (in
//! 25 km steps: the same name recurs across the archipelago), then facilities, landmarks and finer regions (a
//! caller names a village or a hospital more often than a province), then the exact distance (for a street:
//! to its nearest point), then shorter names, then the name and id, so the order is stable.
//!
//! A street's pin is the point of its lines nearest the given point, or without one a point on its lines near
//! their middle.

use crate::convert::Position;
use crate::facilities::FacilityIndex;
use crate::jurisdiction::Located;
use crate::layers::{AdminLayers, RegionLevel};
use crate::streets::{OsmPlace, Street, nearest_on_lines};
use geo::InteriorPoint;
use std::collections::HashMap;

/// What a place is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceKind {
    /// An administrative region at a level (`province`, `regency`, `district`, `village`).
    Region {
        /// The level, as stored.
        level: String,
    },
    /// A health facility (faskes) of a kind (`hospital`, `puskesmas`, …).
    Facility {
        /// The kind, as stored.
        kind: String,
    },
    /// A street (OSM ways of one name in one kelurahan) of a road class (`residential`, `primary`, …).
    Street {
        /// The `highway` class.
        highway: String,
    },
    /// A named OSM place (landmark) of a kind (`amenity=place_of_worship`, `shop=mall`, …).
    Poi {
        /// `key=value`.
        kind: String,
    },
}

/// A named place with the point the pin goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The region code or facility id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// What it is.
    pub kind: PlaceKind,
    /// Where it lies, coarse to fine, e.g. `"Kepulauan Riau › Kota Batam"` (empty when unknown).
    pub context: String,
    /// A point inside the region (not its centroid, which may fall outside), or the facility itself.
    pub position: Position,
    /// The village's postal code (searchable too).
    pub postal_code: Option<String>,
}

impl Place {
    /// Lower ranks first: facilities and landmarks, then streets and villages, then districts up to provinces.
    fn kind_rank(&self) -> u8 {
        match &self.kind {
            PlaceKind::Facility { .. } | PlaceKind::Poi { .. } => 0,
            PlaceKind::Street { .. } => 1,
            PlaceKind::Region { level } => match level.as_str() {
                "village" => 1,
                "district" => 2,
                "regency" => 3,
                _ => 4,
            },
        }
    }
}

/// Lower case ASCII words: accents folded, everything that is not a letter or a digit separates words, and
/// the usual abbreviations of Indonesian addresses and names written out ([`expand`]), so "Jl. H. Darip" and
/// "Jalan Haji Darip" are the same words.
///
/// ```
/// use siaga_spatial::gazetteer::normalize;
/// assert_eq!(normalize("Jl. Bulevar Utara, Kel. Kelapa Gading"),
///            ["jalan", "bulevar", "utara", "kelurahan", "kelapa", "gading"]);
/// assert_eq!(normalize("Gg. Mesjid"), ["gang", "masjid"]);
/// ```
pub fn normalize(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|w| expand(&w).map_or(w, str::to_owned))
        .collect()
}

/// The words of `text` as [`normalize`] splits them, not yet expanded.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if c.is_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The written-out form of an abbreviation or spelling variant common in Indonesian addresses, for one lower
/// case word.
pub fn expand(word: &str) -> Option<&'static str> {
    Some(match word {
        "jl" | "jln" | "jalan" => "jalan",
        "gg" => "gang",
        "kel" | "kelurahan" => "kelurahan",
        "kec" => "kecamatan",
        "kab" => "kabupaten",
        "ds" => "desa",
        "komp" | "kompl" | "kompleks" => "komplek",
        "perum" => "perumahan",
        "mesjid" => "masjid",
        "h" => "haji",
        "hj" => "hajjah",
        "dr" => "dokter",
        "ir" => "insinyur",
        "prof" => "profesor",
        _ => return None,
    })
}

/// Words that name a kind of street, which a caller may leave out ("Bulevar Utara" for "Jalan Bulevar Utara").
const STREET_WORDS: [&str; 2] = ["jalan", "gang"];

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        other => other,
    }
}

/// A word of a query: as typed (it may be the start of a longer word: "kel" of "kelapa") and written out
/// when it is an abbreviation ("kelurahan").
#[derive(Debug, Clone, PartialEq)]
struct QueryWord {
    typed: String,
    expanded: Option<&'static str>,
}

impl QueryWord {
    fn parse(text: &str) -> Vec<QueryWord> {
        words(text)
            .into_iter()
            .map(|w| QueryWord {
                expanded: expand(&w),
                typed: w,
            })
            .collect()
    }

    /// True when `word` (normalized) is this word.
    fn is(&self, word: &str) -> bool {
        self.typed == word || self.expanded == Some(word)
    }

    /// True when `word` (normalized) begins with this word.
    fn begins(&self, word: &str) -> bool {
        word.starts_with(self.typed.as_str()) || self.expanded.is_some_and(|e| word.starts_with(e))
    }
}

/// Places searchable by name.
#[derive(Debug, Default)]
pub struct Gazetteer {
    places: Vec<Place>,
    /// The normalized words of each place's name, parallel to `places`.
    words: Vec<Vec<String>>,
    /// The normalized words of each place's context, parallel to `places`.
    context: Vec<Vec<String>>,
    /// The lines of each street (empty for other places), parallel to `places`.
    lines: Vec<Vec<Vec<Position>>>,
}

impl Gazetteer {
    /// Indexes `places`.
    pub fn new(places: Vec<Place>) -> Gazetteer {
        let mut g = Gazetteer::default();
        for p in places {
            g.push(p, Vec::new());
        }
        g
    }

    fn push(&mut self, place: Place, lines: Vec<Vec<Position>>) {
        self.words.push(normalize(&place.name));
        self.context.push(normalize(&place.context));
        self.places.push(place);
        self.lines.push(lines);
    }

    /// Adds streets, with `context` naming their area (e.g. from [`area_context`]).
    pub fn add_streets(&mut self, streets: Vec<Street>, context: impl Fn(&Street) -> String) {
        for s in streets {
            let place = Place {
                id: s.id.clone(),
                context: context(&s),
                name: s.name,
                kind: PlaceKind::Street { highway: s.highway },
                position: s.position,
                postal_code: None,
            };
            self.push(place, s.lines);
        }
    }

    /// Adds named OSM places, with `context` naming their area (e.g. from [`area_context`]).
    pub fn add_osm_places(&mut self, places: Vec<OsmPlace>, context: impl Fn(&OsmPlace) -> String) {
        for p in places {
            let place = Place {
                id: p.id.clone(),
                context: context(&p),
                name: p.name,
                kind: PlaceKind::Poi { kind: p.kind },
                position: p.position,
                postal_code: None,
            };
            self.push(place, Vec::new());
        }
    }

    /// How many places it holds.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// True when it holds no place.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Up to `limit` places matching `query`, best first (see the module documentation), nearer `near` first
    /// when given; a street's position is then its point nearest `near`. A query without any letter or digit
    /// matches nothing.
    pub fn search(&self, query: &str, limit: usize, near: Option<Position>) -> Vec<Place> {
        /// Distances count in steps of this many metres.
        const STEP_M: f64 = 25_000.0;
        let q = QueryWord::parse(query);
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        struct Hit {
            rank: u8,
            step: u32,
            kind: u8,
            distance_m: f64,
            chars: usize,
            index: usize,
            position: Position,
        }
        let mut hits: Vec<Hit> = self
            .words
            .iter()
            .enumerate()
            .filter_map(|(i, words)| {
                let place = self.places.get(i)?;
                let is_street = matches!(place.kind, PlaceKind::Street { .. });
                let rank = name_rank(&q, words, is_street)
                    .or_else(|| postal_rank(&q, words, place.postal_code.as_deref()))
                    .or_else(|| context_rank(&q, words, &self.context[i]))?;
                let lines = &self.lines[i];
                let (position, distance_m) = match near {
                    None => (place.position, 0.0),
                    Some(p) => {
                        let to_pin = p.haversine_m(place.position);
                        // A street is as near as its nearest point; one whose representative point is far
                        // beyond any street's length is ranked by that point without walking its lines.
                        let nearest = (!lines.is_empty() && to_pin < 4.0 * STEP_M)
                            .then(|| nearest_on_lines(lines, p))
                            .flatten();
                        match nearest {
                            Some(q) => (q, p.haversine_m(q)),
                            None => (place.position, to_pin),
                        }
                    }
                };
                Some(Hit {
                    rank,
                    step: (distance_m / STEP_M) as u32,
                    kind: place.kind_rank(),
                    distance_m,
                    chars: place.name.chars().count(),
                    index: i,
                    position,
                })
            })
            .collect();
        hits.sort_by(|a, b| {
            (a.rank, a.step, a.kind)
                .cmp(&(b.rank, b.step, b.kind))
                .then(a.distance_m.total_cmp(&b.distance_m))
                .then(a.chars.cmp(&b.chars))
                .then_with(|| {
                    let (pa, pb) = (&self.places[a.index], &self.places[b.index]);
                    (&pa.name, &pa.id).cmp(&(&pb.name, &pb.id))
                })
        });
        hits.into_iter()
            .take(limit)
            .filter_map(|h| {
                let mut place = self.places.get(h.index)?.clone();
                place.position = h.position;
                Some(place)
            })
            .collect()
    }
}

/// The context of a street or OSM place from the names of its area, e.g. `"Kel. Kelapa Gading Timur, Kec.
/// Kelapa Gading"` (a desa is `"Desa …"`, by its Kemendagri code); empty when neither is known.
pub fn area_context(village: Option<(&str, &str)>, district: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some((code, name)) = village {
        // The fourth level of a Kemendagri code starts with 1 for a kelurahan and 2 for a desa.
        let desa = code.rsplit('.').next().is_some_and(|c| c.starts_with('2'));
        parts.push(format!("{} {name}", if desa { "Desa" } else { "Kel." }));
    }
    if let Some(name) = district {
        parts.push(format!("Kec. {name}"));
    }
    parts.join(", ")
}

/// A place for every region of `layers`, at a point inside it, with its parents' names (by code prefix) as
/// context. A region whose interior point cannot be computed (an empty geometry) is left out.
pub fn region_places(layers: &AdminLayers) -> Vec<Place> {
    let indexes: Vec<(RegionLevel, &crate::JurisdictionIndex)> = RegionLevel::ALL
        .into_iter()
        .filter_map(|l| Some((l, layers.level(l)?)))
        .collect();
    let names: HashMap<&str, &str> = indexes
        .iter()
        .flat_map(|(_, idx)| idx.areas().iter().map(|a| (a.id.as_str(), a.name.as_str())))
        .collect();
    let mut places = Vec::new();
    for (level, idx) in &indexes {
        for area in idx.areas() {
            let Some(point) = area.geometry.interior_point() else {
                continue;
            };
            let Ok(position) = Position::from_lon_lat(point.x(), point.y()) else {
                continue;
            };
            let parents: Vec<&str> = area
                .id
                .match_indices('.')
                .filter_map(|(i, _)| names.get(&area.id[..i]).copied())
                .collect();
            places.push(Place {
                id: area.id.clone(),
                name: area.name.clone(),
                kind: PlaceKind::Region {
                    level: level.as_str().to_owned(),
                },
                context: parents.join(" › "),
                position,
                postal_code: None,
            });
        }
    }
    places
}

/// A place for every facility, with the names of the regions containing it as context.
pub fn facility_places(facilities: &FacilityIndex, layers: &AdminLayers) -> Vec<Place> {
    facilities
        .facilities()
        .iter()
        .map(|f| {
            let context: Vec<&str> = layers
                .chain_at(f.position)
                .into_iter()
                .filter_map(|link| match link.located {
                    Located::Inside { area } => Some(area.name.as_str()),
                    _ => None,
                })
                .collect();
            Place {
                id: f.id.clone(),
                name: f.name.clone(),
                kind: PlaceKind::Facility {
                    kind: f.kind.as_str().to_owned(),
                },
                context: context.join(" › "),
                position: f.position,
                postal_code: None,
            }
        })
        .collect()
}

/// A village of the gazetteer (no boundary): its code, name, kind, postal code and centroid.
#[derive(Debug, Clone)]
pub struct Village {
    /// Kemendagri code, e.g. `11.01.01.2001`.
    pub code: String,
    /// The name.
    pub name: String,
    /// `desa` or `kelurahan`.
    pub kind: String,
    /// Five digits, when known.
    pub postal_code: Option<String>,
    /// The centroid, when known.
    pub position: Option<Position>,
}

/// Places for gazetteer villages that `regions` (from [`region_places`]) does not already hold as polygons: at
/// the centroid, or inside the kecamatan when there is none (left out when that is not loaded either), with
/// the names of the loaded regions above them as context.
pub fn village_places(villages: &[Village], regions: &[Place]) -> Vec<Place> {
    let by_code: HashMap<&str, &Place> = regions.iter().map(|p| (p.id.as_str(), p)).collect();
    villages
        .iter()
        .filter(|v| !by_code.contains_key(v.code.as_str()))
        .filter_map(|v| {
            let parents: Vec<&Place> = v
                .code
                .match_indices('.')
                .filter_map(|(i, _)| by_code.get(&v.code[..i]).copied())
                .collect();
            let position = v
                .position
                .or_else(|| parents.last().map(|district| district.position))?;
            Some(Place {
                id: v.code.clone(),
                name: v.name.clone(),
                kind: PlaceKind::Region {
                    level: "village".to_owned(),
                },
                context: parents
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" › "),
                position,
                postal_code: v.postal_code.clone(),
            })
        })
        .collect()
}

/// A query naming a place's postal code: 1 when that is all it says, 2 when its other words begin words of the
/// name; `None` otherwise.
fn postal_rank(query: &[QueryWord], name: &[String], postal: Option<&str>) -> Option<u8> {
    let postal = postal?;
    let (code, rest): (Vec<&QueryWord>, Vec<&QueryWord>) =
        query.iter().partition(|w| w.typed == postal);
    if code.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some(1);
    }
    rest.iter()
        .all(|q| name.iter().any(|n| q.begins(n)))
        .then_some(2)
}

/// [`match_rank`] of the query against the name; for a street also without a leading "Jalan"/"Gang" on either
/// side, which is never an exact match (rank 1 at best).
fn name_rank(query: &[QueryWord], name: &[String], is_street: bool) -> Option<u8> {
    let mut best = match_rank(query, name);
    if is_street {
        let strip_name = name
            .split_first()
            .filter(|(first, rest)| STREET_WORDS.contains(&first.as_str()) && !rest.is_empty());
        if let Some((_, rest)) = strip_name {
            best = better(best, match_rank(query, rest).map(|r| r.max(1)));
        }
        let strip_query = query
            .split_first()
            .filter(|(first, rest)| !rest.is_empty() && STREET_WORDS.iter().any(|w| first.is(w)));
        if let Some((_, rest)) = strip_query {
            best = better(best, match_rank(rest, name).map(|r| r.max(1)));
        }
    }
    best
}

/// The better (lower) of two ranks, `None` meaning no match.
fn better(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// 3 when every query word begins a word of the name or of the context (the kelurahan or kecamatan named
/// after a street) and at least one begins a word of the name; `None` otherwise.
fn context_rank(query: &[QueryWord], name: &[String], context: &[String]) -> Option<u8> {
    let in_name = |q: &QueryWord| name.iter().any(|n| q.begins(n));
    (query.iter().any(in_name)
        && query
            .iter()
            .all(|q| in_name(q) || context.iter().any(|c| q.begins(c))))
    .then_some(3)
}

/// 0: the same words; 1: the name starts with the query (the last query word may be partial); 2: every query
/// word begins some word of the name; `None`: no match.
fn match_rank(query: &[QueryWord], name: &[String]) -> Option<u8> {
    if query.len() == name.len() && query.iter().zip(name).all(|(q, n)| q.is(n)) {
        return Some(0);
    }
    let starts = query.len() <= name.len()
        && query.iter().zip(name).enumerate().all(|(i, (q, n))| {
            if i + 1 == query.len() {
                q.begins(n)
            } else {
                q.is(n)
            }
        });
    if starts {
        return Some(1);
    }
    query
        .iter()
        .all(|q| name.iter().any(|n| q.begins(n)))
        .then_some(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(id: &str, name: &str, level: &str) -> Place {
        Place {
            id: id.into(),
            name: name.into(),
            kind: PlaceKind::Region {
                level: level.into(),
            },
            context: String::new(),
            position: Position::from_lon_lat(104.0, 1.1).unwrap(),
            postal_code: None,
        }
    }

    fn facility(id: &str, name: &str) -> Place {
        Place {
            kind: PlaceKind::Facility {
                kind: "hospital".into(),
            },
            ..region(id, name, "")
        }
    }

    impl Gazetteer {
        fn search_(&self, query: &str, limit: usize) -> Vec<Place> {
            self.search(query, limit, None)
        }
    }

    fn names(found: &[Place]) -> Vec<String> {
        found.iter().map(|p| p.name.clone()).collect()
    }

    fn sample() -> Gazetteer {
        Gazetteer::new(vec![
            region("21", "Kepulauan Riau", "province"),
            region("21.71", "Kota Batam", "regency"),
            region("21.71.10", "Batam Kota", "district"),
            region("21.71.06", "Lubuk Baja", "district"),
            region("21.71.06.1001", "Batu Selicin", "village"),
            facility("RS-01", "RS Awal Bros Batam"),
            region("32.73.01.1001", "Cibeunying Kaler", "village"),
        ])
    }

    #[test]
    fn words_are_folded_to_lower_case_ascii_and_split_on_punctuation() {
        assert_eq!(
            normalize("  Kec. BATAM-Kota "),
            vec!["kecamatan", "batam", "kota"]
        );
        assert_eq!(
            normalize("Pondok Pinang, Kebayoran"),
            vec!["pondok", "pinang", "kebayoran"]
        );
        assert_eq!(normalize("Cibeünying"), vec!["cibeunying"]);
        assert!(normalize(" .,- ").is_empty());
    }

    #[test]
    fn exact_names_come_first_then_names_starting_with_the_query_then_the_rest() {
        let g = sample();
        assert_eq!(
            names(&g.search_("batam kota", 10)),
            vec!["Batam Kota", "Kota Batam"],
        );
        // "batam" starts "Batam Kota"; the hospital and the city only contain it.
        assert_eq!(
            names(&g.search_("Batam", 10)),
            vec!["Batam Kota", "RS Awal Bros Batam", "Kota Batam"],
        );
    }

    #[test]
    fn words_may_be_typed_in_part_and_in_any_order() {
        let g = sample();
        assert_eq!(names(&g.search_("bat sel", 10)), vec!["Batu Selicin"]);
        assert_eq!(
            names(&g.search_("kaler cibeu", 10)),
            vec!["Cibeunying Kaler"]
        );
        assert_eq!(names(&g.search_("LUBUK", 10)), vec!["Lubuk Baja"]);
    }

    #[test]
    fn villages_without_a_boundary_are_found_by_name_or_postal_code_inside_their_district() {
        let district = Place {
            position: Position::from_lon_lat(104.05, 1.12).unwrap(),
            ..region("21.71.10", "Batam Kota", "district")
        };
        let villages = [
            Village {
                code: "21.71.10.1001".into(),
                name: "Belian".into(),
                kind: "kelurahan".into(),
                postal_code: Some("29464".into()),
                position: None,
            },
            Village {
                code: "99.01.01.2001".into(),
                name: "Nowhere".into(),
                kind: "desa".into(),
                postal_code: None,
                position: None,
            },
            // Already loaded with its polygon: not twice.
            Village {
                code: "21.71.10".into(),
                name: "Batam Kota".into(),
                kind: "desa".into(),
                postal_code: None,
                position: None,
            },
        ];
        let places = village_places(&villages, std::slice::from_ref(&district));
        assert_eq!(places.len(), 1, "{places:?}");
        assert_eq!(places[0].position, district.position);
        assert_eq!(places[0].context, "Batam Kota");
        let g = Gazetteer::new(places.clone());
        assert_eq!(names(&g.search_("29464", 5)), vec!["Belian"]);
        assert_eq!(names(&g.search_("belian 29464", 5)), vec!["Belian"]);
        assert!(g.search_("batam 29464", 5).is_empty());
        // The postal code does not spoil an exact name match.
        let exact = Gazetteer::new(vec![
            places[0].clone(),
            region("21.71.10.9999", "Belian", "district"),
        ]);
        assert_eq!(exact.search_("belian", 5)[0].id, "21.71.10.1001");
    }

    #[test]
    fn the_same_name_nearer_the_given_point_comes_first() {
        let at = |id: &str, lon: f64| Place {
            position: Position::from_lon_lat(lon, -6.2).unwrap(),
            ..region(id, "Menteng", "district")
        };
        let g = Gazetteer::new(vec![at("far", 113.9), at("near", 106.83)]);
        let jakarta = Position::from_lon_lat(106.8, -6.2).unwrap();
        let ids = |found: Vec<Place>| found.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(g.search("menteng", 5, Some(jakarta))),
            vec!["near", "far"]
        );
        // Without a point: the stable order (name, then id).
        assert_eq!(ids(g.search("menteng", 5, None)), vec!["far", "near"]);
    }

    #[test]
    fn nothing_matches_an_empty_or_foreign_query_and_the_limit_holds() {
        let g = sample();
        assert!(g.search_("", 10).is_empty());
        assert!(g.search_("!!", 10).is_empty());
        assert!(g.search_("surabaya", 10).is_empty());
        assert!(g.search_("batam", 0).is_empty());
        assert_eq!(g.search_("b", 2).len(), 2);
    }

    #[test]
    fn indonesian_abbreviations_are_written_out() {
        assert_eq!(
            normalize("Jl. Bulevar Utara"),
            vec!["jalan", "bulevar", "utara"]
        );
        assert_eq!(normalize("JLN. Pemuda"), vec!["jalan", "pemuda"]);
        assert_eq!(
            normalize("Gg. Mesjid No. 5"),
            vec!["gang", "masjid", "no", "5"]
        );
        assert_eq!(
            normalize("Kel. Rawamangun, Kec. Pulo Gadung, Kab. Bekasi"),
            vec![
                "kelurahan",
                "rawamangun",
                "kecamatan",
                "pulo",
                "gadung",
                "kabupaten",
                "bekasi"
            ]
        );
        assert_eq!(
            normalize("Jl. Dr. KRT Radjiman"),
            vec!["jalan", "dokter", "krt", "radjiman"]
        );
        assert_eq!(normalize("Jl H. Darip"), normalize("Jalan Haji Darip"));
        assert_eq!(normalize("Komp. PIK"), normalize("Kompleks PIK"));
    }

    fn street(id: &str, name: &str, context: &str, line: &[(f64, f64)]) -> Street {
        let line: Vec<Position> = line
            .iter()
            .map(|(lon, lat)| Position::from_lon_lat(*lon, *lat).unwrap())
            .collect();
        Street {
            id: id.into(),
            name: name.into(),
            highway: "residential".into(),
            area: crate::streets::AreaCodes {
                village: Some(context.into()),
                district: None,
            },
            position: line[0],
            lines: vec![line],
        }
    }

    fn streets() -> Gazetteer {
        let mut g = Gazetteer::new(vec![
            region("31.72.05", "Kelapa Gading", "district"),
            region("31.75.03", "Pulo Gadung", "district"),
        ]);
        g.add_streets(
            vec![
                street(
                    "w1",
                    "Jalan Bulevar Utara Kelapa Gading",
                    "Kelapa Gading Timur",
                    &[(106.90, -6.15), (106.92, -6.15)],
                ),
                street(
                    "w2",
                    "Jalan Pemuda",
                    "Rawamangun",
                    &[(106.88, -6.19), (106.89, -6.19)],
                ),
                street(
                    "w3",
                    "Jalan Pemuda",
                    "Jati",
                    &[(106.87, -6.20), (106.88, -6.20)],
                ),
                street(
                    "w4",
                    "Jalan Pulo Gadung",
                    "Jatinegara",
                    &[(106.91, -6.19), (106.92, -6.19)],
                ),
                street(
                    "w5",
                    "Bulevar Selatan",
                    "Kelapa Gading Barat",
                    &[(106.90, -6.16), (106.91, -6.16)],
                ),
            ],
            |s| format!("Kel. {}", s.area.village.clone().unwrap_or_default()),
        );
        g
    }

    #[test]
    fn streets_are_found_by_abbreviated_or_partial_names_and_pinned_on_the_line_nearest_the_point()
    {
        let g = streets();
        let near = Position::from_lon_lat(106.91, -6.151).unwrap();
        for query in [
            "Jl. Bulevar Utara Kelapa Gading",
            "jalan bulevar utara",
            "jln bulevar utara kel",
            "bulevar utara",
            "Bulevar Utara, Kel. Kelapa Gading Timur",
        ] {
            let found = g.search(query, 5, Some(near));
            assert_eq!(found[0].id, "w1", "{query}: {found:?}");
            assert_eq!(
                found[0].kind,
                PlaceKind::Street {
                    highway: "residential".into()
                }
            );
            let p = found[0].position;
            assert!(
                (p.lon() - 106.91).abs() < 1e-9 && (p.lat() + 6.15).abs() < 1e-9,
                "{p:?}"
            );
        }
        // Without a point the street's own position.
        assert_eq!(
            g.search_("jl bulevar utara", 1)[0].position,
            Position::from_lon_lat(106.90, -6.15).unwrap()
        );
        // "Jalan" asked for a street named without it.
        assert_eq!(
            names(&g.search_("jalan bulevar selatan", 5)),
            vec!["Bulevar Selatan"]
        );
        // "kel" typed in part still begins "Kelapa".
        assert_eq!(g.search_("bulevar utara kel", 5)[0].id, "w1");
    }

    #[test]
    fn the_same_street_name_nearer_the_point_comes_first() {
        let g = streets();
        let ids = |found: Vec<Place>| found.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        let at_jati = Position::from_lon_lat(106.875, -6.201).unwrap();
        assert_eq!(
            ids(g.search("jl pemuda", 5, Some(at_jati))),
            vec!["w3", "w2"]
        );
        let at_rawamangun = Position::from_lon_lat(106.885, -6.189).unwrap();
        assert_eq!(
            ids(g.search("jl pemuda", 5, Some(at_rawamangun))),
            vec!["w2", "w3"]
        );
        // The kelurahan named after the street picks it wherever the point is.
        assert_eq!(
            ids(g.search("jl pemuda rawamangun", 5, Some(at_jati))),
            vec!["w2"]
        );
    }

    #[test]
    fn a_region_named_exactly_comes_before_a_street_named_after_it() {
        let g = streets();
        assert_eq!(
            names(&g.search_("pulo gadung", 5)),
            vec!["Pulo Gadung", "Jalan Pulo Gadung"]
        );
        assert_eq!(
            names(&g.search_("jl pulo gadung", 5))[0],
            "Jalan Pulo Gadung"
        );
    }

    #[test]
    fn landmarks_are_found_with_their_kind_and_context() {
        let mut g = Gazetteer::default();
        g.add_osm_places(
            vec![OsmPlace {
                id: "n42".into(),
                name: "Masjid Raya Al-Ittihad".into(),
                kind: "amenity=place_of_worship".into(),
                position: Position::from_lon_lat(106.9, -6.16).unwrap(),
                area: crate::streets::AreaCodes::default(),
            }],
            |_| {
                area_context(
                    Some(("31.72.05.1002", "Kelapa Gading Timur")),
                    Some("Kelapa Gading"),
                )
            },
        );
        let found = g.search_("mesjid raya", 5);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].context,
            "Kel. Kelapa Gading Timur, Kec. Kelapa Gading"
        );
        assert_eq!(
            found[0].kind,
            PlaceKind::Poi {
                kind: "amenity=place_of_worship".into()
            }
        );
        assert_eq!(
            area_context(Some(("32.04.01.2001", "Sukamaju")), None),
            "Desa Sukamaju"
        );
        assert_eq!(area_context(None, None), "");
    }
}
