// console.spec.mjs drives the admin console in headless Chromium with
// playwright-core, against a running cluster, and checks what it shows
// against the REST API and the broker. It is run by browser_test.go
// (TestConsoleInBrowser); it can also be run by hand against any cluster:
//
//   CONTROLLER_URL=http://127.0.0.1:9000 BROKER_URL=http://127.0.0.1:8099 \
//   PLAYWRIGHT_DIR=.cache/tools/playwright ARTIFACTS_DIR=.cache/artifacts/console \
//   node cmd/internal/console/testdata/console.spec.mjs
//
// Optional: CONSOLE_USER / CONSOLE_PASSWORD (admin / admin) when the
// controller asks for BASIC login; CHROMIUM (/usr/bin/chromium).
// Every check prints "ok: ..."; the first failure prints "FAIL: ..." with a
// screenshot of the page, and the script exits 1.

import {createRequire} from 'node:module';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`FAIL: environment variable ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const base = need('CONTROLLER_URL').replace(/\/$/, '');
const broker = need('BROKER_URL').replace(/\/$/, '');
const artifacts = path.resolve(need('ARTIFACTS_DIR'));
const pwDir = path.resolve(need('PLAYWRIGHT_DIR'));
const user = process.env.CONSOLE_USER || 'admin';
const password = process.env.CONSOLE_PASSWORD || 'admin';
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const {chromium} = createRequire(path.join(pwDir, 'package.json'))('playwright-core');

const DESKTOP = {width: 1280, height: 800};
const PHONE = {width: 390, height: 844};
const WAIT = 20000; // bounded wait for anything the page shows

let step = 'start';
let page;
const pageErrors = [];
const foreignRequests = [];
const sentRequests = [];
const failedAnswers = [];
let authHeader = null;

function ok(msg) { console.log(`ok: ${msg}`); }

async function shot(name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({path: file, fullPage: true});
  console.log(`screenshot: ${file}`);
}

// rest calls the controller directly, as the console does.
async function rest(method, p, body) {
  const headers = {Accept: 'application/json'};
  if (authHeader) headers.Authorization = authHeader;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + p, {method, headers, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body))});
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return {status: res.status, json, text};
}

async function get(p) {
  const r = await rest('GET', p);
  assert.equal(r.status, 200, `GET ${p}: HTTP ${r.status}: ${r.text}`);
  return r.json;
}

// brokerQuery asks the broker itself, the reference for what the console shows.
async function brokerQuery(sql) {
  const headers = {'Content-Type': 'application/json'};
  if (authHeader) headers.Authorization = authHeader;
  const res = await fetch(`${broker}/query/sql`, {method: 'POST', headers, body: JSON.stringify({sql})});
  assert.equal(res.status, 200, `broker /query/sql: HTTP ${res.status}`);
  return res.json();
}

// cellText is the console's rendering of a cell (query.js).
function cellText(v) {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(cellText).join(', ')}]`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const tid = (id) => `[data-testid="${id}"]`;

async function text(sel) {
  const el = page.locator(sel).first();
  await el.waitFor({state: 'visible', timeout: WAIT});
  return (await el.innerText()).trim();
}

