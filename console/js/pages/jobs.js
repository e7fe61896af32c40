// The durable jobs: filters (connector, action, state, idempotency key, time range) kept in the
// URL's fragment, retry and cancel one at a time or for every job the filter matches (done by
// the host in one request, after the count is confirmed), refreshed while the tab is visible.
import * as api from '../api.js';
import { h, replace, statusLine, uid } from '../dom.js';
import { t } from '../i18n.js';
import { FINAL_STATES, JOB_STATES, number, stateBadge, timeEl } from '../format.js';
import { AutoRefresh } from '../refresh.js';
import { href, replaceQuery } from '../router.js';
import { isAdmin } from '../session.js';
import { confirmDialog } from '../confirm.js';

const PAGE = 50;
const RETRYABLE = new Set(['dead', 'cancelled']);
const CANCELLABLE = new Set(['queued', 'waiting', 'failed_retrying', 'running']);

// datetime-local (local time, no zone) <-> RFC 3339 in UTC for the API.
function toApiTime(local) {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function labelled(labelText, control, extra) {
  const id = uid('filter');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, class: 'label' }, labelText), control, extra);
}

export function render(main, _params, query) {
  document.title = t('jobs.title') + ' · Relais';
  const filter = {
    connector: query.connector || '',
    action: query.action || '',
    state: query.state || '',
    idempotency_key: query.idempotency_key || '',
    since: query.since || '',
    until: query.until || '',
  };
  let limit = PAGE;
  let connectors = [];
  const admin = isAdmin();

  const connectorSelect = h('select', { name: 'connector' });
  const actionSelect = h('select', { name: 'action' });
  const stateSelect = h('select', { name: 'state' },
    h('option', { value: '' }, t('jobs.any_state')), JOB_STATES.map((s) => h('option', { value: s }, t('job.' + s))));
  const keyInput = h('input', { name: 'idempotency_key', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const sinceInput = h('input', { name: 'since', type: 'datetime-local', step: 1 });
  const untilInput = h('input', { name: 'until', type: 'datetime-local', step: 1 });

  function fillSelects() {
    replace(connectorSelect, h('option', { value: '' }, t('jobs.any_connector')),
      connectors.map((c) => h('option', { value: c.name }, c.name)));
    connectorSelect.value = filter.connector;
    const actions = new Set();
    for (const c of connectors) if (!filter.connector || c.name === filter.connector) for (const a of c.actions || []) actions.add(a);
    if (filter.action) actions.add(filter.action);
    replace(actionSelect, h('option', { value: '' }, t('jobs.any_action')), [...actions].sort().map((a) => h('option', { value: a }, a)));
    actionSelect.value = filter.action;
  }

  function readForm() {
    filter.connector = connectorSelect.value;
    filter.action = actionSelect.value;
    filter.state = stateSelect.value;
    filter.idempotency_key = keyInput.value.trim();
    filter.since = sinceInput.value;
    filter.until = untilInput.value;
  }

  function apiFilter() {
    return {
      connector: filter.connector || undefined,
      action: filter.action || undefined,
      state: filter.state || undefined,
      idempotency_key: filter.idempotency_key || undefined,
      since: toApiTime(filter.since),
      until: toApiTime(filter.until),
    };
  }

  function apply() {
    readForm();
    fillSelects();
    limit = PAGE;
    replaceQuery(filter);
    updateBulk();
    refresh.now();
  }

  stateSelect.value = filter.state;
  keyInput.value = filter.idempotency_key;
  sinceInput.value = filter.since;
  untilInput.value = filter.until;
  fillSelects();
  for (const el of [connectorSelect, actionSelect, stateSelect, sinceInput, untilInput]) el.addEventListener('change', apply);

  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': t('jobs.filters'), novalidate: true,
    on: { submit: (e) => { e.preventDefault(); apply(); } } },
  labelled(t('jobs.connector'), connectorSelect),
  labelled(t('jobs.action'), actionSelect),
  labelled(t('jobs.state'), stateSelect),
  labelled(t('jobs.key'), keyInput),
  labelled(t('jobs.since'), sinceInput),
  labelled(t('jobs.until'), untilInput),
  h('div', { class: 'filter-buttons' },
    h('button', { type: 'submit' }, t('jobs.apply')),
    h('button', { type: 'button', class: 'secondary', on: { click: () => {
      for (const el of [stateSelect, keyInput, sinceInput, untilInput]) el.value = '';
      connectorSelect.value = '';
      actionSelect.value = '';
      apply();
    } } }, t('jobs.clear'))));

  const bulkStatus = statusLine();
  const retryAll = h('button', { type: 'button', on: { click: () => bulk('retry') } }, t('jobs.retry_all'));
  const cancelAll = h('button', { type: 'button', class: 'secondary', on: { click: () => bulk('cancel') } }, t('jobs.cancel_all'));
  const bulkHint = h('p', { class: 'help', id: 'bulk-hint' });
  const bulkBar = admin ? h('section', { class: 'bulk', 'aria-labelledby': 'bulk-title' },
    h('h2', { id: 'bulk-title', class: 'small-heading' }, t('jobs.bulk')),
    h('div', { class: 'actions-bar' }, retryAll, cancelAll), bulkHint, bulkStatus) : null;

  function updateBulk() {
    if (!admin) return;
    retryAll.disabled = !RETRYABLE.has(filter.state);
    cancelAll.disabled = !CANCELLABLE.has(filter.state);
    retryAll.setAttribute('aria-describedby', 'bulk-hint');
    cancelAll.setAttribute('aria-describedby', 'bulk-hint');
    bulkHint.textContent = RETRYABLE.has(filter.state) || CANCELLABLE.has(filter.state) ? t('jobs.bulk_help') : t('jobs.bulk_choose_state');
  }

  // Every job the filter matches, by the host: counted first, confirmed with that count, then
  // sent with it, so that a set that changed meanwhile is refused rather than acted on unseen.
  async function bulk(operation) {
    bulkStatus.textContent = '';
    const f = apiFilter();
    try {
      let { count } = await api.get('/api/v1/jobs/count', f);
      for (;;) {
        if (count === 0) {
          bulkStatus.textContent = t('jobs.bulk_none');
          return;
        }
        const ok = await confirmDialog({
          title: t(operation === 'retry' ? 'jobs.confirm_retry' : 'jobs.confirm_cancel', { n: count }),
          body: describe(f),
          confirm: t(operation === 'retry' ? 'jobs.do_retry' : 'jobs.do_cancel', { n: count }),
        });
        if (!ok) return;
        try {
          const filterBody = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
          const r = await api.post('/api/v1/jobs/bulk', { operation, filter: filterBody, expected_count: count });
          bulkStatus.textContent = t(operation === 'retry' ? 'jobs.bulk_retried' : 'jobs.bulk_cancelled', { n: r.changed, matched: r.matched });
          refresh.now();
          return;
        } catch (e) {
          if (e.status !== 409 || e.class !== 'count_changed') throw e;
          count = e.details.matched;
          bulkStatus.textContent = t('jobs.bulk_changed', { n: count });
        }
      }
    } catch (e) {
      bulkStatus.textContent = e.status === 403 ? t('error.forbidden') : t('error.action', { message: e.message });
    }
  }

  function describe(f) {
    const parts = [];
    if (f.connector) parts.push(t('jobs.connector') + ' = ' + f.connector);
    if (f.action) parts.push(t('jobs.action') + ' = ' + f.action);
    if (f.state) parts.push(t('jobs.state') + ' = ' + t('job.' + f.state));
    if (f.idempotency_key) parts.push(t('jobs.key') + ' = ' + f.idempotency_key);
    if (f.since) parts.push(t('jobs.since') + ' ' + new Date(f.since).toLocaleString());
    if (f.until) parts.push(t('jobs.until') + ' ' + new Date(f.until).toLocaleString());
    return parts.length ? t('jobs.matching', { filter: parts.join(', ') }) : t('jobs.matching_all');
  }

  async function one(job, operation) {
    try {
      await api.post(`/api/v1/jobs/${job.id}/${operation}`);
      rowStatus.textContent = t(operation === 'retry' ? 'jobs.retried_one' : 'jobs.cancelled_one', { id: job.id });
    } catch (e) {
      rowStatus.textContent = t('error.action', { message: e.message });
    }
    refresh.now();
  }

  const age = h('p', { class: 'age' });
  const rowStatus = statusLine();
  const error = h('p', { class: 'problem', role: 'alert' });
  const tbody = h('tbody', {});
  const countLine = h('p', { class: 'count' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, on: { click: () => { limit = Math.min(500, limit + PAGE); refresh.now(); } } }, t('jobs.more'));
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'jobs' },
    h('caption', { class: 'visually-hidden' }, t('jobs.caption')),
    h('thead', {}, h('tr', {}, [t('jobs.id'), t('jobs.connector'), t('jobs.action'), t('jobs.state'), t('jobs.attempts'),
      t('jobs.key'), t('jobs.created'), t('jobs.updated'), admin ? t('jobs.actions') : null]
      .filter((x) => x !== null).map((x) => h('th', { scope: 'col' }, x)))),
    tbody));

  function row(j) {
    const buttons = [];
    if (admin && RETRYABLE.has(j.state)) buttons.push(h('button', { type: 'button', class: 'small', 'aria-label': t('jobs.retry_one', { id: j.id }), on: { click: () => one(j, 'retry') } }, t('jobs.retry')));
    if (admin && !FINAL_STATES.has(j.state)) buttons.push(h('button', { type: 'button', class: 'small secondary', 'aria-label': t('jobs.cancel_one', { id: j.id }), on: { click: () => one(j, 'cancel') } }, t('jobs.cancel')));
    return h('tr', { dataset: { job: j.id, state: j.state } },
      h('td', {}, h('a', { href: href('/jobs/' + j.id) }, '#' + j.id)),
      h('td', {}, j.connector),
      h('td', {}, h('code', {}, j.action)),
      h('td', {}, stateBadge(j.state)),
      h('td', { class: 'num' }, `${j.attempts} / ${j.max_attempts}`),
      h('td', {}, j.idempotency_key ? h('code', {}, j.idempotency_key) : ''),
      h('td', {}, timeEl(j.created_at)),
      h('td', {}, timeEl(j.updated_at)),
      admin ? h('td', { class: 'row-actions' }, buttons) : null);
  }

  let shownJson = '';
  const refresh = new AutoRefresh(async () => {
    try {
      if (!connectors.length) {
        connectors = (await api.get('/api/v1/connectors')).connectors;
        fillSelects();
      }
      const page = await api.get('/api/v1/jobs', { ...apiFilter(), limit });
      error.textContent = '';
      const json = JSON.stringify(page);
      if (json !== shownJson) {
        shownJson = json;
        replace(tbody, page.jobs.length ? page.jobs.map(row)
          : h('tr', {}, h('td', { colspan: admin ? 9 : 8, class: 'muted' }, t('jobs.none'))));
        countLine.textContent = t('jobs.shown', { n: number(page.jobs.length) }) + (page.next_cursor ? ' ' + t('jobs.more_exist') : '');
        more.hidden = !page.next_cursor || limit >= 500;
      }
    } catch (e) {
      error.textContent = t('error.load', { message: e.message });
      throw e;
    }
  }, { every: 2000, label: age });

  updateBulk();
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('jobs.title')), age),
    filters, bulkBar, error, rowStatus, countLine, table, more);
  return refresh;
}
