//! Showing API errors: the message comes from the i18n table by `error.code`; `error.field` focuses the
//! offending input (`[name=field]` or `[data-field=field]` inside the form) and marks it invalid.

import { ApiError } from '../api/client';
import { errorText, t } from '../i18n';

/** The translated message for any thrown value. */
export function messageFor(e: unknown): string {
  if (e instanceof ApiError) return errorText(e.code);
  return t('app.error_generic');
}

/** Shows `e` in `box` (an element with role=alert) and focuses the field it names, if any. */
export function showError(box: HTMLElement, e: unknown, form?: ParentNode): void {
  box.textContent = messageFor(e);
  box.hidden = false;
  if (!(e instanceof ApiError) || !e.field || !form) return;
  const field = lastSegment(e.field);
  const input =
    form.querySelector<HTMLElement>(`[name="${cssEscape(e.field)}"]`) ??
    form.querySelector<HTMLElement>(`[data-field="${cssEscape(e.field)}"]`) ??
    form.querySelector<HTMLElement>(`[name="${cssEscape(field)}"]`);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', box.id);
    input.focus();
  }
}

export function clearError(box: HTMLElement, form?: ParentNode): void {
  box.textContent = '';
  box.hidden = true;
  form?.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
}

/** `victims.count` → `count`; the form names nested inputs by their full path first. */
function lastSegment(path: string): string {
  const parts = path.split('.');
  return parts[parts.length - 1] ?? path;
}

function cssEscape(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}
