// The host's log, live: the recent lines, then each new one as the host streams it (Server-Sent
// Events read with fetch(), since EventSource cannot send the token in a header), filtered by
// connector, level and text. Secrets are redacted by the host before any line leaves it.
import * as api from '../api.js';
import { h, replace, uid } from '../dom.js';
import { t } from '../i18n.js';
import { readEvents } from '../sse.js';
import { replaceQuery } from '../router.js';

const LEVELS = ['trace', 'debug', 'information', 'notice', 'warning', 'error', 'critical', 'fatal'];
const KEEP = 1000;

function clock(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value || '');
  return d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function render(main, _params, query) {
  document.title = t('logs.title') + ' · Relais';
  const filter = { connector: query.connector || '', level: query.level || '', q: query.q || '' };
  let controller = null;
  let disposed = false;
  let paused = false;
  let lastSeq = null;
  let retryTimer = null;
  let failures = 0;

  const connectorSelect = h('select', { id: uid('log'), name: 'connector' }, h('option', { value: '' }, t('logs.all_connectors')));
  const levelSelect = h('select', { id: uid('log'), name: 'level' }, h('option', { value: '' }, t('logs.any_level')),
    LEVELS.map((l) => h('option', { value: l }, t('level.' + l))));
  const textInput = h('input', { id: uid('log'), name: 'q', type: 'search', autocomplete: 'off', spellcheck: 'false' });
  levelSelect.value = filter.level;
  textInput.value = filter.q;
  const state = h('p', { class: 'live-state', role: 'status' });
  const pause = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false', on: { click: togglePause } }, t('logs.pause'));
  // The live region is around the list, not on it: role="log" on the <ol> would hide that its
  // lines are list items.
  const list = h('ol', { class: 'log', 'aria-label': t('logs.lines'), tabindex: '0', dataset: { empty: t('logs.empty') } });
  const region = h('div', { role: 'log', 'aria-label': t('logs.lines') }, list);

  api.get('/api/v1/connectors').then(({ connectors }) => {
    for (const c of connectors) connectorSelect.append(h('option', { value: c.name }, c.name));
    connectorSelect.value = filter.connector;
  }).catch(() => {});
  if (filter.connector) connectorSelect.append(h('option', { value: filter.connector }, filter.connector));
  connectorSelect.value = filter.connector;

  function setState(key, params) {
    state.textContent = t(key, params);
    state.dataset.state = key;
  }

  function line(l) {
    return h('li', { class: 'line level-' + l.level, dataset: { seq: l.seq } },
      h('time', { datetime: l.time }, clock(l.time)), ' ',
      h('span', { class: 'level' }, l.level), ' ',
      l.connector ? h('span', { class: 'connector' }, l.connector) : h('span', { class: 'logger' }, l.logger), ' ',
      h('span', { class: 'message' }, l.message));
  }

  function add(lines) {
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    for (const l of lines) {
      if (lastSeq !== null && l.seq <= lastSeq) continue;
      lastSeq = l.seq;
      list.append(line(l));
    }
    while (list.childElementCount > KEEP) list.firstElementChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function params() {
    return { connector: filter.connector || undefined, level: filter.level || undefined, q: filter.q || undefined };
  }

  async function start() {
    stop();
    if (paused || disposed) return;
    const mine = new AbortController();
    controller = mine;
    try {
      if (lastSeq === null) {
        setState('logs.loading');
        const recent = await api.get('/api/v1/logs', { ...params(), limit: 200 }, { signal: mine.signal });
        if (controller !== mine) return;
        lastSeq = null;
        replace(list);
        add(recent.lines || []);
        if (lastSeq === null && recent.next_after !== undefined) lastSeq = recent.next_after;
      }
      const response = await api.stream('/api/v1/logs/stream', { ...params(), after: lastSeq === null ? undefined : lastSeq },
        { signal: mine.signal, lastEventId: lastSeq });
      setState('logs.live');
      failures = 0;
      await readEvents(response, (event) => {
        // A line still buffered in a stream this page has just replaced belongs to the old filter.
        if (controller !== mine) return;
        try {
          add([JSON.parse(event.data)]);
        } catch {
          // not a line: ignored
        }
      });
      if (controller === mine) again();
    } catch (e) {
      if (mine.signal.aborted || disposed) return;
      if (e.status === 403) {
        setState('logs.forbidden');
        return;
      }
      again(e);
    }
  }

  // The stream ended or broke: connect again, waiting longer after each failure.
  function again(error) {
    failures += 1;
    setState('logs.reconnecting', { message: error ? error.message : '' });
    retryTimer = setTimeout(start, Math.min(10000, 500 * 2 ** Math.min(failures, 5)));
  }

  function stop() {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    if (controller) controller.abort();
    controller = null;
  }

  function togglePause() {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? t('logs.resume') : t('logs.pause');
    if (paused) {
      stop();
      setState('logs.paused');
    } else {
      start();
    }
  }

  function apply() {
    filter.connector = connectorSelect.value;
    filter.level = levelSelect.value;
    filter.q = textInput.value.trim();
    replaceQuery(filter);
    lastSeq = null;
    start();
  }
  connectorSelect.addEventListener('change', apply);
  levelSelect.addEventListener('change', apply);

  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('logs.title')), state),
    h('form', { class: 'filters', role: 'search', 'aria-label': t('logs.filters'), novalidate: true,
      on: { submit: (e) => { e.preventDefault(); apply(); } } },
    h('div', { class: 'field' }, h('label', { for: connectorSelect.id, class: 'label' }, t('jobs.connector')), connectorSelect),
    h('div', { class: 'field' }, h('label', { for: levelSelect.id, class: 'label' }, t('logs.level')), levelSelect),
    h('div', { class: 'field' }, h('label', { for: textInput.id, class: 'label' }, t('logs.text')), textInput),
    h('div', { class: 'filter-buttons' }, h('button', { type: 'submit' }, t('jobs.apply')), pause)),
    region);
  start();
  return {
    dispose() {
      disposed = true;
      stop();
    },
  };
}
