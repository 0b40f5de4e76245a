// dom.js: building DOM without innerHTML (every text the cluster sends is
// set as text, never parsed as markup), formatting, and the shared pieces
// of every page: loading / empty / error states, data tables, tabs.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// h builds an HTML element: h('a', {href: '/x', class: 'link'}, 'text', child).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

// s builds an SVG element.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

// icon is a small inline SVG from a path string (24x24 view box).
export function icon(d, label) {
  const el = s('svg', {viewBox: '0 0 24 24', class: 'icon', 'aria-hidden': label ? undefined : 'true', role: label ? 'img' : undefined},
    label ? s('title', {}, label) : null, s('path', {d}));
  return el;
}

export const ICONS = {
  menu: 'M3 6h18v2H3zm0 5h18v2H3zm0 5h18v2H3z',
  refresh: 'M17.6 6.4A8 8 0 1 0 20 12h-2a6 6 0 1 1-1.8-4.3L13 11h7V4z',
  play: 'M8 5v14l11-7z',
  logout: 'M10 17l1.4-1.4L8.8 13H20v-2H8.8l2.6-2.6L10 7l-5 5zM4 5h8V3H4a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h8v-2H4z',
  table: 'M3 4h18v16H3zm2 2v3h14V6zm0 5v3h6v-3zm8 0v3h6v-3zm-8 5v2h6v-2zm8 0v2h6v-2z',
  chart: 'M4 19h16v2H2V3h2zm3-2V10h3v7zm5 0V6h3v11zm5 0v-5h3v5z',
};

// clear empties an element and appends children.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// --- states ---------------------------------------------------------------

export function loading(what = 'Loading') {
  return h('div', {class: 'state state-loading', role: 'status', 'aria-live': 'polite'},
    h('span', {class: 'spinner', 'aria-hidden': 'true'}), `${what}…`);
}

export function empty(msg) {
  return h('div', {class: 'state state-empty'}, msg);
}

// errorBox shows an error; retry, when given, adds a button that calls it.
export function errorBox(err, retry) {
  const msg = err && err.message ? err.message : String(err);
  return h('div', {class: 'state state-error', role: 'alert'},
    h('strong', {}, err && err.status ? `Error ${err.status}: ` : 'Error: '),
    h('span', {class: 'error-text'}, msg),
    retry ? h('button', {class: 'btn btn-small', type: 'button', onclick: retry}, 'Retry') : null);
}

// --- formatting -----------------------------------------------------------

const intFmt = new Intl.NumberFormat('en-US');
const numFmt = new Intl.NumberFormat('en-US', {maximumFractionDigits: 3});

export function fmtInt(n) {
  if (n === undefined || n === null || n === '' || Number.isNaN(Number(n))) return '—';
  return intFmt.format(Number(n));
}

export function fmtNum(n) {
  if (n === undefined || n === null || n === '' || Number.isNaN(Number(n))) return '—';
  return numFmt.format(Number(n));
}

export function fmtBytes(n) {
  if (n === undefined || n === null || n < 0 || Number.isNaN(Number(n))) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n), i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtTime(ms) {
  if (ms === undefined || ms === null || ms === '' || Number(ms) <= 0) return '—';
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return String(ms);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC');
}

export function fmtDuration(ms) {
  if (ms === undefined || ms === null || Number(ms) < 0) return '—';
  ms = Number(ms);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
  return `${(ms / 3600000).toFixed(1)} h`;
}

export function fmtAgo(ms) {
  if (!ms || Number(ms) <= 0) return 'never';
  return `${fmtDuration(Math.max(0, Date.now() - Number(ms)))} ago`;
}

// badge is a small colored label; kind is ok, warn, bad, info or muted.
export function badge(text, kind = 'muted', title) {
  return h('span', {class: `badge badge-${kind}`, title}, text);
}

export function stateBadge(state) {
  const kind = {ONLINE: 'ok', CONSUMING: 'info', LIVE: 'ok', OFFLINE: 'muted', ERROR: 'bad', DROPPED: 'muted',
    DONE: 'ok', IN_PROGRESS: 'info', FAILED: 'bad', NO_OP: 'muted', ABORTED: 'warn', STOPPED: 'bad',
    UNREACHABLE: 'bad', MISSING: 'warn', NOT_CONSUMING: 'warn', WAITING_FOR_PARENTS: 'muted', ENDED: 'muted',
    REPAIRED: 'warn', STUCK: 'bad'}[state] || 'muted';
  return badge(state || '—', kind);
}

// --- data tables ------------------------------------------------------------

// dataTable renders rows in a horizontally scrolling, keyboard-focusable
// region. columns: [{label, get(row) -> string|Node, num?: bool, title?}].
export function dataTable(columns, rows, {caption, label, emptyText = 'Nothing to show.', testid} = {}) {
  if (!rows.length) return empty(emptyText);
  const table = h('table', {class: 'grid', 'data-testid': testid},
    caption ? h('caption', {class: 'visually-hidden'}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col', class: c.num ? 'num' : null, title: c.title}, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => {
      const v = c.get(r);
      return h('td', {class: c.num ? 'num' : null}, v === undefined || v === null || v === '' ? '—' : v);
    })))));
  // A scrolling region must be reachable by keyboard to scroll it.
  return h('div', {class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': label || caption || 'table'}, table);
}

// card is a titled panel.
export function card(title, body, {actions, id, testid} = {}) {
  return h('section', {class: 'card', id, 'data-testid': testid, 'aria-label': typeof title === 'string' ? title : undefined},
    h('header', {class: 'card-head'}, h('h2', {}, title), actions ? h('div', {class: 'card-actions'}, actions) : null),
    h('div', {class: 'card-body'}, body));
}

// tabs builds an accessible tab list (arrow keys move between tabs, as
// WAI-ARIA's tabs pattern says). tabs: [{id, label, render(panel)}];
// onSelect(id) is called when the user picks one.
export function tabs(list, selected, onSelect) {
  const tablist = h('div', {class: 'tabs', role: 'tablist'});
  const panel = h('div', {class: 'tab-panel', role: 'tabpanel', tabindex: '-1'});
  const buttons = list.map((t) => h('button', {
    type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': 'tab-panel', class: 'tab',
    'data-testid': `tab-${t.id}`,
    onclick: () => select(t.id, true),
  }, t.label));
  panel.id = 'tab-panel';
  tablist.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = -1;
    if (e.key === 'ArrowRight') j = (i + 1) % buttons.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = buttons.length - 1;
    if (j >= 0) { e.preventDefault(); buttons[j].focus(); select(list[j].id, true); }
  });
  let cleanup = null;
  function select(id, user) {
    const t = list.find((x) => x.id === id) || list[0];
    buttons.forEach((b, k) => {
      const on = list[k].id === t.id;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', `tab-${t.id}`);
    if (typeof cleanup === 'function') cleanup();
    panel.replaceChildren();
    cleanup = t.render(panel);
    if (user && onSelect) onSelect(t.id);
  }
  append(tablist, buttons);
  select(selected, false);
  return {el: h('div', {class: 'tabs-wrap'}, tablist, panel), dispose: () => typeof cleanup === 'function' && cleanup()};
}

// pool runs fn over items with at most n in flight and returns the results
// in order (each a value or {error}).
export async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      try { out[i] = await fn(items[i], i); } catch (error) { out[i] = {error}; }
    }
  }
  await Promise.all(Array.from({length: Math.min(n, items.length)}, worker));
  return out;
}
