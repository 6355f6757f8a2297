//! The base style, in a light (day) and a dark (night shift) theme. Without configuration: a plain
//! background, nothing fetched but glyphs. When the server's client config names an offline PMTiles archive
//! (served from the Siaga origin), the Protomaps basemap layers are drawn from it, labels included: street
//! names along roads, place and POI names, in Indonesian where the data has it.
//!
//! Everything comes from the Siaga origin: glyphs are the SDF ranges under `/glyphs/` (generated from Debian's
//! Noto Sans by `scripts/glyphs`); there is no sprite, so the Protomaps layers that only draw icons (one-way
//! arrows, road shields) are left out and the others keep their text without the icon. Siaga's own badges
//! are still drawn on a canvas (`icons.ts`).

import type { LayerSpecification, StyleSpecification } from 'maplibre-gl';
import type { Flavor } from '@protomaps/basemaps';
import { getOptional } from '../api/client';
import type { ClientConfig } from '../api/types';

export type MapTheme = 'light' | 'dark';

/** Background of the plain style (no basemap configured), per theme. */
export const BACKGROUND_COLOUR: Record<MapTheme, string> = { light: '#eef1f4', dark: '#24272c' };

/** Font stacks there are glyph ranges for (`map-client/public/glyphs/<stack>/`). */
export const FONT_REGULAR = 'Noto Sans Regular';
export const FONT_ITALIC = 'Noto Sans Italic';
export const FONT_BOLD = 'Noto Sans Bold';

/** Same-origin glyphs URL (MapLibre wants it absolute). */
export function glyphsUrl(): string {
  return `${location.origin}/glyphs/{fontstack}/{range}.pbf`;
}

/** Credit for the basemap's data; shown whenever the basemap is. */
export const OSM_ATTRIBUTION = '© OpenStreetMap contributors';

export function plainStyle(theme: MapTheme = 'light'): StyleSpecification {
  return {
    version: 8,
    glyphs: glyphsUrl(),
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOUR[theme] } }],
  };
}

/** What a server without `GET /api/v1/client-config` (404) offers: no basemap, no programmes, no Web Push. */
const NO_CLIENT_CONFIG: ClientConfig = {
  basemap_pmtiles_url: null,
  follow_up_lines: [],
  tiered_lines: [],
  vapid_public_key: null,
  realert_s: 30,
};

/** Reads `GET /api/v1/client-config`; a 404 (not deployed yet) or a failure means the defaults above. */
export async function loadClientConfig(): Promise<ClientConfig> {
  try {
    return (await getOptional<ClientConfig>('/api/v1/client-config')) ?? NO_CLIENT_CONFIG;
  } catch {
    return NO_CLIENT_CONFIG;
  }
}

