//! The caller's AML position as an accuracy circle in metres (a polygon, since circle-radius is in pixels).

import type { GeoJSONSource } from 'maplibre-gl';
import type { Aml } from '../../api/types';
import type { MlMap } from '../map';

const SOURCE = 'siaga-aml';
const FILL = 'siaga-aml-fill';
const LINE = 'siaga-aml-line';

/** A 64-sided polygon approximating a circle of `radius_m` around (lon, lat) on a sphere. */
export function circlePolygon(lon: number, lat: number, radius_m: number, steps = 64): GeoJSON.Polygon {
  const R = 6_371_008.8;
  const d = radius_m / R;
  const lat1 = (lat * Math.PI) / 180;
  const lon1 = (lon * Math.PI) / 180;
  const ring: [number, number][] = [];
  for (let i = 0; i <= steps; i++) {
    const brng = (2 * Math.PI * i) / steps;
    const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(brng));
    const lon2 = lon1 + Math.atan2(Math.sin(brng) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
    ring.push([(lon2 * 180) / Math.PI, (lat2 * 180) / Math.PI]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

export function mountAml(map: MlMap) {
  map.addSource(SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: FILL, type: 'fill', source: SOURCE, paint: { 'fill-color': '#1e88e5', 'fill-opacity': 0.15 } });
  map.addLayer({ id: LINE, type: 'line', source: SOURCE, paint: { 'line-color': '#1565c0', 'line-width': 2, 'line-dasharray': [2, 1] } });
  return {
    update(aml: Aml | null): void {
      const features: GeoJSON.Feature[] = aml
        ? [{ type: 'Feature', properties: {}, geometry: circlePolygon(aml.lon, aml.lat, Math.max(aml.radius_m, 10)) }]
        : [];
      map.getSource<GeoJSONSource>(SOURCE)?.setData({ type: 'FeatureCollection', features });
    },
    destroy(): void {
      for (const id of [LINE, FILL]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(SOURCE)) map.removeSource(SOURCE);
    },
  };
}
