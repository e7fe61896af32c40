// Times, durations and states as the administrator reads them, in the page's language.
import { h } from './dom.js';
import { locale, t } from './i18n.js';

export function dateTime(value) {
  if (value === undefined || value === null || value === '') return '';
  const d = typeof value === 'number' ? new Date(value) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

export function time(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'medium' }).format(d);
}

export function hourMinute(value) {
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit' }).format(new Date(value));
}

// "in 3 min", "12 s ago"
export function relative(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const seconds = Math.round((d.getTime() - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto', style: 'short' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

// A <time> with the absolute time, and the relative one as its title.
export function timeEl(value) {
  if (!value) return '';
  return h('time', { datetime: typeof value === 'number' ? new Date(value).toISOString() : value, title: relative(value) }, dateTime(value));
}

// A length of time in the largest whole unit, worded for its use (each language words "every
// hour", "per second" and "the last 15 minutes" its own way): kind is 'every', 'per' or 'last'.
export function duration(seconds, kind) {
  if (seconds === undefined || seconds === null) return '';
  let unit = 'seconds';
  let n = seconds;
  if (seconds > 0 && seconds % 86400 === 0) [unit, n] = ['days', seconds / 86400];
  else if (seconds > 0 && seconds % 3600 === 0) [unit, n] = ['hours', seconds / 3600];
  else if (seconds > 0 && seconds % 60 === 0) [unit, n] = ['minutes', seconds / 60];
  return t(`${kind}.${unit}`, { n });
}

export const JOB_STATES = ['queued', 'running', 'waiting', 'failed_retrying', 'dead', 'succeeded', 'cancelled'];
export const FINAL_STATES = new Set(['succeeded', 'dead', 'cancelled']);

// A state as a badge: a word, not only a colour.
export function stateBadge(state, kind = 'job') {
  return h('span', { class: `badge ${kind}-${state}` }, t(`${kind}.${state}`));
}

export function json(value) {
  // Focusable: a long document scrolls in its box, which the keyboard must reach too.
  return h('pre', { class: 'json', tabindex: '0' }, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

export function number(n) {
  return new Intl.NumberFormat(locale()).format(n);
}
