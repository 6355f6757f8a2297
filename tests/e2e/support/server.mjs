// Starts a real `siaga demo --no-simulate` server for browser tests: binary from SIAGA_BIN (default
// /work/main/target/debug/siaga), a fresh temporary data dir, a free port, and the built client
// (map-client/dist) as static_dir. Resolves once /healthz answers; `stop()` kills it and removes the data.
// `env` adds configuration (e.g. SIAGA_MAP__BASEMAP_PMTILES). With E2E_POSTGRES_URL set (a PostgreSQL
// server URL, e.g. postgres://127.0.0.1:5432/test) each server runs on a fresh database of its own there,
// created with `psql` and dropped on `stop()`; unset, on the embedded SQLite default.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const REPO = resolve(here, '../../..');

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** The `siaga` binary under test: SIAGA_BIN, else the debug build of this checkout. */
export function siagaBin() {
  const bin = process.env.SIAGA_BIN ?? join(REPO, 'target/debug/siaga');
  if (!existsSync(bin)) throw new Error(`siaga binary not found at ${bin}; build it (cargo build --bin siaga) or set SIAGA_BIN`);
  return bin;
}

/** A fresh PostgreSQL database for one server, when the run asks for PostgreSQL: its URL and how to drop it. */
function postgresDatabase() {
  const admin = process.env.E2E_POSTGRES_URL;
  if (!admin) return null;
  const name = `siaga_e2e_${randomUUID().replaceAll('-', '')}`;
  execFileSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`]);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
  };
}

export async function startServer({ env = {} } = {}) {
  const bin = siagaBin();
  const pg = postgresDatabase();
  const staticDir = join(REPO, 'map-client/dist');
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error('map-client/dist is missing; run `npm run build` in map-client first');
  const dataDir = mkdtempSync(join(tmpdir(), 'siaga-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['demo', '--no-simulate'], {
    cwd: REPO,
    env: {
      ...process.env,
      SIAGA_LISTEN: `127.0.0.1:${port}`,
      SIAGA_DATA_DIR: dataDir,
      SIAGA_STATIC_DIR: staticDir,
      ...(pg ? { SIAGA_DATABASE_URL: pg.url } : {}),
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      pg?.drop();
      throw new Error(`siaga exited early (${child.exitCode}):\n${log}`);
    }
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      pg?.drop();
      throw new Error(`siaga did not become healthy within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => {
        if (child.exitCode !== null) return r();
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
      rmSync(dataDir, { recursive: true, force: true });
      pg?.drop();
    },
  };
}

/** Calls the API directly (test set-up only; the flows under test go through the browser). */
export async function api(base, method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function login(base, username, password = 'siaga112') {
  const r = await api(base, 'POST', '/api/v1/auth/login', null, { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Whether the running server has an endpoint yet (its OpenAPI document lists the path). */
export async function hasEndpoint(base, path) {
  const doc = await (await fetch(`${base}/api/openapi.json`)).json();
  return Object.prototype.hasOwnProperty.call(doc.paths ?? {}, path);
}

/** Endpoints the pages use that may not be deployed yet, with whether this server has each. */
export async function endpointStatus(base) {
  const doc = await (await fetch(`${base}/api/openapi.json`)).json();
  const paths = Object.keys(doc.paths ?? {});
  const wanted = [
    '/api/v1/calls',
    '/api/v1/incidents',
    '/api/v1/incidents/{id}/recommendations',
    '/api/v1/incidents/{id}/assignments',
    '/api/v1/assignments',
    '/api/v1/assignments/{id}/status',
    '/api/v1/geo/locate',
    '/api/v1/geo/regions.geojson',
    '/api/v1/geo/facilities.geojson',
    '/api/v1/agents',
    '/api/v1/agents/me/state',
    '/api/v1/reports/heatmap',
    '/api/v1/client-config',
    '/api/v1/units/{id}/position',
  ];
  const status = Object.fromEntries(wanted.map((p) => [p, paths.includes(p)]));
  // The websocket may not be in the OpenAPI document; probe it: a missing route answers the JSON 404.
  const probe = await fetch(`${base}/api/v1/ws`);
  status['/api/v1/ws'] = probe.status !== 404;
  return status;
}

/** URL fragments of endpoints this server lacks (for tolerating their 404s in smoke tests). */
export function missing(status) {
  return Object.entries(status)
    .filter(([, ok]) => !ok)
    .map(([p]) => p.replace(/\{id\}.*$/, '').replace(/\/$/, ''));
}
