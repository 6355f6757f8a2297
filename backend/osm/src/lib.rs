//! Streams an OpenStreetMap `.osm.pbf` and yields the features a caller's tag filter keeps, with their
//! geometry resolved: tagged nodes as points, ways as node sequences (lines, or areas when closed and tagged
//! so), and `type=multipolygon` relations assembled into polygons.
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! use siaga_osm::{Geometry, Kind};
//!
//! // Keep named streets.
//! let keep = |kind: Kind, tags: &[(&str, &str)]| {
//!     kind == Kind::Way && tags.iter().any(|(k, _)| *k == "highway") && tags.iter().any(|(k, _)| *k == "name")
//! };
//! let stats = siaga_osm::read("streets.osm.pbf", &keep, |feature| {
//!     if let Geometry::Way(line) = &feature.geometry {
//!         println!("{} ({} nodes)", feature.tags.get("name").unwrap_or(""), line.0.len());
//!     }
//!     ControlFlow::Continue(())
//! })?;
//! println!("{} ways", stats.ways);
//! # Ok::<(), siaga_osm::OsmError>(())
//! ```
//!
//! # Passes and memory
//!
//! A PBF stores nodes, then ways, then relations, and a way only names its nodes by id. The file is read four
//! times, each time decoding its blocks in parallel (rayon):
//!
//! 1. relations: the member ways of kept multipolygon relations;
//! 2. ways: the node ids that kept ways and those member ways need (and the member ways' node lists);
//! 3. nodes: the coordinates of exactly those nodes, and the kept tagged nodes, which are yielded;
//! 4. ways and relations again: each kept way and relation is resolved and yielded.
//!
//! Memory is bounded by what the filter keeps, not by the file: 16 bytes per needed node (a sorted id and a
//! lon/lat pair in 1e-7 degrees), plus the node lists of multipolygon member ways. Features are handed to the
//! caller's sink one at a time and never collected here.
//!
//! A wrong file (not a PBF, an empty file) or a truncated or corrupt one is refused with an [`OsmError`]
//! during the first pass, before any feature is yielded.
//!
//! Features arrive in block order per pass, but blocks are decoded in parallel, so the order of features
//! between blocks is not deterministic; a caller that needs a stable order sorts by [`Feature::id`].

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use osmpbf::{BlobDecode, BlobReader, BlobType, Element, PrimitiveBlock, RelMemberType};
use rayon::prelude::*;

/// The kind of OSM element a feature comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Node,
    Way,
    Relation,
}

/// Decides which elements are kept. Called with the element's kind and its tags (key, value); elements
/// without tags are never offered (untagged nodes only serve as way geometry).
///
/// Implemented for every `Fn(Kind, &[(&str, &str)]) -> bool + Sync` closure. Relations are offered only
/// when tagged `type=multipolygon`. It is called in up to two passes for the same element and must answer the
/// same both times.
pub trait TagFilter: Sync {
    fn keep(&self, kind: Kind, tags: &[(&str, &str)]) -> bool;
}

impl<F> TagFilter for F
where
    F: Fn(Kind, &[(&str, &str)]) -> bool + Sync,
{
    fn keep(&self, kind: Kind, tags: &[(&str, &str)]) -> bool {
        self(kind, tags)
    }
}

/// An element's tags, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(pub Vec<(String, String)>);

