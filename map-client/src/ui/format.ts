//! Formatting of distances, durations and times for display (units in the names, as everywhere in Siaga).

import { lang } from '../i18n';

export function km(distance_m: number): string {
  return (distance_m / 1000).toLocaleString(lang() === 'id' ? 'id-ID' : 'en-GB', { maximumFractionDigits: 1 });
}

export function minutes(eta_s: number): string {
  return String(Math.max(1, Math.round(eta_s / 60)));
}

/**
 * `mm:ss` (or `h:mm:ss`) for a countdown; past due is shown with a minus sign and counted in started seconds,
 * so a clock breached a moment ago reads −00:01, never −00:00.
 */
export function countdown(remaining_ms: number): string {
  const sign = remaining_ms < 0 ? '−' : '';
  let s = remaining_ms < 0 ? Math.ceil(-remaining_ms / 1000) : Math.floor(remaining_ms / 1000);
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const mm = String(Math.floor(s / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${sign}${hours}:${mm}:${ss}` : `${sign}${mm}:${ss}`;
}

export function clock(at_ms: number): string {
  return new Date(at_ms).toLocaleTimeString(lang() === 'id' ? 'id-ID' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** Great-circle distance in metres (haversine, mean earth radius 6 371 008.8 m). */
export function haversine_m(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const R = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const x = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(x));
}
