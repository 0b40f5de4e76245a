// overview.js: the cluster at a glance. Counts and lists of controllers
// (leader marked), brokers, servers (live, enabled, tags, segments),
// tenants and tables, each linking to its detail page. Everything comes
// from the controller's REST API: /cluster/info, /instances, /liveinstances,
// /instances/{name}, /tenants, /tables, /tables/{t}, /tables/{t}/size and
// /segments/{t}/servers.

import {api} from '../api.js';
import {h, mount, loading, errorBox, dataTable, card, badge, fmtInt, fmtBytes, pool, icon, ICONS} from '../dom.js';
import {href} from '../router.js';

function typeOf(name, detail) {
  if (detail && detail.type) return detail.type;
  const p = name.split('_')[0].toUpperCase();
  return {CONTROLLER: 'CONTROLLER', BROKER: 'BROKER', SERVER: 'SERVER'}[p] || p;
}

async function load() {
  const [info, instances, live, tenants, tables] = await Promise.all([
    api.clusterInfo(), api.instances(), api.liveInstances(), api.tenants(), api.tables(),
  ]);
  const liveSet = new Set(live.instances || []);
  const names = instances.instances || [];
  const details = await pool(names, 8, (n) => api.instance(n));
  const byType = {CONTROLLER: [], BROKER: [], SERVER: []};
  names.forEach((name, i) => {
    const d = details[i] && !details[i].error ? details[i] : {instanceName: name, error: details[i] && details[i].error};
    const t = typeOf(name, d);
    (byType[t] = byType[t] || []).push({...d, name, live: liveSet.has(name)});
  });
  const tableNames = tables.tables || [];
  const tableInfo = await pool(tableNames, 6, async (t) => {
    const [cfg, size, servers, view] = await Promise.all([
      api.table(t), api.size(t).catch((e) => ({error: e})), api.segmentServers(t).catch(() => []),
      api.externalView(t, '').catch(() => null),
    ]);
    return {name: t, cfg, size, servers, view};
  });
  const segsPerServer = {};
  for (const ti of tableInfo) {
    if (!ti || ti.error) continue;
    for (const e of ti.servers || []) {
      for (const [server, n] of Object.entries(e.serverToSegmentsCountMap || {})) {
        segsPerServer[server] = (segsPerServer[server] || 0) + n;
      }
    }
  }
  const tenantNames = [...new Set([...(tenants.SERVER_TENANTS || []), ...(tenants.BROKER_TENANTS || [])])].sort();
  return {info, byType, tenants, tenantNames, tableNames, tableInfo, segsPerServer};
}

function stat(label, value, sub, testid) {
  return h('div', {class: 'stat', 'data-testid': testid},
    h('div', {class: 'stat-label'}, label),
    h('div', {class: 'stat-value', 'data-testid': `${testid}-value`}, String(value)),
    sub ? h('div', {class: 'stat-sub'}, sub) : null);
}

function liveBadge(i) {
  return i.live ? badge('live', 'ok') : badge('down', 'bad');
}

function instanceLink(name) {
  return h('a', {href: href(`/instances/${encodeURIComponent(name)}`)}, name);
}

function tags(list) {
  return (list || []).length ? h('span', {class: 'tags'}, list.map((t) => badge(t, 'muted'))) : '—';
}

function tableRow(ti) {
  if (!ti || ti.error) return {name: '?', error: ti && ti.error};
  const types = Object.keys(ti.cfg || {}).sort();
  let segments = 0, reported = -1, missing = 0;
  const size = ti.size && !ti.size.error ? ti.size : null;
  if (size) {
    reported = size.reportedSizeInBytes;
    for (const sub of [size.offlineSegments, size.realtimeSegments]) {
      if (sub) segments += Object.keys(sub.segments || {}).length;
    }
  }
  // A segment is served when a replica reports it ONLINE or CONSUMING.
  for (const byType of Object.values(ti.view || {})) {
    for (const states of Object.values(byType || {})) {
      if (!Object.values(states || {}).some((st) => st === 'ONLINE' || st === 'CONSUMING')) missing++;
    }
  }
  const first = ti.cfg[types[0]] || {};
  return {
    name: ti.name, types, segments, reported, missing,
    replication: (first.segmentsConfig || {}).replication || (first.segmentsConfig || {}).replicasPerPartition,
    brokerTenant: (first.tenants || {}).broker || 'DefaultTenant',
    serverTenant: (first.tenants || {}).server || 'DefaultTenant',
  };
}

