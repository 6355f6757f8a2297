//! Translation lookup. One table per language (`id.ts` default, `en.ts`); the choice is remembered per device.
//! Error messages are looked up by the API's stable `error.code`, never by the English `message`.

import * as en from './en';
import * as id from './id';
import type { KnownErrorCode } from './codes';

export type Lang = 'id' | 'en';
export type TextKey = keyof typeof id.text;

const TABLES = {
  id: { text: id.text as Record<TextKey, string>, errors: id.errors },
  en: { text: en.text, errors: en.errors },
} as const;

const LANG_KEY = 'siaga.lang';
let current: Lang = readStoredLang();

function readStoredLang(): Lang {
  try {
    return globalThis.localStorage?.getItem(LANG_KEY) === 'en' ? 'en' : 'id';
  } catch {
    return 'id';
  }
}

export function lang(): Lang {
  return current;
}

/**
 * Switches language; pages re-render by listening for the `siaga:lang` event on `window`. The event is
 * cancelable: a page that redraws itself in place cancels it, and the page is reloaded otherwise.
 */
export function setLang(next: Lang): void {
  current = next;
  try {
    globalThis.localStorage?.setItem(LANG_KEY, next);
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = next;
  globalThis.dispatchEvent?.(new Event('siaga:lang', { cancelable: true }));
}

/** Translates `key`, filling `{name}` placeholders from `params`. */
export function t(key: TextKey, params: Record<string, string | number> = {}): string {
  const template = TABLES[current].text[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** Translates a dynamic key such as `category.fire`; unknown keys fall back to the raw value. */
export function tk(prefix: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return TABLES[current].text['common.none'];
  const key = `${prefix}.${value}` as TextKey;
  return TABLES[current].text[key] ?? value;
}

/** The user-facing message for an API error code (unknown codes get the generic text). */
export function errorText(code: string): string {
  const table = TABLES[current].errors as Record<string, string>;
  return table[code] ?? TABLES[current].text['app.error_generic'];
}

export function isKnownErrorCode(code: string): code is KnownErrorCode {
  return code in TABLES.id.errors;
}

/** Both tables, for the completeness test. */
export const tables = TABLES;
