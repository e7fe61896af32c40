// Sign-in with an API token. The token is checked with /api/v1/whoami, kept in sessionStorage,
// and the input is emptied at once: it stays neither in the page nor in the URL.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import * as session from '../session.js';

let pending = '';
let messageEl = null;

export function showMessage(text) {
  pending = text;
  if (messageEl) messageEl.textContent = text;
}

export function render(main, { onSignedIn }) {
  document.title = t('signin.title') + ' · Relais';
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-help signin-message' });
  messageEl = h('p', { id: 'signin-message', class: 'problem', role: 'alert' }, pending);
  pending = '';
  const button = h('button', { type: 'submit' }, t('signin.submit'));
  const form = h('form', { class: 'signin', novalidate: true, on: { submit: submit } },
    h('div', { class: 'field' },
      h('label', { for: 'token', class: 'label' }, t('signin.token')),
      input,
      h('p', { id: 'token-help', class: 'help' }, t('signin.help'))),
    messageEl,
    button);

  async function submit(e) {
    e.preventDefault();
    const value = input.value.trim();
    input.value = '';
    if (!value) {
      messageEl.textContent = t('signin.empty');
      input.focus();
      return;
    }
    button.disabled = true;
    messageEl.textContent = '';
    try {
      const who = await api.get('/api/v1/whoami', undefined, { bearer: value });
      session.signIn(value, who);
      onSignedIn();
    } catch (error) {
      messageEl.textContent = error.status === 401 ? t('signin.refused') : t('signin.failed', { message: error.message });
      button.disabled = false;
      input.focus();
    }
  }

  main.append(h('section', { class: 'signin-page', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, t('signin.title')),
    h('p', {}, t('signin.intro')),
    form));
  return { dispose: () => { messageEl = null; } };
}
