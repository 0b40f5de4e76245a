// chart.js: a chart of a query result, drawn in SVG. A line chart when the
// first column is a time (TIMESTAMP, epoch milliseconds or seconds in a
// LONG/INT, or date-time text) and other columns are numeric; a bar chart
// by group when a column is a string and others are numeric. chartSpec
// says which, or why none fits.

import {s, h} from './dom.js';

const NUMERIC = new Set(['INT', 'LONG', 'FLOAT', 'DOUBLE', 'BIG_DECIMAL']);
const GROUP = new Set(['STRING', 'BOOLEAN', 'JSON', 'BYTES']);
const MAX_SERIES = 6;
const MAX_BARS = 40;

const MS_2000 = 946684800000;
const MS_2100 = 4102444800000;
const TIME_NAME = /(time|date|day|hour|minute|second|week|month|year|bucket|ts|epoch)/i;
const DATE_TEXT = /^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/;

function parseDateText(v) {
  let t = String(v).trim().replace(' ', 'T').replace(/\s*UTC$/, 'Z');
  if (/^\d{4}-\d{2}$/.test(t)) t += '-01';
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(t) && t.includes('T')) t += 'Z';
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

// timeParser returns a function from a cell to epoch ms when the column
// holds times, or null.
export function timeParser(name, type, values) {
  const vals = values.filter((v) => v !== null && v !== undefined && v !== '');
  if (!vals.length) return null;
  if (type === 'TIMESTAMP') {
    return (v) => (typeof v === 'number' || /^\d+$/.test(String(v)) ? Number(v) : parseDateText(v));
  }
  if (type === 'LONG' || type === 'INT' || type === 'DOUBLE') {
    const nums = vals.map(Number);
    if (nums.every((n) => Number.isFinite(n) && n >= MS_2000 && n <= MS_2100)) return (v) => Number(v);
    if (TIME_NAME.test(name) && nums.every((n) => Number.isFinite(n) && n >= MS_2000 / 1000 && n <= MS_2100 / 1000)) return (v) => Number(v) * 1000;
    return null;
  }
  if (type === 'STRING' && vals.every((v) => DATE_TEXT.test(String(v).trim()) && parseDateText(v) !== null)) return parseDateText;
  return null;
}

function numericColumns(schema, rows, skip) {
  const out = [];
  schema.columnDataTypes.forEach((t, i) => {
    if (i === skip || !NUMERIC.has(t)) return;
    if (rows.every((r) => r[i] === null || r[i] === '' || Number.isFinite(Number(r[i])))) out.push(i);
  });
  return out;
}

// chartSpec decides the chart of a result table: {kind: 'line'|'bar', ...}
// or {kind: 'none', reason}.
export function chartSpec(rt) {
  const schema = rt && rt.dataSchema;
  const rows = (rt && rt.rows) || [];
  if (!schema || !rows.length) return {kind: 'none', reason: 'The result has no rows to chart.'};
  const names = schema.columnNames, types = schema.columnDataTypes;
  if (names.length < 2) return {kind: 'none', reason: 'A chart needs a time or group column and at least one numeric column.'};
  const time = timeParser(names[0], types[0], rows.map((r) => r[0]));
  if (time) {
    const ys = numericColumns(schema, rows, 0);
    if (ys.length) return {kind: 'line', x: 0, parse: time, ys: ys.slice(0, MAX_SERIES), dropped: Math.max(0, ys.length - MAX_SERIES)};
  }
  const g = types.findIndex((t) => GROUP.has(t));
  if (g >= 0) {
    const ys = numericColumns(schema, rows, g);
    if (ys.length) return {kind: 'bar', x: g, ys: ys.slice(0, MAX_SERIES), dropped: Math.max(0, ys.length - MAX_SERIES)};
  }
  return {kind: 'none', reason: 'No chart for this result: it needs a time first column or a string column, with numeric columns (e.g. SELECT campaign, COUNT(*) … GROUP BY campaign).'};
}

