// Every connector on one page: its state and problems, version and file, last Test, jobs by
// state, quota use and webhook URLs.
import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { JOB_STATES, duration, number, stateBadge, timeEl } from '../format.js';
import { AutoRefresh } from '../refresh.js';
import { href } from '../router.js';
import { quotaMeter } from '../charts.js';

function lastTest(test) {
  if (!test) return h('span', { class: 'muted' }, t('overview.never_tested'));
  return h('span', {}, stateBadge(test.verdict, 'verdict'), ' ', timeEl(test.at));
}

function jobCounts(c) {
  const counts = c.jobs || {};
  const items = JOB_STATES.filter((s) => counts[s] > 0).map((s) =>
    h('li', {}, h('a', { href: href('/jobs', { connector: c.name, state: s }) }, stateBadge(s), ' ', number(counts[s]))));
  if (!items.length) return h('p', { class: 'muted' }, t('overview.no_jobs'));
  return h('ul', { class: 'counts' }, items);
}

function quota(c) {
  const q = c.quota || [];
  if (!q.length) return h('p', { class: 'muted' }, t('overview.no_quota'));
  return h('ul', { class: 'quotas' }, q.map((x) => h('li', {},
    quotaMeter(x.used, x.limit, t('overview.quota_label', { scope: x.scope, window: duration(x.window_seconds, 'per') })))));
}

function webhooks(c) {
  const hooks = c.webhooks || [];
  if (!hooks.length) return null;
  return [h('dt', {}, t('overview.webhooks')), h('dd', {}, h('ul', { class: 'hooks' }, hooks.map((w) =>
    h('li', {}, h('code', {}, (w.methods || []).join(', ')), ' ', h('code', { class: 'url' }, location.origin + w.path)))))];
}

function card(c) {
  const titleId = 'connector-' + c.name;
  return h('article', { class: 'card connector-card', 'aria-labelledby': titleId, dataset: { connector: c.name } },
    h('header', {},
      h('h2', { id: titleId }, h('a', { href: href('/connectors/' + encodeURIComponent(c.name)) }, c.name)),
      stateBadge(c.state, 'connector')),
    h('p', { class: 'description' }, c.description),
    c.problems && c.problems.length ? h('ul', { class: 'problems', 'aria-label': t('overview.problems') },
      c.problems.map((p) => h('li', {}, p))) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, t('overview.version')), h('dd', {}, c.version, ' · ', h('code', {}, c.file)),
      h('dt', {}, t('overview.last_test')), h('dd', {}, lastTest(c.last_test)),
      h('dt', {}, t('overview.jobs')), h('dd', {}, jobCounts(c)),
      h('dt', {}, t('overview.quota')), h('dd', {}, quota(c)),
      webhooks(c)));
}

export function render(main) {
  document.title = t('overview.title') + ' · Relais';
  const age = h('p', { class: 'age' });
  const list = h('div', { class: 'cards', 'aria-busy': 'true' });
  const error = h('p', { class: 'problem', role: 'alert' });
  main.append(h('div', { class: 'page-head' }, h('h1', {}, t('overview.title')), age), error, list);
  let shownJson = '';
  const refresh = new AutoRefresh(async () => {
    try {
      const { connectors } = await api.get('/api/v1/connectors');
      error.textContent = '';
      list.removeAttribute('aria-busy');
      // Redrawn only when something changed, so that the keyboard focus stays where it is.
      const json = JSON.stringify(connectors);
      if (json === shownJson) return;
      shownJson = json;
      replace(list, connectors.length ? connectors.map(card) : h('p', {}, t('overview.none')));
    } catch (e) {
      error.textContent = t('error.load', { message: e.message });
      throw e;
    }
  }, { every: 5000, label: age });
  return refresh;
}
