// English and French labels. The language comes from the browser (navigator.languages) unless
// the switch chose one, remembered in localStorage (a preference, nothing secret). A message
// with a count is {one, other}, chosen by the language's plural rules from params.n.
import { en } from './strings_en.js';
import { fr } from './strings_fr.js';

const TABLES = { en, fr };
export const LANGUAGES = [['en', 'English'], ['fr', 'Français']];
const KEY = 'relais.language';

function initial() {
  const saved = localStorage.getItem(KEY);
  if (saved && TABLES[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const code = String(l).slice(0, 2).toLowerCase();
    if (TABLES[code]) return code;
  }
  return 'en';
}

let current = initial();

export function lang() {
  return current;
}

// For dates and numbers: the browser's own variant of the language (en-GB, fr-CA) when it
// speaks the one chosen.
export function locale() {
  for (const l of navigator.languages || [navigator.language]) if (String(l).toLowerCase().startsWith(current)) return l;
  return current;
}

export function setLang(code) {
  if (!TABLES[code]) return;
  current = code;
  localStorage.setItem(KEY, code);
}

export function t(key, params = {}) {
  let message = TABLES[current][key];
  if (message === undefined) message = en[key];
  if (message === undefined) return key;
  if (typeof message === 'object') {
    const form = new Intl.PluralRules(current).select(Number(params.n));
    message = message[form] !== undefined ? message[form] : message.other;
  }
  return message.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined ? whole : String(params[name])));
}
