//! Many-to-one contraction-hierarchy queries: the travel times of many starts to one target.
//!
//! A CH query is two upward searches, one forward from the start and one backward from the target, meeting at
//! the highest node of the shortest path. For many starts and one target, the backward search does not depend
//! on the start: it is run once per target, its whole upward space is kept, and each start then needs only its
//! own forward upward search, which reads the backward distances where it meets them and stops as soon as its
//! queue holds nothing shorter than the best meeting found (bucket-style many-to-one). Both searches stall on
//! demand (a node reached more cheaply from above is not expanded).
//!
//! `fast_paths` answers one pair per call and keeps its graph's fields private, but its `FastGraph` is
//! serde-serializable with a plain field layout. [`ChIndex::new`] transcodes it through serde (postcard) into
//! [`Mirror`] and lays it out for these searches: nodes numbered by rank (an upward search walks towards
//! higher ranks, so neighbouring labels are close in memory), upward edges in compact CSR arrays with `u32`
//! weights, and the original edge data kept aside for unpacking shortcuts into road arcs. `fast_paths` is
//! pinned to the version whose layout this reads (`=1.0.0` in Cargo.toml), and a test compares every answer
//! with `fast_paths`' own `calc_path` on the real Buahbatu extract.
//!
//! A [`Search`] holds the labels of both directions for one graph, generation-stamped so a query touches only
//! what it reaches (no O(nodes) clearing or allocation per query); [`Pool`] keeps released ones for reuse.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

use fast_paths::{FastGraph, PathCalculator};
use serde::Deserialize;

const NONE: u32 = u32::MAX;

/// `fast_paths` 1.0.0's `FastGraphEdge`, field for field (its fields are public, its graph's are not).
#[derive(Deserialize)]
struct MirrorEdge {
    base_node: usize,
    adj_node: usize,
    weight: usize,
    replaced_in_edge: usize,
    replaced_out_edge: usize,
}

/// `fast_paths` 1.0.0's `FastGraph`, field for field, in its declaration order (postcard is not
/// self-describing: the order is the format). Edges of the node of rank `r` are
/// `edges_*[first_edge_ids_*[r]..first_edge_ids_*[r + 1]]`; `edges_fwd` are `base_node → adj_node` to a
/// higher rank, `edges_bwd` are `adj_node → base_node` from a higher rank. A shortcut replaces
/// `edges_bwd[replaced_in_edge]` followed by `edges_fwd[replaced_out_edge]`.
#[derive(Deserialize)]
struct Mirror {
    num_nodes: usize,
    ranks: Vec<usize>,
    edges_fwd: Vec<MirrorEdge>,
    first_edge_ids_fwd: Vec<usize>,
    edges_bwd: Vec<MirrorEdge>,
    first_edge_ids_bwd: Vec<usize>,
}

/// An upward edge as the searches read it: the other end's rank and the weight in ms.
#[derive(Clone, Copy, Debug)]
struct Up {
    to: u32,
    ms: u32,
}

/// An edge's original data, for unpacking: the road arc `tail → head` (node ids) when it is not a shortcut,
/// else the two edges it replaces (`bwd[first]` then `fwd[second]`).
#[derive(Clone, Copy, Debug)]
struct Orig {
    tail: u32,
    head: u32,
    first: u32,
    second: u32,
}

/// One upward direction: the edges of rank `r` are `edges[first[r]..first[r + 1]]`.
#[derive(Default)]
struct Upward {
    first: Vec<u32>,
    edges: Vec<Up>,
    orig: Vec<Orig>,
}

impl Upward {
    fn of(&self, rank: u32) -> &[Up] {
        &self.edges[self.first[rank as usize] as usize..self.first[rank as usize + 1] as usize]
    }
}

/// A read-only copy of one profile's contraction hierarchy, laid out for many-to-one searches.
pub(crate) struct ChIndex {
    /// Rank of each node id.
    rank: Vec<u32>,
    /// Node id of each rank.
    node: Vec<u32>,
    /// Upward edges out of each rank (forward search).
    fwd: Upward,
    /// Upward edges into each rank, stored at the lower end (backward search).
    bwd: Upward,
}

