//! The admin screen's forms: create a user, reset a password, create a unit, create an agency, upload
//! schedules. Each checks its input with `state.ts` first (the API's limits), then sends it; a refusal, its own
//! or the server's, is shown at the field it names (`ui/field_errors`).

import { ApiError } from '../../api/client';
import { t, tk } from '../../i18n';
import { h, options, replace } from '../../ui/dom';
import { clearFieldErrors, field, showApiError, showFieldError } from '../../ui/field_errors';
import {
  AGENCY_TYPES,
  type AdminState,
  type AgencyForm,
  LIMITS,
  needsAgency,
  type Problem,
  ROLES,
  UNIT_TYPES,
  type UnitForm,
  type UserForm,
  type AgencyEditForm,
  agencyEditProblem,
  agencyProblem,
  passwordProblem,
  scheduleProblem,
  unitProblem,
  unitsOf,
  userProblem,
} from './state';

type Submit<T> = (value: T) => Promise<string>;

/** Wires a form: local check, then the request; success clears it and says so in its status line. */
function wire<T>(form: HTMLFormElement, read: () => T, check: (v: T) => Problem | null, submit: Submit<T>, after?: () => void, fieldOf?: (field: string) => string) {
  const alert = h('p', { class: 'error', role: 'alert', hidden: true });
  const status = h('p', { class: 'ok-message', role: 'status' });
  const button = h('button', { type: 'submit', class: 'btn primary' }, t('admin.save'));
  form.append(alert, h('div', { class: 'row' }, button), status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form, alert);
    status.textContent = '';
    const value = read();
    const problem = check(value);
    if (problem) {
      showFieldError(form, alert, problem.field, t(problem.key, problem.params ?? {}));
      return;
    }
    button.disabled = true;
    try {
      status.textContent = await submit(value);
      form.reset();
      after?.();
    } catch (e) {
      showApiError(form, alert, e instanceof ApiError && e.field && fieldOf ? new ApiError(e.code, e.status, e.message, fieldOf(e.field), e.allowed) : e);
    } finally {
      button.disabled = false;
    }
  });
}

const input = (name: string, attrs: Record<string, string | number | boolean> = {}) => h('input', { name, ...attrs });

export function mountUserForm(onCreate: Submit<UserForm>) {
  const username = input('username', { maxlength: LIMITS.username, autocomplete: 'off', required: true, pattern: '[A-Za-z0-9._\\-]+' });
  const displayName = input('display_name', { maxlength: LIMITS.displayName, autocomplete: 'off', required: true });
  const role = h('select', { name: 'role' }, options(ROLES, (r) => tk('app.role', r), 'call_taker'));
  const agency = h('select', { name: 'agency_id' });
  const unit = h('select', { name: 'unit_id' });
  const region = h('select', { name: 'region_code' });
  const password = input('password', { type: 'password', autocomplete: 'new-password', minlength: LIMITS.passwordMin, required: true });
  const mustChange = input('must_change_password', { type: 'checkbox', checked: true });
  const agencyBox = field(t('admin.agency'), agency);
  const unitBox = field(t('admin.unit'), unit, t('admin.unit_hint'));
  const form = h(
    'form',
    { class: 'admin-form grid2', 'data-testid': 'user-form', novalidate: true, 'aria-labelledby': 'user-form-title' },
    h('h3', { id: 'user-form-title', class: 'span2' }, t('admin.user_new')),
    field(t('admin.username'), username, t('admin.username_hint', { max: LIMITS.username })),
    field(t('admin.display_name'), displayName),
    field(t('admin.role'), role),
    field(t('admin.region'), region, t('admin.region_hint')),
    agencyBox,
    unitBox,
    field(t('admin.password'), password, t('admin.password_hint', { min: LIMITS.passwordMin })),
    field(t('admin.must_change'), mustChange),
  );
  let state: AdminState | null = null;
  const sync = () => {
    const withAgency = needsAgency(role.value);
    agencyBox.hidden = !withAgency;
    unitBox.hidden = role.value !== 'responder';
    if (state) {
      const chosen = unit.value;
      replace(unit, h('option', { value: '' }, t('admin.choose')), unitsOf(state, agency.value).map((u) => h('option', { value: u.id, selected: u.id === chosen }, u.call_sign)));
    }
  };
  role.addEventListener('change', sync);
  agency.addEventListener('change', sync);
  wire(
    form,
    (): UserForm => ({
      username: username.value,
      display_name: displayName.value,
      role: role.value,
      agency_id: agency.value,
      unit_id: unit.value,
      region_code: region.value,
      password: password.value,
      must_change_password: mustChange.checked,
    }),
    userProblem,
    onCreate,
    sync,
  );
  sync();
  return {
    form,
    render(next: AdminState) {
      state = next;
      const a = agency.value;
      replace(agency, h('option', { value: '' }, t('admin.choose')), next.agencies.map((x) => h('option', { value: x.id, selected: x.id === a }, `${x.code} · ${x.name}`)));
      const r = region.value;
      replace(region, h('option', { value: '' }, t('admin.region_none')), next.regions.map((x) => h('option', { value: x.code, selected: x.code === r }, `${x.name} (${x.code})`)));
      sync();
    },
  };
}

