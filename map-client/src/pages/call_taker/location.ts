//! Finding the incident's location, the console's I/O side of it: setting the pin looks up its region and
//! receiving agencies and then possible duplicates; the address search asks the gazetteer 200 ms after the
//! last keystroke. Results go into the store; `state.ts` drops answers that arrive for a pin or a query
//! that has since changed.

import { get, getOptional } from '../../api/client';
import type { DuplicateView, Located, LonLat, PlaceView } from '../../api/types';
import type { MlMap } from '../../map/map';
import type { Store } from '../store';
import {
  type CallTakerState,
  duplicatesFailed,
  duplicatesLoaded,
  pinSet,
  placeChosen,
  placeSearchCleared,
  placeSearchFailed,
  placeSearchStarted,
  placesFound,
  regionFailed,
  regionLocated,
  searchNear,
} from './state';

const SEARCH_DELAY_MS = 200;

export function locating(store: Store<CallTakerState>, map: MlMap) {
  async function setPin(p: LonLat): Promise<void> {
    const seq = store.update((s) => pinSet(s, p)).locateSeq;
    try {
      const loc = await getOptional<Located>(`/api/v1/geo/locate?lat=${p.lat}&lon=${p.lon}`);
      store.update((s) => regionLocated(s, seq, loc));
      if (store.get().locateSeq !== seq) return;
    } catch (e) {
      store.update((s) => regionFailed(s, seq, e));
    }
    await refreshDuplicates();
  }

  async function refreshDuplicates(): Promise<void> {
    const { pin, category } = store.get().draft;
    if (!pin) return;
    try {
      const list = await getOptional<DuplicateView[]>(`/api/v1/incidents/duplicates?lon=${pin.lon}&lat=${pin.lat}&category=${encodeURIComponent(category)}`);
      store.update((s) => duplicatesLoaded(s, pin, list));
    } catch (e) {
      store.update((s) => duplicatesFailed(s, pin, e));
    }
  }

  let timer: ReturnType<typeof setTimeout> | null = null;
  function searchPlaces(query: string): void {
    if (timer) clearTimeout(timer);
    if (query.length < 2) {
      store.update(placeSearchCleared);
      return;
    }
    timer = setTimeout(() => {
      const s = store.update(placeSearchStarted);
      const seq = s.places.seq;
      // Same-named places recur across the archipelago: rank those near the caller's AML fix (or the map) first.
      const near = searchNear(s, { lon: map.getCenter().lng, lat: map.getCenter().lat });
      get<PlaceView[]>(`/api/v1/geo/search?q=${encodeURIComponent(query)}&lon=${near.lon}&lat=${near.lat}`)
        .then((found) => store.update((st) => placesFound(st, seq, found)))
        .catch((e: unknown) => store.update((st) => placeSearchFailed(st, seq, e)));
    }, SEARCH_DELAY_MS);
  }

  function choosePlace(p: PlaceView): void {
    if (timer) clearTimeout(timer);
    store.update((s) => placeChosen(s, p));
    map.flyTo({ center: [p.position.lon, p.position.lat], zoom: p.kind === 'facility' ? 16 : 14 });
    void setPin(p.position);
  }

  return { setPin, refreshDuplicates, searchPlaces, choosePlace };
}
