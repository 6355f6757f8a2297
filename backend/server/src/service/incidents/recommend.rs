//! What to send to an incident: the nearest available units of the actor's OPD (or of every escalated OPD for
//! a supervisor), the units left out and why, and the nearest facilities with a 24-hour emergency department;
//! and the route of one unit to the incident.
//!
//! Units and facilities are ranked by drive time over the loaded road graph (`siaga-roads`): the nearest
//! [`BY_AIR`] available units by air are each routed from their last fix (snapped to the nearest road their
//! vehicle may use) to the incident (snapped likewise), and the fastest [`SHOWN`] are recommended. A unit or
//! incident off the graph, a unit with no road to the incident, or no graph at all falls back to the
//! straight line at the unit type's speed, and the recommendation says so (`basis`, `fallback`). A straight
//! line is lengthened by the detour factor `roads.straight_line_detour` (default 1.4, see
//! [`siaga_roads::STRAIGHT_LINE_DETOUR`]) before its time is taken, so a unit off the graph does not outrank
//! units whose road ETA is real. Each unit drives its own vehicle's roads (`vehicle`: car or motorbike).

use super::{check_visible, load};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::StoreError;
use crate::views::LonLat;
use serde::Serialize;
use siaga_core::time::Timestamp;
use siaga_core::unit::Vehicle;
use siaga_spatial::Position;
use siaga_spatial::units::UnitFilter;
use std::collections::{BTreeSet, HashMap};

/// How many units by air are routed, and how many of the fastest are recommended.
pub const BY_AIR: usize = 10;
pub const SHOWN: usize = 5;

/// Which estimate a travel time is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EtaBasis {
    /// Over the road graph.
    Road,
    /// The straight line, lengthened by the detour factor (`roads.straight_line_detour`), at the unit type's
    /// speed (see `fallback` for why).
    StraightLine,
}

/// Why a travel time fell back to the straight line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EtaFallback {
    /// No road graph is loaded.
    NoGraph,
    /// The unit (or route start) is farther than `roads.snap_max_m` from any road.
    StartOffRoad,
    /// The incident (or route end) is.
    EndOffRoad,
    /// No road leads from one to the other.
    NoPath,
}

impl From<siaga_roads::Fallback> for EtaFallback {
    fn from(f: siaga_roads::Fallback) -> Self {
        match f {
            siaga_roads::Fallback::NoGraph => EtaFallback::NoGraph,
            siaga_roads::Fallback::StartOffRoad => EtaFallback::StartOffRoad,
            siaga_roads::Fallback::EndOffRoad => EtaFallback::EndOffRoad,
            siaga_roads::Fallback::NoPath => EtaFallback::NoPath,
        }
    }
}

/// A recommended unit.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitRecommendation {
    pub unit_id: String,
    pub call_sign: String,
    pub unit_type: String,
    pub agency_id: String,
    /// Great-circle distance in metres.
    pub distance_m: f64,
    /// Estimated travel time in seconds: `travel_time_s`.
    pub eta_s: f64,
    /// Estimated travel time in seconds, by `basis`.
    pub travel_time_s: f64,
    /// Route length in metres (when `basis` is `straight_line`: the straight-line distance times the detour
    /// factor `roads.straight_line_detour`).
    pub route_m: f64,
    pub basis: EtaBasis,
    /// Why the straight line was used, when it was.
    pub fallback: Option<EtaFallback>,
    /// Distance from the unit's fix to the road it was snapped to, metres.
    pub snap_m: Option<f64>,
    /// The arrival target that would apply (the SLA policy's `arrival` target for the incident's category and
    /// priority), seconds.
    pub arrival_target_s: i64,
    /// Whether `travel_time_s` makes `arrival_target_s` (`siaga_core::sla::plan_arrival`).
    pub meets_target: bool,
}

