// A tiny PMTiles v3 writer for the basemap test: a few hand-drawn features in the Protomaps basemap schema
// (earth, water, landuse, roads) around the demo centre (Jakarta Bay, Kelapa Gading, Cakung), cut into vector tiles by geojson-vt and encoded as MVT
// by vt-pbf (MapLibre's own libraries), gzipped, and laid out as the spec says: a 127-byte header, the root
// directory, JSON metadata, then the tile data in tile-id order. Nothing is downloaded; the archive is made
// fresh by each test run.
//
// Spec: https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md
import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { GeoJSONVT } from '@maplibre/geojson-vt';
import { fromGeojsonVt } from '@maplibre/vt-pbf';

/** Area the archive covers (lon/lat), around the demo centre (Jakarta Utara and Jakarta Timur). */
export const BOUNDS = [106.6, -6.45, 107.2, -5.9];
const MAX_ZOOM = 12;

const rect = (w, s, e, n) => [[[w, s], [e, s], [e, n], [w, n], [w, s]]];
const feature = (type, coordinates, properties) => ({ type: 'Feature', geometry: { type, coordinates }, properties });

/** Source layers, each a FeatureCollection in the basemap schema (`kind` drives the style's filters). */
export function basemapFeatures() {
  return {
    earth: [feature('Polygon', rect(106.6, -6.45, 107.2, -6.135), { kind: 'earth' })],
    water: [feature('Polygon', rect(106.4, -6.135, 107.4, -5.8), { kind: 'ocean' })],
    landuse: [
      feature('Polygon', rect(106.905, -6.165, 106.915, -6.155), { kind: 'park' }),
      feature('Polygon', rect(106.896, -6.153, 106.899, -6.151), { kind: 'hospital' }),
    ],
    roads: [
      feature('LineString', [[106.85, -6.2], [106.9, -6.18], [106.95, -6.16], [107.0, -6.15]], { kind: 'highway' }),
      feature('LineString', [[106.915, -6.25], [106.915, -6.18], [106.92, -6.14]], { kind: 'major_road' }),
    ],
  };
}

/** The tile containing `lon, lat` at zoom `z` (Web Mercator, XYZ). */
function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [Math.min(n - 1, Math.max(0, x)), Math.min(n - 1, Math.max(0, y))];
}

function rotate(n, x, y, rx, ry) {
  if (ry === 0) {
    if (rx !== 0) return [n - 1 - y, n - 1 - x];
    return [y, x];
  }
  return [x, y];
}

/** Tile id on the Hilbert curve, as the spec defines it (tiles of lower zooms come first). */
export function zxyToTileId(z, x, y) {
  let acc = ((1 << z) * (1 << z) - 1) / 3;
  let a = z - 1;
  let [tx, ty] = [x, y];
  for (let s = 1 << a; s > 0; s >>= 1) {
    const rx = tx & s;
    const ry = ty & s;
    acc += ((3 * rx) ^ ry) * (1 << a);
    [tx, ty] = rotate(s, tx, ty, rx, ry);
    a--;
  }
  return acc;
}

function varint(out, value) {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** A directory: counts, then tile-id deltas, run lengths, lengths and offsets (0 = right after the last). */
function directory(entries) {
  const out = [];
  varint(out, entries.length);
  let last = 0;
  for (const e of entries) {
    varint(out, e.tileId - last);
    last = e.tileId;
  }
  for (const e of entries) varint(out, e.runLength);
  for (const e of entries) varint(out, e.length);
  entries.forEach((e, i) => {
    const prev = entries[i - 1];
    varint(out, prev && e.offset === prev.offset + prev.length ? 0 : e.offset + 1);
  });
  return Buffer.from(out);
}

/** Builds the archive; returns its bytes and what it holds. */
export function buildBasemap() {
  const layers = Object.entries(basemapFeatures()).map(([name, features]) => [
    name,
    new GeoJSONVT({ type: 'FeatureCollection', features }, { maxZoom: MAX_ZOOM, indexMaxZoom: MAX_ZOOM, tolerance: 1, buffer: 64 }),
  ]);
  const tiles = [];
  for (let z = 0; z <= MAX_ZOOM; z++) {
    const [x0, y0] = tileOf(BOUNDS[0], BOUNDS[3], z);
    const [x1, y1] = tileOf(BOUNDS[2], BOUNDS[1], z);
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) {
        const present = {};
        for (const [name, index] of layers) {
          const tile = index.getTile(z, x, y);
          if (tile && tile.features.length > 0) present[name] = tile;
        }
        if (Object.keys(present).length === 0) continue;
        tiles.push({ tileId: zxyToTileId(z, x, y), data: gzipSync(fromGeojsonVt(present, { version: 2, extent: 4096 })) });
      }
    }
  }
  tiles.sort((a, b) => a.tileId - b.tileId);
  let offset = 0;
  const entries = tiles.map((t) => {
    const e = { tileId: t.tileId, runLength: 1, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  const root = gzipSync(directory(entries));
  const metadata = gzipSync(
    JSON.stringify({
      name: 'siaga-e2e-basemap',
      attribution: 'test fixture',
      vector_layers: layers.map(([id]) => ({ id, fields: { kind: 'String' }, minzoom: 0, maxzoom: MAX_ZOOM })),
    }),
  );
  const tileData = Buffer.concat(tiles.map((t) => t.data));

  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'ascii');
  header.writeUInt8(3, 7);
  const u64 = (at, v) => header.writeBigUInt64LE(BigInt(v), at);
  const rootOffset = 127;
  const metaOffset = rootOffset + root.length;
  const dataOffset = metaOffset + metadata.length;
  u64(8, rootOffset);
  u64(16, root.length);
  u64(24, metaOffset);
  u64(32, metadata.length);
  u64(40, dataOffset); // no leaf directories
  u64(48, 0);
  u64(56, dataOffset);
  u64(64, tileData.length);
  u64(72, tiles.length); // addressed tiles
  u64(80, entries.length); // tile entries
  u64(88, tiles.length); // tile contents
  header.writeUInt8(1, 96); // clustered
  header.writeUInt8(2, 97); // internal compression: gzip
  header.writeUInt8(2, 98); // tile compression: gzip
  header.writeUInt8(1, 99); // tile type: MVT
  header.writeUInt8(0, 100); // min zoom
  header.writeUInt8(MAX_ZOOM, 101); // max zoom
  const e7 = (at, v) => header.writeInt32LE(Math.round(v * 1e7), at);
  e7(102, BOUNDS[0]);
  e7(106, BOUNDS[1]);
  e7(110, BOUNDS[2]);
  e7(114, BOUNDS[3]);
  header.writeUInt8(10, 118); // centre zoom
  e7(119, (BOUNDS[0] + BOUNDS[2]) / 2);
  e7(123, (BOUNDS[1] + BOUNDS[3]) / 2);

  return { bytes: Buffer.concat([header, root, metadata, tileData]), tiles: tiles.length, maxZoom: MAX_ZOOM, layers: layers.map(([id]) => id) };
}

/** Writes the archive to `path`; returns what `buildBasemap` returns. */
export function writeBasemap(path) {
  const built = buildBasemap();
  writeFileSync(path, built.bytes);
  return built;
}
