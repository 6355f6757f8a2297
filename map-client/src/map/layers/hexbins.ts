//! H3 hexagon heat map from `GET /api/v1/reports/heatmap`: polygons with a `count`, filled on a sequential
//! scale scaled to the period's maximum. Counts are also listed in the page's legend and on hover.

import type { GeoJSONSource } from 'maplibre-gl';
import type { MlMap } from '../map';

export const HEXBINS_SOURCE = 'siaga-hexbins';
const FILL = 'siaga-hexbins-fill';
const LINE = 'siaga-hexbins-line';
export const HEAT_RAMP = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704'];

export function mountHexbins(map: MlMap) {
  map.addSource(HEXBINS_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: FILL, type: 'fill', source: HEXBINS_SOURCE, paint: { 'fill-color': HEAT_RAMP[0] ?? '#fff', 'fill-opacity': 0.75 } });
  map.addLayer({ id: LINE, type: 'line', source: HEXBINS_SOURCE, paint: { 'line-color': '#7f2704', 'line-width': 0.6 } });
  return {
    layerId: FILL,
    update(data: GeoJSON.FeatureCollection): number {
      const max = Math.max(1, ...data.features.map((f) => Number(f.properties?.['count'] ?? 0)));
      const stops: unknown[] = ['interpolate', ['linear'], ['get', 'count']];
      HEAT_RAMP.forEach((c, i) => stops.push((max * i) / (HEAT_RAMP.length - 1), c));
      map.setPaintProperty(FILL, 'fill-color', stops as never);
      map.getSource<GeoJSONSource>(HEXBINS_SOURCE)?.setData(data);
      return max;
    },
    destroy(): void {
      for (const id of [LINE, FILL]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(HEXBINS_SOURCE)) map.removeSource(HEXBINS_SOURCE);
    },
  };
}
