//! [`Gazetteer`]: find a place by name — an administrative region (province to village) or a health facility,
//! the landmarks a caller names — so the call taker can put the pin there and refine it.
//!
//! Matching ignores case, accents and punctuation, and words may be typed in part: every word of the query
//! must begin a word of the place's name ("bat kot" finds "Batam Kota"). Ranking, best first: the whole name
//! equal to the query, then names starting with it, then the rest; within a rank, places nearer the
//! centre's area first when a point is given (in 25 km steps: the same name recurs across the archipelago),
//! then facilities and finer regions (a caller names a village or a hospital more often than a province),
//! then shorter names, then the name and id, so the order is stable.

use crate::convert::Position;
use crate::facilities::FacilityIndex;
use crate::jurisdiction::Located;
use crate::layers::{AdminLayers, RegionLevel};
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
    /// Lower ranks first: facilities, then villages up to provinces.
    fn kind_rank(&self) -> u8 {
        match &self.kind {
            PlaceKind::Facility { .. } => 0,
            PlaceKind::Region { level } => match level.as_str() {
                "village" => 1,
                "district" => 2,
                "regency" => 3,
                _ => 4,
            },
        }
    }
}

/// Lower case ASCII words: accents folded, everything that is not a letter or a digit separates words.
pub fn normalize(text: &str) -> Vec<String> {
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

/// Places searchable by name.
#[derive(Debug, Default)]
pub struct Gazetteer {
    places: Vec<Place>,
    /// The normalized words of each place's name, parallel to `places`.
    words: Vec<Vec<String>>,
}

impl Gazetteer {
    /// Indexes `places`.
    pub fn new(places: Vec<Place>) -> Gazetteer {
        let words = places.iter().map(|p| normalize(&p.name)).collect();
        Gazetteer { places, words }
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
    /// when given. A query without any letter or digit matches nothing.
    pub fn search(&self, query: &str, limit: usize, near: Option<Position>) -> Vec<&Place> {
        /// Distances count in steps of this many metres.
        const STEP_M: f64 = 25_000.0;
        let q = normalize(query);
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut hits: Vec<(u8, u32, u8, usize, usize)> = self
            .words
            .iter()
            .enumerate()
            .filter_map(|(i, words)| {
                let place = self.places.get(i)?;
                let rank = match_rank(&q, words)
                    .or_else(|| postal_rank(&q, words, place.postal_code.as_deref()))?;
                let step = near.map_or(0, |p| (p.haversine_m(place.position) / STEP_M) as u32);
                Some((rank, step, place.kind_rank(), place.name.chars().count(), i))
            })
            .collect();
        hits.sort_by(|a, b| {
            (a.0, a.1, a.2, a.3)
                .cmp(&(b.0, b.1, b.2, b.3))
                .then_with(|| {
                    let (pa, pb) = (&self.places[a.4], &self.places[b.4]);
                    (&pa.name, &pa.id).cmp(&(&pb.name, &pb.id))
                })
        });
        hits.into_iter()
            .take(limit)
            .filter_map(|h| self.places.get(h.4))
            .collect()
    }
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
fn postal_rank(query: &[String], name: &[String], postal: Option<&str>) -> Option<u8> {
    let postal = postal?;
    let (code, rest): (Vec<&String>, Vec<&String>) = query.iter().partition(|w| *w == postal);
    if code.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some(1);
    }
    rest.iter()
        .all(|q| name.iter().any(|n| n.starts_with(q.as_str())))
        .then_some(2)
}

/// 0: the same words; 1: the name starts with the query (the last query word may be partial); 2: every query
/// word begins some word of the name; `None`: no match.
fn match_rank(query: &[String], name: &[String]) -> Option<u8> {
    if query == name {
        return Some(0);
    }
    let starts = query.len() <= name.len()
        && query.iter().zip(name).enumerate().all(|(i, (q, n))| {
            if i + 1 == query.len() {
                n.starts_with(q.as_str())
            } else {
                q == n
            }
        });
    if starts {
        return Some(1);
    }
    query
        .iter()
        .all(|q| name.iter().any(|n| n.starts_with(q.as_str())))
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
        fn search_(&self, query: &str, limit: usize) -> Vec<&Place> {
            self.search(query, limit, None)
        }
    }

    fn names(found: &[&Place]) -> Vec<String> {
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
            vec!["kec", "batam", "kota"]
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
        let ids = |found: Vec<&Place>| found.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
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
}