impl ChIndex {
    /// Transcodes `fg` into the mirror and lays it out; `None` when its layout is not the one this reads or a
    /// number does not fit (then the caller answers with `fast_paths` itself).
    pub(crate) fn new(fg: &FastGraph) -> Option<ChIndex> {
        let bytes = postcard::to_stdvec(fg).ok()?;
        let m: Mirror = postcard::from_bytes(&bytes).ok()?;
        let n = m.num_nodes;
        if m.ranks.len() != n
            || m.first_edge_ids_fwd.len() != n + 1
            || m.first_edge_ids_bwd.len() != n + 1
            || n >= NONE as usize
        {
            return None;
        }
        let rank: Vec<u32> = m
            .ranks
            .iter()
            .map(|&r| u32::try_from(r).ok().filter(|r| (*r as usize) < n))
            .collect::<Option<_>>()?;
        let small = |x: usize| u32::try_from(x).ok().filter(|x| *x != NONE);
        let edge = |x: usize| {
            if x == usize::MAX {
                Some(NONE)
            } else {
                small(x)
            }
        };
        let upward = |edges: &[MirrorEdge], first: &[usize], forward: bool| -> Option<Upward> {
            let first: Vec<u32> = first.iter().map(|&f| small(f)).collect::<Option<_>>()?;
            if first.last().copied() != Some(edges.len() as u32) {
                return None;
            }
            if first.windows(2).any(|w| w[0] > w[1]) {
                return None;
            }
            let mut up = Vec::with_capacity(edges.len());
            let mut orig = Vec::with_capacity(edges.len());
            for (i, e) in edges.iter().enumerate() {
                let (base, adj) = (small(e.base_node)?, small(e.adj_node)?);
                if base as usize >= n || adj as usize >= n {
                    return None;
                }
                // Stored at its lower end's rank, leading up.
                let at = first.partition_point(|f| *f as usize <= i) - 1;
                if rank[base as usize] as usize != at || rank[adj as usize] <= rank[base as usize] {
                    return None;
                }
                up.push(Up {
                    to: rank[adj as usize],
                    ms: small(e.weight)?,
                });
                let (tail, head) = if forward { (base, adj) } else { (adj, base) };
                orig.push(Orig {
                    tail,
                    head,
                    first: edge(e.replaced_in_edge)?,
                    second: edge(e.replaced_out_edge)?,
                });
            }
            Some(Upward {
                first,
                edges: up,
                orig,
            })
        };
        let fwd = upward(&m.edges_fwd, &m.first_edge_ids_fwd, true)?;
        let bwd = upward(&m.edges_bwd, &m.first_edge_ids_bwd, false)?;
        let (nf, nb) = (fwd.orig.len() as u32, bwd.orig.len() as u32);
        let bad = |o: &Orig| (o.first != NONE) && (o.first >= nb || o.second >= nf);
        if fwd.orig.iter().chain(&bwd.orig).any(bad) {
            return None;
        }
        let mut node = vec![NONE; n];
        for (id, &r) in rank.iter().enumerate() {
            node[r as usize] = id as u32;
        }
        if node.contains(&NONE) {
            return None;
        }
        Some(ChIndex {
            rank,
            node,
            fwd,
            bwd,
        })
    }

    /// Nodes of the hierarchy (fast_paths numbers them up to the largest with an edge).
    pub(crate) fn num_nodes(&self) -> usize {
        self.rank.len()
    }
}

/// A node's label in one search direction: valid only when `stamp` is the search's current generation.
#[derive(Clone, Copy)]
struct Label {
    stamp: u32,
    /// The edge it was last reached by (into `fwd` or `bwd` by direction), `NONE` for a start.
    parent: u32,
    ms: u64,
}

/// The labels of one direction, indexed by rank.
struct Labels {
    labels: Vec<Label>,
    generation: u32,
}

impl Labels {
    fn new(n: usize) -> Labels {
        Labels {
            labels: vec![
                Label {
                    stamp: 0,
                    parent: NONE,
                    ms: u64::MAX
                };
                n
            ],
            generation: 0,
        }
    }

    /// Forgets every label in O(1) (O(n) once every 4 billion searches).
    fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            for l in &mut self.labels {
                l.stamp = 0;
            }
            self.generation = 1;
        }
    }

    fn ms(&self, rank: u32) -> u64 {
        let l = &self.labels[rank as usize];
        if l.stamp == self.generation {
            l.ms
        } else {
            u64::MAX
        }
    }

    fn set(&mut self, rank: u32, ms: u64, parent: u32) {
        self.labels[rank as usize] = Label {
            stamp: self.generation,
            parent,
            ms,
        };
    }

    fn parent(&self, rank: u32) -> u32 {
        self.labels[rank as usize].parent
    }
}

/// Query state for one hierarchy: the backward search of the current target, the forward labels of the
/// current start, a reusable heap, and where the last forward search met the backward one.
pub(crate) struct Search {
    fwd: Labels,
    bwd: Labels,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// Rank where the last [`Search::from`] found its best, with its weight.
    meet: Option<(u32, u64)>,
    /// Whether a backward search is loaded (and for which hierarchy size).
    target_nodes: Option<usize>,
}

