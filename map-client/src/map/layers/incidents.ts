//! Incidents: a circle coloured by priority with a ring by status, and a badge icon with the priority, a
//! status glyph and the status word (colour is never the only signal). Selection uses feature-state.

import type { GeoJSONSource, MapLayerMouseEvent } from 'maplibre-gl';
import type { IncidentView } from '../../api/types';
import type { MlMap } from '../map';
import { PRIORITY_COLOUR, matchExpr } from '../symbology';

export const INCIDENTS_SOURCE = 'siaga-incidents';
export const INCIDENTS_CIRCLE = 'siaga-incidents-circle';
const BADGE = 'siaga-incidents-badge';

export function incidentFeature(i: IncidentView): GeoJSON.Feature {
  return {
    type: 'Feature',
    id: i.id,
    geometry: { type: 'Point', coordinates: [i.location.lon, i.location.lat] },
    properties: { id: i.id, number: i.number, priority: i.priority, status: i.status, category: i.category },
  };
}

export function mountIncidents(map: MlMap, onSelect: (id: string) => void) {
  map.addSource(INCIDENTS_SOURCE, {
    type: 'geojson',
    data: { type: 'FeatureCollection', features: [] },
    promoteId: 'id',
  });
  map.addLayer({
    id: INCIDENTS_CIRCLE,
    type: 'circle',
    source: INCIDENTS_SOURCE,
    paint: {
      'circle-radius': ['case', ['boolean', ['feature-state', 'selected'], false], 13, 9],
      'circle-color': matchExpr('priority', PRIORITY_COLOUR, '#424242') as never,
      'circle-stroke-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#000000', '#ffffff'],
      'circle-stroke-width': ['match', ['get', 'status'], 'new', 3, 'escalated', 3, 2],
    },
  });
  map.addLayer({
    id: BADGE,
    type: 'symbol',
    source: INCIDENTS_SOURCE,
    layout: {
      'icon-image': ['concat', 'inc|', ['get', 'priority'], '|', ['get', 'status']],
      'icon-anchor': 'bottom',
      'icon-offset': [0, -12],
      'icon-allow-overlap': true,
    },
  });
  const click = (e: MapLayerMouseEvent) => {
    const id = e.features?.[0]?.properties?.['id'];
    if (typeof id === 'string') onSelect(id);
  };
  map.on('click', INCIDENTS_CIRCLE, click);
  map.on('click', BADGE, click);
  const pointer = () => (map.getCanvas().style.cursor = 'pointer');
  const plain = () => (map.getCanvas().style.cursor = '');
  map.on('mouseenter', INCIDENTS_CIRCLE, pointer);
  map.on('mouseleave', INCIDENTS_CIRCLE, plain);
  let selected: string | null = null;
  return {
    update(incidents: IncidentView[]): void {
      map.getSource<GeoJSONSource>(INCIDENTS_SOURCE)?.setData({ type: 'FeatureCollection', features: incidents.map(incidentFeature) });
      if (selected) map.setFeatureState({ source: INCIDENTS_SOURCE, id: selected }, { selected: true });
    },
    select(id: string | null): void {
      if (selected) map.setFeatureState({ source: INCIDENTS_SOURCE, id: selected }, { selected: false });
      selected = id;
      if (id) map.setFeatureState({ source: INCIDENTS_SOURCE, id }, { selected: true });
    },
    setVisible(visible: boolean): void {
      for (const id of [INCIDENTS_CIRCLE, BADGE]) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
    },
    destroy(): void {
      map.off('click', INCIDENTS_CIRCLE, click);
      map.off('click', BADGE, click);
      for (const id of [BADGE, INCIDENTS_CIRCLE]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(INCIDENTS_SOURCE)) map.removeSource(INCIDENTS_SOURCE);
    },
  };
}
