// table.js: one table. Its schema, its config as editable JSON (saved with
// PUT /tables/{t}; the controller's validation errors shown beside the
// editor), its segments with the state of each replica (external view
// against ideal state), rows, size and time range (segment metadata), the
// per-partition ingestion state of REALTIME tables
// (/tables/{t}/consumingSegmentsInfo), and rebalance with a dry-run
// preview, then a run whose progress is polled from /rebalanceStatus/{id}.

import {api} from '../api.js';
import {
  h, mount, loading, empty, errorBox, dataTable, card, badge, stateBadge, tabs,
  fmtInt, fmtNum, fmtBytes, fmtTime, fmtDuration, fmtAgo, pool, icon, ICONS,
} from '../dom.js';
import {href} from '../router.js';

// metadataLimit bounds the per-segment metadata requests of one page view.
const metadataLimit = 300;

async function load(name, wantType) {
  const cfgs = await api.table(name);
  const types = Object.keys(cfgs || {}).sort();
  if (!types.length) throw new Error(`table ${name} has no OFFLINE or REALTIME config`);
  const type = types.includes(wantType) ? wantType : types[0];
  const withType = `${name}_${type}`;
  const [schema, ideal, view, size] = await Promise.all([
    api.tableSchema(name).catch((e) => ({error: e})),
    api.idealState(name, type),
    api.externalView(name, type),
    api.size(name, type).catch((e) => ({error: e})),
  ]);
  const is = ideal[type] || {};
  const ev = view[type] || {};
  const names = [...new Set([...Object.keys(is), ...Object.keys(ev)])].sort();
  const metas = await pool(names.slice(0, metadataLimit), 8, (s) => api.segmentMetadata(withType, s));
  const sizes = size && !size.error ? (type === 'OFFLINE' ? size.offlineSegments : size.realtimeSegments) : null;
  const segments = names.map((seg, i) => {
    const m = i < metas.length && metas[i] && !metas[i].error ? metas[i] : null;
    return {
      name: seg, ideal: is[seg] || {}, view: ev[seg] || {}, meta: m,
      rows: m ? Number(m['segment.total.docs']) : undefined,
      bytes: m ? Number(m['segment.size.in.bytes']) : undefined,
      start: m && m['segment.start.time'] ? Number(m['segment.start.time']) : undefined,
      end: m && m['segment.end.time'] ? Number(m['segment.end.time']) : undefined,
      status: m ? (m['segment.realtime.status'] || 'DONE') : undefined,
      partition: m && m['segment.partition.metadata'] ? partitionOf(m['segment.partition.metadata']) : undefined,
    };
  });
  return {name, types, type, withType, cfg: cfgs[type], schema, segments, sizes, truncated: names.length > metadataLimit};
}

function partitionOf(text) {
  try { return JSON.parse(text).partitionId; } catch { return undefined; }
}

// --- summary --------------------------------------------------------------

function summary(d) {
  const rows = d.segments.reduce((a, s) => a + (s.rows || 0), 0);
  const starts = d.segments.map((s) => s.start).filter((x) => x > 0);
  const ends = d.segments.map((s) => s.end).filter((x) => x > 0);
  const seg = d.cfg.segmentsConfig || {};
  const replicas = new Set(d.segments.flatMap((s) => Object.keys(s.view)));
  const item = (label, value, testid, wide) => h('div', {class: wide ? 'kv kv-wide' : 'kv'}, h('dt', {}, label), h('dd', {'data-testid': testid}, value));
  return h('dl', {class: 'summary', 'data-testid': 'table-summary'},
    item('Type', badge(d.type, d.type === 'REALTIME' ? 'info' : 'muted')),
    item('Segments', fmtInt(d.segments.length), 'summary-segments'),
    item('Rows', d.truncated ? `≥ ${fmtInt(rows)}` : fmtInt(rows), 'summary-rows'),
    item('Size (reported)', d.sizes ? fmtBytes(d.sizes.reportedSizeInBytes) : '—'),
    item('Replication', seg.replication || seg.replicasPerPartition || '—'),
    item('Servers', fmtInt(replicas.size)),
    item('Time column', seg.timeColumnName || '—'),
    item('Time range', starts.length ? `${fmtTime(Math.min(...starts))} → ${fmtTime(Math.max(...ends))}` : '—', 'summary-time', true));
}

