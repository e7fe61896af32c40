// Small charts drawn as SVG by the page itself: no library, no external service. Each chart has
// a text alternative (role="img" with a label, and the numbers as a table beside it).
import { h, uid } from './dom.js';
import { t } from './i18n.js';
import { hourMinute, number, time } from './format.js';

export const OUTCOMES = [
  ['succeeded', '#1a7f37'],
  ['failed', '#b35900'],
  ['dead', '#c62828'],
  ['cancelled', '#5f6773'],
];

function svg(attrs, ...children) {
  return h('svg:svg', { xmlns: 'http://www.w3.org/2000/svg', ...attrs }, ...children);
}

// One quota: used of limit in its window, as a bar and as words.
export function quotaMeter(used, limit, label) {
  const unlimited = !limit;
  const share = unlimited ? 0 : Math.min(1, used / limit);
  const words = unlimited ? t('chart.quota_unlimited', { used: number(used) }) : t('chart.quota_words', { used: number(used), limit: number(limit) });
  const colour = share >= 0.9 ? '#c62828' : share >= 0.7 ? '#b35900' : '#1d4f91';
  return h('div', { class: 'meter' },
    h('span', { class: 'meter-label' }, label),
    svg({ viewBox: '0 0 100 8', width: '100%', height: '8', preserveAspectRatio: 'none', role: 'img', 'aria-label': label + ': ' + words, class: 'meter-bar' },
      h('svg:rect', { x: 0, y: 0, width: 100, height: 8, rx: 2, fill: '#e3e7ee' }),
      h('svg:rect', { x: 0, y: 0, width: (share * 100).toFixed(2), height: 8, rx: 2, fill: colour })),
    h('span', { class: 'meter-words' }, words));
}

// Jobs per minute, stacked by outcome; minutes: [{minute (a time), succeeded, failed, dead, cancelled}].
export function jobsPerMinute(minutes, caption) {
  const width = 600;
  const height = 180;
  const left = 36;
  const bottom = 22;
  const top = 8;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const totals = minutes.map((m) => OUTCOMES.reduce((s, [k]) => s + (m[k] || 0), 0));
  const max = Math.max(1, ...totals);
  const step = plotW / Math.max(1, minutes.length);
  const barW = Math.max(1, step * 0.8);
  const titleId = uid('chart-title');
  const bars = [];
  minutes.forEach((m, i) => {
    let y = top + plotH;
    for (const [k, colour] of OUTCOMES) {
      const n = m[k] || 0;
      if (!n) continue;
      const barH = (n / max) * plotH;
      y -= barH;
      bars.push(h('svg:rect', { x: (left + i * step + (step - barW) / 2).toFixed(2), y: y.toFixed(2), width: barW.toFixed(2), height: barH.toFixed(2), fill: colour },
        h('svg:title', {}, `${time(m.minute)}: ${t('job.' + k)} ${n}`)));
    }
  });
  const labels = [];
  if (minutes.length) {
    // The first and last labels are anchored inward, so that they stay inside the chart.
    const ticks = [[0, 'start'], [Math.floor((minutes.length - 1) / 2), 'middle'], [minutes.length - 1, 'end']];
    for (const [i, anchor] of ticks) {
      const x = anchor === 'start' ? left + i * step : anchor === 'end' ? left + (i + 1) * step : left + i * step + step / 2;
      labels.push(h('svg:text', { x: x.toFixed(2), y: height - 6, 'text-anchor': anchor, class: 'axis' }, hourMinute(minutes[i].minute)));
    }
  }
  const total = totals.reduce((a, b) => a + b, 0);
  const summary = OUTCOMES.map(([k]) => `${t('job.' + k)} ${number(minutes.reduce((s, m) => s + (m[k] || 0), 0))}`).join(', ');
  const chart = svg({ viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-labelledby': titleId },
    h('svg:title', { id: titleId }, `${caption}: ${t('chart.total', { n: number(total) })} (${summary})`),
    h('svg:line', { x1: left, y1: top + plotH, x2: width - 8, y2: top + plotH, stroke: '#5f6773', 'stroke-width': 1 }),
    h('svg:line', { x1: left, y1: top, x2: left, y2: top + plotH, stroke: '#5f6773', 'stroke-width': 1 }),
    h('svg:text', { x: left - 4, y: top + 10, 'text-anchor': 'end', class: 'axis' }, String(max)),
    h('svg:text', { x: left - 4, y: top + plotH, 'text-anchor': 'end', class: 'axis' }, '0'),
    bars, labels);
  const legend = h('ul', { class: 'legend' }, OUTCOMES.map(([k, colour]) => h('li', {},
    svg({ width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true' }, h('svg:rect', { width: 12, height: 12, rx: 2, fill: colour })),
    ' ', t('job.' + k))));
  const busy = minutes.filter((_, i) => totals[i] > 0);
  const table = h('details', { class: 'chart-table' }, h('summary', {}, t('chart.as_table')),
    busy.length ? h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('chart.minute')), OUTCOMES.map(([k]) => h('th', { scope: 'col' }, t('job.' + k))))),
      h('tbody', {}, busy.map((m) => h('tr', {}, h('th', { scope: 'row' }, time(m.minute)), OUTCOMES.map(([k]) => h('td', {}, number(m[k] || 0)))))))
      : h('p', {}, t('chart.no_jobs')));
  return h('figure', { class: 'figure' }, chart, h('figcaption', {}, caption), legend, table);
}
