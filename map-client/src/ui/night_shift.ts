//! The night-shift switch in the header of the map pages: a pressed button turns the map dark (`map/theme.ts`),
//! remembered on this device. Only the map changes; the desk's own colours stay as they are.

import { t } from '../i18n';
import { mapTheme, onMapTheme, setMapTheme } from '../map/theme';
import { h } from './dom';

export function mountNightShiftToggle(root: HTMLElement): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'btn ghost night-shift', 'data-testid': 'night-shift-toggle' });
  const draw = (dark: boolean) => {
    button.setAttribute('aria-pressed', String(dark));
    button.classList.toggle('on', dark);
    button.textContent = `${dark ? '☾' : '☀'} ${t('map.night_shift')}`;
    button.title = dark ? t('map.night_shift_on') : t('map.night_shift_off');
  };
  draw(mapTheme() === 'dark');
  button.addEventListener('click', () => setMapTheme(mapTheme() === 'dark' ? 'light' : 'dark'));
  // A page that rebuilds its header (language switch) drops this button; its listener goes with it.
  const stop = onMapTheme((theme) => (button.isConnected ? draw(theme === 'dark') : stop()));
  const header = root.querySelector('header.top');
  const lang = header?.querySelector('select.lang');
  if (header && lang) header.insertBefore(button, lang);
  else header?.append(button);
  return button;
}