impl Search {
    pub(crate) fn new(n: usize) -> Search {
        Search {
            fwd: Labels::new(n),
            bwd: Labels::new(n),
            heap: BinaryHeap::new(),
            meet: None,
            target_nodes: None,
        }
    }

    fn nodes(&self) -> usize {
        self.fwd.labels.len()
    }

    /// Runs the backward upward search from the target's entry nodes `ends` (node id, ms from it to the
    /// target) over its whole upward space, and keeps it for the [`Search::from`] calls that follow.
    pub(crate) fn target(&mut self, ch: &ChIndex, ends: &[(u32, u64)]) {
        debug_assert_eq!(self.nodes(), ch.num_nodes());
        self.bwd.clear();
        self.heap.clear();
        self.meet = None;
        for &(node, ms) in ends {
            let r = ch.rank[node as usize];
            if ms < self.bwd.ms(r) {
                self.bwd.set(r, ms, NONE);
                self.heap.push(Reverse((ms, r)));
            }
        }
        while let Some(Reverse((d, r))) = self.heap.pop() {
            if d != self.bwd.ms(r) {
                continue;
            }
            // Stall on demand: reached more cheaply through a higher node it leads to, so not on a shortest
            // path with this distance; its label stays (a real, longer path) but it is not expanded.
            if ch
                .fwd
                .of(r)
                .iter()
                .any(|e| self.bwd.ms(e.to).saturating_add(e.ms as u64) < d)
            {
                continue;
            }
            let first = ch.bwd.first[r as usize];
            for (i, e) in ch.bwd.of(r).iter().enumerate() {
                let nd = d + e.ms as u64;
                if nd < self.bwd.ms(e.to) {
                    self.bwd.set(e.to, nd, first + i as u32);
                    self.heap.push(Reverse((nd, e.to)));
                }
            }
        }
        self.target_nodes = Some(ch.num_nodes());
    }

    /// The shortest travel time in ms from the start's exit nodes `starts` (node id, ms to reach it) to the
    /// target of the last [`Search::target`]: a forward upward search, pruned by the best meeting so far.
    pub(crate) fn from(&mut self, ch: &ChIndex, starts: &[(u32, u64)]) -> Option<u64> {
        debug_assert_eq!(self.target_nodes, Some(ch.num_nodes()));
        self.fwd.clear();
        self.heap.clear();
        self.meet = None;
        let mut best = u64::MAX;
        let mut meet = NONE;
        for &(node, ms) in starts {
            let r = ch.rank[node as usize];
            if ms < self.fwd.ms(r) {
                self.fwd.set(r, ms, NONE);
                self.heap.push(Reverse((ms, r)));
            }
        }
        while let Some(Reverse((d, r))) = self.heap.pop() {
            if d >= best {
                break;
            }
            if d != self.fwd.ms(r) {
                continue;
            }
            let b = self.bwd.ms(r);
            if b != u64::MAX && d + b < best {
                best = d + b;
                meet = r;
            }
            if ch
                .bwd
                .of(r)
                .iter()
                .any(|e| self.fwd.ms(e.to).saturating_add(e.ms as u64) < d)
            {
                continue;
            }
            let first = ch.fwd.first[r as usize];
            for (i, e) in ch.fwd.of(r).iter().enumerate() {
                let nd = d + e.ms as u64;
                if nd < best && nd < self.fwd.ms(e.to) {
                    self.fwd.set(e.to, nd, first + i as u32);
                    self.heap.push(Reverse((nd, e.to)));
                }
            }
        }
        (meet != NONE).then(|| {
            self.meet = Some((meet, best));
            best
        })
    }

