import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, CLIENT_ERROR_CODES, CORE_ERROR_CODES } from './codes';
import { tables } from './index';

describe('translation tables', () => {
  it('translate every backend error code in both languages', () => {
    for (const code of [...API_ERROR_CODES, ...CORE_ERROR_CODES, ...CLIENT_ERROR_CODES]) {
      expect(tables.id.errors[code], `id: ${code}`).toBeTruthy();
      expect(tables.en.errors[code], `en: ${code}`).toBeTruthy();
    }
  });

  it('list the codes the brief names, exactly as the API spells them', () => {
    const brief =
      'bad_request invalid_json validation_failed payload_too_large unauthenticated token_expired session_revoked invalid_credentials account_disabled forbidden password_change_required not_found conflict invalid_transition idempotency_key_reused unsupported_media_type too_many_requests unavailable internal'.split(
        ' ',
      );
    expect([...API_ERROR_CODES].sort()).toEqual([...brief].sort());
  });

  it('have the same keys in both languages, none empty, and the same placeholders', () => {
    const idKeys = Object.keys(tables.id.text).sort();
    expect(Object.keys(tables.en.text).sort()).toEqual(idKeys);
    for (const key of idKeys) {
      const a = tables.id.text[key as keyof typeof tables.id.text];
      const b = tables.en.text[key as keyof typeof tables.en.text];
      expect(a.trim(), key).not.toBe('');
      expect(b.trim(), key).not.toBe('');
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(ph(b), key).toEqual(ph(a));
    }
  });

  it('keep English jargon, non-KBBI spellings and the product name out of Indonesian labels', () => {
    // Words a user of the Indonesian screens reported as untranslated or misspelt; "Siaga" is the product's
    // name, so no status may be called that.
    const banned = [/\bDispatch/, /heksagon/i, /\bH3\b/, /Antrian/, /Lewat SLA/, /\bprank\b/i, /^Siaga$/];
    const offenders = Object.entries(tables.id.text)
      .filter(([key]) => key !== 'app.title')
      .filter(([, value]) => banned.some((re) => re.test(value)))
      .map(([key, value]) => `${key}: ${value}`);
    expect(offenders).toEqual([]);
  });
});
