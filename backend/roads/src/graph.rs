//! The road graph: nodes, segments, per-profile contraction hierarchies, and the file it is kept in.
//!
//! Every OSM node of a kept way is a graph node (no degree-2 simplification: a snapped point, a route's
//! geometry and the one-way check all work on the original segments, and the CH preparation contracts the
//! degree-2 chains first anyway). Nodes are identified by their position at OSM's own 1e-7° precision, so ways
//! that share a node share a graph node; `siaga-osm` yields way geometry, not node ids, and two distinct OSM
//! nodes at the very same position are in practice the same junction.
//!
//! A segment joins two consecutive nodes of one way. Per profile it is allowed forward (drawing direction),
//! backward, both or neither, with a travel time in milliseconds. Each profile gets its own directed graph
//! (CSR adjacency, both directions, for Dijkstra and path reconstruction) and its own prepared `FastGraph`.
//!
//! The prepared graph is written with postcard under a header naming the format version and the SHA-256 of the
//! input file plus the rules version: [`RoadGraph::load_or_prepare`] loads it when both match and prepares
//! (and rewrites it) otherwise.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use fast_paths::{FastGraph, InputGraph};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::input::{InputError, RawWay, read_ways};
use crate::many::{ChIndex, Pool};
use crate::profile::{Profile, RULES_VERSION, access};

/// A segment's data per profile: travel time in ms forward and backward, `0` = not allowed.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Allowed {
    pub forward_ms: u32,
    pub backward_ms: u32,
}

impl Allowed {
    /// Whether the profile may use the segment in any direction.
    pub fn any(self) -> bool {
        self.forward_ms > 0 || self.backward_ms > 0
    }
}

/// Two consecutive nodes of one OSM way.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Segment {
    /// First node in the way's drawing order.
    pub a: u32,
    /// Second node.
    pub b: u32,
    /// The OSM way id.
    pub way: i64,
    /// Index into the graph's street names (`0` = unnamed).
    pub name: u32,
    pub length_m: f32,
    /// Per profile ([`Profile::index`]).
    pub allowed: [Allowed; 2],
}

/// One directed edge of a profile's adjacency.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arc {
    pub to: u32,
    pub segment: u32,
    pub ms: u32,
}

/// Compressed adjacency: the arcs of node `n` are `arcs[first[n]..first[n + 1]]`.
#[derive(Debug, Default)]
pub(crate) struct Csr {
    pub first: Vec<u32>,
    pub arcs: Vec<Arc>,
}

impl Csr {
    fn build(num_nodes: usize, mut edges: Vec<(u32, Arc)>) -> Csr {
        edges.sort_by_key(|(from, arc)| (*from, arc.to, arc.ms));
        let mut first = vec![0u32; num_nodes + 1];
        for (from, _) in &edges {
            first[*from as usize + 1] += 1;
        }
        for i in 0..num_nodes {
            first[i + 1] += first[i];
        }
        Csr {
            first,
            arcs: edges.into_iter().map(|(_, a)| a).collect(),
        }
    }

    pub fn of(&self, node: u32) -> &[Arc] {
        &self.arcs[self.first[node as usize] as usize..self.first[node as usize + 1] as usize]
    }
}

/// The stored part of a graph: everything but the indexes rebuilt at load.
#[derive(Serialize, Deserialize)]
struct Stored {
    input_sha256: String,
    nodes: Vec<[f64; 2]>,
    segments: Vec<Segment>,
    names: Vec<String>,
    ch: Vec<FastGraph>,
    prepare_ms: [u64; 2],
}

/// Sizes and times of a graph.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GraphStats {
    pub nodes: usize,
    pub segments: usize,
    /// Directed edges per profile.
    pub car_edges: usize,
    pub motorbike_edges: usize,
    /// CH edges (original + shortcuts, both directions) per profile.
    pub car_ch_edges: usize,
    pub motorbike_ch_edges: usize,
    /// Contraction time per profile when the graph was prepared, in ms.
    pub car_prepare_ms: u64,
    pub motorbike_prepare_ms: u64,
}

pub(crate) type SegmentLine = GeomWithData<Line<[f64; 2]>, u32>;

