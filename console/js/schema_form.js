// A settings form generated from a plugin's JSON Schema, with no code for any one connector:
// strings, numbers with their bounds, booleans, enums as selects, arrays, nested objects; the
// description as help, the default shown; secrets write-only. Hints in the manner of Airbyte's
// specs: "x-order" (a number) sorts fields, "x-group" (a name) gathers them in a fieldset,
// "x-multiline" makes a string a text area.
//
// Numbers are typed in text inputs (inputmode numeric), not <input type=number>: a value that
// is not a number must reach the host's validation, which names the field, rather than be
// silently emptied by the browser.
import { h, uid } from './dom.js';
import { t } from './i18n.js';

export const REDACTED = '[redacted]';

function pointer(parent, key) {
  return parent + '/' + String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

// Words of settings names that read as acronyms; general terms, not any connector's.
const ACRONYMS = { api: 'API', url: 'URL', uri: 'URI', id: 'ID', ca: 'CA', oauth: 'OAuth', tls: 'TLS', ssl: 'SSL', http: 'HTTP', https: 'HTTPS', ews: 'EWS', ip: 'IP' };

// "client_secret" -> "Client secret", "oauth_url" -> "OAuth URL"
function humanize(key) {
  const words = String(key).split(/[_\s-]+/).filter(Boolean).map((w) => ACRONYMS[w.toLowerCase()] || w);
  const s = words.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function typeOf(schema) {
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((x) => x !== 'null');
    return types.length === 1 ? types[0] : 'json';
  }
  if (schema.type) return schema.type;
  if (schema.enum) return 'enum';
  if (schema.properties) return 'object';
  return 'json';
}

function display(value) {
  if (typeof value === 'string') return value === '' ? t('form.empty') : value;
  return JSON.stringify(value);
}

// The manuals' field names, which the plugins quote in their descriptions as (seed: 'Name').
const SEED = /\s*\(seed(?: note)?: '(.+?)'\)/g;  // a name may hold an apostrophe: d'erreur

function helpParts(schema) {
  const parts = [];
  let description = schema.description || '';
  const seeds = [];
  description = description.replace(SEED, (_, name) => {
    seeds.push(name);
    return '';
  });
  if (description) parts.push(h('span', {}, description));
  if (seeds.length) parts.push(h('span', { class: 'seed' }, t('form.seed', { names: seeds.map((s) => '« ' + s + ' »').join(', ') })));
  const bounds = [];
  if (schema.minimum !== undefined && schema.maximum !== undefined) bounds.push(t('form.between', { min: schema.minimum, max: schema.maximum }));
  else if (schema.minimum !== undefined) bounds.push(t('form.min', { min: schema.minimum }));
  else if (schema.maximum !== undefined) bounds.push(t('form.max', { max: schema.maximum }));
  if (schema.minLength !== undefined && schema.minLength > 0) bounds.push(t('form.min_length', { n: schema.minLength }));
  if (schema.maxLength !== undefined) bounds.push(t('form.max_length', { n: schema.maxLength }));
  if (bounds.length) parts.push(h('span', { class: 'bounds' }, bounds.join(', ')));
  if (schema.default !== undefined && !schema.secret) parts.push(h('span', { class: 'default' }, t('form.default', { value: display(schema.default) })));
  return parts;
}

// Properties in the order of their "x-order" hints, then in the schema's own order.
function orderedProperties(schema) {
  return Object.entries(schema.properties || {})
    .map(([key, sub], index) => ({ key, sub: sub || {}, index }))
    .sort((a, b) => {
      const oa = typeof a.sub['x-order'] === 'number' ? a.sub['x-order'] : Infinity;
      const ob = typeof b.sub['x-order'] === 'number' ? b.sub['x-order'] : Infinity;
      return oa === ob ? a.index - b.index : oa - ob;
    });
}

function parseNumber(text) {
  const s = text.trim();
  if (s === '') return undefined;
  const normal = s.replace(',', '.');  // a French decimal comma
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(normal)) {
    const n = Number(normal);
    // 1.5 for an integer is sent as it is: the host's refusal names the field.
    if (Number.isFinite(n)) return n;
  }
  return s;  // not a number: sent as typed, for the host to refuse beside this field
}

