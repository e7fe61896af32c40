// One job: where it is (its state, step, the progress of a waiting job, when it runs next),
// each attempt with its outcome and error, and its result or its error; retry or cancel.
import * as api from '../api.js';
import { h, replace, statusLine } from '../dom.js';
import { t } from '../i18n.js';
import { FINAL_STATES, json, stateBadge, timeEl } from '../format.js';
import { AutoRefresh } from '../refresh.js';
import { href } from '../router.js';
import { isAdmin } from '../session.js';

// Outcomes of an attempt that are no failure: it ended well, will continue later, or runs.
const FINE_OUTCOMES = new Set(['ok', 'succeeded', 'continued', 'running', 'waiting']);

function attempts(list) {
  if (!list || !list.length) return h('p', { class: 'muted' }, t('job.no_attempts'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'attempts' },
    h('caption', { class: 'visually-hidden' }, t('job.attempts')),
    h('thead', {}, h('tr', {}, [t('job.attempt'), t('job.started'), t('job.finished'), t('job.outcome'), t('job.message')]
      .map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, list.map((a) => h('tr', { class: FINE_OUTCOMES.has(a.outcome) ? '' : 'attempt-failed' },
      h('td', { class: 'num' }, String(a.number)),
      h('td', {}, timeEl(a.started_at)),
      h('td', {}, timeEl(a.finished_at)),
      h('td', {}, h('code', {}, a.outcome)),
      h('td', {}, a.message || '', a.details ? h('details', {}, h('summary', {}, t('job.details')), json(a.details)) : null,
        a.retry_after_ms ? h('span', { class: 'muted' }, ' ', t('job.retry_after', { s: Math.ceil(a.retry_after_ms / 1000) })) : null))))));
}

export function render(main, { id }) {
  document.title = t('job.title', { id }) + ' · Relais';
  const age = h('p', { class: 'age' });
  const body = h('div', { 'aria-busy': 'true' }, h('p', {}, t('loading')));
  const status = statusLine();
  const error = h('p', { class: 'problem', role: 'alert' });
  main.append(h('p', { class: 'breadcrumb' }, h('a', { href: '#/jobs' }, t('nav.jobs'))),
    h('div', { class: 'page-head' }, h('h1', {}, t('job.title', { id })), age), error, status, body);
  let shownJson = '';

  async function act(operation) {
    try {
      await api.post(`/api/v1/jobs/${encodeURIComponent(id)}/${operation}`);
      status.textContent = t(operation === 'retry' ? 'jobs.retried_one' : 'jobs.cancelled_one', { id });
    } catch (e) {
      status.textContent = t('error.action', { message: e.message });
    }
    refresh.now();
  }

  function show(j) {
    body.removeAttribute('aria-busy');
    const admin = isAdmin();
    const buttons = [];
    if (admin && (j.state === 'dead' || j.state === 'cancelled')) buttons.push(h('button', { type: 'button', on: { click: () => act('retry') } }, t('jobs.retry')));
    if (admin && !FINAL_STATES.has(j.state)) buttons.push(h('button', { type: 'button', class: 'secondary', on: { click: () => act('cancel') } }, t('jobs.cancel')));
    replace(body,
      h('dl', { class: 'facts job-facts' },
        h('dt', {}, t('jobs.state')), h('dd', { class: 'job-state', dataset: { state: j.state } }, stateBadge(j.state), j.cancel_requested ? [' ', t('job.cancel_requested')] : null),
        h('dt', {}, t('jobs.connector')), h('dd', {}, h('a', { href: href('/connectors/' + encodeURIComponent(j.connector)) }, j.connector)),
        h('dt', {}, t('jobs.action')), h('dd', {}, h('code', {}, j.action)),
        h('dt', {}, t('jobs.attempts')), h('dd', {}, `${j.attempts} / ${j.max_attempts}`),
        j.idempotency_key ? [h('dt', {}, t('jobs.key')), h('dd', {}, h('code', {}, j.idempotency_key))] : null,
        j.step ? [h('dt', {}, t('job.step')), h('dd', {}, String(j.step))] : null,
        j.next_run_at ? [h('dt', {}, t('job.next_run')), h('dd', {}, timeEl(j.next_run_at))] : null,
        j.deadline_at ? [h('dt', {}, t('job.deadline')), h('dd', {}, timeEl(j.deadline_at))] : null,
        h('dt', {}, t('jobs.created')), h('dd', {}, timeEl(j.created_at)),
        h('dt', {}, t('jobs.updated')), h('dd', {}, timeEl(j.updated_at))),
      buttons.length ? h('div', { class: 'actions-bar' }, buttons) : null,
      j.progress !== undefined ? h('section', { class: 'panel', 'aria-labelledby': 'progress-title' },
        h('h2', { id: 'progress-title' }, j.state === 'waiting' ? t('job.progress_waiting') : t('job.progress')), json(j.progress)) : null,
      j.result !== undefined ? h('section', { class: 'panel', 'aria-labelledby': 'result-title' },
        h('h2', { id: 'result-title' }, t('job.result')), json(j.result)) : null,
      j.last_error ? h('section', { class: 'panel error', 'aria-labelledby': 'error-title' },
        h('h2', { id: 'error-title' }, j.state === 'dead' ? t('job.error_final') : t('job.error_last')),
        h('p', { class: 'job-error' }, h('code', {}, j.last_error.class), ' ', j.last_error.message),
        j.last_error.details ? json(j.last_error.details) : null) : null,
      h('section', { class: 'panel', 'aria-labelledby': 'attempts-title' },
        h('h2', { id: 'attempts-title' }, t('job.attempts')), attempts(j.attempt_history)));
  }

  const refresh = new AutoRefresh(async () => {
    try {
      const j = await api.get('/api/v1/jobs/' + encodeURIComponent(id));
      error.textContent = '';
      const text = JSON.stringify(j);
      if (text !== shownJson) {
        shownJson = text;
        show(j);
      }
    } catch (e) {
      error.textContent = e.status === 404 ? t('job.unknown', { id }) : t('error.load', { message: e.message });
      throw e;
    }
  }, { every: 2000, label: age });
  return refresh;
}