/// The road profile of a vehicle.
pub(crate) fn profile(v: Vehicle) -> siaga_roads::Profile {
    match v {
        Vehicle::Car => siaga_roads::Profile::Car,
        Vehicle::Motorbike => siaga_roads::Profile::Motorbike,
    }
}

/// The limits of an estimate whose straight-line fallback drives `kmh` (the unit type's speed): the configured
/// snap distance and detour factor.
pub(crate) fn limits(state: &AppState, kmh: f64) -> siaga_roads::Limits {
    siaga_roads::Limits {
        snap_max_m: state.config.roads.snap_max_m,
        straight_line_kmh: kmh,
        straight_line_detour: state.config.roads.straight_line_detour,
    }
}

/// A travel estimate between two positions for a unit type, with the straight-line fallback.
pub(super) struct Estimate {
    pub(super) travel_time_s: f64,
    route_m: f64,
    basis: EtaBasis,
    fallback: Option<EtaFallback>,
    start_snap_m: Option<f64>,
    end_snap_m: Option<f64>,
}

pub(super) fn estimate(
    router: Option<&mut siaga_roads::Router<'_>>,
    vehicle: Vehicle,
    from: Position,
    to: Position,
    limits: &siaga_roads::Limits,
) -> Estimate {
    let e = siaga_roads::eta(
        router,
        profile(vehicle),
        [from.lon(), from.lat()],
        [to.lon(), to.lat()],
        limits,
    );
    Estimate::from(e)
}

/// [`estimate`] from several units (each with its vehicle and limits) to one position, in their order: one
/// many-to-one road query for all of them (`Router::etas_to`: the target's backward search once, then a
/// short forward search per unit) instead of one query each.
pub(super) fn estimates_to(
    router: Option<&mut siaga_roads::Router<'_>>,
    from: &[(Vehicle, Position, siaga_roads::Limits)],
    to: Position,
) -> Vec<Estimate> {
    let target = [to.lon(), to.lat()];
    let candidates: Vec<siaga_roads::Candidate> = from
        .iter()
        .map(|(vehicle, p, limits)| siaga_roads::Candidate {
            position: [p.lon(), p.lat()],
            profile: profile(*vehicle),
            limits: *limits,
        })
        .collect();
    match router {
        Some(r) => r.etas_to(target, &candidates, true),
        None => candidates
            .iter()
            .map(|c| siaga_roads::eta(None, c.profile, c.position, target, &c.limits))
            .collect(),
    }
    .into_iter()
    .map(Estimate::from)
    .collect()
}

impl From<siaga_roads::Eta> for Estimate {
    fn from(e: siaga_roads::Eta) -> Self {
        Estimate {
            travel_time_s: e.travel_time_s,
            route_m: e.route_m,
            basis: match e.basis {
                siaga_roads::Basis::Road => EtaBasis::Road,
                siaga_roads::Basis::StraightLine => EtaBasis::StraightLine,
            },
            fallback: e.fallback.map(EtaFallback::from),
            start_snap_m: e.start_snap_m,
            end_snap_m: e.end_snap_m,
        }
    }
}

/// A unit that was not recommended, and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitExclusion {
    pub unit_id: String,
    pub call_sign: String,
    pub distance_m: f64,
    /// `busy`, `out_of_service`, `wrong_type` or `stale_position` (only units of the asker's OPD, or of the
    /// OPDs taking part for a desk, are weighed at all).
    pub reason: String,
}

/// A nearby health facility.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FacilityRecommendation {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub position: LonLat,
    pub distance_m: f64,
    /// Drive time from the incident in seconds, by `basis`.
    pub travel_time_s: f64,
    /// Route length in metres (when `basis` is `straight_line`: the straight-line distance times the detour
    /// factor).
    pub route_m: f64,
    pub basis: EtaBasis,
}

