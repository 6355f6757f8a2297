//! Region boundaries (kabupaten/kota or kecamatan) from `GET /api/v1/geo/regions.geojson`.

import type { MlMap } from '../map';

export const BOUNDARIES_SOURCE = 'siaga-boundaries';
const FILL = 'siaga-boundaries-fill';
const LINE = 'siaga-boundaries-line';

export function mountBoundaries(map: MlMap) {
  map.addSource(BOUNDARIES_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: FILL, type: 'fill', source: BOUNDARIES_SOURCE, paint: { 'fill-color': '#90a4ae', 'fill-opacity': 0.08 } });
  map.addLayer({
    id: LINE,
    type: 'line',
    source: BOUNDARIES_SOURCE,
    paint: {
      'line-color': '#455a64',
      'line-width': ['match', ['get', 'level'], 'regency', 2.5, 1.2],
      'line-dasharray': ['match', ['get', 'level'], 'regency', ['literal', [1, 0]], ['literal', [3, 2]]],
    },
  });
  return {
    update(data: GeoJSON.FeatureCollection): void {
      map.getSource<import('maplibre-gl').GeoJSONSource>(BOUNDARIES_SOURCE)?.setData(data);
    },
    setVisible(visible: boolean): void {
      for (const id of [FILL, LINE]) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
    },
    destroy(): void {
      for (const id of [LINE, FILL]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(BOUNDARIES_SOURCE)) map.removeSource(BOUNDARIES_SOURCE);
    },
  };
}