/// A prepared road graph, ready for snapping and routing. Immutable: share it behind an `Arc` and give each
/// thread its own [`crate::Router`].
pub struct RoadGraph {
    stored: Stored,
    pub(crate) fwd: [Csr; 2],
    pub(crate) bwd: [Csr; 2],
    pub(crate) index: RTree<SegmentLine>,
    /// Weakly connected component of each node, per profile: points in different components have no route,
    /// which is answered without a search (a CH search that finds nothing explores its whole upward space).
    pub(crate) component: [Vec<u32>; 2],
    /// Size of each node's strongly connected component, per profile: a node of a small one (a one-way stub
    /// where the extract was cut, a car park behind a one-way gate) can be left or reached only through few
    /// nodes, so snapping prefers large ones.
    pub(crate) scc_size: [Vec<u32>; 2],
    /// Metres per degree of longitude and of latitude at the graph's mean latitude (the snapping projection).
    pub(crate) m_per_deg: [f64; 2],
    /// Each profile's hierarchy laid out for many-to-one queries (`None` if it could not be read: then ranking
    /// asks `fast_paths` once per candidate).
    pub(crate) many: [Option<ChIndex>; 2],
    /// Query buffers released by routers, for the next ones.
    pub(crate) pool: Pool,
}

/// Why a graph could not be prepared, loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a prepared Siaga road graph ({reason})")]
    Format { path: String, reason: String },
}

const MAGIC: &[u8; 8] = b"SIAGARD1";
/// Bumped when [`Stored`] or fast_paths' layout changes.
const FORMAT_VERSION: u32 = 1;

/// Whether [`RoadGraph::load_or_prepare`] prepared the graph or loaded the stored one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provenance {
    Loaded,
    Prepared,
}

/// The SHA-256 of a file's bytes and the rules version: the key under which its prepared graph is stored.
pub fn input_hash(path: &Path) -> Result<String, GraphError> {
    let io = |source| GraphError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    hasher.update(RULES_VERSION.to_le_bytes());
    Ok(hex::encode(hasher.finalize()))
}

fn equirect_m(mean_lat: f64) -> [f64; 2] {
    let k = 6_371_008.8_f64.to_radians();
    [k * mean_lat.to_radians().cos(), k]
}

impl RoadGraph {
    /// Builds the graph of `ways` and prepares a contraction hierarchy per profile. `input_sha256` is stored
    /// with it (see [`input_hash`]).
    pub fn prepare(ways: &[RawWay], input_sha256: String) -> RoadGraph {
        let mut node_of: HashMap<(i64, i64), u32> = HashMap::new();
        let mut nodes: Vec<[f64; 2]> = Vec::new();
        let mut names: Vec<String> = vec![String::new()];
        let mut name_of: HashMap<String, u32> = HashMap::new();
        let mut segments = Vec::new();
        for way in ways {
            let get = |k: &str| way.tag(k);
            let rules = Profile::ALL.map(|p| access(p, &get));
            if rules.iter().all(Option::is_none) {
                continue;
            }
            let street = way
                .tag("name")
                .or_else(|| way.tag("ref"))
                .unwrap_or("")
                .to_owned();
            let name = if street.is_empty() {
                0
            } else {
                *name_of.entry(street.clone()).or_insert_with(|| {
                    names.push(street);
                    (names.len() - 1) as u32
                })
            };
            let mut prev: Option<u32> = None;
            for c in &way.coords {
                let key = ((c[0] * 1e7).round() as i64, (c[1] * 1e7).round() as i64);
                let id = *node_of.entry(key).or_insert_with(|| {
                    nodes.push(*c);
                    (nodes.len() - 1) as u32
                });
                if let Some(p) = prev.filter(|p| *p != id) {
                    let [pa, pb] = [nodes[p as usize], nodes[id as usize]];
                    let length_m = siaga_spatial::convert::haversine_m(pa[0], pa[1], pb[0], pb[1]);
                    let allowed = rules.map(|r| match r {
                        None => Allowed::default(),
                        Some(r) => {
                            // At least 1 ms, so an allowed direction is never read as "not allowed".
                            let ms =
                                ((length_m / (r.speed_kmh / 3.6)) * 1000.0).round().max(1.0) as u32;
                            Allowed {
                                forward_ms: if r.forward { ms } else { 0 },
                                backward_ms: if r.backward { ms } else { 0 },
                            }
                        }
                    });
                    segments.push(Segment {
                        a: p,
                        b: id,
                        way: way.id,
                        name,
                        length_m: length_m as f32,
                        allowed,
                    });
                }
                prev = Some(id);
            }
        }
        let mut ch = Vec::new();
        let mut prepare_ms = [0u64; 2];
        for p in Profile::ALL {
            let started = Instant::now();
            let mut input = InputGraph::new();
            for s in &segments {
                let a = s.allowed[p.index()];
                if a.forward_ms > 0 {
                    input.add_edge(s.a as usize, s.b as usize, a.forward_ms as usize);
                }
                if a.backward_ms > 0 {
                    input.add_edge(s.b as usize, s.a as usize, a.backward_ms as usize);
                }
            }
            // fast_paths numbers nodes up to the largest id with an edge: nodes above it have no edge in this
            // profile, and the queries treat them as unreachable (see `Router`).
            input.freeze();
            let fg = if input.get_num_edges() == 0 {
                FastGraph::new(0)
            } else {
                fast_paths::prepare(&input)
            };
            prepare_ms[p.index()] = started.elapsed().as_millis() as u64;
            ch.push(fg);
        }
        Self::index(Stored {
            input_sha256,
            nodes,
            segments,
            names,
            ch,
            prepare_ms,
        })
    }

