//! Who may drive where, in which direction and how fast: the vehicle profiles and their OSM tag rules.
//!
//! Two profiles, because Indonesian responders drive two kinds of vehicle:
//!
//! * [`Profile::Car`]: ambulances, fire engines, police cars, rescue trucks. Roads of the classes `motorway`,
//!   `trunk`, `primary`, `secondary`, `tertiary`, `unclassified`, `residential`, `living_street`, `service`,
//!   `road` and their `_link`s. Not `track` (unpaved field and plantation tracks: a loaded fire engine or an
//!   ambulance with a patient does not plan on them), not paths.
//! * [`Profile::Motorbike`]: the motorbike crews of kampung, PSC 119 "ambulans motor", police patrols. Everything a
//!   car may use except `motorway`/`motorway_link` (Indonesian toll roads are closed to motorcycles, UU 38/2004 and
//!   PP 15/2005), plus `track`, and `path`/`footway`/`cycleway`/`pedestrian`/`steps`-free `bridleway` ways that
//!   are open to motor vehicles: `motorcycle`, `motor_vehicle` or `vehicle` = yes/designated/permissive/destination
//!   (the gang paths of kampung that OSM tags this way). `track` is allowed unless a tag closes it.
//!
//! Access, for both: `access=no|private` closes a way unless the profile's own key reopens it (car:
//! `motorcar`, `motor_vehicle`, `vehicle`; motorbike: `motorcycle`, `motor_vehicle`, `vehicle`), and such a key
//! set to `no`/`private` closes it too. `emergency=yes|designated` reopens a closed way for both (an emergency
//! vehicle may use a bus gate or a closed service road).
//!
//! Direction: `oneway=yes|true|1` allows only the drawing direction, `oneway=-1|reverse` only the opposite one,
//! `oneway=no` both; `junction=roundabout|circular` and `highway=motorway|motorway_link` imply `oneway=yes`
//! unless `oneway=no`. The motorbike profile reads `oneway:motorcycle` first (a street whose one-way sign exempts
//! motorbikes). Emergency vehicles may drive against a one-way with lights and siren, but a plan does not count
//! on it: the routes follow the signs.
//!
//! Speed: a default per road class (below, km/h, urban Indonesian traffic rather than the legal limits of PP
//! 79/2013), or 80 % of a numeric `maxspeed` (`50`, `50 km/h`, `30 mph`) when that is lower than the class
//! default plus a half: the sign is a ceiling that traffic rarely reaches, and an absurd value cannot make a
//! residential street a highway. The motorbike's speeds are the car's, capped at 60 km/h.

use serde::{Deserialize, Serialize};

/// A vehicle profile: which roads, which directions, what speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Ambulance, fire engine, police car, rescue truck.
    Car,
    /// Motorbike crews.
    Motorbike,
}

impl Profile {
    /// Every profile, in index order.
    pub const ALL: [Profile; 2] = [Profile::Car, Profile::Motorbike];

    /// Position in per-profile arrays.
    pub fn index(self) -> usize {
        match self {
            Profile::Car => 0,
            Profile::Motorbike => 1,
        }
    }

    /// The wire name: `car` or `motorbike`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Car => "car",
            Profile::Motorbike => "motorbike",
        }
    }
}

/// What one profile may do on one way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WayAccess {
    /// May drive in the direction the way is drawn.
    pub forward: bool,
    /// May drive against the direction the way is drawn.
    pub backward: bool,
    /// Planned speed in km/h.
    pub speed_kmh: f64,
}

/// The rules version: part of the prepared graph's input hash, so a change to the rules re-prepares.
pub const RULES_VERSION: u32 = 1;

fn class_speed_kmh(highway: &str) -> Option<f64> {
    Some(match highway {
        "motorway" => 80.0,
        "motorway_link" => 45.0,
        "trunk" => 60.0,
        "trunk_link" => 40.0,
        "primary" => 45.0,
        "primary_link" => 35.0,
        "secondary" => 40.0,
        "secondary_link" => 30.0,
        "tertiary" => 35.0,
        "tertiary_link" => 25.0,
        "unclassified" => 30.0,
        "residential" => 25.0,
        "road" => 25.0,
        "living_street" => 10.0,
        "service" => 15.0,
        "track" => 15.0,
        "path" | "footway" | "cycleway" | "pedestrian" | "bridleway" => 10.0,
        _ => return None,
    })
}