/** Whether a URL points at this origin (anything else is refused: the centre may have no internet). */
export function isSameOrigin(url: string): boolean {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

/** Id of the basemap's vector source in the style (the Protomaps layers read from it). */
export const BASEMAP_SOURCE = 'protomaps';

type Basemaps = typeof import('@protomaps/basemaps');

/**
 * Label colours with more contrast than the Protomaps flavours, which are made to stay in the background:
 * a dispatcher reads street names from a metre away, and at night on a dimmed screen.
 */
const READABLE: Record<MapTheme, Partial<Flavor>> = {
  light: {
    roads_label_minor: '#4f4649',
    roads_label_major: '#3f383a',
    subplace_label: '#575757',
    city_label: '#2e2e2e',
    state_label: '#7a7a7a',
    address_label: '#6b6466',
    ocean_label: '#4d6bb8',
  },
  dark: {
    minor_a: '#454545',
    minor_b: '#3d3d3d',
    major: '#4f4f4f',
    highway: '#5c5c5c',
    link: '#4f4f4f',
    roads_label_minor: '#b0b0b0',
    roads_label_major: '#c4c4c4',
    subplace_label: '#a3a3a3',
    city_label: '#dedede',
    state_label: '#8f8f8f',
    country_label: '#a3a3a3',
    address_label: '#8f8f8f',
    ocean_label: '#9aa6c0',
  },
};

/** How much larger than the Protomaps defaults labels are drawn, per layer. */
const LABEL_SCALE: Record<string, number> = {
  roads_labels_minor: 1.25,
  roads_labels_major: 1.3,
  places_subplace: 1.2,
  places_locality: 1.15,
  pois: 1.2,
  water_waterway_label: 1.15,
};

/** Protomaps layers that draw only an icon from a sprite (none is served): left out. */
const ICON_ONLY = new Set(['roads_oneway', 'roads_shields']);

/**
 * The fonts the Protomaps style names that have no glyph ranges here: Noto Sans Medium is not in Debian's
 * `fonts-noto-core`, so Bold stands in; Devanagari names (not drawn in Indonesia) fall back to Regular.
 */
const FONT_SUBSTITUTES: Record<string, string> = {
  'Noto Sans Medium': FONT_BOLD,
  'Noto Sans Devanagari Regular v1': FONT_REGULAR,
};

/** Multiplies a `text-size` value (number, zoom curve or data expression) by `k`. */
export function scaleSize(value: unknown, k: number): unknown {
  if (typeof value === 'number') return Math.round(value * k * 10) / 10;
  if (!Array.isArray(value)) return value;
  const [op] = value;
  if (op === 'interpolate' || op === 'interpolate-hcl' || op === 'interpolate-lab') {
    // [op, curve, input, stop, out, stop, out, …]: scale the outputs, keep the stops.
    return value.map((v, i) => (i >= 4 && i % 2 === 0 ? scaleSize(v, k) : v));
  }
  if (op === 'step') {
    // ['step', input, out0, stop, out, …]
    return value.map((v, i) => (i >= 2 && i % 2 === 0 ? scaleSize(v, k) : v));
  }
  return ['*', k, value];
}

function withSubstitutedFonts(layer: LayerSpecification): LayerSpecification {
  let text = JSON.stringify(layer);
  for (const [from, to] of Object.entries(FONT_SUBSTITUTES)) text = text.split(JSON.stringify(from)).join(JSON.stringify(to));
  return JSON.parse(text) as LayerSpecification;
}

/** Drops the icon part of a symbol layer (no sprite is served), keeping its text. */
function withoutIcons(layer: LayerSpecification): LayerSpecification {
  if (layer.type !== 'symbol') return layer;
  const layout = Object.fromEntries(Object.entries(layer.layout ?? {}).filter(([k]) => !k.startsWith('icon-')));
  const paint = Object.fromEntries(Object.entries(layer.paint ?? {}).filter(([k]) => !k.startsWith('icon-')));
  return { ...layer, layout, paint } as LayerSpecification;
}

function withLargerText(layer: LayerSpecification): LayerSpecification {
  const k = LABEL_SCALE[layer.id];
  if (layer.type !== 'symbol' || !k) return layer;
  // Protomaps road labels leave `text-size` at MapLibre's default of 16 only where they set none.
  const size = layer.layout?.['text-size'] ?? 16;
  return { ...layer, layout: { ...layer.layout, 'text-size': scaleSize(size, k) as never } };
}

/** The Protomaps basemap layers for `theme`, adapted as described above. Ids are the same for both themes. */
export function basemapLayers(basemaps: Basemaps, theme: MapTheme): LayerSpecification[] {
  const flavor: Flavor = { ...basemaps.namedFlavor(theme), ...READABLE[theme] };
  return basemaps
    .layers(BASEMAP_SOURCE, flavor, { lang: 'id' })
    .filter((l) => !ICON_ONLY.has(l.id))
    .map((l) => withLargerText(withoutIcons(withSubstitutedFonts(l))));
}

export interface BaseStyle {
  style: StyleSpecification;
  /** Registers the `pmtiles://` protocol, when the style reads an archive. */
  register?: (ml: typeof import('maplibre-gl')) => void;
  /** The base layers for a theme (to switch themes without touching Siaga's layers). */
  layersFor(theme: MapTheme): LayerSpecification[];
  /** Whether a basemap (and so OpenStreetMap data) is drawn. */
  basemap: boolean;
}

/**
 * The style for `config` in `theme`. PMTiles support and the Protomaps layers are imported lazily so pages
 * without a basemap do not download them. The flavour brings its own `background` layer, which replaces the
 * plain one (two layers may not share an id).
 */
export async function styleFor(config: Pick<ClientConfig, 'basemap_pmtiles_url'>, theme: MapTheme = 'light'): Promise<BaseStyle> {
  const url = config.basemap_pmtiles_url;
  if (!url || !isSameOrigin(url)) {
    return { style: plainStyle(theme), layersFor: (t) => plainStyle(t).layers, basemap: false };
  }
  const [{ Protocol }, basemaps] = await Promise.all([import('pmtiles'), import('@protomaps/basemaps')]);
  const protocol = new Protocol();
  const absolute = new URL(url, location.href).toString();
  return {
    style: {
      version: 8,
      glyphs: glyphsUrl(),
      sources: {
        [BASEMAP_SOURCE]: { type: 'vector', url: `pmtiles://${absolute}`, attribution: OSM_ATTRIBUTION },
      },
      layers: basemapLayers(basemaps, theme),
    },
    register: (ml) => ml.addProtocol('pmtiles', protocol.tile),
    layersFor: (t) => basemapLayers(basemaps, t),
    basemap: true,
  };
}