async function resultRows() {
  await page.locator(tid('results')).waitFor({timeout: WAIT});
  return page.locator(`${tid('results')} tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
}

async function runQuery(sql) {
  const editor = page.locator(tid('sql-editor'));
  await editor.fill(sql);
  await editor.focus();
  await page.keyboard.press('Control+Enter');
  await page.locator(`${tid('query-stats')}`).waitFor({timeout: WAIT});
}

async function goto(p) {
  await page.goto(base + p);
}

async function login() {
  const info = await rest('GET', '/auth/info');
  const workflow = info.status === 404 ? 'NONE' : String((info.json || {}).workflow || 'NONE').toUpperCase();
  ok(`GET /auth/info says ${workflow} (HTTP ${info.status})`);
  step = 'login';
  await goto('/');
  if (workflow === 'BASIC') {
    await page.locator('#login-user').waitFor({timeout: WAIT});
    await shot('login-desktop');
    await page.fill('#login-user', user);
    await page.fill('#login-password', `${password}-wrong`);
    await page.keyboard.press('Enter');
    await page.locator(tid('login-error')).filter({hasText: 'Wrong user name or password'}).waitFor({timeout: WAIT});
    ok('a wrong password is refused on the login page');
    await page.fill('#login-password', password);
    await page.keyboard.press('Enter');
    await page.locator(tid('counts')).waitFor({timeout: WAIT});
    authHeader = await page.evaluate(() => sessionStorage.getItem('tannin.console.auth'));
    assert.ok(authHeader && authHeader.startsWith('Basic '), 'the Basic header is kept in sessionStorage after login');
    assert.equal(await text(tid('user')), user);
    ok(`logged in as ${user}; the header is in sessionStorage`);
  } else {
    await page.locator(tid('counts')).waitFor({timeout: WAIT});
    await goto('/console/login');
    await page.locator(tid('counts')).waitFor({timeout: WAIT});
    assert.equal(new URL(page.url()).pathname, '/console/', 'without authentication the login page leads to the overview');
    assert.equal(await page.locator(tid('logout')).isVisible(), false, 'no logout button without authentication');
    ok('no login needed (workflow NONE): the console opens on the overview');
  }
  return workflow;
}

async function overview(size) {
  step = `overview at ${size}`;
  await goto('/');
  await page.locator(`${tid('counts')}`).waitFor({timeout: WAIT});
  // Expected counts from the REST API.
  const names = (await get('/instances')).instances;
  const details = await Promise.all(names.map((n) => get(`/instances/${encodeURIComponent(n)}`)));
  const count = (t) => details.filter((d) => d.type === t).length;
  const tenants = await get('/tenants');
  const tenantCount = new Set([...(tenants.SERVER_TENANTS || []), ...(tenants.BROKER_TENANTS || [])]).size;
  const tables = (await get('/tables')).tables;
  const want = {controllers: count('CONTROLLER'), brokers: count('BROKER'), servers: count('SERVER'), tenants: tenantCount, tables: tables.length};
  for (const [k, v] of Object.entries(want)) {
    assert.equal(await text(tid(`count-${k}-value`)), String(v), `overview count of ${k}`);
  }
  ok(`overview counts equal the REST API's: ${JSON.stringify(want)}`);
  const leader = (await get('/cluster/info')).leader;
  const leaderRow = page.locator(`${tid('controllers')} tbody tr`, {hasText: 'leader'});
  assert.equal(await leaderRow.count(), 1, 'one controller is marked leader');
  assert.ok((await leaderRow.innerText()).includes(leader), `the leader marked is ${leader}`);
  const tableLinks = await page.locator(`${tid('tables')} tbody tr td:first-child a`).allInnerTexts();
  assert.deepEqual(tableLinks.sort(), [...tables].sort(), 'overview lists every table');
  ok(`leader ${leader} is marked; tables listed: ${tableLinks.join(', ')}`);
  await shot(`overview-${size}`);
}

async function queryPage(size) {
  step = `query console at ${size}`;
  if (size === 'phone') {
    // The nav is collapsed behind the menu button.
    assert.equal(await page.locator('#nav').isVisible(), false, 'the nav is collapsed at 390 px');
    await page.locator(tid('nav-toggle')).click();
    await page.locator('#nav').waitFor({state: 'visible', timeout: WAIT});
    assert.equal(await page.locator(tid('nav-toggle')).getAttribute('aria-expanded'), 'true');
    ok('at 390 px the nav opens from the menu button');
    await shot('nav-open-phone');
  }
  await page.locator('#nav a', {hasText: 'Query'}).click();
  await page.locator(tid('sql-editor')).waitFor({timeout: WAIT});
  assert.equal(new URL(page.url()).pathname, '/console/query');
  const sql = 'SELECT campaign, COUNT(*) AS orders, SUM(price) AS revenue FROM webTransactions GROUP BY campaign ORDER BY orders DESC, campaign LIMIT 10';
  await runQuery(sql);
  const shown = await resultRows();
  const want = await brokerQuery(sql);
  assert.equal(want.exceptions.length, 0, `broker answered exceptions: ${JSON.stringify(want.exceptions)}`);
  assert.deepEqual(shown, want.resultTable.rows.map((r) => r.map(cellText)), 'the rows shown are the broker\'s');
  const docs = await text(tid('stat-docs'));
  assert.ok(docs.endsWith(want.numDocsScanned.toLocaleString('en-US')), `docs scanned shown: ${docs}, broker: ${want.numDocsScanned}`);
  const segs = await text(tid('stat-segments'));
  assert.ok(segs.includes(`${want.numSegmentsQueried} / ${want.numSegmentsProcessed} / ${want.numSegmentsMatched}`), `segment stats shown: ${segs}`);
  ok(`query console shows the broker's ${shown.length} rows and its stats (Ctrl+Enter ran it)`);
  await shot(`query-${size}`);

  // The chart of a group-by is a bar chart with one group per row.
  await page.locator(tid('view-chart')).click();
  const svg = page.locator(tid('chart-svg'));
  await svg.waitFor({timeout: WAIT});
  assert.equal(await svg.getAttribute('data-kind'), 'bar');
  assert.equal(await page.locator(`${tid('chart-svg')} .bar-group`).count(), shown.length, 'one bar group per row');
  ok('chart view: a bar chart by campaign');
  await shot(`query-chart-bar-${size}`);

  // A time first column gives a line chart.
  await runQuery('SELECT creationTimestamp, price FROM webTransactions ORDER BY creationTimestamp LIMIT 40');
  await svg.waitFor({timeout: WAIT});
  assert.equal(await svg.getAttribute('data-kind'), 'line');
  ok('a result whose first column is epoch milliseconds is drawn as a line chart');
  await shot(`query-chart-line-${size}`);
  await page.locator(tid('view-table')).click();

  if (size === 'phone') {
    // Wide results scroll inside their region, not the page.
    await runQuery('SELECT * FROM webTransactions ORDER BY creationTimestamp LIMIT 5');
    await resultRows();
    const dims = await page.evaluate(() => {
      const r = document.querySelector('.query-output .table-scroll');
      return {inner: r.scrollWidth, outer: r.clientWidth, page: document.documentElement.scrollWidth};
    });
    assert.ok(dims.inner > dims.outer, `the results table scrolls horizontally (${dims.inner} > ${dims.outer})`);
    assert.ok(dims.page <= PHONE.width, `the page itself does not scroll sideways (${dims.page} px wide)`);
    ok(`at 390 px the results table scrolls inside its region (${dims.inner} px in ${dims.outer} px)`);
  }

  // Keyboard: Tab leaves the editor for the Run button, Enter runs.
  await page.locator(tid('sql-editor')).fill('SELECT COUNT(*) FROM webTransactions');
  await page.locator(tid('sql-editor')).focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'run-query', 'Tab moves from the editor to Run');
  await page.keyboard.press('Enter');
  await page.locator(`${tid('results')} tbody tr`).first().waitFor({timeout: WAIT});
  await page.waitForFunction(() => document.querySelector('[data-testid="results"] thead')?.textContent.includes('count(*)'), null, {timeout: WAIT});
  const countRows = await resultRows();
  const countWant = await brokerQuery('SELECT COUNT(*) FROM webTransactions');
  assert.deepEqual(countRows, countWant.resultTable.rows.map((r) => r.map(cellText)));
  ok('keyboard: Tab to Run, Enter runs the query');

  // A failing query shows the broker's exception.
  const bad = 'SELECT noSuchColumn FROM webTransactions';
  await runQuery(bad);
  const exc = await text(tid('query-exceptions'));
  const badWant = await brokerQuery(bad);
  assert.ok(badWant.exceptions.length > 0, 'the broker refuses the bad query');
  assert.ok(exc.includes(badWant.exceptions[0].message), `the exception shown (${exc}) is the broker's (${badWant.exceptions[0].message})`);
  assert.ok(exc.includes(`code ${badWant.exceptions[0].errorCode}`));
  ok(`a failing query shows the broker's exception (code ${badWant.exceptions[0].errorCode})`);
  await shot(`query-error-${size}`);
  const history = await page.locator(`${tid('history')} li`).count();
  assert.ok(history >= 4, `history keeps the queries run (${history})`);
  ok(`history lists ${history} queries`);
}

