//! Queries on a prepared graph: snapping, routes with turn lists, drive-time ranking with straight-line
//! fallback, a plain Dijkstra for comparison, and isochrones.
//!
//! Point-to-point travel times use the contraction hierarchy (fast_paths' bidirectional CH search, which takes
//! several weighted sources and targets: a snapped point lies inside a segment, so it is entered or left at
//! either end with the partial segment's time as the initial weight). Ranking many units to one incident uses
//! the many-to-one search of `many.rs` over the same hierarchy: one backward search from the incident, then a
//! short pruned forward search per unit, with the same weighted entries and exits.
//!
//! Isochrones use a plain Dijkstra over the un-contracted graph bounded by the time limit: a CH answers
//! point-to-point questions, while an isochrone needs every node within the limit, which a bounded Dijkstra
//! settles exactly once each (cost proportional to the area reached, not to the graph).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use fast_paths::PathCalculator;
use geo::{ConcaveHull, MultiPoint, Point, Polygon};
use serde::Serialize;

use crate::graph::RoadGraph;
use crate::many::{Buffers, Search};
use crate::profile::Profile;

/// Strongly connected components with fewer nodes are islands that [`RoadGraph::snap`] avoids when a larger one is in reach.
pub const SMALL_COMPONENT: u32 = 50;

/// A point placed on the nearest segment a profile may use.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Snap {
    /// The segment index.
    pub segment: u32,
    /// Position along the segment from its node `a` (0) to `b` (1).
    pub t: f64,
    /// The snapped point (lon, lat).
    pub point: [f64; 2],
    /// Distance from the asked point to the snapped point, in metres.
    pub distance_m: f64,
}

/// What a turn does, relative to the street before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Maneuver {
    Depart,
    Straight,
    SlightLeft,
    SlightRight,
    Left,
    Right,
    SharpLeft,
    SharpRight,
    UTurn,
    Arrive,
}

/// One line of a turn list: how to enter a street, and how far to drive on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Turn {
    pub maneuver: Maneuver,
    /// The street's name or ref, `""` when unnamed.
    pub street: String,
    /// Metres driven on it before the next turn (0 for `arrive`).
    pub distance_m: f64,
}

/// One whole segment a route drives, in the direction driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Leg {
    pub from: u32,
    pub to: u32,
    pub segment: u32,
}

/// A route between two snapped points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Route {
    pub travel_time_s: f64,
    pub route_m: f64,
    /// From the start's snapped point to the end's, lon/lat.
    pub geometry: Vec<[f64; 2]>,
    pub turns: Vec<Turn>,
    /// The whole segments between the partial first and last ones.
    pub legs: Vec<Leg>,
}

/// A snap within this many metres of a segment's end stands on that end's node (GPS and geocoded points are
/// never better than this; a node shared by several segments is snapped to any one of them).
const AT_NODE_M: f64 = 0.5;

/// Which estimate an [`Eta`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Road,
    StraightLine,
}

/// Why an [`Eta`] fell back to the straight line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// No road graph is loaded.
    NoGraph,
    /// The start is farther than the snap limit from any road the vehicle may use.
    StartOffRoad,
    /// The destination is.
    EndOffRoad,
    /// Both snapped, but no road leads from one to the other (another island, a one-way trap, a gap in the
    /// extract).
    NoPath,
}

/// A travel estimate, by road or by the explained straight-line fallback.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Eta {
    pub basis: Basis,
    pub travel_time_s: f64,
    pub route_m: f64,
    /// Snap distances of start and end, in metres, when snapped.
    pub start_snap_m: Option<f64>,
    pub end_snap_m: Option<f64>,
    pub fallback: Option<Fallback>,
}

/// The limits of a query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// A point farther than this from every usable road is off the graph.
    pub snap_max_m: f64,
    /// The straight-line fallback's speed, km/h.
    pub straight_line_kmh: f64,
    /// The straight-line fallback's detour (circuity) factor: the great-circle distance times this is the
    /// estimated route length, and that length at `straight_line_kmh` the travel time. See
    /// [`STRAIGHT_LINE_DETOUR`].
    pub straight_line_detour: f64,
}

