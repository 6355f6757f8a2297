import { describe, expect, it } from 'vitest';
import { labelPoint } from './boundaries';

describe('region label point', () => {
  it('is the middle of a rectangle', () => {
    expect(labelPoint({ type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 2], [0, 2], [0, 0]]] })).toEqual([2, 1]);
  });

  it('stays inside a concave (U-shaped) region, whose centroid is outside it', () => {
    // A U open to the north: arms x 0..1 and 3..4, joined by a base y 0..1; the widest stretch at y 1.5 is an arm.
    const u: GeoJSON.Polygon = { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 3], [3, 3], [3, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] };
    const [x = NaN, y = NaN] = labelPoint(u) ?? [];
    expect(y).toBe(1.5);
    expect(x < 1 || x > 3).toBe(true);
  });

  it('uses the largest part of a multipolygon and gives nothing for no geometry', () => {
    const multi: GeoJSON.MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: [[[[10, 10], [10.1, 10], [10.1, 10.1], [10, 10.1], [10, 10]]], [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]],
    };
    expect(labelPoint(multi)).toEqual([1, 1]);
    expect(labelPoint(null)).toBeNull();
  });
});
