//! Region boundaries (kabupaten/kota, kecamatan or kelurahan) from `GET /api/v1/geo/regions.geojson`: an
//! outline and the region's name as text (glyphs from the Siaga origin), in colours that stand out from the
//! basemap in the light and the dark theme. Names are placed at one point per region (`labelPoint`): a
//! polygon labelled directly gets one label per tile it spans.

import type { GeoJSONSource } from 'maplibre-gl';
import type { MlMap } from '../map';
import { FONT_BOLD } from '../style';
import { mapTheme, onMapTheme, OVERLAY } from '../theme';

export const BOUNDARIES_SOURCE = 'siaga-boundaries';
const LABEL_SOURCE = 'siaga-boundaries-labels';
const FILL = 'siaga-boundaries-fill';
const LINE = 'siaga-boundaries-line';
export const BOUNDARIES_LABEL = 'siaga-boundaries-label';

export function mountBoundaries(map: MlMap) {
  const colours = OVERLAY[mapTheme()];
  map.addSource(BOUNDARIES_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addSource(LABEL_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: FILL, type: 'fill', source: BOUNDARIES_SOURCE, paint: { 'fill-color': colours.regionFill, 'fill-opacity': 0.08 } });
  map.addLayer({
    id: LINE,
    type: 'line',
    source: BOUNDARIES_SOURCE,
    paint: {
      'line-color': colours.regionLine,
      'line-width': ['match', ['get', 'level'], 'regency', 2.5, 1.2],
      'line-dasharray': ['match', ['get', 'level'], 'regency', ['literal', [1, 0]], ['literal', [3, 2]]],
    },
  });
  // One name per region, where it fits; kelurahan names only once the map is close enough to read them.
  map.addLayer({
    id: BOUNDARIES_LABEL,
    type: 'symbol',
    source: LABEL_SOURCE,
    filter: ['any', ['!=', ['get', 'level'], 'village'], ['>=', ['zoom'], 13]],
    layout: {
      'text-field': ['get', 'name'],
      'text-font': [FONT_BOLD],
      'text-size': ['interpolate', ['linear'], ['zoom'], 9, ['match', ['get', 'level'], 'regency', 15, 12], 14, ['match', ['get', 'level'], 'regency', 20, 15]],
      'text-transform': ['match', ['get', 'level'], 'regency', 'uppercase', 'none'],
      'text-letter-spacing': 0.04,
      'text-max-width': 9,
      'symbol-sort-key': ['match', ['get', 'level'], 'regency', 0, 'district', 1, 2],
      // Units and faskes are placed first; the name moves aside rather than vanishing under a badge.
      'text-variable-anchor': ['center', 'top', 'bottom', 'left', 'right'],
      'text-radial-offset': 1.2,
    },
    paint: { 'text-color': colours.regionLabel, 'text-halo-color': colours.regionLabelHalo, 'text-halo-width': 1.6, 'text-opacity': 0.9 },
  });
  const stopFollowing = onMapTheme((theme) => {
    const c = OVERLAY[theme];
    if (!map.getLayer(LINE)) return;
    map.setPaintProperty(FILL, 'fill-color', c.regionFill);
    map.setPaintProperty(LINE, 'line-color', c.regionLine);
    map.setPaintProperty(BOUNDARIES_LABEL, 'text-color', c.regionLabel);
    map.setPaintProperty(BOUNDARIES_LABEL, 'text-halo-color', c.regionLabelHalo);
  });
  return {
    update(data: GeoJSON.FeatureCollection): void {
      map.getSource<GeoJSONSource>(BOUNDARIES_SOURCE)?.setData(data);
      map.getSource<GeoJSONSource>(LABEL_SOURCE)?.setData(labelPoints(data));
    },
    setVisible(visible: boolean): void {
      for (const id of [FILL, LINE, BOUNDARIES_LABEL]) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
    },
    destroy(): void {
      stopFollowing();
      for (const id of [BOUNDARIES_LABEL, LINE, FILL]) if (map.getLayer(id)) map.removeLayer(id);
      for (const id of [BOUNDARIES_SOURCE, LABEL_SOURCE]) if (map.getSource(id)) map.removeSource(id);
    },
  };
}

type Ring = GeoJSON.Position[];

/** Signed area of a ring (shoelace, in squared degrees; only compared, so the projection does not matter). */
function ringArea(ring: Ring): number {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += ((ring[j]?.[0] ?? 0) - (ring[i]?.[0] ?? 0)) * ((ring[j]?.[1] ?? 0) + (ring[i]?.[1] ?? 0));
  return a / 2;
}

/** Where the horizontal line at `y` crosses the polygon's rings, sorted west to east. */
function crossings(rings: Ring[], y: number): number[] {
  const xs: number[] = [];
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi = 0, yi = 0] = ring[i] ?? [];
      const [xj = 0, yj = 0] = ring[j] ?? [];
      if (yi > y !== yj > y) xs.push(xi + ((y - yi) / (yj - yi)) * (xj - xi));
    }
  }
  return xs.sort((a, b) => a - b);
}

/**
 * A point inside a region to write its name at: on the horizontal line through the middle of its largest
 * polygon's bounding box, the middle of the widest stretch inside the polygon (so a concave region still gets
 * its name inside it).
 */
export function labelPoint(geometry: GeoJSON.Geometry | null): [number, number] | null {
  const polygons = geometry?.type === 'Polygon' ? [geometry.coordinates] : geometry?.type === 'MultiPolygon' ? geometry.coordinates : [];
  let best: Ring[] | null = null;
  let bestArea = 0;
  for (const p of polygons) {
    const area = Math.abs(ringArea(p[0] ?? []));
    if (area > bestArea) [best, bestArea] = [p, area];
  }
  const outer = best?.[0];
  if (!best || !outer) return null;
  const ys = outer.map((c) => c[1] ?? 0);
  const y = (Math.min(...ys) + Math.max(...ys)) / 2;
  const xs = crossings(best, y);
  let at: [number, number] | null = null;
  let widest = -1;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    const [a = 0, b = 0] = [xs[i], xs[i + 1]];
    if (b - a > widest) [widest, at] = [b - a, [(a + b) / 2, y]];
  }
  return at;
}

/** One point feature per region, carrying its properties, for the name labels. */
function labelPoints(data: GeoJSON.FeatureCollection): GeoJSON.FeatureCollection {
  const features: GeoJSON.Feature[] = [];
  for (const f of data.features) {
    const at = labelPoint(f.geometry);
    if (at) features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: f.properties });
  }
  return { type: 'FeatureCollection', features };
}
