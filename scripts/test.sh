#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, external test data, unit and
# differential tests, and the race detector on the concurrent packages.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
echo "== lint"
make -s lint

if [ -x scripts/fetch-testdata.sh ]; then
  echo "== test data"
  bash scripts/fetch-testdata.sh
fi

echo "== go test"
go test -count=1 -timeout 30m ./...

echo "== differential tests on consuming (mutable) segments"
go test -count=1 ./query/difftest -difftest.segments=mutable

echo "== go test -race (concurrent packages)"
go test -count=1 -race -short -timeout 20m ./query/exec/... ./segment/... ./deepstore/... ./stream/... ./realtime/... ./cmd/internal/...

echo "== done in $(( $(date +%s) - start ))s"
