// Package console is Tannin's admin console: a small browser application
// served by the controller on its HTTP port, its files embedded in the
// binary (nothing is fetched from elsewhere at run time: the page's
// Content-Security-Policy allows this origin only).
//
// The application is plain JavaScript modules, CSS and SVG written by hand,
// with no build step: assets/index.html loads assets/js/main.js, which
// holds the router; assets/js/api.js is the client of the controller's
// REST API (Apache Pinot's paths), assets/js/pages/ has one module per
// page (login, overview, table, query, instance, tenant) and
// assets/js/chart.js draws query results in SVG.
//
// URLs (Mount registers them on the controller's mux):
//
//	/                          the console (its overview page)
//	/console/{page...}         the console at a page: deep links such as
//	                           /console/tables/webTransactions load the
//	                           application, whose router shows the page
//	/console/assets/{v}/{file} the embedded files; {v} is a hash of their
//	                           content, so a new build has new URLs and
//	                           assets can be cached for a year
//
// Pages live under /console/ so that their paths never collide with the
// REST API's (/tables/{t} is JSON; /console/tables/{t} is the table page).
// The pages call the controller's REST API with the Authorization header
// the login page keeps in sessionStorage, and run queries through the
// controller's POST /sql.
//
// The browser test (browser_test.go, testdata/console.spec.mjs) drives the
// console in headless Chromium through playwright-core against a whole
// cluster started in-process; scripts/install-browser.sh installs both.
package console
