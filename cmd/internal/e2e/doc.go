// Package e2e holds the end-to-end tests of a Tannin cluster run as
// separate OS processes: etcd (`tannin etcd`), controllers, servers and
// brokers built from cmd/, driven through their REST APIs and
// pinot-client-go and checked against DuckDB on the same rows. The tests
// start real processes on 127.0.0.1 and skip under -short.
package e2e