export interface ResetForm {
  readonly user_id: string;
  readonly password: string;
}

export function mountResetForm(onReset: Submit<ResetForm>) {
  const user = h('select', { name: 'user_id' });
  const password = input('password', { type: 'password', autocomplete: 'new-password', minlength: LIMITS.passwordMin, required: true });
  const form = h(
    'form',
    { class: 'admin-form grid2', 'data-testid': 'reset-form', novalidate: true, 'aria-labelledby': 'reset-form-title' },
    h('h3', { id: 'reset-form-title', class: 'span2' }, t('admin.reset_title')),
    field(t('admin.user'), user),
    field(t('admin.password_new'), password, t('admin.reset_hint')),
  );
  let users: AdminState['users'] = [];
  wire(
    form,
    (): ResetForm => ({ user_id: user.value, password: password.value }),
    (v) => (v.user_id ? passwordProblem(v.password, users.find((u) => u.id === v.user_id)?.username ?? '') : { field: 'user_id', key: 'admin.err_required' }),
    onReset,
  );
  return {
    form,
    /** Preselects a user (the table's "reset password" button) and moves the focus to the new password. */
    choose(id: string) {
      user.value = id;
      password.focus();
    },
    render(next: AdminState) {
      users = next.users;
      const chosen = user.value;
      replace(user, h('option', { value: '' }, t('admin.choose')), next.users.map((u) => h('option', { value: u.id, selected: u.id === chosen }, `${u.username} · ${u.display_name}`)));
    },
  };
}

export function mountUnitForm(onCreate: Submit<UnitForm>) {
  const agency = h('select', { name: 'agency_id' });
  const callSign = input('call_sign', { maxlength: LIMITS.callSign, autocomplete: 'off', required: true });
  const type = h('select', { name: 'unit_type' }, options(UNIT_TYPES, (u) => tk('unit_type', u), 'ambulance'));
  const lon = input('position.lon', { type: 'number', step: 'any', min: -180, max: 180, inputmode: 'decimal' });
  const lat = input('position.lat', { type: 'number', step: 'any', min: -90, max: 90, inputmode: 'decimal' });
  const form = h(
    'form',
    { class: 'admin-form grid2', 'data-testid': 'unit-form', novalidate: true, 'aria-labelledby': 'unit-form-title' },
    h('h3', { id: 'unit-form-title', class: 'span2' }, t('admin.unit_new')),
    field(t('admin.agency'), agency),
    field(t('admin.call_sign'), callSign, t('admin.call_sign_hint', { max: LIMITS.callSign })),
    field(t('admin.unit_type'), type),
    h('span'),
    field(t('admin.lon'), lon, t('admin.position_hint')),
    field(t('admin.lat'), lat),
  );
  wire(form, (): UnitForm => ({ agency_id: agency.value, call_sign: callSign.value, unit_type: type.value, lon: lon.value, lat: lat.value }), unitProblem, onCreate);
  return {
    form,
    render(next: AdminState) {
      const a = agency.value;
      replace(agency, h('option', { value: '' }, t('admin.choose')), next.agencies.map((x) => h('option', { value: x.id, selected: x.id === a }, `${x.code} · ${x.name}`)));
    },
  };
}