/// The default detour factor of a straight-line estimate. Road distance over great-circle distance
/// ("circuity") is typically 1.2–1.4 in urban road networks (Ballou, Rahardja & Sakai 2002, "Selected country
/// circuity factors for road travel distance estimation"; Boscoe, Henry & Zdeb 2012, "A nationwide comparison
/// of driving distance versus straight-line distance", mean 1.42 for short trips; Giacomin & Levinson 2015),
/// and worse where rivers with few bridges, toll roads with few exits and one-way systems force detours, as in
/// Indonesian cities. Without it a straight-line guess is optimistic and a unit off the graph ranks above units
/// whose real road ETA is shorter than its own real one; with it, mixed lists compare like with like.
pub const STRAIGHT_LINE_DETOUR: f64 = 1.4;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            snap_max_m: 500.0,
            straight_line_kmh: 40.0,
            straight_line_detour: STRAIGHT_LINE_DETOUR,
        }
    }
}

/// One candidate of [`Router::etas_to`]: its position (lon, lat), the profile it drives, and its limits (snap
/// distance, straight-line fallback).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub position: [f64; 2],
    pub profile: Profile,
    pub limits: Limits,
}

/// The straight-line estimate between two points: the great-circle distance times the detour factor, at the
/// straight-line speed.
pub fn straight_line(
    from: [f64; 2],
    to: [f64; 2],
    limits: &Limits,
    fallback: Option<Fallback>,
) -> Eta {
    let m = siaga_spatial::convert::haversine_m(from[0], from[1], to[0], to[1])
        * limits.straight_line_detour;
    Eta {
        basis: Basis::StraightLine,
        travel_time_s: m / (limits.straight_line_kmh / 3.6),
        route_m: m,
        start_snap_m: None,
        end_snap_m: None,
        fallback,
    }
}

impl RoadGraph {
    /// The nearest point on a segment `profile` may use, within `max_m` metres of `lonlat`. A segment that
    /// leads only into a small strongly connected component (fewer than [`SMALL_COMPONENT`] nodes: a one-way
    /// stub where the extract was cut, a fragment, a car park) is taken only when no segment of a larger one is
    /// within reach, so a point beside a main road is not stranded where no route leads in or out.
    pub fn snap(&self, profile: Profile, lonlat: [f64; 2], max_m: f64) -> Option<Snap> {
        let q = self.project(lonlat);
        let max2 = max_m * max_m;
        let size = &self.scc_size[profile.index()];
        let mut fallback = None;
        for (line, d2) in self.index.nearest_neighbor_iter_with_distance_2(&q) {
            if d2 > max2 {
                break;
            }
            let seg = &self.segments()[line.data as usize];
            if !seg.allowed[profile.index()].any() {
                continue;
            }
            // Both ends in a large strongly connected component: the point can be left and reached.
            let small =
                size[seg.a as usize] < SMALL_COMPONENT || size[seg.b as usize] < SMALL_COMPONENT;
            if small && fallback.is_some() {
                continue;
            }
            let [a, b] = [line.geom().from, line.geom().to];
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let p = [a[0] + t * dx, a[1] + t * dy];
            let snap = Snap {
                segment: line.data,
                t,
                point: self.unproject(p),
                distance_m: d2.sqrt(),
            };
            if !small {
                return Some(snap);
            }
            fallback = Some(snap);
        }
        fallback
    }

    /// A [`Router`] for this graph (one per thread or request). Cheap: its CH query buffers come from the
    /// graph's pool on first use and go back to it when the router is dropped.
    pub fn router(&self) -> Router<'_> {
        Router {
            g: self,
            bufs: None,
            dist: Vec::new(),
            touched: Vec::new(),
        }
    }

    /// Where a snapped start enters the node graph: (node, ms to reach it).
    fn exits(&self, p: Profile, s: &Snap) -> Vec<(u32, u64)> {
        let seg = &self.segments()[s.segment as usize];
        let al = seg.allowed[p.index()];
        let (at_a, at_b) = self.at_ends(s);
        let mut v = Vec::with_capacity(2);
        if al.forward_ms > 0 {
            v.push((seg.b, ((1.0 - s.t) * al.forward_ms as f64).round() as u64));
        } else if at_b {
            v.push((seg.b, 0));
        }
        if al.backward_ms > 0 {
            v.push((seg.a, (s.t * al.backward_ms as f64).round() as u64));
        } else if at_a {
            v.push((seg.a, 0));
        }
        v
    }

    /// Whether a snap stands on its segment's node `a`, node `b` (within [`AT_NODE_M`]). A point on a node
    /// leaves and reaches it at no cost whichever way the segment may be driven: standing at the corner where a
    /// one-way street starts is not being on it against its direction.
    fn at_ends(&self, s: &Snap) -> (bool, bool) {
        let len = self.seg_len(s.segment);
        (s.t * len <= AT_NODE_M, (1.0 - s.t) * len <= AT_NODE_M)
    }

    /// Where a snapped end is reached from the node graph: (node, ms from it).
    fn entries(&self, p: Profile, s: &Snap) -> Vec<(u32, u64)> {
        let seg = &self.segments()[s.segment as usize];
        let al = seg.allowed[p.index()];
        let (at_a, at_b) = self.at_ends(s);
        let mut v = Vec::with_capacity(2);
        if al.forward_ms > 0 {
            v.push((seg.a, (s.t * al.forward_ms as f64).round() as u64));
        } else if at_a {
            v.push((seg.a, 0));
        }
        if al.backward_ms > 0 {
            v.push((seg.b, ((1.0 - s.t) * al.backward_ms as f64).round() as u64));
        } else if at_b {
            v.push((seg.b, 0));
        }
        v
    }

    /// Driving along one segment from `from` to `to` without leaving it, in ms, when allowed.
    fn along(&self, p: Profile, from: &Snap, to: &Snap) -> Option<u64> {
        if from.segment != to.segment {
            return None;
        }
        let al = self.segments()[from.segment as usize].allowed[p.index()];
        if to.t >= from.t && al.forward_ms > 0 {
            Some(((to.t - from.t) * al.forward_ms as f64).round() as u64)
        } else if to.t <= from.t && al.backward_ms > 0 {
            Some(((from.t - to.t) * al.backward_ms as f64).round() as u64)
        } else {
            None
        }
    }

    fn point_on(&self, s: &Snap) -> [f64; 2] {
        s.point
    }

    fn seg_len(&self, segment: u32) -> f64 {
        self.segments()[segment as usize].length_m as f64
    }
}

