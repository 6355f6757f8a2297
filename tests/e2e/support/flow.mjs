// Shared steps for the incident tests.
import assert from 'node:assert/strict';
import { endpointStatus } from './server.mjs';

/** Fails (never skips) with the list of endpoints the flow needs that this server does not have yet. */
export async function requireEndpoints(base, needed) {
  const status = await endpointStatus(base);
  const absent = needed.filter((p) => !status[p]);
  assert.deepEqual(absent, [], `the server lacks endpoints this flow needs: ${absent.join(', ')}`);
}

export const FLOW_ENDPOINTS = [
  '/api/v1/calls',
  '/api/v1/incidents',
  '/api/v1/incidents/{id}/recommendations',
  '/api/v1/incidents/{id}/assignments',
  '/api/v1/assignments',
  '/api/v1/assignments/{id}/status',
  '/api/v1/geo/locate',
  '/api/v1/ws',
];

/** Waits until `fn` returns a truthy value (polling), or fails after `ms`. */
export async function eventually(fn, ms = 15_000, what = 'condition') {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