class Form {
  constructor({ readOnly }) {
    this.readOnly = readOnly;
    this.fields = new Map();  // JSON pointer -> {container, input, problem}
  }

  // One labelled field: the label, the control, its help, the place for its problem.
  // makeInput(id) returns the input, or {input, wrapper} when the input comes with more.
  field(path, name, schema, required, makeInput) {
    const id = uid('f');
    const helpId = id + '-help';
    const problemId = id + '-problem';
    const made = makeInput(id);
    const input = made instanceof Element ? made : made.input;
    input.setAttribute('aria-describedby', helpId + ' ' + problemId);
    if (required) input.setAttribute('aria-required', 'true');
    const label = h('label', { for: id, class: 'label' }, name.label,
      name.key ? h('code', { class: 'key' }, name.key) : null,
      required ? h('span', { class: 'required' }, ' ', t('form.required')) : null);
    const problem = h('p', { class: 'problem', id: problemId, hidden: true });
    const container = h('div', { class: 'field', dataset: { path } },
      label, made instanceof Element ? made : made.wrapper, h('p', { class: 'help', id: helpId }, helpParts(schema)), problem);
    this.fields.set(path, { container, input, problem });
    return container;
  }

  // name: {label, key}: what the label says, and the settings key shown beside it (none for
  // the items of an array).
  control(schema, value, path, name, required) {
    const type = typeOf(schema);
    if (schema.enum) return this.select(schema, value, path, name, required);
    if (type === 'boolean') return this.checkbox(schema, value, path, name);
    if (type === 'string' && schema.secret) return this.secret(schema, value, path, name, required);
    if (type === 'string') return this.text(schema, value, path, name, required);
    if (type === 'integer' || type === 'number') return this.number(schema, value, path, name, required, type === 'integer');
    if (type === 'array') return this.array(schema, value, path, name);
    if (type === 'object') return this.object(schema, value, path, name);
    return this.json(schema, value, path, name, required);
  }

  text(schema, value, path, name, required) {
    const multiline = Boolean(schema['x-multiline']);
    let input;
    const el = this.field(path, name, schema, required, (id) => {
      input = multiline
        ? h('textarea', { id, name: path, rows: 4, spellcheck: 'false' })
        : h('input', { id, name: path, type: 'text', spellcheck: 'false', autocomplete: 'off',
          inputmode: schema.format === 'uri' ? 'url' : undefined });
      input.value = value === undefined || value === null ? '' : String(value);
      if (schema.default !== undefined && schema.default !== '') input.placeholder = String(schema.default);
      input.disabled = this.readOnly || schema.readOnly;
      return input;
    });
    return {
      el,
      read: () => (input.value === '' && (value === undefined || value === null) ? undefined : input.value),
    };
  }

  // Write-only: the host shows a set secret as "[redacted]". Left empty, a set secret is sent
  // back as "[redacted]" (the host keeps its value); only a typed value replaces it.
  secret(schema, value, path, name, required) {
    const isSet = value !== undefined && value !== null && value !== '';
    let input;
    const el = this.field(path, name, schema, required, (id) => {
      input = h('input', { id, name: path, type: 'password', autocomplete: 'new-password', spellcheck: 'false',
        placeholder: isSet ? t('form.secret_keep') : t('form.secret_type') });
      input.disabled = this.readOnly;
      const state = h('span', { class: 'secret-state ' + (isSet ? 'is-set' : 'not-set') },
        isSet ? t('form.secret_set') : t('form.secret_not_set'));
      return { input, wrapper: h('div', { class: 'secret' }, input, state) };
    });
    return {
      el,
      read: () => {
        if (input.value !== '') return input.value;
        return isSet ? REDACTED : undefined;
      },
    };
  }

