//! Admin screen state: the lists an admin manages (users, units, agencies, service lines) and the checks each
//! form makes before asking the server. The checks mirror the API's own limits (`backend/server/src/limits.rs`
//! and the services' rules, stated in `docs/openapi.json`) so a user learns at once what the server would
//! refuse; the server still decides, and what only it can know (a username taken, a common password, an
//! unknown region) comes back as its error naming the field. Pure: no DOM, no fetch, no clock.

import type { Agency, Region, Role, Unit, User } from '../../api/types';
import type { components } from '../../api/schema';

export type ServiceLine = components['schemas']['ServiceLineView'];
export type AgencyType = components['schemas']['AgencyType'];
export type UnitType = components['schemas']['UnitType'];

/** Limits of the API (`limits.rs`: ShortText 64, Name 120, PhoneNumber; services: username, call sign, code). */
export const LIMITS = {
  username: 64,
  displayName: 100,
  passwordMin: 8,
  passwordMaxBytes: 256,
  callSign: 32,
  agencyCode: 32,
  name: 120,
  shortText: 64,
} as const;

// The API's phone-number rule (`PhoneNumber` in the OpenAPI document).
export const PHONE_PATTERN = /^\+?[0-9](?:[ -]?[0-9]){2,19}$/;
const USERNAME_PATTERN = /^[A-Za-z0-9._-]+$/;

export const ROLES: readonly Role[] = ['call_taker', 'dispatcher', 'responder', 'supervisor', 'admin', 'integration'];
export const AGENCY_TYPES: readonly AgencyType[] = ['health', 'fire', 'disaster', 'police', 'social', 'transport', 'other'];
export const UNIT_TYPES: readonly UnitType[] = ['ambulance', 'fire_engine', 'rescue', 'police_patrol', 'social_team', 'traffic', 'other'];

/** Roles that belong to an agency (the API refuses an agency for the others). */
export function needsAgency(role: string): boolean {
  return role === 'dispatcher' || role === 'responder';
}

/** A form's refusal: the field (the API's name for it, which is also the input's `name`) and an i18n key. */
export interface Problem {
  readonly field: string;
  readonly key: ProblemKey;
  readonly params?: Readonly<Record<string, string | number>>;
}

export type ProblemKey =
  | 'admin.err_required'
  | 'admin.err_too_long'
  | 'admin.err_username'
  | 'admin.err_password_short'
  | 'admin.err_password_long'
  | 'admin.err_password_username'
  | 'admin.err_agency_needed'
  | 'admin.err_unit_needed'
  | 'admin.err_phone'
  | 'admin.err_position'
  | 'admin.err_csv_header';

const chars = (s: string) => [...s].length;

function text(field: string, value: string, max: number): Problem | null {
  const v = value.trim();
  if (v === '') return { field, key: 'admin.err_required' };
  if (chars(v) > max) return { field, key: 'admin.err_too_long', params: { max } };
  return null;
}

export interface UserForm {
  readonly username: string;
  readonly display_name: string;
  readonly role: string;
  readonly agency_id: string;
  readonly unit_id: string;
  readonly region_code: string;
  readonly password: string;
  readonly must_change_password: boolean;
}

/** The password rules the form can check (length, not the username); the server also refuses common ones. */
export function passwordProblem(password: string, username: string, field = 'password'): Problem | null {
  if (password.trim() === '') return { field, key: 'admin.err_required' };
  if (chars(password) < LIMITS.passwordMin) return { field, key: 'admin.err_password_short', params: { min: LIMITS.passwordMin } };
  if (new TextEncoder().encode(password).length > LIMITS.passwordMaxBytes) return { field, key: 'admin.err_password_long' };
  if (username && password.trim().toLowerCase() === username.trim().toLowerCase()) return { field, key: 'admin.err_password_username' };
  return null;
}

export function userProblem(f: UserForm): Problem | null {
  const username = f.username.trim();
  if (username === '') return { field: 'username', key: 'admin.err_required' };
  if (username.length > LIMITS.username || !USERNAME_PATTERN.test(username)) return { field: 'username', key: 'admin.err_username', params: { max: LIMITS.username } };
  const name = text('display_name', f.display_name, LIMITS.displayName);
  if (name) return name;
  if (needsAgency(f.role) && !f.agency_id) return { field: 'agency_id', key: 'admin.err_agency_needed' };
  if (f.role === 'responder' && !f.unit_id) return { field: 'unit_id', key: 'admin.err_unit_needed' };
  if (chars(f.region_code.trim()) > LIMITS.shortText) return { field: 'region_code', key: 'admin.err_too_long', params: { max: LIMITS.shortText } };
  return passwordProblem(f.password, username);
}

/** The create-user request body: only the fields the role takes. */
export function userRequest(f: UserForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    username: f.username.trim(),
    display_name: f.display_name.trim(),
    role: f.role,
    password: f.password,
    must_change_password: f.must_change_password,
  };
  if (needsAgency(f.role)) body['agency_id'] = f.agency_id;
  if (f.role === 'responder') body['unit_id'] = f.unit_id;
  if (f.region_code.trim()) body['region_code'] = f.region_code.trim();
  return body;
}

export interface UnitForm {
  readonly agency_id: string;
  readonly call_sign: string;
  readonly unit_type: string;
  readonly lon: string;
  readonly lat: string;
}

