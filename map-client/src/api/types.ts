//! Wire types of the API, as aliases of the generated `schema.d.ts` (`npm run gen:api` from the committed
//! `docs/openapi.json`): the OpenAPI document is the one source of truth, so a changed server shape fails `tsc` here.
//! What this file adds is only what a document cannot give a form: the closed value lists, in display order,
//! for selects and keyboard shortcuts, each checked against the generated enum.

import type { components } from './schema';

type Schemas = components['schemas'];

export type Role = Schemas['Role'];
export type User = Schemas['UserView'];
export type LoginResponse = Schemas['LoginView'];
export type ErrorCode = Schemas['ErrorCode'];
export type Agency = Schemas['AgencyView'];
export type Unit = Schemas['UnitView'];
export type Region = Schemas['RegionView'];
export type LonLat = Schemas['LonLat'];

export type CallChannel = Schemas['Channel'];
export type CallStatus = Schemas['CallStatus'];
export type CallClass = Schemas['CallClass'];
export type Aml = Schemas['AmlView'];
export type CallView = Schemas['CallView'];
export type FollowUpView = Schemas['FollowUpView'];
export type FollowUpOutcome = Schemas['FollowUpOutcome'];
export type CallBackView = Schemas['CallBackView'];
export type CallBackOutcome = Schemas['CallBackOutcome'];
export type CallerHistoryView = Schemas['CallerHistoryView'];

export type Category = Schemas['Category'];
export type Priority = Schemas['Priority'];
export type VictimCondition = Schemas['VictimCondition'];
export type RegionRef = Schemas['RegionLink'];
export type Sla = Schemas['ClockView'];
export type IncidentAgency = Schemas['IncidentAgencyView'];
export type IncidentView = Schemas['IncidentView'];
export type CreateIncident = Schemas['CreateIncidentRequest'];
export type DuplicateView = Schemas['DuplicateView'];
export type Located = Schemas['Location'];
export type PlaceView = Schemas['PlaceView'];
export type Recommendations = Schemas['RecommendationsView'];
export type RouteView = Schemas['RouteView'];
export type CoverageView = Schemas['CoverageView'];
export type UnitType = Schemas['UnitType'];

export type AssignmentStatus = Schemas['AssignmentStatus'];
export type AssignmentView = Schemas['AssignmentView'];
export type ClockView = Schemas['ClockView'];
export type DeclineReason = Schemas['DeclineReason'];
export type CancelReason = Schemas['CancelReason'];
export type CancelRequest = Schemas['CancelRequest'];

export type AgentView = Schemas['AgentView'];
export type KpiReport = Schemas['KpiReportView'];
export type ClientConfig = Schemas['ClientConfigView'];

/** Incident statuses (the view carries the status as a string; these are the values it takes). */
export type IncidentStatus = 'new' | 'escalated' | 'verified' | 'dispatched' | 'resolved' | 'closed' | 'rejected' | 'cancelled';

/** Every member of a generated string enum, in the order the UI lists them; `tsc` rejects a missing or extra one. */
function allOf<T extends string>() {
  return <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)): L => list;
}

export const CATEGORIES = allOf<Category>()([
  'fire',
  'traffic_accident',
  'health',
  'crime',
  'natural_disaster',
  'public_order',
  'riot',
  'violence_women_children',
  'other',
] as const);
export const PRIORITIES = allOf<Priority>()(['p1', 'p2', 'p3', 'p4'] as const);
export const VICTIM_CONDITIONS = allOf<VictimCondition>()(['unknown', 'minor', 'serious', 'critical', 'deceased'] as const);
export const FOLLOW_UP_OUTCOMES = allOf<FollowUpOutcome>()(['reached', 'no_answer', 'refused', 'wrong_number', 'completed'] as const);
export const CALL_BACK_OUTCOMES = allOf<CallBackOutcome>()(['reached', 'no_answer', 'busy', 'switched_off', 'wrong_number'] as const);
export const CANCEL_REASONS = allOf<CancelReason>()(['false_alarm', 'duplicate', 'caller_withdrew', 'handled_elsewhere'] as const);
export const DECLINE_REASONS = allOf<DeclineReason>()(['busy', 'vehicle_problem', 'out_of_area', 'not_capable', 'no_crew', 'other'] as const);