// niceTicks returns about n round tick values covering [lo, hi].
export function niceTicks(lo, hi, n = 5) {
  if (lo === hi) { const d = Math.abs(lo) || 1; lo -= d / 2; hi += d / 2; }
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => raw <= st) || 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const compact = new Intl.NumberFormat('en-US', {notation: 'compact', maximumFractionDigits: 2});
const full = new Intl.NumberFormat('en-US', {maximumFractionDigits: 4});

// timeTicks returns ticks on round UTC times across [lo, hi].
const TIME_STEPS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800, 2592000, 31536000].map((x) => x * 1000);
function timeTicks(lo, hi, n = 6) {
  const step = TIME_STEPS.find((st) => (hi - lo) / st <= n) || TIME_STEPS[TIME_STEPS.length - 1];
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out.length ? out : [lo];
}

function timeLabel(ms, span) {
  const iso = new Date(ms).toISOString();
  if (span > 2 * 86400000) return iso.slice(0, 10);
  if (span > 2 * 3600000) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, 19);
}

const W = 800, H = 320, M = {l: 64, r: 16, t: 16, b: 48};

function frame(yTicks, y, label) {
  return s('g', {class: 'axis'},
    yTicks.map((v) => s('g', {},
      s('line', {x1: M.l, x2: W - M.r, y1: y(v), y2: y(v), class: 'gridline'}),
      s('text', {x: M.l - 8, y: y(v) + 4, 'text-anchor': 'end'}, compact.format(v)))),
    s('line', {x1: M.l, x2: M.l, y1: M.t, y2: H - M.b, class: 'axis-line'}),
    s('text', {x: 12, y: M.t + (H - M.t - M.b) / 2, transform: `rotate(-90 12 ${M.t + (H - M.t - M.b) / 2})`, 'text-anchor': 'middle', class: 'axis-title'}, label));
}

function legend(names, ys) {
  return h('ul', {class: 'legend'}, ys.map((c, k) => h('li', {}, h('span', {class: `swatch series-${k}`, 'aria-hidden': 'true'}), names[c])));
}

function yScale(rows, ys) {
  let lo = 0, hi = 0;
  for (const r of rows) for (const c of ys) {
    const v = Number(r[c]);
    if (r[c] === null || !Number.isFinite(v)) continue;
    lo = Math.min(lo, v); hi = Math.max(hi, v);
  }
  const ticks = niceTicks(lo, hi);
  const t0 = ticks[0], t1 = ticks[ticks.length - 1];
  return {ticks, y: (v) => H - M.b - ((v - t0) / (t1 - t0 || 1)) * (H - M.t - M.b)};
}