export function unitProblem(f: UnitForm): Problem | null {
  if (!f.agency_id) return { field: 'agency_id', key: 'admin.err_required' };
  const sign = text('call_sign', f.call_sign, LIMITS.callSign);
  if (sign) return sign;
  if (!f.unit_type) return { field: 'unit_type', key: 'admin.err_required' };
  if (f.lon.trim() === '' && f.lat.trim() === '') return null;
  const lon = Number(f.lon);
  const lat = Number(f.lat);
  if (f.lon.trim() === '' || !Number.isFinite(lon) || lon < -180 || lon > 180) return { field: 'position.lon', key: 'admin.err_position' };
  if (f.lat.trim() === '' || !Number.isFinite(lat) || lat < -90 || lat > 90) return { field: 'position.lat', key: 'admin.err_position' };
  return null;
}

export function unitRequest(f: UnitForm): Record<string, unknown> {
  const body: Record<string, unknown> = { agency_id: f.agency_id, call_sign: f.call_sign.trim(), unit_type: f.unit_type };
  if (f.lon.trim() !== '' && f.lat.trim() !== '') body['position'] = { lon: Number(f.lon), lat: Number(f.lat) };
  return body;
}

export interface AgencyForm {
  readonly code: string;
  readonly name: string;
  readonly agency_type: string;
  readonly region_code: string;
  readonly phone: string;
}

export function agencyProblem(f: AgencyForm): Problem | null {
  const code = text('code', f.code, LIMITS.agencyCode);
  if (code) return code;
  const name = text('name', f.name, LIMITS.name);
  if (name) return name;
  if (!f.agency_type) return { field: 'agency_type', key: 'admin.err_required' };
  const region = text('region_code', f.region_code, LIMITS.shortText);
  if (region) return region;
  if (f.phone.trim() !== '' && !PHONE_PATTERN.test(f.phone.trim())) return { field: 'phone', key: 'admin.err_phone' };
  return null;
}

export function agencyRequest(f: AgencyForm): Record<string, unknown> {
  const body: Record<string, unknown> = { code: f.code.trim(), name: f.name.trim(), agency_type: f.agency_type, region_code: f.region_code.trim() };
  if (f.phone.trim()) body['phone'] = f.phone.trim();
  return body;
}

export interface AgencyEditForm {
  readonly agency_id: string;
  readonly name: string;
  readonly phone: string;
}

/** An agency's new name and phone (code, type and region stay: records refer to them). */
export function agencyEditProblem(f: AgencyEditForm): Problem | null {
  if (!f.agency_id) return { field: 'agency_id', key: 'admin.err_required' };
  const name = text('name', f.name, LIMITS.name);
  if (name) return name;
  if (f.phone.trim() !== '' && !PHONE_PATTERN.test(f.phone.trim())) return { field: 'phone', key: 'admin.err_phone' };
  return null;
}

/** The PATCH body: the name, and the phone when one is given (the API keeps the old phone otherwise). */
export function agencyEditRequest(f: AgencyEditForm): Record<string, unknown> {
  const body: Record<string, unknown> = { name: f.name.trim() };
  if (f.phone.trim()) body['phone'] = f.phone.trim();
  return body;
}

/** A schedule CSV must at least name its three columns; the server checks every row. */
export function scheduleProblem(csv: string): Problem | null {
  const header = csv.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '');
  if (!header) return { field: 'body', key: 'admin.err_required' };
  const cols = header.split(',').map((c) => c.trim().toLowerCase());
  if (!['username', 'shift_start', 'shift_end'].every((c) => cols.includes(c))) return { field: 'body', key: 'admin.err_csv_header' };
  return null;
}

/** Which status a unit's on/off-duty switch moves it to; null while an assignment holds it. */
export function dutyToggle(status: string): 'available' | 'out_of_service' | null {
  if (status === 'available') return 'out_of_service';
  if (status === 'out_of_service') return 'available';
  return null;
}

// ---- the lists ----

export interface AdminState {
  readonly users: readonly User[];
  readonly units: readonly Unit[];
  readonly agencies: readonly Agency[];
  readonly regions: readonly Region[];
  /** Null when the server has no service-line endpoint. */
  readonly lines: readonly ServiceLine[] | null;
}

export function initialState(): AdminState {
  return { users: [], units: [], agencies: [], regions: [], lines: [] };
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => key(a).localeCompare(key(b));

export function usersLoaded(s: AdminState, users: readonly User[]): AdminState {
  return { ...s, users: [...users].sort(byKey((u) => u.username)) };
}

export function unitsLoaded(s: AdminState, units: readonly Unit[]): AdminState {
  return { ...s, units: [...units].sort(byKey((u) => u.call_sign)) };
}

export function agenciesLoaded(s: AdminState, agencies: readonly Agency[]): AdminState {
  return { ...s, agencies: [...agencies].sort(byKey((a) => a.code)) };
}

export function regionsLoaded(s: AdminState, regions: readonly Region[]): AdminState {
  return { ...s, regions };
}

export function linesLoaded(s: AdminState, lines: readonly ServiceLine[] | null): AdminState {
  return { ...s, lines };
}

/** A user, unit or agency the server answered with replaces the one of the same id, or joins the list. */
export function upsert<T extends { id: string }>(list: readonly T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  return i < 0 ? [...list, item] : list.map((x, j) => (j === i ? item : x));
}

/** An agency's name for tables, its code when unknown. */
export function agencyName(s: AdminState, id: string | null | undefined): string {
  if (!id) return '';
  return s.agencies.find((a) => a.id === id)?.name ?? id;
}

/** The units a responder of `agencyId` may crew. */
export function unitsOf(s: AdminState, agencyId: string): Unit[] {
  return s.units.filter((u) => u.agency_id === agencyId);
}
