//! The one fetch wrapper: JSON in and out, the session cookie, `Idempotency-Key` on writes, and typed errors.
//!
//! The session is an HttpOnly cookie the browser sends by itself (same origin). Every request also carries
//! `X-Requested-With`, which the server demands of changes authenticated by that cookie: another site's
//! page cannot add it without a CORS preflight the server never grants (CSRF).
//!
//! Every non-2xx answer becomes an `ApiError` carrying the backend's stable `code` (the i18n key) and the
//! offending `field`, so pages never parse error bodies themselves. A request that never reached the server
//! (offline, DNS, reset) becomes `ApiError` with code `network_error` and `status: 0`, which the responder
//! outbox uses to decide "keep and retry" versus "drop and report".

import { clearSession, isSigningOut } from './session';

/** An error answered by the API, or a network failure (`status === 0`). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;
  readonly allowed: string[] | undefined;

  constructor(code: string, status: number, message: string, field?: string, allowed?: string[]) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.field = field;
    this.allowed = allowed;
  }

  /** Whether the same request may succeed later unchanged (network down, server busy or failing). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** Codes that mean the session is over: the app returns to the login page. */
const SESSION_ENDED = new Set(['unauthenticated', 'token_expired', 'session_revoked', 'account_disabled']);

type SessionEndedListener = (code: string) => void;
let onSessionEnded: SessionEndedListener | null = null;

/** Registers what happens when any request reports the session as ended (one listener, set by main.ts). */
export function setSessionEndedListener(listener: SessionEndedListener | null): void {
  onSessionEnded = listener;
}

export interface RequestOptions {
  /** Sent as `Idempotency-Key`; the server answers a replay with the first response. */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** A request whose 401 does not end the session (login, and the probe for a session at start). */
  anonymous?: boolean;
}

/** A fresh idempotency key. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/** Sends one request and returns the parsed JSON body (or `undefined` for 204). */
export async function request<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  const response = await send(path, { method, headers, body: body === undefined ? null : JSON.stringify(body), signal: options.signal ?? null });
  if (response.status === 204) return undefined as T;
  const parsed = await jsonBody(response);
  if (!response.ok) throw failure(response.status, parsed, options.anonymous ?? false);
  return parsed as T;
}

/**
 * `fetch` with what every call to the API carries (the session cookie, the CSRF marker header); a fetch that
 * fails without an answer (offline, refused) is a `network_error`. An abort is passed on as it is.
 */
async function send(path: string, init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
  try {
    return await fetch(path, { ...init, headers: { 'X-Requested-With': 'siaga', ...init.headers }, credentials: 'same-origin' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError('network_error', 0, e instanceof Error ? e.message : String(e));
  }
}

/** The answer's body as JSON, or `undefined` when it is empty or not JSON. */
async function jsonBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The error an answer that is not 2xx stands for; a session the server ended ends on this page too. */
function failure(status: number, parsed: unknown, anonymous: boolean): ApiError {
  const err = errorFromBody(status, parsed);
  if (SESSION_ENDED.has(err.code) && !anonymous && !isSigningOut()) {
    clearSession();
    onSessionEnded?.(err.code);
  }
  return err;
}

/** Builds an `ApiError` from an error envelope; a body without one maps the status to a code. */
export function errorFromBody(status: number, body: unknown): ApiError {
  const env = (body as { error?: { code?: unknown; message?: unknown; field?: unknown; allowed?: unknown } } | undefined)
    ?.error;
  if (env && typeof env.code === 'string') {
    return new ApiError(
      env.code,
      status,
      typeof env.message === 'string' ? env.message : env.code,
      typeof env.field === 'string' ? env.field : undefined,
      Array.isArray(env.allowed) ? env.allowed.map(String) : undefined,
    );
  }
  return new ApiError(codeForStatus(status), status, `HTTP ${status}`);
}

function codeForStatus(status: number): string {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 422) return 'validation_failed';
  if (status === 429) return 'too_many_requests';
  if (status === 503 || status === 502 || status === 504) return 'unavailable';
  if (status >= 500) return 'internal';
  return 'bad_request';
}

export const get = <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options);
export const post = <T>(path: string, body?: unknown, options?: RequestOptions) =>
  request<T>('POST', path, body ?? {}, { idempotencyKey: newIdempotencyKey(), ...options });
export const patch = <T>(path: string, body: unknown, options?: RequestOptions) =>
  request<T>('PATCH', path, body, options);

/** GET that answers `null` for 404 (endpoints that are optional or not deployed yet). */
export async function getOptional<T>(path: string): Promise<T | null> {
  try {
    return await get<T>(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

/** A file the server sent as an attachment: its bytes and the name it suggests (`Content-Disposition`). */
export interface DownloadedFile {
  blob: Blob;
  fileName: string;
}

/**
 * GETs a file (a CSV or XLSX report). The session cookie goes with it like any request, so the page can turn
 * the answer into a real download (`saveFile` in `ui/download.ts`); an error answer becomes an `ApiError` as
 * everywhere else instead of a downloaded JSON error.
 */
export async function download(path: string, fallbackName: string): Promise<DownloadedFile> {
  const response = await send(path, { headers: {} });
  if (!response.ok) throw failure(response.status, await jsonBody(response), false);
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const named = /filename="([^"]+)"/.exec(disposition)?.[1];
  return { blob: await response.blob(), fileName: named ?? fallbackName };
}

/** POSTs a text body of another type than JSON (a CSV upload), with the same headers and errors as `request`. */
export async function postText<T>(path: string, body: string, contentType: string): Promise<T> {
  const headers = { Accept: 'application/json', 'Content-Type': contentType, 'Idempotency-Key': newIdempotencyKey() };
  const response = await send(path, { method: 'POST', headers, body });
  const parsed = await jsonBody(response);
  if (!response.ok) throw failure(response.status, parsed, false);
  return parsed as T;
}