impl Tags {
    /// The value of `key`, if the element has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the element has `key` with any value.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn from_borrowed(tags: &[(&str, &str)]) -> Self {
        Tags(
            tags.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

/// A feature's geometry in WGS84 degrees (x = longitude, y = latitude).
#[derive(Clone, Debug, PartialEq)]
pub enum Geometry {
    /// A tagged node.
    Point(Point<f64>),
    /// A way's nodes in order (at least two). Closed when the first and last coordinates are equal; whether a
    /// closed way is an area or a loop-shaped line depends on its tags, see [`is_area`] and [`Feature::polygon`].
    /// Nodes missing from the file (an extract clipped mid-way) are skipped.
    Way(LineString<f64>),
    /// A `type=multipolygon` relation: its outer rings, each with the inner rings it contains. Rings that
    /// cannot be closed from the member ways in the file are dropped.
    MultiPolygon(MultiPolygon<f64>),
}

/// One kept OSM element with resolved geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    pub kind: Kind,
    /// The OSM id (ids are unique per kind only).
    pub id: i64,
    pub tags: Tags,
    pub geometry: Geometry,
}

impl Feature {
    /// The feature as an area, if it is one: a multipolygon relation, or a closed way of at least four nodes
    /// whose tags make it an area ([`is_area`]).
    pub fn polygon(&self) -> Option<MultiPolygon<f64>> {
        match &self.geometry {
            Geometry::MultiPolygon(mp) => Some(mp.clone()),
            Geometry::Way(line) if line.is_closed() && line.0.len() >= 4 && is_area(&self.tags) => {
                Some(MultiPolygon(vec![Polygon::new(line.clone(), vec![])]))
            }
            _ => None,
        }
    }
}

/// Whether a closed way with these tags is an area rather than a loop-shaped line (a roundabout, a fence),
/// after the usual OSM convention: `area=yes/no` decides; otherwise buildings, landuse, natural (but coastline
/// and tree rows), leisure, amenity, water and similar keys are areas; highways, barriers and waterways are
/// lines.
pub fn is_area(tags: &Tags) -> bool {
    match tags.get("area") {
        Some("yes") => return true,
        Some("no") => return false,
        _ => {}
    }
    if tags.has("highway") || tags.has("barrier") || tags.has("railway") {
        // Pedestrian squares are tagged area=yes, handled above.
        return false;
    }
    if let Some(waterway) = tags.get("waterway") {
        return matches!(waterway, "riverbank" | "dock" | "boatyard" | "dam");
    }
    if let Some(natural) = tags.get("natural") {
        return !matches!(
            natural,
            "coastline" | "tree_row" | "cliff" | "ridge" | "arete"
        );
    }
    const AREA_KEYS: [&str; 14] = [
        "building",
        "building:part",
        "landuse",
        "leisure",
        "amenity",
        "shop",
        "tourism",
        "man_made",
        "water",
        "place",
        "aeroway",
        "military",
        "boundary",
        "office",
    ];
    AREA_KEYS.iter().any(|k| tags.has(k))
}

/// What a read went through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Size of the file in bytes.
    pub file_bytes: u64,
    /// Kept features yielded, per kind.
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
    /// Distinct nodes whose coordinates were needed for ways, and how many of them the file lacked.
    pub needed_nodes: u64,
    pub missing_nodes: u64,
    /// Kept ways and relations dropped because too few of their nodes were in the file.
    pub dropped: u64,
    /// The sink asked to stop before the end.
    pub stopped: bool,
}

/// The bounding box the file's header declares, in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeaderBbox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OsmError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not an OpenStreetMap PBF file: {reason}")]
    NotPbf { path: PathBuf, reason: String },
    #[error("{path} is truncated: the file ends inside a block (an interrupted download or copy?)")]
    Truncated { path: PathBuf },
    #[error("{path} is a corrupt OpenStreetMap PBF file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

impl OsmError {
    fn from_pbf(path: &Path, err: osmpbf::Error) -> Self {
        let path = path.to_owned();
        // A blob cut short surfaces either as an I/O end of file or as a protobuf message that ends early.
        let cut_short = match err.kind() {
            osmpbf::ErrorKind::Io(io) => io.kind() == std::io::ErrorKind::UnexpectedEof,
            osmpbf::ErrorKind::Protobuf { .. } => {
                err.to_string().to_lowercase().contains("end of file")
            }
            _ => false,
        };
        if cut_short {
            return OsmError::Truncated { path };
        }
        match err.kind() {
            osmpbf::ErrorKind::Io(io) => OsmError::Corrupt {
                path,
                reason: io.to_string(),
            },
            _ => OsmError::Corrupt {
                path,
                reason: err.to_string(),
            },
        }
    }
}