  number(schema, value, path, name, required, integer) {
    let input;
    const el = this.field(path, name, schema, required, (id) => {
      input = h('input', { id, name: path, type: 'text', inputmode: integer ? 'numeric' : 'decimal', autocomplete: 'off', class: 'number' });
      input.value = value === undefined || value === null ? '' : String(value);
      if (schema.default !== undefined) input.placeholder = String(schema.default);
      input.disabled = this.readOnly || schema.readOnly;
      return input;
    });
    return { el, read: () => parseNumber(input.value) };
  }

  checkbox(schema, value, path, name) {
    let input;
    const el = this.field(path, name, schema, false, (id) => {
      input = h('input', { id, name: path, type: 'checkbox' });
      input.checked = value === undefined ? Boolean(schema.default) : Boolean(value);
      input.disabled = this.readOnly || schema.readOnly;
      return input;
    });
    el.classList.add('field-checkbox');
    return { el, read: () => input.checked };
  }

  select(schema, value, path, name, required) {
    let input;
    const options = [...schema.enum];
    const el = this.field(path, name, schema, required, (id) => {
      input = h('select', { id, name: path });
      if (value !== undefined && !options.some((o) => o === value)) options.push(value);
      const hasValue = value !== undefined || schema.default !== undefined;
      if (!required && !hasValue) input.append(h('option', { value: '' }, t('form.not_set')));
      options.forEach((o, i) => input.append(h('option', { value: String(i) }, display(o))));
      const chosen = value !== undefined ? value : schema.default;
      const index = options.findIndex((o) => o === chosen);
      input.value = index >= 0 ? String(index) : '';
      input.disabled = this.readOnly || schema.readOnly;
      return input;
    });
    return { el, read: () => (input.value === '' ? undefined : options[Number(input.value)]) };
  }

  // Anything the form has no control for (unions, no type): edited as JSON.
  json(schema, value, path, name, required) {
    let input;
    const el = this.field(path, name, { ...schema, description: [schema.description, t('form.json')].filter(Boolean).join(' — ') },
      required, (id) => {
        input = h('textarea', { id, name: path, rows: 3, spellcheck: 'false', class: 'json' });
        input.value = value === undefined ? '' : JSON.stringify(value, null, 2);
        input.disabled = this.readOnly;
        return input;
      });
    return {
      el,
      read: () => {
        if (input.value.trim() === '') return undefined;
        try {
          return JSON.parse(input.value);
        } catch {
          return input.value;
        }
      },
    };
  }

  array(schema, value, path, name) {
    const items = schema.items || {};
    const list = h('ol', { class: 'array-items' });
    const problem = h('p', { class: 'problem', id: uid('p'), hidden: true });
    const title = name.label;
    let controls = [];
    const render = (values) => {
      for (const p of [...this.fields.keys()]) if (p.startsWith(path + '/')) this.fields.delete(p);
      list.replaceChildren();
      controls = values.map((v, i) => {
        const c = this.control(items, v, pointer(path, i), { label: t('form.item', { name: title, n: i + 1 }) }, false);
        const remove = h('button', { type: 'button', class: 'small', disabled: this.readOnly,
          on: { click: () => render(controls.map((x) => x.read()).filter((_, j) => j !== i)) } },
        t('form.remove'), h('span', { class: 'visually-hidden' }, ' ', t('form.item', { name: title, n: i + 1 })));
        list.append(h('li', {}, c.el, remove));
        return c;
      });
    };
    render(Array.isArray(value) ? value : []);
    const add = h('button', { type: 'button', class: 'small', disabled: this.readOnly,
      on: {
        click: () => {
          const values = controls.map((x) => x.read());
          values.push(items.default !== undefined ? items.default : undefined);
          render(values);
          const last = list.lastElementChild && list.lastElementChild.querySelector('input, select, textarea');
          if (last) last.focus();
        },
      } }, t('form.add'), h('span', { class: 'visually-hidden' }, ' ', title));
    const legendId = uid('l');
    const el = h('fieldset', { class: 'array', dataset: { path }, 'aria-describedby': problem.id },
      h('legend', { id: legendId }, title, name.key ? h('code', { class: 'key' }, name.key) : null),
      h('p', { class: 'help' }, helpParts(schema)), list, add, problem);
    this.fields.set(path, { container: el, input: add, problem });
    return {
      el,
      read: () => {
        const out = controls.map((c) => c.read()).filter((v) => v !== undefined);
        return out.length === 0 && value === undefined ? undefined : out;
      },
    };
  }

