import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assignmentChangeOf,
  assignmentIdOf,
  callIdOf,
  type EventType,
  incidentIdOf,
  isEventType,
  type LiveEvent,
  parseFrame,
  statusOf,
  unitOf,
  unitPositionOf,
  unitStatusOf,
} from './events';
import { FRAMES } from './fixtures';

const TYPES = Object.keys(FRAMES) as EventType[];

/** The example frame of `type` as the server's text, read back the way the socket reads it. */
function received(type: EventType): LiveEvent {
  const parsed = parseFrame(JSON.stringify(FRAMES[type]));
  if (parsed?.kind !== 'event') throw new Error(`${type} was not read as an event: ${JSON.stringify(parsed)}`);
  return parsed.event;
}

/** Everything the accessors read of one event. */
function read(e: LiveEvent) {
  return {
    incident: incidentIdOf(e),
    assignment: assignmentIdOf(e),
    change: assignmentChangeOf(e),
    status: statusOf(e),
    call: callIdOf(e),
    unit: unitOf(e),
    unitStatus: unitStatusOf(e),
    position: unitPositionOf(e),
  };
}

const NOTHING = {
  incident: null,
  assignment: null,
  change: null,
  status: null,
  call: null,
  unit: null,
  unitStatus: null,
  position: null,
};

describe('parseFrame', () => {
  it.each(TYPES)('reads the %s example as that event, unchanged', (type) => {
    const e = received(type);
    expect(e.type).toBe(type);
    expect(e).toEqual(FRAMES[type]);
  });

  it('reads the control frames as control frames', () => {
    const hello = {
      seq: 512,
      at: 1796470750000,
      type: 'hello',
      user: { id: 'u1', username: 'dispatch.dinkes', display_name: 'Dispatcher Dinkes', agency_id: 'a1', unit_id: null, region_code: null },
      role: 'dispatcher',
      resumed: false,
    };
    expect(parseFrame(JSON.stringify(hello))).toEqual({ kind: 'control', frame: hello });
    const resync = { seq: 900, at: 1, type: 'resync_required', requested: 3, oldest_seq: 40, reason: 'resume point no longer kept' };
    expect(parseFrame(JSON.stringify(resync))?.kind).toBe('control');
    expect(parseFrame(JSON.stringify({ at: 1, type: 'position_ack', unit_id: 'u', position_at: 1, ref: null }))?.kind).toBe('control');
    expect(parseFrame(JSON.stringify({ at: 1, type: 'error', code: 'token_expired', message: 'expired' }))?.kind).toBe('control');
  });

  it('passes a type it does not know through as unknown, keeping its log position', () => {
    expect(parseFrame(JSON.stringify({ seq: 77, at: 1, type: 'incident.merged', incident_id: 'a', into: 'b' }))).toEqual({ kind: 'unknown', seq: 77 });
    expect(parseFrame(JSON.stringify({ type: 'server.notice', text: 'maintenance at 02:00' }))).toEqual({ kind: 'unknown', seq: null });
    // A known type without its envelope is not an event this client can place in the log.
    expect(parseFrame(JSON.stringify({ type: 'unit.status', unit_id: 'u', status: 'available' }))).toEqual({ kind: 'unknown', seq: null });
    expect(isEventType('incident.merged')).toBe(false);
    expect(isEventType('toString')).toBe(false);
  });

  it('refuses what is not a frame', () => {
    for (const text of ['not json', '[]', 'null', '42', '{"seq": 1}', '{"type": 7}']) expect(parseFrame(text)).toBeNull();
  });
});