/// Checks that `path` starts like an OSM PBF (a readable `OSMHeader` block) and returns the bounding box its
/// header declares, if any. Cheap: reads only the first block. A truncated tail is only found by [`read`].
pub fn header_bbox(path: impl AsRef<Path>) -> Result<Option<HeaderBbox>, OsmError> {
    let path = path.as_ref();
    let mut blobs = open_blobs(path)?;
    let not_pbf = |reason: &str| OsmError::NotPbf {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let first = match blobs.next() {
        None if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) => {
            return Err(OsmError::Truncated {
                path: path.to_owned(),
            });
        }
        None => return Err(not_pbf("the file is empty")),
        Some(Err(err)) => {
            return Err(match OsmError::from_pbf(path, err) {
                OsmError::Corrupt { reason, .. } => not_pbf(&reason),
                other => other,
            });
        }
        Some(Ok(blob)) => blob,
    };
    if first.get_type() != BlobType::OsmHeader {
        return Err(not_pbf("its first block is not an OSMHeader block"));
    }
    let header = first
        .to_headerblock()
        .map_err(|e| not_pbf(&e.to_string()))?;
    Ok(header.bbox().map(|b| HeaderBbox {
        west: b.left,
        east: b.right,
        south: b.top.min(b.bottom),
        north: b.top.max(b.bottom),
    }))
}

