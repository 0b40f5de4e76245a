// main.js: the console's entry point. It asks the controller how users log
// in (GET /auth/info), builds the page frame (top bar, navigation that
// collapses on narrow screens) and hands each path to its page module.

import {api, auth, onUnauthorized, HttpError} from './api.js';
import {h, icon, ICONS, mount, errorBox, loading} from './dom.js';
import {Router, href} from './router.js';
import * as login from './pages/login.js';
import * as overview from './pages/overview.js';
import * as table from './pages/table.js';
import * as query from './pages/query.js';
import * as instance from './pages/instance.js';
import * as tenant from './pages/tenant.js';

const app = {workflow: 'NONE', clusterName: ''};

// userOf reads the user name out of a stored Basic header.
function userOf(header) {
  if (!header || !header.startsWith('Basic ')) return '';
  try {
    const bin = atob(header.slice(6));
    const text = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    return text.slice(0, text.indexOf(':'));
  } catch {
    return '';
  }
}

const NAV = [
  {path: '/', label: 'Overview', match: (p) => p === '/' || p.startsWith('/tables/') || p.startsWith('/instances/') || p.startsWith('/tenants/')},
  {path: '/query', label: 'Query', match: (p) => p.startsWith('/query')},
];

function frame() {
  const toggle = h('button', {
    type: 'button', class: 'nav-toggle', 'aria-controls': 'nav', 'aria-expanded': 'false',
    'aria-label': 'Menu', 'data-testid': 'nav-toggle',
  }, icon(ICONS.menu));
  const nav = h('nav', {id: 'nav', class: 'nav', 'aria-label': 'Main'},
    NAV.map((n) => h('a', {href: href(n.path), class: 'nav-link', 'data-path': n.path}, n.label)));
  const user = h('span', {class: 'user', 'data-testid': 'user'});
  const logout = h('button', {type: 'button', class: 'btn btn-ghost', 'data-testid': 'logout', hidden: true},
    icon(ICONS.logout), h('span', {}, 'Log out'));
  const cluster = h('span', {class: 'cluster-name', title: 'Cluster'});
  const header = h('header', {class: 'topbar'},
    toggle,
    h('a', {href: href('/'), class: 'brand', 'aria-label': 'Tannin console home'},
      h('img', {src: document.querySelector('link[rel=icon]').href, alt: '', width: 22, height: 22}),
      h('span', {}, 'Tannin')),
    nav,
    h('div', {class: 'topbar-right'}, cluster, user, logout));
  const main = h('main', {id: 'main', tabindex: '-1'});
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  });
  nav.addEventListener('click', (e) => {
    if (e.target.closest('a')) {
      toggle.setAttribute('aria-expanded', 'false');
      nav.classList.remove('open');
    }
  });
  logout.addEventListener('click', () => {
    auth.clear();
    router.go('/login');
  });
  mount(document.getElementById('app'),
    h('a', {class: 'skip-link', href: '#main'}, 'Skip to content'), header, main);
  return {main, nav, user, logout, cluster};
}

const ui = frame();
document.querySelector('.skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  ui.main.focus();
});

function updateFrame(path) {
  const loggedIn = app.workflow === 'NONE' || Boolean(auth.get());
  document.body.classList.toggle('logged-out', !loggedIn || path === '/login');
  for (const a of ui.nav.querySelectorAll('a')) {
    const n = NAV.find((x) => x.path === a.dataset.path);
    if (n.match(path)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  ui.user.textContent = app.workflow === 'BASIC' ? userOf(auth.get()) : '';
  ui.logout.hidden = !(app.workflow === 'BASIC' && auth.get());
  ui.cluster.textContent = app.clusterName;
}

// page wraps a page module: frame state, title, focus for screen readers.
function page(mod, title) {
  return async (ctx) => {
    updateFrame(ctx.path);
    document.title = `${typeof title === 'function' ? title(ctx) : title} · Tannin`;
    const cleanup = await mod.render(ui.main, {...ctx, app});
    return cleanup;
  };
}

const router = new Router([
  {path: '/', page: page(overview, 'Overview')},
  {path: '/login', page: page(login, 'Log in')},
  {path: '/query', page: page(query, 'Query')},
  {path: '/tables/:name', page: page(table, (c) => `Table ${c.params.name}`)},
  {path: '/instances/:name', page: page(instance, (c) => c.params.name)},
  {path: '/tenants/:name', page: page(tenant, (c) => `Tenant ${c.params.name}`)},
], {
  notFound: (path) => {
    updateFrame(path);
    document.title = 'Not found · Tannin';
    mount(ui.main, h('div', {class: 'page'}, h('h1', {}, 'Page not found'),
      h('p', {}, `No console page at ${path}. `, h('a', {href: href('/')}, 'Go to the overview'), '.')));
  },
  beforeEach: (path) => {
    const loggedIn = app.workflow === 'NONE' || Boolean(auth.get());
    if (!loggedIn && path !== '/login') {
      return `/login?next=${encodeURIComponent(path + location.search)}`;
    }
    if (loggedIn && path === '/login') return '/';
    return null;
  },
});

onUnauthorized(() => {
  const path = router.path();
  if (path !== '/login') {
    sessionStorage.setItem('tannin.console.expired', '1');
    router.go(`/login?next=${encodeURIComponent(path + location.search)}`, {replace: true});
  }
});

// Keyboard shortcuts: g then o / q jump to the overview / query page
// (not while typing in a field).
let pendingG = 0;
document.addEventListener('keydown', (e) => {
  const t = e.target;
  if (e.ctrlKey || e.metaKey || e.altKey || (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))) return;
  if (e.key === 'g') { pendingG = Date.now(); return; }
  if (Date.now() - pendingG < 1000) {
    pendingG = 0;
    if (e.key === 'o') router.go('/');
    else if (e.key === 'q') router.go('/query');
  }
});

async function boot() {
  mount(ui.main, loading('Connecting to the controller'));
  try {
    const info = await api.authInfo();
    app.workflow = (info && info.workflow ? String(info.workflow) : 'NONE').toUpperCase();
  } catch (e) {
    // A controller without authentication has no /auth/info.
    if (e instanceof HttpError && e.status === 404) {
      app.workflow = 'NONE';
    } else {
      updateFrame('/login');
      mount(ui.main, h('div', {class: 'page'}, h('h1', {}, 'Tannin console'),
        errorBox(new Error(`GET /auth/info: ${e.message}`), () => boot())));
      return;
    }
  }
  if (app.workflow !== 'NONE' && app.workflow !== 'BASIC') {
    mount(ui.main, h('div', {class: 'page'}, errorBox(new Error(
      `the controller asks for the ${app.workflow} login workflow; this console supports BASIC only`))));
    return;
  }
  if (app.workflow === 'NONE' || auth.get()) {
    api.clusterInfo().then((c) => { app.clusterName = c.clusterName || ''; ui.cluster.textContent = app.clusterName; }, () => {});
  }
  // '/' shows the overview under /console/ so that links are stable.
  if (location.pathname === '/') history.replaceState(null, '', href('/') + location.search);
  await router.render();
}

app.afterLogin = () => {
  api.clusterInfo().then((c) => { app.clusterName = c.clusterName || ''; ui.cluster.textContent = app.clusterName; }, () => {});
};

boot();