describe('event accessors read the fields the schema names', () => {
  it.each(['incident.created', 'incident.updated', 'incident.escalated', 'incident.closed'] as const)('%s: its incident and status', (type) => {
    const e = received(type);
    expect(read(e)).toEqual({ ...NOTHING, incident: FRAMES[type].incident_id, status: FRAMES[type].status });
  });

  it('incident.updated of an OPD decision: the incident status, which is what a call taker watches for', () => {
    expect(statusOf(received('incident.updated'))).toBe('verified');
  });

  it.each(['assignment.created', 'assignment.status'] as const)('%s: its assignment, incident, unit, agency and status', (type) => {
    const f = FRAMES[type];
    const change = { assignment_id: f.assignment_id, incident_id: f.incident_id, unit_id: f.unit_id, agency_id: f.agency_id, status: f.status };
    expect(read(received(type))).toEqual({ ...NOTHING, incident: f.incident_id, assignment: f.assignment_id, change, status: f.status });
  });

  it('unit.created: the unit view', () => {
    expect(read(received('unit.created'))).toEqual({ ...NOTHING, unit: FRAMES['unit.created'].unit });
  });

  it('unit.status: the unit and its status', () => {
    const f = FRAMES['unit.status'];
    expect(read(received('unit.status'))).toEqual({ ...NOTHING, status: 'en_route', unitStatus: { unit_id: f.unit_id, status: 'en_route' } });
  });

  it('unit.position: where the unit is and when the device took the fix (not when the frame was committed)', () => {
    const f = FRAMES['unit.position'];
    expect(read(received('unit.position'))).toEqual({ ...NOTHING, position: { unit_id: f.unit_id, lon: f.lon, lat: f.lat, at: f.position_at } });
    expect(f.position_at).not.toBe(f.at);
  });

  it.each(['call.created', 'call.updated', 'call.routed', 'call.taken', 'call.follow_up_scheduled', 'call.follow_up_recorded'] as const)(
    '%s: only the call id (and the new status of call.updated)',
    (type) => {
      expect(read(received(type))).toEqual({ ...NOTHING, call: FRAMES[type].call_id, status: type === 'call.updated' ? 'ended' : null });
    },
  );

  it('call.updated without a status change (an AML fix) has no status', () => {
    const aml = parseFrame(JSON.stringify({ seq: 9, at: 1, type: 'call.updated', call_id: 'c1', has_aml: true }));
    expect(aml?.kind === 'event' ? statusOf(aml.event) : 'not an event').toBeNull();
  });

  it.each(['sla.breach', 'agent.state'] as const)('%s: nothing the accessors read', (type) => {
    expect(read(received(type))).toEqual(NOTHING);
  });

  it('narrows the payload by type', () => {
    // Compiles only while `switch (e.type)` narrows each case to its payload.
    const describe = (e: LiveEvent): string => {
      switch (e.type) {
        case 'unit.position':
          return `${e.unit_id}@${e.lon},${e.lat}`;
        case 'assignment.status':
          return `${e.incident_number}:${e.from}->${e.status}`;
        case 'agent.state':
          return `${e.username}:${e.state}`;
        default:
          return e.type;
      }
    };
    expect(describe(received('assignment.status'))).toBe('BTM-20261205-0003:acknowledged->en_route');
    expect(describe(received('agent.state'))).toBe('dispatch.polres:logged_in');
    expect(describe(received('call.taken'))).toBe('call.taken');
  });
});

describe('the generated documents', () => {
  const docs = join(__dirname, '../../../docs');
  const readJson = (name: string) => JSON.parse(readFileSync(join(docs, name), 'utf8')) as Record<string, unknown>;
  /** A schema without its prose, keys sorted, with `$defs` references spelled as OpenAPI's. */
  const shape = (schema: unknown): string => {
    const canonical = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(canonical);
      if (typeof v !== 'object' || v === null) return typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : v;
      const entries = Object.entries(v).filter(([k]) => k !== 'description' && k !== 'title');
      return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, canonical(x)]));
    };
    return JSON.stringify(canonical(schema));
  };

  it('docs/events.schema.json and docs/openapi.json describe the same payloads', () => {
    const events = readJson('events.schema.json')['$defs'] as Record<string, unknown>;
    const openapi = (readJson('openapi.json')['components'] as { schemas: Record<string, unknown> }).schemas;
    // `EventFrame` exists only in the events document (OpenAPI has `EventEnvelope` and `DomainEvent` instead).
    const differing = Object.keys(events).filter((name) => name !== 'EventFrame' && shape(events[name]) !== shape(openapi[name]));
    expect(differing).toEqual([]);
  });

  it('the example frames are imported by tests only', () => {
    const src = join(__dirname, '..');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : [join(dir, d.name)]));
    const importers = files(src)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => /from '[^']*\/fixtures'/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(src, f));
    expect(importers).toEqual([]);
  });
});
