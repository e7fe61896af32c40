// A connection test's outcome: the verdict, then each step with its own verdict and message.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { stateBadge, timeEl } from '../format.js';

export function testResult(r) {
  const steps = r.steps || [];
  return h('div', { class: 'test ' + r.verdict, dataset: { verdict: r.verdict } },
    h('p', { class: 'verdict' }, stateBadge(r.verdict, 'verdict'), ' ',
      t('tester.summary', { ms: r.duration_ms }), ' ', timeEl(r.at)),
    r.message && !steps.length ? h('p', { class: 'message' }, r.message) : null,
    steps.length ? h('ol', { class: 'steps', 'aria-label': t('tester.steps') }, steps.map((s) =>
      h('li', { class: 'step ' + (s.ok ? 'ok' : 'failed'), dataset: { step: s.name } },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, s.ok ? '✓' : '✗'),
        h('span', { class: 'visually-hidden' }, s.ok ? t('tester.step_ok') : t('tester.step_failed'), ': '),
        h('strong', { class: 'step-name' }, s.name),
        s.message ? h('span', { class: 'step-message' }, s.message) : null))) : null);
}