    fn index(stored: Stored) -> RoadGraph {
        let n = stored.nodes.len();
        let mean_lat = if n == 0 {
            0.0
        } else {
            stored.nodes.iter().map(|c| c[1]).sum::<f64>() / n as f64
        };
        let m_per_deg = equirect_m(mean_lat);
        let mut fwd = Vec::new();
        let mut bwd = Vec::new();
        for p in Profile::ALL {
            let mut out = Vec::new();
            let mut inc = Vec::new();
            for (i, s) in stored.segments.iter().enumerate() {
                let a = s.allowed[p.index()];
                let i = i as u32;
                if a.forward_ms > 0 {
                    out.push((
                        s.a,
                        Arc {
                            to: s.b,
                            segment: i,
                            ms: a.forward_ms,
                        },
                    ));
                    inc.push((
                        s.b,
                        Arc {
                            to: s.a,
                            segment: i,
                            ms: a.forward_ms,
                        },
                    ));
                }
                if a.backward_ms > 0 {
                    out.push((
                        s.b,
                        Arc {
                            to: s.a,
                            segment: i,
                            ms: a.backward_ms,
                        },
                    ));
                    inc.push((
                        s.a,
                        Arc {
                            to: s.b,
                            segment: i,
                            ms: a.backward_ms,
                        },
                    ));
                }
            }
            fwd.push(Csr::build(n, out));
            bwd.push(Csr::build(n, inc));
        }
        let project = |c: [f64; 2]| [c[0] * m_per_deg[0], c[1] * m_per_deg[1]];
        let lines: Vec<SegmentLine> = stored
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                GeomWithData::new(
                    Line::new(
                        project(stored.nodes[s.a as usize]),
                        project(stored.nodes[s.b as usize]),
                    ),
                    i as u32,
                )
            })
            .collect();
        let component = Profile::ALL.map(|p| {
            let mut parent: Vec<u32> = (0..n as u32).collect();
            fn find(parent: &mut [u32], mut x: u32) -> u32 {
                while parent[x as usize] != x {
                    parent[x as usize] = parent[parent[x as usize] as usize];
                    x = parent[x as usize];
                }
                x
            }
            for s in &stored.segments {
                if s.allowed[p.index()].any() {
                    let (ra, rb) = (find(&mut parent, s.a), find(&mut parent, s.b));
                    if ra != rb {
                        parent[ra.max(rb) as usize] = ra.min(rb);
                    }
                }
            }
            (0..n as u32).map(|x| find(&mut parent, x)).collect()
        });
        let scc_size = [0usize, 1].map(|i| strong_component_sizes(&fwd[i], &bwd[i], n));
        let [f0, f1]: [Csr; 2] = fwd.try_into().unwrap_or_else(|_| unreachable!());
        let [b0, b1]: [Csr; 2] = bwd.try_into().unwrap_or_else(|_| unreachable!());
        let many = [0usize, 1].map(|i| ChIndex::new(&stored.ch[i]));
        RoadGraph {
            many,
            pool: Pool::default(),
            stored,
            fwd: [f0, f1],
            bwd: [b0, b1],
            index: RTree::bulk_load(lines),
            component,
            scc_size,
            m_per_deg,
        }
    }

    /// Reads `input` (PBF or GeoJSON) and prepares its graph.
    pub fn prepare_file(input: &Path) -> Result<RoadGraph, GraphError> {
        let hash = input_hash(input)?;
        let ways = read_ways(input)?;
        Ok(RoadGraph::prepare(&ways, hash))
    }

    /// Loads the graph stored at `stored` when it was prepared from `input` as it is now (same SHA-256 and
    /// rules version); otherwise prepares it from `input` and writes it to `stored`.
    pub fn load_or_prepare(
        input: &Path,
        stored: &Path,
    ) -> Result<(RoadGraph, Provenance), GraphError> {
        let hash = input_hash(input)?;
        if let Ok(g) = RoadGraph::load(stored)
            && g.stored.input_sha256 == hash
        {
            return Ok((g, Provenance::Loaded));
        }
        let ways = read_ways(input)?;
        let g = RoadGraph::prepare(&ways, hash);
        g.save(stored)?;
        Ok((g, Provenance::Prepared))
    }

    /// Writes the prepared graph to `path` (through a temporary file renamed into place, so a reader never
    /// sees half a graph).
    pub fn save(&self, path: &Path) -> Result<(), GraphError> {
        let io = |source| GraphError::Io {
            path: path.display().to_string(),
            source,
        };
        let body = postcard::to_stdvec(&self.stored).map_err(|e| GraphError::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(MAGIC).map_err(io)?;
        f.write_all(&FORMAT_VERSION.to_le_bytes()).map_err(io)?;
        f.write_all(&body).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }

    /// Reads a graph written by [`RoadGraph::save`].
    pub fn load(path: &Path) -> Result<RoadGraph, GraphError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| GraphError::Io {
            path: shown.clone(),
            source,
        })?;
        let format = |reason: &str| GraphError::Format {
            path: shown.clone(),
            reason: reason.to_owned(),
        };
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(format("wrong magic"));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != FORMAT_VERSION {
            return Err(format(&format!(
                "format {version}, expected {FORMAT_VERSION}"
            )));
        }
        let stored: Stored =
            postcard::from_bytes(&bytes[12..]).map_err(|e| format(&e.to_string()))?;
        if stored.ch.len() != 2
            || stored
                .ch
                .iter()
                .any(|c| c.get_num_nodes() > stored.nodes.len())
        {
            return Err(format("contraction hierarchies do not match the nodes"));
        }
        Ok(RoadGraph::index(stored))
    }

    /// The SHA-256 (input file and rules version) this graph was prepared from.
    pub fn input_sha256(&self) -> &str {
        &self.stored.input_sha256
    }

    /// Sizes and preparation times.
    pub fn stats(&self) -> GraphStats {
        let s = &self.stored;
        let ch = |p: Profile| {
            let c = &s.ch[p.index()];
            c.get_num_out_edges() + c.get_num_in_edges()
        };
        GraphStats {
            nodes: s.nodes.len(),
            segments: s.segments.len(),
            car_edges: self.fwd[0].arcs.len(),
            motorbike_edges: self.fwd[1].arcs.len(),
            car_ch_edges: ch(Profile::Car),
            motorbike_ch_edges: ch(Profile::Motorbike),
            car_prepare_ms: s.prepare_ms[0],
            motorbike_prepare_ms: s.prepare_ms[1],
        }
    }

    /// Node positions (lon, lat).
    pub fn nodes(&self) -> &[[f64; 2]] {
        &self.stored.nodes
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.stored.segments
    }

    /// A street name by index (`""` for unnamed).
    pub fn name(&self, index: u32) -> &str {
        self.stored
            .names
            .get(index as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    pub(crate) fn ch(&self, p: Profile) -> &FastGraph {
        &self.stored.ch[p.index()]
    }

    pub(crate) fn project(&self, lonlat: [f64; 2]) -> [f64; 2] {
        [lonlat[0] * self.m_per_deg[0], lonlat[1] * self.m_per_deg[1]]
    }

    pub(crate) fn unproject(&self, xy: [f64; 2]) -> [f64; 2] {
        [xy[0] / self.m_per_deg[0], xy[1] / self.m_per_deg[1]]
    }
}

/// For each node, the number of nodes in its strongly connected component (Kosaraju, iterative).
fn strong_component_sizes(fwd: &Csr, bwd: &Csr, n: usize) -> Vec<u32> {
    let mut order = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    let mut stack: Vec<(u32, usize)> = Vec::new();
    for start in 0..n as u32 {
        if seen[start as usize] {
            continue;
        }
        seen[start as usize] = true;
        stack.push((start, 0));
        while let Some(top) = stack.last_mut() {
            let (node, i) = *top;
            let arcs = fwd.of(node);
            if i < arcs.len() {
                top.1 += 1;
                let to = arcs[i].to;
                if !seen[to as usize] {
                    seen[to as usize] = true;
                    stack.push((to, 0));
                }
            } else {
                order.push(node);
                stack.pop();
            }
        }
    }
    let mut comp = vec![u32::MAX; n];
    let mut sizes = Vec::new();
    let mut todo = Vec::new();
    for &start in order.iter().rev() {
        if comp[start as usize] != u32::MAX {
            continue;
        }
        let id = sizes.len() as u32;
        let mut size = 0u32;
        comp[start as usize] = id;
        todo.push(start);
        while let Some(node) = todo.pop() {
            size += 1;
            for arc in bwd.of(node) {
                if comp[arc.to as usize] == u32::MAX {
                    comp[arc.to as usize] = id;
                    todo.push(arc.to);
                }
            }
        }
        sizes.push(size);
    }
    comp.iter().map(|c| sizes[*c as usize]).collect()
}
