// Fails when src/api/schema.d.ts is not what openapi-typescript makes of ../docs/openapi.json, so the
// client's wire types cannot drift from the committed OpenAPI document (which a server test keeps current).
// It runs the same CLI as `npm run gen:api`, writing to stdout, so both use one code path and one version.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../node_modules/openapi-typescript/bin/cli.js', import.meta.url));
const target = 'src/api/schema.d.ts';

const expected = execFileSync(process.execPath, [cli, '../docs/openapi.json'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
const actual = readFileSync(new URL(`../${target}`, import.meta.url), 'utf8');

if (actual !== expected) {
  const a = actual.split('\n');
  const e = expected.split('\n');
  let line = 0;
  while (line < a.length && line < e.length && a[line] === e[line]) line += 1;
  console.error(`${target} is not generated from docs/openapi.json (first difference at line ${line + 1}):`);
  console.error(`  file:      ${a[line] ?? '<end of file>'}`);
  console.error(`  generated: ${e[line] ?? '<end of file>'}`);
  console.error('Run `npm run gen:api` in map-client/ and commit the result.');
  process.exit(1);
}
console.log(`${target} matches docs/openapi.json`);
