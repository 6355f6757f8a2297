//! The map theme: light for the day shift, dark for the night shift. The choice is remembered per device
//! (localStorage) and announced on `window` as `siaga:map-theme`, which every map on the page follows by
//! swapping only its base layers (`createMap`), so Siaga's own sources and layers stay as they are.

import type { MapTheme } from './style';

const THEME_KEY = 'siaga.map_theme';
export const THEME_EVENT = 'siaga:map-theme';

export function mapTheme(): MapTheme {
  try {
    return globalThis.localStorage?.getItem(THEME_KEY) === 'dark' ? 'dark' : 'light';
  } catch {
    return 'light';
  }
}

export function setMapTheme(next: MapTheme): void {
  try {
    globalThis.localStorage?.setItem(THEME_KEY, next);
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
  globalThis.dispatchEvent?.(new CustomEvent<MapTheme>(THEME_EVENT, { detail: next }));
}

/** Calls `fn` with each new theme until the returned function is called. */
export function onMapTheme(fn: (theme: MapTheme) => void): () => void {
  const listener = (e: Event) => fn((e as CustomEvent<MapTheme>).detail);
  globalThis.addEventListener?.(THEME_EVENT, listener);
  return () => globalThis.removeEventListener?.(THEME_EVENT, listener);
}

/** Colours of Siaga's own map layers that must stand out from the basemap in either theme. */
export interface OverlayColours {
  regionLine: string;
  regionFill: string;
  regionLabel: string;
  regionLabelHalo: string;
}

export const OVERLAY: Record<MapTheme, OverlayColours> = {
  light: { regionLine: '#37474f', regionFill: '#90a4ae', regionLabel: '#263238', regionLabelHalo: '#ffffff' },
  dark: { regionLine: '#b0bec5', regionFill: '#90a4ae', regionLabel: '#eceff1', regionLabelHalo: '#111417' },
};
