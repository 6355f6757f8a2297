// Prints what each role's page downloads (JS + CSS, gzipped), from Vite's build manifest: the entry chunk,
// the role's page chunk, and every chunk either imports statically (transitively). Dynamic imports a page
// makes later (e.g. PMTiles when a basemap is configured) are listed separately, and the MapLibre worker,
// which map pages fetch once, is listed too.
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
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
const html = gz('index.html');
const rows = [];
for (const [role, key] of Object.entries(roles)) {
  const files = closure([entryKey, key]);
  const total = [...files].reduce((n, f) => n + gz(f), 0) + html;
  const raw = [...files].reduce((n, f) => n + statSync(join(dist, f)).size, 0);
  const map = [...files].some((f) => f.includes('maplibre'));
  rows.push({ role, gzip_kB: (total / 1024).toFixed(1), raw_kB: (raw / 1024).toFixed(1), files: files.size, maplibre: map });
}
console.table(rows);
const worker = Object.values(manifest).find((c) => c.file.includes('maplibre-gl-worker'));
const workerFile = worker?.file ?? (Object.values(manifest).flatMap((c) => c.assets ?? []).find((a) => a.includes('maplibre-gl-worker')));
if (workerFile) console.log(`MapLibre worker (map pages only): ${(gz(workerFile) / 1024).toFixed(1)} kB gzip (${workerFile})`);
