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
}
