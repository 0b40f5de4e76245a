// query.js: the query console. An SQL editor (Ctrl/⌘+Enter runs), query
// options, a history kept in localStorage, the result as a table or a
// chart, the broker's statistics and its exceptions. Queries go to the
// controller's POST /sql, which forwards them to a live broker.

import {api} from '../api.js';
import {h, mount, loading, empty, errorBox, badge, fmtInt, icon, ICONS} from '../dom.js';
import {renderChart, chartSpec} from '../chart.js';

const HISTORY_KEY = 'tannin.console.history';
const HISTORY_MAX = 50;
const ROWS_SHOWN = 2000;

function history() {
  try {
    const v = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]');
    return Array.isArray(v) ? v.filter((e) => e && typeof e.sql === 'string') : [];
  } catch {
    return [];
  }
}

function remember(sql) {
  const list = history().filter((e) => e.sql !== sql);
  list.unshift({sql, at: Date.now()});
  localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, HISTORY_MAX)));
}

// cellText renders a cell as the broker sent it: numbers as JSON wrote
// them, multi-value cells as lists.
export function cellText(v) {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(cellText).join(', ')}]`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function stats(res, ms) {
  const item = (label, value, testid, warn) => h('div', {class: warn ? 'qstat qstat-warn' : 'qstat', 'data-testid': testid},
    h('span', {class: 'qstat-label'}, label), h('span', {class: 'qstat-value'}, value));
  return h('div', {class: 'qstats', 'data-testid': 'query-stats'},
    item('Time', `${fmtInt(res.timeUsedMs)} ms`, 'stat-time'),
    item('Round trip', `${fmtInt(ms)} ms`, 'stat-roundtrip'),
    item('Rows', fmtInt(res.numRowsResultSet ?? (res.resultTable ? res.resultTable.rows.length : 0)), 'stat-rows'),
    item('Docs scanned', fmtInt(res.numDocsScanned), 'stat-docs'),
    item('Total docs', fmtInt(res.totalDocs), 'stat-total-docs'),
    item('Segments queried / processed / matched',
      `${fmtInt(res.numSegmentsQueried)} / ${fmtInt(res.numSegmentsProcessed)} / ${fmtInt(res.numSegmentsMatched)}`, 'stat-segments'),
    item('Servers responded', `${fmtInt(res.numServersResponded)} of ${fmtInt(res.numServersQueried)}`, 'stat-servers',
      res.numServersResponded < res.numServersQueried),
    item('Entries scanned (filter / post)', `${fmtInt(res.numEntriesScannedInFilter)} / ${fmtInt(res.numEntriesScannedPostFilter)}`, 'stat-entries'),
    item('Partial result', res.partialResult ? 'yes' : 'no', 'stat-partial', res.partialResult),
    res.brokerId ? item('Broker', res.brokerId, 'stat-broker') : null);
}

function exceptions(list) {
  if (!list || !list.length) return null;
  return h('div', {class: 'state state-error', role: 'alert', 'data-testid': 'query-exceptions'},
    h('strong', {}, list.length === 1 ? 'The query failed' : `${list.length} exceptions`),
    h('ul', {class: 'exceptions'}, list.map((e) => h('li', {},
      badge(`code ${e.errorCode}`, 'bad'), ' ', h('pre', {class: 'exception-text'}, e.message)))));
}

function resultTable(rt) {
  const cols = rt.dataSchema.columnNames, types = rt.dataSchema.columnDataTypes;
  const rows = rt.rows.slice(0, ROWS_SHOWN);
  if (!rt.rows.length) return empty('The query returned no rows.');
  const numeric = types.map((t) => ['INT', 'LONG', 'FLOAT', 'DOUBLE', 'BIG_DECIMAL', 'TIMESTAMP'].includes(t));
  return h('div', {},
    h('div', {class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Query result'},
      h('table', {class: 'grid grid-results', 'data-testid': 'results'},
        h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', {scope: 'col', class: numeric[i] ? 'num' : null},
          h('span', {class: 'colname'}, c), h('span', {class: 'coltype'}, types[i]))))),
        h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) => h('td', {class: [numeric[i] ? 'num' : null, v === null ? 'null' : null]}, cellText(v)))))))),
    rt.rows.length > ROWS_SHOWN ? h('p', {class: 'muted small'}, `Showing the first ${ROWS_SHOWN} of ${rt.rows.length} rows.`) : null);
}

export async function render(main, ctx) {
  const editor = h('textarea', {
    class: 'code-editor sql-editor', id: 'sql', spellcheck: 'false', rows: 7, 'data-testid': 'sql-editor',
    autocapitalize: 'off', autocomplete: 'off', 'aria-describedby': 'sql-hint',
  });
  const hist = history();
  editor.value = ctx.query.get('sql') || (hist[0] && hist[0].sql) || '';
  const options = h('input', {id: 'query-options', class: 'input', placeholder: 'timeoutMs=10000;enableNullHandling=true', 'data-testid': 'query-options'});
  const run = h('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'run-query'}, icon(ICONS.play), 'Run');
  const out = h('div', {class: 'query-output', 'aria-live': 'polite', 'data-testid': 'query-output'});
  const tablesList = h('ul', {class: 'side-list', 'aria-label': 'Tables'});
  const histList = h('ul', {class: 'side-list', 'data-testid': 'history'});
  let view = 'table';
  let last = null;
  let inflight = null;

  function drawHistory() {
    const list = history();
    mount(histList, list.length ? list.map((e) => h('li', {}, h('button', {
      type: 'button', class: 'side-item mono', title: e.sql,
      onclick: () => { editor.value = e.sql; editor.focus(); },
    }, e.sql.length > 90 ? `${e.sql.slice(0, 89)}…` : e.sql))) : h('li', {class: 'muted small'}, 'Queries you run appear here.'));
  }

  function drawResult() {
    if (!last) return;
    const {res, ms} = last;
    const rt = res.resultTable;
    const toggle = rt ? h('div', {class: 'segmented', role: 'group', 'aria-label': 'Show result as'},
      h('button', {type: 'button', 'aria-pressed': String(view === 'table'), 'data-testid': 'view-table', onclick: () => { view = 'table'; drawResult(); }}, icon(ICONS.table), 'Table'),
      h('button', {type: 'button', 'aria-pressed': String(view === 'chart'), 'data-testid': 'view-chart', onclick: () => { view = 'chart'; drawResult(); },
        title: chartSpec(rt).kind === 'none' ? 'No chart fits this result' : undefined}, icon(ICONS.chart), 'Chart')) : null;
    mount(out,
      exceptions(res.exceptions),
      stats(res, ms),
      rt ? h('div', {class: 'result-head'}, h('h2', {}, 'Result'), toggle) : null,
      rt ? (view === 'table' ? resultTable(rt) : renderChart(rt)) : null);
  }

  async function execute() {
    const sql = editor.value.trim();
    if (!sql) { mount(out, errorBox(new Error('Write a query first.'))); editor.focus(); return; }
    if (inflight) inflight.abort = true;
    const me = {abort: false};
    inflight = me;
    run.disabled = true;
    mount(out, loading('Running'));
    remember(sql);
    drawHistory();
    const t0 = performance.now();
    try {
      const res = await api.sql(sql, options.value.trim() || undefined);
      if (me.abort || !ctx.isCurrent()) return;
      last = {res, ms: Math.round(performance.now() - t0)};
      drawResult();
    } catch (e) {
      if (!me.abort && ctx.isCurrent()) mount(out, errorBox(e));
    } finally {
      if (inflight === me) { inflight = null; run.disabled = false; }
    }
  }

  run.addEventListener('click', execute);
  editor.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); execute(); }
  });
  options.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); execute(); }
  });

  mount(main, h('div', {class: 'page page-query'},
    h('div', {class: 'page-head'}, h('h1', {}, 'Query console')),
    h('div', {class: 'query-layout'},
      h('aside', {class: 'query-side'},
        h('h2', {class: 'side-title'}, 'Tables'), tablesList,
        h('h2', {class: 'side-title'}, 'History'), histList),
      h('div', {class: 'query-main'},
        h('label', {for: 'sql', class: 'label'}, 'SQL'),
        editor,
        h('div', {class: 'toolbar query-toolbar'},
          run,
          h('span', {id: 'sql-hint', class: 'muted small'}, 'Ctrl/⌘+Enter runs the query'),
          h('label', {for: 'query-options', class: 'label inline'}, 'Options'), options),
        out))));
  drawHistory();
  mount(tablesList, h('li', {class: 'muted small'}, 'Loading…'));
  api.tables().then((t) => {
    if (!ctx.isCurrent()) return;
    const names = t.tables || [];
    mount(tablesList, names.length ? names.map((n) => h('li', {}, h('button', {
      type: 'button', class: 'side-item', title: `Query ${n}`, 'data-testid': `query-table-${n}`,
      onclick: () => { editor.value = `SELECT * FROM ${n} LIMIT 10`; editor.focus(); },
    }, n))) : h('li', {class: 'muted small'}, 'No tables.'));
  }, (e) => { if (ctx.isCurrent()) mount(tablesList, h('li', {}, errorBox(e))); });
  editor.focus();
  if (ctx.query.get('run') === '1' && editor.value) execute();
}
