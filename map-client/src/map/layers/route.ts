//! A unit's route to the incident (a GeoJSON LineString from `GET /incidents/{id}/route`), drawn under the
//! units and incidents: solid when it follows the roads, dashed for the straight-line fallback.

import type { GeoJSONSource } from 'maplibre-gl';
import type { RouteView } from '../../api/types';
import type { MlMap } from '../map';

export const ROUTE_SOURCE = 'siaga-route';
const CASING = 'siaga-route-casing';
const LINE = 'siaga-route-line';

export function mountRoute(map: MlMap) {
  map.addSource(ROUTE_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  const before = map.getLayer('siaga-units') ? 'siaga-units' : undefined;
  map.addLayer(
    { id: CASING, type: 'line', source: ROUTE_SOURCE, layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': '#ffffff', 'line-width': 8, 'line-opacity': 0.9 } },
    before,
  );
  map.addLayer(
    {
      id: LINE,
      type: 'line',
      source: ROUTE_SOURCE,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': ['match', ['get', 'basis'], 'road', '#6a1b9a', '#757575'],
        'line-width': 5,
        'line-dasharray': ['match', ['get', 'basis'], 'road', ['literal', [1, 0]], ['literal', [2, 2]]],
      },
    },
    before,
  );
  return {
    update(route: RouteView | null): void {
      const features: GeoJSON.Feature[] = route
        ? [
            {
              type: 'Feature',
              properties: {
                unit_id: route.properties.unit_id,
                basis: route.properties.basis,
                travel_time_s: route.properties.travel_time_s,
                route_m: route.properties.route_m,
              },
              geometry: { type: 'LineString', coordinates: route.geometry.coordinates },
            },
          ]
        : [];
      map.getSource<GeoJSONSource>(ROUTE_SOURCE)?.setData({ type: 'FeatureCollection', features });
    },
    destroy(): void {
      for (const id of [LINE, CASING]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(ROUTE_SOURCE)) map.removeSource(ROUTE_SOURCE);
    },
  };
}
