//! Colours and short symbols for priorities and statuses. Colour is never the only signal: every value also
//! has a text label (from i18n) and a distinct glyph, used in map badges, lists and the legend.

export const PRIORITY_COLOUR: Record<string, string> = {
  p1: '#b71c1c',
  p2: '#e65100',
  p3: '#f9a825',
  p4: '#1565c0',
};

/** Glyphs drawn with plain canvas text (no emoji font needed). */
export const INCIDENT_STATUS_GLYPH: Record<string, string> = {
  new: '!',
  escalated: '»',
  verified: '✓',
  dispatched: '➤',
  resolved: '■',
  closed: '×',
  rejected: '⊘',
  cancelled: '⊘',
};

export const UNIT_STATUS_COLOUR: Record<string, string> = {
  available: '#2e7d32',
  assigned: '#6a1b9a',
  en_route: '#1565c0',
  on_scene: '#ef6c00',
  out_of_service: '#616161',
};

export const UNIT_STATUS_GLYPH: Record<string, string> = {
  available: '●',
  assigned: '◆',
  en_route: '➤',
  on_scene: '▲',
  out_of_service: '○',
};

export const CATEGORY_GLYPH: Record<string, string> = {
  fire: 'FIRE',
  traffic_accident: 'LAKA',
  health: 'MED',
  crime: 'KRIM',
  natural_disaster: 'BNCN',
  public_order: 'TIB',
  riot: 'RUSH',
  violence_women_children: 'PPA',
  other: 'LAIN',
};

/** A MapLibre `match` expression mapping a property through a table, with a fallback. */
export function matchExpr(property: string, table: Record<string, string>, fallback: string): unknown[] {
  const expr: unknown[] = ['match', ['get', property]];
  for (const [k, v] of Object.entries(table)) expr.push(k, v);
  expr.push(fallback);
  return expr;
}

/** Whether the incident is still open (shown in the dispatcher's queue). */
export function isOpenIncident(status: string): boolean {
  return !['resolved', 'closed', 'rejected', 'cancelled'].includes(status);
}
