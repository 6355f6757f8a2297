// The browser tests' basemap: `siaga basemap build` run on the demo centre's committed inputs (the real OSM
// streets of Kelapa Gading and Jatinegara/Cakung, the real kecamatan/kelurahan boundaries and the land polygons
// of geodata/demo), exactly as scripts/demo builds it. The names and positions below are the data's own.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, siagaBin } from './server.mjs';

/** A secondary road of the Kelapa Gading extract (OSM way 24055272), and a point on it. */
export const STREET_NAME = 'Jalan Bulevar Utara Kelapa Gading';
export const STREET_AT = [106.8951876, -6.1756064];
/**
 * A kelurahan of the demo regions (31.72.06.1002), labelled by the basemap as a neighbourhood, and its centroid
 * (the source's `lat`/`lng`). Not a kecamatan: the dispatcher's own region layer names those, and its label
 * rightly wins the place over the basemap's label of the same name.
 */
export const PLACE_NAME = 'Pegangsaan Dua';
export const PLACE_AT = [106.914717, -6.164087];
/** A view with land, the sea of Jakarta Bay and the extract's main roads at zoom 10. */
export const OVERVIEW_AT = [106.9, -6.1];

/** Builds the archive at `path`; returns its bytes (for Content-Range checks). Throws with the CLI's output. */
export function buildDemoBasemap(path) {
  const demo = (file) => join(REPO, 'geodata/demo', file);
  const run = spawnSync(
    siagaBin(),
    ['basemap', 'build', '--osm', demo('streets.osm.pbf'), '--regions', demo('regions.geojson'), '--land', demo('land.geojson'), '--out', path],
    { cwd: REPO, encoding: 'utf8', env: { ...process.env, RUST_LOG: 'warn' } },
  );
  if (run.status !== 0) throw new Error(`siaga basemap build failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return { bytes: readFileSync(path) };
}
