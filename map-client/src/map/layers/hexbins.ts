//! H3 hexagon heat map from `GET /api/v1/reports/heatmap`: polygons with a `count`, filled by class (the same
//! whole-number classes the page's legend lists, so each colour means exactly what the legend says). Counts
//! are also listed in the legend's total.

import type { GeoJSONSource } from 'maplibre-gl';
import type { MlMap } from '../map';

export const HEXBINS_SOURCE = 'siaga-hexbins';
const FILL = 'siaga-hexbins-fill';
const LINE = 'siaga-hexbins-line';
export const HEAT_RAMP = ['#fdd0a2', '#fdae6b', '#fd8d3c', '#d94801', '#7f2704'];

/** The colour of class `i` of `n`: spread over the ramp, so two classes are light and dark, not two lights. */
export function heatColour(i: number, n: number): string {
  const at = n <= 1 ? HEAT_RAMP.length - 1 : Math.round((i * (HEAT_RAMP.length - 1)) / (n - 1));
  return HEAT_RAMP[at] ?? '#7f2704';
}

export function mountHexbins(map: MlMap) {
  map.addSource(HEXBINS_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: FILL, type: 'fill', source: HEXBINS_SOURCE, paint: { 'fill-color': HEAT_RAMP[0] ?? '#fff', 'fill-opacity': 0.75 } });
  map.addLayer({ id: LINE, type: 'line', source: HEXBINS_SOURCE, paint: { 'line-color': '#7f2704', 'line-width': 0.6 } });
  return {
    layerId: FILL,
    /** Draws the cells, coloured by the classes' lower bounds (`from` ascending). */
    update(data: GeoJSON.FeatureCollection, classes: readonly { from: number }[]): void {
      // One class is one colour: a `step` needs at least one stop.
      const step: unknown[] = ['step', ['get', 'count'], heatColour(0, classes.length)];
      classes.forEach((c, i) => {
        if (i > 0) step.push(c.from, heatColour(i, classes.length));
      });
      map.setPaintProperty(FILL, 'fill-color', (classes.length > 1 ? step : heatColour(0, 1)) as never);
      map.getSource<GeoJSONSource>(HEXBINS_SOURCE)?.setData(data);
    },
    destroy(): void {
      for (const id of [LINE, FILL]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(HEXBINS_SOURCE)) map.removeSource(HEXBINS_SOURCE);
    },
  };
}
