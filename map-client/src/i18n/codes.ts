//! Every error code the client can show, and where each comes from.
//!
//! The server's codes are one table in `siaga-core` (`ErrorCode`, each with its HTTP status); the OpenAPI
//! document carries them into the generated `ErrorCode` type (`schema.d.ts`, checked against the server by a
//! server test). `API_ERRORS` below is keyed by that type, so `tsc` fails when the server adds or drops a code
//! until this table follows, and `en.ts`/`id.ts` (typed by `KnownErrorCode`) fail until both languages
//! translate it. `codes.test.ts` checks that no text is empty.

import type { ErrorCode } from '../api/types';

/** The codes the server answers with: exactly the generated `ErrorCode` union, no more and no fewer. */
const API_ERRORS: Record<ErrorCode, true> = {
  bad_request: true,
  invalid_json: true,
  validation_failed: true,
  payload_too_large: true,
  unauthenticated: true,
  token_expired: true,
  session_revoked: true,
  invalid_credentials: true,
  account_disabled: true,
  forbidden: true,
  password_change_required: true,
  not_found: true,
  conflict: true,
  invalid_transition: true,
  idempotency_key_reused: true,
  unsupported_media_type: true,
  too_many_requests: true,
  unavailable: true,
  internal: true,
};

/** The API's codes as a list (complete by construction: it is the key set of a `Record<ErrorCode, …>`). */
export const API_ERROR_CODES: readonly ErrorCode[] = Object.keys(API_ERRORS) as ErrorCode[];

/**
 * Codes the server never sends. They named `siaga-core`'s domain failures, which answer on the wire with
 * `validation_failed` or `invalid_transition` (the detail is in `message` and `field`). They stay only because
 * `en.ts` and `id.ts` still translate them; delete them together with those entries.
 */
export const CORE_ERROR_CODES = [
  'assignments_open',
  'no_open_assignment',
  'invalid_aml',
  'aml_no_location',
  'invalid_ani',
  'invalid_service_line',
  'invalid_position',
  'invalid_incident_number',
  'invalid_subcategory',
  'invalid_sla_policy',
  'invalid_routing_config',
  'invalid_follow_up_rule',
] as const;

/** Errors that never come from the server: the request did not reach it. */
export const CLIENT_ERROR_CODES = ['network_error'] as const;

export type KnownErrorCode =
  | ErrorCode
  | (typeof CORE_ERROR_CODES)[number]
  | (typeof CLIENT_ERROR_CODES)[number];