/// What to send.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecommendationsView {
    /// Fastest first.
    pub units: Vec<UnitRecommendation>,
    /// Distance from the incident's position to the road it was snapped to, metres (none without a graph or
    /// off the roads).
    pub incident_snap_m: Option<f64>,
    pub excluded: Vec<UnitExclusion>,
    pub facilities: Vec<FacilityRecommendation>,
    /// The arrival target for this incident's category and priority, seconds.
    pub arrival_target_s: i64,
    /// True when no recommended unit can make the arrival target (also when none is recommended at all).
    pub none_meets_target: bool,
}

/// The arrival plan of a unit `eta_s` seconds from `incident`: the same target its arrival clock would get.
pub(super) fn arrival_plan(
    state: &AppState,
    incident: &crate::store::IncidentRow,
    eta_s: f64,
) -> ApiResult<siaga_core::sla::ArrivalPlan> {
    let category = super::parse_value(&incident.category)?;
    let priority = super::parse_value(&incident.priority)?;
    // The arrival clock is started with the urban target (see `assign::start_crew_clocks`); plan against it.
    Ok(siaga_core::sla::plan_arrival(
        &state.config.dispatch.sla,
        category,
        priority,
        siaga_core::sla::AreaClass::Urban,
        eta_s,
    ))
}

