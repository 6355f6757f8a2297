//! Every error code the client can show. `ErrorCode` is generated from the server's OpenAPI document, so a
//! new server code fails `tsc` until both tables translate it. Domain codes from `siaga-core` that the server
//! may surface, and client-side codes, are listed here by hand.

import type { ErrorCode } from '../api/types';

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

/** The API's codes as the backend lists them (kept as a value so the completeness test can iterate it). */
export const API_ERROR_CODES: readonly ErrorCode[] = [
  'bad_request',
  'invalid_json',
  'validation_failed',
  'payload_too_large',
  'unauthenticated',
  'token_expired',
  'session_revoked',
  'invalid_credentials',
  'account_disabled',
  'forbidden',
  'not_found',
  'conflict',
  'invalid_transition',
  'idempotency_key_reused',
  'unsupported_media_type',
  'too_many_requests',
  'unavailable',
  'internal',
];
