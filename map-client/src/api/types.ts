//! Wire types of the API. Types of endpoints already in `/api/openapi.json` come from the generated
//! `schema.d.ts`; endpoints still being built are written here from the agreed contract, and each is replaced
//! by its generated alias once the OpenAPI document describes it (`npm run gen:api`).

import type { components } from './schema';

type Schemas = components['schemas'];

export type Role = Schemas['Role'];
export type User = Schemas['UserView'];
export type LoginResponse = Schemas['LoginView'];
export type ErrorCode = Schemas['ErrorCode'];
export type Agency = Schemas['AgencyView'];
export type Unit = Schemas['UnitView'];
export type Region = Schemas['RegionView'];

export interface LonLat {
  lon: number;
  lat: number;
}

export type CallChannel = 'voice' | 'sms' | 'social_media' | 'web';
export type CallStatus = 'ringing' | 'answered' | 'classified' | 'ended' | 'abandoned';
export type CallClass = 'emergency' | 'information' | 'prank' | 'ghost' | 'wrong_number' | 'abandoned';

export interface Aml {
  lon: number;
  lat: number;
  radius_m: number;
  at: number;
  /** Positioning method, when the AML message names one. */
  method?: string;
  raw?: string;
}

export interface CallView {
  id: string;
  ani: string;
  channel: CallChannel;
  service_line: string;
  status: CallStatus;
  class: CallClass | null;
  ring_at: number;
  answered_at: number | null;
  ended_at: number | null;
  aml: Aml | null;
  prank_flag: boolean;
  incident_id: string | null;
}

export const CATEGORIES = [
  'fire',
  'traffic_accident',
  'health',
  'crime',
  'natural_disaster',
  'public_order',
  'riot',
  'violence_women_children',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];
export const PRIORITIES = ['p1', 'p2', 'p3', 'p4'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const VICTIM_CONDITIONS = ['unknown', 'minor', 'serious', 'critical', 'deceased'] as const;
export type VictimCondition = (typeof VICTIM_CONDITIONS)[number];
export type IncidentStatus =
  | 'new'
  | 'escalated'
  | 'verified'
  | 'dispatched'
  | 'resolved'
  | 'closed'
  | 'rejected'
  | 'cancelled';

export interface RegionRef {
  code: string;
  name: string;
  level: string;
}

export interface Sla {
  kind: string;
  due_at: number;
  breached_at: number | null;
  stopped_at: number | null;
}

export interface IncidentView {
  id: string;
  number: string;
  status: IncidentStatus;
  category: Category;
  subcategory: string | null;
  priority: Priority;
  location: LonLat;
  address: string | null;
  region_chain: RegionRef[];
  agencies: { agency_id: string; agency_type: string; status: string }[];
  victims: { count: number; condition: VictimCondition };
  description: string | null;
  created_at: number;
  sla: Sla[];
  call_ids?: string[];
  /** The incident's assignments (the server embeds them). */
  assignments?: AssignmentView[];
  reporter?: { name?: string | null; phone?: string | null; address?: string | null } | null;
}

export interface CreateIncident {
  call_id?: string;
  category: Category;
  subcategory?: string;
  priority: Priority;
  location: LonLat;
  accuracy_m?: number;
  address?: string;
  reporter?: { name?: string; phone?: string; address?: string };
  victims: { count: number; condition: VictimCondition };
  description?: string;
}

export interface DuplicateView {
  incident_id: string;
  number: string;
  status: IncidentStatus;
  distance_m: number;
  time_gap_ms: number;
}

export interface Located {
  region_chain: RegionRef[];
  outside: boolean;
  agencies: Record<string, string>;
}

export interface Recommendations {
  units: { unit_id: string; call_sign: string; unit_type: string; agency_id: string; distance_m: number; eta_s: number }[];
  excluded: { unit_id: string; call_sign: string; reason: string }[];
  facilities: { id: string; name: string; kind: string; distance_m: number; position: LonLat }[];
}

export type AssignmentStatus =
  | 'assigned'
  | 'acknowledged'
  | 'en_route'
  | 'on_scene'
  | 'resolved'
  | 'declined'
  | 'cancelled';

export interface AssignmentView {
  id: string;
  incident_id: string;
  unit_id: string;
  agency_id: string;
  status: AssignmentStatus;
  assigned_at: number;
  note?: string | null;
  /** Some deployments embed the incident; the responder page fetches it otherwise. */
  incident?: IncidentView;
}

export const DECLINE_REASONS = ['busy', 'vehicle_problem', 'out_of_area', 'not_capable', 'no_crew', 'other'] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export type AgentState = 'ready' | 'aux' | 'logged_out' | 'on_call' | string;

export interface AgentView {
  user_id: string;
  username?: string;
  display_name?: string;
  role?: Role;
  state: AgentState;
  reason?: string | null;
  since?: number;
}

export interface ClientConfig {
  basemap_pmtiles_url: string | null;
}
