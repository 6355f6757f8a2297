//! The heat map's form (period, custom dates, category, H3 resolution), its legend, and the hexagon layer
//! kept in step with the loaded cells.

import { CATEGORIES } from '../../api/types';
import { t, tk } from '../../i18n';
import { heatColour, type mountHexbins } from '../../map/layers/hexbins';
import { h, options, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { type HeatForm, heatClasses, PERIODS, type SupervisorState } from './state';

export function mountHeatForm(onShow: () => void) {
  const period = h('select', { id: 'period' }, options(PERIODS, (p) => (p === 'custom' ? `${t('sup.from')}…` : t(`sup.period_${p}` as 'sup.period_24h'))));
  const from = h('input', { id: 'from', type: 'datetime-local' });
  const to = h('input', { id: 'to', type: 'datetime-local' });
  const category = h('select', { id: 'heat-category' }, h('option', { value: '' }, t('sup.all_categories')), options(CATEGORIES, (c) => tk('category', c)));
  const resolution = h('select', { id: 'resolution' }, options(['6', '7', '8', '9'], (r) => t(`sup.res_${r}` as 'sup.res_6'), '8'));
  const form = h(
    'form',
    { class: 'row heat-form' },
    h('label', { for: 'period' }, t('sup.period')),
    period,
    h('label', { for: 'from' }, t('sup.from')),
    from,
    h('label', { for: 'to' }, t('sup.to')),
    to,
    h('label', { for: 'heat-category' }, t('ct.category')),
    category,
    h('label', { for: 'resolution' }, t('sup.resolution')),
    resolution,
    h('button', { type: 'submit', class: 'btn primary' }, t('sup.show')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    onShow();
  });
  return {
    form,
    /** The form's current choice. */
    value: (): HeatForm => ({ period: period.value, from: from.value, to: to.value, category: category.value, resolution: resolution.value }),
  };
}

export function mountHeatLegend(legend: HTMLElement, hexbins: ReturnType<typeof mountHexbins>) {
  return {
    render(state: SupervisorState, prev: SupervisorState | null): void {
      const heat = state.heat;
      if (prev && prev.heat === heat) return;
      if (heat.status === 'idle') return;
      if (heat.status === 'unavailable') return replace(legend, h('p', { class: 'muted' }, t('sup.heat_unavailable')));
      if (heat.status === 'failed') return replace(legend, h('p', { class: 'error', role: 'alert' }, messageFor(heat.error)));
      const max = Math.max(0, ...heat.cells.features.map((f) => Number(f.properties?.['count'] ?? 0)));
      const classes = heatClasses(max);
      hexbins.update(heat.cells, classes);
      const cells = heat.cells.features.length;
      legend.dataset['cells'] = String(cells);
      legend.dataset['total'] = String(heat.total);
      replace(
        legend,
        cells === 0
          ? h('p', { class: 'muted' }, t('sup.heat_empty'))
          : h(
              'div',
              {},
              h('span', {}, t('sup.heat_legend', { total: heat.total }), ' '),
              h(
                'ul',
                { class: 'legend-classes', 'data-testid': 'heat-classes' },
                classes.map((c, i) =>
                  h(
                    'li',
                    { 'data-from': c.from, 'data-to': c.to },
                    h('span', { class: 'swatch', 'aria-hidden': 'true', style: `background:${heatColour(i, classes.length)}` }),
                    c.from === c.to ? String(c.from) : `${c.from}–${c.to}`,
                  ),
                ),
              ),
            ),
      );
    },
  };
}
