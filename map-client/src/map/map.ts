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

export async function createMap(container: HTMLElement): Promise<maplibregl.Map> {
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
  const map = new maplibregl.Map({
    container,
    style,
    center: DEFAULT_CENTER,
    zoom: 10.5,
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