export function mountAgencyForm(onCreate: Submit<AgencyForm>) {
  const code = input('code', { maxlength: LIMITS.agencyCode, autocomplete: 'off', required: true });
  const name = input('name', { maxlength: LIMITS.name, autocomplete: 'off', required: true });
  const type = h('select', { name: 'agency_type' }, options(AGENCY_TYPES, (a) => tk('agency_type', a), 'health'));
  const region = h('select', { name: 'region_code' });
  const phone = input('phone', { type: 'tel', maxlength: 40, autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'admin-form grid2', 'data-testid': 'agency-form', novalidate: true, 'aria-labelledby': 'agency-form-title' },
    h('h3', { id: 'agency-form-title', class: 'span2' }, t('admin.agency_new')),
    field(t('admin.code'), code, t('admin.code_hint', { max: LIMITS.agencyCode })),
    field(t('admin.name'), name),
    field(t('admin.agency_type'), type),
    field(t('admin.region'), region),
    field(t('admin.phone'), phone, t('admin.phone_hint')),
  );
  wire(form, (): AgencyForm => ({ code: code.value, name: name.value, agency_type: type.value, region_code: region.value, phone: phone.value }), agencyProblem, onCreate);
  return {
    form,
    render(next: AdminState) {
      const r = region.value;
      replace(region, h('option', { value: '' }, t('admin.choose')), next.regions.map((x) => h('option', { value: x.code, selected: x.code === r }, `${x.name} (${x.code})`)));
    },
  };
}

export function mountAgencyEditForm(onSave: Submit<AgencyEditForm>) {
  const agency = h('select', { name: 'agency_id' });
  const name = input('name', { maxlength: LIMITS.name, autocomplete: 'off', required: true });
  const phone = input('phone', { type: 'tel', maxlength: 40, autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'admin-form grid2', 'data-testid': 'agency-edit-form', novalidate: true, 'aria-labelledby': 'agency-edit-title' },
    h('h3', { id: 'agency-edit-title', class: 'span2' }, t('admin.agency_edit')),
    field(t('admin.agency'), agency),
    h('span'),
    field(t('admin.name'), name),
    field(t('admin.phone'), phone, t('admin.phone_keep_hint')),
  );
  let agencies: AdminState['agencies'] = [];
  const fill = () => {
    const a = agencies.find((x) => x.id === agency.value);
    name.value = a?.name ?? '';
    phone.value = a?.phone ?? '';
  };
  agency.addEventListener('change', fill);
  wire(form, (): AgencyEditForm => ({ agency_id: agency.value, name: name.value, phone: phone.value }), agencyEditProblem, onSave);
  return {
    form,
    /** Preselects an agency (the table's "edit" button) with its current name and phone. */
    choose(id: string) {
      agency.value = id;
      fill();
      name.focus();
    },
    render(next: AdminState) {
      agencies = next.agencies;
      const chosen = agency.value;
      replace(agency, h('option', { value: '' }, t('admin.choose')), next.agencies.map((x) => h('option', { value: x.id, selected: x.id === chosen }, `${x.code} · ${x.name}`)));
    },
  };
}

export function mountScheduleForm(onUpload: Submit<string>) {
  const file = input('file', { type: 'file', accept: '.csv,text/csv' });
  const body = h('textarea', { name: 'body', rows: 6, spellcheck: false, placeholder: 'username,shift_start,shift_end\noperator1,2026-12-07 07:00,2026-12-07 15:00' });
  const form = h(
    'form',
    { class: 'admin-form', 'data-testid': 'schedule-form', novalidate: true, 'aria-labelledby': 'schedule-form-title' },
    h('h3', { id: 'schedule-form-title' }, t('admin.schedules_upload')),
    field(t('admin.schedule_file'), file),
    field(t('admin.schedule_csv'), body, t('admin.schedule_hint')),
  );
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (f) body.value = await f.text();
  });
  // The server names a CSV row's column (`line 3: shift_start`): the row is in the text, so that is the field.
  wire(form, () => body.value, scheduleProblem, onUpload, undefined, () => 'body');
  return { form };
}