    /// The road arcs (`tail`, `head` node ids) of the path the last [`Search::from`] found, in driving order,
    /// shortcuts unpacked; with the path's first and last node (equal when it has no arc). Appends to `out`.
    pub(crate) fn path(&self, ch: &ChIndex, out: &mut Vec<(u32, u32)>) -> Option<(u32, u32)> {
        let (meet, _) = self.meet?;
        // Forward part: the parent edges from the meeting rank down to the start, then put in driving order.
        let mut fwd_edges = Vec::new();
        let mut r = meet;
        while self.fwd.parent(r) != NONE {
            let e = self.fwd.parent(r);
            fwd_edges.push((true, e));
            r = self.other_end(ch, true, e);
        }
        let start = r;
        fwd_edges.reverse();
        // Backward part: from the meeting rank down to the target, in driving order.
        let mut bwd_edges = Vec::new();
        let mut r = meet;
        while self.bwd.parent(r) != NONE {
            let e = self.bwd.parent(r);
            bwd_edges.push((false, e));
            r = self.other_end(ch, false, e);
        }
        let end = r;
        let mut stack: Vec<(bool, u32)> = Vec::new();
        for top in fwd_edges.into_iter().chain(bwd_edges) {
            stack.push(top);
            while let Some((forward, e)) = stack.pop() {
                let o = if forward {
                    ch.fwd.orig[e as usize]
                } else {
                    ch.bwd.orig[e as usize]
                };
                if o.first == NONE {
                    out.push((o.tail, o.head));
                } else {
                    stack.push((true, o.second));
                    stack.push((false, o.first));
                }
            }
        }
        Some((ch.node[start as usize], ch.node[end as usize]))
    }

    /// The lower end (rank) of the edge a label was reached by: the label's parent.
    fn other_end(&self, ch: &ChIndex, forward: bool, e: u32) -> u32 {
        let o = if forward {
            ch.fwd.orig[e as usize]
        } else {
            ch.bwd.orig[e as usize]
        };
        // A forward edge runs tail (lower) → head (higher); a backward one head (lower) ← tail (higher).
        if forward {
            ch.rank[o.tail as usize]
        } else {
            ch.rank[o.head as usize]
        }
    }
}

/// One thread's query buffers for both profiles: many-to-one searches and `fast_paths` path calculators, each
/// made on first use at its graph's size.
#[derive(Default)]
pub(crate) struct Buffers {
    pub(crate) search: [Option<Search>; 2],
    pub(crate) calcs: [Option<PathCalculator>; 2],
}

/// Released [`Buffers`] of a graph, reused by the next router instead of allocating O(nodes) again.
#[derive(Default)]
pub(crate) struct Pool(Mutex<Vec<Buffers>>);

/// More buffers than this are dropped on release (each is a few MB on a city graph).
const POOL_MAX: usize = 16;

impl Pool {
    pub(crate) fn take(&self) -> Buffers {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default()
    }

