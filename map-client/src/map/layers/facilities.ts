//! Health facilities (faskes) from `GET /api/v1/geo/facilities.geojson`: a green cross icon per facility.

import type { GeoJSONSource } from 'maplibre-gl';
import type { MlMap } from '../map';

export const FACILITIES_SOURCE = 'siaga-facilities';
const ICON = 'siaga-facilities-icon';

export function mountFacilities(map: MlMap) {
  map.addSource(FACILITIES_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: ICON,
    type: 'symbol',
    source: FACILITIES_SOURCE,
    layout: { 'icon-image': ['concat', 'fac|', ['coalesce', ['get', 'kind'], 'health']], 'icon-allow-overlap': true },
  });
  return {
    layerId: ICON,
    update(data: GeoJSON.FeatureCollection): void {
      map.getSource<GeoJSONSource>(FACILITIES_SOURCE)?.setData(data);
    },
    setVisible(visible: boolean): void {
      map.setLayoutProperty(ICON, 'visibility', visible ? 'visible' : 'none');
    },
    destroy(): void {
      if (map.getLayer(ICON)) map.removeLayer(ICON);
      if (map.getSource(FACILITIES_SOURCE)) map.removeSource(FACILITIES_SOURCE);
    },
  };
}
