//! Finding the incident's location, the console's I/O side of it: setting the pin looks up its region and the
//! OPDs an incident of the chosen category goes to there, then possible duplicates; a new category or victims
//! count asks again for the same pin. The address search asks the gazetteer 200 ms after the last keystroke.
//! Results go into the store; `state.ts` drops answers that arrive for a pin or a query that has since changed.

import { get, getOptional } from '../../api/client';
import type { DuplicateView, Located, LonLat, PlaceView } from '../../api/types';
import type { MlMap } from '../../map/map';
import type { Store } from '../store';
import {
  type CallTakerState,
  duplicatesFailed,
  duplicatesLoaded,
  locateAsked,
  locateQuery,
  pinSet,
  placeChosen,
  placeSearchCleared,
  placeSearchFailed,
  placeSearchStarted,
  placesFound,
  regionFailed,
  regionIsCurrent,
  regionLocated,
  relocating,
  searchNear,
} from './state';

const SEARCH_DELAY_MS = 200;
/** How close the map goes to a chosen place: a street or landmark is checked against the buildings around it. */
const PLACE_ZOOM: Record<string, number> = { facility: 16, street: 17, poi: 17 };

export function locating(store: Store<CallTakerState>, map: () => MlMap) {
  async function locate(): Promise<boolean> {
    const s = store.get();
    const query = locateQuery(s.work);
    if (!query) return false;
    const seq = s.work.locateSeq;
    const asked = locateAsked(s.work);
    try {
      const loc = await getOptional<Located>(`/api/v1/geo/locate?${query}`);
      store.update((st) => regionLocated(st, seq, loc, asked));
      return store.get().work.locateSeq === seq;
    } catch (e) {
      store.update((st) => regionFailed(st, seq, e));
      return false;
    }
  }

  async function setPin(p: LonLat): Promise<void> {
    store.update((s) => pinSet(s, p));
    if (await locate()) await refreshDuplicates();
  }

  /** The category or victims changed: the receiving OPDs (and duplicates, by category) are asked again. */
  async function draftChanged(categoryChanged: boolean): Promise<void> {
    const s = store.get();
    if (!s.work.draft.pin) return;
    if (!regionIsCurrent(s.work) || categoryChanged) {
      store.update(relocating);
      await locate();
    }
    if (categoryChanged) await refreshDuplicates();
  }

  async function refreshDuplicates(): Promise<void> {
    const { pin, category } = store.get().work.draft;
    if (!pin || !category) return;
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
      const seq = s.work.places.seq;
      // Same-named places recur across the archipelago: rank those near the caller's AML fix (or the map) first.
      const centre = map().getCenter();
      const near = searchNear(s, { lon: centre.lng, lat: centre.lat });
      get<PlaceView[]>(`/api/v1/geo/search?q=${encodeURIComponent(query)}&lon=${near.lon}&lat=${near.lat}`)
        .then((found) => store.update((st) => placesFound(st, seq, found)))
        .catch((e: unknown) => store.update((st) => placeSearchFailed(st, seq, e)));
    }, SEARCH_DELAY_MS);
  }

  function choosePlace(p: PlaceView): void {
    if (timer) clearTimeout(timer);
    store.update((s) => placeChosen(s, p));
    map().flyTo({ center: [p.position.lon, p.position.lat], zoom: PLACE_ZOOM[p.kind] ?? 14 });
    void setPin(p.position);
  }

  return { setPin, draftChanged, refreshDuplicates, searchPlaces, choosePlace };
}
