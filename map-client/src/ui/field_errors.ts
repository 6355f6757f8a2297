//! Errors next to the field they name. Each input built by `field()` has its own message element under it; a
//! refusal of the form's own checks or of the server (whose error body names the `field`, in the API's
//! spelling, which is also the input's `name`) is shown there, the input marked invalid and focused. A refusal
//! naming no input of the form is shown in the form's alert.

import { ApiError } from '../api/client';
import { errorText, t } from '../i18n';
import { h, replace } from './dom';

let counter = 0;

/** A label, its input and the input's message element; `hint` is read with the input. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = input.id || `f${++counter}`;
  input.id = id;
  const error = h('p', { class: 'field-error error', id: `${id}-error`, 'data-error-for': input.name, hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  const box = input instanceof HTMLInputElement && input.type === 'checkbox'
    ? h('div', { class: 'field check' }, h('label', { class: 'check', for: id }, input, ' ', label), error)
    : h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl, error);
  return box;
}

function errorFor(form: HTMLElement, name: string): { input: HTMLElement; error: HTMLElement } | null {
  const esc = name.replace(/["\\]/g, '\\$&');
  const input = form.querySelector<HTMLElement>(`[name="${esc}"]`);
  const error = form.querySelector<HTMLElement>(`[data-error-for="${esc}"]`);
  return input && error ? { input, error } : null;
}

/** Clears every message of the form and its alert. */
export function clearFieldErrors(form: HTMLElement, alert: HTMLElement): void {
  form.querySelectorAll<HTMLElement>('.field-error').forEach((e) => {
    e.hidden = true;
    e.textContent = '';
  });
  form.querySelectorAll<HTMLElement>('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    const hint = el.getAttribute('aria-describedby')?.split(' ').filter((d) => !d.endsWith('-error')).join(' ');
    if (hint) el.setAttribute('aria-describedby', hint);
    else el.removeAttribute('aria-describedby');
  });
  alert.hidden = true;
  alert.textContent = '';
}

/** Shows `message` at the input named `name` (or in `alert` when the form has none). */
export function showFieldError(form: HTMLElement, alert: HTMLElement, name: string | undefined, message: Node | string): void {
  const at = name ? (errorFor(form, name) ?? errorFor(form, name.split('.').pop() ?? name)) : null;
  if (!at) {
    replace(alert, message);
    alert.hidden = false;
    return;
  }
  replace(at.error, message);
  at.error.hidden = false;
  at.input.setAttribute('aria-invalid', 'true');
  const described = new Set((at.input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean));
  described.add(at.error.id);
  at.input.setAttribute('aria-describedby', [...described].join(' '));
  at.input.focus();
}

/** A server refusal: the translated text of its code, then the server's own words (English) for the detail. */
export function showApiError(form: HTMLElement, alert: HTMLElement, e: unknown): void {
  if (!(e instanceof ApiError)) {
    showFieldError(form, alert, undefined, t('app.error_generic'));
    return;
  }
  const message =
    e.status >= 400 && e.status < 500 && e.message && e.message !== e.code
      ? h('span', {}, errorText(e.code), ' ', h('span', { lang: 'en', class: 'server-message', 'data-testid': 'server-message' }, `(${e.message})`))
      : h('span', {}, errorText(e.code));
  showFieldError(form, alert, e.field, message);
}