async function tablePage(size) {
  step = `table page at ${size}`;
  const t = 'webTransactions';
  await goto(`/console/tables/${t}`);
  await page.locator(tid('segments')).waitFor({timeout: WAIT});
  assert.equal(await text(tid('table-title')), t);
  const ev = (await get(`/tables/${t}/externalview?type=OFFLINE`)).OFFLINE;
  const segNames = Object.keys(ev).sort();
  const shownSegs = (await page.locator(`${tid('segments')} tbody tr td:first-child`).allInnerTexts()).sort();
  assert.deepEqual(shownSegs, segNames, 'segments listed are the external view\'s');
  const states = await page.locator(`${tid('segments')} tbody tr td:nth-child(3)`).allInnerTexts();
  for (const [i, seg] of segNames.entries()) {
    for (const [server, state] of Object.entries(ev[seg])) {
      const row = states[shownSegs.indexOf(seg)] || '';
      assert.ok(row.includes(server) && row.includes(state), `segment ${seg} shows ${server} ${state}: ${row} (${i})`);
    }
  }
  let rows = 0;
  for (const seg of segNames) rows += Number((await get(`/segments/${t}/${seg}/metadata`))['segment.total.docs']);
  assert.equal(await text(tid('summary-rows')), rows.toLocaleString('en-US'), 'rows in the summary');
  ok(`table page lists ${segNames.length} segment(s) with their replica states and ${rows} rows`);
  await shot(`table-segments-${size}`);

  await page.locator(tid('tab-schema')).click();
  await page.locator(tid('schema-columns')).waitFor({timeout: WAIT});
  const sc = await get(`/tables/${t}/schema`);
  const cols = [...(sc.dimensionFieldSpecs || []), ...(sc.metricFieldSpecs || []), ...(sc.dateTimeFieldSpecs || [])];
  const shownCols = await page.locator(`${tid('schema-columns')} tbody tr`).evaluateAll((trs) => trs.map((tr) => [tr.children[0].textContent, tr.children[1].textContent]));
  assert.deepEqual(shownCols, cols.map((c) => [c.name, c.dataType]), 'schema columns and types');
  ok(`schema tab shows the ${cols.length} columns with their types`);
  await shot(`table-schema-${size}`);
  if (size === 'phone') return;

  step = 'config editor';
  await page.locator(tid('tab-config')).click();
  const editor = page.locator(tid('config-editor'));
  await editor.waitFor({timeout: WAIT});
  const cfg = JSON.parse(await editor.inputValue());
  assert.ok(cfg.tableName === t || cfg.tableName === `${t}_OFFLINE`, `config of ${cfg.tableName}`);
  // Invalid JSON is caught in the page: nothing is sent.
  const putsBefore = sentRequests.filter((r) => r.method === 'PUT').length;
  await editor.fill('{"tableName": "webTransactions",');
  await page.locator(tid('config-save')).click();
  await page.locator(tid('config-result'), {hasText: 'Invalid JSON'}).waitFor({timeout: WAIT});
  assert.equal(sentRequests.filter((r) => r.method === 'PUT').length, putsBefore, 'invalid JSON is not sent');
  ok('invalid JSON is caught before sending');
  // A config the controller refuses: its error is shown beside the editor.
  const bad = structuredClone(cfg);
  bad.tableIndexConfig = {...(bad.tableIndexConfig || {}), invertedIndexColumns: ['noSuchColumn']};
  const badText = JSON.stringify(bad, null, 2);
  const direct = await rest('PUT', `/tables/${t}`, badText);
  assert.ok(direct.status >= 400 && direct.json && direct.json.error, `the controller refuses the edit: HTTP ${direct.status} ${direct.text}`);
  await editor.fill(badText);
  await page.locator(tid('config-save')).click();
  await page.locator(tid('config-result'), {hasText: 'refused'}).waitFor({timeout: WAIT});
  const shownErr = await text(tid('config-result'));
  assert.ok(shownErr.includes(direct.json.error), `the controller's error is shown: ${shownErr}`);
  assert.ok(shownErr.includes(`HTTP ${direct.status}`));
  ok(`the controller's validation error is shown beside the editor: ${direct.json.error}`);
  await shot('table-config-error-desktop');
  const after = await get(`/tables/${t}`);
  assert.deepEqual(after.OFFLINE.tableIndexConfig.invertedIndexColumns, cfg.tableIndexConfig.invertedIndexColumns, 'the refused config did not change the table');

  step = 'rebalance dry run';
  await page.locator(tid('tab-rebalance')).click();
  await page.locator(tid('rebalance-dryrun')).click();
  await page.locator(tid('rebalance-description')).waitFor({timeout: WAIT});
  const dry = (await rest('POST', `/tables/${t}/rebalance?type=OFFLINE&dryRun=true`)).json;
  assert.equal(await text(tid('rebalance-description')), dry.description);
  const resultText = await text(tid('rebalance-result'));
  assert.ok(resultText.includes(dry.status), `dry-run status ${dry.status} shown`);
  const moves = (dry.moves || []).length;
  if (moves) assert.equal(await page.locator(`${tid('rebalance-moves')} tbody tr`).count(), moves);
  assert.equal(await page.locator(tid('rebalance-run')).isDisabled(), !(dry.status === 'DONE' && moves > 0), 'Run is enabled only when the dry run has moves');
  ok(`rebalance dry run shows ${dry.status}: "${dry.description}" with ${moves} move(s)`);
  await shot('table-rebalance-desktop');
}

