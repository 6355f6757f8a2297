import { describe, expect, it } from 'vitest';
import * as basemaps from '@protomaps/basemaps';
import { basemapLayers, FONT_BOLD, FONT_ITALIC, FONT_REGULAR, scaleSize } from './style';

/** Every font stack a layer names, however deep in its expressions. */
function fontsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string' && value.startsWith('Noto ')) out.add(value);
  else if (Array.isArray(value)) value.forEach((v) => fontsIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => fontsIn(v, out));
  return out;
}

describe('basemap style', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`keeps the ${theme} labels, names only fonts with glyph ranges, and asks for no sprite image`, () => {
      const layers = basemapLayers(basemaps, theme);
      const ids = layers.map((l) => l.id);
      for (const id of ['roads_labels_minor', 'roads_labels_major', 'places_locality', 'places_subplace', 'pois']) expect(ids).toContain(id);
      expect(ids).not.toContain('roads_shields');
      expect(ids).not.toContain('roads_oneway');
      expect([...fontsIn(layers)].sort()).toEqual([FONT_BOLD, FONT_ITALIC, FONT_REGULAR].sort());
      for (const l of layers) {
        if (l.type !== 'symbol') continue;
        expect(Object.keys(l.layout ?? {}).filter((k) => k.startsWith('icon-'))).toEqual([]);
      }
    });
  }

  it('draws street names larger than the Protomaps default', () => {
    const minor = basemapLayers(basemaps, 'light').find((l) => l.id === 'roads_labels_minor');
    expect(minor?.type === 'symbol' && minor.layout?.['text-size']).toBe(15);
  });

  it('has the same layer ids in both themes, so a switch replaces them one for one', () => {
    expect(basemapLayers(basemaps, 'dark').map((l) => l.id)).toEqual(basemapLayers(basemaps, 'light').map((l) => l.id));
  });

  it('scales zoom curves by their outputs and data expressions by multiplying', () => {
    expect(scaleSize(['interpolate', ['linear'], ['zoom'], 10, 12, 16, 20], 1.5)).toEqual(['interpolate', ['linear'], ['zoom'], 10, 18, 16, 30]);
    expect(scaleSize(['step', ['zoom'], 10, 14, 12], 2)).toEqual(['step', ['zoom'], 20, 14, 24]);
    expect(scaleSize(['get', 'size'], 2)).toEqual(['*', 2, ['get', 'size']]);
  });
});
