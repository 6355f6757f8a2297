import { describe, expect, it, vi } from 'vitest';

// map.ts imports MapLibre and its worker URL; only the parser is under test here.
vi.mock('maplibre-gl', () => ({}));
vi.mock('maplibre-gl/dist/maplibre-gl-worker.mjs?url', () => ({ default: '' }));
vi.mock('maplibre-gl/dist/maplibre-gl.css', () => ({}));
const { parseSavedView } = await import('./map');

describe('a saved map view', () => {
  it('is read back as it was written', () => {
    expect(parseSavedView(JSON.stringify({ center: [106.9, -6.16], zoom: 15.2 }))).toEqual({ center: [106.9, -6.16], zoom: 15.2 });
  });
  it('is ignored when missing, malformed or out of range, so the page fits to its data instead', () => {
    for (const raw of [null, '', 'nope', '{}', '[1,2]', JSON.stringify({ center: [106.9], zoom: 3 }), JSON.stringify({ center: ['106', -6], zoom: 3 }), JSON.stringify({ center: [106.9, -6.1], zoom: 'x' }), JSON.stringify({ center: [200, 0], zoom: 3 }), JSON.stringify({ center: [0, 89], zoom: 3 })]) {
      expect(parseSavedView(raw)).toBeNull();
    }
  });
});