async function realtimePage(size) {
  step = `realtime table at ${size}`;
  const t = 'webEvents';
  await goto(`/console/tables/${t}?tab=ingestion`);
  await page.locator(`${tid('ingestion')} tbody tr`).first().waitFor({timeout: WAIT});
  const info = await get(`/tables/${t}_REALTIME/consumingSegmentsInfo`);
  const parts = (info.partitions || []).map((p) => String(p.partitionGroupId)).sort();
  const shown = [...new Set((await page.locator(`${tid('ingestion')} tbody tr td:first-child`).allInnerTexts()).map((s) => s.split(' ')[0]))].sort();
  assert.deepEqual(shown, parts, 'one row group per partition');
  ok(`ingestion tab shows partitions ${shown.join(', ')} with their consumers`);
  await shot(`table-ingestion-${size}`);
}

async function instanceAndTenant(size) {
  step = `instance and tenant pages at ${size}`;
  await goto('/');
  const link = page.locator(`${tid('servers')} tbody tr td:first-child a`).first();
  await link.waitFor({timeout: WAIT});
  const server = (await link.innerText()).trim();
  await link.click();
  await page.locator(tid('instance-summary')).waitFor({timeout: WAIT});
  const hosted = await text('section[aria-label^="Hosted segments"] h2');
  let want = 0;
  for (const t of (await get('/tables')).tables) {
    for (const e of await get(`/segments/${t}/servers`)) want += ((e.serverToSegmentsMap || {})[server] || []).length;
  }
  assert.equal(hosted, `Hosted segments (${want})`, `server ${server} hosts ${want} segments`);
  ok(`instance page of ${server}: ${hosted}`);
  await shot(`instance-${size}`);
  await goto('/console/tenants/DefaultTenant');
  const t = await get('/tenants/DefaultTenant');
  await page.locator('section[aria-label^="Servers"]').waitFor({timeout: WAIT});
  assert.equal(await text('section[aria-label^="Servers"] h2'), `Servers (${(t.ServerInstances || []).length})`);
  assert.equal(await text('section[aria-label^="Brokers"] h2'), `Brokers (${(t.BrokerInstances || []).length})`);
  ok('tenant page lists the tenant\'s servers and brokers');
  await shot(`tenant-${size}`);
}