fn is_car_class(highway: &str) -> bool {
    matches!(
        highway,
        "motorway"
            | "motorway_link"
            | "trunk"
            | "trunk_link"
            | "primary"
            | "primary_link"
            | "secondary"
            | "secondary_link"
            | "tertiary"
            | "tertiary_link"
            | "unclassified"
            | "residential"
            | "road"
            | "living_street"
            | "service"
    )
}

fn yes(v: Option<&str>) -> bool {
    matches!(
        v,
        Some("yes" | "designated" | "permissive" | "destination" | "official")
    )
}

fn no(v: Option<&str>) -> bool {
    matches!(v, Some("no" | "private"))
}

/// Parses a numeric `maxspeed` in km/h (`50`, `50 km/h`, `30 mph`); `None` for `signals`, `none`, zones etc.
pub fn parse_maxspeed_kmh(value: &str) -> Option<f64> {
    let v = value.trim();
    let (num, factor) = if let Some(n) = v.strip_suffix("mph") {
        (n.trim(), 1.609_344)
    } else if let Some(n) = v.strip_suffix("km/h") {
        (n.trim(), 1.0)
    } else if let Some(n) = v.strip_suffix("kmh") {
        (n.trim(), 1.0)
    } else {
        (v, 1.0)
    };
    let n: f64 = num.parse().ok()?;
    (n.is_finite() && n > 0.0).then_some(n * factor)
}

