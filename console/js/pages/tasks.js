// The connectors' periodic tasks: how often, the next run, the last one and its outcome, and
// "run now" (a job like any other, shown on the jobs page).
import * as api from '../api.js';
import { h, replace, statusLine } from '../dom.js';
import { t } from '../i18n.js';
import { duration, stateBadge, timeEl } from '../format.js';
import { AutoRefresh } from '../refresh.js';
import { href } from '../router.js';
import { isAdmin } from '../session.js';

export function render(main) {
  document.title = t('tasks.title') + ' · Relais';
  const admin = isAdmin();
  const age = h('p', { class: 'age' });
  const status = statusLine();
  const error = h('p', { class: 'problem', role: 'alert' });
  const tbody = h('tbody', {});
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('tasks.title')), age),
    h('p', { class: 'help' }, t('tasks.help')),
    error, status,
    h('div', { class: 'table-wrap' }, h('table', { class: 'tasks' },
      h('caption', { class: 'visually-hidden' }, t('tasks.title')),
      h('thead', {}, h('tr', {}, [t('jobs.connector'), t('tasks.name'), t('jobs.action'), t('tasks.interval'), t('tasks.next'), t('tasks.last'),
        admin ? t('jobs.actions') : null].filter((x) => x !== null).map((x) => h('th', { scope: 'col' }, x)))),
      tbody)));

  async function runNow(task, button) {
    button.disabled = true;
    try {
      const job = await api.post(`/api/v1/connectors/${encodeURIComponent(task.connector)}/tasks/${encodeURIComponent(task.name)}/run`);
      replace(status, t('tasks.started', { task: task.name }), ' ', h('a', { href: href('/jobs/' + job.id) }, t('tasks.see_job', { id: job.id })));
      refresh.now();
    } catch (e) {
      status.textContent = e.status === 403 ? t('error.forbidden') : t('error.action', { message: e.message });
    } finally {
      button.disabled = false;
    }
  }

  function row(task) {
    const last = task.last_run;
    const button = admin ? h('button', { type: 'button', class: 'small', 'aria-label': t('tasks.run_named', { task: task.name, connector: task.connector }) }, t('tasks.run')) : null;
    if (button) button.addEventListener('click', () => runNow(task, button));
    return h('tr', { dataset: { task: task.connector + '/' + task.name } },
      h('td', {}, h('a', { href: href('/connectors/' + encodeURIComponent(task.connector)) }, task.connector)),
      h('td', {}, h('code', {}, task.name)),
      h('td', {}, h('code', {}, task.action)),
      h('td', {}, duration(task.interval_seconds, 'every')),
      h('td', {}, task.next_run_at ? timeEl(task.next_run_at) : h('span', { class: 'muted' }, t('tasks.not_scheduled'))),
      h('td', {}, last ? [stateBadge(last.state), ' ', timeEl(last.at), ' ', h('a', { href: href('/jobs/' + last.job_id) }, '#' + last.job_id)]
        : h('span', { class: 'muted' }, t('tasks.never'))),
      admin ? h('td', {}, button) : null);
  }

  let shownJson = '';
  const refresh = new AutoRefresh(async () => {
    try {
      const { tasks } = await api.get('/api/v1/tasks');
      error.textContent = '';
      const json = JSON.stringify(tasks);
      if (json === shownJson) return;
      shownJson = json;
      replace(tbody, tasks.length ? tasks.map(row) : h('tr', {}, h('td', { colspan: admin ? 7 : 6, class: 'muted' }, t('tasks.none'))));
    } catch (e) {
      error.textContent = t('error.load', { message: e.message });
      throw e;
    }
  }, { every: 5000, label: age });
  return refresh;
}