  object(schema, value, path, name) {
    const problem = h('p', { class: 'problem', id: uid('p'), hidden: true });
    const body = this.properties(schema, value || {}, path);
    const el = path === ''
      ? h('div', { class: 'object-root' }, body.el, problem)
      : h('fieldset', { class: 'object', dataset: { path } },
        h('legend', {}, name.label, name.key ? h('code', { class: 'key' }, name.key) : null),
        schema.description ? h('p', { class: 'help' }, helpParts(schema)) : null, body.el, problem);
    // The root's problems (no field) are the caller's to show, beside the form's buttons.
    if (path !== '') this.fields.set(path, { container: el, input: el.querySelector('input, select, textarea, button'), problem });
    return {
      el,
      read: () => {
        const out = body.read();
        return Object.keys(out).length === 0 && value === undefined ? undefined : out;
      },
    };
  }

  // The properties of an object, gathered by "x-group"; keys the schema does not name are kept.
  properties(schema, value, path) {
    const required = new Set(schema.required || []);
    const groups = new Map();
    const controls = [];
    for (const { key, sub } of orderedProperties(schema)) {
      const label = sub.title || humanize(key);
      const c = this.control(sub, value[key], pointer(path, key), { label, key: label === key ? null : key }, required.has(key));
      controls.push({ key, c });
      const group = sub['x-group'] || '';
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(c.el);
    }
    const el = h('div', { class: 'properties' });
    for (const [group, elements] of groups) {
      if (group === '') el.append(...elements);
      else el.append(h('fieldset', { class: 'group' }, h('legend', {}, group), elements));
    }
    const known = new Set(Object.keys(schema.properties || {}));
    return {
      el,
      read: () => {
        const out = {};
        for (const [k, v] of Object.entries(value)) if (!known.has(k)) out[k] = v;
        for (const { key, c } of controls) {
          const v = c.read();
          if (v !== undefined) out[key] = v;
        }
        return out;
      },
    };
  }

  clearProblems() {
    for (const f of this.fields.values()) {
      f.problem.hidden = true;
      f.problem.textContent = '';
      if (f.input) f.input.removeAttribute('aria-invalid');
      f.container.classList.remove('invalid');
    }
  }

  // Problems as the validate endpoint returns them ({field, path, message}): each beside its
  // field (or its nearest enclosing one); those of no field are returned for the form to show.
  showProblems(problems) {
    this.clearProblems();
    const loose = [];
    let first = null;
    for (const p of problems) {
      let path = p.path !== undefined ? p.path : (p.field ? '/' + p.field : '');
      let f = this.fields.get(path);
      while (!f && path.includes('/')) {
        path = path.slice(0, path.lastIndexOf('/'));
        f = path === '' ? null : this.fields.get(path);
      }
      if (!f) {
        loose.push(p.message);
        continue;
      }
      f.problem.hidden = false;
      f.problem.textContent = f.problem.textContent ? f.problem.textContent + ' ' + p.message : p.message;
      f.container.classList.add('invalid');
      if (f.input) f.input.setAttribute('aria-invalid', 'true');
      if (!first) first = f;
    }
    return { first, loose };
  }
}

// {element, read(), showProblems(problems), clearProblems()}
export function settingsForm(schema, settings, { readOnly = false } = {}) {
  const form = new Form({ readOnly });
  const root = form.object({ ...schema, type: 'object' }, settings || {}, '', { label: '' });
  return {
    element: root.el,
    read: () => root.read() || {},
    showProblems: (problems) => form.showProblems(problems),
    clearProblems: () => form.clearProblems(),
  };
}