/// The recommendations for the incident.
pub async fn recommendations(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> ApiResult<RecommendationsView> {
    let incident = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    // A dispatcher's own OPD, or (for a desk) every OPD taking part in the incident.
    let allowed: BTreeSet<String> = match actor.scope().agency() {
        Some(own) => [own.to_owned()].into(),
        None => super::agency_ids(&agencies).into_iter().collect(),
    };
    let p = Position::from_lon_lat(incident.lon, incident.lat)
        .map_err(|e| ApiError::internal(e.into()))?;
    let filter = UnitFilter {
        unit_type: None,
        agency_ids: Some(allowed),
    };
    let found = state
        .geo
        .nearest_units(p, BY_AIR, filter, Timestamp(state.now_ms()));
    let named = found
        .candidates
        .iter()
        .map(|c| &c.unit_id)
        .chain(found.excluded.iter().map(|e| &e.unit_id));
    let call_signs = call_signs(state, named).await?;
    let call_sign = |uid: &str| call_signs.get(uid).cloned().unwrap_or_default();
    let graph = state.geo.roads();
    let mut router = graph.as_deref().map(siaga_roads::RoadGraph::router);
    let mut incident_snap_m = None;
    let arrival_target_s = arrival_plan(state, &incident, 0.0)?.target_s;
    // The units still in the index, each with its vehicle and the limits of its type's straight-line speed
    // (recovered from the index's own estimate), estimated all at once; a unit gone from the index meanwhile
    // keeps the index's straight-line estimate.
    let positions: Vec<Result<(Vehicle, Position, siaga_roads::Limits), siaga_roads::Limits>> =
        found
            .candidates
            .iter()
            .map(|c| {
                let kmh = if c.eta_s > 0.0 {
                    c.distance_m / c.eta_s * 3.6
                } else {
                    40.0
                };
                let limits = limits(state, kmh);
                state
                    .geo
                    .unit(&c.unit_id)
                    .map(|u| (u.vehicle, u.position, limits))
                    .ok_or(limits)
            })
            .collect();
    let known: Vec<_> = positions.iter().filter_map(|k| k.ok()).collect();
    let mut estimates = estimates_to(router.as_mut(), &known, p).into_iter();
    let mut units: Vec<UnitRecommendation> = found
        .candidates
        .iter()
        .zip(&positions)
        .map(|(c, known)| {
            let e = match known {
                Ok(_) => estimates.next().ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("one estimate per known unit"))
                })?,
                Err(limits) => Estimate {
                    travel_time_s: c.eta_s * limits.straight_line_detour,
                    route_m: c.distance_m * limits.straight_line_detour,
                    basis: EtaBasis::StraightLine,
                    fallback: Some(EtaFallback::NoGraph),
                    start_snap_m: None,
                    end_snap_m: None,
                },
            };
            incident_snap_m = incident_snap_m.or(e.end_snap_m);
            let plan = arrival_plan(state, &incident, e.travel_time_s)?;
            Ok(UnitRecommendation {
                call_sign: call_sign(&c.unit_id),
                unit_id: c.unit_id.clone(),
                unit_type: c.unit_type.as_str().to_owned(),
                agency_id: c.agency_id.clone(),
                distance_m: c.distance_m,
                eta_s: e.travel_time_s,
                travel_time_s: e.travel_time_s,
                route_m: e.route_m,
                basis: e.basis,
                fallback: e.fallback,
                snap_m: e.start_snap_m,
                arrival_target_s: plan.target_s,
                meets_target: plan.meets_target,
            })
        })
        .collect::<ApiResult<_>>()?;
    units.sort_by(|a, b| {
        a.travel_time_s
            .total_cmp(&b.travel_time_s)
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    units.truncate(SHOWN);
    let excluded = found
        .excluded
        .iter()
        .map(|e| UnitExclusion {
            call_sign: call_sign(&e.unit_id),
            unit_id: e.unit_id.clone(),
            distance_m: e.distance_m,
            reason: serde_json::to_value(&e.reason)
                .ok()
                .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
                .unwrap_or_default(),
        })
        .collect();
    let facilities = facilities(state, p, router.as_mut());
    let none_meets_target = !units.iter().any(|u| u.meets_target);
    Ok(RecommendationsView {
        arrival_target_s,
        none_meets_target,
        units,
        incident_snap_m,
        excluded,
        facilities,
    })
}

/// Call signs of the few units named only: reading the whole fleet here cost a full table scan per request
/// (10 000 units: most of the request's time).
async fn call_signs<'a>(
    state: &AppState,
    unit_ids: impl Iterator<Item = &'a String>,
) -> ApiResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for uid in unit_ids {
        if out.contains_key(uid) {
            continue;
        }
        match state.store.get_unit(uid).await {
            Ok(u) => {
                out.insert(uid.clone(), u.call_sign);
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// The three facilities with a 24-hour emergency department nearest by drive time from the incident, among
/// the eight nearest by air.
fn facilities(
    state: &AppState,
    p: Position,
    mut router: Option<&mut siaga_roads::Router<'_>>,
) -> Vec<FacilityRecommendation> {
    // An ambulance takes the patient: the car's roads, 40 km/h on a straight line.
    let limits = limits(state, 40.0);
    let mut out: Vec<FacilityRecommendation> = state
        .geo
        .nearest_facilities(p, 8, Some(siaga_spatial::Capability::Igd24h))
        .into_iter()
        .map(|(f, d)| {
            let e = estimate(router.as_deref_mut(), Vehicle::Car, p, f.position, &limits);
            FacilityRecommendation {
                travel_time_s: e.travel_time_s,
                route_m: e.route_m,
                basis: e.basis,
                id: f.id,
                name: f.name,
                kind: serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                position: LonLat {
                    lon: f.position.lon(),
                    lat: f.position.lat(),
                },
                distance_m: d,
            }
        })
        .collect();
    out.sort_by(|a, b| a.travel_time_s.total_cmp(&b.travel_time_s));
    out.truncate(3);
    out
}

/// One line of a route's turn list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TurnView {
    /// `depart`, `straight`, `slight_left`, `slight_right`, `left`, `right`, `sharp_left`, `sharp_right`,
    /// `u_turn` or `arrive`.
    pub maneuver: String,
    /// The street's name or ref (`""` when unnamed).
    pub street: String,
    /// Metres to drive on it.
    pub distance_m: f64,
}

/// A GeoJSON LineString geometry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LineStringGeometry {
    /// Always `LineString`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `[lon, lat]` positions from the unit to the incident (or to `to`, when asked).
    pub coordinates: Vec<[f64; 2]>,
}

/// The totals and turns of a route.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RouteProperties {
    pub unit_id: String,
    pub incident_id: String,
    /// The vehicle whose roads the route follows.
    pub vehicle: Vehicle,
    pub travel_time_s: f64,
    pub route_m: f64,
    pub basis: EtaBasis,
    pub fallback: Option<EtaFallback>,
    /// Snap distances of the unit's fix and of the incident (or of `to`, when asked), metres.
    pub unit_snap_m: Option<f64>,
    pub incident_snap_m: Option<f64>,
    /// Empty for a straight line.
    pub turns: Vec<TurnView>,
}

