//! The admin screen: users (create with role, agency, unit and region; enable/disable; reset a password), units
//! (create; on/off duty), agencies (create; rename, change the phone), the configured service lines (read-only: they are set in
//! `siaga.toml`) and agent schedules (CSV upload). Every write is the API's own (`/api/v1/users`, `/units`,
//! `/agencies`, `/agencies/{id}`, `/agents/schedules`), which audits it; forms check the API's limits first and show its
//! refusals at the field they name.
//!
//! This module wires the pieces: REST and the socket feed `state.ts`, whose changes the `view_*` modules draw.

import { get, getOptional, patch, post, postText } from '../../api/client';
import type { Agency, Region, Unit, User } from '../../api/types';
import { t, tk } from '../../i18n';
import { connectLive } from '../../live/connect';
import type { PageContext } from '../../main';
import { h, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { mountShell } from '../../ui/shell';
import { createStore } from '../store';
import {
  type AdminState,
  agenciesLoaded,
  agencyEditRequest,
  agencyRequest,
  initialState,
  linesLoaded,
  regionsLoaded,
  type ServiceLine,
  unitRequest,
  unitsLoaded,
  upsert,
  userRequest,
  usersLoaded,
} from './state';
import { mountAgencyEditForm, mountAgencyForm, mountResetForm, mountScheduleForm, mountUnitForm, mountUserForm } from './view_forms';
import { mountAgencies, mountLines, mountUnits, mountUsers } from './view_lists';

const SECTIONS = ['users', 'units', 'agencies', 'lines', 'schedules'] as const;

export async function mount({ root, user }: PageContext): Promise<void> {
  const shell = mountShell(root, user, t('admin.title'));
  const store = createStore<AdminState>(initialState());

  const usersView = mountUsers(h('tbody', { 'data-testid': 'users' }), { toggle: (u) => void toggleUser(u), reset: (u) => resetForm.choose(u.id) });
  const unitsView = mountUnits(h('tbody', { 'data-testid': 'units' }), (u, to) => void setDuty(u, to));
  const agenciesView = mountAgencies(h('tbody', { 'data-testid': 'agencies' }), (id) => agencyEditForm.choose(id));
  const linesBox = h('div', { 'data-testid': 'lines' });
  const linesView = mountLines(linesBox);

  const userForm = mountUserForm(async (f) => {
    const created = await post<User>('/api/v1/users', userRequest(f));
    store.update((s) => ({ ...s, users: upsert(s.users, created) }));
    return t('admin.user_created', { name: created.username });
  });
  const resetForm = mountResetForm(async (f) => {
    const changed = await patch<User>(`/api/v1/users/${encodeURIComponent(f.user_id)}`, { password: f.password });
    store.update((s) => ({ ...s, users: upsert(s.users, changed) }));
    return t('admin.reset_done', { name: changed.username });
  });
  const unitForm = mountUnitForm(async (f) => {
    const created = await post<Unit>('/api/v1/units', unitRequest(f));
    store.update((s) => ({ ...s, units: upsert(s.units, created) }));
    return t('admin.unit_created', { name: created.call_sign });
  });
  const agencyForm = mountAgencyForm(async (f) => {
    const created = await post<Agency>('/api/v1/agencies', agencyRequest(f));
    store.update((s) => agenciesLoaded(s, upsert(s.agencies, created)));
    return t('admin.agency_created', { name: created.name });
  });
  const agencyEditForm = mountAgencyEditForm(async (f) => {
    const changed = await patch<Agency>(`/api/v1/agencies/${encodeURIComponent(f.agency_id)}`, agencyEditRequest(f));
    store.update((s) => agenciesLoaded(s, upsert(s.agencies, changed)));
    return t('admin.agency_saved', { name: changed.name });
  });
  const scheduleForm = mountScheduleForm(async (csv) => {
    const done = await postText<{ imported: number }>('/api/v1/agents/schedules', csv, 'text/csv');
    return t('admin.schedules_done', { n: done.imported });
  });

  const section = (id: (typeof SECTIONS)[number], ...children: (Node | null)[]) =>
    h('section', { class: 'card admin-section', id: `admin-${id}`, 'aria-labelledby': `admin-${id}-title` }, h('h2', { id: `admin-${id}-title` }, t(`admin.${id}` as 'admin.users')), ...children);
  replace(
    shell.main,
    h(
      'div',
      { class: 'admin' },
      h('nav', { class: 'admin-nav', 'aria-label': t('admin.sections') }, h('ul', {}, SECTIONS.map((id) => h('li', {}, h('a', { href: `#admin-${id}` }, t(`admin.${id}` as 'admin.users')))))),
      section('users', h('div', { class: 'table-wrap' }, usersView.table), userForm.form, resetForm.form),
      section('units', h('div', { class: 'table-wrap' }, unitsView.table), unitForm.form),
      section('agencies', h('div', { class: 'table-wrap' }, agenciesView.table), agencyEditForm.form, agencyForm.form),
      section('lines', linesBox),
      section('schedules', scheduleForm.form),
    ),
  );
  store.subscribe((next, prev) => {
    usersView.render(next, prev);
    unitsView.render(next, prev);
    agenciesView.render(next, prev);
    linesView.render(next, prev);
    if (next.agencies !== prev.agencies || next.regions !== prev.regions || next.units !== prev.units || next.users !== prev.users) {
      userForm.render(next);
      resetForm.render(next);
      unitForm.render(next);
      agencyForm.render(next);
      agencyEditForm.render(next);
    }
  });

  async function loadUsers(): Promise<void> {
    const users = await get<User[]>('/api/v1/users');
    store.update((s) => usersLoaded(s, users));
  }
  async function loadUnits(): Promise<void> {
    const units = await get<Unit[]>('/api/v1/units');
    store.update((s) => unitsLoaded(s, units));
  }
  async function loadAll(): Promise<void> {
    // Provinces and regencies: the levels agencies and region-scoped users belong to (villages would be
    // thousands of options).
    const [agencies, provinces, regencies, lines] = await Promise.all([
      get<Agency[]>('/api/v1/agencies'),
      get<Region[]>('/api/v1/regions?level=province'),
      get<Region[]>('/api/v1/regions?level=regency'),
      getOptional<ServiceLine[]>('/api/v1/service-lines'),
    ]);
    store.update((s) => linesLoaded(regionsLoaded(agenciesLoaded(s, agencies), [...provinces, ...regencies]), lines));
    await Promise.all([loadUsers(), loadUnits()]);
  }

  async function toggleUser(u: User): Promise<void> {
    if (u.active && !confirm(t('admin.disable_confirm', { name: u.username }))) return;
    try {
      const changed = await patch<User>(`/api/v1/users/${encodeURIComponent(u.id)}`, { active: !u.active });
      store.update((s) => ({ ...s, users: upsert(s.users, changed) }));
      shell.toast(t(changed.active ? 'admin.enabled_done' : 'admin.disabled_done', { name: changed.username }));
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  async function setDuty(u: Unit, to: 'available' | 'out_of_service'): Promise<void> {
    try {
      const changed = await patch<Unit>(`/api/v1/units/${encodeURIComponent(u.id)}/status`, { status: to });
      store.update((s) => ({ ...s, units: upsert(s.units, changed) }));
      shell.toast(t('admin.duty_done', { name: changed.call_sign, status: tk('unit_status', changed.status) }));
    } catch (e) {
      shell.toast(messageFor(e), 'error');
    }
  }

  try {
    await loadAll();
  } catch (e) {
    shell.toast(messageFor(e), 'error');
  }

  // Units change status with assignments; new units and users may come from another admin's screen.
  let pending: ReturnType<typeof setTimeout> | null = null;
  connectLive({
    snapshot: loadAll,
    onEvent: (e) => {
      if (!e.type.startsWith('unit.') || e.type === 'unit.position' || pending) return;
      pending = setTimeout(() => {
        pending = null;
        void loadUnits().catch(() => undefined);
      }, 500);
    },
    onState: shell.setLive,
  });
}
