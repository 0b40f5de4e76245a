// api.js: the controller's REST API (Apache Pinot's paths) as seen by the
// console. Every call carries the Authorization header kept in
// sessionStorage after login; a 401 anywhere clears it and sends the user
// back to the login page.

const AUTH_KEY = 'tannin.console.auth';

// HttpError is a non-2xx answer: status and the controller's message
// ({"code":N,"error":"..."} in Pinot's shape).
export class HttpError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.body = body;
  }
}

export const auth = {
  get: () => sessionStorage.getItem(AUTH_KEY),
  set: (header) => sessionStorage.setItem(AUTH_KEY, header),
  clear: () => sessionStorage.removeItem(AUTH_KEY),
};

// basic builds an HTTP Basic header from a user name and password (UTF-8).
export function basic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

let unauthorized = () => {};

// onUnauthorized sets what happens when the controller answers 401.
export function onUnauthorized(fn) { unauthorized = fn; }

function messageOf(status, data, text, statusText) {
  if (data && typeof data === 'object') {
    if (typeof data.error === 'string') return data.error;
    if (typeof data.message === 'string') return data.message;
  }
  if (text && text.length < 500) return text.trim();
  return statusText || `HTTP ${status}`;
}

// request calls the controller. opts: body (object or string), headers,
// auth (false: do not send the stored header), on401 (false: do not log
// out on 401, for the login form's own check).
export async function request(method, path, opts = {}) {
  const headers = {Accept: 'application/json', ...(opts.headers || {})};
  const stored = auth.get();
  if (stored && opts.auth !== false && !headers.Authorization) headers.Authorization = stored;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  let res;
  try {
    // credentials 'omit': the header above is the only credential. With
    // it, a 401 carrying WWW-Authenticate: Basic does not make the browser
    // open its own login dialog (the Fetch standard prompts only for
    // requests that include credentials); the console's page handles 401.
    res = await fetch(path, {method, headers, body, credentials: 'omit', signal: opts.signal});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new HttpError(0, `cannot reach the controller (${e.message})`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text, opts.exactNumbers ? exactInts : undefined); } catch { data = null; }
  }
  if (res.status === 401 && opts.on401 !== false) {
    auth.clear();
    unauthorized();
  }
  if (!res.ok) throw new HttpError(res.status, messageOf(res.status, data, text, res.statusText), data ?? text);
  return data ?? text;
}

// exactInts keeps integers beyond 2^53 (LONG values) as their exact
// digits, where a JS number would round them; it needs JSON.parse's source
// text access (Chromium 114+), and leaves values alone without it.
function exactInts(key, value, context) {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context && context.source) {
    return context.source;
  }
  return value;
}

const enc = encodeURIComponent;

export const api = {
  authInfo: () => request('GET', '/auth/info', {auth: false, on401: false}),
  verify: (header) => request('GET', '/auth/verify', {headers: {Authorization: header}, on401: false}),

  clusterInfo: () => request('GET', '/cluster/info'),
  instances: () => request('GET', '/instances'),
  liveInstances: () => request('GET', '/liveinstances'),
  instance: (name) => request('GET', `/instances/${enc(name)}`),
  tenants: () => request('GET', '/tenants'),
  tenant: (name) => request('GET', `/tenants/${enc(name)}`),

  tables: () => request('GET', '/tables'),
  table: (t) => request('GET', `/tables/${enc(t)}`),
  updateTable: (t, text) => request('PUT', `/tables/${enc(t)}`, {body: text}),
  tableSchema: (t) => request('GET', `/tables/${enc(t)}/schema`),
  idealState: (t, type) => request('GET', `/tables/${enc(t)}/idealstate${type ? `?type=${enc(type)}` : ''}`),
  externalView: (t, type) => request('GET', `/tables/${enc(t)}/externalview${type ? `?type=${enc(type)}` : ''}`),
  size: (t, type) => request('GET', `/tables/${enc(t)}/size${type ? `?type=${enc(type)}` : ''}`),
  segmentServers: (t, type) => request('GET', `/segments/${enc(t)}/servers${type ? `?type=${enc(type)}` : ''}`),
  segmentMetadata: (t, seg) => request('GET', `/segments/${enc(t)}/${enc(seg)}/metadata`),
  consumingInfo: (t) => request('GET', `/tables/${enc(t)}/consumingSegmentsInfo`),
  rebalance: (t, type, dryRun) => request('POST', `/tables/${enc(t)}/rebalance?type=${enc(type)}&dryRun=${dryRun ? 'true' : 'false'}`),
  rebalanceStatus: (id) => request('GET', `/rebalanceStatus/${enc(id)}`),

  // sql runs a query through the controller's /sql, which forwards it to a
  // live broker of the table; the answer is the broker's (query errors
  // come back as exceptions in a 200 answer, as Pinot's do).
  sql: (sql, queryOptions) => request('POST', '/sql', {body: queryOptions ? {sql, queryOptions} : {sql}, exactNumbers: true}),
};
