//! Coverage (`GET /api/v1/coverage`): the H3 cells reachable within the arrival target from the available units
//! of one type, drawn as a translucent green fill under the units and incidents; hidden while the toggle is off.

import type { GeoJSONSource } from 'maplibre-gl';
import type { MlMap } from '../map';

export const COVERAGE_SOURCE = 'siaga-coverage';
const FILL = 'siaga-coverage-fill';
const LINE = 'siaga-coverage-line';
const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

export function mountCoverage(map: MlMap) {
  map.addSource(COVERAGE_SOURCE, { type: 'geojson', data: EMPTY });
  const before = map.getLayer('siaga-units') ? 'siaga-units' : undefined;
  map.addLayer({ id: FILL, type: 'fill', source: COVERAGE_SOURCE, paint: { 'fill-color': '#2e7d32', 'fill-opacity': 0.35 } }, before);
  map.addLayer({ id: LINE, type: 'line', source: COVERAGE_SOURCE, paint: { 'line-color': '#1b5e20', 'line-width': 0.4, 'line-opacity': 0.5 } }, before);
  return {
    layerId: FILL,
    /** Draws the reachable cells; `null` clears the layer (toggle off). */
    update(data: GeoJSON.FeatureCollection | null): void {
      map.getSource<GeoJSONSource>(COVERAGE_SOURCE)?.setData(data ?? EMPTY);
    },
    destroy(): void {
      for (const id of [LINE, FILL]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(COVERAGE_SOURCE)) map.removeSource(COVERAGE_SOURCE);
    },
  };
}
