//! The admin screen's tables: users (enable/disable, reset password), units (on/off duty), agencies and the
//! configured service lines. Each redraws only when its list changed.

import type { Unit, User } from '../../api/types';
import { t, tk } from '../../i18n';
import { h, replace } from '../../ui/dom';
import { minutes } from '../../ui/format';
import { type AdminState, agencyName, dutyToggle } from './state';

const table = (caption: string, heads: string[], body: HTMLElement) =>
  h('table', { class: 'admin-table' }, h('caption', { class: 'visually-hidden' }, caption), h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))), body);

export function mountUsers(body: HTMLElement, actions: { toggle(u: User): void; reset(u: User): void }) {
  return {
    table: table(t('admin.users'), [t('admin.username'), t('admin.display_name'), t('admin.role'), t('admin.agency'), t('admin.status'), t('admin.actions')], body),
    render(s: AdminState, prev: AdminState | null) {
      if (prev && prev.users === s.users && prev.agencies === s.agencies && prev.units === s.units) return;
      replace(
        body,
        s.users.map((u) =>
          h(
            'tr',
            { 'data-username': u.username },
            h('td', {}, u.username),
            h('td', {}, u.display_name),
            h('td', {}, tk('app.role', u.role)),
            h('td', {}, agencyName(s, u.agency_id), u.unit_id ? ` · ${s.units.find((x) => x.id === u.unit_id)?.call_sign ?? ''}` : ''),
            h('td', { 'data-active': String(u.active) }, u.active ? t('admin.active') : t('admin.disabled')),
            h(
              'td',
              { class: 'actions' },
              h('button', { type: 'button', class: `btn${u.active ? ' danger' : ''}`, 'aria-label': `${u.active ? t('admin.disable') : t('admin.enable')}: ${u.username}`, onclick: () => actions.toggle(u) }, u.active ? t('admin.disable') : t('admin.enable')),
              h('button', { type: 'button', class: 'btn', 'aria-label': `${t('admin.reset')}: ${u.username}`, onclick: () => actions.reset(u) }, t('admin.reset')),
            ),
          ),
        ),
      );
    },
  };
}

export function mountUnits(body: HTMLElement, onDuty: (u: Unit, to: 'available' | 'out_of_service') => void) {
  return {
    table: table(t('admin.units'), [t('admin.call_sign'), t('admin.agency'), t('admin.unit_type'), t('admin.status'), t('admin.actions')], body),
    render(s: AdminState, prev: AdminState | null) {
      if (prev && prev.units === s.units && prev.agencies === s.agencies) return;
      replace(
        body,
        s.units.map((u) => {
          const to = dutyToggle(u.status);
          return h(
            'tr',
            { 'data-call-sign': u.call_sign },
            h('td', {}, u.call_sign),
            h('td', {}, agencyName(s, u.agency_id)),
            h('td', {}, tk('unit_type', u.unit_type)),
            h('td', { 'data-status': u.status }, tk('unit_status', u.status)),
            h(
              'td',
              { class: 'actions' },
              to
                ? h(
                    'button',
                    { type: 'button', class: 'btn', 'aria-label': `${to === 'available' ? t('admin.on_duty') : t('admin.off_duty')}: ${u.call_sign}`, onclick: () => onDuty(u, to) },
                    to === 'available' ? t('admin.on_duty') : t('admin.off_duty'),
                  )
                : h('span', { class: 'muted' }, t('admin.on_assignment')),
            ),
          );
        }),
      );
    },
  };
}

export function mountAgencies(body: HTMLElement, onEdit: (id: string) => void) {
  return {
    table: table(t('admin.agencies'), [t('admin.code'), t('admin.name'), t('admin.agency_type'), t('admin.region'), t('admin.phone'), t('admin.actions')], body),
    render(s: AdminState, prev: AdminState | null) {
      if (prev && prev.agencies === s.agencies && prev.regions === s.regions) return;
      replace(
        body,
        s.agencies.map((a) =>
          h(
            'tr',
            { 'data-code': a.code },
            h('td', {}, a.code),
            h('td', {}, a.name),
            h('td', {}, tk('agency_type', a.agency_type)),
            h('td', {}, s.regions.find((r) => r.code === a.region_code)?.name ?? a.region_code),
            h('td', {}, a.phone ?? t('common.none')),
            h('td', { class: 'actions' }, h('button', { type: 'button', class: 'btn', 'aria-label': `${t('admin.edit')}: ${a.code}`, onclick: () => onEdit(a.id) }, t('admin.edit'))),
          ),
        ),
      );
    },
  };
}

export function mountLines(box: HTMLElement) {
  return {
    render(s: AdminState, prev: AdminState | null) {
      if (prev && prev.lines === s.lines) return;
      if (s.lines === null) return replace(box, h('p', { class: 'muted' }, t('common.unavailable_endpoint')));
      const body = h('tbody');
      replace(
        body,
        s.lines.map((l) =>
          h(
            'tr',
            { 'data-line': l.line },
            h('td', {}, l.line),
            h('td', {}, l.tiered ? t('admin.line_tiered') : t('admin.line_central')),
            h('td', {}, l.regional_teams.length ? l.regional_teams.map((x) => `${x.team_id} (${x.region_codes.join(', ')})`).join('; ') : t('common.none')),
            h('td', {}, l.fallback_after_ms ? t('admin.line_fallback', { min: minutes(l.fallback_after_ms / 1000) }) : t('common.none')),
            h('td', {}, l.follow_up_day_offsets.length ? t('admin.line_follow_ups', { days: l.follow_up_day_offsets.join(', ') }) : t('common.none')),
          ),
        ),
      );
      replace(box, table(t('admin.lines'), [t('admin.line'), t('admin.line_routing'), t('admin.line_teams'), t('admin.line_fallback_head'), t('admin.line_follow_ups_head')], body), h('p', { class: 'hint' }, t('admin.lines_hint')));
    },
  };
}