/// A unit's route to an incident as a GeoJSON Feature (a straight two-point line when there is no road route).
#[derive(Serialize, utoipa::ToSchema)]
pub struct RouteView {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: String,
    pub geometry: LineStringGeometry,
    pub properties: RouteProperties,
}

/// The route of `unit_id` from its last fix to the incident, or to `to` instead (the way back to its base
/// after the incident, or its next stop). Seen by whoever sees the incident; a dispatcher only for a unit of
/// its OPD, a responder only for its own unit. Estimated and routed in one query: the totals are the drawn
/// line's.
pub async fn route(
    state: &AppState,
    actor: &Actor,
    id: &str,
    unit_id: &str,
    to: Option<LonLat>,
) -> ApiResult<RouteView> {
    let incident = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    let unit = state
        .geo
        .unit(unit_id)
        .ok_or_else(|| ApiError::not_found("unit"))?;
    if let Some(own) = actor.scope().agency()
        && own != unit.agency_id
    {
        return Err(ApiError::forbidden("the unit is not of your OPD"));
    }
    if actor.role == siaga_core::role::Role::Responder
        && actor.user.unit_id.as_deref() != Some(unit_id)
    {
        return Err(ApiError::forbidden("not your unit"));
    }
    if let Some(to) = to {
        crate::views::validate_lon_lat(to, "to")?;
    }
    let (to_lon, to_lat) = to.map_or((incident.lon, incident.lat), |t| (t.lon, t.lat));
    let to = Position::from_lon_lat(to_lon, to_lat).map_err(|e| ApiError::internal(e.into()))?;
    let from = unit.position;
    let graph = state.geo.roads();
    let limits = limits(
        state,
        siaga_spatial::units::SpeedTable::default().kmh(unit.unit_type),
    );
    let (a, b) = ([from.lon(), from.lat()], [to.lon(), to.lat()]);
    let (eta, road) = match graph.as_deref() {
        Some(g) => g
            .router()
            .eta_with_route(profile(unit.vehicle), a, b, &limits),
        None => (
            siaga_roads::straight_line(a, b, &limits, Some(siaga_roads::Fallback::NoGraph)),
            None,
        ),
    };
    let (coordinates, turns) = match road {
        Some(route) => {
            let mut coords = vec![a];
            coords.extend(route.geometry);
            coords.push(b);
            let turns = route
                .turns
                .into_iter()
                .map(|t| TurnView {
                    maneuver: serde_json::to_value(t.maneuver)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    street: t.street,
                    distance_m: t.distance_m,
                })
                .collect();
            (coords, turns)
        }
        None => (vec![a, b], vec![]),
    };
    let e = Estimate::from(eta);
    Ok(RouteView {
        kind: "Feature".into(),
        geometry: LineStringGeometry {
            kind: "LineString".into(),
            coordinates,
        },
        properties: RouteProperties {
            unit_id: unit_id.to_owned(),
            incident_id: id.to_owned(),
            vehicle: unit.vehicle,
            travel_time_s: e.travel_time_s,
            route_m: e.route_m,
            basis: e.basis,
            fallback: e.fallback,
            unit_snap_m: e.start_snap_m,
            incident_snap_m: e.end_snap_m,
            turns,
        },
    })
}
