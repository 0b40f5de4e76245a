//go:build tools

// Package deps pins modules that packages under construction will import,
// so that parallel work does not race on go.mod. It is never built.
package deps

import (
	_ "github.com/RoaringBitmap/roaring/v2"
	_ "github.com/apache/arrow-go/v18/parquet"
	_ "github.com/axiomhq/hyperloglog"
	_ "github.com/bits-and-blooms/bloom/v3"
	_ "github.com/cockroachdb/cockroachdb-parser/pkg/sql/parser"
	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/goccy/go-json"
	_ "github.com/influxdata/tdigest"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/ohler55/ojg/jp"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/startreedata/pinot-client-go/pinot"
	_ "go.etcd.io/etcd/client/v3"
	_ "go.etcd.io/etcd/client/v3/concurrency"
	_ "go.etcd.io/etcd/server/v3/embed"
	_ "golang.org/x/sys/unix"
	_ "google.golang.org/grpc"
	_ "google.golang.org/protobuf/proto"
)
