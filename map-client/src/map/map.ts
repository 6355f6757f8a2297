//! `createMap()`: the only place that constructs a `maplibregl.Map`. It sets the self-hosted worker URL
//! (MapLibre v6 cannot find its worker inside a bundle), picks the style (plain or offline PMTiles) in the
//! device's theme (`theme.ts`), follows theme switches by replacing only the base layers under Siaga's, shows
//! the data's attribution, and installs the icon resolver that draws Siaga's badges on a canvas.

import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { drawIcon } from './icons';
import { loadClientConfig, styleFor, type MapTheme } from './style';
import { mapTheme, onMapTheme } from './theme';

export { maplibregl };
export type MlMap = maplibregl.Map;

/** Default view: the demo centre (Kelapa Gading and Cakung, Jakarta). Pages fit to their data once it arrives. */
export const DEFAULT_CENTER: [number, number] = [106.915, -6.175];

let workerSet = false;

/** Where a page's map was last left on this device (see `createMap`'s `remember`). */
const VIEW_KEY = 'siaga.mapView.';
const restoredMaps = new WeakSet<maplibregl.Map>();

/** The view saved under `key`, if it is one (anything else in storage is ignored). */
export function parseSavedView(raw: string | null): { center: [number, number]; zoom: number } | null {
  try {
    const v: unknown = JSON.parse(raw ?? 'null');
    if (typeof v !== 'object' || v === null) return null;
    const { center, zoom } = v as { center?: unknown; zoom?: unknown };
    if (!Array.isArray(center) || center.length !== 2 || typeof zoom !== 'number' || !Number.isFinite(zoom)) return null;
    const [lon, lat] = center as unknown[];
    if (typeof lon !== 'number' || typeof lat !== 'number' || Math.abs(lon) > 180 || Math.abs(lat) > 85) return null;
    return { center: [lon, lat], zoom };
  } catch {
    return null;
  }
}

/** Whether the map opened where it was last left (a page then keeps that view instead of fitting to its data). */
export function openedOnSavedView(map: maplibregl.Map): boolean {
  return restoredMaps.has(map);
}

/**
 * Creates a page's map. With `remember` (a key naming the page and the user), the view is saved on this device
 * whenever it stops moving, and the next load opens there: a desk that reloads, or logs in again, finds the
 * streets it was watching instead of the whole city.
 */
export async function createMap(container: HTMLElement, remember?: string): Promise<maplibregl.Map> {
  if (!workerSet) {
    maplibregl.setWorkerUrl(new URL(workerUrl, location.href).toString());
    workerSet = true;
  }
  let theme = mapTheme();
  const base = await styleFor(await loadClientConfig(), theme);
  const { style, register } = base;
  register?.(maplibregl);
  container.dataset['basemap'] = register ? 'pmtiles' : 'plain';
  container.dataset['mapTheme'] = theme;
  const saved = remember ? parseSavedView(localStorage.getItem(VIEW_KEY + remember)) : null;
  const map = new maplibregl.Map({
    container,
    style,
    center: saved?.center ?? DEFAULT_CENTER,
    zoom: saved?.zoom ?? 10.5,
    attributionControl: false,
    // Icons are drawn locally; nothing in the style may point off the origin.
    transformRequest: (url) => {
      const u = new URL(url, location.href);
      if (u.origin !== location.origin && !url.startsWith('pmtiles://') && !url.startsWith('blob:')) {
        throw new Error(`refusing off-origin map request ${u.origin}`);
      }
      return { url };
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  // Lists the attribution of every source on show: OpenStreetMap for the basemap, the regions' source.
  map.addControl(new maplibregl.AttributionControl({ compact: false }), 'bottom-right');
  map.setMissingStyleImageResolver((id) => {
    const icon = drawIcon(id);
    if (icon && !map.hasImage(id)) map.addImage(id, icon.data, { pixelRatio: icon.pixelRatio });
  });
  /** Replaces the base layers (everything under Siaga's first layer) with those of `next`. */
  const applyTheme = (next: MapTheme): void => {
    if (next === theme) return;
    const oldIds = new Set(base.layersFor(theme).map((l) => l.id));
    const before = map.getLayersOrder().find((id) => !oldIds.has(id));
    for (const id of oldIds) if (map.getLayer(id)) map.removeLayer(id);
    for (const layer of base.layersFor(next)) map.addLayer(layer, before);
    theme = next;
    container.dataset['mapTheme'] = next;
  };
  if (saved) restoredMaps.add(map);
  if (remember) {
    map.on('moveend', () => {
      const c = map.getCenter();
      try {
        localStorage.setItem(VIEW_KEY + remember, JSON.stringify({ center: [c.lng, c.lat], zoom: map.getZoom() }));
      } catch {
        // Storage full or denied: the next load fits to the data as without a saved view.
      }
    });
  }
  // Browser tests read the style and the rendered features through the container.
  Object.defineProperty(container, 'maplibreMap', { value: map });
  await new Promise<void>((resolve) => {
    if (map.loaded()) resolve();
    else map.once('load', () => resolve());
  });
  // Layers can only be swapped once the style is loaded; a switch made while it loaded is caught up here.
  const stopFollowing = onMapTheme(applyTheme);
  map.once('remove', stopFollowing);
  applyTheme(mapTheme());
  return map;
}

/** Fits the map to a set of positions (no-op when empty). */
export function fitTo(map: maplibregl.Map, points: { lon: number; lat: number }[], maxZoom = 14): void {
  if (points.length === 0) return;
  const b = new maplibregl.LngLatBounds();
  for (const p of points) b.extend([p.lon, p.lat]);
  map.fitBounds(b, { padding: 48, maxZoom, duration: 0 });
}

/** Bounds of a GeoJSON FeatureCollection's coordinates (for fitting to region boundaries). */
export function geojsonPoints(fc: GeoJSON.FeatureCollection): { lon: number; lat: number }[] {
  const out: { lon: number; lat: number }[] = [];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') out.push({ lon: c[0], lat: c[1] });
    else if (Array.isArray(c)) c.forEach(walk);
  };
  for (const f of fc.features) if (f.geometry && 'coordinates' in f.geometry) walk(f.geometry.coordinates);
  return out;
}
