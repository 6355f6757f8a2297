//! The simulator's pure parts: the call mix, arrival times, human delays, incident content and the geometry
//! of driving. No I/O and no clock; randomness comes in as an `Rng`.

use rand::Rng;
use std::str::FromStr;
use std::time::Duration;

/// Default call mix (weights, in per cent), modelled on published Indonesian 112/110 figures: Jakarta
/// Siaga 112 logged 23 % prank calls of 637 292 calls in 2024 (BPBD DKI, March 2025); Semarang's 112 logged
/// 39 % prank and ghost calls, 18 % information and 43 % reports of 22 021 calls in 2025 (Diskominfo
/// Semarang); the national police line 110 called 80 % of its 2.18 million monthly calls junk (Jakarta Post,
/// 2013). Most calls therefore need no unit; a minority are emergencies. Change it with `--mix`.
pub const DEFAULT_MIX: &str =
    "prank=30,ghost=25,information=20,wrong_number=5,abandoned=8,emergency=12";

/// The classes a simulated call ends with (`abandoned`: the caller hangs up before anyone answers).
pub const CLASSES: [&str; 6] = [
    "emergency",
    "information",
    "prank",
    "ghost",
    "wrong_number",
    "abandoned",
];

/// Relative weights of call classes.
#[derive(Debug, Clone, PartialEq)]
pub struct CallMix {
    /// Weight per entry of [`CLASSES`].
    weights: [f64; 6],
}

impl CallMix {
    /// Share (0..=1) of calls of `class`.
    pub fn share(&self, class: &str) -> f64 {
        let total: f64 = self.weights.iter().sum();
        CLASSES
            .iter()
            .position(|c| *c == class)
            .map_or(0.0, |i| self.weights[i] / total)
    }

    /// Draws a class.
    pub fn sample(&self, rng: &mut impl Rng) -> &'static str {
        let total: f64 = self.weights.iter().sum();
        let mut x = rng.r#gen::<f64>() * total;
        for (i, w) in self.weights.iter().enumerate() {
            if x < *w {
                return CLASSES[i];
            }
            x -= w;
        }
        CLASSES[0]
    }
}

impl FromStr for CallMix {
    type Err = String;

    /// `class=weight` pairs separated by commas; classes not named weigh 0.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut weights = [0.0; 6];
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (class, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected class=weight"))?;
            let i = CLASSES
                .iter()
                .position(|c| *c == class.trim())
                .ok_or_else(|| {
                    format!(
                        "unknown call class `{class}`; known: {}",
                        CLASSES.join(", ")
                    )
                })?;
            let w: f64 = weight
                .trim()
                .parse()
                .map_err(|_| format!("`{weight}` is not a number"))?;
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!("weight of {class} must be ≥ 0"));
            }
            weights[i] = w;
        }
        if weights.iter().sum::<f64>() <= 0.0 {
            return Err("the mix needs at least one positive weight".into());
        }
        Ok(CallMix { weights })
    }
}

