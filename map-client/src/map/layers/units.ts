//! Units: a circle coloured by status plus a badge with call sign, status glyph and status word. Positions
//! glide to each new fix over `GLIDE_MS` and are pushed with `GeoJSONSource.updateData` (stable ids through
//! `promoteId`), coalesced to at most one call per animation frame for the whole source. A page that passes
//! `onSelect` hears which unit was clicked; the selected unit is outlined through feature state.

import type { GeoJSONSource, GeoJSONFeatureDiff, MapLayerMouseEvent } from 'maplibre-gl';
import type { Unit } from '../../api/types';
import type { MlMap } from '../map';
import { UNIT_STATUS_COLOUR, matchExpr } from '../symbology';

export const UNITS_SOURCE = 'siaga-units';
const CIRCLE = 'siaga-units-circle';
const LABEL = 'siaga-units-label';
const GLIDE_MS = 1000;

interface Glide {
  from: [number, number];
  to: [number, number];
  start: number;
}

function unitFeature(u: Unit): GeoJSON.Feature | null {
  if (!u.position) return null;
  return {
    type: 'Feature',
    id: u.id,
    geometry: { type: 'Point', coordinates: [u.position.lon, u.position.lat] },
    properties: { id: u.id, call_sign: u.call_sign, status: u.status, unit_type: u.unit_type },
  };
}

/** Mounts the units layer; `onSelect`, when given, is called with the id of a unit clicked on the map. */
export function mountUnits(map: MlMap, onSelect?: (id: string) => void) {
  map.addSource(UNITS_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'id' });
  map.addLayer({
    id: CIRCLE,
    type: 'circle',
    source: UNITS_SOURCE,
    paint: {
      'circle-radius': 7,
      'circle-color': matchExpr('status', UNIT_STATUS_COLOUR, '#424242') as never,
      'circle-stroke-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#0d47a1', '#ffffff'],
      'circle-stroke-width': ['case', ['boolean', ['feature-state', 'selected'], false], 4, 2],
    },
  });
  map.addLayer({
    id: LABEL,
    type: 'symbol',
    source: UNITS_SOURCE,
    layout: {
      'icon-image': ['concat', 'unit|', ['get', 'call_sign'], '|', ['get', 'status']],
      'icon-anchor': 'top',
      'icon-offset': [0, 9],
      'icon-allow-overlap': true,
    },
  });

  const click = (e: MapLayerMouseEvent) => {
    const id = e.features?.[0]?.properties?.['id'];
    if (typeof id === 'string') onSelect?.(id);
  };
  if (onSelect) {
    map.on('click', CIRCLE, click);
    map.on('click', LABEL, click);
  }
  let selected: string | null = null;
  const source = () => map.getSource<GeoJSONSource>(UNITS_SOURCE);
  const shown = new Map<string, [number, number]>();
  const glides = new Map<string, Glide>();
  const pendingProps = new Map<string, { key: string; value: unknown }[]>();
  let frame: number | null = null;

  const tick = (now: number) => {
    frame = null;
    const update: GeoJSONFeatureDiff[] = [];
    for (const [id, g] of glides) {
      const k = Math.min(1, (now - g.start) / GLIDE_MS);
      const ease = k * (2 - k);
      const pos: [number, number] = [g.from[0] + (g.to[0] - g.from[0]) * ease, g.from[1] + (g.to[1] - g.from[1]) * ease];
      shown.set(id, pos);
      const diff: GeoJSONFeatureDiff = { id, newGeometry: { type: 'Point', coordinates: pos } };
      const props = pendingProps.get(id);
      if (props) {
        diff.addOrUpdateProperties = props;
        pendingProps.delete(id);
      }
      update.push(diff);
      if (k >= 1) glides.delete(id);
    }
    for (const [id, props] of pendingProps) update.push({ id, addOrUpdateProperties: props });
    pendingProps.clear();
    if (update.length > 0) void source()?.updateData({ update });
    if (glides.size > 0) schedule();
  };
  const schedule = () => {
    if (frame === null) frame = requestAnimationFrame(tick);
  };

  return {
    /** Replaces all units (snapshot). */
    update(units: Unit[]): void {
      glides.clear();
      pendingProps.clear();
      shown.clear();
      const features = units.map(unitFeature).filter((f): f is GeoJSON.Feature => f !== null);
      for (const u of units) if (u.position) shown.set(u.id, [u.position.lon, u.position.lat]);
      source()?.setData({ type: 'FeatureCollection', features });
      if (selected && shown.has(selected)) map.setFeatureState({ source: UNITS_SOURCE, id: selected }, { selected: true });
    },
    /** Outlines the selected unit (null: none). */
    select(id: string | null): void {
      if (selected && shown.has(selected)) map.setFeatureState({ source: UNITS_SOURCE, id: selected }, { selected: false });
      selected = id;
      if (id && shown.has(id)) map.setFeatureState({ source: UNITS_SOURCE, id }, { selected: true });
    },
    /** Glides one unit to a new position; adds it when it had none. */
    move(unit: Unit, lon: number, lat: number): void {
      const from = shown.get(unit.id);
      if (!from) {
        const f = unitFeature({ ...unit, position: { lon, lat } });
        shown.set(unit.id, [lon, lat]);
        if (f) void source()?.updateData({ add: [f] });
        return;
      }
      glides.set(unit.id, { from, to: [lon, lat], start: performance.now() });
      schedule();
    },
    setStatus(unitId: string, status: string): void {
      if (!shown.has(unitId)) return;
      pendingProps.set(unitId, [{ key: 'status', value: status }]);
      schedule();
    },
    setVisible(visible: boolean): void {
      for (const id of [CIRCLE, LABEL]) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
    },
    destroy(): void {
      if (frame !== null) cancelAnimationFrame(frame);
      map.off('click', CIRCLE, click);
      map.off('click', LABEL, click);
      for (const id of [LABEL, CIRCLE]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(UNITS_SOURCE)) map.removeSource(UNITS_SOURCE);
    },
  };
}
