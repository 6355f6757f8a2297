import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Each page's `state.ts` is the part a unit test can drive: it must not reach the DOM, the network, storage or
// the clock, so these modules (and what would pull them in) stay out.
const FORBIDDEN_IMPORTS = ['api/client', 'ui/dom', 'ui/errors', 'ui/shell', 'map/map', 'maplibre-gl', 'live/socket', 'live/connect', 'offline/outbox', 'i18n'];
const FORBIDDEN_GLOBALS = /\b(document|window|fetch|localStorage|sessionStorage|navigator|indexedDB|setTimeout|setInterval)\b|Date\.now\(/;

const pagesDir = join(__dirname);
const stateModules = readdirSync(pagesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(pagesDir, d.name)).filter((f) => f === 'state.ts').map((f) => join(d.name, f)));

describe('page state modules', () => {
  it('exist for the pages that were split', () => {
    expect(stateModules.sort()).toEqual(['admin/state.ts', 'call_taker/state.ts', 'dispatcher/state.ts', 'responder/state.ts', 'supervisor/state.ts']);
  });

  it.each(stateModules)('%s imports nothing that touches the DOM, the network, storage or the clock', (file) => {
    const source = readFileSync(join(pagesDir, file), 'utf8');
    const imports = [...source.matchAll(/\bfrom '([^']+)'/g)].map((m) => m[1] ?? '');
    expect(imports.filter((path) => FORBIDDEN_IMPORTS.some((bad) => path.endsWith(bad)))).toEqual([]);
    const code = source.replace(/\/\/.*$/gm, '');
    expect(code.match(FORBIDDEN_GLOBALS)?.[0] ?? null).toBeNull();
  });
});
