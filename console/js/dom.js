// Building elements without innerHTML: every text goes in through textContent, so nothing the
// API returns (a connector's message, a log line) can become markup.

// h('a', {href: '#/jobs', class: 'x', on: {click: fn}}, 'text', child, [more children])
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && !svg) {
      el.value = value;
    } else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'readOnly') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

let ids = 0;
// Ids that tie a label, a help text or a problem to its input.
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// A status line read out by screen readers when it changes.
export function statusLine(className = 'status') {
  return h('p', { class: className, role: 'status', 'aria-live': 'polite' });
}
