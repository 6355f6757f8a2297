// Prints what each role's page downloads (JS + CSS, gzipped), from Vite's build manifest: the entry chunk,
// the role's page chunk, and every chunk either imports statically (transitively). Dynamic imports a page
// makes later (e.g. PMTiles when a basemap is configured) are listed separately, and the MapLibre worker,
// which map pages fetch once, is listed too. For map pages, `first_load_kB` adds what their first visit with a
// basemap also fetches: the worker, the lazily imported basemap code (PMTiles reader, Protomaps style) and the
// Latin glyph range (0-255) of each font stack in public/glyphs — everything but the basemap tiles.
//
// With `--served URL` (a running Siaga serving this dist), each file is also fetched from the server as
// Chromium asks for it (`Accept-Encoding: gzip, deflate, br, zstd`) and the bytes on the wire are summed:
// the first load as served, with the server's own compression.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);

function closure(keys) {
  const seen = new Set();
  const files = new Set();
  const walk = (k) => {
    if (seen.has(k)) return;
    seen.add(k);
    const c = manifest[k];
    files.add(c.file);
    for (const css of c.css ?? []) files.add(css);
    for (const i of c.imports ?? []) walk(i);
  };
  keys.forEach(walk);
  return files;
}

const roles = {
  login: 'src/pages/login/page.ts',
  call_taker: 'src/pages/call_taker/page.ts',
  dispatcher: 'src/pages/dispatcher/page.ts',
  responder: 'src/pages/responder/page.ts',
  supervisor: 'src/pages/supervisor/page.ts',
  admin: 'src/pages/admin/page.ts',
};
const servedAt = process.argv.includes('--served') ? process.argv[process.argv.indexOf('--served') + 1] : null;
/** Bytes on the wire for `path` from the running server (body as sent, not decoded), and the encoding it chose. */
function served(path) {
  return new Promise((resolve, reject) => {
    const req = httpGet(new URL(path, servedAt), { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode}`));
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] ?? 'identity' }));
    });
    req.on('error', reject);
  });
}

const html = gz('index.html');
const workerEntry = Object.values(manifest).find((c) => c.file.includes('maplibre-gl-worker'));
const workerAsset = workerEntry?.file ?? Object.values(manifest).flatMap((c) => c.assets ?? []).find((a) => a.includes('maplibre-gl-worker'));
/** Lazy imports that are not role pages (e.g. the basemap code map pages import when a basemap is configured). */
function lazyOf(files) {
  const keys = Object.entries(manifest)
    .filter(([, c]) => files.has(c.file))
    .flatMap(([, c]) => c.dynamicImports ?? [])
    .filter((k) => !k.startsWith('src/pages/'));
  return [...closure(keys)].filter((f) => !files.has(f));
}
const glyphDir = join(dist, 'glyphs');
const latinGlyphs = existsSync(glyphDir) ? readdirSync(glyphDir).map((stack) => join('glyphs', stack, '0-255.pbf')).filter((f) => existsSync(join(dist, f))) : [];
const rows = [];
for (const [role, key] of Object.entries(roles)) {
  const files = closure([entryKey, key]);
  const total = [...files].reduce((n, f) => n + gz(f), 0) + html;
  const raw = [...files].reduce((n, f) => n + statSync(join(dist, f)).size, 0);
  const map = [...files].some((f) => f.includes('maplibre'));
  const row = { role, gzip_kB: (total / 1024).toFixed(1), raw_kB: (raw / 1024).toFixed(1), files: files.size, maplibre: map };
  if (map) {
    const extra = [...lazyOf(files), ...(workerAsset ? [workerAsset] : []), ...latinGlyphs];
    row.first_load_kB = ((total + extra.reduce((n, f) => n + gz(f), 0)) / 1024).toFixed(1);
  }
  if (servedAt) {
    const answers = await Promise.all(['/', ...[...files].map((f) => `/${f}`)].map(served));
    row.served_kB = (answers.reduce((n, a) => n + a.bytes, 0) / 1024).toFixed(1);
    row.encodings = [...new Set(answers.map((a) => a.encoding))].join(',');
  }
  rows.push(row);
}
console.table(rows);
if (workerAsset) console.log(`MapLibre worker (map pages only): ${(gz(workerAsset) / 1024).toFixed(1)} kB gzip (${workerAsset})`);
if (latinGlyphs.length > 0) console.log(`Latin glyphs (map pages, first load): ${(latinGlyphs.reduce((n, f) => n + gz(f), 0) / 1024).toFixed(1)} kB gzip (${latinGlyphs.length} stacks)`);
