import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, CLIENT_ERROR_CODES, CORE_ERROR_CODES } from './codes';
import * as en from './en';
import * as id from './id';

const generic = { id: id.text['app.error_generic'], en: en.text['app.error_generic'] };

describe('error codes', () => {
  it('give every code the server sends an Indonesian and an English text of its own', () => {
    expect(API_ERROR_CODES.length).toBeGreaterThan(0);
    for (const code of [...API_ERROR_CODES, ...CLIENT_ERROR_CODES]) {
      for (const [lang, table] of [
        ['id', id.errors],
        ['en', en.errors],
      ] as const) {
        const text = table[code];
        expect(typeof text, `${lang}: ${code}`).toBe('string');
        expect(text.trim(), `${lang}: ${code}`).not.toBe('');
        expect(text, `${lang}: ${code} falls back to the generic text`).not.toBe(generic[lang]);
      }
    }
  });

  it('keep the three lists apart: a code is the server\u2019s, the client\u2019s, or unsent', () => {
    const all = [...API_ERROR_CODES, ...CORE_ERROR_CODES, ...CLIENT_ERROR_CODES];
    expect(new Set(all).size).toBe(all.length);
  });

  it('translate no code that is in none of the lists', () => {
    const listed = new Set<string>([...API_ERROR_CODES, ...CORE_ERROR_CODES, ...CLIENT_ERROR_CODES]);
    expect(Object.keys(id.errors).filter((c) => !listed.has(c))).toEqual([]);
    expect(Object.keys(en.errors).filter((c) => !listed.has(c))).toEqual([]);
  });
});
