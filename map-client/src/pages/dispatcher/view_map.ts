//! Keeps the dispatcher's map layers in step with the state: the queue's incidents and the selection on the
//! incidents layer; units added, restyled or glided on the units layer from the difference between two states.

import type { mountIncidents } from '../../map/layers/incidents';
import type { mountUnits } from '../../map/layers/units';
import { type DispatcherState, queue } from './state';

export interface DispatchLayers {
  incidents: ReturnType<typeof mountIncidents>;
  units: ReturnType<typeof mountUnits>;
}

export function syncMap(layers: DispatchLayers, state: DispatcherState, prev: DispatcherState | null): void {
  if (!prev || queue(prev) !== queue(state)) layers.incidents.update(queue(state));
  if (!prev || prev.selected !== state.selected) layers.incidents.select(state.selected);
  if (!prev || prev.units !== state.units) syncUnits(layers.units, state, prev);
  if (!prev || prev.selectedUnit !== state.selectedUnit) layers.units.select(state.selectedUnit);
}

function syncUnits(layer: DispatchLayers['units'], state: DispatcherState, prev: DispatcherState | null): void {
  const before = prev?.units;
  if (!before || before.size !== state.units.size || [...state.units.keys()].some((id) => !before.has(id))) {
    // A unit came or went (or the first snapshot): redraw the source.
    layer.update([...state.units.values()]);
    return;
  }
  for (const [id, u] of state.units) {
    const old = before.get(id);
    if (!old || old === u) continue;
    if (old.status !== u.status) layer.setStatus(id, u.status);
    if (u.position && (u.position.lon !== old.position?.lon || u.position.lat !== old.position?.lat)) layer.move(u, u.position.lon, u.position.lat);
  }
}
