//! The base style. Without configuration: a plain background, nothing fetched. When the server's client
//! config names an offline PMTiles archive (served from the Siaga origin), the Protomaps basemap layers are
//! drawn from it. No glyphs or sprites are referenced: Siaga's own layers draw their labels as icons made on
//! a canvas (see `icons.ts`), so no font request can ever leave the machine.

import type { StyleSpecification } from 'maplibre-gl';
import { getOptional } from '../api/client';
import type { ClientConfig } from '../api/types';

export const BACKGROUND_COLOUR = '#eef1f4';

export function plainStyle(): StyleSpecification {
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOUR } }],
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

/**
 * The style for `config`. PMTiles support is imported lazily so pages without a basemap do not download it.
 * Only label-free basemap layers are kept, since the style has no glyphs. The flavour brings its own
 * `background` layer, which replaces the plain one (two layers may not share an id).
 */
export async function styleFor(config: Pick<ClientConfig, 'basemap_pmtiles_url'>): Promise<{ style: StyleSpecification; register?: (ml: typeof import('maplibre-gl')) => void }> {
  const url = config.basemap_pmtiles_url;
  if (!url || !isSameOrigin(url)) return { style: plainStyle() };
  const [{ Protocol }, basemaps] = await Promise.all([import('pmtiles'), import('@protomaps/basemaps')]);
  const protocol = new Protocol();
  const absolute = new URL(url, location.href).toString();
  const layers = basemaps
    .layers(BASEMAP_SOURCE, basemaps.namedFlavor('light'), { lang: 'id' })
    .filter((l) => l.type !== 'symbol');
  return {
    style: {
      version: 8,
      sources: {
        [BASEMAP_SOURCE]: { type: 'vector', url: `pmtiles://${absolute}`, attribution: '© OpenStreetMap' },
      },
      layers,
    },
    register: (ml) => ml.addProtocol('pmtiles', protocol.tile),
  };
}