function lineChart(rt, spec) {
  const names = rt.dataSchema.columnNames;
  const pts = rt.rows.map((r) => ({x: spec.parse(r[spec.x]), r})).filter((p) => p.x !== null && Number.isFinite(p.x)).sort((a, b) => a.x - b.x);
  const x0 = pts[0].x, x1 = pts[pts.length - 1].x;
  const span = x1 - x0;
  const x = (v) => M.l + (span ? ((v - x0) / span) : 0.5) * (W - M.l - M.r);
  const {ticks, y} = yScale(pts.map((p) => p.r), spec.ys);
  const xTicks = span ? timeTicks(x0, x1) : [x0];
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'data-testid': 'chart-svg', 'data-kind': 'line',
    'aria-label': `Line chart of ${spec.ys.map((c) => names[c]).join(', ')} over ${names[spec.x]}, ${pts.length} points`},
  frame(ticks, y, spec.ys.length === 1 ? names[spec.ys[0]] : ''),
  s('g', {class: 'axis'}, xTicks.map((v) => s('g', {},
    s('line', {x1: x(v), x2: x(v), y1: H - M.b, y2: H - M.b + 5, class: 'axis-line'}),
    s('text', {x: x(v), y: H - M.b + 20, 'text-anchor': 'middle'}, timeLabel(v, span)))),
  s('line', {x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b, class: 'axis-line'}),
  s('text', {x: M.l + (W - M.l - M.r) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-title'}, `${names[spec.x]} (UTC)`)),
  spec.ys.map((c, k) => {
    const line = pts.filter((p) => p.r[c] !== null && p.r[c] !== '').map((p) => `${x(p.x).toFixed(1)},${y(Number(p.r[c])).toFixed(1)}`);
    return s('g', {class: `series series-${k}`},
      s('polyline', {points: line.join(' '), fill: 'none'}),
      pts.length <= 120 ? pts.filter((p) => p.r[c] !== null).map((p) => s('circle', {cx: x(p.x), cy: y(Number(p.r[c])), r: 3},
        s('title', {}, `${timeLabel(p.x, 0)} ${new Date(p.x).toISOString().slice(0, 10)}: ${names[c]} = ${full.format(Number(p.r[c]))}`))) : null);
  }));
  return h('figure', {class: 'chart-figure'}, svg, legend(names, spec.ys));
}

function barChart(rt, spec) {
  const names = rt.dataSchema.columnNames;
  const rows = rt.rows.slice(0, MAX_BARS);
  const {ticks, y} = yScale(rows, spec.ys);
  const band = (W - M.l - M.r) / rows.length;
  const inner = band * 0.8;
  const bw = inner / spec.ys.length;
  const zero = y(Math.max(ticks[0], Math.min(0, ticks[ticks.length - 1])));
  const rotate = rows.length > 8;
  const svg = s('svg', {viewBox: `0 0 ${W} ${H + (rotate ? 40 : 0)}`, class: 'chart', role: 'img', 'data-testid': 'chart-svg', 'data-kind': 'bar',
    'aria-label': `Bar chart of ${spec.ys.map((c) => names[c]).join(', ')} by ${names[spec.x]}, ${rows.length} groups`},
  frame(ticks, y, spec.ys.length === 1 ? names[spec.ys[0]] : ''),
  s('line', {x1: M.l, x2: W - M.r, y1: zero, y2: zero, class: 'axis-line'}),
  rows.map((r, i) => {
    const gx = M.l + i * band + (band - inner) / 2;
    const label = r[spec.x] === null ? 'null' : String(r[spec.x]);
    const short = label.length > 14 ? `${label.slice(0, 13)}…` : label;
    const lx = M.l + i * band + band / 2;
    return s('g', {class: 'bar-group'},
      spec.ys.map((c, k) => {
        const v = Number(r[c]);
        const yy = y(v);
        return s('rect', {x: gx + k * bw, y: Math.min(yy, zero), width: Math.max(1, bw - 1), height: Math.max(0.5, Math.abs(zero - yy)), class: `bar series-${k}`},
          s('title', {}, `${label}: ${names[c]} = ${full.format(v)}`));
      }),
      s('text', rotate
        ? {x: lx, y: H - M.b + 14, 'text-anchor': 'end', transform: `rotate(-40 ${lx} ${H - M.b + 14})`, class: 'tick-label'}
        : {x: lx, y: H - M.b + 18, 'text-anchor': 'middle', class: 'tick-label'}, short));
  }));
  return h('figure', {class: 'chart-figure'}, svg, legend(names, spec.ys),
    rt.rows.length > MAX_BARS ? h('figcaption', {class: 'muted small'}, `First ${MAX_BARS} of ${rt.rows.length} groups.`) : null);
}

// renderChart draws the chart of a result table, or says why there is none.
export function renderChart(rt) {
  const spec = chartSpec(rt);
  if (spec.kind === 'none') return h('div', {class: 'state state-empty', 'data-testid': 'chart-none'}, spec.reason);
  const fig = spec.kind === 'line' ? lineChart(rt, spec) : barChart(rt, spec);
  if (spec.dropped) fig.append(h('figcaption', {class: 'muted small'}, `${spec.dropped} more numeric column(s) not drawn.`));
  return fig;
}
