//! The incident heat map: incidents counted per H3 cell, as a GeoJSON FeatureCollection of cell polygons.
//!
//! The client picks the resolution from its zoom level; it is clamped to [`MIN_RESOLUTION`]..=
//! [`MAX_RESOLUTION`] (res 4 cells are about 1 770 km², res 10 about 0.015 km²). Coordinates go through
//! `siaga_spatial::convert` (`PositionExt`), the one place that knows h3o's latitude-first order; the output is
//! GeoJSON's `[lon, lat]`.

use serde::Serialize;
use siaga_spatial::{Position, PositionExt};
use std::collections::BTreeMap;

/// Coarsest resolution served.
pub const MIN_RESOLUTION: u8 = 4;
/// Finest resolution served.
pub const MAX_RESOLUTION: u8 = 10;

/// A GeoJSON FeatureCollection of H3 cells with incident counts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeatmapView {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// One feature per cell with at least one incident, ordered by cell index.
    pub features: Vec<HeatCell>,
    /// The H3 resolution used (after clamping).
    pub resolution: u8,
    /// Incidents counted.
    pub total: u64,
}

/// One cell.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeatCell {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The H3 cell index (hex).
    pub id: String,
    /// A GeoJSON Polygon: the cell boundary as `[lon, lat]` positions, closed.
    pub geometry: HeatGeometry,
    /// Cell index and count.
    pub properties: HeatProperties,
}

/// A GeoJSON Polygon.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeatGeometry {
    /// Always `Polygon`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// One ring of `[lon, lat]` positions, first repeated last.
    pub coordinates: Vec<Vec<[f64; 2]>>,
}

/// Properties of a cell.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeatProperties {
    /// The H3 cell index (hex).
    pub cell: String,
    /// Incidents in the cell.
    pub count: u64,
}

/// Clamps a requested resolution into the served range.
pub fn clamp_resolution(requested: u8) -> u8 {
    requested.clamp(MIN_RESOLUTION, MAX_RESOLUTION)
}

/// Counts `points` (`(lon, lat)` pairs) per cell at `resolution` (clamped). Invalid positions are skipped.
pub fn heatmap(points: impl IntoIterator<Item = (f64, f64)>, resolution: u8) -> HeatmapView {
    let resolution = clamp_resolution(resolution);
    let res = h3o::Resolution::try_from(resolution).unwrap_or(h3o::Resolution::Seven);
    let mut counts: BTreeMap<h3o::CellIndex, u64> = BTreeMap::new();
    let mut total = 0;
    for (lon, lat) in points {
        let Ok(p) = Position::from_lon_lat(lon, lat) else {
            continue;
        };
        *counts.entry(p.to_lat_lng().to_cell(res)).or_default() += 1;
        total += 1;
    }
    let features = counts
        .into_iter()
        .map(|(cell, count)| {
            let mut ring: Vec<[f64; 2]> = cell
                .boundary()
                .iter()
                .map(|ll| [ll.lng(), ll.lat()])
                .collect();
            if let Some(first) = ring.first().copied() {
                ring.push(first);
            }
            let id = cell.to_string();
            HeatCell {
                kind: "Feature",
                id: id.clone(),
                geometry: HeatGeometry {
                    kind: "Polygon",
                    coordinates: vec![ring],
                },
                properties: HeatProperties { cell: id, count },
            }
        })
        .collect();
    HeatmapView {
        kind: "FeatureCollection",
        features,
        resolution,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_incidents_share_a_cell_and_polygons_are_lon_lat() {
        let batam = (104.0537, 1.1291);
        let near = (104.0538, 1.1292);
        let jakarta = (106.8, -6.2);
        let map = heatmap([batam, near, jakarta, (f64::NAN, 0.0)], 12);
        assert_eq!(map.resolution, 10);
        assert_eq!(map.total, 3);
        assert_eq!(map.features.len(), 2);
        let counts: u64 = map.features.iter().map(|f| f.properties.count).sum();
        assert_eq!(counts, 3);
        let big = map
            .features
            .iter()
            .find(|f| f.properties.count == 2)
            .unwrap();
        let ring = &big.geometry.coordinates[0];
        assert_eq!(ring.first(), ring.last());
        // Longitude first: Batam is at about 104°E, 1°N.
        assert!(
            ring.iter()
                .all(|[lon, lat]| (lon - 104.05).abs() < 0.01 && (lat - 1.129).abs() < 0.01)
        );
        assert_eq!(heatmap([batam], 1).resolution, 4);
    }
}