// --- segments -------------------------------------------------------------

function replicaCell(s) {
  const servers = [...new Set([...Object.keys(s.ideal), ...Object.keys(s.view)])].sort();
  if (!servers.length) return badge('unassigned', 'bad');
  return h('div', {class: 'replicas'}, servers.map((server) => {
    const actual = s.view[server];
    const target = s.ideal[server];
    const mismatch = actual !== target;
    return h('div', {class: 'replica'},
      h('a', {href: href(`/instances/${encodeURIComponent(server)}`), class: 'replica-server'}, server),
      stateBadge(actual || 'NOT REPORTED'),
      mismatch ? h('span', {class: 'muted small', title: 'Ideal state (target)'}, `target ${target || 'none'}`) : null);
  }));
}

function segmentsTab(d) {
  return (panel) => {
    const filter = h('input', {type: 'search', placeholder: 'Filter segments', 'aria-label': 'Filter segments', class: 'input-small'});
    const list = h('div', {});
    const draw = () => {
      const q = filter.value.trim().toLowerCase();
      const rows = q ? d.segments.filter((s) => s.name.toLowerCase().includes(q)) : d.segments;
      mount(list, dataTable([
        {label: 'Segment', get: (s) => h('code', {class: 'segname'}, s.name)},
        {label: 'Status', get: (s) => s.status ? stateBadge(s.status) : '—'},
        {label: 'Replicas (external view)', get: replicaCell},
        {label: 'Rows', num: true, get: (s) => fmtInt(s.rows)},
        {label: 'Size', num: true, get: (s) => fmtBytes(s.bytes)},
        {label: 'Start', get: (s) => fmtTime(s.start)},
        {label: 'End', get: (s) => fmtTime(s.end)},
        {label: 'Partition', num: true, get: (s) => s.partition ?? '—'},
      ], rows, {label: 'Segments', testid: 'segments', emptyText: q ? 'No segment matches the filter.' : 'No segments yet.'}));
    };
    filter.addEventListener('input', draw);
    draw();
    mount(panel, card(`Segments (${d.segments.length})`, [
      d.truncated ? h('p', {class: 'muted'}, `Rows, size and time are shown for the first ${metadataLimit} segments.`) : null,
      list,
    ], {actions: filter}));
  };
}

// --- schema ---------------------------------------------------------------

function schemaTab(d) {
  return (panel) => {
    if (d.schema.error) { mount(panel, errorBox(d.schema.error)); return; }
    const sc = d.schema;
    const cols = [
      ...(sc.dimensionFieldSpecs || []).map((f) => ({...f, kind: 'DIMENSION'})),
      ...(sc.metricFieldSpecs || []).map((f) => ({...f, kind: 'METRIC'})),
      ...(sc.dateTimeFieldSpecs || []).map((f) => ({...f, kind: 'DATE_TIME'})),
      ...(sc.timeFieldSpec ? [{...sc.timeFieldSpec.incomingGranularitySpec, kind: 'TIME'}] : []),
    ];
    const pks = new Set(sc.primaryKeyColumns || []);
    mount(panel, card(`Schema ${sc.schemaName || ''} (${cols.length} columns)`, [
      dataTable([
        {label: 'Column', get: (c) => h('code', {}, c.name)},
        {label: 'Data type', get: (c) => c.dataType},
        {label: 'Field kind', get: (c) => badge(c.kind, c.kind === 'METRIC' ? 'info' : c.kind === 'DATE_TIME' ? 'warn' : 'muted')},
        {label: 'Values', get: (c) => c.singleValueField === false ? 'multi-value' : 'single'},
        {label: 'Format / granularity', get: (c) => c.format ? `${c.format} / ${c.granularity || '—'}` : '—'},
        {label: 'Default null value', get: (c) => c.defaultNullValue === undefined ? '—' : String(c.defaultNullValue)},
        {label: 'Key', get: (c) => pks.has(c.name) ? badge('primary key', 'info') : ''},
      ], cols, {label: 'Schema columns', testid: 'schema-columns'}),
    ]));
  };
}

