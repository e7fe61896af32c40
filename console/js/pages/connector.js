// One connector: its settings form (generated from its schema, checked by the host before it
// is saved), its Test button, its actions and links to its jobs and logs.
import * as api from '../api.js';
import { h, replace, statusLine } from '../dom.js';
import { t } from '../i18n.js';
import { stateBadge, duration, time } from '../format.js';
import { href } from '../router.js';
import { settingsForm } from '../schema_form.js';
import { isAdmin } from '../session.js';
import { testResult } from './tester.js';

export function render(main, { name }) {
  document.title = name + ' · Relais';
  const base = '/api/v1/connectors/' + encodeURIComponent(name);
  const head = h('div', { class: 'page-head' }, h('h1', {}, name));
  const body = h('div', { 'aria-busy': 'true' }, h('p', {}, t('loading')));
  main.append(h('p', { class: 'breadcrumb' }, h('a', { href: '#/' }, t('nav.overview'))), head, body);
  let disposed = false;

  async function load() {
    try {
      const c = await api.get(base);
      if (!disposed) show(c);
    } catch (e) {
      replace(body, h('p', { class: 'problem', role: 'alert' }, e.status === 404 ? t('connector.unknown', { name }) : t('error.load', { message: e.message })));
    }
  }

  function show(c) {
    body.removeAttribute('aria-busy');
    replace(head, h('h1', {}, c.name), stateBadge(c.state, 'connector'));
    const admin = isAdmin();
    const form = settingsForm(c.settings_schema || {}, c.settings || {}, { readOnly: !admin });
    const status = statusLine('status');
    const loose = h('ul', { class: 'problems', hidden: true });
    const save = h('button', { type: 'submit' }, t('connector.save'));
    const check = h('button', { type: 'button', class: 'secondary', on: { click: () => validate(true) } }, t('connector.check'));

    // Problems of the host's validation beside their fields; true when there were none.
    async function validate(announce) {
      loose.hidden = true;
      form.clearProblems();
      const result = await api.put(base + '/config/validate', form.read());
      if (result.valid) {
        if (announce) status.textContent = t('connector.valid');
        return true;
      }
      const { first, loose: others } = form.showProblems(result.problems || []);
      replace(loose, others.map((m) => h('li', {}, m)));
      loose.hidden = others.length === 0;
      status.textContent = t('connector.problems', { n: (result.problems || []).length });
      if (first && first.input) first.input.focus();
      return false;
    }

    async function submit(e) {
      e.preventDefault();
      save.disabled = true;
      status.textContent = t('connector.checking');
      try {
        if (!(await validate(false))) return;
        status.textContent = t('connector.saving');
        const saved = await api.put(base + '/config', form.read());
        show(saved);
        document.getElementById('settings-status').textContent = t('connector.saved', { time: time(new Date()) });
      } catch (error) {
        const problems = (error.details && error.details.problems) || [];
        replace(loose, problems.map((p) => h('li', {}, typeof p === 'string' ? p : p.message)));
        loose.hidden = problems.length === 0;
        status.textContent = error.status === 403 ? t('error.forbidden') : t('connector.refused', { message: error.message });
      } finally {
        save.disabled = false;
      }
    }

    status.id = 'settings-status';
    const settings = h('section', { class: 'panel', 'aria-labelledby': 'settings-title' },
      h('h2', { id: 'settings-title' }, t('connector.settings')),
      admin ? null : h('p', { class: 'notice' }, t('connector.read_only')),
      h('form', { class: 'settings', novalidate: true, 'aria-labelledby': 'settings-title', on: { submit } },
        form.element,
        loose,
        admin ? h('div', { class: 'actions-bar' }, save, check) : null,
        status));

    replace(body,
      h('p', { class: 'description' }, c.description),
      h('p', { class: 'facts-line' }, t('connector.version', { version: c.version }), ' · ', h('code', {}, c.file), ' · ', t('connector.abi', { abi: c.abi })),
      c.problems && c.problems.length ? h('div', { class: 'notice error' }, h('p', {}, t('connector.invalid')),
        h('ul', {}, c.problems.map((p) => h('li', {}, p)))) : null,
      h('p', { class: 'links' },
        h('a', { href: href('/jobs', { connector: c.name }) }, t('connector.its_jobs')), ' · ',
        h('a', { href: href('/logs', { connector: c.name }) }, t('connector.its_logs')), ' · ',
        h('a', { href: href('/tasks') }, t('connector.its_tasks'))),
      h('div', { class: 'columns' },
        settings,
        h('div', { class: 'side' }, tester(c, admin), actions(c), periodic(c))));
  }

  function tester(c, admin) {
    const result = h('div', { class: 'test-result', 'aria-live': 'polite' }, c.last_test ? testResult(c.last_test) : null);
    const status = statusLine();
    const button = h('button', { type: 'button', disabled: !c.has_test || !admin, on: { click: run } }, t('tester.run'));
    async function run() {
      button.disabled = true;
      status.textContent = t('tester.running');
      try {
        const r = await api.post(base + '/test');
        replace(result, testResult(r));
        status.textContent = '';
      } catch (e) {
        status.textContent = e.status === 403 ? t('error.forbidden') : t('tester.error', { message: e.message });
      } finally {
        button.disabled = false;
      }
    }
    return h('section', { class: 'panel', 'aria-labelledby': 'tester-title' },
      h('h2', { id: 'tester-title' }, t('tester.title')),
      h('p', { class: 'help' }, c.has_test ? t('tester.help') : t('tester.none')),
      admin || !c.has_test ? null : h('p', { class: 'notice' }, t('tester.read_only')),
      button, status, result);
  }

  function actions(c) {
    return h('section', { class: 'panel', 'aria-labelledby': 'actions-title' },
      h('h2', { id: 'actions-title' }, t('connector.actions')),
      h('dl', { class: 'action-list' }, (c.actions || []).map((a) => [
        h('dt', {}, h('code', {}, a.name)), h('dd', {}, a.description || '')])));
  }

  function periodic(c) {
    if (!c.periodic_tasks || !c.periodic_tasks.length) return null;
    return h('section', { class: 'panel', 'aria-labelledby': 'periodic-title' },
      h('h2', { id: 'periodic-title' }, t('connector.periodic')),
      h('ul', {}, c.periodic_tasks.map((p) => h('li', {}, h('code', {}, p.name), ' — ',
        duration(p.interval_seconds, 'every'), ' (', h('code', {}, p.action), ')'))));
  }

  load();
  return { dispose: () => { disposed = true; } };
}