/// What `profile` may do on a way with these tags; `None` when it may not use the way at all.
pub fn access<'t>(profile: Profile, get: &dyn Fn(&str) -> Option<&'t str>) -> Option<WayAccess> {
    let highway = get("highway")?;
    let class_speed = class_speed_kmh(highway)?;
    if matches!(get("area"), Some("yes")) {
        return None;
    }
    let own_keys: [&str; 3] = match profile {
        Profile::Car => ["motorcar", "motor_vehicle", "vehicle"],
        Profile::Motorbike => ["motorcycle", "motor_vehicle", "vehicle"],
    };
    // The most specific key that is set decides (motorcar before motor_vehicle before vehicle before access).
    let own = own_keys.iter().find_map(|k| get(k));
    let emergency = yes(get("emergency"));
    let class_ok = match profile {
        Profile::Car => is_car_class(highway),
        Profile::Motorbike => match highway {
            "motorway" | "motorway_link" => false,
            "track" => true,
            "path" | "footway" | "cycleway" | "pedestrian" | "bridleway" => yes(own),
            h => is_car_class(h),
        },
    };
    if !class_ok {
        return None;
    }
    let closed = match own {
        Some(v) => no(Some(v)),
        None => no(get("access")),
    };
    if closed && !emergency {
        return None;
    }
    let oneway_tag = match profile {
        Profile::Motorbike => get("oneway:motorcycle").or_else(|| get("oneway")),
        Profile::Car => get("oneway"),
    };
    let implied = matches!(get("junction"), Some("roundabout" | "circular"))
        || matches!(highway, "motorway" | "motorway_link");
    let (forward, backward) = match oneway_tag {
        Some("yes" | "true" | "1") => (true, false),
        Some("-1" | "reverse") => (false, true),
        Some("no" | "false" | "0") => (true, true),
        _ if implied => (true, false),
        _ => (true, true),
    };
    let mut speed = match get("maxspeed").and_then(parse_maxspeed_kmh) {
        Some(max) if max * 0.8 < class_speed * 1.5 => (max * 0.8).min(class_speed * 1.5),
        _ => class_speed,
    };
    if profile == Profile::Motorbike {
        speed = speed.min(60.0);
    }
    Some(WayAccess {
        forward,
        backward,
        speed_kmh: speed.max(5.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(profile: Profile, tags: &[(&str, &str)]) -> Option<WayAccess> {
        access(profile, &|k| {
            tags.iter().find(|(kk, _)| *kk == k).map(|(_, v)| *v)
        })
    }

    #[test]
    fn one_way_streets_and_roundabouts_allow_one_direction() {
        let a = acc(
            Profile::Car,
            &[("highway", "residential"), ("oneway", "yes")],
        )
        .unwrap();
        assert_eq!((a.forward, a.backward), (true, false));
        let a = acc(Profile::Car, &[("highway", "primary"), ("oneway", "-1")]).unwrap();
        assert_eq!((a.forward, a.backward), (false, true));
        let a = acc(
            Profile::Car,
            &[("highway", "tertiary"), ("junction", "roundabout")],
        )
        .unwrap();
        assert_eq!((a.forward, a.backward), (true, false));
        let a = acc(Profile::Car, &[("highway", "motorway")]).unwrap();
        assert_eq!((a.forward, a.backward), (true, false));
        let a = acc(Profile::Car, &[("highway", "motorway"), ("oneway", "no")]).unwrap();
        assert_eq!((a.forward, a.backward), (true, true));
        let a = acc(
            Profile::Motorbike,
            &[
                ("highway", "residential"),
                ("oneway", "yes"),
                ("oneway:motorcycle", "no"),
            ],
        )
        .unwrap();
        assert_eq!((a.forward, a.backward), (true, true));
    }

    #[test]
    fn motorbikes_take_tracks_and_open_paths_but_not_toll_roads() {
        assert!(acc(Profile::Car, &[("highway", "track")]).is_none());
        assert!(acc(Profile::Motorbike, &[("highway", "track")]).is_some());
        assert!(acc(Profile::Motorbike, &[("highway", "path")]).is_none());
        assert!(
            acc(
                Profile::Motorbike,
                &[("highway", "path"), ("motorcycle", "yes")]
            )
            .is_some()
        );
        assert!(
            acc(
                Profile::Car,
                &[("highway", "path"), ("motor_vehicle", "yes")]
            )
            .is_none()
        );
        assert!(acc(Profile::Motorbike, &[("highway", "motorway")]).is_none());
        assert!(
            acc(
                Profile::Car,
                &[("highway", "residential"), ("motorcar", "no")]
            )
            .is_none()
        );
        assert!(
            acc(
                Profile::Motorbike,
                &[("highway", "residential"), ("motorcar", "no")]
            )
            .is_some()
        );
    }

    #[test]
    fn access_closes_unless_the_own_key_or_emergency_reopens() {
        assert!(
            acc(
                Profile::Car,
                &[("highway", "service"), ("access", "private")]
            )
            .is_none()
        );
        assert!(
            acc(
                Profile::Car,
                &[
                    ("highway", "service"),
                    ("access", "no"),
                    ("motor_vehicle", "yes")
                ]
            )
            .is_some()
        );
        assert!(
            acc(
                Profile::Car,
                &[
                    ("highway", "service"),
                    ("access", "no"),
                    ("emergency", "yes")
                ]
            )
            .is_some()
        );
        assert!(acc(Profile::Car, &[("highway", "footway")]).is_none());
        assert!(acc(Profile::Car, &[("highway", "bus_stop")]).is_none());
    }

    #[test]
    fn maxspeed_lowers_the_class_speed_and_cannot_raise_it_absurdly() {
        let a = acc(Profile::Car, &[("highway", "primary"), ("maxspeed", "40")]).unwrap();
        assert!((a.speed_kmh - 32.0).abs() < 1e-9);
        let a = acc(
            Profile::Car,
            &[("highway", "residential"), ("maxspeed", "200")],
        )
        .unwrap();
        assert!((a.speed_kmh - 25.0).abs() < 1e-9);
        let a = acc(
            Profile::Car,
            &[("highway", "primary"), ("maxspeed", "30 mph")],
        )
        .unwrap();
        assert!((a.speed_kmh - 30.0 * 1.609_344 * 0.8).abs() < 1e-9);
        assert_eq!(parse_maxspeed_kmh("signals"), None);
        let m = acc(
            Profile::Motorbike,
            &[("highway", "trunk"), ("maxspeed", "100")],
        )
        .unwrap();
        assert!(m.speed_kmh <= 60.0);
    }
}
