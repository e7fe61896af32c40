// The console's entry: the frame (navigation, who is signed in, language), sign-in, and the
// pages by route.
import * as api from './api.js';
import { h, replace } from './dom.js';
import { t, lang, setLang, LANGUAGES } from './i18n.js';
import * as router from './router.js';
import * as session from './session.js';
import * as signin from './pages/signin.js';
import * as overview from './pages/overview.js';
import * as connector from './pages/connector.js';
import * as jobs from './pages/jobs.js';
import * as job from './pages/job.js';
import * as tasks from './pages/tasks.js';
import * as logs from './pages/logs.js';
import * as metrics from './pages/metrics.js';

router.route('/', overview);
router.route('/connectors/:name', connector);
router.route('/jobs', jobs);
router.route('/jobs/:id', job);
router.route('/tasks', tasks);
router.route('/logs', logs);
router.route('/metrics', metrics);

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionBox = document.getElementById('session');
let shown = null;  // the page on screen: {dispose()}
let firstRender = true;

const NAV = [
  ['/', 'nav.overview'],
  ['/jobs', 'nav.jobs'],
  ['/tasks', 'nav.tasks'],
  ['/logs', 'nav.logs'],
  ['/metrics', 'nav.metrics'],
];

function renderFrame() {
  document.documentElement.lang = lang();
  document.getElementById('skip-link').textContent = t('frame.skip');
  document.getElementById('footer').textContent = t('frame.footer');
  const who = session.who();
  const { path } = router.current();
  nav.hidden = !who;
  nav.setAttribute('aria-label', t('nav.label'));
  replace(nav, h('ul', {}, NAV.map(([to, key]) => {
    const here = to === '/' ? path === '/' || path.startsWith('/connectors/') : path === to || path.startsWith(to + '/');
    return h('li', {}, h('a', { href: '#' + to, 'aria-current': here ? 'page' : undefined }, t(key)));
  })));
  const languageId = 'language-switch';
  const language = h('select', { id: languageId, on: { change: (e) => { setLang(e.target.value); render(); } } },
    LANGUAGES.map(([code, name]) => h('option', { value: code, selected: code === lang() }, name)));
  replace(sessionBox,
    h('label', { for: languageId, class: 'visually-hidden' }, t('frame.language')), language,
    who ? [
      h('span', { class: 'who' }, t('frame.signed_in', { name: who.name }), ' ',
        h('span', { class: 'badge ' + (who.admin ? 'role-admin' : 'role-read') }, who.admin ? t('frame.admin') : t('frame.read_only'))),
      h('button', { type: 'button', class: 'secondary', on: { click: signOut } }, t('frame.sign_out')),
    ] : null);
}

function signOut() {
  session.signOut();
  render();
}

function render() {
  if (shown && shown.dispose) shown.dispose();
  shown = null;
  renderFrame();
  main.replaceChildren();
  if (!session.token() || !session.who()) {
    shown = signin.render(main, { onSignedIn: () => render() });
    return;
  }
  const { path, query } = router.current();
  const found = router.match(path);
  if (!found) {
    document.title = t('notfound.title') + ' · Relais';
    main.append(h('h1', { tabindex: '-1' }, t('notfound.title')), h('p', {}, h('a', { href: '#/' }, t('notfound.back'))));
  } else {
    shown = found.page.render(main, found.params, query) || null;
  }
  // After a navigation, focus goes to the new page's heading, as it would on a new page load.
  if (!firstRender) {
    const heading = main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }
  firstRender = false;
}

api.whenUnauthorized(() => {
  session.signOut();
  render();
  signin.showMessage(t('signin.expired'));
});

document.getElementById('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  const heading = main.querySelector('h1') || main;
  if (heading !== main) heading.setAttribute('tabindex', '-1');
  heading.focus();
});

window.addEventListener('hashchange', () => render());

async function start() {
  if (session.token()) {
    try {
      session.setWho(await api.get('/api/v1/whoami'));
    } catch {
      session.signOut();
    }
  }
  render();
}

start();