/// Per-thread query state: CH query buffers (taken from the graph's pool) and Dijkstra buffers.
pub struct Router<'g> {
    g: &'g RoadGraph,
    bufs: Option<Buffers>,
    dist: Vec<u64>,
    touched: Vec<u32>,
}

impl Drop for Router<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.bufs.take() {
            self.g.pool.give(b);
        }
    }
}

impl<'g> Router<'g> {
    /// The graph.
    pub fn graph(&self) -> &'g RoadGraph {
        self.g
    }

    /// The fast_paths path calculator of profile `p`, made at the graph's size on first use.
    fn calc(&mut self, p: Profile) -> &mut PathCalculator {
        let g = self.g;
        let n = g.ch(p).get_num_nodes();
        self.bufs.get_or_insert_with(|| g.pool.take()).calcs[p.index()]
            .get_or_insert_with(|| PathCalculator::new(n))
    }

    fn ch_query(
        &mut self,
        p: Profile,
        from: &Snap,
        to: &Snap,
    ) -> Option<(u64, Option<fast_paths::ShortestPath>)> {
        let g = self.g;
        let ch = g.ch(p);
        let n = ch.get_num_nodes();
        let direct = g.along(p, from, to);
        let comp = &g.component[p.index()];
        let (fs, ts) = (
            &g.segments()[from.segment as usize],
            &g.segments()[to.segment as usize],
        );
        if comp[fs.a as usize] != comp[ts.a as usize] {
            return None;
        }
        let starts: Vec<(usize, usize)> = g
            .exits(p, from)
            .into_iter()
            .filter(|(node, _)| (*node as usize) < n)
            .map(|(node, w)| (node as usize, w as usize))
            .collect();
        let ends: Vec<(usize, usize)> = g
            .entries(p, to)
            .into_iter()
            .filter(|(node, _)| (*node as usize) < n)
            .map(|(node, w)| (node as usize, w as usize))
            .collect();
        let via = if starts.is_empty() || ends.is_empty() {
            None
        } else {
            self.calc(p)
                .calc_path_multiple_sources_and_targets(ch, starts, ends)
        };
        match (direct, via) {
            (Some(d), Some(v)) if (v.get_weight() as u64) < d => {
                Some((v.get_weight() as u64, Some(v)))
            }
            (Some(d), _) => Some((d, None)),
            (None, Some(v)) => Some((v.get_weight() as u64, Some(v))),
            (None, None) => None,
        }
    }

    /// The fastest of several snapped starts to `to`, by one CH query with all of them as sources: (index into
    /// `starts`, seconds). Cheaper than ranking when only the best is needed.
    pub fn fastest_of(&mut self, p: Profile, starts: &[Snap], to: &Snap) -> Option<(usize, f64)> {
        let g = self.g;
        let ch = g.ch(p);
        let n = ch.get_num_nodes();
        let mut sources = Vec::new();
        let mut owner = std::collections::HashMap::new();
        for (i, s) in starts.iter().enumerate() {
            for (node, w) in g.exits(p, s) {
                if (node as usize) < n {
                    sources.push((node as usize, w as usize));
                    let e = owner.entry(node).or_insert((i, w));
                    if w < e.1 {
                        *e = (i, w);
                    }
                }
            }
        }
        let ends: Vec<(usize, usize)> = g
            .entries(p, to)
            .into_iter()
            .filter(|(node, _)| (*node as usize) < n)
            .map(|(node, w)| (node as usize, w as usize))
            .collect();
        if sources.is_empty() || ends.is_empty() {
            return None;
        }
        let path = self
            .calc(p)
            .calc_path_multiple_sources_and_targets(ch, sources, ends)?;
        let (i, _) = owner.get(&(path.get_source() as u32))?;
        Some((*i, path.get_weight() as f64 / 1000.0))
    }

    /// Travel time in seconds from one snapped point to another, by the contraction hierarchy.
    pub fn travel_time_s(&mut self, p: Profile, from: &Snap, to: &Snap) -> Option<f64> {
        self.ch_query(p, from, to).map(|(ms, _)| ms as f64 / 1000.0)
    }

    /// The route from one snapped point to another, with geometry and turn list.
    pub fn route(&mut self, p: Profile, from: &Snap, to: &Snap) -> Option<Route> {
        let g = self.g;
        let (ms, path) = self.ch_query(p, from, to)?;
        // Pieces: (segment, metres, from point, to point).
        let mut pieces: Vec<(u32, f64, [f64; 2], [f64; 2])> = Vec::new();
        let mut legs = Vec::new();
        match path {
            None => {
                let len = (to.t - from.t).abs() * g.seg_len(from.segment);
                pieces.push((from.segment, len, g.point_on(from), g.point_on(to)));
            }
            Some(path) => {
                let nodes = path.get_nodes();
                let first = nodes.first().copied().unwrap_or(path.get_source()) as u32;
                let last = nodes.last().copied().unwrap_or(path.get_target()) as u32;
                let fs = &g.segments()[from.segment as usize];
                let start_len =
                    if first == fs.b { 1.0 - from.t } else { from.t } * g.seg_len(from.segment);
                pieces.push((
                    from.segment,
                    start_len,
                    from.point,
                    g.nodes()[first as usize],
                ));
                for w in nodes.windows(2) {
                    let (u, v) = (w[0] as u32, w[1] as u32);
                    let arc = self.g.fwd[p.index()]
                        .of(u)
                        .iter()
                        .filter(|a| a.to == v)
                        .min_by_key(|a| a.ms)
                        .copied()?;
                    legs.push(Leg {
                        from: u,
                        to: v,
                        segment: arc.segment,
                    });
                    pieces.push((
                        arc.segment,
                        g.seg_len(arc.segment),
                        g.nodes()[u as usize],
                        g.nodes()[v as usize],
                    ));
                }
                let ts = &g.segments()[to.segment as usize];
                let end_len = if last == ts.a { to.t } else { 1.0 - to.t } * g.seg_len(to.segment);
                pieces.push((to.segment, end_len, g.nodes()[last as usize], to.point));
            }
        }
        let mut geometry = vec![from.point];
        for (_, _, _, b) in &pieces {
            if geometry.last() != Some(b) {
                geometry.push(*b);
            }
        }
        if geometry.len() == 1 {
            geometry.push(to.point);
        }
        let route_m: f64 = pieces.iter().map(|p| p.1).sum();
        Some(Route {
            travel_time_s: ms as f64 / 1000.0,
            route_m,
            geometry,
            turns: self.turns(&pieces),
            legs,
        })
    }

    fn turns(&self, pieces: &[(u32, f64, [f64; 2], [f64; 2])]) -> Vec<Turn> {
        let g = self.g;
        let bearing = |a: [f64; 2], b: [f64; 2]| {
            let (pa, pb) = (g.project(a), g.project(b));
            (pb[1] - pa[1]).atan2(pb[0] - pa[0]).to_degrees()
        };
        let mut turns: Vec<Turn> = Vec::new();
        let mut last_heading: Option<f64> = None;
        for (seg, len, a, b) in pieces {
            let name = g.segments()[*seg as usize].name;
            let street = g.name(name).to_owned();
            let heading = (a != b).then(|| bearing(*a, *b));
            match turns.last_mut() {
                Some(t) if t.street == street => t.distance_m += len,
                _ => {
                    let maneuver = match (last_heading, heading) {
                        (None, _) => Maneuver::Depart,
                        (Some(h0), Some(h1)) => {
                            // Counter-clockwise degrees in the projected plane: positive is a left turn.
                            let d = (h1 - h0 + 540.0).rem_euclid(360.0) - 180.0;
                            match d {
                                d if d.abs() < 20.0 => Maneuver::Straight,
                                d if d.abs() > 170.0 => Maneuver::UTurn,
                                d if (20.0..60.0).contains(&d) => Maneuver::SlightLeft,
                                d if (-60.0..=-20.0).contains(&d) => Maneuver::SlightRight,
                                d if (60.0..130.0).contains(&d) => Maneuver::Left,
                                d if (-130.0..=-60.0).contains(&d) => Maneuver::Right,
                                d if d > 0.0 => Maneuver::SharpLeft,
                                _ => Maneuver::SharpRight,
                            }
                        }
                        (Some(_), None) => Maneuver::Straight,
                    };
                    turns.push(Turn {
                        maneuver,
                        street,
                        distance_m: *len,
                    });
                }
            }
            if heading.is_some() {
                last_heading = heading;
            }
        }
        let street = turns.last().map(|t| t.street.clone()).unwrap_or_default();
        turns.push(Turn {
            maneuver: Maneuver::Arrive,
            street,
            distance_m: 0.0,
        });
        turns
    }

    /// The estimate from `from` to `to` for `profile`: by road when both snap within the limit and a road
    /// connects them, else the straight line with the reason.
    pub fn eta(&mut self, p: Profile, from: [f64; 2], to: [f64; 2], limits: &Limits) -> Eta {
        self.eta_with_route(p, from, to, limits).0
    }

    /// [`Router::eta`] with the road route it was computed from (its geometry and turns), in one query: none
    /// when the estimate is the straight line.
    pub fn eta_with_route(
        &mut self,
        p: Profile,
        from: [f64; 2],
        to: [f64; 2],
        limits: &Limits,
    ) -> (Eta, Option<Route>) {
        let g = self.g;
        let Some(start) = g.snap(p, from, limits.snap_max_m) else {
            return (
                straight_line(from, to, limits, Some(Fallback::StartOffRoad)),
                None,
            );
        };
        let Some(end) = g.snap(p, to, limits.snap_max_m) else {
            let mut e = straight_line(from, to, limits, Some(Fallback::EndOffRoad));
            e.start_snap_m = Some(start.distance_m);
            return (e, None);
        };
        match self.route(p, &start, &end) {
            Some(r) => (
                Eta {
                    basis: Basis::Road,
                    travel_time_s: r.travel_time_s,
                    route_m: r.route_m,
                    start_snap_m: Some(start.distance_m),
                    end_snap_m: Some(end.distance_m),
                    fallback: None,
                },
                Some(r),
            ),
            None => {
                let mut e = straight_line(from, to, limits, Some(Fallback::NoPath));
                e.start_snap_m = Some(start.distance_m);
                e.end_snap_m = Some(end.distance_m);
                (e, None)
            }
        }
    }

    /// The estimate from each candidate to `target`, in the candidates' order: by road when both snap within
    /// the candidate's limit and a road connects them, else the straight line with the reason (the same
    /// answers as [`Router::eta`] per candidate). The target is snapped once per profile and snap limit, and
    /// its backward CH search runs once for all candidates; each candidate then costs its snap and one forward
    /// upward search pruned by the best meeting found (see `many.rs`). With `route_m` each road path is unpacked
    /// and measured; without, a road estimate's `route_m` is NaN.
    pub fn etas_to(
        &mut self,
        target: [f64; 2],
        candidates: &[Candidate],
        route_m: bool,
    ) -> Vec<Eta> {
        let g = self.g;
        let mut out: Vec<Option<Eta>> = vec![None; candidates.len()];
        let key = |i: &usize| {
            let c = &candidates[*i];
            (c.profile.index(), c.limits.snap_max_m.to_bits())
        };
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by_key(key);
        for group in order.chunk_by(|a, b| key(a) == key(b)) {
            let (p, snap_max_m) = (
                candidates[group[0]].profile,
                candidates[group[0]].limits.snap_max_m,
            );
            let end = g.snap(p, target, snap_max_m);
            // Whether the backward search from `end` is loaded (once per group, on first need).
            let mut loaded = false;
            for &i in group {
                let c = &candidates[i];
                let limits = &c.limits;
                let eta = match (&end, g.snap(p, c.position, snap_max_m)) {
                    (_, None) => {
                        straight_line(c.position, target, limits, Some(Fallback::StartOffRoad))
                    }
                    (None, Some(s)) => {
                        let mut e =
                            straight_line(c.position, target, limits, Some(Fallback::EndOffRoad));
                        e.start_snap_m = Some(s.distance_m);
                        e
                    }
                    (Some(end), Some(start)) => {
                        match self.many_to_one(p, &start, end, &mut loaded, route_m) {
                            Some((ms, m)) => Eta {
                                basis: Basis::Road,
                                travel_time_s: ms as f64 / 1000.0,
                                route_m: m,
                                start_snap_m: Some(start.distance_m),
                                end_snap_m: Some(end.distance_m),
                                fallback: None,
                            },
                            None => {
                                let mut e = straight_line(
                                    c.position,
                                    target,
                                    limits,
                                    Some(Fallback::NoPath),
                                );
                                e.start_snap_m = Some(start.distance_m);
                                e.end_snap_m = Some(end.distance_m);
                                e
                            }
                        }
                    }
                };
                out[i] = Some(eta);
            }
        }
        out.into_iter().flatten().collect()
    }

    /// One candidate of [`Router::etas_to`]: (ms, metres or NaN) from `from` to `to`, or `None` without a
    /// road. `loaded` says whether this profile's search already holds `to`'s backward search.
    fn many_to_one(
        &mut self,
        p: Profile,
        from: &Snap,
        to: &Snap,
        loaded: &mut bool,
        route_m: bool,
    ) -> Option<(u64, f64)> {
        let g = self.g;
        let Some(ch) = g.many[p.index()].as_ref() else {
            // No many-to-one index for this hierarchy: one fast_paths query.
            if route_m {
                let r = self.route(p, from, to)?;
                return Some(((r.travel_time_s * 1000.0).round() as u64, r.route_m));
            }
            return self.ch_query(p, from, to).map(|(ms, _)| (ms, f64::NAN));
        };
        let n = ch.num_nodes();
        let comp = &g.component[p.index()];
        let (fs, ts) = (
            &g.segments()[from.segment as usize],
            &g.segments()[to.segment as usize],
        );
        if comp[fs.a as usize] != comp[ts.a as usize] {
            return None;
        }
        let direct = g.along(p, from, to);
        let starts: Vec<(u32, u64)> = g
            .exits(p, from)
            .into_iter()
            .filter(|(node, _)| (*node as usize) < n)
            .collect();
        let via = if starts.is_empty() {
            None
        } else {
            let search = self.bufs.get_or_insert_with(|| g.pool.take()).search[p.index()]
                .get_or_insert_with(|| Search::new(n));
            if !*loaded {
                let ends: Vec<(u32, u64)> = g
                    .entries(p, to)
                    .into_iter()
                    .filter(|(node, _)| (*node as usize) < n)
                    .collect();
                search.target(ch, &ends);
                *loaded = true;
            }
            search.from(ch, &starts)
        };
        let by_path = |v: u64, r: &Self| {
            (
                v,
                if route_m {
                    r.path_m(p, from, to)
                } else {
                    f64::NAN
                },
            )
        };
        match (direct, via) {
            (Some(d), Some(v)) if v < d => Some(by_path(v, self)),
            (Some(d), _) => {
                let m = (to.t - from.t).abs() * g.seg_len(from.segment);
                Some((d, if route_m { m } else { f64::NAN }))
            }
            (None, Some(v)) => Some(by_path(v, self)),
            (None, None) => None,
        }
    }

    /// The length in metres of the path the last many-to-one forward search of `p` found from `from` to `to`.
    fn path_m(&self, p: Profile, from: &Snap, to: &Snap) -> f64 {
        let g = self.g;
        let (Some(ch), Some(search)) = (
            g.many[p.index()].as_ref(),
            self.bufs
                .as_ref()
                .and_then(|b| b.search[p.index()].as_ref()),
        ) else {
            return f64::NAN;
        };
        let mut arcs = Vec::new();
        let Some((first, last)) = search.path(ch, &mut arcs) else {
            return f64::NAN;
        };
        let fs = &g.segments()[from.segment as usize];
        let start = if first == fs.b { 1.0 - from.t } else { from.t } * g.seg_len(from.segment);
        let ts = &g.segments()[to.segment as usize];
        let end = if last == ts.a { to.t } else { 1.0 - to.t } * g.seg_len(to.segment);
        let middle: f64 = arcs
            .iter()
            .map(|&(u, v)| {
                g.fwd[p.index()]
                    .of(u)
                    .iter()
                    .filter(|a| a.to == v)
                    .min_by_key(|a| a.ms)
                    .map_or(f64::NAN, |a| g.seg_len(a.segment))
            })
            .sum();
        start + middle + end
    }

    /// Ranks candidates (position, profile) by their travel time to `target`, fastest first; returns
    /// (candidate index, estimate) with `route_m` NaN for road estimates. One many-to-one CH query
    /// ([`Router::etas_to`]).
    pub fn rank(
        &mut self,
        target: [f64; 2],
        candidates: &[([f64; 2], Profile)],
        limits: &Limits,
    ) -> Vec<(usize, Eta)> {
        let cands: Vec<Candidate> = candidates
            .iter()
            .map(|&(position, profile)| Candidate {
                position,
                profile,
                limits: *limits,
            })
            .collect();
        let mut out: Vec<(usize, Eta)> = self
            .etas_to(target, &cands, false)
            .into_iter()
            .enumerate()
            .collect();
        out.sort_by(|a, b| a.1.travel_time_s.total_cmp(&b.1.travel_time_s));
        out
    }

    /// [`Router::rank`] by one fast_paths bidirectional query per candidate: the reference the many-to-one
    /// query is tested against, and the benchmark's baseline.
    pub fn rank_pairwise(
        &mut self,
        target: [f64; 2],
        candidates: &[([f64; 2], Profile)],
        limits: &Limits,
    ) -> Vec<(usize, Eta)> {
        let g = self.g;
        let ends = Profile::ALL.map(|p| g.snap(p, target, limits.snap_max_m));
        let mut out: Vec<(usize, Eta)> = candidates
            .iter()
            .enumerate()
            .map(|(i, (pos, p))| {
                let eta = match (&ends[p.index()], g.snap(*p, *pos, limits.snap_max_m)) {
                    (_, None) => straight_line(*pos, target, limits, Some(Fallback::StartOffRoad)),
                    (None, Some(s)) => {
                        let mut e = straight_line(*pos, target, limits, Some(Fallback::EndOffRoad));
                        e.start_snap_m = Some(s.distance_m);
                        e
                    }
                    (Some(end), Some(start)) => match self.ch_query(*p, &start, end) {
                        Some((ms, _)) => Eta {
                            basis: Basis::Road,
                            travel_time_s: ms as f64 / 1000.0,
                            route_m: f64::NAN,
                            start_snap_m: Some(start.distance_m),
                            end_snap_m: Some(end.distance_m),
                            fallback: None,
                        },
                        None => {
                            let mut e = straight_line(*pos, target, limits, Some(Fallback::NoPath));
                            e.start_snap_m = Some(start.distance_m);
                            e.end_snap_m = Some(end.distance_m);
                            e
                        }
                    },
                };
                (i, eta)
            })
            .collect();
        out.sort_by(|a, b| a.1.travel_time_s.total_cmp(&b.1.travel_time_s));
        out
    }

    fn reset_dist(&mut self) {
        let n = self.g.nodes().len();
        if self.dist.len() != n {
            self.dist = vec![u64::MAX; n];
            self.touched.clear();
        }
        for &t in &self.touched {
            self.dist[t as usize] = u64::MAX;
        }
        self.touched.clear();
    }

    /// Plain Dijkstra (no hierarchy), from `seeds` over the forward (or, `reverse`, the backward) arcs, settling
    /// nodes until `stop` says so or the heap passes `limit_ms`. Leaves the distances in `self.dist`.
    fn dijkstra(
        &mut self,
        p: Profile,
        seeds: &[(u32, u64)],
        reverse: bool,
        limit_ms: u64,
        mut stop: impl FnMut(u32) -> bool,
    ) {
        self.reset_dist();
        let csr = if reverse {
            &self.g.bwd[p.index()]
        } else {
            &self.g.fwd[p.index()]
        };
        let mut heap = BinaryHeap::new();
        for &(n, w) in seeds {
            if w < self.dist[n as usize] {
                if self.dist[n as usize] == u64::MAX {
                    self.touched.push(n);
                }
                self.dist[n as usize] = w;
                heap.push(Reverse((w, n)));
            }
        }
        while let Some(Reverse((d, n))) = heap.pop() {
            if d > self.dist[n as usize] {
                continue;
            }
            if d > limit_ms || stop(n) {
                break;
            }
            for arc in csr.of(n) {
                let nd = d + arc.ms as u64;
                let slot = &mut self.dist[arc.to as usize];
                if nd < *slot {
                    if *slot == u64::MAX {
                        self.touched.push(arc.to);
                    }
                    *slot = nd;
                    heap.push(Reverse((nd, arc.to)));
                }
            }
        }
    }

    /// Travel times in seconds from each snapped source to `target` by one plain reverse Dijkstra from the
    /// target, stopped once every source's entry nodes are settled: the comparison for the CH ranking.
    pub fn dijkstra_to(&mut self, p: Profile, target: &Snap, sources: &[Snap]) -> Vec<Option<f64>> {
        let g = self.g;
        let seeds = g.entries(p, target);
        let mut pending: std::collections::HashSet<u32> = sources
            .iter()
            .flat_map(|s| g.exits(p, s).into_iter().map(|(n, _)| n))
            .collect();
        self.dijkstra(p, &seeds, true, u64::MAX, |n| {
            pending.remove(&n);
            pending.is_empty()
        });
        sources
            .iter()
            .map(|s| {
                let via = g
                    .exits(p, s)
                    .into_iter()
                    .filter(|(n, _)| self.dist[*n as usize] != u64::MAX)
                    .map(|(n, w)| w + self.dist[n as usize])
                    .min();
                let best = match (via, g.along(p, s, target)) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                best.map(|ms| ms as f64 / 1000.0)
            })
            .collect()
    }

    /// The area reachable from any of `sources` within `limit_s` seconds, with its concave hull.
    pub fn isochrone(
        &mut self,
        p: Profile,
        sources: &[Snap],
        limit_s: f64,
        h3_resolution: h3o::Resolution,
    ) -> Isochrone {
        let points = self.reached_points(p, sources, limit_s);
        let reached_nodes = points.len() - sources.len();
        let cells = cells_of(&points, h3_resolution);
        let hull = (points.len() >= 3).then(|| MultiPoint(points).concave_hull());
        Isochrone {
            reached_nodes,
            cells,
            hull,
        }
    }

    /// The H3 cells of [`Router::isochrone`] alone, without its concave hull (which costs most of the time on
    /// a large area and which a caller counting cells does not draw).
    pub fn isochrone_cells(
        &mut self,
        p: Profile,
        sources: &[Snap],
        limit_s: f64,
        h3_resolution: h3o::Resolution,
    ) -> Vec<h3o::CellIndex> {
        let points = self.reached_points(p, sources, limit_s);
        cells_of(&points, h3_resolution)
    }

    /// The graph nodes reached from `sources` within `limit_s` seconds, then the sources' snapped points.
    fn reached_points(&mut self, p: Profile, sources: &[Snap], limit_s: f64) -> Vec<Point<f64>> {
        let g = self.g;
        let limit_ms = (limit_s * 1000.0) as u64;
        let seeds: Vec<(u32, u64)> = sources.iter().flat_map(|s| g.exits(p, s)).collect();
        self.dijkstra(p, &seeds, false, limit_ms, |_| false);
        let mut points: Vec<Point<f64>> = self
            .touched
            .iter()
            .filter(|n| self.dist[**n as usize] <= limit_ms)
            .map(|n| {
                let c = g.nodes()[*n as usize];
                Point::new(c[0], c[1])
            })
            .collect();
        points.extend(sources.iter().map(|s| Point::new(s.point[0], s.point[1])));
        points
    }
}

