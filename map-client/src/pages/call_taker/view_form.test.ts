import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../../i18n';
import { placeLabel } from './view_form';

describe('placeLabel', () => {
  afterEach(() => setLang('id'));

  it('names streets and landmarks in Bahasa Indonesia first, English second', () => {
    setLang('id');
    expect(placeLabel({ kind: 'street', detail: 'secondary' })).toBe('Jalan');
    expect(placeLabel({ kind: 'poi', detail: 'amenity=place_of_worship' })).toBe('Tempat ibadah');
    expect(placeLabel({ kind: 'region', detail: 'district' })).toBe('Kecamatan');
    setLang('en');
    expect(placeLabel({ kind: 'street', detail: 'residential' })).toBe('Street');
    expect(placeLabel({ kind: 'poi', detail: 'shop=mall' })).toBe('Mall');
    expect(placeLabel({ kind: 'facility', detail: 'hospital' })).toBe('Hospital');
  });

  it('shows an unknown landmark kind as its OSM value', () => {
    setLang('id');
    expect(placeLabel({ kind: 'poi', detail: 'tourism=theme_park' })).toBe('Tempat (theme park)');
  });
});