async function logoutAndExpiry() {
  step = 'logout and expired credentials';
  await goto('/console/');
  await page.locator(tid('counts')).waitFor({timeout: WAIT});
  await page.locator(tid('logout')).click();
  await page.locator('#login-user').waitFor({timeout: WAIT});
  assert.equal(await page.evaluate(() => sessionStorage.getItem('tannin.console.auth')), null);
  ok('logout clears the session and shows the login page');
  // A header the controller refuses (401) leads back to the login page.
  await page.evaluate(() => sessionStorage.setItem('tannin.console.auth', 'Basic ' + btoa('admin:not-the-password')));
  await goto('/console/tables/webTransactions');
  await page.locator('#login-user').waitFor({timeout: WAIT});
  assert.ok(new URL(page.url()).searchParams.get('next').startsWith('/tables/webTransactions'));
  ok('a 401 from the API returns to the login page, remembering where the user was');
}

async function main() {
  fs.mkdirSync(artifacts, {recursive: true});
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tannin-console-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: DESKTOP,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${step}: ${e.message}`));
    // The browser logs every HTTP error answer as "Failed to load
    // resource"; those are checked below against the answers expected.
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`${step}: console: ${m.text()}`); });
    page.on('response', (r) => { if (r.status() >= 400) failedAnswers.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`); });
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(base + '/') && !u.startsWith('data:')) foreignRequests.push(u);
      sentRequests.push({method: r.method(), url: u});
    });
    try {
      console.log(`console at ${base}, broker at ${broker}, chromium ${context.browser() ? context.browser().version() : ''}`);
      const workflow = await login();
      await overview('desktop');
      await queryPage('desktop');
      await tablePage('desktop');
      await realtimePage('desktop');
      await instanceAndTenant('desktop');

      step = 'phone size';
      await page.setViewportSize(PHONE);
      await overview('phone');
      await queryPage('phone');
      await tablePage('phone');
      await realtimePage('phone');
      await instanceAndTenant('phone');
      if (workflow === 'BASIC') {
        await logoutAndExpiry();
        await shot('login-phone');
      }
      assert.deepEqual(pageErrors, [], 'no JavaScript errors');
      // The only error answers are the ones the test provoked: no
      // /auth/info without authentication, the wrong password, the
      // refused config, the expired credentials.
      const unexpected = failedAnswers.filter((a) => !/^GET \/auth\/info 404$|^GET \/auth\/verify 401$|^PUT \/tables\/webTransactions 400$| 401$/.test(a));
      assert.deepEqual(unexpected, [], 'no unexpected HTTP errors');
      assert.deepEqual(foreignRequests, [], 'the console fetched nothing from another origin');
      ok(`no JavaScript errors; all ${sentRequests.length} requests went to the controller`);
      console.log(`PASS: screenshots in ${artifacts}`);
    } catch (e) {
      console.log(`FAIL: ${step}: ${e.message}`);
      if (pageErrors.length) console.log(`page errors: ${pageErrors.join(' | ')}`);
      try { await page.screenshot({path: path.join(artifacts, 'failure.png'), fullPage: true}); console.log(`screenshot: ${path.join(artifacts, 'failure.png')}`); } catch { /* page gone */ }
      process.exitCode = 1;
    }
  } finally {
    await context.close();
    fs.rmSync(userDataDir, {recursive: true, force: true});
  }
}

main().catch((e) => { console.log(`FAIL: ${step}: ${e.stack || e}`); process.exit(1); });
