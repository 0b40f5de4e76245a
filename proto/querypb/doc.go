// Package querypb holds the generated Go code of proto/query.proto, the
// query-fragment protocol between brokers and servers. Do not edit the
// generated files; run scripts/gen-proto.sh.
package querypb