/// The H3 cells holding one of `points` (lon/lat), sorted and deduplicated.
fn cells_of(points: &[Point<f64>], h3_resolution: h3o::Resolution) -> Vec<h3o::CellIndex> {
    let mut cells: Vec<h3o::CellIndex> = points
        .iter()
        .filter_map(|pt| {
            let pos = siaga_spatial::Position::from_lon_lat(pt.x(), pt.y()).ok()?;
            Some(siaga_spatial::PositionExt::to_lat_lng(pos).to_cell(h3_resolution))
        })
        .collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// The area reachable within a time limit.
#[derive(Clone, Debug)]
pub struct Isochrone {
    /// Graph nodes reached within the limit.
    pub reached_nodes: usize,
    /// The H3 cells holding a reached node (or a source), sorted.
    pub cells: Vec<h3o::CellIndex>,
    /// A concave hull of the reached nodes (lon/lat), when there are at least three.
    pub hull: Option<Polygon<f64>>,
}

/// [`Router::eta`] when a graph may be missing: without one, the straight line with [`Fallback::NoGraph`].
pub fn eta(
    router: Option<&mut Router<'_>>,
    p: Profile,
    from: [f64; 2],
    to: [f64; 2],
    limits: &Limits,
) -> Eta {
    match router {
        Some(r) => r.eta(p, from, to, limits),
        None => straight_line(from, to, limits, Some(Fallback::NoGraph)),
    }
}
