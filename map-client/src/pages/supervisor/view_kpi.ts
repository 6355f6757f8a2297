//! Today's KPI tiles (each with its raw figure in `data-value`, the text formatted for people) and the report
//! download form: daily, weekly or monthly, CSV or XLSX, with a period picker of the matching kind.

import { t } from '../../i18n';
import { lang } from '../../i18n';
import { h, options, replace } from '../../ui/dom';
import { messageFor } from '../../ui/errors';
import { type KpiTile, REPORT_FORMATS, REPORT_KINDS, type ReportFormat, type ReportKind, type SupervisorState, type TileUnit, isPeriod, kpiTiles } from './state';

const LOCALE = () => (lang() === 'id' ? 'id-ID' : 'en-GB');

/** A tile's number for people: a duration in seconds or minutes, a percentage, or a count. */
export function formatFigure(value: number | null, unit: TileUnit): string {
  if (value === null) return t('common.none');
  if (unit === 'ratio') return `${(value * 100).toLocaleString(LOCALE(), { maximumFractionDigits: 1 })} %`;
  if (unit === 'count') return value.toLocaleString(LOCALE());
  const s = Math.round(value / 1000);
  if (s < 60) return t('sup.kpi_seconds', { s });
  return t('sup.kpi_minutes', { m: Math.floor(s / 60), ss: String(s % 60).padStart(2, '0') });
}

function tile(k: KpiTile): HTMLElement {
  return h(
    'div',
    { class: 'counter kpi', 'data-testid': `kpi-${k.id}`, 'data-value': k.value === null ? '' : String(k.value) },
    h('span', { class: 'value' }, formatFigure(k.value, k.unit)),
    h('span', { class: 'label' }, t(`sup.kpi.${k.id}` as 'sup.kpi.asa')),
    k.detail ? h('small', { class: 'muted', 'data-value': k.detail.value === null ? '' : String(k.detail.value) }, t('sup.kpi_share', { pct: formatFigure(k.detail.value, k.detail.unit) })) : null,
  );
}

export function mountKpi(box: HTMLElement, status: HTMLElement) {
  return {
    render(state: SupervisorState, prev: SupervisorState | null): void {
      if (prev && prev.kpi === state.kpi) return;
      const kpi = state.kpi;
      if (kpi.status === 'idle') return;
      if (kpi.status === 'failed') {
        replace(status, h('span', { class: 'error' }, messageFor(kpi.error)));
        return;
      }
      box.dataset['period'] = kpi.report.period.text;
      box.dataset['asOf'] = String(kpi.report.as_of);
      replace(box, kpiTiles(kpi.report).map(tile));
      replace(status, t('sup.kpi_as_of', { period: kpi.report.period.text, time: new Date(kpi.report.as_of).toLocaleTimeString(LOCALE(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }) }));
    },
  };
}

/** The download form. `periodFor(kind)` gives the current period of a kind (today's day, week or month). */
export function mountReportForm(periodFor: (kind: ReportKind) => string, onDownload: (kind: ReportKind, period: string, format: ReportFormat) => Promise<void>) {
  const INPUT_TYPE: Record<ReportKind, string> = { day: 'date', week: 'week', month: 'month' };
  const kind = h('select', { id: 'report-kind', name: 'kind' }, options(REPORT_KINDS, (k) => t(`sup.report_${k}` as 'sup.report_day'), 'day'));
  const period = h('input', { id: 'report-period', name: 'period', type: 'date', required: true, value: periodFor('day') });
  const format = h('select', { id: 'report-format', name: 'format' }, options(REPORT_FORMATS, (f) => f.toUpperCase(), 'xlsx'));
  const error = h('p', { id: 'report-error', class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'report-download' }, '⤓ ', t('sup.report_download'));
  const form = h(
    'form',
    { class: 'row report-form', 'data-testid': 'report-form', novalidate: true },
    h('label', { for: 'report-kind' }, t('sup.report_kind')),
    kind,
    h('label', { for: 'report-period' }, t('sup.report_period')),
    period,
    h('label', { for: 'report-format' }, t('sup.report_format')),
    format,
    submit,
    error,
  );
  kind.addEventListener('change', () => {
    const k = kind.value as ReportKind;
    period.type = INPUT_TYPE[k];
    period.value = periodFor(k);
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    period.removeAttribute('aria-invalid');
    const k = kind.value as ReportKind;
    if (!isPeriod(k, period.value)) {
      error.textContent = t('sup.report_period_missing');
      error.hidden = false;
      period.setAttribute('aria-invalid', 'true');
      period.setAttribute('aria-describedby', 'report-error');
      period.focus();
      return;
    }
    submit.disabled = true;
    try {
      await onDownload(k, period.value, format.value as ReportFormat);
    } catch (e) {
      error.textContent = messageFor(e);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return { form };
}