export async function render(main, ctx) {
  const body = h('div', {class: 'page-body'});
  const refresh = h('button', {type: 'button', class: 'btn', 'data-testid': 'refresh'}, icon(ICONS.refresh), 'Refresh');
  mount(main, h('div', {class: 'page'},
    h('div', {class: 'page-head'}, h('h1', {}, 'Cluster overview'), refresh), body));

  async function show() {
    mount(body, loading('Loading the cluster'));
    refresh.disabled = true;
    let d;
    try {
      d = await load();
    } catch (e) {
      if (ctx.isCurrent()) mount(body, errorBox(e, show));
      return;
    } finally {
      refresh.disabled = false;
    }
    if (!ctx.isCurrent()) return;
    const {info, byType, tenants, tenantNames, tableInfo, segsPerServer} = d;
    const controllers = byType.CONTROLLER || [], brokers = byType.BROKER || [], servers = byType.SERVER || [];
    const liveOf = (l) => l.filter((i) => i.live).length;
    const rows = tableInfo.map(tableRow);
    const totalSegments = rows.reduce((a, r) => a + (r.segments || 0), 0);

    const counts = h('div', {class: 'stats', 'data-testid': 'counts'},
      stat('Controllers', controllers.length, `${liveOf(controllers)} live`, 'count-controllers'),
      stat('Brokers', brokers.length, `${liveOf(brokers)} live`, 'count-brokers'),
      stat('Servers', servers.length, `${liveOf(servers)} live`, 'count-servers'),
      stat('Tenants', tenantNames.length, null, 'count-tenants'),
      stat('Tables', rows.length, null, 'count-tables'),
      stat('Segments', fmtInt(totalSegments), 'across tables', 'count-segments'));

    const controllersCard = card(`Controllers (${controllers.length})`, dataTable([
      {label: 'Name', get: (i) => instanceLink(i.name)},
      {label: 'Host', get: (i) => i.hostName ? `${i.hostName}:${i.port}` : '—'},
      {label: 'Health', get: liveBadge},
      {label: 'Role', get: (i) => i.name === info.leader ? badge('leader', 'info') : 'standby'},
    ], controllers, {label: 'Controllers', testid: 'controllers', emptyText: 'No controller is registered.'}));

    const brokersCard = card(`Brokers (${brokers.length})`, dataTable([
      {label: 'Name', get: (i) => instanceLink(i.name)},
      {label: 'Host', get: (i) => i.hostName ? `${i.hostName}:${i.port}` : '—'},
      {label: 'Health', get: liveBadge},
      {label: 'Enabled', get: (i) => i.enabled ? 'yes' : badge('disabled', 'warn')},
      {label: 'Tags', get: (i) => tags(i.tags)},
    ], brokers, {label: 'Brokers', testid: 'brokers', emptyText: 'No broker is registered: queries cannot run.'}));

    const serversCard = card(`Servers (${servers.length})`, dataTable([
      {label: 'Name', get: (i) => instanceLink(i.name)},
      {label: 'Host', get: (i) => i.hostName ? `${i.hostName}:${i.port}` : '—'},
      {label: 'Health', get: liveBadge},
      {label: 'Enabled', get: (i) => i.draining ? badge('draining', 'warn') : i.enabled ? 'yes' : badge('disabled', 'warn')},
      {label: 'Tags', get: (i) => tags(i.tags)},
      {label: 'Segments', num: true, get: (i) => fmtInt(segsPerServer[i.name] || 0)},
    ], servers, {label: 'Servers', testid: 'servers', emptyText: 'No server is registered: tables cannot be served.'}));

    const tenantRows = tenantNames.map((t) => ({
      name: t,
      server: (tenants.SERVER_TENANTS || []).includes(t),
      broker: (tenants.BROKER_TENANTS || []).includes(t),
      servers: servers.filter((i) => (i.tags || []).some((g) => g === `${t}_OFFLINE` || g === `${t}_REALTIME`)).length,
      brokers: brokers.filter((i) => (i.tags || []).includes(`${t}_BROKER`)).length,
    }));
    const tenantsCard = card(`Tenants (${tenantRows.length})`, dataTable([
      {label: 'Name', get: (t) => h('a', {href: href(`/tenants/${encodeURIComponent(t.name)}`)}, t.name)},
      {label: 'Kind', get: (t) => [t.server ? 'server' : null, t.broker ? 'broker' : null].filter(Boolean).join(' + ')},
      {label: 'Servers', num: true, get: (t) => fmtInt(t.servers)},
      {label: 'Brokers', num: true, get: (t) => fmtInt(t.brokers)},
    ], tenantRows, {label: 'Tenants', testid: 'tenants', emptyText: 'No tenant: no instance carries a tenant tag.'}));

    const tablesCard = card(`Tables (${rows.length})`, dataTable([
      {label: 'Name', get: (t) => h('a', {href: href(`/tables/${encodeURIComponent(t.name)}`), 'data-testid': `table-link-${t.name}`}, t.name)},
      {label: 'Type', get: (t) => h('span', {class: 'tags'}, (t.types || []).map((x) => badge(x, x === 'REALTIME' ? 'info' : 'muted')))},
      {label: 'Segments', num: true, get: (t) => fmtInt(t.segments)},
      {label: 'Size', num: true, title: 'Reported size of the ONLINE replicas', get: (t) => fmtBytes(t.reported)},
      {label: 'Health', get: (t) => t.missing ? badge(`${t.missing} without a serving replica`, 'warn') : badge('ok', 'ok')},
      {label: 'Replication', num: true, get: (t) => t.replication || '—'},
      {label: 'Tenants (server / broker)', get: (t) => `${t.serverTenant} / ${t.brokerTenant}`},
    ], rows, {label: 'Tables', testid: 'tables', emptyText: 'No table yet: add a schema and a table config (POST /schemas, POST /tables).'}));

    mount(body, counts,
      h('div', {class: 'grid-2'}, controllersCard, brokersCard),
      serversCard, tablesCard, tenantsCard);
  }
  refresh.addEventListener('click', show);
  await show();
}
