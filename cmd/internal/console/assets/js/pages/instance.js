// instance.js: one instance (controller, broker or server): its
// configuration and health from GET /instances/{name}, and for a server the
// segments it hosts per table (GET /segments/{t}/servers).

import {api} from '../api.js';
import {h, mount, loading, errorBox, dataTable, card, badge, fmtInt, fmtTime, pool} from '../dom.js';
import {href} from '../router.js';

export async function render(main, ctx) {
  const name = ctx.params.name;
  const body = h('div', {class: 'page-body'});
  mount(main, h('div', {class: 'page'},
    h('div', {class: 'page-head'}, h('div', {},
      h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: href('/')}, 'Overview'), ' / Instances'),
      h('h1', {}, name))),
    body));
  mount(body, loading(`Loading ${name}`));
  let d, hosted = [];
  try {
    const [inst, info] = await Promise.all([api.instance(name), api.clusterInfo()]);
    d = {inst, info};
    if (inst.type === 'SERVER') {
      const tables = (await api.tables()).tables || [];
      const per = await pool(tables, 6, (t) => api.segmentServers(t));
      per.forEach((entries, i) => {
        if (!entries || entries.error) return;
        for (const e of entries) {
          const segs = (e.serverToSegmentsMap || {})[name] || [];
          if (segs.length) hosted.push({table: tables[i], withType: e.tableName, segments: segs});
        }
      });
    }
  } catch (e) {
    if (ctx.isCurrent()) mount(body, errorBox(e, () => render(main, ctx)));
    return;
  }
  if (!ctx.isCurrent()) return;
  const {inst, info} = d;
  const kv = (k, v) => h('div', {class: 'kv'}, h('dt', {}, k), h('dd', {}, v));
  mount(body,
    h('dl', {class: 'summary', 'data-testid': 'instance-summary'},
      kv('Type', badge(inst.type || '—', 'muted')),
      kv('Health', inst.live ? badge('live', 'ok') : badge('down', 'bad')),
      kv('Enabled', inst.draining ? badge('draining', 'warn') : inst.enabled ? 'yes' : badge('disabled', 'warn')),
      kv('Host', `${inst.hostName}:${inst.port}`),
      inst.grpcPort > 0 ? kv('gRPC port', String(inst.grpcPort)) : null,
      inst.type === 'CONTROLLER' ? kv('Role', info.leader === name ? badge('leader', 'info') : 'standby') : null,
      kv('Started', fmtTime(inst.startTimeMs)),
      kv('Tags', (inst.tags || []).length ? h('span', {class: 'tags'}, inst.tags.map((t) => badge(t, 'muted'))) : '—')),
    inst.type === 'SERVER' ? card(`Hosted segments (${fmtInt(hosted.reduce((a, x) => a + x.segments.length, 0))})`, dataTable([
      {label: 'Table', get: (x) => h('a', {href: href(`/tables/${encodeURIComponent(x.table)}`)}, x.withType)},
      {label: 'Segments', num: true, get: (x) => fmtInt(x.segments.length)},
      {label: 'Names', get: (x) => h('span', {class: 'small mono'}, x.segments.slice(0, 5).join(', ') + (x.segments.length > 5 ? `, … ${x.segments.length - 5} more` : ''))},
    ], hosted, {label: 'Hosted segments', emptyText: 'This server hosts no segment.'})) : null);
}