// --- config editor --------------------------------------------------------

// jsonErrorAt turns JSON.parse's message into a line and column when it
// names a position.
function jsonErrorAt(text, err) {
  const m = /position (\d+)/.exec(err.message);
  if (!m) return err.message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos).split('\n');
  return `${err.message.replace(/\s*\(line \d+ column \d+\)/, '')} (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

function configTab(d, reload) {
  return (panel) => {
    let original = JSON.stringify(d.cfg, null, 2);
    const editor = h('textarea', {
      class: 'code-editor', spellcheck: 'false', 'aria-label': `Table config of ${d.withType} (JSON)`,
      'data-testid': 'config-editor', rows: 24, autocapitalize: 'off', autocomplete: 'off',
    });
    editor.value = original;
    const result = h('div', {class: 'editor-result', 'data-testid': 'config-result', 'aria-live': 'polite'});
    const save = h('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'config-save'}, 'Save');
    const format = h('button', {type: 'button', class: 'btn'}, 'Format');
    const reset = h('button', {type: 'button', class: 'btn'}, 'Reset');
    const dirty = h('span', {class: 'muted small'});
    const markDirty = () => { dirty.textContent = editor.value !== original ? 'Unsaved changes' : ''; };
    editor.addEventListener('input', markDirty);
    const show = (kind, title, text, extra) => mount(result, h('div', {class: `note note-${kind}`, role: kind === 'error' ? 'alert' : 'status'},
      h('strong', {}, title), text ? h('pre', {class: 'note-text'}, text) : null, extra || null));
    format.addEventListener('click', () => {
      try { editor.value = JSON.stringify(JSON.parse(editor.value), null, 2); markDirty(); mount(result); } catch (e) {
        show('error', 'Invalid JSON', jsonErrorAt(editor.value, e));
      }
    });
    reset.addEventListener('click', () => { editor.value = original; markDirty(); mount(result); });
    async function doSave() {
      let parsed;
      try {
        parsed = JSON.parse(editor.value);
      } catch (e) {
        show('error', 'Invalid JSON: not sent to the controller', jsonErrorAt(editor.value, e));
        editor.focus();
        return;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        show('error', 'Invalid table config: not sent to the controller', 'The table config must be a JSON object.');
        return;
      }
      save.disabled = true;
      mount(result, loading('Saving'));
      try {
        const res = await api.updateTable(d.name, editor.value);
        original = editor.value;
        markDirty();
        const warnings = Object.entries(res.unrecognizedProperties || {});
        show('ok', res.status || 'Saved', null, warnings.length
          ? h('div', {}, h('p', {}, 'Properties not applied:'), h('ul', {}, warnings.map(([k, v]) => h('li', {}, h('code', {}, k), ` ${v}`))))
          : null);
        reload({keepTab: true, message: res.status});
      } catch (e) {
        show('error', `The controller refused the config (HTTP ${e.status || '?'})`, e.message);
      } finally {
        save.disabled = false;
      }
    }
    save.addEventListener('click', doSave);
    editor.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && (e.key === 's' || e.key === 'Enter')) { e.preventDefault(); doSave(); }
    });
    mount(panel, card(`Table config: ${d.withType}`, h('div', {class: 'editor-layout'},
      h('div', {class: 'editor-main'}, editor,
        h('div', {class: 'toolbar'}, save, format, reset, dirty, h('span', {class: 'muted small kbd-hint'}, 'Ctrl/⌘+S saves'))),
      h('aside', {class: 'editor-side', 'aria-label': 'Validation'}, h('h3', {}, 'Validation'), result,
        h('p', {class: 'muted small'}, 'JSON syntax is checked here; the controller checks the config against the schema and answers with its error.')))));
  };
}

// --- ingestion (REALTIME) -------------------------------------------------

function lagCell(r, pg) {
  const info = r.partitionOffsetInfo || {};
  const rec = (info.recordsLagMap || {})[pg];
  const ms = (info.availabilityLagMsMap || {})[pg];
  const known = (v) => v !== undefined && v !== 'UNKNOWN' && Number(v) >= 0;
  // Kinesis reports no record lag, only how far behind in time.
  return h('span', {}, known(rec) ? `${fmtInt(rec)} records` : 'records —', ' · ', known(ms) ? fmtDuration(Number(ms)) : 'time —');
}

function ingestionTab(d) {
  return (panel) => {
    const body = h('div', {});
    const auto = h('input', {type: 'checkbox', id: 'auto-refresh', checked: true});
    const refresh = h('button', {type: 'button', class: 'btn btn-small'}, icon(ICONS.refresh), 'Refresh');
    let timer = null, stopped = false;
    async function draw() {
      if (!body.childElementCount) mount(body, loading('Asking the servers'));
      let info;
      try {
        info = await api.consumingInfo(d.withType);
      } catch (e) {
        if (!stopped) mount(body, errorBox(e, draw));
        return;
      }
      if (stopped) return;
      const map = info._segmentToConsumingInfoMap || {};
      const parts = info.partitions || [];
      const rows = [];
      const seen = new Set();
      for (const p of parts) {
        const replicas = p.segment ? (map[p.segment] || []) : [];
        seen.add(p.segment);
        if (!replicas.length) rows.push({p, r: null});
        for (const r of replicas) rows.push({p, r});
      }
      for (const [seg, replicas] of Object.entries(map)) {
        if (seen.has(seg)) continue;
        for (const r of replicas) rows.push({p: {segment: seg, partitionGroupId: '?', status: ''}, r});
      }
      mount(body,
        info.serversFailingToRespond ? h('p', {class: 'note note-warn'}, `${info.serversFailingToRespond} server(s) did not answer.`) : null,
        dataTable([
          {label: 'Partition', get: ({p}) => h('span', {}, String(p.partitionGroupId), p.partition ? h('span', {class: 'muted small'}, ` ${p.partition}`) : null)},
          {label: 'Status', get: ({p}) => p.status ? stateBadge(p.status) : '—'},
          {label: 'Consuming segment', get: ({p}) => p.segment ? h('code', {class: 'segname'}, p.segment) : '—'},
          {label: 'Server', get: ({r}) => r ? r.serverName : '—'},
          {label: 'Consumer', get: ({r}) => r ? stateBadge(r.consumerState) : '—'},
          {label: 'Rows', num: true, get: ({r}) => r ? fmtInt(r.rows) : '—'},
          {label: 'Rows/s', num: true, get: ({r}) => r ? fmtNum(r.rowsPerSec) : '—'},
          {label: 'Lag', get: ({p, r}) => r ? lagCell(r, String(p.partitionGroupId)) : '—'},
          {label: 'Ingestion delay', num: true, get: ({r}) => r && r.ingestionDelayMs >= 0 ? fmtDuration(r.ingestionDelayMs) : '—'},
          {label: 'Last consumed', get: ({r}) => r ? fmtAgo(r.lastConsumedTimestamp) : '—'},
          {label: 'Bad records', num: true, get: ({r}) => r && r.badRecords ? fmtInt(Object.values(r.badRecords).reduce((a, b) => a + b, 0)) : '0'},
          {label: 'Message', get: ({p, r}) => (r && r.message) || p.message || ''},
        ], rows, {label: 'Partitions', testid: 'ingestion', emptyText: 'No consuming segment: the table is not ingesting.'}),
        h('p', {class: 'muted small'}, `Updated ${new Date().toLocaleTimeString()}.`));
      if (auto.checked && !stopped) timer = setTimeout(draw, 5000);
    }
    auto.addEventListener('change', () => { clearTimeout(timer); if (auto.checked) draw(); });
    refresh.addEventListener('click', () => { clearTimeout(timer); draw(); });
    mount(panel, card('Ingestion by partition', body, {
      actions: [h('label', {class: 'check'}, auto, ' Auto-refresh (5 s)'), refresh],
    }));
    draw();
    return () => { stopped = true; clearTimeout(timer); };
  };
}

// --- rebalance ------------------------------------------------------------

function rebalanceTab(d) {
  return (panel) => {
    const out = h('div', {'data-testid': 'rebalance-result', 'aria-live': 'polite'});
    const dry = h('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'rebalance-dryrun'}, 'Dry run');
    const run = h('button', {type: 'button', class: 'btn btn-danger', 'data-testid': 'rebalance-run', disabled: true}, 'Run rebalance');
    let timer = null, stopped = false, confirming = false, planned = 0;
    dry.addEventListener('click', async () => {
      dry.disabled = true;
      run.disabled = true;
      confirming = false;
      run.textContent = 'Run rebalance';
      mount(out, loading('Computing the target assignment'));
      try {
        const res = await api.rebalance(d.name, d.type, true);
        planned = (res.moves || []).length;
        mount(out, planView(res));
        run.disabled = !(res.status === 'DONE' && planned > 0);
      } catch (e) {
        mount(out, errorBox(e));
      } finally {
        dry.disabled = false;
      }
    });
    run.addEventListener('click', async () => {
      if (!confirming) {
        confirming = true;
        run.textContent = `Confirm: move ${planned} segment(s)`;
        return;
      }
      confirming = false;
      run.disabled = true;
      dry.disabled = true;
      run.textContent = 'Run rebalance';
      try {
        const res = await api.rebalance(d.name, d.type, false);
        if (res.status !== 'IN_PROGRESS') { mount(out, planView(res)); dry.disabled = false; return; }
        const progress = h('div', {'data-testid': 'rebalance-progress'});
        mount(out, h('p', {}, 'Job ', h('code', {}, res.jobId), ' started.'), progress);
        const poll = async () => {
          let st;
          try { st = await api.rebalanceStatus(res.jobId); } catch (e) { if (!stopped) mount(progress, errorBox(e)); dry.disabled = false; return; }
          if (stopped) return;
          mount(progress, statusView(st));
          const s = st.tableRebalanceProgressStats || {};
          if (s.status === 'IN_PROGRESS') timer = setTimeout(poll, 1000);
          else dry.disabled = false;
        };
        poll();
      } catch (e) {
        mount(out, errorBox(e));
        dry.disabled = false;
      }
    });
    mount(panel, card('Rebalance', [
      h('p', {class: 'muted'}, 'A dry run computes the balanced assignment of this table\'s segments over its tenant\'s servers and lists the moves, without changing anything. Run applies it, keeping a serving replica of every segment throughout.'),
      h('div', {class: 'toolbar'}, dry, run), out,
    ]));
    return () => { stopped = true; clearTimeout(timer); };
  };
}

function planView(res) {
  const sum = res.rebalanceSummaryResult || {};
  const si = sum.serverInfo || {}, gi = sum.segmentInfo || {};
  const moves = res.moves || [];
  const kv = (k, v) => h('div', {class: 'kv'}, h('dt', {}, k), h('dd', {}, v));
  return h('div', {class: 'plan'},
    h('p', {}, stateBadge(res.status), ' ', h('span', {'data-testid': 'rebalance-description'}, res.description || '')),
    sum.segmentInfo ? h('dl', {class: 'summary'},
      kv('Segments to move', h('span', {'data-testid': 'rebalance-moves-count'}, fmtInt(gi.totalSegmentsToBeMoved))),
      kv('Segments to delete', fmtInt(gi.totalSegmentsToBeDeleted)),
      kv('Data to move', fmtBytes(gi.totalEstimatedDataToBeMovedInBytes)),
      kv('Servers before → after', `${fmtInt((si.numServers || {}).valueBeforeRebalance)} → ${fmtInt((si.numServers || {}).expectedValueAfterRebalance)}`),
      kv('Servers added', (si.serversAdded || []).join(', ') || 'none'),
      kv('Servers removed', (si.serversRemoved || []).join(', ') || 'none')) : null,
    moves.length ? dataTable([
      {label: 'Segment', get: (m) => h('code', {class: 'segname'}, m.segment)},
      {label: 'From', get: (m) => (m.from || []).join(', ') || '—'},
      {label: 'To', get: (m) => (m.to || []).join(', ') || '—'},
    ], moves, {label: 'Planned moves', testid: 'rebalance-moves'}) : empty(res.status === 'NO_OP' || res.status === 'DONE' ? 'No segment needs to move: the table is balanced.' : 'No moves.'));
}

function statusView(st) {
  const s = st.tableRebalanceProgressStats || {};
  const o = s.rebalanceProgressStatsOverall || {};
  const total = (o.totalSegmentsToBeAdded || 0) + (o.totalSegmentsToBeDeleted || 0);
  const left = (o.totalRemainingSegmentsToBeAdded || 0) + (o.totalRemainingSegmentsToBeDeleted || 0);
  const pct = total ? Math.round(100 * (total - left) / total) : (s.status === 'IN_PROGRESS' ? 0 : 100);
  return h('div', {},
    h('p', {}, stateBadge(s.status), ' ', s.completionStatusMsg || '', ` (${fmtInt(st.timeElapsedSinceStartInSeconds)} s)`),
    h('progress', {max: 100, value: pct, 'aria-label': 'Rebalance progress'}), ` ${pct}%`,
    h('p', {class: 'muted small'}, `Segments to add: ${o.totalRemainingSegmentsToBeAdded ?? '—'} of ${o.totalSegmentsToBeAdded ?? '—'} left; to delete: ${o.totalRemainingSegmentsToBeDeleted ?? '—'} of ${o.totalSegmentsToBeDeleted ?? '—'} left; converging: ${o.totalRemainingSegmentsToConverge ?? '—'}.`));
}

// --- page -----------------------------------------------------------------

export async function render(main, ctx) {
  const name = ctx.params.name;
  const body = h('div', {class: 'page-body'});
  const head = h('div', {class: 'page-head'},
    h('div', {}, h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: href('/')}, 'Overview'), ' / Tables'),
      h('h1', {'data-testid': 'table-title'}, name)),
    h('div', {class: 'toolbar'},
      h('a', {class: 'btn', href: href(`/query?sql=${encodeURIComponent(`SELECT * FROM ${name} LIMIT 10`)}`)}, icon(ICONS.play), 'Query'),
    ));
  mount(main, h('div', {class: 'page'}, head, body));
  let tabState = null;

  async function show(opts = {}) {
    if (!opts.keepTab) mount(body, loading(`Loading table ${name}`));
    let d;
    try {
      d = await load(name, ctx.query.get('type'));
    } catch (e) {
      if (ctx.isCurrent()) mount(body, errorBox(e, () => show()));
      return;
    }
    if (!ctx.isCurrent()) return;
    const list = [
      {id: 'segments', label: `Segments (${d.segments.length})`, render: segmentsTab(d)},
      {id: 'schema', label: 'Schema', render: schemaTab(d)},
      {id: 'config', label: 'Config', render: configTab(d, show)},
      ...(d.type === 'REALTIME' ? [{id: 'ingestion', label: 'Ingestion', render: ingestionTab(d)}] : []),
      {id: 'rebalance', label: 'Rebalance', render: rebalanceTab(d)},
    ];
    const want = ctx.query.get('tab');
    if (opts.keepTab && tabState) {
      // After a save, refresh the summary only; the editor keeps its note.
      body.querySelector('.summary').replaceWith(summary(d));
      return;
    }
    if (tabState) tabState.dispose();
    tabState = tabs(list, list.some((t) => t.id === want) ? want : 'segments', (id) => ctx.router.setQuery('tab', id));
    mount(body,
      d.types.length > 1 ? h('div', {class: 'toolbar'}, 'Type: ', d.types.map((t) =>
        h('a', {class: t === d.type ? 'btn btn-small active' : 'btn btn-small', href: href(`/tables/${encodeURIComponent(name)}?type=${t}`)}, t))) : null,
      summary(d), tabState.el);
  }
  await show();
  return () => tabState && tabState.dispose();
}
