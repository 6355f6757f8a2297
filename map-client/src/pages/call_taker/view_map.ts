//! The incident pin on the call taker's map: a click on the map or a drag of the marker picks the location;
//! the marker follows `draft.pin` and leaves the map when the draft has none.

import type { LonLat } from '../../api/types';
import { maplibregl, type MlMap } from '../../map/map';
import type { CallTakerState } from './state';

export function mountPin(map: MlMap, onPick: (pin: LonLat) => void) {
  const marker = new maplibregl.Marker({ draggable: true, color: '#b71c1c' });
  marker.on('dragend', () => {
    const ll = marker.getLngLat();
    onPick({ lon: ll.lng, lat: ll.lat });
  });
  map.on('click', (e) => onPick({ lon: e.lngLat.lng, lat: e.lngLat.lat }));
  return {
    render(state: CallTakerState, prev: CallTakerState | null): void {
      const pin = state.work.draft.pin;
      if (prev && prev.work.draft.pin === pin) return;
      if (pin) marker.setLngLat([pin.lon, pin.lat]).addTo(map);
      else marker.remove();
    },
  };
}
