// Jobs per minute by outcome and each connector's quota use, drawn here from /api/v1/stats.
import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { duration } from '../format.js';
import { AutoRefresh } from '../refresh.js';
import { jobsPerMinute, quotaMeter } from '../charts.js';
import { replaceQuery } from '../router.js';

const SPANS = [15, 60, 180, 1440];
const MINUTE = 60000;

// The host lists only the minutes in which jobs ended; the chart has a bar place for each.
function everyMinute(stats, minutes) {
  const byMinute = new Map();
  for (const m of stats.jobs_per_minute || []) byMinute.set(Math.floor(new Date(m.minute).getTime() / MINUTE), m);
  const end = Math.floor(new Date(stats.now || Date.now()).getTime() / MINUTE);
  const start = stats.since ? Math.floor(new Date(stats.since).getTime() / MINUTE) : end - minutes + 1;
  const out = [];
  for (let m = Math.max(start, end - minutes + 1); m <= end; ++m) out.push(byMinute.get(m) || { minute: m * MINUTE });
  return out;
}

export function render(main, _params, query) {
  document.title = t('metrics.title') + ' · Relais';
  let minutes = SPANS.includes(Number(query.minutes)) ? Number(query.minutes) : 60;
  const age = h('p', { class: 'age' });
  const error = h('p', { class: 'problem', role: 'alert' });
  const span = h('select', { id: 'metrics-span', on: { change: () => { minutes = Number(span.value); replaceQuery({ minutes }); refresh.now(); } } },
    SPANS.map((m) => h('option', { value: m, selected: m === minutes }, duration(m * 60, 'last'))));
  const jobs = h('section', { class: 'panel', 'aria-labelledby': 'jobs-chart-title' });
  const quotas = h('section', { class: 'panel', 'aria-labelledby': 'quota-chart-title' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('metrics.title')), age),
    h('div', { class: 'field inline' }, h('label', { for: 'metrics-span', class: 'label' }, t('metrics.span')), span),
    error, h('div', { class: 'columns' }, jobs, quotas),
    h('p', { class: 'help' }, t('metrics.prometheus'), ' ', h('code', {}, '/metrics')));

  let shownJson = '';
  const refresh = new AutoRefresh(async () => {
    try {
      const stats = await api.get('/api/v1/stats', { minutes });
      error.textContent = '';
      const json = JSON.stringify(stats);
      if (json === shownJson) return;
      shownJson = json;
      replace(jobs, h('h2', { id: 'jobs-chart-title' }, t('metrics.jobs')),
        jobsPerMinute(everyMinute(stats, minutes), t('metrics.jobs_caption', { span: duration(minutes * 60, 'last') })));
      const byConnector = new Map();
      for (const q of stats.quota || []) {
        if (!byConnector.has(q.connector)) byConnector.set(q.connector, []);
        byConnector.get(q.connector).push(q);
      }
      replace(quotas, h('h2', { id: 'quota-chart-title' }, t('metrics.quota')),
        byConnector.size ? h('dl', { class: 'quota-list' }, [...byConnector].map(([c, list]) => [
          h('dt', {}, c),
          h('dd', {}, list.map((q) => quotaMeter(q.used, q.limit, t('overview.quota_label', { scope: q.scope, window: duration(q.window_seconds, 'per') }))))]))
          : h('p', { class: 'muted' }, t('metrics.no_quota')));
    } catch (e) {
      error.textContent = t('error.load', { message: e.message });
      throw e;
    }
  }, { every: 10000, label: age });
  return refresh;
}
