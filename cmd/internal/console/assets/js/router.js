// router.js: a history-API router for the console's pages under /console/.
// The controller answers every /console/... path with the console's page
// (deep links work), and its REST API keeps the paths outside /console/.

export const BASE = '/console';

// href is the URL of a console path: href('/tables/x') = '/console/tables/x'.
export function href(path) {
  return BASE + path;
}

function compile(pattern) {
  const keys = [];
  const re = new RegExp('^' + pattern.replace(/\/:(\w+)/g, (_, k) => { keys.push(k); return '/([^/]+)'; }) + '/?$');
  return {re, keys};
}

export class Router {
  // routes: [{path: '/tables/:name', page: async (ctx) => cleanup?}]
  constructor(routes, {notFound, beforeEach}) {
    this.routes = routes.map((r) => ({...r, ...compile(r.path)}));
    this.notFound = notFound;
    this.beforeEach = beforeEach;
    this.cleanup = null;
    this.seq = 0;
    window.addEventListener('popstate', () => this.render());
    // Links to console pages navigate in place; modified clicks (new tab)
    // and other links behave as links do.
    document.addEventListener('click', (e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = e.target.closest && e.target.closest('a[href]');
      if (!a || a.target || a.hasAttribute('download')) return;
      const url = new URL(a.href, location.href);
      if (url.origin !== location.origin || !(url.pathname === BASE || url.pathname.startsWith(BASE + '/'))) return;
      e.preventDefault();
      this.go(url.pathname + url.search + url.hash);
    });
  }

  // path is the current console path ('/tables/x') without the base.
  path() {
    const p = location.pathname;
    if (p === '/' || p === BASE || p === BASE + '/') return '/';
    return p.startsWith(BASE + '/') ? p.slice(BASE.length) : p;
  }

  go(url, {replace = false} = {}) {
    const full = url.startsWith(BASE) ? url : href(url);
    if (replace) history.replaceState(null, '', full);
    else history.pushState(null, '', full);
    return this.render();
  }

  async render() {
    const seq = ++this.seq;
    if (typeof this.cleanup === 'function') {
      try { this.cleanup(); } catch { /* a page's cleanup never stops navigation */ }
    }
    this.cleanup = null;
    const path = this.path();
    if (this.beforeEach) {
      const redirect = await this.beforeEach(path);
      if (seq !== this.seq) return;
      if (redirect && redirect !== path) return this.go(redirect, {replace: true});
    }
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      const params = {};
      r.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      const query = new URLSearchParams(location.search);
      // isCurrent lets a page drop late answers after the user moved on.
      const isCurrent = () => seq === this.seq;
      const cleanup = await r.page({params, query, path, isCurrent, router: this});
      if (isCurrent()) this.cleanup = cleanup;
      else if (typeof cleanup === 'function') cleanup();
      return;
    }
    this.notFound(path);
  }

  // setQuery changes the query string without re-rendering (tab state).
  setQuery(key, value) {
    const url = new URL(location.href);
    if (value === null || value === undefined) url.searchParams.delete(key);
    else url.searchParams.set(key, value);
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
}