    pub(crate) fn give(&self, b: Buffers) {
        let mut pool = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOL_MAX {
            pool.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    //! The mirror against `fast_paths` itself, on the real Buahbatu extract: a differential test against the
    //! reference, so a `fast_paths` whose layout or semantics changed under the pin fails here.

    use std::path::PathBuf;
    use std::sync::OnceLock;

    use super::*;
    use crate::query::{Basis, Candidate, Limits};
    use crate::{Profile, RoadGraph, read_ways};

    fn buahbatu() -> &'static RoadGraph {
        static GRAPH: OnceLock<RoadGraph> = OnceLock::new();
        GRAPH.get_or_init(|| {
            let dir = match std::env::var_os("SIAGA_GEODATA_DIR") {
                Some(d) => PathBuf::from(d),
                None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/geodata"),
            };
            let ways = read_ways(&dir.join("roads/osm_drive_bandung_buahbatu.geojson"))
                .expect("the shared Bandung Buahbatu extract (set SIAGA_GEODATA_DIR)");
            RoadGraph::prepare(&ways, "test".into())
        })
    }

    /// xorshift64*: deterministic pairs without a dependency.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
        }
    }

    /// Random node pairs, each profile: the many-to-one answer (one backward search per target, many forward
    /// searches against it) equals `calc_path`'s weight, finds a path exactly when it does, and unpacks into
    /// consecutive road arcs from the start to the target whose times add up to that weight.
    #[test]
    fn the_mirror_agrees_with_fast_paths_calc_path_on_random_pairs_of_buahbatu() {
        let g = buahbatu();
        let mut rng = Rng(0x00c0_ffee_1234_5678);
        for p in Profile::ALL {
            let fg = g.ch(p);
            let ch = g.many[p.index()]
                .as_ref()
                .expect("the mirror reads fast_paths 1.0.0");
            let n = fg.get_num_nodes();
            assert_eq!(ch.num_nodes(), n);
            assert!(n > 10_000, "{n}");
            let mut calc = PathCalculator::new(n);
            let mut search = Search::new(n);
            let (mut found, mut none, mut arcs_seen) = (0, 0, 0);
            for _ in 0..150 {
                let t = rng.below(n);
                search.target(ch, &[(t as u32, 0)]);
                for _ in 0..20 {
                    let s = rng.below(n);
                    let reference = calc.calc_path(fg, s, t).map(|r| r.get_weight() as u64);
                    let mine = search.from(ch, &[(s as u32, 0)]);
                    assert_eq!(mine, reference, "{p:?} {s} -> {t}");
                    let Some(ms) = mine else {
                        none += 1;
                        continue;
                    };
                    found += 1;
                    let mut arcs = Vec::new();
                    let (first, last) = search.path(ch, &mut arcs).expect("a path");
                    assert_eq!((first, last), (s as u32, t as u32));
                    let mut at = s as u32;
                    let mut sum = 0u64;
                    for (u, v) in &arcs {
                        assert_eq!(*u, at, "{p:?} {s} -> {t}: arcs not consecutive");
                        let arc = g.fwd[p.index()].of(*u).iter().filter(|a| a.to == *v);
                        sum += arc.map(|a| a.ms as u64).min().expect("a road arc");
                        at = *v;
                    }
                    assert_eq!(at, t as u32);
                    assert_eq!(sum, ms, "{p:?} {s} -> {t}: unpacked arcs");
                    arcs_seen += arcs.len();
                }
            }
            // Not vacuous: both answers occur (a third of random pairs meet a one-way stub or an island cut
            // off at the extract's edge), and paths are long.
            assert!(
                found > 1500 && none > 0,
                "{p:?}: {found} found, {none} none"
            );
            assert!(arcs_seen > found * 20, "{p:?}: {arcs_seen} arcs");
        }
    }

    /// Snapped points, with several entry/exit nodes and initial weights, mixed profiles, points on the
    /// target's own segment (driving along it) and points off every road: `etas_to` gives the same answers as
    /// one `fast_paths` query per candidate (`rank_pairwise`), and the same route lengths as `route`.
    #[test]
    fn etas_to_agrees_with_one_fast_paths_query_per_candidate() {
        let g = buahbatu();
        let mut rng = Rng(0x5eed_0000_beef);
        let limits = Limits::default();
        let nodes = g.nodes();
        let segs = g.segments();
        let lerp =
            |a: [f64; 2], b: [f64; 2], t: f64| [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
        let jitter = |rng: &mut Rng, c: [f64; 2]| {
            let d = |rng: &mut Rng| (rng.below(2001) as f64 - 1000.0) * 2e-7;
            [c[0] + d(rng), c[1] + d(rng)]
        };
        let mut router = g.router();
        let (mut road, mut along, mut fallbacks) = (0, 0, 0);
        for _ in 0..60 {
            let seg = &segs[rng.below(segs.len())];
            let (a, b) = (nodes[seg.a as usize], nodes[seg.b as usize]);
            let target = lerp(a, b, 0.35);
            let mut cands: Vec<Candidate> = Vec::new();
            for k in 0..100 {
                let position = match k {
                    0 => lerp(a, b, 0.8),
                    1 => lerp(a, b, 0.1),
                    2 => [target[0] + 0.05, target[1]],
                    _ => {
                        let at = nodes[rng.below(nodes.len())];
                        jitter(&mut rng, at)
                    }
                };
                let profile = if k % 3 == 0 {
                    Profile::Motorbike
                } else {
                    Profile::Car
                };
                cands.push(Candidate {
                    position,
                    profile,
                    limits,
                });
            }
            let mine = router.etas_to(target, &cands, true);
            for (k, c) in cands.iter().enumerate() {
                let one = [(c.position, c.profile)];
                let reference = router.rank_pairwise(target, &one, &limits)[0].1;
                let m = mine[k];
                assert_eq!(
                    (
                        m.basis,
                        m.fallback,
                        m.travel_time_s,
                        m.start_snap_m,
                        m.end_snap_m
                    ),
                    (
                        reference.basis,
                        reference.fallback,
                        reference.travel_time_s,
                        reference.start_snap_m,
                        reference.end_snap_m
                    ),
                    "candidate {k}"
                );
                if m.basis != Basis::Road {
                    fallbacks += 1;
                    assert_eq!(m.route_m, reference.route_m);
                    continue;
                }
                road += 1;
                let (start, end) = (
                    g.snap(c.profile, c.position, limits.snap_max_m).unwrap(),
                    g.snap(c.profile, target, limits.snap_max_m).unwrap(),
                );
                along += usize::from(start.segment == end.segment);
                let route = router.route(c.profile, &start, &end).unwrap();
                assert!(
                    (route.route_m - m.route_m).abs() < 1e-6 * route.route_m.max(1.0),
                    "candidate {k}: {} m by route, {} m by etas_to",
                    route.route_m,
                    m.route_m
                );
            }
        }
        assert!(
            road > 4000 && along >= 60 && fallbacks >= 60,
            "{road} {along} {fallbacks}"
        );
    }
}