/// Reads `path`, offers every tagged element to `filter`, and hands each kept one with its geometry to `sink`,
/// on the calling thread. `sink` returns [`ControlFlow::Break`] to stop early (then [`Stats::stopped`] is set).
/// See the crate documentation for the passes, memory and ordering.
pub fn read(
    path: impl AsRef<Path>,
    filter: &dyn TagFilter,
    mut sink: impl FnMut(Feature) -> ControlFlow<()>,
) -> Result<Stats, OsmError> {
    let path = path.as_ref();
    header_bbox(path)?;
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);

    // Pass 1: relations → member ways of kept multipolygons. Reading the whole file here also finds a
    // truncated or corrupt file before anything is yielded.
    let member_ways = Mutex::new(Vec::<i64>::new());
    par_blocks(path, |block| {
        let mut ways = Vec::new();
        for element in block.elements() {
            if let Element::Relation(rel) = element {
                let tags: Vec<(&str, &str)> = rel.tags().collect();
                if is_multipolygon(&tags) && filter.keep(Kind::Relation, &tags) {
                    ways.extend(
                        rel.members()
                            .filter(|m| m.member_type == RelMemberType::Way)
                            .map(|m| m.member_id),
                    );
                }
            }
        }
        if !ways.is_empty() {
            lock(&member_ways).extend(ways);
        }
    })?;
    let mut member_ways = member_ways.into_inner().unwrap_or_else(|p| p.into_inner());
    member_ways.par_sort_unstable();
    member_ways.dedup();

    // Pass 2: ways → needed node ids; member ways' node lists are kept for ring assembly.
    let needed = Mutex::new(Vec::<i64>::new());
    let member_refs = Mutex::new(HashMap::<i64, Vec<i64>>::new());
    par_blocks(path, |block| {
        let mut ids = Vec::new();
        let mut members = Vec::new();
        for element in block.elements() {
            if let Element::Way(way) = element {
                let is_member = member_ways.binary_search(&way.id()).is_ok();
                let kept = {
                    let tags: Vec<(&str, &str)> = way.tags().collect();
                    !tags.is_empty() && filter.keep(Kind::Way, &tags)
                };
                if kept || is_member {
                    let refs: Vec<i64> = way.refs().collect();
                    ids.extend_from_slice(&refs);
                    if is_member {
                        members.push((way.id(), refs));
                    }
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            lock(&needed).extend(ids);
        }
        if !members.is_empty() {
            lock(&member_refs).extend(members);
        }
    })?;
    let mut ids = needed.into_inner().unwrap_or_else(|p| p.into_inner());
    ids.par_sort_unstable();
    ids.dedup();
    ids.shrink_to_fit();
    let member_refs = member_refs.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut stats = Stats {
        file_bytes,
        needed_nodes: ids.len() as u64,
        ..Stats::default()
    };

    // Pass 3: nodes → coordinates of needed nodes; kept tagged nodes are yielded.
    let coords = Mutex::new(vec![MISSING; ids.len()]);
    let flow = stream_blocks(
        path,
        |block, tx| {
            let mut found = Vec::new();
            let mut batch = Vec::new();
            for element in block.elements() {
                let (id, lon, lat, tags): (i64, i32, i32, Vec<(&str, &str)>) = match element {
                    Element::DenseNode(n) => (
                        n.id(),
                        n.decimicro_lon(),
                        n.decimicro_lat(),
                        n.tags().collect(),
                    ),
                    Element::Node(n) => (
                        n.id(),
                        n.decimicro_lon(),
                        n.decimicro_lat(),
                        n.tags().collect(),
                    ),
                    _ => continue,
                };
                if let Ok(idx) = ids.binary_search(&id) {
                    found.push((idx, [lon, lat]));
                }
                if !tags.is_empty() && filter.keep(Kind::Node, &tags) {
                    batch.push(Feature {
                        kind: Kind::Node,
                        id,
                        tags: Tags::from_borrowed(&tags),
                        geometry: Geometry::Point(Point(coord([lon, lat]))),
                    });
                }
            }
            if !found.is_empty() {
                let mut coords = lock(&coords);
                for (idx, c) in found {
                    coords[idx] = c;
                }
            }
            send(tx, batch)
        },
        |f| {
            stats.nodes += 1;
            sink(f)
        },
    )?;
    let coords = coords.into_inner().unwrap_or_else(|p| p.into_inner());
    stats.missing_nodes = coords.iter().filter(|c| **c == MISSING).count() as u64;
    if flow.is_break() {
        stats.stopped = true;
        return Ok(stats);
    }
    let nodes = NodeStore { ids, coords };

    // Pass 4: kept ways and multipolygon relations, resolved.
    let dropped = std::sync::atomic::AtomicU64::new(0);
    let (mut ways, mut relations) = (0u64, 0u64);
    let flow = stream_blocks(
        path,
        |block, tx| {
            let mut batch = Vec::new();
            for element in block.elements() {
                match element {
                    Element::Way(way) => {
                        let tags: Vec<(&str, &str)> = way.tags().collect();
                        if tags.is_empty() || !filter.keep(Kind::Way, &tags) {
                            continue;
                        }
                        let line: Vec<Coord<f64>> =
                            way.refs().filter_map(|id| nodes.get(id)).collect();
                        if line.len() < 2 {
                            dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            continue;
                        }
                        batch.push(Feature {
                            kind: Kind::Way,
                            id: way.id(),
                            tags: Tags::from_borrowed(&tags),
                            geometry: Geometry::Way(LineString(line)),
                        });
                    }
                    Element::Relation(rel) => {
                        let tags: Vec<(&str, &str)> = rel.tags().collect();
                        if !is_multipolygon(&tags) || !filter.keep(Kind::Relation, &tags) {
                            continue;
                        }
                        let mut outer = Vec::new();
                        let mut inner = Vec::new();
                        for m in rel
                            .members()
                            .filter(|m| m.member_type == RelMemberType::Way)
                        {
                            if let Some(refs) = member_refs.get(&m.member_id) {
                                match m.role() {
                                    Ok("inner") => inner.push(refs.as_slice()),
                                    _ => outer.push(refs.as_slice()),
                                }
                            }
                        }
                        match assemble(&outer, &inner, &nodes) {
                            Some(mp) => batch.push(Feature {
                                kind: Kind::Relation,
                                id: rel.id(),
                                tags: Tags::from_borrowed(&tags),
                                geometry: Geometry::MultiPolygon(mp),
                            }),
                            None => {
                                dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    }
                    _ => {}
                }
            }
            send(tx, batch)
        },
        |f| {
            match f.kind {
                Kind::Relation => relations += 1,
                _ => ways += 1,
            }
            sink(f)
        },
    )?;
    stats.ways = ways;
    stats.relations = relations;
    stats.dropped = dropped.into_inner();
    stats.stopped = flow.is_break();
    Ok(stats)
}

const MISSING: [i32; 2] = [i32::MIN, i32::MIN];

fn coord([lon, lat]: [i32; 2]) -> Coord<f64> {
    Coord {
        x: f64::from(lon) * 1e-7,
        y: f64::from(lat) * 1e-7,
    }
}

fn is_multipolygon(tags: &[(&str, &str)]) -> bool {
    tags.iter()
        .any(|&(k, v)| k == "type" && v == "multipolygon")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Coordinates of the nodes the kept ways need: ids sorted, coordinates (lon, lat in 1e-7 degrees) alongside.
struct NodeStore {
    ids: Vec<i64>,
    coords: Vec<[i32; 2]>,
}

impl NodeStore {
    fn get(&self, id: i64) -> Option<Coord<f64>> {
        let idx = self.ids.binary_search(&id).ok()?;
        let c = self.coords[idx];
        (c != MISSING).then(|| coord(c))
    }
}

fn open_blobs(path: &Path) -> Result<BlobReader<BufReader<File>>, OsmError> {
    let file = File::open(path).map_err(|source| OsmError::Open {
        path: path.to_owned(),
        source,
    })?;
    Ok(BlobReader::new(BufReader::with_capacity(1 << 20, file)))
}

/// Decodes every data block of the file in parallel and calls `f` on each.
fn par_blocks(path: &Path, f: impl Fn(&PrimitiveBlock) + Sync) -> Result<(), OsmError> {
    open_blobs(path)?
        .par_bridge()
        .try_for_each(|blob| -> Result<(), osmpbf::Error> {
            if let BlobDecode::OsmData(block) = blob?.decode()? {
                f(&block);
            }
            Ok(())
        })
        .map_err(|e| OsmError::from_pbf(path, e))
}

/// Sends a block's features to the consuming thread; false when it has hung up (the sink stopped).
fn send(tx: &SyncSender<Vec<Feature>>, batch: Vec<Feature>) -> bool {
    batch.is_empty() || tx.send(batch).is_ok()
}

/// Decodes blocks in parallel on rayon's pool (`produce` turns a block into a batch of features and sends it),
/// while the calling thread hands the features to `consume` one by one. The bounded channel keeps at most a
/// few blocks' features in flight.
fn stream_blocks(
    path: &Path,
    produce: impl Fn(&PrimitiveBlock, &SyncSender<Vec<Feature>>) -> bool + Sync,
    mut consume: impl FnMut(Feature) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, OsmError> {
    let blobs = open_blobs(path)?;
    let (tx, rx): (SyncSender<Vec<Feature>>, Receiver<Vec<Feature>>) = sync_channel(8);
    let produce = &produce;
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            blobs.par_bridge().try_for_each_with(
                tx,
                |tx, blob| -> Result<(), Option<osmpbf::Error>> {
                    if let BlobDecode::OsmData(block) =
                        blob.map_err(Some)?.decode().map_err(Some)?
                        && !produce(&block, tx)
                    {
                        return Err(None); // the sink stopped
                    }
                    Ok(())
                },
            )
        });
        let mut flow = ControlFlow::Continue(());
        for batch in rx.iter() {
            for feature in batch {
                flow = consume(feature);
                if flow.is_break() {
                    break;
                }
            }
            if flow.is_break() {
                break;
            }
        }
        drop(rx);
        match producer.join() {
            Ok(Ok(())) | Ok(Err(None)) => Ok(flow),
            Ok(Err(Some(err))) => Err(OsmError::from_pbf(path, err)),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Joins member ways into closed rings (by shared end node ids) and puts each inner ring into the outer ring
/// that contains it. None when no outer ring closes.
fn assemble(outer: &[&[i64]], inner: &[&[i64]], nodes: &NodeStore) -> Option<MultiPolygon<f64>> {
    let outers = rings(outer, nodes);
    if outers.is_empty() {
        return None;
    }
    let shells: Vec<Polygon<f64>> = outers
        .into_iter()
        .map(|r| Polygon::new(r, vec![]))
        .collect();
    let mut holes: Vec<Vec<LineString<f64>>> = vec![Vec::new(); shells.len()];
    for ring in rings(inner, nodes) {
        let probe = Point(ring.0[0]);
        if let Some(i) = shells.iter().position(|shell| shell.contains(&probe)) {
            holes[i].push(ring);
        }
    }
    let polygons = shells
        .into_iter()
        .zip(holes)
        .map(|(shell, holes)| Polygon::new(shell.into_inner().0, holes));
    Some(MultiPolygon(polygons.collect()))
}

fn rings(parts: &[&[i64]], nodes: &NodeStore) -> Vec<LineString<f64>> {
    let mut unused: Vec<&[i64]> = parts.iter().copied().filter(|p| p.len() >= 2).collect();
    let mut out = Vec::new();
    while let Some(first) = unused.pop() {
        let mut ring: Vec<i64> = first.to_vec();
        while ring.first() != ring.last() {
            let end = *ring.last().unwrap_or(&0);
            let Some(pos) = unused
                .iter()
                .position(|p| p.first() == Some(&end) || p.last() == Some(&end))
            else {
                break;
            };
            let next = unused.swap_remove(pos);
            if next.first() == Some(&end) {
                ring.extend_from_slice(&next[1..]);
            } else {
                ring.extend(next.iter().rev().skip(1));
            }
        }
        if ring.first() != ring.last() {
            continue; // cannot be closed from the ways in the file
        }
        let coords: Vec<Coord<f64>> = ring.iter().filter_map(|id| nodes.get(*id)).collect();
        let line = LineString(coords);
        if line.0.len() >= 4 && line.is_closed() {
            out.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    /// Nodes 1..=8: an outer square (1-2-3-4) of 10×10 and an inner square (5-6-7-8) of 2×2.
    fn store() -> NodeStore {
        let e7 = |d: i32| d * 10_000_000;
        let pts = [
            (0, 0),
            (10, 0),
            (10, 10),
            (0, 10),
            (4, 4),
            (6, 4),
            (6, 6),
            (4, 6),
        ];
        NodeStore {
            ids: (1..=8).collect(),
            coords: pts
                .iter()
                .map(|&(x, y)| [e7(x) / 100, e7(y) / 100])
                .collect(),
        }
    }

    #[test]
    fn multipolygon_rings_are_joined_from_unordered_reversed_ways_and_holes_placed() {
        let nodes = store();
        // The outer ring comes as two ways, the second reversed; the inner as one closed way.
        let outer: [&[i64]; 2] = [&[1, 2, 3], &[1, 4, 3]];
        let inner: [&[i64]; 1] = [&[5, 6, 7, 8, 5]];
        let mp = assemble(&outer, &inner, &nodes).expect("the rings close");
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0].interiors().len(), 1);
        let area = mp.unsigned_area();
        assert!((area - (0.01 - 0.0004)).abs() < 1e-9, "{area}");
    }

    #[test]
    fn an_open_ring_is_dropped() {
        let nodes = store();
        let outer: [&[i64]; 1] = [&[1, 2, 3]];
        assert!(assemble(&outer, &[], &nodes).is_none());
    }
}