/// `6/min`, `2/s`, `0.5/s`, `120/h`, or a bare number (per minute), as events per second.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let (n, per_s) = match s.trim().split_once('/') {
        Some((n, "s" | "sec")) => (n, 1.0),
        Some((n, "min" | "m")) => (n, 60.0),
        Some((n, "h")) => (n, 3600.0),
        Some((_, unit)) => return Err(format!("unknown rate unit `{unit}`; use /s, /min or /h")),
        None => (s.trim(), 60.0),
    };
    let v: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{n}` is not a number"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err("a rate must be ≥ 0".into());
    }
    Ok(v / per_s)
}

/// `90s`, `10m`, `2h`, `500ms` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (n, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 90s, 10m, 2h)"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err("a duration must be ≥ 0".into());
    }
    Ok(Duration::from_secs_f64(v * scale))
}

/// Time to the next arrival of a Poisson process with `rate_per_s` (exponential inter-arrival times).
pub fn next_arrival(rate_per_s: f64, rng: &mut impl Rng) -> Duration {
    if rate_per_s <= 0.0 {
        return Duration::from_secs(3600);
    }
    // 1 - U is in (0, 1], so the logarithm is finite.
    let u: f64 = 1.0 - rng.r#gen::<f64>();
    Duration::from_secs_f64(-u.ln() / rate_per_s)
}

/// A human delay drawn uniformly from `lo_s..hi_s` seconds, divided by `speedup`.
pub fn human(rng: &mut impl Rng, lo_s: f64, hi_s: f64, speedup: f64) -> Duration {
    let s = lo_s + rng.r#gen::<f64>() * (hi_s - lo_s).max(0.0);
    Duration::from_secs_f64(s / speedup.max(1e-3))
}

/// What a call taker files for an emergency: category, priority, victims and a short description.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDraft {
    pub category: &'static str,
    pub priority: &'static str,
    pub victims: u32,
    pub condition: &'static str,
    pub description: &'static str,
}

/// Draws an incident of a plausible category (weights roughly as the Batu/Semarang reports list OPDs:
/// health first, then fire, police, disaster).
pub fn draft_incident(rng: &mut impl Rng) -> IncidentDraft {
    const TABLE: [(f64, &str, &str, u32, &str, &str); 8] = [
        (
            30.0,
            "health",
            "p2",
            1,
            "serious",
            "Warga pingsan, butuh ambulans",
        ),
        (
            22.0,
            "traffic_accident",
            "p1",
            2,
            "serious",
            "Tabrakan motor dan mobil",
        ),
        (12.0, "fire", "p1", 0, "unknown", "Kebakaran rumah warga"),
        (
            12.0,
            "crime",
            "p2",
            0,
            "unknown",
            "Laporan pencurian dengan kekerasan",
        ),
        (
            5.0,
            "natural_disaster",
            "p2",
            1,
            "minor",
            "Pohon tumbang menimpa rumah",
        ),
        (
            8.0,
            "public_order",
            "p3",
            0,
            "unknown",
            "Keributan di jalan",
        ),
        (
            5.0,
            "violence_women_children",
            "p2",
            1,
            "minor",
            "Kekerasan dalam rumah tangga",
        ),
        (6.0, "other", "p4", 0, "unknown", "Hewan liar masuk rumah"),
    ];
    let total: f64 = TABLE.iter().map(|t| t.0).sum();
    let mut x = rng.r#gen::<f64>() * total;
    let mut pick = TABLE[0];
    for t in TABLE {
        if x < t.0 {
            pick = t;
            break;
        }
        x -= t.0;
    }
    let (_, category, priority, victims, condition, description) = pick;
    // Some fires hurt someone (then health is escalated too); some accidents have no victims.
    let victims = match category {
        "fire" if rng.gen_bool(0.3) => 1,
        "traffic_accident" => rng.gen_range(0..=3),
        _ => victims,
    };
    let condition = if victims == 0 { "unknown" } else { condition };
    IncidentDraft {
        category,
        priority,
        victims,
        condition,
        description,
    }
}

/// A caller number: repeat prank callers come from a small pool so the prank flag shows up.
pub fn caller_number(class: &str, rng: &mut impl Rng) -> String {
    if class == "prank" && rng.gen_bool(0.5) {
        format!("08199900{:04}", rng.gen_range(0..40))
    } else {
        format!(
            "08{}{:09}",
            rng.gen_range(11..=99),
            rng.gen_range(0..1_000_000_000u64)
        )
    }
}

/// A point (longitude, latitude) in degrees.
pub type LonLat = (f64, f64);

/// Great-circle distance in metres.
pub fn distance_m(a: LonLat, b: LonLat) -> f64 {
    let r = 6_371_008.8;
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dla = la2 - la1;
    let dlo = (b.0 - a.0).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().min(1.0).asin()
}

/// The point a fraction `f` (0..=1) of the way from `a` to `b` on a straight line in degrees (at city
/// scale indistinguishable from the great circle).
pub fn along(a: LonLat, b: LonLat, f: f64) -> LonLat {
    let f = f.clamp(0.0, 1.0);
    (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
}

/// `to`, or the point `max_m` metres from `from` towards it when it is farther.
pub fn step_towards(from: LonLat, to: LonLat, max_m: f64) -> LonLat {
    let d = distance_m(from, to);
    if d <= max_m || d == 0.0 {
        to
    } else {
        along(from, to, max_m / d)
    }
}

/// Compass heading from `a` to `b` in degrees (0 = north, 90 = east, in `0..360`); `None` when they coincide.
pub fn heading_deg(a: LonLat, b: LonLat) -> Option<f64> {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dlo = (b.0 - a.0).to_radians();
    let y = dlo.sin() * la2.cos();
    let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dlo.cos();
    if y == 0.0 && x == 0.0 {
        return None;
    }
    let h = y.atan2(x).to_degrees().rem_euclid(360.0);
    // `rem_euclid` can round up to 360.0 itself for a tiny negative angle.
    Some(if h >= 360.0 { 0.0 } else { h })
}

/// A path a unit drives along: a polyline (a road route's GeoJSON LineString, or a two-point straight line)
/// with the distance from its start to each vertex.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    points: Vec<LonLat>,
    cum_m: Vec<f64>,
}

impl Path {
    /// A path through `points`; repeated consecutive points are dropped. `None` without a point.
    pub fn new(points: impl IntoIterator<Item = LonLat>) -> Option<Path> {
        let mut pts: Vec<LonLat> = Vec::new();
        for p in points {
            if !(p.0.is_finite() && p.1.is_finite()) {
                continue;
            }
            if pts.last() != Some(&p) {
                pts.push(p);
            }
        }
        let first = *pts.first()?;
        let mut cum_m = Vec::with_capacity(pts.len());
        let mut total = 0.0;
        let mut prev = first;
        for &p in &pts {
            total += distance_m(prev, p);
            cum_m.push(total);
            prev = p;
        }
        Some(Path { points: pts, cum_m })
    }

    /// The straight line from `a` to `b`.
    pub fn straight(a: LonLat, b: LonLat) -> Path {
        let length = distance_m(a, b);
        if a == b {
            Path {
                points: vec![a],
                cum_m: vec![0.0],
            }
        } else {
            Path {
                points: vec![a, b],
                cum_m: vec![0.0, length],
            }
        }
    }

    /// The coordinates of a GeoJSON `LineString` geometry (at least two points), or `None`.
    pub fn from_geojson(geometry: &serde_json::Value) -> Option<Path> {
        if geometry["type"] != "LineString" {
            return None;
        }
        let points = geometry["coordinates"]
            .as_array()?
            .iter()
            .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
            .collect::<Option<Vec<LonLat>>>()?;
        Path::new(points).filter(|p| p.points.len() >= 2)
    }

    /// Length in metres.
    pub fn length_m(&self) -> f64 {
        self.cum_m.last().copied().unwrap_or(0.0)
    }

    /// First point.
    pub fn start(&self) -> LonLat {
        self.points[0]
    }

    /// Last point.
    pub fn end(&self) -> LonLat {
        self.points[self.points.len() - 1]
    }

    /// The vertices.
    pub fn points(&self) -> &[LonLat] {
        &self.points
    }

    /// The same line driven the other way.
    pub fn reversed(&self) -> Path {
        let mut points = self.points.clone();
        points.reverse();
        Path::new(points).unwrap_or_else(|| self.clone())
    }

    /// The point `d_m` metres along the path (clamped to its ends) and the heading of the segment it lies
    /// on (`None` on a one-point path).
    pub fn at(&self, d_m: f64) -> (LonLat, Option<f64>) {
        let n = self.points.len();
        if n == 1 {
            return (self.points[0], None);
        }
        let d = d_m.clamp(0.0, self.length_m());
        // The segment i-1 → i that holds `d`: the first vertex at or beyond it.
        let i = self.cum_m.partition_point(|&c| c < d).clamp(1, n - 1);
        let (a, b) = (self.points[i - 1], self.points[i]);
        let seg = self.cum_m[i] - self.cum_m[i - 1];
        let f = if seg > 0.0 {
            (d - self.cum_m[i - 1]) / seg
        } else {
            1.0
        };
        (along(a, b, f), heading_deg(a, b))
    }

    /// The rest of the path from `d_m` metres on.
    pub fn tail(&self, d_m: f64) -> Path {
        let d = d_m.clamp(0.0, self.length_m());
        let i = self.cum_m.partition_point(|&c| c <= d);
        let points = std::iter::once(self.at(d).0).chain(self.points[i..].iter().copied());
        Path::new(points).unwrap_or_else(|| self.clone())
    }

    /// The first `d_m` metres of the path.
    pub fn head(&self, d_m: f64) -> Path {
        let d = d_m.clamp(0.0, self.length_m());
        let i = self.cum_m.partition_point(|&c| c < d);
        let points = self.points[..i]
            .iter()
            .copied()
            .chain(std::iter::once(self.at(d).0));
        Path::new(points).unwrap_or_else(|| self.clone())
    }

    /// This path followed by `next` (joined by a straight segment when `next` starts elsewhere).
    pub fn then(&self, next: &Path) -> Path {
        Path::new(self.points.iter().chain(next.points.iter()).copied())
            .unwrap_or_else(|| next.clone())
    }

    /// Shortest distance in metres from `p` to the path (on a local flat projection: city scale).
    pub fn distance_to(&self, p: LonLat) -> f64 {
        let kx = p.1.to_radians().cos() * 111_320.0;
        let ky = 110_574.0;
        let xy = |q: LonLat| ((q.0 - p.0) * kx, (q.1 - p.1) * ky);
        if self.points.len() == 1 {
            return distance_m(self.points[0], p);
        }
        self.points
            .windows(2)
            .map(|w| {
                let (a, b) = (xy(w[0]), xy(w[1]));
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                let len2 = dx * dx + dy * dy;
                let t = if len2 > 0.0 {
                    (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (x, y) = (a.0 + t * dx, a.1 + t * dy);
                (x * x + y * y).sqrt()
            })
            .fold(f64::INFINITY, f64::min)
    }
}

/// A unit driving a path: it covers the path in `duration_s` of (simulated) time, and the fixes it reports
/// advance along the same path no faster than `max_report_mps`, so a fix never lies off the path and never
/// implies more than that speed, even under a large speed-up.
#[derive(Debug, Clone, PartialEq)]
pub struct Drive {
    pub path: Path,
    pub duration_s: f64,
    /// Metres along the path of the last fix reported.
    pub reported_m: f64,
}

impl Drive {
    /// Starts driving `path` in `duration_s` seconds (at least a millisecond).
    pub fn new(path: Path, duration_s: f64) -> Drive {
        Drive {
            path,
            duration_s: duration_s.max(1e-3),
            reported_m: 0.0,
        }
    }

    /// Where the unit is `elapsed_s` after the start, metres along the path.
    pub fn simulated_m(&self, elapsed_s: f64) -> f64 {
        (elapsed_s / self.duration_s).clamp(0.0, 1.0) * self.path.length_m()
    }

    /// The fix to report `elapsed_s` after the start, `since_last_s` after the previous fix (`None`: none
    /// yet): the simulated position, or as far towards it along the path as `max_report_mps` allows.
    /// Returns the point and its heading.
    pub fn report(
        &mut self,
        elapsed_s: f64,
        since_last_s: Option<f64>,
        max_report_mps: f64,
    ) -> (LonLat, Option<f64>) {
        let target = self.simulated_m(elapsed_s);
        let d = match since_last_s {
            Some(s) => target.min(self.reported_m + max_report_mps * s.max(0.0)),
            None => target,
        };
        self.reported_m = d.max(self.reported_m);
        self.path.at(self.reported_m)
    }

    /// Whether the drive is over and its end reported.
    pub fn done(&self, elapsed_s: f64) -> bool {
        elapsed_s >= self.duration_s && self.reported_m >= self.path.length_m()
    }

    /// The average speed, m/s.
    pub fn speed_mps(&self) -> f64 {
        self.path.length_m() / self.duration_s
    }
}

/// A road route as `GET /api/v1/incidents/{id}/route` answers it (a GeoJSON Feature): its line and its travel
/// time in seconds, so driving the line in that time keeps the route's average (road) speed. `Err` says why
/// it cannot be followed: the server's straight-line fallback (with its reason), or a malformed answer.
pub fn road_route(feature: &serde_json::Value) -> Result<(Path, f64), String> {
    let props = &feature["properties"];
    match props["basis"].as_str() {
        Some("road") => {}
        Some(basis) => {
            let why = props["fallback"].as_str().unwrap_or("unexplained");
            return Err(format!("the server's route is {basis} ({why})"));
        }
        None => return Err("the route has no basis".into()),
    }
    let secs = props["travel_time_s"]
        .as_f64()
        .filter(|s| s.is_finite() && *s > 0.0)
        .ok_or("the route has no positive travel_time_s")?;
    let path = Path::from_geojson(&feature["geometry"]).ok_or("the route has no LineString")?;
    Ok((path, secs))
}

/// Areas to place incidents in: polygons (outer ring first, then holes) from GeoJSON geometries.
#[derive(Debug, Clone, Default)]
pub struct Area {
    polygons: Vec<Vec<Vec<LonLat>>>,
    bbox: Option<(f64, f64, f64, f64)>,
}

impl Area {
    /// Adds a GeoJSON `Polygon` or `MultiPolygon` geometry; other geometries are ignored.
    pub fn add_geometry(&mut self, geometry: &serde_json::Value) {
        let ring = |r: &serde_json::Value| -> Vec<LonLat> {
            r.as_array()
                .map(|pts| {
                    pts.iter()
                        .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let polygon = |p: &serde_json::Value| -> Vec<Vec<LonLat>> {
            p.as_array()
                .map(|rings| rings.iter().map(ring).collect())
                .unwrap_or_default()
        };
        let coords = &geometry["coordinates"];
        let new: Vec<Vec<Vec<LonLat>>> = match geometry["type"].as_str() {
            Some("Polygon") => vec![polygon(coords)],
            Some("MultiPolygon") => coords
                .as_array()
                .map(|ps| ps.iter().map(polygon).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for p in new
            .into_iter()
            .filter(|p| p.first().is_some_and(|r| r.len() >= 4))
        {
            for &(x, y) in &p[0] {
                let b = self.bbox.get_or_insert((x, y, x, y));
                *b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
            }
            self.polygons.push(p);
        }
    }

    /// Whether no polygon was added.
    pub fn is_empty(&self) -> bool {
        self.polygons.is_empty()
    }

    /// Whether `p` lies inside (even-odd rule over each polygon's rings).
    pub fn contains(&self, p: LonLat) -> bool {
        self.polygons
            .iter()
            .any(|rings| rings.iter().filter(|ring| ring_contains(ring, p)).count() % 2 == 1)
    }

    /// A uniformly random point inside (rejection sampling in the bounding box); the box's centre when
    /// nothing is hit after many tries (a sliver of an area).
    pub fn random_point(&self, rng: &mut impl Rng) -> Option<LonLat> {
        let (x0, y0, x1, y1) = self.bbox?;
        for _ in 0..1000 {
            let p = (rng.gen_range(x0..=x1), rng.gen_range(y0..=y1));
            if self.contains(p) {
                return Some(p);
            }
        }
        Some(((x0 + x1) / 2.0, (y0 + y1) / 2.0))
    }
}

fn ring_contains(ring: &[LonLat], p: LonLat) -> bool {
    let mut inside = false;
    let mut j = ring.len().wrapping_sub(1);
    for i in 0..ring.len() {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > p.1) != (yj > p.1) && p.0 < (xj - xi) * (p.1 - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Sorted latencies in microseconds → the `p` quantile in milliseconds (NaN when empty).
pub fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_us.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted_us[i.min(sorted_us.len() - 1)]) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn the_default_mix_is_mostly_calls_without_an_incident() {
        let mix: CallMix = DEFAULT_MIX.parse().unwrap();
        assert!(mix.share("emergency") < 0.2);
        assert!(mix.share("prank") + mix.share("ghost") + mix.share("information") > 0.7);
        let mut rng = StdRng::seed_from_u64(1);
        let n = 20_000;
        let emergencies = (0..n)
            .filter(|_| mix.sample(&mut rng) == "emergency")
            .count();
        let share = emergencies as f64 / f64::from(n);
        assert!((share - mix.share("emergency")).abs() < 0.01, "{share}");
    }

    #[test]
    fn mixes_and_rates_are_parsed_with_clear_errors() {
        let mix: CallMix = "emergency=1".parse().unwrap();
        assert_eq!(mix.share("emergency"), 1.0);
        assert!(
            "emergency=x"
                .parse::<CallMix>()
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            "fire=1"
                .parse::<CallMix>()
                .unwrap_err()
                .contains("unknown call class")
        );
        assert!("prank=0".parse::<CallMix>().is_err());
        assert_eq!(parse_rate("6/min").unwrap(), 0.1);
        assert_eq!(parse_rate("2/s").unwrap(), 2.0);
        assert_eq!(parse_rate("30").unwrap(), 0.5);
        assert!(parse_rate("2/day").is_err());
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn poisson_arrivals_average_the_rate() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = 20_000;
        let total: f64 = (0..n)
            .map(|_| next_arrival(4.0, &mut rng).as_secs_f64())
            .sum();
        let mean = total / f64::from(n);
        assert!((mean - 0.25).abs() < 0.01, "{mean}");
        assert!(human(&mut rng, 10.0, 10.0, 4.0) == Duration::from_secs_f64(2.5));
    }

    #[test]
    fn random_points_fall_inside_the_polygon_and_not_in_its_hole() {
        let mut area = Area::default();
        area.add_geometry(&serde_json::json!({"type": "Polygon", "coordinates": [
            [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]],
            [[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0], [1.0, 1.0]]
        ]}));
        assert!(area.contains((0.5, 0.5)));
        assert!(!area.contains((2.0, 2.0)));
        assert!(!area.contains((5.0, 2.0)));
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            let p = area.random_point(&mut rng).unwrap();
            assert!(area.contains(p), "{p:?}");
        }
        assert!(Area::default().random_point(&mut rng).is_none());
    }

    #[test]
    fn driving_steps_never_exceed_the_allowed_distance() {
        let a = (104.0, 1.1);
        let b = (104.1, 1.1);
        let d = distance_m(a, b);
        assert!((d - 11_120.0).abs() < 20.0, "{d}");
        let s = step_towards(a, b, 500.0);
        assert!((distance_m(a, s) - 500.0).abs() < 1.0);
        assert_eq!(step_towards(a, b, 20_000.0), b);
        assert_eq!(along(a, b, 2.0), b);
    }

    /// An L-shaped street in Jatinegara: 300 m east, then 200 m north.
    fn l_path() -> Path {
        let a: LonLat = (106.9100, -6.2200);
        let b = (a.0 + 300.0 / (111_320.0 * a.1.to_radians().cos()), a.1);
        let c = (b.0, b.1 + 200.0 / 110_574.0);
        Path::new([a, a, b, c]).unwrap()
    }

    #[test]
    fn a_position_along_a_polyline_follows_its_segments_with_their_heading() {
        let p = l_path();
        assert_eq!(p.points().len(), 3, "the repeated point is dropped");
        assert!((p.length_m() - 500.0).abs() < 1.5, "{}", p.length_m());
        let (start, h) = p.at(0.0);
        assert_eq!(start, p.start());
        assert!((h.unwrap() - 90.0).abs() < 0.1, "east: {h:?}");
        let (q, h) = p.at(150.0);
        assert!((distance_m(p.start(), q) - 150.0).abs() < 1.0);
        assert!((h.unwrap() - 90.0).abs() < 0.1);
        // Past the corner: on the northbound segment, 100 m beyond it.
        let corner = p.points()[1];
        let (q, h) = p.at(400.0);
        assert!((distance_m(corner, q) - 100.0).abs() < 1.0, "{q:?}");
        assert!(
            (q.0 - corner.0).abs() < 1e-12,
            "straight north of the corner"
        );
        assert!(h.unwrap() < 0.1 || h.unwrap() > 359.9, "north: {h:?}");
        assert_eq!(p.at(9_999.0).0, p.end());
        assert_eq!(p.at(-5.0).0, p.start());
        // The way back heads south, then west.
        let back = p.reversed();
        assert!((back.at(10.0).1.unwrap() - 180.0).abs() < 0.1);
        assert!((back.at(490.0).1.unwrap() - 270.0).abs() < 0.1);
        assert_eq!(heading_deg(corner, corner), None);
        // Pieces of a path.
        assert!((p.tail(100.0).length_m() - (p.length_m() - 100.0)).abs() < 0.01);
        assert!((p.head(400.0).length_m() - 400.0).abs() < 0.01);
        assert_eq!(p.head(400.0).end(), p.at(400.0).0);
        assert!(p.distance_to(p.at(250.0).0) < 0.01);
        let off = (corner.0, corner.1 - 50.0 / 110_574.0);
        assert!(
            (p.distance_to(off) - 50.0).abs() < 0.5,
            "{}",
            p.distance_to(off)
        );
    }

    #[test]
    fn a_drive_covers_its_path_in_its_time_and_every_fix_lies_on_the_path() {
        // 500 m in 50 s of simulated time (36 km/h), fixes every second reported at ≤ 5 m/s: the fixes lag
        // behind the simulated unit but stay on the street and never imply more than the limit.
        let p = l_path();
        let mut drive = Drive::new(p.clone(), 50.0);
        assert!((drive.speed_mps() - 10.0).abs() < 0.05);
        assert!((drive.simulated_m(25.0) - 250.0).abs() < 0.5);
        let mut last = drive.report(0.0, None, 5.0).0;
        assert_eq!(last, p.start());
        let mut t = 0.0;
        while !drive.done(t) {
            t += 1.0;
            assert!(t < 200.0, "the drive never ends");
            let (fix, heading) = drive.report(t, Some(1.0), 5.0);
            assert!(p.distance_to(fix) < 0.5, "off the path at {t} s: {fix:?}");
            assert!(distance_m(last, fix) <= 5.0 + 1e-6, "too fast at {t} s");
            assert!(heading.is_some());
            last = fix;
        }
        assert_eq!(last, p.end());
        assert!((99.0..=102.0).contains(&t), "{t}");
        // Without a speed limit worth the name, the fix is where the unit is.
        let mut free = Drive::new(p.clone(), 50.0);
        assert!((free.report(25.0, Some(1.0), 1e9).0.1 - p.at(250.0).0.1).abs() < 1e-12);
        assert!(!free.done(25.0));
    }

    #[test]
    fn a_road_route_is_followed_and_a_straight_line_answer_says_why_not() {
        let road = serde_json::json!({"type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[106.91, -6.22], [106.92, -6.22], [106.92, -6.21]]},
            "properties": {"basis": "road", "travel_time_s": 240.0, "route_m": 2200.0, "turns": []}});
        let (path, secs) = road_route(&road).unwrap();
        assert_eq!(secs, 240.0);
        assert_eq!(path.points().len(), 3);
        let mut straight = road.clone();
        straight["properties"]["basis"] = "straight_line".into();
        straight["properties"]["fallback"] = "start_off_road".into();
        let why = road_route(&straight).unwrap_err();
        assert!(
            why.contains("straight_line") && why.contains("start_off_road"),
            "{why}"
        );
        let mut still = road.clone();
        still["properties"]["travel_time_s"] = 0.0.into();
        assert!(road_route(&still).unwrap_err().contains("travel_time_s"));
        let mut point = road;
        point["geometry"]["coordinates"] = serde_json::json!([[106.91, -6.22]]);
        assert!(road_route(&point).unwrap_err().contains("LineString"));
    }
}
