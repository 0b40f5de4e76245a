// tenant.js: one tenant: its servers and brokers (GET /tenants/{t}) and
// the tables placed on it (table configs' tenants).

import {api} from '../api.js';
import {h, mount, loading, errorBox, dataTable, card, pool} from '../dom.js';
import {href} from '../router.js';

export async function render(main, ctx) {
  const name = ctx.params.name;
  const body = h('div', {class: 'page-body'});
  mount(main, h('div', {class: 'page'},
    h('div', {class: 'page-head'}, h('div', {},
      h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: href('/')}, 'Overview'), ' / Tenants'),
      h('h1', {}, name))),
    body));
  mount(body, loading(`Loading tenant ${name}`));
  let t, tables;
  try {
    const names = (await api.tables()).tables || [];
    [t, tables] = await Promise.all([api.tenant(name), pool(names, 6, (n) => api.table(n).then((c) => ({name: n, cfg: c})))]);
  } catch (e) {
    if (ctx.isCurrent()) mount(body, errorBox(e, () => render(main, ctx)));
    return;
  }
  if (!ctx.isCurrent()) return;
  const link = (n) => h('a', {href: href(`/instances/${encodeURIComponent(n)}`)}, n);
  const placed = [];
  for (const x of tables) {
    if (!x || x.error) continue;
    for (const [type, cfg] of Object.entries(x.cfg)) {
      const tn = cfg.tenants || {};
      const server = (tn.server || 'DefaultTenant') === name, broker = (tn.broker || 'DefaultTenant') === name;
      if (server || broker) placed.push({name: x.name, type, role: [server ? 'server' : null, broker ? 'broker' : null].filter(Boolean).join(' + ')});
    }
  }
  mount(body,
    h('div', {class: 'grid-2'},
      card(`Servers (${(t.ServerInstances || []).length})`, dataTable([{label: 'Name', get: link}], t.ServerInstances || [], {label: 'Servers', emptyText: 'No server in this tenant.'})),
      card(`Brokers (${(t.BrokerInstances || []).length})`, dataTable([{label: 'Name', get: link}], t.BrokerInstances || [], {label: 'Brokers', emptyText: 'No broker in this tenant.'}))),
    card(`Tables (${placed.length})`, dataTable([
      {label: 'Table', get: (x) => h('a', {href: href(`/tables/${encodeURIComponent(x.name)}?type=${x.type}`)}, `${x.name}_${x.type}`)},
      {label: 'Uses the tenant for', get: (x) => x.role},
    ], placed, {label: 'Tables', emptyText: 'No table uses this tenant.'})));
}
